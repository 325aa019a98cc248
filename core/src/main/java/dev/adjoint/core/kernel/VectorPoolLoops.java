package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loop of {@link VectorMathKernel} for float32 2x2 max pooling (stride 2, no
 * padding), bit for bit {@link MaxPoolLoops}'s scalar loop: the same maxima and positions.
 *
 * <p>A window's two columns sit side by side in memory, so each pair of floats is read as one long
 * lane: its low half is the left column, its high half the right one (the Vector API reinterprets
 * lanes in little-endian order on every platform). Narrowing the longs to ints, before and after
 * shifting them right by 32, puts the left and the right columns of a row's windows into the low
 * lanes of two vectors, with no shuffle. The windows of one output row run a chunk at a time; a
 * row's last chunk ends at the row's end and overlaps the one before (recomputing a few windows
 * gives the same values).
 *
 * <p>NOTE: every vector here has the preferred shape, as everywhere else in the kernels (see
 * the note on {@code VectorConversions.FLOATS}): a second float shape pollutes the type profiles
 * of the Vector API's shared code, and C2 then leaves the float32 GEMM's stores boxed. So a chunk
 * of windows fills only the low half (or quarter) of its float vectors, and its store writes the
 * garbage of the high lanes past the chunk, over windows that a later chunk or row writes again.
 * The plane's last rows would spill into the next plane, which another thread may own: they are
 * left to the scalar loop, as are rows narrower than a quarter vector.
 */
final class VectorPoolLoops {
    // NOTE: static final species, and conversions that name their target species: C2
    // intrinsifies a vector operation only where it sees the species as a constant.
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Long> PAIRS = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
    /** Windows a vector of pairs holds: a chunk of a row takes this many, or half as many. */
    static final int WINDOWS = PAIRS.length();
    /**
     * The position of each lane's window within its row pair: 2 j. NOTE: a constant, not made per
     * call: JDK 17's C2 does not intrinsify {@code addIndex} with a scale, and its Java fallback
     * boxes vectors on every call (one call per plane).
     */
    private static final IntVector COLUMNS = IntVector.zero(INTS).addIndex(2);

    private VectorPoolLoops() {
    }

    /**
     * {@link MaxPoolLoops}'s 2x2 loop on floats for the first rows of the plane, when a row of
     * {@code ow} windows fills at least half a vector of pairs: every row whose chunks' stores stay
     * inside the plane's results (the loads then stay inside the plane's rows; the test on
     * {@code x}'s end only guards that).
     *
     * @return how many of the first rows it wrote; what it left in the later rows is garbage, for
     *     the caller's scalar loop to overwrite
     */
    static int max2x2(float[] x, int xo, float[] y, int yo, double[] where, int wo, int w, int oh, int ow) {
        int n = ow >= WINDOWS ? WINDOWS : WINDOWS / 2;
        if (ow < n || n < 2) {
            return 0;
        }
        // a chunk's float store writes this many past its n windows: the rows that hold them come after
        int spill = FLOATS.length() - n;
        int rows = oh - (spill + ow - 1) / ow;
        int i = 0;
        for (; i < rows && xo + (2 * i + 1) * w + 2 * (ow - n) + FLOATS.length() <= x.length; i++) {
            int top = 2 * i * w;
            int row = i * ow;
            for (int j0 = 0; j0 < ow; j0 += n) {
                int j = Math.min(j0, ow - n);
                int t = xo + top + 2 * j;
                LongVector upper = (LongVector) ((FloatVector) FLOATS.fromArray(x, t)).reinterpretShape(PAIRS, 0);
                LongVector lower = (LongVector) ((FloatVector) FLOATS.fromArray(x, t + w)).reinterpretShape(PAIRS, 0);
                FloatVector a = left(upper);
                FloatVector b = right(upper);
                FloatVector c = left(lower);
                FloatVector d = right(lower);
                // the scalar loop's rule: the winner of (a, b), of (c, d), then the lower if it beats the upper
                VectorMask<Float> bWins = beats(b, a);
                VectorMask<Float> dWins = beats(d, c);
                FloatVector upperMax = a.blend(b, bWins);
                FloatVector lowerMax = c.blend(d, dWins);
                VectorMask<Float> lowerWins = beats(lowerMax, upperMax);
                upperMax.blend(lowerMax, lowerWins).intoArray(y, yo + row + j);
                IntVector base = COLUMNS.add(top + 2 * j);
                IntVector upperAt = base.blend(base.add(1), bWins.cast(INTS));
                IntVector lowerAt = base.add(w).blend(base.add(w + 1), dWins.cast(INTS));
                ((DoubleVector) upperAt.blend(lowerAt, lowerWins.cast(INTS)).convertShape(VectorOperators.I2D, DOUBLES, 0))
                        .intoArray(where, wo + row + j);
            }
        }
        return i;
    }

    /** Where {@code challenger} replaces {@code holder} as the running maximum: greater, or NaN. */
    private static VectorMask<Float> beats(FloatVector challenger, FloatVector holder) {
        return challenger.compare(VectorOperators.GT, holder).or(challenger.test(VectorOperators.IS_NAN));
    }

    /** The low float of each long lane (the pair's left column), in the low lanes of a float vector. */
    private static FloatVector left(LongVector pairs) {
        return (FloatVector) pairs.convertShape(VectorOperators.L2I, INTS, 0).reinterpretShape(FLOATS, 0);
    }

    /** The high float of each long lane (the pair's right column), in the low lanes of a float vector. */
    private static FloatVector right(LongVector pairs) {
        LongVector high = pairs.lanewise(VectorOperators.LSHR, 32);
        return (FloatVector) high.convertShape(VectorOperators.L2I, INTS, 0).reinterpretShape(FLOATS, 0);
    }
}
