package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Selections and copies. The math kernels' comparisons, clamp and where give the scalar
 * expressions' bits (NaN, signed zeros and infinities included) at every length and layout. The
 * indexing and copying kernels on float32 arrays (indexSelect, gather, indexAdd, concat, pad,
 * where, the comparisons, maximum, minimum, clamp) are float32 in, float32 out, with the bits of the float64 kernel
 * run on the widened array and rounded back, which is how they were defined before they ran on
 * floats. indexAdd sums a position's several slabs in float64 and rounds once, so its float result
 * is not a float32 sum.
 */
class SelectionsAndCopiesTest {
    /** A random shape of rank 1-3, each dimension 1-5; an axis of it. */
    static int[] shape(SplittableRandom rng) {
        int[] s = new int[1 + rng.nextInt(3)];
        for (int i = 0; i < s.length; i++) {
            s[i] = 1 + rng.nextInt(5);
        }
        return s;
    }

    /** Floats of all magnitudes and signs, -0, NaN, infinities and subnormals among them. */
    static NDArray floats(SplittableRandom rng, int[] shape) {
        float[] f = new float[Shapes.size(shape)];
        for (int i = 0; i < f.length; i++) {
            int kind = rng.nextInt(24);
            f[i] = switch (kind) {
                case 0 -> -0.0f;
                case 1 -> Float.NaN;
                case 2 -> 0.0f;
                case 3 -> Float.POSITIVE_INFINITY;
                case 4 -> Float.NEGATIVE_INFINITY;
                case 5 -> (float) rng.nextDouble(-1, 1) * Float.MIN_NORMAL;
                default -> (float) (rng.nextGaussian() * Math.pow(2, rng.nextInt(-30, 30)));
            };
        }
        return NDArray.wrap(f, shape);
    }

    /** Positions along an axis of {@code length}, repeats likely. */
    private static int[] indices(SplittableRandom rng, int count, int length) {
        int[] p = new int[count];
        for (int i = 0; i < count; i++) {
            p[i] = rng.nextInt(length);
        }
        return p;
    }

