package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/**
 * Softmax, log-softmax and their gradient along an axis with elements after it, done a tile of
 * columns at a time ({@link SoftmaxColumns}): each slice gets exactly the operations of the
 * one-slice definition (the maximum, {@code exp(x - max)} by the math kernel of the columns,
 * summed from the first element on, then {@code e (1 / sum)} or {@code (x - max) - log(sum)}, the
 * log that kernel's too),
 * whatever the tile cuts, views and outer blocks; float32 keeps the bounds of softmax's float32
 * rows.
 */
class SoftmaxColumnsTest {

    /** A shape [outer, n, inner] (sometimes with a trailing 1, or flattened to [n, inner]) and the axis of n. */
    private static int[] shape(SplittableRandom rng) {
        int[] inners = {2, 3, 17, 63, 64, 65, 130, 1000, 1500};
        int[] ns = {1, 2, 5, 16, 40, 300};
        int n = ns[rng.nextInt(ns.length)];
        int inner = inners[rng.nextInt(inners.length)];
        if (n * inner > 60_000) {
            n = 2;
        }
        return switch (rng.nextInt(3)) {
            case 0 -> new int[] {n, inner};
            case 1 -> new int[] {1 + rng.nextInt(3), n, inner};
            default -> new int[] {1 + rng.nextInt(2), n, inner, 1};
        };
    }

    private static int axis(int[] shape) {
        return shape.length == 2 ? 0 : 1;
    }

