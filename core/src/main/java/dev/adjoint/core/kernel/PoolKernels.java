package dev.adjoint.core.kernel;

/**
 * Two-dimensional max and average pooling over square windows, PyTorch's NCHW layout: each of the
 * n c planes is pooled on its own. Windows start at {@code i s - p}; only their positions inside
 * the input are read (max pooling's padding is minus infinity), and an average divides by k^2,
 * padding included, as PyTorch's default {@code count_include_pad=True}.
 */
public final class PoolKernels {
    private PoolKernels() {
    }

    /**
     * The sizes of one pooling: input [n, c, h, w], window k x k, stride s, padding p.
     *
     * @param n batch size
     * @param c channels
     * @param h input height
     * @param w input width
     * @param k window size
     * @param s stride
     * @param p padding
     */
    public record Pool(int n, int c, int h, int w, int k, int s, int p) {
        /** @return the output height, floor((h + 2p - k) / s) + 1 */
        public int outH() {
            return (h + 2 * p - k) / s + 1;
        }

        /** @return the output width */
        public int outW() {
            return (w + 2 * p - k) / s + 1;
        }

        /** @return the input shape */
        public int[] inputShape() {
            return new int[] {n, c, h, w};
        }

        /** @return the output shape */
        public int[] outputShape() {
            return new int[] {n, c, outH(), outW()};
        }
    }

