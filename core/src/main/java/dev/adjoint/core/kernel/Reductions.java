package dev.adjoint.core.kernel;

/** Reduction kernels: sums to a broadcast-compatible shape, and max along one axis. */
public final class Reductions {
    private Reductions() {
    }

    /**
     * Sums {@code x} down to {@code target}, a shape that broadcasts to {@code x}'s shape (the reverse
     * of {@link NDArray#expand}): leading axes are summed away, axes where target has 1 are summed.
     */
    public static NDArray sumTo(NDArray x, int[] target) {
        int rank = x.shape.length;
        int lead = rank - target.length;
        double[] r = new double[Shapes.size(target)];
        if (x.size == 0) {
            return NDArray.wrap(r, target.clone());
        }
        if (r.length == 1) {
            NDArray c = x.contiguous();
            double s = 0;
            for (int i = c.offset, end = c.offset + c.size; i < end; i++) {
                s += c.data[i];
            }
            r[0] = s;
            return NDArray.wrap(r, target.clone());
        }
        // Stride of each x axis within the result: 0 where the axis is summed.
        int[] rStrides = new int[rank];
        int[] tStrides = Shapes.contiguousStrides(target);
        for (int i = lead; i < rank; i++) {
            rStrides[i] = target[i - lead] == 1 && x.shape[i] != 1 ? 0 : tStrides[i - lead];
        }
        NDArray c = x.contiguous();
        double[] a = c.data;
        int[] counter = new int[rank];
        int inner = x.shape[rank - 1];
        int rsInner = rStrides[rank - 1];
        int pr = 0;
        int pa = c.offset;
        for (int done = 0; done < c.size; done += inner) {
            if (rsInner == 0) {
                double s = 0;
                for (int i = 0; i < inner; i++) {
                    s += a[pa + i];
                }
                r[pr] += s;
            } else {
                for (int i = 0; i < inner; i++) {
                    r[pr + i] += a[pa + i];
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
        return NDArray.wrap(r, target.clone());
    }

    /** {@code sum((a - b)^2)} over arrays of equal shape, in one pass. */
    public static double sumSquaredDifference(NDArray a, NDArray b) {
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
        NDArray ca = a.contiguous();
        NDArray cb = b.contiguous();
        double[] x = ca.data;
        double[] y = cb.data;
        double[] r = new double[ca.size];
        for (int i = 0, p = ca.offset, q = cb.offset; i < r.length; i++) {
            r[i] = c * (x[p + i] - y[q + i]);
        }
        return NDArray.wrapLike(r, ca);
    }

    /** Max along {@code axis} (kept as size 1) and, in {@code oneHot}, a 1 at the first maximum of each slice. */
    public static NDArray[] maxWithMask(NDArray x, int axis) {
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
                    if (v > bv || (Double.isNaN(v) && !Double.isNaN(bv))) {
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
