package dev.adjoint.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loops of {@link VectorMathKernel} for {@link FloatWinograd}'s transforms ({@link WinogradTransforms}): a vector
 * of consecutive tiles at a time, the scalar loops' operations in their order, so the same bits.
 * Both read and write only at fixed offsets from the tile index: a tile row's extra tile
 * ({@link FloatWinograd#convolve}) keeps the rows of tiles contiguous.
 */
final class VectorWinograd {
    // NOTE: the preferred shape only (see VectorPoolLoops): a second float shape leaves the float32
    // GEMM's stores boxed.
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();
    private static final VectorSpecies<Long> PAIRS = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    /** Pairs of floats a vector holds. */
    private static final int PAIR_LANES = PAIRS.length();
    /** Whether a vector of floats reads as half as many pairs, and narrows into as many ints: what pairs and scatter assume. */
    private static final boolean PAIRED = 2 * PAIR_LANES == LANES && INTS.length() == LANES;
    /** LANES times -1 then LANES zeros: from offset LANES - k, a vector that keeps the first k lanes. */
    private static final int[] KEEP = keep();

    private VectorWinograd() {
    }

    /**
     * The input transform of tiles [0, count) in whole vectors, the last one reading and writing
     * past count ({@link WinogradTransforms#PAD}); returns how many tiles it wrote, 0 where vectors are
     * wider than the pad. In three passes, the points of the transform's first row, its second and third, its last.
     * NOTE: passes of a few dozen vector operations each: in one loop of all 16 points, C2 left
     * the stores boxed (its inlining ran out of budget), as in the output transform.
     */
    static int input(float[] p, int s, int row, int count, float[] v, int at, int stride) {
        if (LANES > WinogradTransforms.PAD) {
            return 0;
        }
        outer(p, 0, s, row, count, v, at, stride);
        middle(p, s, row, count, v, at, stride);
        outer(p, 2 * s, 3 * s, row, count, v, at + 12 * stride, stride);
        return count;
    }

    /**
     * The first or the last row of points: two window rows two apart ({@code e}, {@code o}: the even
     * and odd column planes' offsets, the second row {@code row} further), each transformed along
     * the row, the first minus the second (h0 - h2 from planes 0 and 1, h1 - h3 from planes 2 and 3).
     */
    private static void outer(float[] p, int e, int o, int row, int count, float[] v, int at, int stride) {
        for (int k = 0; k < count; k += LANES) {
            int q = k + row;
            FloatVector e0 = (FloatVector) FLOATS.fromArray(p, e + k);
            FloatVector e1 = (FloatVector) FLOATS.fromArray(p, e + k + 1);
            FloatVector o0 = (FloatVector) FLOATS.fromArray(p, o + k);
            FloatVector o1 = (FloatVector) FLOATS.fromArray(p, o + k + 1);
            FloatVector f0 = (FloatVector) FLOATS.fromArray(p, e + q);
            FloatVector f1 = (FloatVector) FLOATS.fromArray(p, e + q + 1);
            FloatVector g0 = (FloatVector) FLOATS.fromArray(p, o + q);
            FloatVector g1 = (FloatVector) FLOATS.fromArray(p, o + q + 1);
            int t = at + k;
            e0.sub(e1).sub(f0.sub(f1)).intoArray(v, t);
            o0.add(e1).sub(g0.add(f1)).intoArray(v, t + stride);
            e1.sub(o0).sub(f1.sub(g0)).intoArray(v, t + 2 * stride);
            o0.sub(o1).sub(g0.sub(g1)).intoArray(v, t + 3 * stride);
        }
    }

    /** The second and third rows of points: h1 + h2 and h2 - h1. */
    private static void middle(float[] p, int s, int row, int count, float[] v, int at, int stride) {
        int p0 = 0;
        int p1 = s;
        int p2 = 2 * s;
        int p3 = 3 * s;
        for (int k = 0; k < count; k += LANES) {
            int q = k + row;
            FloatVector e0 = (FloatVector) FLOATS.fromArray(p, p2 + k);
            FloatVector e1 = (FloatVector) FLOATS.fromArray(p, p2 + k + 1);
            FloatVector o0 = (FloatVector) FLOATS.fromArray(p, p3 + k);
            FloatVector o1 = (FloatVector) FLOATS.fromArray(p, p3 + k + 1);
            FloatVector h10 = e0.sub(e1);
            FloatVector h11 = o0.add(e1);
            FloatVector h12 = e1.sub(o0);
            FloatVector h13 = o0.sub(o1);
            e0 = (FloatVector) FLOATS.fromArray(p, p0 + q);
            e1 = (FloatVector) FLOATS.fromArray(p, p0 + q + 1);
            o0 = (FloatVector) FLOATS.fromArray(p, p1 + q);
            o1 = (FloatVector) FLOATS.fromArray(p, p1 + q + 1);
            FloatVector h20 = e0.sub(e1);
            FloatVector h21 = o0.add(e1);
            FloatVector h22 = e1.sub(o0);
            FloatVector h23 = o0.sub(o1);
            int t = at + k;
            h10.add(h20).intoArray(v, t + 4 * stride);
            h11.add(h21).intoArray(v, t + 5 * stride);
            h12.add(h22).intoArray(v, t + 6 * stride);
            h13.add(h23).intoArray(v, t + 7 * stride);
            h20.sub(h10).intoArray(v, t + 8 * stride);
            h21.sub(h11).intoArray(v, t + 9 * stride);
            h22.sub(h12).intoArray(v, t + 10 * stride);
            h23.sub(h13).intoArray(v, t + 11 * stride);
        }
    }


    /**
     * The output transform of tiles [0, count) in whole vectors, the last one past count, as for
     * the input; in two passes, the upper row's outputs then the lower row's.
     * NOTE: two passes: in one, C2 left the last store boxed (its inlining ran out of budget).
     */
    static int output(float[] m, int at, int stride, int count, float b, float[] out, int ld) {
        if (LANES > WinogradTransforms.PAD) {
            return 0;
        }
        upper(m, at, stride, count, b, out, ld);
        lower(m, at, stride, count, b, out, ld);
        return count;
    }

    /** The upper output row of each tile: the first three rows of points summed, then across. */
    private static void upper(float[] m, int at, int stride, int count, float b, float[] out, int ld) {
        FloatVector bias = FloatVector.broadcast(FLOATS, b);
        for (int j = 0; j < count; j += LANES) {
            int p = at + j;
            FloatVector m1 = ((FloatVector) FLOATS.fromArray(m, p + 4 * stride));
            FloatVector m2 = ((FloatVector) FLOATS.fromArray(m, p + 8 * stride));
            FloatVector s00 = ((FloatVector) FLOATS.fromArray(m, p)).add(m1).add(m2);
            m1 = ((FloatVector) FLOATS.fromArray(m, p + 5 * stride));
            m2 = ((FloatVector) FLOATS.fromArray(m, p + 9 * stride));
            FloatVector s01 = ((FloatVector) FLOATS.fromArray(m, p + stride)).add(m1).add(m2);
            m1 = ((FloatVector) FLOATS.fromArray(m, p + 6 * stride));
            m2 = ((FloatVector) FLOATS.fromArray(m, p + 10 * stride));
            FloatVector s02 = ((FloatVector) FLOATS.fromArray(m, p + 2 * stride)).add(m1).add(m2);
            m1 = ((FloatVector) FLOATS.fromArray(m, p + 7 * stride));
            m2 = ((FloatVector) FLOATS.fromArray(m, p + 11 * stride));
            FloatVector s03 = ((FloatVector) FLOATS.fromArray(m, p + 3 * stride)).add(m1).add(m2);
            s00.add(s01).add(s02).add(bias).intoArray(out, j);
            s01.sub(s02).sub(s03).add(bias).intoArray(out, ld + j);
        }
    }

    /** The lower output row of each tile: rows 1 - 2 - 3 of points, then across. */
    private static void lower(float[] m, int at, int stride, int count, float b, float[] out, int ld) {
        FloatVector bias = FloatVector.broadcast(FLOATS, b);
        for (int j = 0; j < count; j += LANES) {
            int p = at + j;
            FloatVector m1 = ((FloatVector) FLOATS.fromArray(m, p + 4 * stride));
            FloatVector m2 = ((FloatVector) FLOATS.fromArray(m, p + 8 * stride));
            FloatVector s10 = m1.sub(m2).sub(((FloatVector) FLOATS.fromArray(m, p + 12 * stride)));
            m1 = ((FloatVector) FLOATS.fromArray(m, p + 5 * stride));
            m2 = ((FloatVector) FLOATS.fromArray(m, p + 9 * stride));
            FloatVector s11 = m1.sub(m2).sub(((FloatVector) FLOATS.fromArray(m, p + 13 * stride)));
            m1 = ((FloatVector) FLOATS.fromArray(m, p + 6 * stride));
            m2 = ((FloatVector) FLOATS.fromArray(m, p + 10 * stride));
            FloatVector s12 = m1.sub(m2).sub(((FloatVector) FLOATS.fromArray(m, p + 14 * stride)));
            m1 = ((FloatVector) FLOATS.fromArray(m, p + 7 * stride));
            m2 = ((FloatVector) FLOATS.fromArray(m, p + 11 * stride));
            FloatVector s13 = m1.sub(m2).sub(((FloatVector) FLOATS.fromArray(m, p + 15 * stride)));
            s10.add(s11).add(s12).add(bias).intoArray(out, 2 * ld + j);
            s11.sub(s12).sub(s13).add(bias).intoArray(out, 3 * ld + j);
        }
    }

    /**
     * The output gradient's transform of tiles [0, count) in whole vectors, the last one past count;
     * in two passes, the first two rows of points, then the last two.
     * NOTE: two passes that each load and transform the blocks along their rows again: one loop of
     * all 16 stores is the size at which C2 left the input transform's stores boxed.
     */
    static int gradient(float[] p, int s, int count, float[] v, int at, int stride) {
        if (LANES > WinogradTransforms.PAD) {
            return 0;
        }
        gradientTop(p, s, count, v, at, stride);
        gradientBottom(p, s, count, v, at, stride);
        return count;
    }

    private static void gradientTop(float[] p, int s, int count, float[] v, int at, int stride) {
        FloatVector half = FloatVector.broadcast(FLOATS, 0.5f);
        for (int k = 0; k < count; k += LANES) {
            FloatVector g00 = (FloatVector) FLOATS.fromArray(p, k);
            FloatVector g01 = (FloatVector) FLOATS.fromArray(p, s + k);
            FloatVector g10 = (FloatVector) FLOATS.fromArray(p, 2 * s + k);
            FloatVector g11 = (FloatVector) FLOATS.fromArray(p, 3 * s + k);
            FloatVector a1 = g00.add(g01).mul(half);
            FloatVector a2 = g00.sub(g01).mul(half);
            FloatVector a3 = g01.neg();
            FloatVector b1 = g10.add(g11).mul(half);
            FloatVector b2 = g10.sub(g11).mul(half);
            FloatVector b3 = g11.neg();
            int t = at + k;
            g00.intoArray(v, t);
            a1.intoArray(v, t + stride);
            a2.intoArray(v, t + 2 * stride);
            a3.intoArray(v, t + 3 * stride);
            g00.add(g10).mul(half).intoArray(v, t + 4 * stride);
            a1.add(b1).mul(half).intoArray(v, t + 5 * stride);
            a2.add(b2).mul(half).intoArray(v, t + 6 * stride);
            a3.add(b3).mul(half).intoArray(v, t + 7 * stride);
        }
    }

    private static void gradientBottom(float[] p, int s, int count, float[] v, int at, int stride) {
        FloatVector half = FloatVector.broadcast(FLOATS, 0.5f);
        for (int k = 0; k < count; k += LANES) {
            FloatVector g00 = (FloatVector) FLOATS.fromArray(p, k);
            FloatVector g01 = (FloatVector) FLOATS.fromArray(p, s + k);
            FloatVector g10 = (FloatVector) FLOATS.fromArray(p, 2 * s + k);
            FloatVector g11 = (FloatVector) FLOATS.fromArray(p, 3 * s + k);
            FloatVector a1 = g00.add(g01).mul(half);
            FloatVector a2 = g00.sub(g01).mul(half);
            FloatVector a3 = g01.neg();
            FloatVector b1 = g10.add(g11).mul(half);
            FloatVector b2 = g10.sub(g11).mul(half);
            FloatVector b3 = g11.neg();
            int t = at + k;
            g00.sub(g10).mul(half).intoArray(v, t + 8 * stride);
            a1.sub(b1).mul(half).intoArray(v, t + 9 * stride);
            a2.sub(b2).mul(half).intoArray(v, t + 10 * stride);
            a3.sub(b3).mul(half).intoArray(v, t + 11 * stride);
            g10.neg().intoArray(v, t + 12 * stride);
            b1.neg().intoArray(v, t + 13 * stride);
            b2.neg().intoArray(v, t + 14 * stride);
            b3.neg().intoArray(v, t + 15 * stride);
        }
    }

    /**
     * Pairs of floats as long lanes (little-endian lane order on every platform, as in
     * {@link VectorPoolLoops}): the first of each pair is the low half, the second the high half.
     * A vector of pairs at a time; the last one's floats past the row are zeroed before the split,
     * and each store's upper half is zeros (the narrowed pairs fill the lower half), so what it
     * writes past each run is zeros.
     */
    static int pairs(float[] x, int src, int w, float[] sub, int low, int high) {
        int count = (w + 1) >> 1;
        if (!PAIRED || src + 2 * (count - 1) + LANES > x.length) {
            return 0;
        }
        for (int m = 0; m < count; m += PAIR_LANES) {
            // the floats past the row's end read as zeros: KEEP's -1s end after its first LANES
            int keep = LANES - Math.min(LANES, w - 2 * m);
            IntVector bits = ((IntVector) ((FloatVector) FLOATS.fromArray(x, src + 2 * m)).reinterpretShape(INTS, 0))
                    .and((IntVector) INTS.fromArray(KEEP, keep));
            LongVector v = (LongVector) bits.reinterpretShape(PAIRS, 0);
            ((FloatVector) v.convertShape(VectorOperators.L2I, INTS, 0).reinterpretShape(FLOATS, 0)).intoArray(sub, low + m);
            LongVector second = v.lanewise(VectorOperators.LSHR, 32);
            ((FloatVector) second.convertShape(VectorOperators.L2I, INTS, 0).reinterpretShape(FLOATS, 0)).intoArray(sub, high + m);
        }
        return count;
    }

    /**
     * The scatter of one row of tiles: the outputs (0, 0) and (0, 1) of a half vector of tiles
     * widened into pairs, low and high halves of long lanes, then stored as floats; then the lower
     * row from (1, 0) and (1, 1).
     */
    static int scatter(float[] out, int j0, int ld, float[] y, int dst, int ow, int tiles) {
        int last = (tiles - 1) / PAIR_LANES * PAIR_LANES;
        // each row's stores stay within 2 ow floats of its start
        if (!PAIRED || tiles < 1 || 2 * last + LANES > 2 * ow) {
            return 0;
        }
        for (int row = 0; row < 2; row++) {
            int a = j0 + 2 * row * ld;
            int at = dst + row * ow;
            for (int t = 0; t < tiles; t += PAIR_LANES) {
                LongVector first = (LongVector) ((FloatVector) FLOATS.fromArray(out, a + t)).reinterpretShape(INTS, 0)
                        .convertShape(VectorOperators.I2L, PAIRS, 0);
                LongVector second = (LongVector) ((FloatVector) FLOATS.fromArray(out, a + ld + t)).reinterpretShape(INTS, 0)
                        .convertShape(VectorOperators.I2L, PAIRS, 0);
                LongVector both = first.and(0xFFFFFFFFL).or(second.lanewise(VectorOperators.LSHL, 32));
                ((FloatVector) both.reinterpretShape(FLOATS, 0)).intoArray(y, at + 2 * t);
            }
        }
        return tiles;
    }

    private static int[] keep() {
        int[] keep = new int[2 * LANES];
        java.util.Arrays.fill(keep, 0, LANES, -1);
        return keep;
    }
}
