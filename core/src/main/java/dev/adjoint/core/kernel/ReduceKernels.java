package dev.adjoint.core.kernel;

/**
 * Kernels that reduce along axes: sums down to a broadcast-compatible shape, the maximum along an
 * axis with a mask of where it was, softmax and its gradient (a maximum and a sum per slice), and
 * the sum of squared differences with its gradient.
 */
public final class ReduceKernels {
    private ReduceKernels() {
    }

    /**
     * Sums {@code x} down to {@code target}, a shape that broadcasts to {@code x}'s shape (the reverse
     * of {@link NDArray#expand}): leading axes are summed away, axes where target has 1 are summed.
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
            r[0] = c.floats != null ? sum(c.floats, c.offset, c.size) : sum(c.data, c.offset, c.size);
            return result(r, target, x);
        }
        if (rank == 2 && target.length == 1 && x.isContiguous()) {
            // [m, n] -> [n], a bias gradient: add the rows up
            int n = x.shape[1];
            Rows rows = new Rows(x, n);
            for (int row = x.offset, end = x.offset + x.size; row < end; row += n) {
                double[] a = rows.widened(row, n);
                int p = rows.offset(row);
                for (int j = 0; j < n; j++) {
                    r[j] += a[p + j];
                }
            }
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

    /** A float64 sum as an array of {@code shape} in the dtype of {@code like}. */
    private static NDArray result(double[] r, int[] shape, NDArray like) {
        NDArray wide = NDArray.wrap(r, shape.clone());
        return like.floats != null ? wide.toFloat32() : wide;
    }

    /**
     * Rows of a contiguous array as float64: a float64 array's own data in place, a float32 one's
     * widened (exactly) into one reused buffer, so that one loop serves both dtypes.
     */
    private static final class Rows {
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

    /** The number of elements after {@code axis} in row-major order: the stride of the axis in a contiguous array. */
    private static int innerSize(int[] shape, int axis) {
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        return inner;
    }

