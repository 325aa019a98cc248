package dev.adjoint.core.kernel;

import static dev.adjoint.core.kernel.SelectionsAndCopiesTest.assertSameBits;
import static dev.adjoint.core.kernel.SelectionsAndCopiesTest.floats;
import static dev.adjoint.core.kernel.SelectionsAndCopiesTest.shape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernels behind argmax/argmin, max/min (whole and along an axis), cumsum, gather's backward
 * (scatterAdd) and the squared-difference loss on float32 arrays read the floats as they are, with
 * no widened copy, and give the bits of the float64 kernel run on the widened array and rounded
 * back (how they were defined when they widened): NaN, signed zeros, infinities, subnormals, ties
 * and views included. The math kernels' positions of a run's first maximum or minimum are the
 * scalar rule's.
 */
class AxisKernelsOnFloatsTest {

    /**
     * x itself, the same values through a transposed view (rank 2 and up), or as a contiguous view
     * at an offset into a longer array (its first axis narrowed from a larger one).
     */
    private static NDArray maybeView(SplittableRandom rng, NDArray x) {
        int kind = rng.nextInt(3);
        if (kind == 1 && x.shape.length >= 2) {
            return x.swapAxes(0, 1).contiguous().swapAxes(0, 1);
        }
        if (kind == 2 && x.shape.length >= 1) {
            int[] longer = x.shape.clone();
            longer[0] += 2;
            float[] f = new float[Shapes.size(longer)];
            int skip = Shapes.size(longer) / longer[0];
            System.arraycopy(x.toFloatArray(), 0, f, skip, x.size);
            NDArray view = NDArray.wrap(f, longer).narrow(0, 1, x.shape[0]);
            assertEquals(skip, view.offset, "a view at an offset");
            return view;
        }
        return x;
    }

    /** A shape of rank 1-3 whose last axis is sometimes 64-130 long (the math kernel's runs). */
    private static int[] shapeWithRuns(SplittableRandom rng) {
        int[] s = shape(rng);
        if (rng.nextInt(3) == 0) {
            s[s.length - 1] = 64 + rng.nextInt(67);
        }
        return s;
    }

    /** x with ties: some elements copied from others. */
    private static NDArray withTies(SplittableRandom rng, NDArray x) {
        for (int i = 0; i < x.size / 3; i++) {
            x.floats[rng.nextInt(x.size)] = x.floats[rng.nextInt(x.size)];
        }
        return x;
    }

    @Property(tries = 300)
    void extremesAndTheirPositionsGiveTheWidenedBits(@ForAll @LongRange(min = 1) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        NDArray x = maybeView(rng, withTies(rng, floats(rng, shapeWithRuns(rng))));
        NDArray wide = x.toFloat64();
        for (boolean min : new boolean[] {false, true}) {
            String what = min ? "min" : "max";
            for (int axis = 0; axis < x.shape.length; axis++) {
                NDArray positions = AxisKernels.argExtreme(x, axis, min);
                assertNull(positions.floats, "positions are float64");
                assertArrayEquals(AxisKernels.argExtreme(wide, axis, min).toArray(), positions.toArray(), "arg" + what + " along " + axis);
                NDArray[] expected = AxisKernels.extremeWithPositions(wide, axis, min);
                NDArray[] actual = AxisKernels.extremeWithPositions(x, axis, min);
                assertSameBits(expected[0], actual[0], what + " along " + axis);
                assertNull(actual[1].floats, "positions are float64");
                assertArrayEquals(positions.toArray(), actual[1].toArray(), what + "'s positions along " + axis);
                assertSameBits(AxisKernels.oneAt(expected[1], x.shape, axis, false), AxisKernels.oneAt(actual[1], x.shape, axis, true),
                        what + "'s mask along " + axis);
            }
            for (int axis = 0; axis < x.shape.length; axis++) {
                // max's gradient: g times the one-hot mask, in one pass, the product's bits (g holds
                // NaN, infinities and negative values, so the zeros are NaN or -0 where the product's are)
                NDArray positions = AxisKernels.extremeWithPositions(x, axis, min)[1];
                NDArray g = floats(rng, positions.shape);
                for (NDArray gradient : new NDArray[] {g, g.toFloat64()}) {
                    NDArray mask = AxisKernels.oneAt(positions, x.shape, axis, gradient.floats != null);
                    NDArray product = Elementwise.zip(Elementwise.Binary.MUL, gradient.expand(x.shape), mask);
                    NDArray fused = AxisKernels.timesOneAt(gradient, positions, x.shape, axis);
                    assertEquals(product.floats != null, fused.floats != null, "dtype");
                    assertArrayEquals(x.shape, fused.shape, "shape");
                    double[] e = product.toArray();
                    double[] f = fused.toArray();
                    for (int i = 0; i < e.length; i++) {
                        assertEquals(Double.doubleToRawLongBits(e[i]), Double.doubleToRawLongBits(f[i]),
                                what + "'s gradient along " + axis + " at " + i + ": " + f[i] + " against " + e[i]);
                    }
                }
            }
            NDArray[] expected = AxisKernels.extremeWithTies(wide, min);
            NDArray[] actual = AxisKernels.extremeWithTies(x, min);
            assertSameBits(expected[0], actual[0], what + " of all");
            assertSameBits(expected[1], actual[1], what + "'s shares of ties");
        }
    }

