package dev.adjoint.core.kernel;

/**
 * Kernels that reduce along axes: sums down to a broadcast-compatible shape and the sum of squared
 * differences with its gradient (the extremes along an axis are in {@link AxisKernels}, softmax in
 * {@link SoftmaxKernels}).
 *
 * <p>Long reductions split over threads ({@link Parallel}) without changing a bit: a sum of a whole
 * array adds fixed blocks in order, and a bias gradient adds fixed blocks of rows, then the blocks'
 * sums in order (rows of more than 1,024 columns: all rows in order, split by columns).
 */
public final class ReduceKernels {
    private ReduceKernels() {
    }

    /**
     * Sums {@code x} down to {@code target}, a shape that broadcasts to {@code x}'s shape (the reverse
     * of {@link NDArray#expand}): leading axes are summed away, axes where target has 1 are summed.
     *
     * <p>A float32 {@code x} is summed in float64 (each element widened exactly) and rounded once:
     * the result is the float64 sum of the same elements rounded to float32, so its error is at most
     * half a float32 ulp plus the float64 sum's error, and it does not depend on the thread count.
     */
    public static NDArray sumTo(NDArray x, int[] target) {
        int rank = x.shape.length;
        int lead = rank - target.length;
        // float32 sums in float64 (each row widened exactly) and rounds once at the end: the float64
        // result rounded, bit for bit
        double[] r = new double[Shapes.size(target)];
        if (x.size == 0) {
            return result(r, target, x);
        }
        if (r.length == 1) {
            NDArray c = x.contiguous();
            r[0] = c.floats != null ? sumAll(c.floats, c.offset, c.size) : sumAll(c.data, c.offset, c.size);
            return result(r, target, x);
        }
        if (x.isContiguous() && lastAxisKeptOnly(x.shape, target)) {
            // [..., n] -> [n] or [1, ..., 1, n]: a bias gradient (also of a layer applied to each
            // position of a sequence), or sum(0) of a matrix kept as [1, n]
            int n = x.shape[rank - 1];
            BiasGradients.sum(rank == 2 ? x : x.reshape(new int[] {x.size / n, n}), r);
            return result(r, target, x);
        }
        if (lead == 0 && x.isContiguous() && summedLastAxisOnly(x.shape, target)) {
            // [..., n] -> [..., 1]: one sum per row, rows split over threads
            int n = x.shape[rank - 1];
            Parallel.forRange(r.length, 1, n, (first, last) -> {
                for (int row = first; row < last; row++) {
                    int p = x.offset + row * n;
                    r[row] = sum(x, p, n);
                }
            });
            return result(r, target, x);
        }
        int axis = keptAxis(x.shape, target);
        if (axis >= 0 && x.isContiguous() && inner(x.shape, axis) >= MIN_CHANNEL_RUN) {
            // [outer, c, inner] -> [c], a convolution's bias gradient: per channel, the sums of its
            // runs of inner elements added in order of the outer index; channels split over threads
            int channels = x.shape[axis];
            int inner = inner(x.shape, axis);
            int outer = x.size / (channels * inner);
            Parallel.forRange(channels, 1, (long) outer * inner, (first, last) -> {
                for (int ch = first; ch < last; ch++) {
                    double s = 0;
                    for (int o = 0; o < outer; o++) {
                        int p = x.offset + (o * channels + ch) * inner;
                        double v = sum(x, p, inner);
                        s = o == 0 ? v : s + v;
                    }
                    r[ch] = s;
                }
            });
            return result(r, target, x);
        }
        // Stride of each x axis within the result: 0 where the axis is summed.
        int[] rStrides = new int[rank];
        int[] tStrides = Shapes.contiguousStrides(target);
        for (int i = lead; i < rank; i++) {
            rStrides[i] = target[i - lead] == 1 && x.shape[i] != 1 ? 0 : tStrides[i - lead];
        }
        NDArray c = x.contiguous();
        int[] counter = new int[rank];
        int inner = x.shape[rank - 1];
        Rows rows = new Rows(c, inner);
        int rsInner = rStrides[rank - 1];
        int pr = 0;
        int pa = c.offset;
        for (int done = 0; done < c.size; done += inner) {
            double[] a = rows.widened(pa, inner);
            int p = rows.offset(pa);
            if (rsInner == 0) {
                r[pr] += sum(a, p, inner);
            } else {
                for (int i = 0; i < inner; i++) {
                    r[pr + i] += a[p + i];
                }
            }
            pa += inner;
            for (int d = rank - 2; d >= 0; d--) {
                if (++counter[d] < x.shape[d]) {
                    pr += rStrides[d];
                    break;
                }
                pr -= rStrides[d] * (x.shape[d] - 1);
                counter[d] = 0;
            }
        }
        return result(r, target, x);
    }

