package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LossesTest {
    private static final double TOL = 1e-12;

    private static Tensor leaf(double[] v, int... shape) {
        return Tensor.of(v, shape).requiresGrad(true);
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    @Test
    void squaredErrors() {
        Tensor pred = leaf(new double[] {1, 2, 3, 4}, 2, 2);
        Tensor target = Tensor.of(new double[] {0, 2, 5, 3}, 2, 2);
        Tensor sse = Losses.sumSquaredError(pred, target);
        assertEquals(0, sse.rank());
        assertEquals(1 + 0 + 4 + 1, sse.item(), TOL);
        sse.backward();
        assertArrayEquals(new double[] {2, 0, -4, 2}, pred.grad().toArray(), TOL);
        assertEquals(6.0 / 4, Losses.mse(pred, target).item(), TOL);
    }

    @Test
    void binaryCrossEntropyValueAndGradient() {
        Tensor p = leaf(new double[] {0.3, 0.8}, 2);
        Tensor t = Tensor.of(new double[] {1, 0}, 2);
        Tensor loss = Losses.binaryCrossEntropy(p, t);
        assertEquals(-(Math.log(0.3) + Math.log(0.2)) / 2, loss.item(), TOL);
        loss.backward();
        // d/dp = (p - t) / (p (1 - p)) / N
        assertArrayEquals(new double[] {(0.3 - 1) / (0.3 * 0.7) / 2, 0.8 / (0.8 * 0.2) / 2}, p.grad().toArray(), TOL);
    }

    @Test
    void binaryCrossEntropyClampsTheLogAtMinus100LikePyTorch() {
        Tensor p = leaf(new double[] {0, 1, 0, 1}, 4);
        Tensor t = Tensor.of(new double[] {0, 1, 1, 0}, 4);
        Tensor loss = Losses.binaryCrossEntropy(p, t);
        assertEquals(200.0 / 4, loss.item(), TOL);
        loss.backward();
        for (double g : p.grad().toArray()) {
            assertTrue(Double.isFinite(g));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.binaryCrossEntropy(Tensor.of(new double[] {1.5}, 1), Tensor.of(new double[] {1}, 1)));
        assertTrue(e.getMessage().contains("binaryCrossEntropy") && e.getMessage().contains("1.5"), e.getMessage());
    }

    /**
     * The clamped log promises not to retain its gradients, which lets a plain backward recycle
     * intermediate gradient arrays (the suite poisons recycled arrays with NaN). Over many passes,
     * with other work recycling memory in between, BCE's gradients must stay exact: through a
     * sigmoid ({@code s(z) - t}) and straight into probabilities, clamped entries included.
     */
    @Test
    void binaryCrossEntropyGradientsStayCorrectOverRepeatedBackwardPasses() {
        assertFalse(Losses.CLAMPED_LOG.retainsGradients());
        int rows = 4;
        int cols = 193;
        int n = rows * cols;
        SplittableRandom rng = new SplittableRandom(17);
        double[] z = new double[n];
        double[] t = new double[n];
        double[] p = new double[n];
        double[] tp = new double[n];
        double[] sigmoidExpected = new double[n];
        double[] probExpected = new double[n];
        // (p, t) -> d/dp: (0, 0) -> 1, (1, 1) -> -1 (the clamped log contributes 0), (0.25, 1) -> -4, (0.9, 0) -> 10
        double[][] cases = {{0, 0, 1}, {1, 1, -1}, {0.25, 1, -4}, {0.9, 0, 10}};
        for (int i = 0; i < n; i++) {
            z[i] = rng.nextDouble(-4, 4);
            t[i] = rng.nextInt(2);
            sigmoidExpected[i] = (sigmoid(z[i]) - t[i]) / n;
            double[] c = cases[i % cases.length];
            p[i] = c[0];
            tp[i] = c[1];
            probExpected[i] = c[2] / n;
        }
        Tensor logits = leaf(z, rows, cols);
        Tensor probs = leaf(p, rows, cols);
        Tensor target = Tensor.of(t, rows, cols);
        Tensor probTarget = Tensor.of(tp, rows, cols);
        double[] firstPass = null;
        for (int pass = 0; pass < 25; pass++) {
            logits.zeroGrad();
            probs.zeroGrad();
            Losses.binaryCrossEntropy(logits.sigmoid(), target).add(Losses.binaryCrossEntropy(probs, probTarget)).backward();
            double[] g = logits.grad().toArray();
            assertArrayEquals(sigmoidExpected, g, 1e-15, "pass " + pass);
            assertArrayEquals(probExpected, probs.grad().toArray(), 1e-15, "pass " + pass);
            if (firstPass == null) {
                firstPass = g;
            } else {
                assertArrayEquals(firstPass, g, 0.0, "pass " + pass + " differs from the first");
            }
            // unrelated work of the same sizes, to pick up any array the backward pass gave back
            Tensor noise = Tensor.randn(rng, rows, cols).requiresGrad(true);
            noise.mul(noise).sigmoid().sum().backward();
        }
        // without zeroGrad, passes accumulate
        logits.zeroGrad();
        for (int pass = 0; pass < 3; pass++) {
            Losses.binaryCrossEntropy(logits.sigmoid(), target).backward();
        }
        double[] g = logits.grad().toArray();
        for (int i = 0; i < n; i++) {
            assertEquals(3 * sigmoidExpected[i], g[i], 1e-15);
        }
    }

    @Test
    void binaryCrossEntropyWithLogitsIsStableAndMatchesTheSigmoidForm() {
        double[] x = {-3, -0.5, 0, 2};
        double[] t = {0, 1, 1, 0};
        Tensor logits = leaf(x, 4);
        Tensor loss = Losses.binaryCrossEntropyWithLogits(logits, Tensor.of(t, 4));
        double expected = 0;
        for (int i = 0; i < 4; i++) {
            double s = sigmoid(x[i]);
            expected -= t[i] * Math.log(s) + (1 - t[i]) * Math.log(1 - s);
        }
        assertEquals(expected / 4, loss.item(), TOL);
        loss.backward();
        double[] g = logits.grad().toArray();
        for (int i = 0; i < 4; i++) {
            assertEquals((sigmoid(x[i]) - t[i]) / 4, g[i], TOL);
        }
        Tensor huge = Losses.binaryCrossEntropyWithLogits(Tensor.of(new double[] {1000, -1000, 1000}, 3),
                Tensor.of(new double[] {0, 0, 1}, 3));
        assertEquals(1000.0 / 3, huge.item(), TOL);
    }

    @Test
    void crossEntropyValueAndGradient() {
        double[] x = {1, 2, 3, -1, 0, 1};
        Tensor logits = leaf(x, 2, 3);
        int[] classes = {2, 0};
        Tensor loss = Losses.crossEntropy(logits, classes);
        double lse0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
        double lse1 = Math.log(Math.exp(-1) + Math.exp(0) + Math.exp(1));
        assertEquals(((lse0 - 3) + (lse1 + 1)) / 2, loss.item(), TOL);
        loss.backward();
        // d/dx = (softmax(x) - onehot) / N
        double[] g = logits.grad().toArray();
        for (int r = 0; r < 2; r++) {
            double lse = r == 0 ? lse0 : lse1;
            for (int c = 0; c < 3; c++) {
                double expected = (Math.exp(x[3 * r + c] - lse) - (c == classes[r] ? 1 : 0)) / 2;
                assertEquals(expected, g[3 * r + c], TOL);
            }
        }
    }

    /**
     * Class labels, their one-hot rows as a tensor and the class numbers as a tensor give the same
     * loss and gradient bits, in float64 and float32, with rows of 3 and of 100 classes (rows of 64
     * or more take the math kernel's exp).
     */
    @Test
    void classLabelsAndOneHotTargetsGiveTheSameBitsInEitherDtype() {
        SplittableRandom rng = new SplittableRandom(41);
        for (dev.adjoint.core.DType dtype : dev.adjoint.core.DType.values()) {
            for (int c : new int[] {3, 100}) {
                int n = 7;
                int[] classes = new int[n];
                for (int i = 0; i < n; i++) {
                    classes[i] = rng.nextInt(c);
                }
                Tensor x = Tensor.randn(dtype, rng, n, c);
                Tensor a = x.detach().requiresGrad(true);
                Tensor b = x.detach().requiresGrad(true);
                Tensor d = x.detach().requiresGrad(true);
                Tensor byLabels = Losses.crossEntropy(a, classes);
                Tensor byRows = Losses.crossEntropy(b, Losses.oneHot(classes, c).to(dtype));
                Tensor byNumbers = Losses.crossEntropy(d, Tensor.of(java.util.Arrays.stream(classes).asDoubleStream().toArray(), n).to(dtype));
                assertEquals(dtype, byLabels.dtype());
                assertEquals(Double.doubleToLongBits(byRows.item()), Double.doubleToLongBits(byLabels.item()), dtype + " " + c);
                assertEquals(Double.doubleToLongBits(byRows.item()), Double.doubleToLongBits(byNumbers.item()), dtype + " " + c);
                byLabels.backward();
                byRows.backward();
                byNumbers.backward();
                double[] ga = a.grad().toArray();
                double[] gb = b.grad().toArray();
                double[] gd = d.grad().toArray();
                for (int i = 0; i < ga.length; i++) {
                    assertEquals(Double.doubleToLongBits(gb[i]), Double.doubleToLongBits(ga[i]), dtype + " " + c + " gradient at " + i);
                    assertEquals(Double.doubleToLongBits(gb[i]), Double.doubleToLongBits(gd[i]), dtype + " " + c + " gradient at " + i);
                }
            }
        }
    }

    @Test
    void crossEntropyIsStableForHugeLogits() {
        Tensor loss = Losses.crossEntropy(Tensor.of(new double[] {1000, 0, -1000, 1e4}, 2, 2), new int[] {1, 1});
        assertEquals((1000 + 0) / 2.0, loss.item(), 1e-9);
    }

    @Test
    void badInputsAreNamed() {
        Tensor logits = Tensor.zeros(2, 3);
        assertMessage(() -> Losses.crossEntropy(logits, new int[] {0, 3}), "crossEntropy", "class 3");
        assertMessage(() -> Losses.crossEntropy(logits, new int[] {0}), "crossEntropy", "1 class labels");
        assertMessage(() -> Losses.crossEntropy(Tensor.zeros(3), new int[] {0, 1, 2}), "crossEntropy", "[3]");
        assertMessage(() -> Losses.mse(Tensor.zeros(2), Tensor.zeros(3)), "mse", "[2]", "[3]");
        assertMessage(() -> Losses.sumSquaredError(Tensor.zeros(2), null), "sumSquaredError", "null");
        assertMessage(() -> Losses.binaryCrossEntropyWithLogits(Tensor.zeros(2, 1), Tensor.zeros(2)),
                "binaryCrossEntropyWithLogits", "[2, 1]");
    }

    private static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should mention '" + part + "'");
        }
    }
}