    /** Values of mixed scales, and now and then NaN, infinities and whole -inf slices. */
    private static double[] values(SplittableRandom rng, int[] shape, boolean special) {
        double[] x = new double[Shapes.size(shape)];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextGaussian() * (rng.nextInt(4) == 0 ? 30 : 2);
        }
        if (special && x.length > 10) {
            x[rng.nextInt(x.length)] = Double.NaN;
            x[rng.nextInt(x.length)] = Double.POSITIVE_INFINITY;
            x[rng.nextInt(x.length)] = Double.NEGATIVE_INFINITY;
        }
        return x;
    }

    /** The one-slice definition, slice by slice, with the columns' exp and log. */
    private static double[] reference(double[] x, int[] shape, int axis, boolean log) {
        int n = shape[axis];
        int inner = SoftmaxKernels.innerSize(shape, axis);
        MathKernel k = KernelProvider.exactFor(inner);
        double[] r = new double[x.length];
        double[] one = new double[1];
        for (int o = 0; o < x.length / (n * inner); o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    max = Math.max(max, x[base + j * inner]);
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    max = 0;
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    k.exp(new double[] {x[base + j * inner] - max}, 0, one, 0, 1);
                    r[base + j * inner] = one[0];
                    sum += one[0];
                }
                double inv = 1 / sum;
                k.log(new double[] {sum}, 0, one, 0, 1);
                double logSum = one[0];
                for (int j = 0; j < n; j++) {
                    int p = base + j * inner;
                    r[p] = log ? (x[p] - max) - logSum : r[p] * inv;
                }
            }
        }
        return r;
    }

    /** The gradient's one-slice definition: y (g - sum(g y)), or g - exp(y) sum(g). */
    private static double[] referenceBackward(double[] g, double[] y, int[] shape, int axis, boolean log) {
        int n = shape[axis];
        int inner = SoftmaxKernels.innerSize(shape, axis);
        MathKernel k = KernelProvider.exactFor(inner);
        double[] r = new double[g.length];
        double[] one = new double[1];
        for (int o = 0; o < g.length / (n * inner); o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                double s = 0;
                for (int j = 0; j < n; j++) {
                    int p = base + j * inner;
                    s += log ? g[p] : g[p] * y[p];
                }
                for (int j = 0; j < n; j++) {
                    int p = base + j * inner;
                    k.exp(new double[] {y[p]}, 0, one, 0, 1);
                    r[p] = log ? g[p] - one[0] * s : y[p] * (g[p] - s);
                }
            }
        }
        return r;
    }

    private static void assertSameBits(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Double.doubleToLongBits(expected[i]) != Double.doubleToLongBits(actual[i])) {
                throw new AssertionError(what + " at " + i + ": " + actual[i] + " against " + expected[i]);
            }
        }
    }

    private static void assertRounded(double[] wide, float[] actual, String what) {
        assertEquals(wide.length, actual.length, what);
        for (int i = 0; i < wide.length; i++) {
            if (Float.floatToIntBits((float) wide[i]) != Float.floatToIntBits(actual[i])) {
                throw new AssertionError(what + " at " + i + ": " + actual[i] + " against " + (float) wide[i]);
            }
        }
    }

    /**
     * float32 as softmax's float32 rows: softmax within 3 ulps of the float64 result on the widened
     * values, log-softmax within 3 ulps or 1e-15, softmax's gradient within 2 ulps, log-softmax's
     * within {@link Float32SoftmaxRowsTest#assertLogBackwardWithin}'s bound, where the columns are 64
     * or more apart (float32 arithmetic); everything over fewer columns the float64 result rounded.
     */
    private static void assertFloat32(NDArray fx, NDArray fg, int axis, boolean log, String what) {
        boolean arithmetic = SoftmaxKernels.innerSize(fx.shape(), axis) >= MathKernel.MIN_LENGTH;
        NDArray fy = SoftmaxKernels.softmax(fx, axis, log);
        double[] y64 = SoftmaxKernels.softmax(fx.toFloat64(), axis, log).toArray();
        double[] back64 = SoftmaxKernels.softmaxBackward(fg.toFloat64(), fy.toFloat64(), axis, log).toArray();
        float[] back = SoftmaxKernels.softmaxBackward(fg, fy, axis, log).toFloatArray();
        if (arithmetic) {
            assertWithin(y64, fy.toFloatArray(), 3, log ? 1e-15 : 0, what + " float32");
        } else {
            assertRounded(y64, fy.toFloatArray(), what + " float32");
        }
        if (arithmetic && log) {
            Float32SoftmaxRowsTest.assertLogBackwardWithin(fg, fy, axis, back64, back, what + " float32 backward");
        } else if (arithmetic) {
            assertWithin(back64, back, 2, 0, what + " float32 backward");
        } else {
            assertRounded(back64, back, what + " float32 backward");
        }
    }

    private static void assertWithin(double[] wide, float[] actual, int ulps, double absolute, String what) {
        assertEquals(wide.length, actual.length, what);
        for (int i = 0; i < wide.length; i++) {
            long d = MathKernelTest.floatUlps((float) wide[i], actual[i]);
            if (!(Math.abs(actual[i] - wide[i]) <= absolute) && d > ulps) {
                throw new AssertionError(what + " at " + i + ": " + actual[i] + " against " + wide[i] + ", " + d + " ulps");
            }
        }
    }

    @Property(tries = 60)
    void eachSliceTakesTheOneSliceDefinitionsOperations(@ForAll @LongRange(min = 1) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] shape = shape(rng);
        int axis = axis(shape);
        double[] x = values(rng, shape, rng.nextInt(4) == 0);
        double[] g = values(rng, shape, false);
        for (boolean log : new boolean[] {false, true}) {
            String what = (log ? "logSoftmax " : "softmax ") + java.util.Arrays.toString(shape) + " axis " + axis;
            // float64, also through a view at an offset
            NDArray a = NDArray.of(x, shape);
            double[] y = SoftmaxKernels.softmax(a, axis, log).toArray();
            assertSameBits(reference(x, shape, axis, log), y, what);
            double[] longer = new double[x.length + 3];
            System.arraycopy(x, 0, longer, 3, x.length);
            NDArray view = NDArray.of(longer, new int[] {longer.length}).narrow(0, 3, x.length).reshape(shape);
            assertSameBits(y, SoftmaxKernels.softmax(view, axis, log).toArray(), what + " of a view");
            double[] back = SoftmaxKernels.softmaxBackward(NDArray.of(g, shape), NDArray.of(y, shape), axis, log).toArray();
            assertSameBits(referenceBackward(g, y, shape, axis, log), back, what + " backward");
            assertFloat32(a.toFloat32(), NDArray.of(g, shape).toFloat32(), axis, log, what);
        }
    }

    /**
     * A float32 tile no larger than its scratch: an axis of 5,000 over 64 columns takes tiles
     * narrower than a run (52 and 12 columns) and keeps float32's bounds; gradients of mixed dtypes
     * are the float64 gradient rounded; empty axes give empty results.
     */
    @Example
    void longAxesMixedDtypesAndEmptyShapes() {
        int[] shape = {1, 5000, 64};
        SplittableRandom rng = new SplittableRandom(9);
        NDArray x = NDArray.of(values(rng, shape, false), shape).toFloat32();
        NDArray g = NDArray.of(values(rng, shape, false), shape).toFloat32();
        for (boolean log : new boolean[] {false, true}) {
            NDArray y = SoftmaxKernels.softmax(x, 1, log);
            assertFloat32(x, g, 1, log, "long axis, log " + log);
            assertRounded(SoftmaxKernels.softmaxBackward(g.toFloat64(), y.toFloat64(), 1, log).toArray(),
                    SoftmaxKernels.softmaxBackward(g, y.toFloat64(), 1, log).toFloatArray(), "mixed dtypes, log " + log);
        }
        for (int[] empty : new int[][] {{2, 0, 70}, {0, 3, 70}, {2, 3, 70, 0}}) {
            NDArray e = NDArray.of(new double[0], empty);
            assertEquals(0, SoftmaxKernels.softmax(e, 1, false).size, java.util.Arrays.toString(empty));
            assertEquals(0, SoftmaxKernels.softmaxBackward(e, e, 1, true).size, java.util.Arrays.toString(empty));
        }
    }

    /**
     * float32 columns: a column whose gradient sum is finite but beyond float's range takes the
     * float64 expression, rounded (not NaN or an infinity from hi = infinity), in softmax's gradient
     * and log-softmax's; an all -inf slice gives NaN and a
     * NaN spoils its own slice only; a view at an offset gives its copy's bits.
     */
    @Example
    void float32ColumnsSpecialValues() {
        int[] shape = {2, 70};
        float[] g = new float[140];
        float[] y = new float[140];
        java.util.Arrays.fill(g, 0.5f);
        java.util.Arrays.fill(y, 0.25f);
        g[3] = Float.MAX_VALUE;
        g[70 + 3] = Float.MAX_VALUE;
        y[3] = 0.75f;
        y[70 + 3] = 0.75f;
        NDArray gf = NDArray.of(g, shape);
        NDArray yf = NDArray.of(y, shape);
        float[] back = SoftmaxKernels.softmaxBackward(gf, yf, 0, false).toFloatArray();
        double[] back64 = SoftmaxKernels.softmaxBackward(gf.toFloat64(), yf.toFloat64(), 0, false).toArray();
        assertTrue(Float.isFinite(back[3]) && Float.isFinite(back[73]), back[3] + " " + back[73]);
        assertRounded(back64, back, "a gradient sum beyond float's range");
        // log-softmax's: g - exp(y) s in float64 for that column (in float, (float) s is infinite)
        float[] ly = new float[140];
        java.util.Arrays.fill(ly, -5f);
        NDArray lyf = NDArray.of(ly, shape);
        float[] logBack = SoftmaxKernels.softmaxBackward(gf, lyf, 0, true).toFloatArray();
        for (int i : new int[] {3, 73, 4, 74}) {
            float expected = (float) (g[i] - Math.exp(-5) * ((double) g[i % 70] + g[70 + i % 70]));
            assertTrue(Float.isFinite(logBack[i]) && MathKernelTest.floatUlps(expected, logBack[i]) <= 2,
                    "log-softmax, a gradient sum " + (i % 70 == 3 ? "beyond" : "within") + " float's range, at " + i + ": " + logBack[i]
                            + " against " + expected);
        }
        float[] x = new float[3 * 2 * 70];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
        }
        x[5] = Float.NEGATIVE_INFINITY;
        x[70 + 5] = Float.NEGATIVE_INFINITY;
        x[140 + 70 + 9] = Float.NaN;
        int[] three = {3, 2, 70};
        float[] s = SoftmaxKernels.softmax(NDArray.of(x, three), 1, false).toFloatArray();
        assertTrue(Float.isNaN(s[5]) && Float.isNaN(s[75]), "an all -inf slice gives NaN");
        assertTrue(Float.isNaN(s[140 + 9]) && Float.isNaN(s[140 + 70 + 9]) && !Float.isNaN(s[140 + 8]), "a NaN spoils its slice only");
        float[] longer = new float[x.length + 140];
        System.arraycopy(x, 0, longer, 140, x.length);
        NDArray view = NDArray.of(longer, new int[] {4, 2, 70}).narrow(0, 1, 3);
        float[] v = SoftmaxKernels.softmax(view, 1, true).toFloatArray();
        float[] c = SoftmaxKernels.softmax(NDArray.of(x, three), 1, true).toFloatArray();
        for (int i = 0; i < c.length; i++) {
            assertEquals(Float.floatToIntBits(c[i]), Float.floatToIntBits(v[i]), "view at " + i);
        }
    }

    /** Columns of two tiles and more (inner 1000 over 300 rows), an all -inf slice and a NaN: the definition's NaN where it has one. */
    @Example
    void tilesAndSpecialSlicesKeepTheDefinition() {
        int[] shape = {2, 300, 1000};
        SplittableRandom rng = new SplittableRandom(7);
        double[] x = values(rng, shape, false);
        for (int j = 0; j < 300; j++) {
            x[j * 1000 + 5] = Double.NEGATIVE_INFINITY;
        }
        x[300_000 + 7 * 1000 + 999] = Double.NaN;
        double[] y = SoftmaxKernels.softmax(NDArray.of(x, shape), 1, false).toArray();
        assertSameBits(reference(x, shape, 1, false), y, "softmax");
        assertTrue(Double.isNaN(y[5]) && Double.isNaN(y[299 * 1000 + 5]), "an all -inf slice gives NaN");
        assertTrue(Double.isNaN(y[300_000 + 999]) && !Double.isNaN(y[300_000 + 998]), "a NaN spoils its own slice only");
        double sum = 0;
        for (int j = 0; j < 300; j++) {
            sum += y[j * 1000 + 6];
        }
        assertEquals(1, sum, 1e-12, "a slice sums to 1");
    }
}
