package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loop of {@link VectorMathKernel} for float32 2x2 max pooling (stride 2, no
 * padding), bit for bit {@link MaxPoolLoops}'s scalar loop: the same maxima and positions.
 *
 * <p>A window's two columns sit side by side in memory, so each pair of floats is read as one long
 * lane: its low half is the left column, its high half the right one (the Vector API reinterprets
 * lanes in little-endian order on every platform). Narrowing the longs, before and after shifting
 * them right by 32, splits a row's pairs into its left and right columns with no shuffle. The
 * windows of one output row run a vector at a time; a row's last vector ends at the row's end and
 * overlaps the one before (recomputing a few windows gives the same values), so rows at least a
 * vector wide run on vectors alone, and narrower ones on the scalar loop.
 *
 * <p>The vectors are 256 bits wide, or the preferred width where that is narrower: four windows
 * each, so the 7-window rows of a 14 x 14 plane still fill one. Full 512-bit vectors would gain
 * little over them (see bench/RESULTS.md, "Max pooling").
 *
 * <p>float64 has no such loop: a pair of doubles fills 128 bits, and the two-vector shuffle that
 * would split them runs slower than the scalar loop on JDK 17.
 */
final class VectorPoolLoops {
    // NOTE: the species are static final constants: C2 intrinsifies vector operations only on a
    // species it sees as a constant, and runs them boxed (ten times slower than scalar) otherwise.
    private static final VectorShape SHAPE = VectorShape.forBitSize(Math.min(256, FloatVector.SPECIES_PREFERRED.vectorBitSize()));
    private static final VectorSpecies<Float> FLOATS = VectorSpecies.of(float.class, SHAPE);
    /** The pairs of floats of {@link #FLOATS} as longs: one lane per window. */
    private static final VectorSpecies<Long> PAIRS = VectorSpecies.of(long.class, SHAPE);
    /** One column of the pairs: ints (and floats) of half the width. */
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, VectorShape.forBitSize(SHAPE.vectorBitSize() / 2));
    /** The positions, as doubles: the full width. */
    private static final VectorSpecies<Double> DOUBLES = VectorSpecies.of(double.class, SHAPE);
    /** Windows per vector. */
    static final int WINDOWS = PAIRS.length();

    private VectorPoolLoops() {
    }

    /**
     * {@link MaxPoolLoops}'s 2x2 loop on floats, when a row of {@code ow} windows fills at least one
     * vector.
     *
     * @return false, having written nothing, when the rows are too narrow (the caller runs the scalar loop)
     */
    static boolean max2x2(float[] x, int xo, float[] y, int yo, double[] where, int wo, int w, int oh, int ow) {
        if (ow < WINDOWS || WINDOWS < 2) {
            return false;
        }
        // the position of each lane's window within its row pair: 2 j
        IntVector columns = IntVector.zero(INTS).addIndex(2);
        for (int i = 0; i < oh; i++) {
            int top = 2 * i * w;
            int row = i * ow;
            for (int j0 = 0; j0 < ow; j0 += WINDOWS) {
                int j = Math.min(j0, ow - WINDOWS);
                int t = xo + top + 2 * j;
                LongVector upper = FloatVector.fromArray(FLOATS, x, t).reinterpretAsLongs();
                LongVector lower = FloatVector.fromArray(FLOATS, x, t + w).reinterpretAsLongs();
                FloatVector a = left(upper);
                FloatVector b = right(upper);
                FloatVector c = left(lower);
                FloatVector d = right(lower);
                // the scalar loop's rule: the winner of (a, b), of (c, d), then the second if it beats the first
                VectorMask<Float> second = b.compare(VectorOperators.GT, a).or(b.test(VectorOperators.IS_NAN));
                VectorMask<Float> fourth = d.compare(VectorOperators.GT, c).or(d.test(VectorOperators.IS_NAN));
                FloatVector u = a.blend(b, second);
                FloatVector v = c.blend(d, fourth);
                VectorMask<Float> below = v.compare(VectorOperators.GT, u).or(v.test(VectorOperators.IS_NAN));
                u.blend(v, below).intoArray(y, yo + row + j);
                IntVector base = columns.add(top + 2 * j);
                IntVector above = base.blend(base.add(1), second.cast(INTS));
                IntVector under = base.add(w).blend(base.add(w + 1), fourth.cast(INTS));
                ((DoubleVector) above.blend(under, below.cast(INTS)).convertShape(VectorOperators.I2D, DOUBLES, 0))
                        .intoArray(where, wo + row + j);
            }
        }
        return true;
    }

    /** The low float of each long lane: the pair's left column. */
    private static FloatVector left(LongVector pairs) {
        return ((IntVector) pairs.convertShape(VectorOperators.L2I, INTS, 0)).reinterpretAsFloats();
    }

    /** The high float of each long lane: the pair's right column. */
    private static FloatVector right(LongVector pairs) {
        return ((IntVector) pairs.lanewise(VectorOperators.LSHR, 32).convertShape(VectorOperators.L2I, INTS, 0)).reinterpretAsFloats();
    }
}