    static void assertSameBits(NDArray expected, NDArray actual, String what) {
        assertNotNull(actual.floats, what + ": not float32");
        assertNull(expected.floats, what + ": the reference should be float64");
        assertEquals(java.util.Arrays.toString(expected.shape), java.util.Arrays.toString(actual.shape), what + ": shape");
        float[] e = expected.toFloat32().toFloatArray();
        float[] a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(Float.floatToIntBits(e[i]), Float.floatToIntBits(a[i]), what + " at " + i + ": " + a[i] + " against " + e[i]);
        }
    }

    @Property(tries = 300)
    void indexSelectGatherAndIndexAddGiveTheWidenedBits(@ForAll @LongRange(min = 1) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] s = shape(rng);
        int axis = rng.nextInt(s.length);
        NDArray x = floats(rng, s);
        NDArray wide = x.toFloat64();
        int[] picked = indices(rng, 1 + rng.nextInt(8), s[axis]);
        assertSameBits(AxisKernels.indexSelect(wide, axis, picked), AxisKernels.indexSelect(x, axis, picked), "indexSelect");

        int[] indexShape = s.clone();
        indexShape[axis] = 1 + rng.nextInt(6);
        int[] index = indices(rng, Shapes.size(indexShape), s[axis]);
        assertSameBits(AxisKernels.gather(wide, axis, index, indexShape), AxisKernels.gather(x, axis, index, indexShape), "gather");

        // g as long as the indices along the axis; the result as long as `length`: repeats accumulate
        int length = 1 + rng.nextInt(4);
        int[] gShape = s.clone();
        gShape[axis] = 1 + rng.nextInt(9);
        NDArray g = floats(rng, gShape);
        int[] to = indices(rng, gShape[axis], length);
        assertSameBits(AxisKernels.indexAdd(g.toFloat64(), axis, to, length), AxisKernels.indexAdd(g, axis, to, length), "indexAdd");
    }

    @Property(tries = 200)
    void concatAndPadGiveTheWidenedBits(@ForAll @LongRange(min = 1) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] s = shape(rng);
        int axis = rng.nextInt(s.length);
        int[] t = s.clone();
        t[axis] = 1 + rng.nextInt(4);
        NDArray a = floats(rng, s);
        NDArray b = floats(rng, t);
        assertSameBits(Slabs.concat(List.of(a.toFloat64(), b.toFloat64()), axis), Slabs.concat(List.of(a, b), axis), "concat");
        int[] full = s.clone();
        full[axis] += 3;
        int start = rng.nextInt(4);
        assertSameBits(Slabs.pad(a.toFloat64(), full, axis, start), Slabs.pad(a, full, axis, start), "pad");
    }

    @Property(tries = 200)
    void whereGivesTheWidenedBits(@ForAll @LongRange(min = 1) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        // lengths around the math kernel's threshold and its vectors, some views
        int[] s = {1 + rng.nextInt(3), 1 + rng.nextInt(50)};
        NDArray c = floats(rng, s);
        NDArray a = floats(rng, s);
        NDArray b = floats(rng, s);
        assertSameBits(Selection.where(c.toFloat64(), a.toFloat64(), b.toFloat64()), Selection.where(c, a, b), "where");
        NDArray ct = c.swapAxes(0, 1);
        NDArray at = a.swapAxes(0, 1);
        NDArray bt = b.swapAxes(0, 1);
        assertSameBits(Selection.where(ct.toFloat64(), at.toFloat64(), bt.toFloat64()), Selection.where(ct, at, bt), "where of views");
    }

    /** Arrays long enough to split over threads ({@link Parallel}): the parts' seams change no bit. */
    @Test
    void longSelectionsSplitWithoutChangingABit() {
        SplittableRandom rng = new SplittableRandom(47);
        int[] s = {64, 1000};
        NDArray c = floats(rng, s);
        NDArray a = floats(rng, s);
        NDArray b = floats(rng, s);
        assertSameBits(Selection.where(c.toFloat64(), a.toFloat64(), b.toFloat64()), Selection.where(c, a, b), "where");
        assertSameBits(Elementwise.clamp(a.toFloat64(), -0.5f, 0.5f), Elementwise.clamp(a, -0.5, 0.5), "clamp");
        assertSameBits(Elementwise.zip(Elementwise.Binary.GE, a.toFloat64(), b.toFloat64()), Elementwise.zip(Elementwise.Binary.GE, a, b), "ge");
        NDArray wide = Selection.where(c.toFloat64(), a.toFloat64(), b.toFloat64());
        double[] expected = new double[wide.size];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = c.floats[i] != 0 ? a.floats[i] : b.floats[i];
        }
        double[] got = wide.toArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Double.doubleToLongBits(expected[i]), Double.doubleToLongBits(got[i]), "float64 where at " + i);
        }
    }

    /** 1 + 2^-24 + 2^-24: 1 in float32 arithmetic, 1 + 2^-23 in float64 (and exactly so in float32). */
    @Test
    void indexAddSumsRepeatedPositionsInFloat64() {
        float tiny = (float) Math.scalb(1.0, -24);
        NDArray g = NDArray.wrap(new float[] {1f, 5f, tiny, tiny, -0.0f}, new int[] {5, 1});
        NDArray r = AxisKernels.indexAdd(g, 0, new int[] {0, 1, 0, 0, 2}, 4);
        float[] v = r.toFloatArray();
        assertEquals(1f + 2 * tiny, v[0], 0f, "three slabs at one position, summed in float64 and rounded once");
        assertEquals(5f, v[1], 0f, "one slab");
        assertEquals(Float.floatToIntBits(0.0f), Float.floatToIntBits(v[2]), "0 + -0 is +0, as the float64 sum");
        assertEquals(Float.floatToIntBits(0.0f), Float.floatToIntBits(v[3]), "no slab: zero");
    }

    private static final double[] SPECIAL = {0.0, -0.0, Double.NaN, 1.0, -1.0, 0.5, -0.5, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, 0.25, 2.0};

    @ParameterizedTest
    @MethodSource("dev.adjoint.core.kernel.MathKernelTest#kernels")
    void theKernelsSelectionsAreExact(MathKernel k) {
        Elementwise.Binary[] ops = {Elementwise.Binary.GT, Elementwise.Binary.GE, Elementwise.Binary.LT, Elementwise.Binary.LE,
            Elementwise.Binary.EQ, Elementwise.Binary.MAXIMUM_SHARE};
        for (int n = 0; n <= 70; n++) {
            double[] a = new double[n + 1];
            double[] b = new double[n + 2];
            float[] fa = new float[n + 1];
            float[] fb = new float[n + 2];
            for (int i = 0; i < n; i++) {
                a[1 + i] = SPECIAL[(i * 3 + n) % SPECIAL.length];
                b[2 + i] = SPECIAL[(i * 7 + 2 * n) % SPECIAL.length];
                fa[1 + i] = (float) a[1 + i];
                fb[2 + i] = (float) b[2 + i];
            }
            double[] r = new double[n + 3];
            float[] fr = new float[n + 3];
            for (Elementwise.Binary op : ops) {
                for (int sb = 0; sb <= 1; sb++) {
                    k.compare(BinaryLoops.answers(op), a, 1, b, 2, sb, r, 3, n);
                    k.compare(BinaryLoops.answers(op), fa, 1, fb, 2, sb, fr, 3, n);
                    for (int i = 0; i < n; i++) {
                        double expected = op.apply(a[1 + i], b[2 + i * sb]);
                        String what = k + " " + op + "(" + a[1 + i] + ", " + b[2 + i * sb] + "), sb=" + sb + ", n=" + n;
                        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(r[3 + i]), what);
                        assertEquals(Float.floatToRawIntBits((float) expected), Float.floatToRawIntBits(fr[3 + i]), "float " + what);
                    }
                }
            }
            k.clamp(a, 1, -0.5, 0.5, r, 2, n);
            k.clamp(fa, 1, -0.5f, 0.5f, fr, 2, n);
            for (int i = 0; i < n; i++) {
                double v = a[1 + i];
                double expected = v < -0.5 ? -0.5 : v > 0.5 ? 0.5 : v;
                assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(r[2 + i]), k + " clamp(" + v + "), n=" + n);
                assertEquals(Float.floatToRawIntBits((float) expected), Float.floatToRawIntBits(fr[2 + i]), k + " float clamp(" + v + "), n=" + n);
            }
            k.inside(a, 1, -0.5, 0.5, r, 2, n);
            for (int i = 0; i < n; i++) {
                double v = a[1 + i];
                assertEquals(Double.doubleToRawLongBits(-0.5 < v && v < 0.5 ? 1.0 : 0.0), Double.doubleToRawLongBits(r[2 + i]),
                        k + " inside(" + v + "), n=" + n);
            }
            k.leakyRelu(a, 1, 0.01, r, 2, n);
            k.leakyRelu(fa, 1, 0.01f, fr, 2, n);
            for (int i = 0; i < n; i++) {
                double v = a[1 + i];
                assertEquals(Double.doubleToRawLongBits(Elementwise.Binary.LEAKY_RELU.apply(v, 0.01)), Double.doubleToRawLongBits(r[2 + i]),
                        k + " leakyRelu(" + v + "), n=" + n);
                assertEquals(Float.floatToRawIntBits((float) Elementwise.Binary.LEAKY_RELU.apply(fa[1 + i], 0.01f)),
                        Float.floatToRawIntBits(fr[2 + i]), k + " float leakyRelu(" + v + "), n=" + n);
            }
            for (boolean min : new boolean[] {false, true}) {
                for (int sb = 0; sb <= 1; sb++) {
                    k.extremum(a, 1, b, 2, sb, r, 3, n, min);
                    k.extremum(fa, 1, fb, 2, sb, fr, 3, n, min);
                    for (int i = 0; i < n; i++) {
                        double x = a[1 + i];
                        double y = b[2 + i * sb];
                        double expected = min ? Math.min(x, y) : Math.max(x, y);
                        float fexpected = min ? Math.min(fa[1 + i], fb[2 + i * sb]) : Math.max(fa[1 + i], fb[2 + i * sb]);
                        String what = k + (min ? " min(" : " max(") + x + ", " + y + "), sb=" + sb + ", n=" + n;
                        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(r[3 + i]), what);
                        assertEquals(Float.floatToRawIntBits(fexpected), Float.floatToRawIntBits(fr[3 + i]), "float " + what);
                    }
                }
            }
            k.abs(fa, 1, fr, 2, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(fa[1 + i]) & 0x7fffffff, Float.floatToRawIntBits(fr[2 + i]), k + " abs(" + fa[1 + i] + "), n=" + n);
            }
            k.neg(fa, 1, fr, 2, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(-fa[1 + i]), Float.floatToRawIntBits(fr[2 + i]), k + " neg(" + fa[1 + i] + "), n=" + n);
            }
            // a NaN with its sign bit set loses it at every length (JDK 17's Math.abs(float) keeps it)
            float[] negativeNaN = new float[n];
            java.util.Arrays.fill(negativeNaN, Float.intBitsToFloat(0xffc00000));
            float[] cleared = new float[n];
            k.abs(negativeNaN, 0, cleared, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(0x7fc00000, Float.floatToRawIntBits(cleared[i]), k + " abs(-NaN), n=" + n);
            }
            // sign, as the map's table: compared with one zero
            k.compare(new double[] {-1, 1, 0, 0}, a, 1, new double[] {0.0}, 0, 0, r, 2, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Double.doubleToRawLongBits(Elementwise.Unary.SIGN.apply(a[1 + i])), Double.doubleToRawLongBits(r[2 + i]),
                        k + " sign(" + a[1 + i] + "), n=" + n);
            }
        }
    }

    @Property(tries = 100)
    void comparisonsAndClampOnFloatsGiveTheWidenedBits(@ForAll @LongRange(min = 1) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] s = {1 + rng.nextInt(3), 1 + rng.nextInt(90)};
        NDArray a = floats(rng, s);
        NDArray b = floats(rng, s);
        // equal elements, so that EQ, GE and LE see ties
        for (int i = 0; i < a.size; i += 3) {
            b.floats[i] = a.floats[i];
        }
        for (Elementwise.Binary op : new Elementwise.Binary[] {Elementwise.Binary.GT, Elementwise.Binary.GE, Elementwise.Binary.LT,
            Elementwise.Binary.LE, Elementwise.Binary.EQ, Elementwise.Binary.MAXIMUM_SHARE, Elementwise.Binary.MAXIMUM,
            Elementwise.Binary.MINIMUM}) {
            assertSameBits(Elementwise.zip(op, a.toFloat64(), b.toFloat64()), Elementwise.zip(op, a, b), op + "");
            NDArray column = NDArray.wrap(new float[] {b.floats[0]}, new int[] {1, 1}).expand(s);
            assertSameBits(Elementwise.zip(op, a.toFloat64(), column.toFloat64()), Elementwise.zip(op, a, column), op + " of one value");
            assertSameBits(Elementwise.zip(op, column.toFloat64(), a.toFloat64()), Elementwise.zip(op, column, a), op + " with one value first");
            assertSameBits(Elementwise.zip(op, a.toFloat64(), b.swapAxes(0, 1).contiguous().swapAxes(0, 1).toFloat64()),
                    Elementwise.zip(op, a, b.swapAxes(0, 1).contiguous().swapAxes(0, 1)), op + " of a view");
        }
        float slope = (float) rng.nextDouble(-2, 2);
        for (Elementwise.Binary op : new Elementwise.Binary[] {Elementwise.Binary.LEAKY_RELU, Elementwise.Binary.LEAKY_RELU_SLOPE}) {
            assertSameBits(Elementwise.zipScalar(op, a.toFloat64(), slope), Elementwise.zipScalar(op, a, slope), op + "");
        }
        for (Elementwise.Unary f : new Elementwise.Unary[] {Elementwise.Unary.SIGN, Elementwise.Unary.ABS, Elementwise.Unary.NEG}) {
            assertSameBits(Elementwise.map(f, a.toFloat64()), Elementwise.map(f, a), f + "");
            assertSameBits(Elementwise.map(f, a.swapAxes(0, 1).toFloat64()), Elementwise.map(f, a.swapAxes(0, 1)), f + " of a view");
        }
        // abs's backward mask: the map's sign, a temporary
        assertSameBits(Elementwise.map(Elementwise.Unary.SIGN, a.toFloat64()), Elementwise.signMask(a), "sign mask");
        assertSameBits(Elementwise.map(Elementwise.Unary.SIGN, a.swapAxes(0, 1).toFloat64()), Elementwise.signMask(a.swapAxes(0, 1)),
                "sign mask of a view");
        org.junit.jupiter.api.Assertions.assertArrayEquals(Elementwise.map(Elementwise.Unary.SIGN, a.toFloat64()).toArray(),
                Elementwise.signMask(a.toFloat64()).toArray(), "float64 sign mask");
        assertSameBits(Elementwise.strictlyInside(a.toFloat64(), -0.5, 0.5), Elementwise.strictlyInside(a, -0.5, 0.5), "inside");
        double lo = -rng.nextDouble();
        double hi = rng.nextDouble();
        assertSameBits(Elementwise.clamp(a.toFloat64(), (float) lo, (float) hi), Elementwise.clamp(a, lo, hi), "clamp");
        assertSameBits(Elementwise.clamp(a.swapAxes(0, 1).toFloat64(), (float) lo, (float) hi), Elementwise.clamp(a.swapAxes(0, 1), lo, hi),
                "clamp of a view");
    }

    @ParameterizedTest
    @MethodSource("dev.adjoint.core.kernel.MathKernelTest#kernels")
    void theKernelsWhereIsExactWithZerosAndNaN(MathKernel k) {
        double[] special = {0.0, -0.0, Double.NaN, 1.0, -1e-300, Double.POSITIVE_INFINITY, Double.MIN_VALUE};
        for (int n = 0; n <= 70; n++) {
            double[] c = new double[n + 2];
            double[] a = new double[n + 3];
            double[] b = new double[n + 1];
            float[] fc = new float[n + 2];
            float[] fa = new float[n + 3];
            float[] fb = new float[n + 1];
            for (int i = 0; i < n; i++) {
                c[2 + i] = special[(i * 5 + n) % special.length];
                a[3 + i] = i + 0.5;
                b[1 + i] = -i - 0.25;
                fc[2 + i] = (float) c[2 + i];
                fa[3 + i] = (float) a[3 + i];
                fb[1 + i] = (float) b[1 + i];
            }
            double[] r = new double[n + 1];
            float[] fr = new float[n + 1];
            k.where(c, 2, a, 3, b, 1, r, 1, n);
            k.where(fc, 2, fa, 3, fb, 1, fr, 1, n);
            for (int i = 0; i < n; i++) {
                double expected = c[2 + i] != 0 ? a[3 + i] : b[1 + i];
                assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(r[1 + i]), k + " where(" + c[2 + i] + "), n=" + n);
                // -1e-300 and MIN_VALUE round to float zeros: their float conditions are false
                float expectedFloat = fc[2 + i] != 0 ? fa[3 + i] : fb[1 + i];
                assertEquals(Float.floatToRawIntBits(expectedFloat), Float.floatToRawIntBits(fr[1 + i]), k + " float where(" + fc[2 + i] + "), n=" + n);
            }
        }
    }

    /**
     * indexAdd's and scatterAdd's results start from zeros even when the pool hands them an array
     * that held NaN (the gradient of a table where nothing was selected), filled on one thread or
     * several.
     */
    @Test
    void scatteredGradientsAreZerosWhereNothingLandsOnARecycledArray() {
        int rows = 600;
        int inner = 70;
        int[] picked = {3, 599, 3, 17};
        for (boolean floats : new boolean[] {false, true}) {
            for (int parts : new int[] {1, 2}) {
                int previous = Parallel.forceParts(parts);
                try {
                    // NaN arrays of the results' lengths back in the pool
                    Buffers.Scope scope = Buffers.open();
                    java.util.Arrays.fill(Buffers.uninitialized(rows * inner), Double.NaN);
                    java.util.Arrays.fill(Buffers.uninitializedFloats(rows * inner), Float.NaN);
                    scope.release();
                    double[] g = new double[picked.length * inner];
                    java.util.Arrays.fill(g, 1.5);
                    NDArray ga = NDArray.of(g, new int[] {picked.length, inner});
                    NDArray r = AxisKernels.indexAdd(floats ? ga.toFloat32() : ga, 0, picked, rows);
                    assertEquals(floats, r.floats != null);
                    double[] v = r.toArray();
                    for (int i = 0; i < v.length; i++) {
                        int row = i / inner;
                        double expected = row == 3 ? 3 : row == 599 || row == 17 ? 1.5 : 0;
                        assertEquals(expected, v[i], 0, (floats ? "float32" : "float64") + " indexAdd, " + parts + " parts, row " + row);
                    }
                    scope = Buffers.open();
                    java.util.Arrays.fill(Buffers.uninitialized(rows * inner), Double.NaN);
                    scope.release();
                    int[] index = new int[inner];
                    java.util.Arrays.fill(index, 5);
                    NDArray src = NDArray.of(java.util.Arrays.copyOf(g, inner), new int[] {1, inner});
                    double[] sv = AxisKernels.scatterAdd(floats ? src.toFloat32() : src, 0, index, new int[] {rows, inner}).toArray();
                    for (int i = 0; i < sv.length; i++) {
                        assertEquals(i / inner == 5 ? 1.5 : 0, sv[i], 0, (floats ? "float32" : "float64") + " scatterAdd, " + parts + " parts, at " + i);
                    }
                } finally {
                    Parallel.forceParts(previous);
                }
            }
        }
    }
}
