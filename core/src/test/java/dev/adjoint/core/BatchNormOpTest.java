package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Tensor#batchNorm}: each channel against a plain loop of the definition, a NaN confined to
 * its channel, float32 as the float64 result rounded, a recorded backward with the plain
 * backward's bits, and bad arguments named.
 */
class BatchNormOpTest {

    @Test
    void eachChannelFollowsTheDefinition() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int[] shape : new int[][] {{5, 3}, {4, 2, 7}, {3, 4, 9, 10}}) {
            Tensor x = Tensor.randn(rng, shape).mul(3).add(1);
            int c = shape[1];
            Tensor w = Tensor.randn(rng, c);
            Tensor b = Tensor.randn(rng, c);
            int inner = x.size() / (shape[0] * c);
            double[] v = x.toArray();
            double[] expected = new double[v.length];
            for (int ch = 0; ch < c; ch++) {
                double mean = 0;
                double count = (double) shape[0] * inner;
                for (int n = 0; n < shape[0]; n++) {
                    for (int j = 0; j < inner; j++) {
                        mean += v[(n * c + ch) * inner + j] / count;
                    }
                }
                double var = 0;
                for (int n = 0; n < shape[0]; n++) {
                    for (int j = 0; j < inner; j++) {
                        double d = v[(n * c + ch) * inner + j] - mean;
                        var += d * d / count;
                    }
                }
                for (int n = 0; n < shape[0]; n++) {
                    for (int j = 0; j < inner; j++) {
                        int at = (n * c + ch) * inner + j;
                        expected[at] = (v[at] - mean) / Math.sqrt(var + 1e-5) * w.toArray()[ch] + b.toArray()[ch];
                    }
                }
            }
            assertArrayEquals(expected, x.batchNorm(w, b, 1e-5).toArray(), 1e-12, java.util.Arrays.toString(shape));
        }
    }

    @Test
    void aNanStaysInItsChannel() {
        Tensor x = Tensor.of(new double[] {1, 2, Double.NaN, 4, 5, 6}, 3, 2);
        double[] y = x.batchNorm(null, null, 1e-5).toArray();
        assertTrue(Double.isNaN(y[0]) && Double.isNaN(y[2]) && Double.isNaN(y[4]), java.util.Arrays.toString(y));
        assertEquals(-2 / Math.sqrt(8.0 / 3 + 1e-5), y[1], 1e-12);
    }

    @Test
    void float32IsTheFloat64ResultRoundedOnce() {
        SplittableRandom rng = new SplittableRandom(2);
        Tensor x32 = Tensor.randn(rng, 6, 3, 70).mul(5).to(DType.FLOAT32).requiresGrad(true);
        Tensor wide = x32.detach().to(DType.FLOAT64).requiresGrad(true);
        Tensor y32 = x32.batchNorm(null, null, 1e-5);
        Tensor y64 = wide.batchNorm(null, null, 1e-5);
        assertEquals(DType.FLOAT32, y32.dtype());
        assertArrayEquals(y64.to(DType.FLOAT32).toArray(), y32.toArray(), 0);
        Tensor g = Tensor.randn(rng, 6, 3, 70).to(DType.FLOAT32);
        y32.backward(g);
        y64.backward(g.to(DType.FLOAT64));
        assertArrayEquals(wide.grad().to(DType.FLOAT32).toArray(), x32.grad().toArray(), 0);
    }

    @Test
    void aRecordedBackwardGivesThePlainBackwardsBits() {
        SplittableRandom rng = new SplittableRandom(3);
        Tensor x = Tensor.randn(rng, 4, 3, 80).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 3).requiresGrad(true);
        Tensor b = Tensor.randn(rng, 3).requiresGrad(true);
        Tensor g = Tensor.randn(rng, 4, 3, 80);
        List<Tensor> plain = Autograd.grad(x.batchNorm(w, b, 1e-5), g, List.of(x, w, b), false);
        List<Tensor> recorded = Autograd.grad(x.batchNorm(w, b, 1e-5), g, List.of(x, w, b), true);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(plain.get(i).toArray(), recorded.get(i).toArray(), 0, "input " + i);
        }
        assertTrue(recorded.get(0).requiresGrad(), "a recorded gradient is differentiable again");
    }

    @Test
    void viewsGiveTheBitsOfTheirContiguousCopies() {
        SplittableRandom rng = new SplittableRandom(4);
        for (DType dtype : DType.values()) {
            // a narrowed batch (an offset) and a permuted one (strides)
            Tensor big = Tensor.randn(rng, 6, 3, 70).to(dtype);
            Tensor narrowed = big.narrow(0, 2, 3);
            Tensor permuted = Tensor.randn(rng, 3, 6, 70).to(dtype).permute(1, 0, 2);
            for (Tensor view : new Tensor[] {narrowed, permuted}) {
                Tensor copy = Tensor.of(view.toArray(), view.shape()).to(dtype);
                assertArrayEquals(copy.batchNorm(null, null, 1e-5).toArray(), view.batchNorm(null, null, 1e-5).toArray(), 0, dtype.toString());
                Tensor a = view.detach().requiresGrad(true);
                Tensor b = copy.detach().requiresGrad(true);
                Tensor g = Tensor.randn(rng, view.shape()).to(dtype);
                a.batchNorm(null, null, 1e-5).backward(g);
                b.batchNorm(null, null, 1e-5).backward(g);
                assertArrayEquals(b.grad().toArray(), a.grad().toArray(), 0, dtype + " gradient");
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor x = Tensor.zeros(4, 3, 2);
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(5).batchNorm(null, null, 1e-5));
        assertTrue(rank.getMessage().contains("batchNorm") && rank.getMessage().contains("[5]"), rank.getMessage());
        IllegalArgumentException weight = assertThrows(IllegalArgumentException.class, () -> x.batchNorm(Tensor.ones(4), null, 1e-5));
        assertTrue(weight.getMessage().contains("weight") && weight.getMessage().contains("[4]"), weight.getMessage());
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                () -> x.batchNorm(null, Tensor.zeros(3).to(DType.FLOAT32), 1e-5));
        assertTrue(dtype.getMessage().contains("bias"), dtype.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(0, 3).batchNorm(null, null, 1e-5));
        assertTrue(empty.getMessage().contains("[0, 3]"), empty.getMessage());
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(1, 3).batchNorm(null, null, 1e-5));
        assertTrue(one.getMessage().contains("more than one value per channel"), one.getMessage());
        IllegalArgumentException eps = assertThrows(IllegalArgumentException.class, () -> x.batchNorm(null, null, Double.NaN));
        assertTrue(eps.getMessage().contains("eps"), eps.getMessage());
    }
}