    /** The elements of one index of {@code axis}: the product of the later axes. */
    private static int inner(int[] shape, int axis) {
        int n = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            n *= shape[i];
        }
        return n;
    }

    /** Runs shorter than this take the general loop: a call per run would cost more than it adds. */
    private static final int MIN_CHANNEL_RUN = 8;

    /**
     * The axis of {@code shape} that {@code target} keeps when it keeps exactly one, whole, and sums
     * every other (all other target axes 1); else -1.
     */
    private static int keptAxis(int[] shape, int[] target) {
        int lead = shape.length - target.length;
        int kept = -1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] != 1) {
                if (kept >= 0 || target[i] != shape[lead + i]) {
                    return -1;
                }
                kept = lead + i;
            }
        }
        return kept;
    }

    /**
     * Whether {@code target} keeps the last axis of {@code shape} (of rank 2 or more) and sums every
     * other: its last length that axis's, every other length 1.
     */
    private static boolean lastAxisKeptOnly(int[] shape, int[] target) {
        int rank = shape.length;
        if (rank < 2 || target.length == 0 || target.length > rank || target[target.length - 1] != shape[rank - 1]) {
            return false;
        }
        for (int i = 0; i < target.length - 1; i++) {
            if (target[i] != 1) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code target} is {@code shape} with its last axis (longer than 1) summed to 1. */
    private static boolean summedLastAxisOnly(int[] shape, int[] target) {
        int last = shape.length - 1;
        if (last < 0 || target.length != shape.length || target[last] != 1 || shape[last] == 1) {
            return false;
        }
        for (int d = 0; d < last; d++) {
            if (target[d] != shape[d]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The sum of n consecutive elements from {@code from}: {@link #sum(double[], int, int)} of each
     * block of {@link Parallel#SUM_BLOCK}, the block sums added in order; the same bits on any
     * number of threads.
     */
    static double sumAll(double[] a, int from, int n) {
        return Parallel.sum(n, new ArraySums(a, null, from));
    }

    /** {@link #sumAll(double[], int, int)} of float32 elements, each widened exactly: the same bits as on a widened copy. */
    static double sumAll(float[] a, int from, int n) {
        return Parallel.sum(n, new ArraySums(null, a, from));
    }

    /**
     * {@link #sumAll}'s blocks of either dtype, each {@link #sum(double[], int, int)}'s rule written
     * out. NOTE: a class calling the kernel itself, not a lambda calling {@code sum} (three calls
     * instead of one): the kernel's vector operations must stay within C2's inlining depth below
     * {@link Parallel}'s split loop (see {@code Parallel.Split.claimParts}).
     */
    private static final class ArraySums implements Parallel.Block {
        private final double[] data;
        private final float[] floats;
        private final int from;

        /** Over {@code data}, or over {@code floats} where data is null. */
        ArraySums(double[] data, float[] floats, int from) {
            this.data = data;
            this.floats = floats;
            this.from = from;
        }

        @Override
        public double sum(int start, int end) {
            int n = end - start;
            int p = from + start;
            if (data != null) {
                return n >= MathKernel.MIN_LENGTH ? KernelProvider.math().sum(data, p, n) : sumInLanes(data, p, n);
            }
            return n >= MathKernel.MIN_LENGTH ? KernelProvider.math().sum(floats, p, n) : sumInLanes(floats, p, n);
        }
    }

    /** A float64 sum as an array of {@code shape} in the dtype of {@code like}. */
    private static NDArray result(double[] r, int[] shape, NDArray like) {
        NDArray wide = NDArray.wrap(r, shape.clone());
        return like.floats != null ? wide.toFloat32() : wide;
    }

    /**
     * Rows of a contiguous array as float64: a float64 array's own data in place, a float32 one's
     * widened (exactly) into one reused buffer, so that one loop serves both dtypes.
     */
    static final class Rows {
        private final double[] data;
        private final float[] floats;
        private final double[] buffer;

        Rows(NDArray c, int length) {
            data = c.data;
            floats = c.floats;
            buffer = floats == null ? null : new double[length];
        }

        /** The array holding the n elements from p, at {@link #offset(int)}; valid until the next call. */
        double[] widened(int p, int n) {
            if (floats == null) {
                return data;
            }
            FloatBlocks.widen(floats, p, 1, buffer, n);
            return buffer;
        }

        /** Where the row from p starts in the array {@link #widened} returned. */
        int offset(int p) {
            return floats == null ? p : 0;
        }
    }

    /** The dot product of {@code n} consecutive elements of a and b, with four running sums. */
    static double dot(double[] a, int pa, double[] b, int pb, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < n; j += 4) {
            s0 += a[pa + j] * b[pb + j];
            s1 += a[pa + j + 1] * b[pb + j + 1];
            s2 += a[pa + j + 2] * b[pb + j + 2];
            s3 += a[pa + j + 3] * b[pb + j + 3];
        }
        for (; j < n; j++) {
            s0 += a[pa + j] * b[pb + j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** The running sums of {@link #sumInLanes}: element i of a run goes to sum {@code i % SUM_LANES}. */
    static final int SUM_LANES = 16;

    /**
     * The sum of {@code n} consecutive elements of x's buffer from {@code from}, as {@link #sumInLanes}
     * adds them: a float32 buffer's elements widened one by one in the sum, with no widened copy.
     */
    private static double sum(NDArray x, int from, int n) {
        return x.floats != null ? sum(x.floats, from, n) : sum(x.data, from, n);
    }

    /**
     * The sum of {@code n} consecutive elements from {@code from}: runs of at least
     * {@link MathKernel#MIN_LENGTH} on the math kernel, shorter ones here, both as
     * {@link #sumInLanes} (the same bits).
     */
    static double sum(double[] a, int from, int n) {
        return n >= MathKernel.MIN_LENGTH ? KernelProvider.math().sum(a, from, n) : sumInLanes(a, from, n);
    }

    /**
     * The sum of {@code n} consecutive elements from {@code from} in {@link #SUM_LANES} running sums,
     * element i going to sum {@code i % 16}, combined by {@link #finishLanes}: independent additions
     * keep the adder busy (one running sum waits on each addition's latency), and the vector kernel
     * runs the same additions in two 8-lane vectors or four 4-lane ones, so both give these bits.
     */
    static double sumInLanes(double[] a, int from, int n) {
        // locals, not an array: HotSpot keeps them in registers
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        double s8 = 0, s9 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0, s15 = 0;
        int i = 0;
        for (; i + SUM_LANES <= n; i += SUM_LANES) {
            int p = from + i;
            s0 += a[p];
            s1 += a[p + 1];
            s2 += a[p + 2];
            s3 += a[p + 3];
            s4 += a[p + 4];
            s5 += a[p + 5];
            s6 += a[p + 6];
            s7 += a[p + 7];
            s8 += a[p + 8];
            s9 += a[p + 9];
            s10 += a[p + 10];
            s11 += a[p + 11];
            s12 += a[p + 12];
            s13 += a[p + 13];
            s14 += a[p + 14];
            s15 += a[p + 15];
        }
        // finishLanes on the locals (no array per call: a small tensor's sum is all overhead),
        // the same additions in the same order: the tail's element j to sum j, then the tree
        int p = from + i;
        int rest = n - i;
        if (rest > 0) {
            s0 += a[p];
            if (rest > 1) {
                s1 += a[p + 1];
            }
            if (rest > 2) {
                s2 += a[p + 2];
            }
            if (rest > 3) {
                s3 += a[p + 3];
            }
            if (rest > 4) {
                s4 += a[p + 4];
            }
            if (rest > 5) {
                s5 += a[p + 5];
            }
            if (rest > 6) {
                s6 += a[p + 6];
            }
            if (rest > 7) {
                s7 += a[p + 7];
            }
            if (rest > 8) {
                s8 += a[p + 8];
            }
            if (rest > 9) {
                s9 += a[p + 9];
            }
            if (rest > 10) {
                s10 += a[p + 10];
            }
            if (rest > 11) {
                s11 += a[p + 11];
            }
            if (rest > 12) {
                s12 += a[p + 12];
            }
            if (rest > 13) {
                s13 += a[p + 13];
            }
            if (rest > 14) {
                s14 += a[p + 14];
            }
        }
        s0 += s8;
        s1 += s9;
        s2 += s10;
        s3 += s11;
        s4 += s12;
        s5 += s13;
        s6 += s14;
        s7 += s15;
        s0 += s4;
        s1 += s5;
        s2 += s6;
        s3 += s7;
        s0 += s2;
        s1 += s3;
        return s0 + s1;
    }

    /** A term of {@link #dotInLanes}: {@code x y}, or {@code (x - y)^2} for a squared distance. */
    static double term(double x, double y, boolean difference) {
        if (difference) {
            double d = x - y;
            return d * d;
        }
        return x * y;
    }

    /**
     * The sum of {@code a[ao + i] * b[bo + i]} (or, for a squared distance, of
     * {@code (a[ao + i] - b[bo + i])^2}) in {@link #SUM_LANES} running sums, term i
     * (rounded, then added) going to sum {@code i % 16}, combined as {@link #finishLanes}
     * combines them.
     */
    static double dotInLanes(double[] a, int ao, double[] b, int bo, int n, boolean difference) {
        int lanes = SUM_LANES;
        double[] s = new double[lanes];
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            for (int k = 0; k < lanes; k++) {
                s[k] += term(a[ao + i + k], b[bo + i + k], difference);
            }
        }
        return finishDot(s, a, ao + i, b, bo + i, n - i, difference);
    }

    /** {@link #dotInLanes(double[], int, double[], int, int, boolean)} of floats, each widened as it is read. */
    static double dotInLanes(float[] a, int ao, float[] b, int bo, int n, boolean difference) {
        return finishDot(new double[SUM_LANES], a, ao, b, bo, n, difference);
    }

    /**
     * Adds the next {@code rest} terms of floats (any number) to the running sums, term j to sum
     * j % 16, and combines them ({@link #combineLanes}).
     */
    static double finishDot(double[] s, float[] a, int ao, float[] b, int bo, int rest, boolean difference) {
        for (int j = 0; j < rest; j++) {
            // SUM_LANES is a power of two
            s[j & (SUM_LANES - 1)] += term(a[ao + j], b[bo + j], difference);
        }
        return combineLanes(s);
    }

    /** Adds the last {@code rest} (< 16) terms to the running sums and combines them ({@link #combineLanes}). */
    static double finishDot(double[] s, double[] a, int ao, double[] b, int bo, int rest, boolean difference) {
        for (int j = 0; j < rest; j++) {
            s[j] += term(a[ao + j], b[bo + j], difference);
        }
        return combineLanes(s);
    }

    /**
     * Adds the last {@code rest} (fewer than {@link #SUM_LANES}) elements from {@code p} to the
     * running sums, element j to sum j, and combines them: sum k with sum k + 8, then k + 4, k + 2,
     * k + 1.
     */
    static double finishLanes(double[] s, double[] a, int p, int rest) {
        for (int j = 0; j < rest; j++) {
            s[j] += a[p + j];
        }
        return combineLanes(s);
    }

    /** Combines the running sums as {@link #finishLanes} does: sum k with sum k + 8, then k + 4, k + 2, k + 1. */
    static double combineLanes(double[] s) {
        for (int width = SUM_LANES / 2; width > 0; width /= 2) {
            for (int k = 0; k < width; k++) {
                s[k] += s[k + width];
            }
        }
        return s[0];
    }

    /**
     * {@link #sum(double[], int, int)} of float32 elements, each widened exactly: the same
     * operations in the same order, so the same bits as on a widened copy (a test holds the twins
     * together).
     */
    static double sum(float[] a, int from, int n) {
        return n >= MathKernel.MIN_LENGTH ? KernelProvider.math().sum(a, from, n) : sumInLanes(a, from, n);
    }

    /** {@link #sumInLanes(double[], int, int)} of floats, each widened as it is added. */
    static double sumInLanes(float[] a, int from, int n) {
        // locals, not an array: HotSpot keeps them in registers (as sumInLanes)
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        double s8 = 0, s9 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0, s15 = 0;
        int i = 0;
        for (; i + SUM_LANES <= n; i += SUM_LANES) {
            int p = from + i;
            s0 += a[p];
            s1 += a[p + 1];
            s2 += a[p + 2];
            s3 += a[p + 3];
            s4 += a[p + 4];
            s5 += a[p + 5];
            s6 += a[p + 6];
            s7 += a[p + 7];
            s8 += a[p + 8];
            s9 += a[p + 9];
            s10 += a[p + 10];
            s11 += a[p + 11];
            s12 += a[p + 12];
            s13 += a[p + 13];
            s14 += a[p + 14];
            s15 += a[p + 15];
        }
        double[] s = {s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15};
        for (int j = 0; i + j < n; j++) {
            s[j] += a[from + i + j];
        }
        return combineLanes(s);
    }

    /**
     * {@code sum((a - b)^2)} over arrays of equal shape, in float64 (float32 elements widened
     * exactly, so a float32 pair gives the bits of its widened copies): the squares of each block of
     * {@link FloatBlocks#BLOCK} elements summed in lanes ({@link MathKernel#squaredDistance}, the bits
     * of {@link #sum(double[], int, int)} of the squares), the blocks' sums added in order within
     * each of {@link Parallel#sum}'s fixed blocks. The additions
     * are independent of the thread count, and independent of each other enough to keep the adder
     * busy (one running sum waited on each addition).
     */
    public static double sumSquaredDifference(NDArray a, NDArray b) {
        if ((a.floats != null) != (b.floats != null)) {
            return sumSquaredDifference(a.toFloat64(), b.toFloat64());
        }
        NDArray ca = a.contiguous();
        NDArray cb = b.contiguous();
        return Parallel.sum(ca.size, new SquaredDifferences(ca, cb));
    }

    /**
     * {@link #sumSquaredDifference}'s blocks, a class as {@link ArraySums}: the sum of
     * {@code (a - b)^2} over elements [from, to) of two contiguous arrays of one dtype, each
     * {@link FloatBlocks#BLOCK} elements a {@link MathKernel#squaredDistance}, in order.
     */
    private static final class SquaredDifferences implements Parallel.Block {
        private final NDArray ca;
        private final NDArray cb;

        SquaredDifferences(NDArray ca, NDArray cb) {
            this.ca = ca;
            this.cb = cb;
        }

        @Override
        public double sum(int from, int to) {
            double s = 0;
            for (int start = from; start < to; start += FloatBlocks.BLOCK) {
                int len = Math.min(FloatBlocks.BLOCK, to - start);
                MathKernel k = KernelProvider.exactFor(len);
                s += ca.floats != null
                        ? k.squaredDistance(ca.floats, ca.offset + start, cb.floats, cb.offset + start, len)
                        : k.squaredDistance(ca.data, ca.offset + start, cb.data, cb.offset + start, len);
            }
            return s;
        }
    }

    /**
     * {@code c (a - b)} elementwise over arrays of equal shape ({@link MathKernel#scaledDifference});
     * a float32 pair gives the float64 result on its widened elements, rounded once.
     */
    public static NDArray scaledDifference(double c, NDArray a, NDArray b) {
        if ((a.floats != null) != (b.floats != null)) {
            return scaledDifference(c, a.toFloat64(), b.toFloat64()).toFloat32();
        }
        NDArray ca = a.contiguous();
        NDArray cb = b.contiguous();
        int p = ca.offset;
        int q = cb.offset;
        if (ca.floats != null) {
            float[] x = ca.floats;
            float[] y = cb.floats;
            float[] r = Buffers.uninitializedFloats(ca.size);
            Parallel.forRange(r.length, FloatBlocks.BLOCK, (from, to) ->
                    KernelProvider.exactFor(to - from).scaledDifference(c, x, p + from, y, q + from, r, from, to - from));
            return NDArray.wrapLike(r, ca);
        }
        double[] x = ca.data;
        double[] y = cb.data;
        double[] r = Buffers.uninitialized(ca.size);
        Parallel.forRange(r.length, FloatBlocks.BLOCK, (from, to) ->
                KernelProvider.exactFor(to - from).scaledDifference(c, x, p + from, y, q + from, r, from, to - from));
        return NDArray.wrapLike(r, ca);
    }
}