    /**
     * The maximum of each window and where it is, as PyTorch 1.13 finds it: scanning the window row
     * by row, a value replaces the running maximum when it is greater or NaN, so the first of tied
     * values wins and any NaN makes the maximum NaN.
     *
     * @param x input [n, c, h, w]
     * @param pool the sizes
     * @return the maxima [n, c, outH, outW] and, of the same shape, each one's position h w + w within its plane
     */
    public static NDArray[] maxPool2d(NDArray x, Pool pool) {
        if (x.floats != null) {
            NDArray[] r = maxPool2d(x.toFloat64(), pool);
            // the positions stay float64: they may exceed float's exact integers
            return new NDArray[] {r[0].toFloat32(), r[1]};
        }
        NDArray xc = x.contiguous();
        double[] a = xc.data;
        int[] shape = pool.outputShape();
        int size = Shapes.size(shape);
        double[] y = new double[size];
        double[] where = new double[size];
        int oh = pool.outH();
        int ow = pool.outW();
        int hw = pool.h * pool.w;
        int q = 0;
        for (int plane = 0; plane < pool.n * pool.c; plane++) {
            int base = xc.offset + plane * hw;
            for (int i = 0; i < oh; i++) {
                int h0 = Math.max(i * pool.s - pool.p, 0);
                int h1 = Math.min(i * pool.s - pool.p + pool.k, pool.h);
                for (int j = 0; j < ow; j++, q++) {
                    int w0 = Math.max(j * pool.s - pool.p, 0);
                    int w1 = Math.min(j * pool.s - pool.p + pool.k, pool.w);
                    int best = h0 * pool.w + w0;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int r = h0; r < h1; r++) {
                        for (int t = r * pool.w + w0, end = r * pool.w + w1; t < end; t++) {
                            double v = a[base + t];
                            if (v > max || Double.isNaN(v)) {
                                max = v;
                                best = t;
                            }
                        }
                    }
                    y[q] = max;
                    where[q] = best;
                }
            }
        }
        return new NDArray[] {NDArray.wrap(y, shape), NDArray.wrap(where, shape.clone())};
    }

    /**
     * {@code y[plane, o] = x[plane, where[plane, o]]}: the values at recorded positions.
     *
     * @param x [n, c, h, w]
     * @param where positions within each plane, of the output's shape
     * @param pool the sizes
     * @return [n, c, outH, outW]
     */
    public static NDArray gather(NDArray x, NDArray where, Pool pool) {
        if (x.floats != null) {
            return gather(x.toFloat64(), where, pool).toFloat32();
        }
        NDArray xc = x.contiguous();
        NDArray wc = where.contiguous();
        int[] shape = pool.outputShape();
        double[] y = new double[Shapes.size(shape)];
        int plane = pool.outH() * pool.outW();
        int hw = pool.h * pool.w;
        for (int q = 0; q < y.length; q++) {
            y[q] = xc.data[xc.offset + q / plane * hw + (int) wc.data[wc.offset + q]];
        }
        return NDArray.wrap(y, shape);
    }

    /**
     * The adjoint of {@link #gather}: each gradient added into the input position it came from
     * (overlapping windows may share one).
     *
     * @param gradOutput [n, c, outH, outW]
     * @param where positions within each plane, of the output's shape
     * @param pool the sizes
     * @return [n, c, h, w]
     */
    public static NDArray scatter(NDArray gradOutput, NDArray where, Pool pool) {
        if (gradOutput.floats != null) {
            return scatter(gradOutput.toFloat64(), where, pool).toFloat32();
        }
        NDArray gc = gradOutput.contiguous();
        NDArray wc = where.contiguous();
        int[] shape = pool.inputShape();
        double[] gx = new double[Shapes.size(shape)];
        int plane = pool.outH() * pool.outW();
        int hw = pool.h * pool.w;
        for (int q = 0, end = gc.size; q < end; q++) {
            gx[q / plane * hw + (int) wc.data[wc.offset + q]] += gc.data[gc.offset + q];
        }
        return NDArray.wrap(gx, shape);
    }

    /**
     * The mean of each window, padding counted as zeros.
     *
     * @param x [n, c, h, w]
     * @param pool the sizes
     * @return [n, c, outH, outW]
     */
    public static NDArray avgPool2d(NDArray x, Pool pool) {
        if (x.floats != null) {
            return avgPool2d(x.toFloat64(), pool).toFloat32();
        }
        NDArray xc = x.contiguous();
        double[] a = xc.data;
        int[] shape = pool.outputShape();
        double[] y = new double[Shapes.size(shape)];
        double divisor = (double) pool.k * pool.k;
        int hw = pool.h * pool.w;
        int q = 0;
        for (int plane = 0; plane < pool.n * pool.c; plane++) {
            int base = xc.offset + plane * hw;
            for (int i = 0; i < pool.outH(); i++) {
                int h0 = Math.max(i * pool.s - pool.p, 0);
                int h1 = Math.min(i * pool.s - pool.p + pool.k, pool.h);
                for (int j = 0; j < pool.outW(); j++, q++) {
                    int w0 = Math.max(j * pool.s - pool.p, 0);
                    int w1 = Math.min(j * pool.s - pool.p + pool.k, pool.w);
                    double sum = 0.0;
                    for (int r = h0; r < h1; r++) {
                        for (int t = base + r * pool.w + w0, end = base + r * pool.w + w1; t < end; t++) {
                            sum += a[t];
                        }
                    }
                    y[q] = sum / divisor;
                }
            }
        }
        return NDArray.wrap(y, shape);
    }

    /**
     * The adjoint of {@link #avgPool2d}: each output gradient spread as g / k^2 over its window's
     * positions inside the input.
     *
     * @param gradOutput [n, c, outH, outW]
     * @param pool the sizes
     * @return [n, c, h, w]
     */
    public static NDArray avgPool2dBackward(NDArray gradOutput, Pool pool) {
        if (gradOutput.floats != null) {
            return avgPool2dBackward(gradOutput.toFloat64(), pool).toFloat32();
        }
        NDArray gc = gradOutput.contiguous();
        double[] g = gc.data;
        int[] shape = pool.inputShape();
        double[] gx = new double[Shapes.size(shape)];
        double divisor = (double) pool.k * pool.k;
        int hw = pool.h * pool.w;
        int q = gc.offset;
        for (int plane = 0; plane < pool.n * pool.c; plane++) {
            int base = plane * hw;
            for (int i = 0; i < pool.outH(); i++) {
                int h0 = Math.max(i * pool.s - pool.p, 0);
                int h1 = Math.min(i * pool.s - pool.p + pool.k, pool.h);
                for (int j = 0; j < pool.outW(); j++, q++) {
                    int w0 = Math.max(j * pool.s - pool.p, 0);
                    int w1 = Math.min(j * pool.s - pool.p + pool.k, pool.w);
                    double v = g[q] / divisor;
                    for (int r = h0; r < h1; r++) {
                        for (int t = base + r * pool.w + w0, end = base + r * pool.w + w1; t < end; t++) {
                            gx[t] += v;
                        }
                    }
                }
            }
        }
        return NDArray.wrap(gx, shape);
    }
}
