package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The branch-free scalar forms (relu's backward mask, the sign-selected sigmoid) against their
 * plain definitions, on special values and on many random ones; every elementwise function's
 * loops against its scalar definition; sums.
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

    /** Special values first, then random ones in [-3, 3]. */
    private static double[] values(long seed, int n) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i < SPECIAL.length ? SPECIAL[(int) ((i + seed) % SPECIAL.length)] : rng.nextDouble(-3, 3);
        }
        return x;
    }

    /**
     * Arrays of {@code shape} [rows, cols] in every layout that picks a different loop: contiguous,
     * a slice (contiguous rows, rows further apart), transposed (last stride rows), a broadcast
     * column (last stride 0) and a broadcast scalar (all strides 0), also away from its array's start.
     */
    private static NDArray[] layouts(long seed, int rows, int cols) {
        int[] shape = {rows, cols};
        return new NDArray[] {
            NDArray.of(values(seed, rows * cols), shape),
            NDArray.of(values(seed + 1, rows * (cols + 3)), new int[] {rows, cols + 3}).narrow(1, 2, cols),
            NDArray.of(values(seed + 2, rows * cols), new int[] {cols, rows}).swapAxes(0, 1),
            NDArray.of(values(seed + 3, rows), new int[] {rows, 1}).expand(shape),
            NDArray.of(values(seed + 4, 1), new int[] {1, 1}).expand(shape),
            NDArray.of(values(seed + 5, 9), new int[] {9, 1}).narrow(0, 5, 1).expand(shape)};
    }

    private static void assertSameBits(double expected, double actual, String what) {
        // NaNs compare as NaN: the bits of a NaN's payload are not part of any function's definition
        assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual),
                () -> what + ": expected " + expected + ", got " + actual);
    }

    /** The loop zip picks for operands with these layouts, named as in Elementwise. */
    private static String pattern(NDArray a, NDArray b) {
        int sa = a.strides[1];
        int sb = b.strides[1];
        if ((a.isContiguous() && b.isContiguous()) || (sa == 1 && sb == 1)) {
            return "contiguous";
        }
        return sa == 0 && sb == 1 ? "broadcastFirst" : sb == 0 ? "broadcastSecond" : "strided";
    }

    /**
     * Every binary function on every stride pattern against its {@code apply}, bit for bit: rows
     * shorter than {@link MathKernel#MIN_LENGTH} (the scalar loops) and longer (where relu's
     * backward runs on the math kernel, exact as well), and zipScalar. The functions come from
     * {@code values()}, so a new one is covered without touching this test.
     */
    @Test
    void zipGivesEachFunctionsBitsOnEveryStridePattern() {
        Set<String> patterns = new TreeSet<>();
        for (int cols : new int[] {7, MathKernel.MIN_LENGTH + 6}) {
            NDArray[] as = layouts(1, 3, cols);
            NDArray[] bs = layouts(11, 3, cols);
            for (Elementwise.Binary f : Elementwise.Binary.values()) {
                for (NDArray a : as) {
                    for (NDArray b : bs) {
                        String where = f + " on " + pattern(a, b) + " " + Arrays.toString(a.strides) + ", "
                                + Arrays.toString(b.strides);
                        patterns.add(pattern(a, b));
                        double[] r = Elementwise.zip(f, a, b).toArray();
                        double[] x = a.toArray();
                        double[] y = b.toArray();
                        for (int i = 0; i < r.length; i++) {
                            assertSameBits(f.apply(x[i], y[i]), r[i], where + " at " + i);
                        }
                    }
                    double[] x = a.toArray();
                    for (double c : new double[] {0.5, -0.0, Double.NaN, Double.POSITIVE_INFINITY}) {
                        double[] r = Elementwise.zipScalar(f, a, c).toArray();
                        for (int i = 0; i < r.length; i++) {
                            assertSameBits(f.apply(x[i], c), r[i], f + " with the scalar " + c + " at " + i);
                        }
                    }
                }
            }
        }
        assertEquals(Set.of("contiguous", "broadcastFirst", "broadcastSecond", "strided"), patterns, "stride patterns covered");
    }

    /**
     * One value broadcast along axes of size 3 and 50, its size-1 axis keeping a stride of 1, beside
     * a contiguous operand, either way round: each function's bits.
     */
    @Test
    void aValueBroadcastPastASizeOneAxisGivesEachFunctionsBits() {
        int[] shape = {3, 1, 50};
        NDArray one = NDArray.of(values(21, 4), new int[] {4, 1, 1}).narrow(0, 2, 1).expand(shape);
        NDArray m = NDArray.of(values(22, 150), shape);
        for (Elementwise.Binary f : Elementwise.Binary.values()) {
            double[] x = one.toArray();
            double[] y = m.toArray();
            double[] r = Elementwise.zip(f, one, m).toArray();
            double[] q = Elementwise.zip(f, m, one).toArray();
            for (int i = 0; i < r.length; i++) {
                assertSameBits(f.apply(x[i], y[i]), r[i], f + " broadcast first at " + i);
                assertSameBits(f.apply(y[i], x[i]), q[i], f + " broadcast second at " + i);
            }
        }
    }

    /**
     * Every unary function on every layout against its {@code apply}: bit for bit on runs shorter
     * than {@link MathKernel#MIN_LENGTH}; on longer runs within the math kernel's few ulps, since
     * exp, tanh and sigmoid go there (relu, sign and erf give the same bits there; the others run the
     * same loops as on short runs).
     */
    @Test
    void mapGivesEachFunctionsBitsOnEveryLayout() {
        for (int cols : new int[] {7, MathKernel.MIN_LENGTH + 6}) {
            boolean shortRun = 3 * cols < MathKernel.MIN_LENGTH;
            for (Elementwise.Unary f : Elementwise.Unary.values()) {
                for (NDArray a : layouts(21, 3, cols)) {
                    double[] r = Elementwise.map(f, a).toArray();
                    double[] x = a.toArray();
                    for (int i = 0; i < r.length; i++) {
                        double expected = f.apply(x[i]);
                        String what = f + " of " + x[i] + " on strides " + Arrays.toString(a.strides);
                        if (shortRun || Double.isNaN(expected) || Double.isInfinite(expected) || expected == 0) {
                            assertSameBits(expected, r[i], what);
                        } else {
                            assertEquals(expected, r[i], 4 * Math.ulp(expected), what);
                        }
                    }
                }
            }
        }
    }

    /**
     * float64 gelu is {@code x * 0.5 * (1 + erf(x * sqrt(1/2)))} operation by operation, PyTorch's
     * order, bit for bit: on short runs (scalar loops) and long ones (the math kernel's passes), on
     * every layout and contiguous at an offset, with the special values among random ones.
     */
    @Test
    void float64GeluHasTheBitsOfItsCompositeInPyTorchsOrder() {
        for (int cols : new int[] {7, MathKernel.MIN_LENGTH + 6, FloatBlocks.BLOCK + 3}) {
            NDArray[] layouts = Arrays.copyOf(layouts(33, 3, cols), 7);
            // contiguous away from its array's start (the other layouts reach the loop at offset 0)
            layouts[6] = NDArray.of(values(40, 4 * cols), new int[] {4, cols}).narrow(0, 1, 3);
            for (NDArray a : layouts) {
                double[] r = Elementwise.gelu(a).toArray();
                double[] x = a.toArray();
                for (int i = 0; i < r.length; i++) {
                    double expected = x[i] * 0.5 * (1 + ErrorFunction.erf(x[i] * Elementwise.SQRT_HALF));
                    assertSameBits(expected, r[i], "gelu(" + x[i] + "), " + cols + " columns, strides " + Arrays.toString(a.strides));
                }
            }
        }
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
            assertEquals(plain, ReduceKernels.sum(a, 3, n), 1e-14, "n=" + n);
            NDArray x = NDArray.of(java.util.Arrays.copyOfRange(a, 3, a.length), new int[] {n});
            assertEquals(plain, ReduceKernels.sumTo(x, new int[0]).item(), 1e-14, "n=" + n);
        }
        // rows summed along the last axis, and a column-major view summed through its copy
        NDArray m = random(10, 6, 11);
        double[] rows = ReduceKernels.sumTo(m, new int[] {6, 1}).toArray();
        double[] cols = ReduceKernels.sumTo(m.swapAxes(0, 1), new int[] {11, 1}).toArray();
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
        double[] column = ReduceKernels.sumTo(m, new int[] {11}).toArray();
        double[] fromRow1 = ReduceKernels.sumTo(m.narrow(0, 1, 5), new int[] {11}).toArray();
        double[] transposed = ReduceKernels.sumTo(m.swapAxes(0, 1), new int[] {6}).toArray();
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
