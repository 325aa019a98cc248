package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Tensor#softmaxCrossEntropy}: one-hot rows give log-softmax's own bits, the gradient
 * softmax's, masked classes add nothing, a recorded backward and a replay give the plain
 * backward's bits, float32 stays close to float64, and bad arguments are named.
 */
class SoftmaxCrossEntropyTest {

    private static Tensor oneHot(int[] classes, int k) {
        double[] v = new double[classes.length * k];
        for (int i = 0; i < classes.length; i++) {
            v[i * k + classes[i]] = 1;
        }
        return Tensor.of(v, classes.length, k);
    }

    @Test
    void oneHotRowsGiveTheLogSoftmaxBitsAndTheSoftmaxGradient() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int k : new int[] {3, 10, 64, 1000}) {
            int n = 37;
            int[] classes = rng.ints(n, 0, k).toArray();
            Tensor x = Tensor.randn(rng, n, k).mul(4).detach().requiresGrad(true);
            Tensor loss = x.softmaxCrossEntropy(oneHot(classes, k));
            double[] y = x.detach().logSoftmax(1).toArray();
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += y[i * k + classes[i]];
            }
            assertEquals(Double.doubleToLongBits(sum / -n), Double.doubleToLongBits(loss.item()), "loss, " + k + " classes");
            loss.backward();
            double[] p = x.detach().softmax(1).toArray();
            double[] expected = new double[n * k];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) {
                    expected[i * k + j] = (p[i * k + j] * 1.0 - (j == classes[i] ? 1 : 0)) * (1.0 / n);
                }
            }
            assertArrayEquals(expected, x.grad().toArray(), 0, "gradient, " + k + " classes");
        }
    }

    @Test
    void classNumbersGiveTheirOneHotRowsBitsAndNoGradientOfTheirOwn() {
        SplittableRandom rng = new SplittableRandom(15);
        for (DType dtype : DType.values()) {
            for (int k : new int[] {4, 300}) {
                int n = 21;
                int[] classes = rng.ints(n, 0, k).toArray();
                Tensor x = Tensor.randn(dtype, rng, n, k);
                Tensor a = x.detach().requiresGrad(true);
                Tensor b = x.detach().requiresGrad(true);
                Tensor numbers = Tensor.of(java.util.Arrays.stream(classes).asDoubleStream().toArray(), n).to(dtype).requiresGrad(true);
                Tensor byNumbers = a.softmaxCrossEntropy(numbers);
                Tensor byRows = b.softmaxCrossEntropy(oneHot(classes, k).to(dtype));
                assertEquals(Double.doubleToLongBits(byRows.item()), Double.doubleToLongBits(byNumbers.item()), dtype + " " + k);
                byNumbers.backward();
                byRows.backward();
                assertArrayEquals(b.grad().toArray(), a.grad().toArray(), 0, dtype + " " + k);
                assertEquals(null, numbers.grad(), "class numbers get no gradient");
                // a recorded backward runs the gradient op: the plain backward's bits
                Tensor c = x.detach().requiresGrad(true);
                Tensor plain = Autograd.grad(c.softmaxCrossEntropy(numbers.detach()), List.of(c), false).get(0);
                Tensor recorded = Autograd.grad(c.softmaxCrossEntropy(numbers.detach()), Tensor.scalar(1).to(dtype), List.of(c), true).get(0);
                assertArrayEquals(plain.toArray(), recorded.toArray(), 0, dtype + " " + k);
            }
        }
    }

    @Test
    void classNumbersOutOfRangeOrNotWholeAreNamed() {
        Tensor x = Tensor.zeros(2, 3);
        for (double bad : new double[] {3, -1, 0.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> x.softmaxCrossEntropy(Tensor.of(new double[] {0, bad}, 2)));
            assertTrue(e.getMessage().contains("softmaxCrossEntropy") && e.getMessage().contains("row 1")
                    && e.getMessage().contains("[0, 3)"), e.getMessage());
        }
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                () -> x.softmaxCrossEntropy(Tensor.of(new double[] {0, 1}, 2).to(DType.FLOAT32)));
        assertTrue(dtype.getMessage().contains("softmaxCrossEntropy"), dtype.getMessage());
    }

    @Test
    void softTargetsAgreeWithTheComposite() {
        SplittableRandom rng = new SplittableRandom(12);
        for (int k : new int[] {5, 200}) {
            Tensor x = Tensor.randn(rng, 9, k).requiresGrad(true);
            Tensor t = Tensor.randn(rng, 9, k).softmax(1).mul(0.8).requiresGrad(true);
            Tensor fused = x.softmaxCrossEntropy(t);
            List<Tensor> g = Autograd.grad(fused, List.of(x, t), false);
            Tensor composite = x.logSoftmax(1).mul(t).sum().div(-9);
            List<Tensor> h = Autograd.grad(composite, List.of(x, t), false);
            assertEquals(composite.item(), fused.item(), 1e-13);
            assertArrayEquals(h.get(0).toArray(), g.get(0).toArray(), 1e-15);
            assertArrayEquals(h.get(1).toArray(), g.get(1).toArray(), 1e-15);
        }
    }

    @Test
    void aMaskedClassOfProbabilityZeroAddsNothing() {
        double inf = Double.POSITIVE_INFINITY;
        Tensor x = Tensor.of(new double[] {-inf, 1, 2, 0.5, -inf, -inf}, 2, 3).requiresGrad(true);
        Tensor t = Tensor.of(new double[] {0, 0.25, 0.75, 1, 0, 0}, 2, 3);
        Tensor loss = x.softmaxCrossEntropy(t);
        double lse = Math.log(Math.exp(1 - 2) + 1) + 2;
        double expected = (0.25 * (lse - 1) + 0.75 * (lse - 2) + 0) / 2;
        assertEquals(expected, loss.item(), 1e-15);
        loss.backward();
        double[] g = x.grad().toArray();
        assertEquals(0, g[0]);
        assertEquals(0, g[4]);
        assertEquals(0, g[3]);
        assertTrue(Double.isFinite(g[1]) && Double.isFinite(g[2]), java.util.Arrays.toString(g));
        // a class of probability above 0 at a -inf logit: an infinite loss
        assertEquals(inf, x.detach().softmaxCrossEntropy(Tensor.of(new double[] {0.5, 0.5, 0, 1, 0, 0}, 2, 3)).item());
    }

    @Test
    void aRecordedBackwardAndAReplayGiveThePlainBackwardsBits() {
        SplittableRandom rng = new SplittableRandom(13);
        Tensor x = Tensor.randn(rng, 16, 100).requiresGrad(true);
        Tensor t = oneHot(rng.ints(16, 0, 100).toArray(), 100);
        Tensor plain = Autograd.grad(x.softmaxCrossEntropy(t), List.of(x), false).get(0);
        Tensor recorded = Autograd.grad(x.softmaxCrossEntropy(t), Tensor.scalar(1), List.of(x), true).get(0);
        assertArrayEquals(plain.toArray(), recorded.toArray(), 0);
        Tensor w = Tensor.randn(rng, 100, 100).requiresGrad(true);
        RecordedStep step = RecordedStep.record(in -> in[0].matmul(w).softmaxCrossEntropy(in[1]), x.detach(), t);
        Tensor eager = x.detach().matmul(w).softmaxCrossEntropy(t);
        List<Tensor> eagerGrad = Autograd.grad(eager, List.of(w), false);
        Tensor replayed = step.replay(x.detach(), t);
        assertEquals(Double.doubleToLongBits(eager.item()), Double.doubleToLongBits(replayed.item()));
        assertArrayEquals(eagerGrad.get(0).toArray(), w.grad().toArray(), 0);
    }

    @Test
    void float32StaysCloseToFloat64() {
        SplittableRandom rng = new SplittableRandom(14);
        Tensor x = Tensor.randn(rng, 20, 70).mul(3);
        Tensor t = Tensor.randn(rng, 20, 70).softmax(1);
        Tensor x32 = x.to(DType.FLOAT32).requiresGrad(true);
        Tensor t32 = t.to(DType.FLOAT32);
        Tensor wide = x32.detach().to(DType.FLOAT64).requiresGrad(true);
        Tensor loss64 = wide.softmaxCrossEntropy(t32.to(DType.FLOAT64));
        Tensor loss32 = x32.softmaxCrossEntropy(t32);
        assertEquals(DType.FLOAT32, loss32.dtype());
        assertEquals(loss64.item(), loss32.item(), 1e-6 * Math.abs(loss64.item()));
        loss64.backward();
        loss32.backward();
        assertEquals(DType.FLOAT32, x32.grad().dtype());
        assertArrayEquals(wide.grad().toArray(), x32.grad().toArray(), 1e-8);
    }

    @Test
    void viewsGiveTheBitsOfTheirContiguousCopies() {
        SplittableRandom rng = new SplittableRandom(16);
        // transposed logits, narrowed targets (an offset), expanded class numbers (stride 0)
        Tensor stored = Tensor.randn(rng, 80, 6);
        Tensor x = stored.transpose();
        Tensor wide = Tensor.randn(rng, 6, 90).softmax(1);
        Tensor t = wide.narrow(1, 5, 80);
        Tensor copyX = Tensor.of(x.toArray(), 6, 80);
        Tensor copyT = Tensor.of(t.toArray(), 6, 80);
        assertEquals(Double.doubleToLongBits(copyX.softmaxCrossEntropy(copyT).item()), Double.doubleToLongBits(x.softmaxCrossEntropy(t).item()));
        Tensor numbers = Tensor.scalar(7).expand(6);
        assertEquals(Double.doubleToLongBits(copyX.softmaxCrossEntropy(Tensor.of(new double[] {7, 7, 7, 7, 7, 7}, 6)).item()),
                Double.doubleToLongBits(x.softmaxCrossEntropy(numbers).item()));
        Tensor a = stored.detach().requiresGrad(true);
        Tensor b = copyX.detach().requiresGrad(true);
        a.transpose().softmaxCrossEntropy(t).backward();
        b.softmaxCrossEntropy(copyT).backward();
        assertArrayEquals(b.grad().transpose().toArray(), a.grad().toArray(), 0);
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor x = Tensor.zeros(2, 3);
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> x.softmaxCrossEntropy(Tensor.zeros(3, 2)));
        assertTrue(shape.getMessage().contains("softmaxCrossEntropy") && shape.getMessage().contains("[3, 2]"), shape.getMessage());
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(6).softmaxCrossEntropy(Tensor.zeros(6)));
        assertTrue(rank.getMessage().contains("[batch, classes]") && rank.getMessage().contains("[6]"), rank.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(0, 3).softmaxCrossEntropy(Tensor.zeros(0, 3)));
        assertTrue(empty.getMessage().contains("[0, 3]"), empty.getMessage());
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                () -> x.softmaxCrossEntropy(Tensor.zeros(2, 3).to(DType.FLOAT32)));
        assertTrue(dtype.getMessage().contains("FLOAT32") || dtype.getMessage().contains("float32"), dtype.getMessage());
        IllegalArgumentException nothing = assertThrows(IllegalArgumentException.class, () -> x.softmaxCrossEntropy(null));
        assertTrue(nothing.getMessage().contains("targets"), nothing.getMessage());
    }
}