    @Property(tries = 300)
    void runningSumsAndScatteredSumsGiveTheWidenedBits(@ForAll @LongRange(min = 1) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        NDArray x = maybeView(rng, floats(rng, shapeWithRuns(rng)));
        for (int axis = 0; axis < x.shape.length; axis++) {
            for (boolean reverse : new boolean[] {false, true}) {
                assertSameBits(AxisKernels.cumsum(x.toFloat64(), axis, reverse), AxisKernels.cumsum(x, axis, reverse),
                        "cumsum along " + axis + (reverse ? ", reversed" : ""));
            }
            int[] shape = x.shape.clone();
            shape[axis] = 1 + rng.nextInt(4);
            int[] index = new int[x.size];
            for (int i = 0; i < index.length; i++) {
                index[i] = rng.nextInt(shape[axis]);
            }
            assertSameBits(AxisKernels.scatterAdd(x.toFloat64(), axis, index, shape), AxisKernels.scatterAdd(x, axis, index, shape),
                    "scatterAdd along " + axis);
        }
    }

    @Property(tries = 300)
    void squaredDifferencesGiveTheWidenedBits(@ForAll @LongRange(min = 1) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] s = shapeWithRuns(rng);
        NDArray a = maybeView(rng, floats(rng, s));
        NDArray b = maybeView(rng, floats(rng, s));
        assertEquals(Double.doubleToLongBits(ReduceKernels.sumSquaredDifference(a.toFloat64(), b.toFloat64())),
                Double.doubleToLongBits(ReduceKernels.sumSquaredDifference(a, b)), "sum of squared differences");
        double c = rng.nextGaussian();
        assertSameBits(ReduceKernels.scaledDifference(c, a.toFloat64(), b.toFloat64()), ReduceKernels.scaledDifference(c, a, b),
                "scaled difference");
    }

    @Test
    void longArraysSumAcrossThreadsWithTheWidenedBits() {
        // long enough to split across threads: the float loop must cut the same ranges
        SplittableRandom rng = new SplittableRandom(5);
        float[] a = new float[300_001];
        float[] b = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rng.nextGaussian();
            b[i] = (float) rng.nextGaussian();
        }
        NDArray fa = NDArray.wrap(a, new int[] {a.length});
        NDArray fb = NDArray.wrap(b, new int[] {b.length});
        assertEquals(Double.doubleToLongBits(ReduceKernels.sumSquaredDifference(fa.toFloat64(), fb.toFloat64())),
                Double.doubleToLongBits(ReduceKernels.sumSquaredDifference(fa, fb)));
        assertSameBits(ReduceKernels.scaledDifference(0.3, fa.toFloat64(), fb.toFloat64()), ReduceKernels.scaledDifference(0.3, fa, fb),
                "scaled difference");
    }

    /** The scalar rule: a running best replaced by a larger (smaller) value, or by the first NaN. */
    private static int firstExtreme(double[] a, int n, boolean min) {
        int best = 0;
        for (int k = 1; k < n; k++) {
            double v = a[k];
            double b = a[best];
            if ((min ? v < b : v > b) || (Double.isNaN(v) && !Double.isNaN(b))) {
                best = k;
            }
        }
        return best;
    }

    @ParameterizedTest
    @MethodSource("dev.adjoint.core.kernel.MathKernelTest#kernels")
    void theKernelsFindTheFirstExtremeByTheScalarRule(MathKernel k) {
        double[] special = {0.0, -0.0, Double.NaN, 1.0, -1.0, 0.5, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 2.0};
        SplittableRandom rng = new SplittableRandom(17);
        for (int n = 1; n <= 300; n += n < 80 ? 1 : 37) {
            for (int trial = 0; trial < 12; trial++) {
                double[] a = new double[n];
                // trial 0: no specials; 1: ties only; later: specials sprinkled more and more often
                for (int i = 0; i < n; i++) {
                    a[i] = trial == 1 ? rng.nextInt(3) : rng.nextGaussian();
                    if (trial > 1 && rng.nextInt(14 - trial) == 0) {
                        a[i] = special[rng.nextInt(special.length)];
                    }
                }
                double[] padded = new double[n + 3];
                float[] floats = new float[n + 5];
                float[] narrowed = new float[n];
                for (int i = 0; i < n; i++) {
                    padded[3 + i] = a[i];
                    floats[5 + i] = (float) a[i];
                    narrowed[i] = (float) a[i];
                }
                double[] wide = new double[n];
                for (int i = 0; i < n; i++) {
                    wide[i] = narrowed[i];
                }
                for (boolean min : new boolean[] {false, true}) {
                    String what = k + (min ? " min" : " max") + ", n=" + n + ", trial " + trial;
                    assertEquals(firstExtreme(a, n, min), k.firstExtreme(padded, 3, n, min), what);
                    assertEquals(firstExtreme(wide, n, min), k.firstExtreme(floats, 5, n, min), what + ", floats");
                }
            }
        }
    }
}