    /**
     * Softmax (or log-softmax) along {@code axis}: each slice has its maximum subtracted before
     * {@code exp}, so no slice overflows. One pass for the max, one for the sum, one to write.
     *
     * @param x the array
     * @param axis the axis, non-negative
     * @param log whether to return the log-softmax
     * @return a new contiguous array of x's shape
     */
    public static NDArray softmax(NDArray x, int axis, boolean log) {
        if (x.floats != null) {
            return innerSize(x.shape, axis) == 1 ? softmaxFloatRows(x.contiguous(), slice(x.shape, axis), log) : softmax(x.toFloat64(), axis, log).toFloat32();
        }
        NDArray c = x.contiguous();
        double[] a = c.data;
        double[] r = Buffers.uninitialized(c.size);
        int n = c.shape[axis];
        int inner = innerSize(c.shape, axis);
        int outer = n == 0 || inner == 0 ? 0 : c.size / (n * inner);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                softmaxSlice(a, c.offset + base, r, base, n, inner, log);
            }
        }
        return NDArray.wrapLike(r, c);
    }

    /**
     * Softmax over an axis followed only by size-1 axes, of a contiguous float32 array: each row (n long) widened, the float64 slice
     * loop, the row rounded once; the float64 result rounded, bit for bit.
     */
    /**
     * The length of the slices along {@code axis} (1 for a rank-0 array): with nothing after the
     * axis but size-1 axes, the slices are the consecutive runs of that length.
     */
    private static int slice(int[] shape, int axis) {
        return shape.length == 0 ? 1 : shape[axis];
    }

    private static NDArray softmaxFloatRows(NDArray c, int n, boolean log) {
        float[] r = Buffers.uninitializedFloats(c.size);
        double[] row = new double[n];
        double[] out = new double[n];
        for (int base = 0; n > 0 && base < c.size; base += n) {
            FloatBlocks.widen(c.floats, c.offset + base, 1, row, n);
            softmaxSlice(row, 0, out, 0, n, 1, log);
            FloatBlocks.narrow(out, r, base, n);
        }
        return NDArray.wrapLike(r, c);
    }

    /** Softmax of the n elements of a from pa step inner, written to r from base step inner. */
    private static void softmaxSlice(double[] a, int pa, double[] r, int base, int n, int inner, boolean log) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0, p = pa; j < n; j++, p += inner) {
            max = Math.max(max, a[p]);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            max = 0; // an all -inf slice gives NaN, as exp(-inf - -inf) does in the composite
        }
        double sum;
        if (inner == 1 && n >= MathKernel.MIN_LENGTH) {
            sum = KernelProvider.math().expShifted(a, pa, max, r, base, n);
        } else {
            sum = 0;
            for (int j = 0, p = pa, q = base; j < n; j++, p += inner, q += inner) {
                double e = Math.exp(a[p] - max);
                r[q] = e;
                sum += e;
            }
        }
        if (log) {
            // (x - max) - log(sum), not x - (max + log(sum)): max can absorb log(sum)
            double logSum = Math.log(sum);
            for (int j = 0, p = pa, q = base; j < n; j++, p += inner, q += inner) {
                r[q] = (a[p] - max) - logSum;
            }
        } else {
            double inv = 1 / sum;
            for (int j = 0, q = base; j < n; j++, q += inner) {
                r[q] *= inv;
            }
        }
    }

    /**
     * The gradient of softmax or log-softmax along {@code axis} from the output {@code y} and the
     * output gradient {@code g}: {@code y (g - sum(g y))} for softmax, {@code g - exp(y) sum(g)}
     * for log-softmax, sums taken along the axis.
     *
     * @param g the output gradient
     * @param y the forward output, of g's shape
     * @param axis the axis, non-negative
     * @param log whether y is a log-softmax
     * @return a new contiguous array of y's shape
     */
    public static NDArray softmaxBackward(NDArray g, NDArray y, int axis, boolean log) {
        if (g.floats != null && y.floats != null && innerSize(y.shape, axis) == 1) {
            return softmaxBackwardFloatRows(g.contiguous(), y.contiguous(), slice(y.shape, axis), log);
        }
        if (g.floats != null || y.floats != null) {
            return softmaxBackward(g.toFloat64(), y.toFloat64(), axis, log).toFloat32();
        }
        NDArray cg = g.contiguous();
        NDArray cy = y.contiguous();
        double[] gd = cg.data;
        double[] yd = cy.data;
        double[] r = Buffers.uninitialized(cy.size);
        int n = cy.shape[axis];
        int inner = innerSize(cy.shape, axis);
        int outer = n == 0 || inner == 0 ? 0 : cy.size / (n * inner);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                int pg = cg.offset + base;
                int py = cy.offset + base;
                if (inner == 1) {
                    contiguousSoftmaxBackward(gd, pg, yd, py, r, base, n, log);
                    continue;
                }
                double s = 0;
                for (int j = 0, off = 0; j < n; j++, off += inner) {
                    s += log ? gd[pg + off] : gd[pg + off] * yd[py + off];
                }
                for (int j = 0, off = 0; j < n; j++, off += inner) {
                    double yv = yd[py + off];
                    r[base + off] = log ? gd[pg + off] - Math.exp(yv) * s : yv * (gd[pg + off] - s);
                }
            }
        }
        return NDArray.wrapLike(r, cy);
    }

    /** {@link #softmaxBackward} over the last axis of float32 arrays: rows widened, the float64 slice loop, rounded once. */
    private static NDArray softmaxBackwardFloatRows(NDArray g, NDArray y, int n, boolean log) {
        float[] r = Buffers.uninitializedFloats(y.size);
        double[] gr = new double[n];
        double[] yr = new double[n];
        double[] out = new double[n];
        for (int base = 0; n > 0 && base < y.size; base += n) {
            FloatBlocks.widen(g.floats, g.offset + base, 1, gr, n);
            FloatBlocks.widen(y.floats, y.offset + base, 1, yr, n);
            contiguousSoftmaxBackward(gr, 0, yr, 0, out, 0, n, log);
            FloatBlocks.narrow(out, r, base, n);
        }
        return NDArray.wrapLike(r, y);
    }

    /** One contiguous slice of {@link #softmaxBackward}: sums with several accumulators, exp on the math kernel. */
    private static void contiguousSoftmaxBackward(double[] g, int pg, double[] y, int py, double[] r, int pr, int n, boolean log) {
        if (log) {
            double s = sum(g, pg, n);
            if (n >= MathKernel.MIN_LENGTH) {
                KernelProvider.math().exp(y, py, r, pr, n);
            } else {
                for (int j = 0; j < n; j++) {
                    r[pr + j] = Math.exp(y[py + j]);
                }
            }
            for (int j = 0; j < n; j++) {
                r[pr + j] = g[pg + j] - r[pr + j] * s;
            }
        } else {
            double s = dot(g, pg, y, py, n);
            for (int j = 0; j < n; j++) {
                r[pr + j] = y[py + j] * (g[pg + j] - s);
            }
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

    /**
     * The sum of {@code n} consecutive elements from {@code from}, with four running sums: one sum
     * waits on each addition's latency, four keep the adder busy (and round no worse).
     */
    static double sum(double[] a, int from, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        int end = from + n;
        for (; i + 3 < end; i += 4) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
        }
        for (; i < end; i++) {
            s0 += a[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * {@link #sum(double[], int, int)} of float32 elements, each widened exactly: the same
     * operations in the same order, so the same bits as on a widened copy (a test holds the twins
     * together).
     */
    static double sum(float[] a, int from, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        int end = from + n;
        for (; i + 3 < end; i += 4) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
        }
        for (; i < end; i++) {
            s0 += a[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** {@code sum((a - b)^2)} over arrays of equal shape, in one pass. */
    public static double sumSquaredDifference(NDArray a, NDArray b) {
        if (a.floats != null || b.floats != null) {
            return sumSquaredDifference(a.toFloat64(), b.toFloat64());
        }
        NDArray ca = a.contiguous();
        NDArray cb = b.contiguous();
        double[] x = ca.data;
        double[] y = cb.data;
        double s = 0;
        for (int i = 0, p = ca.offset, q = cb.offset; i < ca.size; i++) {
            double d = x[p + i] - y[q + i];
            s += d * d;
        }
        return s;
    }

    /** {@code c (a - b)} elementwise over arrays of equal shape. */
    public static NDArray scaledDifference(double c, NDArray a, NDArray b) {
        if (a.floats != null || b.floats != null) {
            return scaledDifference(c, a.toFloat64(), b.toFloat64()).toFloat32();
        }
        NDArray ca = a.contiguous();
        NDArray cb = b.contiguous();
        double[] x = ca.data;
        double[] y = cb.data;
        double[] r = Buffers.uninitialized(ca.size);
        for (int i = 0, p = ca.offset, q = cb.offset; i < r.length; i++) {
            r[i] = c * (x[p + i] - y[q + i]);
        }
        return NDArray.wrapLike(r, ca);
    }

    /**
     * Max (or min) along {@code axis} (kept as size 1) and a mask with a 1 at the first maximum (or
     * minimum) of each slice; a NaN counts as the extreme (the first one wins).
     */
    public static NDArray[] extremeWithMask(NDArray x, int axis, boolean min) {
        if (x.floats != null) {
            return Widening.narrow(extremeWithMask(x.toFloat64(), axis, min));
        }
        NDArray c = x.contiguous();
        int[] shape = c.shape;
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape[i];
        }
        int len = shape[axis];
        int inner = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        double[] a = c.data;
        int off = c.offset;
        double[] max = new double[outer * inner];
        double[] mask = new double[c.size];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * len * inner + in;
                int best = 0;
                double bv = a[off + base];
                for (int k = 1; k < len; k++) {
                    double v = a[off + base + k * inner];
                    // NaN propagates, as in NumPy and PyTorch.
                    if ((min ? v < bv : v > bv) || (Double.isNaN(v) && !Double.isNaN(bv))) {
                        bv = v;
                        best = k;
                    }
                }
                max[o * inner + in] = bv;
                mask[base + best * inner] = 1.0;
            }
        }
        return new NDArray[] {NDArray.wrap(max, Shapes.reduced(shape, axis, true)), NDArray.wrap(mask, shape.clone())};
    }
}
