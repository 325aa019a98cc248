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
 * backward's bits (the weight's and bias's too), the running statistics' update and evaluation
 * mode, and bad arguments named.
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
        // runs of one (the columns), short runs (blocks of channels), long runs; a weight and bias, each alone
        for (int[] shape : new int[][] {{64, 5}, {4, 3, 5}, {4, 3, 80}}) {
            for (DType dtype : DType.values()) {
                for (boolean[] given : new boolean[][] {{true, true}, {true, false}, {false, true}}) {
                    Tensor x = Tensor.randn(rng, shape).to(dtype).requiresGrad(true);
                    Tensor w = given[0] ? Tensor.randn(rng, shape[1]).to(dtype).requiresGrad(true) : null;
                    Tensor b = given[1] ? Tensor.randn(rng, shape[1]).to(dtype).requiresGrad(true) : null;
                    Tensor g = Tensor.randn(rng, shape).to(dtype);
                    List<Tensor> inputs = new java.util.ArrayList<>(List.of(x));
                    for (Tensor p : new Tensor[] {w, b}) {
                        if (p != null) {
                            inputs.add(p);
                        }
                    }
                    List<Tensor> plain = Autograd.grad(x.batchNorm(w, b, 1e-5), g, inputs, false);
                    List<Tensor> recorded = Autograd.grad(x.batchNorm(w, b, 1e-5), g, inputs, true);
                    String what = java.util.Arrays.toString(shape) + " " + dtype + " weight " + given[0] + " bias " + given[1];
                    for (int i = 0; i < inputs.size(); i++) {
                        assertArrayEquals(plain.get(i).toArray(), recorded.get(i).toArray(), 0, what + ", input " + i);
                    }
                    assertTrue(recorded.get(0).requiresGrad(), "a recorded gradient is differentiable again");
                }
            }
        }
    }

    @Test
    void viewsGiveTheBitsOfTheirContiguousCopies() {
        SplittableRandom rng = new SplittableRandom(4);
        for (DType dtype : DType.values()) {
            // a narrowed batch (an offset) and a permuted one (strides)
            Tensor big = Tensor.randn(rng, 6, 3, 70).to(dtype);
            Tensor narrowed = big.narrow(0, 2, 3);
            Tensor permuted = Tensor.randn(rng, 3, 6, 70).to(dtype).permute(1, 0, 2);
            // [N, C]: the columns' path, from an offset
            Tensor narrowedColumns = Tensor.randn(rng, 9, 3).to(dtype).narrow(0, 2, 6);
            for (Tensor view : new Tensor[] {narrowed, permuted, narrowedColumns}) {
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
    void trainingMovesTheRunningStatisticsTowardTheBatchs() {
        SplittableRandom rng = new SplittableRandom(5);
        for (DType dtype : DType.values()) {
            Tensor x = Tensor.randn(rng, 4, 3, 5, 6).mul(2).add(1).to(dtype);
            Tensor mean = Tensor.of(new double[] {0.5, -1, 2}).to(dtype);
            Tensor var = Tensor.of(new double[] {1, 3, 0.25}).to(dtype);
            double[] m0 = mean.toArray();
            double[] v0 = var.toArray();
            Tensor w = Tensor.randn(rng, 3).to(dtype);
            Tensor b = Tensor.randn(rng, 3).to(dtype);
            Tensor y = x.batchNorm(mean, var, w, b, true, 0.25, 1e-5);
            assertArrayEquals(x.batchNorm(w, b, 1e-5).toArray(), y.toArray(), 0, "the batch's statistics normalize");
            double[] v = x.toArray();
            double tolerance = dtype == DType.FLOAT32 ? 1e-6 : 1e-12;
            for (int c = 0; c < 3; c++) {
                double s = 0;
                for (int n = 0; n < 4; n++) {
                    for (int j = 0; j < 30; j++) {
                        s += v[(n * 3 + c) * 30 + j];
                    }
                }
                double batchMean = s / 120;
                double q = 0;
                for (int n = 0; n < 4; n++) {
                    for (int j = 0; j < 30; j++) {
                        double d = v[(n * 3 + c) * 30 + j] - batchMean;
                        q += d * d;
                    }
                }
                // the unbiased variance, as PyTorch's running_var
                assertEquals(0.75 * m0[c] + 0.25 * batchMean, mean.toArray()[c], tolerance * 10, dtype + " running mean " + c);
                assertEquals(0.75 * v0[c] + 0.25 * q / 119, var.toArray()[c], tolerance * 10, dtype + " running variance " + c);
            }
        }
    }

    @Test
    void evaluationNormalizesWithTheRunningStatistics() {
        SplittableRandom rng = new SplittableRandom(6);
        Tensor x = Tensor.randn(rng, 1, 2, 3);
        Tensor mean = Tensor.of(new double[] {0.5, -1});
        Tensor var = Tensor.of(new double[] {4, 0.25});
        Tensor w = Tensor.of(new double[] {2, 3});
        Tensor b = Tensor.of(new double[] {-1, 1});
        double[] y = x.batchNorm(mean, var, w, b, false, 0.1, 0).toArray();
        double[] v = x.toArray();
        for (int i = 0; i < 6; i++) {
            int c = i / 3;
            assertEquals((v[i] - mean.toArray()[c]) / Math.sqrt(var.toArray()[c]) * w.toArray()[c] + b.toArray()[c], y[i], 1e-12);
        }
        assertArrayEquals(new double[] {0.5, -1}, mean.toArray(), 0, "evaluation leaves the running statistics as they are");
        // one value per channel is fine in evaluation mode, and the statistics may be left out in training mode
        assertEquals(2, Tensor.zeros(1, 2).batchNorm(mean, var, null, null, false, 0.1, 1e-5).size());
        assertArrayEquals(x.batchNorm(w, b, 1e-5).toArray(), x.batchNorm(null, null, w, b, true, 0.1, 1e-5).toArray(), 0);
    }

    @Test
    void evaluationGivesTheBitsOfTheScaleAndShiftOps() {
        SplittableRandom rng = new SplittableRandom(7);
        for (DType dtype : DType.values()) {
            for (int c : new int[] {9, 80}) {
                // [N, C] (rows of all channels: short, then past the math kernel's 64), [N, C, H, W]
                // (runs of 42 and of 81), a narrowed view
                Tensor[] inputs = {Tensor.randn(rng, 70, c).to(dtype), Tensor.randn(rng, 5, c, 6, 7).to(dtype),
                    Tensor.randn(rng, 2, c, 9, 9).to(dtype), Tensor.randn(rng, 8, c, 20).to(dtype).narrow(0, 3, 4)};
                Tensor mean = Tensor.randn(rng, c).to(dtype);
                Tensor var = Tensor.rand(rng, c).add(0.1).to(dtype);
                Tensor w = Tensor.randn(rng, c).to(dtype);
                Tensor b = Tensor.randn(rng, c).to(dtype);
                for (Tensor x : inputs) {
                    int[] s = new int[x.rank()];
                    java.util.Arrays.fill(s, 1);
                    s[1] = c;
                    for (boolean[] given : new boolean[][] {{true, true}, {true, false}, {false, true}, {false, false}}) {
                        Tensor weight = given[0] ? w : null;
                        Tensor bias = given[1] ? b : null;
                        Tensor alpha = given[0] ? var.add(1e-5).pow(-0.5).mul(w) : var.add(1e-5).pow(-0.5);
                        Tensor beta = given[1] ? b.sub(mean.mul(alpha)) : mean.mul(alpha).neg();
                        double[] expected = x.mul(alpha.reshape(s)).add(beta.reshape(s)).toArray();
                        String what = dtype + " " + java.util.Arrays.toString(x.shape()) + " weight " + given[0] + " bias " + given[1];
                        assertArrayEquals(expected, x.batchNorm(mean, var, weight, bias, false, 0.1, 1e-5).toArray(), 0, what);
                        // and the definition, to rounding
                        double[] v = x.toArray();
                        double[] y = x.batchNorm(mean, var, weight, bias, false, 0.1, 1e-5).toArray();
                        int inner = x.size() / (x.dim(0) * c);
                        for (int i = 0; i < v.length; i += 7) {
                            int ch = (i / inner) % c;
                            double d = (v[i] - mean.toArray()[ch]) / Math.sqrt(var.toArray()[ch] + 1e-5) * (given[0] ? w.toArray()[ch] : 1)
                                    + (given[1] ? b.toArray()[ch] : 0);
                            assertEquals(d, y[i], dtype == DType.FLOAT32 ? 1e-4 * (1 + Math.abs(d)) : 1e-10 * (1 + Math.abs(d)), what + " at " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void badRunningStatisticsAreNamed() {
        Tensor x = Tensor.zeros(4, 3, 2);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> x.batchNorm(null, null, null, null, false, 0.1, 1e-5));
        assertTrue(missing.getMessage().contains("evaluation mode needs"), missing.getMessage());
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> x.batchNorm(Tensor.zeros(3), null, null, null, true, 0.1, 1e-5));
        assertTrue(one.getMessage().contains("both running statistics or neither"), one.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> x.batchNorm(Tensor.zeros(3), Tensor.ones(2), null, null, true, 0.1, 1e-5));
        assertTrue(shape.getMessage().contains("running variance of shape [2]"), shape.getMessage());
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(3).batchNorm(Tensor.zeros(3), Tensor.ones(3), null, null, false, 0.1, 1e-5));
        assertTrue(rank.getMessage().contains("[3]"), rank.getMessage());
        Tensor computed = Tensor.zeros(3).requiresGrad(true).mul(2);
        Tensor untouched = Tensor.of(new double[] {1, 2, 3});
        IllegalArgumentException leaves = assertThrows(IllegalArgumentException.class,
                () -> x.batchNorm(untouched, computed, null, null, true, 0.1, 1e-5));
        assertTrue(leaves.getMessage().contains("leaves"), leaves.getMessage());
        assertArrayEquals(new double[] {1, 2, 3}, untouched.toArray(), 0, "neither statistic changed");
        IllegalArgumentException momentum = assertThrows(IllegalArgumentException.class,
                () -> x.batchNorm(Tensor.zeros(3), Tensor.ones(3), null, null, true, 1.5, 1e-5));
        assertTrue(momentum.getMessage().contains("momentum") && momentum.getMessage().contains("1.5"), momentum.getMessage());
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
