package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The branch-free scalar forms (relu's backward mask, the sign-selected sigmoid) against their
 * plain definitions, on special values and on many random ones.
 */
class ElementwiseTest {
    private static final double[] SPECIAL = {
        0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, 1.0, -1.0, 1e-300, -1e-300, 36.0, -36.0, 710.0, -710.0,
        Double.MAX_VALUE, -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN,
        Double.longBitsToDouble(0xFFF8000000000000L) /* a negative NaN */};

    private static double plainReluGrad(double g, double x) {
        return x > 0 ? g : 0.0;
    }

    private static double plainSigmoid(double v) {
        if (v >= 0) {
            return 1.0 / (1.0 + Math.exp(-v));
        }
        double e = Math.exp(v);
        return e / (1.0 + e);
    }

    @Test
    void reluGradPassesTheGradientExactlyWherePositive() {
        for (double x : SPECIAL) {
            for (double g : new double[] {2.5, -3.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY}) {
                assertEquals(Double.doubleToLongBits(plainReluGrad(g, x)), Double.doubleToLongBits(Elementwise.reluGrad(g, x)),
                        "g=" + g + " x=" + x);
            }
        }
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 100_000; i++) {
            double x = Double.longBitsToDouble(rng.nextLong());
            double g = rng.nextDouble(-5, 5);
            assertEquals(Double.doubleToLongBits(plainReluGrad(g, x)), Double.doubleToLongBits(Elementwise.reluGrad(g, x)),
                    "g=" + g + " x=" + x);
        }
    }

    @Test
    void sigmoidMatchesTheTwoSidedFormulaToAnUlp() {
        for (double v : SPECIAL) {
            double expected = plainSigmoid(v);
            double actual = Elementwise.sigmoid(v);
            if (Double.isNaN(expected)) {
                assertEquals(Double.NaN, actual, "v=" + v);
            } else {
                assertEquals(expected, actual, Math.ulp(expected), "v=" + v);
            }
        }
        SplittableRandom rng = new SplittableRandom(2);
        for (int i = 0; i < 100_000; i++) {
            double v = rng.nextDouble(-50, 50);
            assertEquals(plainSigmoid(v), Elementwise.sigmoid(v), 2 * Math.ulp(plainSigmoid(v)), "v=" + v);
        }
    }

    @Test
    void reluMapKeepsNaNAndZeroesNegatives() {
        NDArray x = NDArray.of(new double[] {-2, -0.0, 0, 3, Double.NaN, Double.NEGATIVE_INFINITY}, new int[] {6});
        double[] r = Elementwise.map(Elementwise.Unary.RELU, x).toArray();
        assertEquals(0.0, r[0]);
        assertEquals(0.0, r[1], 0.0);
        assertEquals(0.0, r[2]);
        assertEquals(3.0, r[3]);
        assertEquals(Double.NaN, r[4]);
        assertEquals(0.0, r[5]);
    }

    private static double reference(Elementwise.Binary f, double a, double b) {
        return switch (f) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case SIGMOID_GRAD -> a * (1 - b) * b;
            case TANH_GRAD -> a * (1 - b * b);
            case RELU_GRAD -> b > 0 ? a : 0.0;
        };
    }

    private static NDArray random(long seed, int... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] x = new double[Shapes.size(shape)];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextDouble(-2, 2);
        }
        return NDArray.of(x, shape);
    }

    @Test
    void zipMatchesTheDefinitionOnEveryLayout() {
        int[] shape = {5, 7};
        NDArray contiguous = random(1, 5, 7);
        NDArray[] layouts = {
            contiguous,
            random(2, 7, 5).swapAxes(0, 1),                       // transposed
            random(3).expand(shape),                              // a broadcast scalar: strides (0, 0)
            random(4, 7).expand(shape),                           // a broadcast row: strides (0, 1)
            random(5, 5, 1).expand(shape),                        // a broadcast column: strides (1, 0)
            random(6, 5, 9).narrow(1, 1, 7)};                     // a slice with row stride 9
        for (Elementwise.Binary f : Elementwise.Binary.values()) {
            for (NDArray a : layouts) {
                for (NDArray b : layouts) {
                    double[] r = Elementwise.zip(f, a, b).toArray();
                    double[] x = a.toArray();
                    double[] y = b.toArray();
                    for (int i = 0; i < r.length; i++) {
                        assertEquals(reference(f, x[i], y[i]), r[i], 1e-15 * (1 + Math.abs(r[i])), f + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void sumsOfEveryLengthAgreeWithAPlainLoop() {
        SplittableRandom rng = new SplittableRandom(9);
        for (int n = 0; n < 40; n++) {
            double[] a = new double[n + 3];
            for (int i = 0; i < a.length; i++) {
                a[i] = rng.nextDouble(-1, 1);
            }
            double plain = 0;
            for (int i = 3; i < a.length; i++) {
                plain += a[i];
            }
            assertEquals(plain, Reductions.sum(a, 3, n), 1e-14, "n=" + n);
            NDArray x = NDArray.of(java.util.Arrays.copyOfRange(a, 3, a.length), new int[] {n});
            assertEquals(plain, Reductions.sumTo(x, new int[0]).item(), 1e-14, "n=" + n);
        }
        // rows summed along the last axis, and a column-major view summed through its copy
        NDArray m = random(10, 6, 11);
        double[] rows = Reductions.sumTo(m, new int[] {6, 1}).toArray();
        double[] cols = Reductions.sumTo(m.swapAxes(0, 1), new int[] {11, 1}).toArray();
        double[] d = m.toArray();
        for (int i = 0; i < 6; i++) {
            double s = 0;
            for (int j = 0; j < 11; j++) {
                s += d[i * 11 + j];
            }
            assertEquals(s, rows[i], 1e-14);
        }
        for (int j = 0; j < 11; j++) {
            double s = 0;
            for (int i = 0; i < 6; i++) {
                s += d[i * 11 + j];
            }
            assertEquals(s, cols[j], 1e-14);
        }
        // [m, n] -> [n] (a bias gradient): the contiguous fast path, a view at an offset, and a
        // transposed view through the general loop
        double[] column = Reductions.sumTo(m, new int[] {11}).toArray();
        double[] fromRow1 = Reductions.sumTo(m.narrow(0, 1, 5), new int[] {11}).toArray();
        double[] transposed = Reductions.sumTo(m.swapAxes(0, 1), new int[] {6}).toArray();
        for (int j = 0; j < 11; j++) {
            double all = 0;
            double below = 0;
            for (int i = 0; i < 6; i++) {
                all += d[i * 11 + j];
                below += i > 0 ? d[i * 11 + j] : 0;
            }
            assertEquals(all, column[j], 1e-14);
            assertEquals(below, fromRow1[j], 1e-14);
        }
        assertArrayEquals(rows, transposed, 1e-14);
    }
}
