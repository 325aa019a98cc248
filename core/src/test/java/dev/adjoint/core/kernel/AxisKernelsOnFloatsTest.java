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

/**
 * The kernels behind argmax/argmin, max/min (whole and along an axis), cumsum, gather's backward
 * (scatterAdd) and the squared-difference loss on float32 arrays read the floats as they are, with
 * no widened copy, and give the bits of the float64 kernel run on the widened array and rounded
 * back (how they were defined when they widened): NaN, signed zeros, infinities, subnormals, ties
 * and views included.
 */
class AxisKernelsOnFloatsTest {

    /** x itself, or (for rank 2 and up) the same values through a transposed view. */
    private static NDArray maybeView(SplittableRandom rng, NDArray x) {
        if (x.shape.length < 2 || rng.nextBoolean()) {
            return x;
        }
        return x.swapAxes(0, 1).contiguous().swapAxes(0, 1);
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
        NDArray x = maybeView(rng, withTies(rng, floats(rng, shape(rng))));
        NDArray wide = x.toFloat64();
        for (boolean min : new boolean[] {false, true}) {
            String what = min ? "min" : "max";
            for (int axis = 0; axis < x.shape.length; axis++) {
                NDArray positions = AxisKernels.argExtreme(x, axis, min);
                assertNull(positions.floats, "positions are float64");
                assertArrayEquals(AxisKernels.argExtreme(wide, axis, min).toArray(), positions.toArray(), "arg" + what + " along " + axis);
                NDArray[] expected = ReduceKernels.extremeWithMask(wide, axis, min);
                NDArray[] actual = ReduceKernels.extremeWithMask(x, axis, min);
                assertSameBits(expected[0], actual[0], what + " along " + axis);
                assertSameBits(expected[1], actual[1], what + "'s mask along " + axis);
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
        NDArray x = maybeView(rng, floats(rng, shape(rng)));
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
        int[] s = shape(rng);
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
}
