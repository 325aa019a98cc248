package dev.adjoint.core.kernel;

import java.util.Arrays;

/**
 * Kernels that walk one axis at a time: the position of the extreme of each slice, the extremes
 * along an axis with their positions (and the gradient those give), the extreme of a whole array
 * with its ties, cumulative sums, and the index kernels (indexSelect and its adjoint
 * indexAdd, gather and its adjoint scatter). Axes are non-negative and indices in range: the ops
 * check them first.
 */
public final class AxisKernels {
    private AxisKernels() {
    }

    /** The product of the dimensions before {@code axis}. */
    static int outer(int[] shape, int axis) {
        int n = 1;
        for (int i = 0; i < axis; i++) {
            n *= shape[i];
        }
        return n;
    }

    /** The product of the dimensions after {@code axis}. */
    static int inner(int[] shape, int axis) {
        int n = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            n *= shape[i];
        }
        return n;
    }

    /** Whether {@code v} beats the best so far {@code best}: larger (smaller), or the first NaN. */
    private static boolean beats(double v, double best, boolean min) {
        return (min ? v < best : v > best) || (Double.isNaN(v) && !Double.isNaN(best));
    }

    /**
     * The step k in [0, len) of the first maximum (minimum) of the elements at {@code from + k step}
     * of a contiguous array, a NaN beating every number. Floats are compared as floats, which is
     * how their widened doubles compare: no widened copy.
     */
    static int firstExtreme(NDArray c, int from, int len, int step, boolean min) {
        if (step == 1 && len >= MathKernel.MIN_LENGTH) {
            // a run: on the math kernel, without a branch per element
            return c.floats != null ? KernelProvider.math().firstExtreme(c.floats, from, len, min)
                    : KernelProvider.math().firstExtreme(c.data, from, len, min);
        }
        return c.floats != null ? firstExtreme(c.floats, from, len, step, min) : firstExtreme(c.data, from, len, step, min);
    }

    /** {@link #firstExtreme(NDArray, int, int, int, boolean)} over a double array: the scalar rule. */
    static int firstExtreme(double[] a, int from, int len, int step, boolean min) {
        int best = 0;
        double bv = a[from];
        for (int k = 1; k < len; k++) {
            double v = a[from + k * step];
            if (beats(v, bv, min)) {
                bv = v;
                best = k;
            }
        }
        return best;
    }

    /** {@link #firstExtreme(NDArray, int, int, int, boolean)} over a float array: the scalar rule. */
    static int firstExtreme(float[] a, int from, int len, int step, boolean min) {
        int best = 0;
        float bv = a[from];
        for (int k = 1; k < len; k++) {
            float v = a[from + k * step];
            if (beats(v, bv, min)) {
                bv = v;
                best = k;
            }
        }
        return best;
    }

    /** Element i of a contiguous array (from its offset), widened if float32. */
    static double at(NDArray c, int i) {
        return c.floats != null ? c.floats[c.offset + i] : c.data[c.offset + i];
    }

    /**
     * The position of the first maximum (or minimum) of each slice along {@code axis}, as a double,
     * the axis kept as size 1; a NaN beats every number, and the first NaN wins.
     *
     * @param x the array, non-empty along the axis
     * @param axis the axis
     * @param min whether to find the minimum
     * @return the positions, float64 whatever the input's dtype
     */
    public static NDArray argExtreme(NDArray x, int axis, boolean min) {
        // positions are float64 for float32 input too (PyTorch's are int64): float32 holds whole
        // numbers exactly only up to 2^24
        NDArray c = x.contiguous();
        int len = c.shape[axis];
        int outer = outer(c.shape, axis);
        int inner = inner(c.shape, axis);
        double[] r = new double[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                r[o * inner + i] = firstExtreme(c, c.offset + o * len * inner + i, len, inner, min);
            }
        }
        return NDArray.wrap(r, Shapes.reduced(c.shape, axis, true));
    }

    /**
     * The maximum (or minimum) of a whole non-empty array, as a rank-0 array, and a mask of x's shape
     * holding {@code 1/k} at each of the k elements equal to it (or, if there are NaNs, at each NaN,
     * which is then the result).
     *
     * @param x the array
     * @param min whether to find the minimum
     * @return the extreme and the mask
     */
    public static NDArray[] extremeWithTies(NDArray x, boolean min) {
        // in x's dtype: the extreme is one of the elements, and 1/k rounds once either way
        NDArray c = x.contiguous();
        double best = at(c, firstExtreme(c, c.offset, c.size, 1, min));
        boolean nan = Double.isNaN(best);
        int ties = 0;
        for (int i = 0; i < c.size; i++) {
            double v = at(c, i);
            if (v == best || (nan && Double.isNaN(v))) {
                ties++;
            }
        }
        double share = 1.0 / ties;
        NDArray mask = NDArray.fullLike(0, c);
        for (int i = 0; i < c.size; i++) {
            double v = at(c, i);
            if (v == best || (nan && Double.isNaN(v))) {
                if (mask.floats != null) {
                    mask.floats[i] = (float) share;
                } else {
                    mask.data[i] = share;
                }
            }
        }
        return new NDArray[] {NDArray.scalarLike(best, c), mask};
    }

    /**
     * Running sums along {@code axis}: from the first position forwards, or (reverse) from the last
     * backwards.
     *
     * @param x the array
     * @param axis the axis
     * @param reverse whether to sum from the end
     * @return a new contiguous array of x's shape
     */
    public static NDArray cumsum(NDArray x, int axis, boolean reverse) {
        // float32 sums in float64 and rounds each running sum once: the bits of the float64
        // kernel on the widened array, rounded back, without the widened copy
        NDArray c = x.contiguous();
        int len = c.shape[axis];
        int outer = outer(c.shape, axis);
        int inner = inner(c.shape, axis);
        float[] f = c.floats;
        double[] a = c.data;
        NDArray result = NDArray.fullLike(0, c);
        float[] rf = result.floats;
        double[] r = result.data;
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                double s = 0;
                for (int k = 0; k < len; k++) {
                    int p = base + (reverse ? len - 1 - k : k) * inner;
                    if (f != null) {
                        s += f[c.offset + p];
                        rf[p] = (float) s;
                    } else {
                        s += a[c.offset + p];
                        r[p] = s;
                    }
                }
            }
        }
        return result;
    }

    /**
     * The slabs of x at the given positions along {@code axis}, in their order.
     *
     * @param x the array
     * @param axis the axis
     * @param indices positions along it, each in range
     * @return a new array, of x's shape with the axis as long as {@code indices}
     */
    public static NDArray indexSelect(NDArray x, int axis, int[] indices) {
        // copies in the array's own dtype: only the selected slabs are read
        NDArray c = x.contiguous();
        int len = c.shape[axis];
        int outer = outer(c.shape, axis);
        int inner = inner(c.shape, axis);
        int[] shape = c.shape.clone();
        shape[axis] = indices.length;
        // typed copies (an arraycopy between arrays of types unknown to the JIT checks them per
        // call), into buffers a memory scope recycles: every element is written. Large selections
        // split their slabs over threads (copies: the same bits for any split); a slab's source
        // is often far from cache (a table's rows), so two threads keep more reads in flight.
        int count = indices.length;
        int slabs = outer * count;
        if (c.floats != null) {
            float[] r = Buffers.uninitializedFloats(Shapes.size(shape));
            float[] a = c.floats;
            int ao = c.offset;
            Parallel.forRange(slabs, 1, inner, (from, to) -> copySlabs(a, ao, len, indices, inner, r, from, to));
            return NDArray.wrap(r, shape);
        }
        double[] r = Buffers.uninitialized(Shapes.size(shape));
        double[] a = c.data;
        int ao = c.offset;
        Parallel.forRange(slabs, 1, inner, (from, to) -> copySlabs(a, ao, len, indices, inner, r, from, to));
        return NDArray.wrap(r, shape);
    }

    /**
     * Slabs [from, to) of a selection: slab q = o * indices.length + j is the {@code inner}
     * elements of a's block o at position {@code indices[j]} (of {@code len}), written to q's place in r.
     */
    private static void copySlabs(double[] a, int ao, int len, int[] indices, int inner, double[] r, int from, int to) {
        if (from >= to) {
            return; // no slabs: perhaps no indices
        }
        int count = indices.length;
        int o = from / count;
        int j = from - o * count;
        for (int q = from; q < to; q++) {
            System.arraycopy(a, ao + (o * len + indices[j]) * inner, r, q * inner, inner);
            if (++j == count) {
                j = 0;
                o++;
            }
        }
    }

    /** {@link #copySlabs(double[], int, int, int[], int, double[], int, int)} of floats. */
    private static void copySlabs(float[] a, int ao, int len, int[] indices, int inner, float[] r, int from, int to) {
        if (from >= to) {
            return; // no slabs: perhaps no indices
        }
        int count = indices.length;
        int o = from / count;
        int j = from - o * count;
        for (int q = from; q < to; q++) {
            System.arraycopy(a, ao + (o * len + indices[j]) * inner, r, q * inner, inner);
            if (++j == count) {
                j = 0;
                o++;
            }
        }
    }

    /**
     * The adjoint of {@link #indexSelect}: zeros of {@code length} positions along the axis, with
     * slab j of g added at position {@code indices[j]} (repeated positions accumulate).
     *
     * @param g the array, as long as {@code indices} along the axis
     * @param axis the axis
     * @param indices positions, each below {@code length}
     * @param length the axis's length in the result
     * @return a new array
     */
    public static NDArray indexAdd(NDArray g, int axis, int[] indices, int length) {
        return IndexAdd.of(g, axis, indices, length);
    }

    /**
     * n zeros from the pool, filled on the pool's threads: a gradient of a large table inside a
     * backward pass (whose scope gives it back) is memory that was written recently, not a fresh
     * array the collector must find room for and zero on one thread.
     */
    static double[] zeros(int n) {
        double[] r = Buffers.uninitialized(n);
        Parallel.forRange(n, ZERO_GRAIN, (from, to) -> java.util.Arrays.fill(r, from, to, 0.0));
        return r;
    }

    /** {@link #zeros} of floats. */
    static float[] zeroFloats(int n) {
        float[] r = Buffers.uninitializedFloats(n);
        Parallel.forRange(n, ZERO_GRAIN, (from, to) -> java.util.Arrays.fill(r, from, to, 0f));
        return r;
    }

    /** Where {@link #zeros}' parts may start: multiples of a few pages. */
    private static final int ZERO_GRAIN = 1 << 12;

    /**
     * {@code out[p] = x[p with p[axis] replaced by index[p]]} for every position p of the index
     * shape (torch.gather).
     *
     * @param x the array
     * @param axis the axis
     * @param index the positions along the axis, row-major in {@code indexShape}
     * @param indexShape x's rank, no larger than x's shape except along the axis
     * @return a new array of the index's shape
     */
    public static NDArray gather(NDArray x, int axis, int[] index, int[] indexShape) {
        NDArray c = x.contiguous();
        if (c.floats != null) {
            return gatherFloats(c, axis, index, indexShape);
        }
        int[] strides = Shapes.contiguousStrides(c.shape);
        // every element is written: a buffer a memory scope recycles
        double[] r = Buffers.uninitialized(index.length);
        int[] counter = new int[indexShape.length];
        for (int p = 0; p < r.length; p++) {
            r[p] = c.data[c.offset + position(counter, strides, axis, index[p])];
            step(counter, indexShape);
        }
        return NDArray.wrap(r, indexShape.clone());
    }

    /** {@link #gather} of a contiguous float32 array, in floats: only the gathered elements are read. */
    private static NDArray gatherFloats(NDArray c, int axis, int[] index, int[] indexShape) {
        int[] strides = Shapes.contiguousStrides(c.shape);
        float[] r = Buffers.uninitializedFloats(index.length);
        int[] counter = new int[indexShape.length];
        for (int p = 0; p < r.length; p++) {
            r[p] = c.floats[c.offset + position(counter, strides, axis, index[p])];
            step(counter, indexShape);
        }
        return NDArray.wrap(r, indexShape.clone());
    }

    /**
     * The adjoint of {@link #gather}: zeros of {@code shape} with {@code src[p]} added at
     * {@code p with p[axis] replaced by index[p]} (repeated positions accumulate).
     *
     * @param src the values, of the index's shape
     * @param axis the axis
     * @param index the positions along the axis, row-major in src's shape
     * @param shape the result's shape
     * @return a new array
     */
    public static NDArray scatterAdd(NDArray src, int axis, int[] index, int[] shape) {
        // float32 sums in float64 and rounds once, as indexAdd does
        NDArray c = src.contiguous();
        int[] strides = Shapes.contiguousStrides(shape);
        double[] r = zeros(Shapes.size(shape));
        int[] counter = new int[c.shape.length];
        for (int p = 0; p < index.length; p++) {
            r[position(counter, strides, axis, index[p])] += at(c, p);
            step(counter, c.shape);
        }
        return c.floats != null ? NDArray.wrap(r, shape.clone()).toFloat32() : NDArray.wrap(r, shape.clone());
    }

    private static int position(int[] counter, int[] strides, int axis, int along) {
        int q = 0;
        for (int d = 0; d < counter.length; d++) {
            q += (d == axis ? along : counter[d]) * strides[d];
        }
        return q;
    }

    private static void step(int[] counter, int[] shape) {
        for (int d = counter.length - 1; d >= 0; d--) {
            if (++counter[d] < shape[d]) {
                return;
            }
            counter[d] = 0;
        }
    }

    /**
     * Max (or min) along {@code axis} (kept as size 1), in x's dtype, and the position of each
     * slice's first maximum (minimum) as a float64 array of the same shape; a NaN counts as the
     * extreme (the first one wins). {@link #oneAt} makes the gradient's mask from the positions.
     */
    public static NDArray[] extremeWithPositions(NDArray x, int axis, boolean min) {
        // the positions argExtreme finds, and the extremes gathered at them in x's dtype
        NDArray c = x.contiguous();
        NDArray positions = argExtreme(c, axis, min);
        int[] index = new int[positions.size];
        for (int i = 0; i < index.length; i++) {
            index[i] = (int) positions.data[i];
        }
        return new NDArray[] {gather(c, axis, index, positions.shape), positions};
    }

    /**
     * Zeros of {@code shape} (float32 if {@code floats}) with a 1 at each slice's position along
     * {@code axis}: positions of {@code shape} with the axis as size 1, as {@link #extremeWithPositions} gives.
     */
    public static NDArray oneAt(NDArray positions, int[] shape, int axis, boolean floats) {
        NDArray ones = NDArray.full(1.0, positions.shape);
        return timesOneAt(floats ? ones.toFloat32() : ones, positions, shape, axis);
    }

    /**
     * {@code g} times {@link #oneAt}'s mask, in one pass and without the mask: each slice's
     * gradient g at its position and {@code g * 0} elsewhere (the product's bits, so a NaN or
     * infinite g gives NaN and a negative one -0 there, as the mask's product does); g of the
     * positions' shape, the result of {@code shape} in g's dtype.
     */
    public static NDArray timesOneAt(NDArray g, NDArray positions, int[] shape, int axis) {
        NDArray gc = g.contiguous();
        NDArray p = positions.contiguous();
        int len = shape[axis];
        int outer = outer(shape, axis);
        int inner = inner(shape, axis);
        int size = outer * len * inner;
        boolean floats = gc.floats != null;
        float[] fr = floats ? Buffers.uninitializedFloats(size) : null;
        double[] r = floats ? null : Buffers.uninitialized(size);
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int q = o * inner + in;
                int from = o * len * inner + in;
                int at = from + (int) p.data[p.offset + q] * inner;
                if (floats) {
                    float v = gc.floats[gc.offset + q];
                    fill(fr, from, len, inner, v * 0.0f);
                    fr[at] = v;
                } else {
                    double v = gc.data[gc.offset + q];
                    fill(r, from, len, inner, v * 0.0);
                    r[at] = v;
                }
            }
        }
        return floats ? NDArray.wrap(fr, shape.clone()) : NDArray.wrap(r, shape.clone());
    }

    /** {@code len} elements from {@code from}, {@code step} apart, set to v. */
    private static void fill(double[] r, int from, int len, int step, double v) {
        if (step == 1) {
            Arrays.fill(r, from, from + len, v);
            return;
        }
        for (int k = 0; k < len; k++) {
            r[from + k * step] = v;
        }
    }

    /** {@link #fill(double[], int, int, int, double)} of floats. */
    private static void fill(float[] r, int from, int len, int step, float v) {
        if (step == 1) {
            Arrays.fill(r, from, from + len, v);
            return;
        }
        for (int k = 0; k < len; k++) {
            r[from + k * step] = v;
        }
    }
}
