package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link VectorMathKernel}'s sums and dot products: the sixteen running sums of
 * {@link ReduceKernels#sumInLanes} (element i into sum i % 16, combined by
 * {@link ReduceKernels#finishLanes}) held in vectors, two of 8 lanes or four of 4, so that the
 * vector and scalar kernels give the same bits. Other widths take the scalar loops.
 */
final class VectorSums {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Floats of {@link #SPECIES}'s shape (twice its lanes), for sums of floats widened by part-0 casts. */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

    private VectorSums() {
    }

    /**
     * A term of a dot product, {@code x y}, or of a squared distance, {@code (x - y)^2}: each the
     * Java expression's roundings (no fused multiply-add), as {@link ReduceKernels#term}.
     */
    private static DoubleVector term(DoubleVector x, DoubleVector y, boolean difference) {
        if (difference) {
            DoubleVector d = x.sub(y);
            return d.mul(d);
        }
        return x.mul(y);
    }

    /**
     * {@link MathKernel#dot} (or, with {@code difference}, {@link MathKernel#squaredDistance}):
     * terms rounded, then added into the sixteen running sums.
     */
    static double dot(double[] a, int ao, double[] b, int bo, int n, boolean difference) {
        int lanes = ReduceKernels.SUM_LANES;
        if (LANES == 4) {
            return dotInQuarters(a, ao, b, bo, n, difference);
        }
        if (LANES != 8) {
            return ReduceKernels.dotInLanes(a, ao, b, bo, n, difference);
        }
        // running sum k of the definition is lane k % 8 of vector k / 8, stored in the loop's last turn
        double[] sums = new double[lanes];
        DoubleVector low = DoubleVector.zero(SPECIES);
        DoubleVector high = DoubleVector.zero(SPECIES);
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            low = term((DoubleVector) SPECIES.fromArray(a, ao + i), (DoubleVector) SPECIES.fromArray(b, bo + i), difference).add(low);
            high = term((DoubleVector) SPECIES.fromArray(a, ao + i + 8), (DoubleVector) SPECIES.fromArray(b, bo + i + 8), difference).add(high);
            if (i + 2 * lanes > n) {
                low.intoArray(sums, 0);
                high.intoArray(sums, 8);
            }
        }
        return ReduceKernels.finishDot(sums, a, ao + i, b, bo + i, n - i, difference);
    }

    /**
     * {@link #dot} on 4-lane vectors (AVX2): running sum k is lane k % 4 of vector k / 4, each
     * product rounded and then added as in {@link ReduceKernels#dotInLanes(double[], int, double[], int, int, boolean)}, so the same bits.
     */
    private static double dotInQuarters(double[] a, int ao, double[] b, int bo, int n, boolean difference) {
        int lanes = ReduceKernels.SUM_LANES;
        double[] sums = new double[lanes];
        DoubleVector s0 = DoubleVector.zero(SPECIES);
        DoubleVector s1 = s0;
        DoubleVector s2 = s0;
        DoubleVector s3 = s0;
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            s0 = term((DoubleVector) SPECIES.fromArray(a, ao + i), (DoubleVector) SPECIES.fromArray(b, bo + i), difference).add(s0);
            s1 = term((DoubleVector) SPECIES.fromArray(a, ao + i + 4), (DoubleVector) SPECIES.fromArray(b, bo + i + 4), difference).add(s1);
            s2 = term((DoubleVector) SPECIES.fromArray(a, ao + i + 8), (DoubleVector) SPECIES.fromArray(b, bo + i + 8), difference).add(s2);
            s3 = term((DoubleVector) SPECIES.fromArray(a, ao + i + 12), (DoubleVector) SPECIES.fromArray(b, bo + i + 12), difference).add(s3);
            if (i + 2 * lanes > n) {
                // stored in the loop's last turn: vector code after a loop can be left uncompiled
                s0.intoArray(sums, 0);
                s1.intoArray(sums, 4);
                s2.intoArray(sums, 8);
                s3.intoArray(sums, 12);
            }
        }
        return ReduceKernels.finishDot(sums, a, ao + i, b, bo + i, n - i, difference);
    }

    /**
     * {@link MathKernel#dot(float[], int, float[], int, int)} on 4-lane vectors (AVX2), each float
     * widened exactly by a part-0 cast as in {@link #sum(float[], int, int)}; on 8-lane vectors
     * (AVX-512) {@link #dotInHalves}; other widths widen both runs into scratch and take
     * {@link #dot(double[], int, double[], int, int, boolean)}.
     */
    static double dot(float[] a, int ao, float[] b, int bo, int n, boolean difference) {
        if (LANES == 8) {
            return dotInHalves(a, ao, b, bo, n, difference);
        }
        if (LANES != 4) {
            double[] w = Scratch.doubles(Scratch.MATH, 2 * n);
            VectorConversions.widen(a, ao, w, 0, n);
            VectorConversions.widen(b, bo, w, n, n);
            return dot(w, 0, w, n, n, difference);
        }
        // running sum k is lane k % 4 of vector k / 4; the last load of a turn reads four floats
        // past it, so the vector turns stop four short of the end
        int lanes = ReduceKernels.SUM_LANES;
        double[] sums = new double[lanes];
        DoubleVector s0 = DoubleVector.zero(SPECIES);
        DoubleVector s1 = s0;
        DoubleVector s2 = s0;
        DoubleVector s3 = s0;
        int i = 0;
        int bound = n - lanes - FLOATS.length() + 4;
        for (; i <= bound; i += lanes) {
            int p = ao + i;
            int q = bo + i;
            s0 = term((DoubleVector) ((FloatVector) FLOATS.fromArray(a, p)).castShape(SPECIES, 0),
                    (DoubleVector) ((FloatVector) FLOATS.fromArray(b, q)).castShape(SPECIES, 0), difference).add(s0);
            s1 = term((DoubleVector) ((FloatVector) FLOATS.fromArray(a, p + 4)).castShape(SPECIES, 0),
                    (DoubleVector) ((FloatVector) FLOATS.fromArray(b, q + 4)).castShape(SPECIES, 0), difference).add(s1);
            s2 = term((DoubleVector) ((FloatVector) FLOATS.fromArray(a, p + 8)).castShape(SPECIES, 0),
                    (DoubleVector) ((FloatVector) FLOATS.fromArray(b, q + 8)).castShape(SPECIES, 0), difference).add(s2);
            s3 = term((DoubleVector) ((FloatVector) FLOATS.fromArray(a, p + 12)).castShape(SPECIES, 0),
                    (DoubleVector) ((FloatVector) FLOATS.fromArray(b, q + 12)).castShape(SPECIES, 0), difference).add(s3);
            if (i + lanes > bound) {
                // stored in the loop's last turn: vector code after a loop can be left uncompiled
                s0.intoArray(sums, 0);
                s1.intoArray(sums, 4);
                s2.intoArray(sums, 8);
                s3.intoArray(sums, 12);
            }
        }
        // the last whole turns and the tail into the same running sums (i is a multiple of 16)
        return ReduceKernels.finishDot(sums, a, ao + i, b, bo + i, n - i, difference);
    }

    /**
     * {@link #dot(float[], int, float[], int, int, boolean)} on 8-lane vectors (AVX-512): running sum k is
     * lane k % 8 of vector k / 8, each float widened exactly by a part-0 cast of a whole float
     * vector (sixteen floats, of which the cast takes the first eight), the products rounded and
     * then added, as {@link ReduceKernels#dotInLanes(double[], int, double[], int, int, boolean)}: the same bits.
     */
    private static double dotInHalves(float[] a, int ao, float[] b, int bo, int n, boolean difference) {
        int lanes = ReduceKernels.SUM_LANES;
        double[] sums = new double[lanes];
        DoubleVector low = DoubleVector.zero(SPECIES);
        DoubleVector high = low;
        int i = 0;
        // the second load of a turn reads eight floats past it, so the vector turns stop eight short
        int bound = n - lanes - FLOATS.length() + LANES;
        for (; i <= bound; i += lanes) {
            int p = ao + i;
            int q = bo + i;
            low = term((DoubleVector) ((FloatVector) FLOATS.fromArray(a, p)).castShape(SPECIES, 0),
                    (DoubleVector) ((FloatVector) FLOATS.fromArray(b, q)).castShape(SPECIES, 0), difference).add(low);
            high = term((DoubleVector) ((FloatVector) FLOATS.fromArray(a, p + 8)).castShape(SPECIES, 0),
                    (DoubleVector) ((FloatVector) FLOATS.fromArray(b, q + 8)).castShape(SPECIES, 0), difference).add(high);
            if (i + lanes > bound) {
                // stored in the loop's last turn: vector code after a loop can be left uncompiled
                low.intoArray(sums, 0);
                high.intoArray(sums, 8);
            }
        }
        // the last whole turns and the tail into the same running sums (i is a multiple of 16)
        return ReduceKernels.finishDot(sums, a, ao + i, b, bo + i, n - i, difference);
    }

    /** {@link MathKernel#sum(double[], int, int)}. */
    static double sum(double[] a, int ao, int n) {
        int lanes = ReduceKernels.SUM_LANES;
        if (LANES == 4) {
            return sumInQuarters(a, ao, n);
        }
        if (LANES != 8) {
            return ReduceKernels.sumInLanes(a, ao, n);
        }
        // running sum k of the definition is lane k % 8 of vector k / 8, stored in the loop's last turn
        double[] sums = new double[lanes];
        DoubleVector low = DoubleVector.zero(SPECIES);
        DoubleVector high = DoubleVector.zero(SPECIES);
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            low = ((DoubleVector) SPECIES.fromArray(a, ao + i)).add(low);
            high = ((DoubleVector) SPECIES.fromArray(a, ao + i + 8)).add(high);
            if (i + 2 * lanes > n) {
                low.intoArray(sums, 0);
                high.intoArray(sums, 8);
            }
        }
        return ReduceKernels.finishLanes(sums, a, ao + i, n - i);
    }

    /**
     * {@link #sum(double[], int, int)} on 4-lane vectors (AVX2): running sum k is lane k % 4 of
     * vector k / 4, as in {@link #dotInQuarters}.
     */
    private static double sumInQuarters(double[] a, int ao, int n) {
        int lanes = ReduceKernels.SUM_LANES;
        double[] sums = new double[lanes];
        DoubleVector s0 = DoubleVector.zero(SPECIES);
        DoubleVector s1 = s0;
        DoubleVector s2 = s0;
        DoubleVector s3 = s0;
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            int p = ao + i;
            s0 = ((DoubleVector) SPECIES.fromArray(a, p)).add(s0);
            s1 = ((DoubleVector) SPECIES.fromArray(a, p + 4)).add(s1);
            s2 = ((DoubleVector) SPECIES.fromArray(a, p + 8)).add(s2);
            s3 = ((DoubleVector) SPECIES.fromArray(a, p + 12)).add(s3);
            if (i + 2 * lanes > n) {
                // stored in the loop's last turn: vector code after a loop can be left uncompiled
                s0.intoArray(sums, 0);
                s1.intoArray(sums, 4);
                s2.intoArray(sums, 8);
                s3.intoArray(sums, 12);
            }
        }
        return ReduceKernels.finishLanes(sums, a, ao + i, n - i);
    }

    /** {@link MathKernel#sum(float[], int, int)}: each float widened exactly, then added. */
    static double sum(float[] a, int ao, int n) {
        if (LANES == 8) {
            return sumInHalves(a, ao, n);
        }
        if (LANES != 4) {
            return ReduceKernels.sumInLanes(a, ao, n);
        }
        // running sum k is lane k % 4 of vector k / 4; each float vector load (eight floats) feeds
        // one exact conversion of its first four (part 0 only: see VectorConversions); the last load
        // of a turn reads four floats past it, so the vector turns stop four short of the end
        int lanes = ReduceKernels.SUM_LANES;
        double[] sums = new double[lanes];
        DoubleVector s0 = DoubleVector.zero(SPECIES);
        DoubleVector s1 = s0;
        DoubleVector s2 = s0;
        DoubleVector s3 = s0;
        int i = 0;
        int bound = n - lanes - FLOATS.length() + 4;
        for (; i <= bound; i += lanes) {
            int p = ao + i;
            s0 = ((DoubleVector) ((FloatVector) FLOATS.fromArray(a, p)).castShape(SPECIES, 0)).add(s0);
            s1 = ((DoubleVector) ((FloatVector) FLOATS.fromArray(a, p + 4)).castShape(SPECIES, 0)).add(s1);
            s2 = ((DoubleVector) ((FloatVector) FLOATS.fromArray(a, p + 8)).castShape(SPECIES, 0)).add(s2);
            s3 = ((DoubleVector) ((FloatVector) FLOATS.fromArray(a, p + 12)).castShape(SPECIES, 0)).add(s3);
            if (i + lanes > bound) {
                // stored in the loop's last turn: vector code after a loop can be left uncompiled
                s0.intoArray(sums, 0);
                s1.intoArray(sums, 4);
                s2.intoArray(sums, 8);
                s3.intoArray(sums, 12);
            }
        }
        // the last whole turns and the tail into the same running sums (SUM_LANES is a power of two)
        for (; i < n; i++) {
            sums[i & (lanes - 1)] += a[ao + i];
        }
        return ReduceKernels.combineLanes(sums);
    }

    /**
     * {@link #sum(float[], int, int)} on 8-lane vectors (AVX-512): running sum k is lane k % 8 of
     * vector k / 8, each float widened exactly by a part-0 cast, as {@link #dotInHalves}.
     */
    private static double sumInHalves(float[] a, int ao, int n) {
        int lanes = ReduceKernels.SUM_LANES;
        double[] sums = new double[lanes];
        DoubleVector low = DoubleVector.zero(SPECIES);
        DoubleVector high = low;
        int i = 0;
        int bound = n - lanes - FLOATS.length() + LANES;
        for (; i <= bound; i += lanes) {
            int p = ao + i;
            low = ((DoubleVector) ((FloatVector) FLOATS.fromArray(a, p)).castShape(SPECIES, 0)).add(low);
            high = ((DoubleVector) ((FloatVector) FLOATS.fromArray(a, p + 8)).castShape(SPECIES, 0)).add(high);
            if (i + lanes > bound) {
                // stored in the loop's last turn: vector code after a loop can be left uncompiled
                low.intoArray(sums, 0);
                high.intoArray(sums, 8);
            }
        }
        for (; i < n; i++) {
            sums[i & (lanes - 1)] += a[ao + i];
        }
        return ReduceKernels.combineLanes(sums);
    }
}
