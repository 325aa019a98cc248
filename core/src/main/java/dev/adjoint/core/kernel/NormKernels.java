package dev.adjoint.core.kernel;

/**
 * Layer and batch normalization. {@link #normalize}: each row of {@code cols} consecutive elements
 * (the trailing axes of a contiguous array) becomes {@code (x - mean) rstd}, with
 * {@code rstd = 1 / sqrt(var + eps)} and the biased variance {@code var = mean((x - mean)^2)}, as
 * PyTorch's {@code layer_norm} without its affine part; {@link #normalizeChannels}: the same over
 * each channel's N runs of an [N, C, ...] array, times a weight plus a bias per channel, as
 * {@code batch_norm} with batch statistics. Their gradients are
 * {@code rstd (g - mean(g) - xhat mean(g xhat))}. The means are sums divided by the count
 * ({@link MathKernel#sum} and {@link MathKernel#dot} from {@link MathKernel#MIN_LENGTH} elements, in
 * order below), a channel's values gathered into one row first, so that a channel gives the bits of
 * a row. float32 is widened, computed in float64 and rounded once (a weight and bias then applied in
 * float arithmetic, as the ops would). Rows split over threads by whole rows, channels by whole
 * channels (so at most C threads): the same bits for any thread count.
 */
public final class NormKernels {
    private NormKernels() {
    }

    /**
     * The normalized rows and each row's statistics.
     *
     * @param y the normalized array, of x's shape and dtype
     * @param stats each row's mean and rstd, [rows, 2], float64 (a channel's also its biased
     *     variance, [channels, 3])
     */
    public record Normalized(NDArray y, NDArray stats) {
    }

    /**
     * Normalizes each row of {@code cols} elements.
     *
     * @param x the array, whose size is a multiple of cols
     * @param cols the row length, above 0
     * @param eps added to the variance
     * @return the rows and their statistics
     */
    public static Normalized normalize(NDArray x, int cols, double eps) {
        NDArray xc = x.contiguous();
        int rows = xc.size / cols;
        double[] stats = new double[2 * rows];
        boolean floats = xc.floats != null;
        double[] r = floats ? null : Buffers.uninitialized(xc.size);
        float[] rf = floats ? Buffers.uninitializedFloats(xc.size) : null;
        Parallel.forRange(rows, 1, cols, (first, last) -> {
            MathKernel math = KernelProvider.math();
            double[] row = floats ? new double[cols] : null;
            for (int i = first; i < last; i++) {
                if (floats) {
                    FloatBlocks.widen(xc.floats, xc.offset + i * cols, 1, row, cols);
                    normalizeRow(math, row, 0, row, 0, cols, eps, stats, i);
                    FloatBlocks.narrow(row, rf, i * cols, cols);
                } else {
                    normalizeRow(math, xc.data, xc.offset + i * cols, r, i * cols, cols, eps, stats, i);
                }
            }
        });
        NDArray y = floats ? NDArray.wrapLike(rf, xc) : NDArray.wrapLike(r, xc);
        return new Normalized(y, NDArray.wrap(stats, new int[] {rows, 2}));
    }

    /**
     * The gradient of {@link #normalize} at x for the output gradient g, each row
     * {@code rstd (g - mean(g) - xhat mean(g xhat))}, {@code xhat = (x - mean) rstd}.
     *
     * @param g the output gradient, of x's shape and dtype
     * @param x the input
     * @param stats {@link Normalized#stats()} of x
     * @param cols the row length
     * @return a new contiguous array of x's shape and dtype
     */
    public static NDArray backward(NDArray g, NDArray x, NDArray stats, int cols) {
        NDArray xc = x.contiguous();
        NDArray gc = g.contiguous();
        int rows = xc.size / cols;
        double[] st = stats.data;
        boolean floats = xc.floats != null;
        double[] r = floats ? null : Buffers.uninitialized(xc.size);
        float[] rf = floats ? Buffers.uninitializedFloats(xc.size) : null;
        Parallel.forRange(rows, 1, 2L * cols, (first, last) -> {
            MathKernel math = KernelProvider.math();
            double[] xRow = floats ? new double[cols] : null;
            double[] gRow = floats ? new double[cols] : null;
            for (int i = first; i < last; i++) {
                double mean = st[2 * i];
                double rstd = st[2 * i + 1];
                if (floats) {
                    FloatBlocks.widen(xc.floats, xc.offset + i * cols, 1, xRow, cols);
                    FloatBlocks.widen(gc.floats, gc.offset + i * cols, 1, gRow, cols);
                    backwardRow(math, gRow, 0, xRow, 0, mean, rstd, xRow, 0, cols);
                    FloatBlocks.narrow(xRow, rf, i * cols, cols);
                } else {
                    backwardRow(math, gc.data, gc.offset + i * cols, xc.data, xc.offset + i * cols, mean, rstd, r, i * cols, cols);
                }
            }
        });
        return floats ? NDArray.wrapLike(rf, xc) : NDArray.wrapLike(r, xc);
    }

    /**
     * The gradients of {@link #normalizeChannels}: the input's, {@code (rstd (g - M(g) - xhat M(g xhat))) w}
     * (M the mean over the channel's values, the product by w rounded last), and each channel's sums
     * {@code S(g xhat)} and {@code S(g)}, the weight's and the bias's gradients.
     *
     * @param input the input gradient, of x's shape and dtype, contiguous
     * @param sums [2, channels] in x's dtype: row 0 the sums of g xhat, row 1 the sums of g
     */
    public record ChannelGradients(NDArray input, NDArray sums) {
    }

    /**
     * Normalizes each channel of x ([N, channels, inner...] flattened), then scales and shifts it:
     * channel c's values are the N runs of {@code inner} elements at {@code (n channels + c) inner},
     * normalized over all of them as one row of {@link #normalize} is (the same sums, so the bits
     * of the layer norm of the channels laid out as rows), then {@code xhat w[c] + b[c]}, each
     * product and sum rounded to x's dtype as the ops would (PyTorch's batch_norm with batch
     * statistics). Each thread gathers one channel at a time into a row of scratch.
     *
     * @param x the array, whose size is a multiple of channels * inner
     * @param weight the scale, [channels] of x's dtype, or null for none
     * @param bias the shift, [channels] of x's dtype, or null for none
     * @param channels the number of channels, above 0
     * @param inner the elements of a run, above 0
     * @param eps added to the variance
     * @return the normalized array and each channel's mean, rstd and biased variance ([channels, 3])
     */
    public static Normalized normalizeChannels(NDArray x, NDArray weight, NDArray bias, int channels, int inner, double eps) {
        NDArray xc = x.contiguous();
        int count = xc.size / channels;
        double[] stats = new double[3 * channels];
        double[] w = weight == null ? null : weight.toArray();
        double[] b = bias == null ? null : bias.toArray();
        NDArray y = xc.floats != null ? NDArray.wrapLike(Buffers.uninitializedFloats(xc.size), xc)
                : NDArray.wrapLike(Buffers.uninitialized(xc.size), xc);
        Parallel.forEachIndex(channels, 4L * count, (first, last) -> {
            MathKernel math = KernelProvider.math();
            double[] row = Scratch.doubles(Scratch.NORM, count);
            for (int c = first; c < last; c++) {
                gather(xc, c, channels, inner, row, 0);
                double mean = sum(math, row, 0, count) / count;
                for (int j = 0; j < count; j++) {
                    row[j] -= mean;
                }
                double var = dot(math, row, 0, row, 0, count) / count;
                double rstd = 1 / Math.sqrt(var + eps);
                stats[3 * c] = mean;
                stats[3 * c + 1] = rstd;
                stats[3 * c + 2] = var;
                // 1 and -0 leave every value as it is, -0 and NaN included
                scatter(row, 0, rstd, w == null ? 1 : w[c], b == null ? -0.0 : b[c], y, c, channels, inner);
            }
        });
        return new Normalized(y, NDArray.wrap(stats, new int[] {channels, 3}));
    }

    /**
     * The gradients of {@link #normalizeChannels} at x for the output gradient g (the rows' as
     * {@link #backward} takes them, so the layer norm's bits on the channels laid out as rows).
     *
     * @param g the output gradient, of x's shape and dtype
     * @param x the input
     * @param weight the scale, [channels] of x's dtype, or null for none
     * @param stats {@link Normalized#stats()} of x
     * @param channels the number of channels
     * @param inner the elements of a run
     * @return the input's gradient and the weight's and bias's sums
     */
    public static ChannelGradients backwardChannels(NDArray g, NDArray x, NDArray weight, NDArray stats, int channels, int inner) {
        NDArray xc = x.contiguous();
        NDArray gc = g.contiguous();
        int count = xc.size / channels;
        double[] st = stats.data;
        double[] w = weight == null ? null : weight.toArray();
        boolean floats = xc.floats != null;
        NDArray dx = floats ? NDArray.wrapLike(Buffers.uninitializedFloats(xc.size), xc) : NDArray.wrapLike(Buffers.uninitialized(xc.size), xc);
        double[] sums = new double[2 * channels];
        Parallel.forEachIndex(channels, 5L * count, (first, last) -> {
            MathKernel math = KernelProvider.math();
            double[] rows = Scratch.doubles(Scratch.NORM, 2 * count);
            for (int c = first; c < last; c++) {
                gather(xc, c, channels, inner, rows, 0);
                gather(gc, c, channels, inner, rows, count);
                double mean = st[3 * c];
                double rstd = st[3 * c + 1];
                for (int j = 0; j < count; j++) {
                    rows[j] = (rows[j] - mean) * rstd;
                }
                double sg = sum(math, rows, count, count);
                double sgx = dot(math, rows, count, rows, 0, count);
                sums[c] = sgx;
                sums[channels + c] = sg;
                double a = sg / count;
                double bx = sgx / count;
                for (int j = 0; j < count; j++) {
                    rows[j] = rstd * (rows[count + j] - a - rows[j] * bx);
                }
                scatter(rows, 0, 1, w == null ? 1 : w[c], -0.0, dx, c, channels, inner);
            }
        });
        int[] shape = {2, channels};
        if (!floats) {
            return new ChannelGradients(dx, NDArray.wrap(sums, shape));
        }
        float[] f = new float[sums.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) sums[i];
        }
        return new ChannelGradients(dx, NDArray.wrap(f, shape));
    }

    /** Channel c's N runs of the contiguous x, one after another, into {@code row} from {@code at}. */
    private static void gather(NDArray x, int c, int channels, int inner, double[] row, int at) {
        int runs = x.size / (channels * inner);
        for (int n = 0; n < runs; n++) {
            int from = x.offset + (n * channels + c) * inner;
            int to = at + n * inner;
            if (x.floats != null) {
                float[] f = x.floats;
                for (int j = 0; j < inner; j++) {
                    row[to + j] = f[from + j];
                }
            } else if (inner >= 16) {
                System.arraycopy(x.data, from, row, to, inner);
            } else {
                double[] d = x.data;
                for (int j = 0; j < inner; j++) {
                    row[to + j] = d[from + j];
                }
            }
        }
    }

    /**
     * Channel c of the contiguous y from the row at {@code at}: {@code (v scale) w + b}, each step
     * rounded to y's dtype (float32: the product by scale rounded to float, then float arithmetic).
     */
    private static void scatter(double[] row, int at, double scale, double w, double b, NDArray y, int c, int channels, int inner) {
        int runs = y.size / (channels * inner);
        if (y.floats != null) {
            float[] f = y.floats;
            float wf = (float) w;
            float bf = (float) b;
            for (int n = 0; n < runs; n++) {
                int to = (n * channels + c) * inner;
                int from = at + n * inner;
                for (int j = 0; j < inner; j++) {
                    f[to + j] = (float) (row[from + j] * scale) * wf + bf;
                }
            }
        } else {
            double[] d = y.data;
            for (int n = 0; n < runs; n++) {
                int to = (n * channels + c) * inner;
                int from = at + n * inner;
                for (int j = 0; j < inner; j++) {
                    d[to + j] = row[from + j] * scale * w + b;
                }
            }
        }
    }

    /** One row from a at ao to r at ro (r may be a at ao); its mean and rstd to stats[2i], stats[2i + 1]. */
    private static void normalizeRow(MathKernel math, double[] a, int ao, double[] r, int ro, int n, double eps, double[] stats, int i) {
        double mean = sum(math, a, ao, n) / n;
        for (int j = 0; j < n; j++) {
            r[ro + j] = a[ao + j] - mean;
        }
        double var = dot(math, r, ro, r, ro, n) / n;
        double rstd = 1 / Math.sqrt(var + eps);
        for (int j = 0; j < n; j++) {
            r[ro + j] *= rstd;
        }
        stats[2 * i] = mean;
        stats[2 * i + 1] = rstd;
    }

    /** One row's gradient from g at go and x at xo to r at ro (r may be x at xo). */
    private static void backwardRow(MathKernel math, double[] g, int go, double[] x, int xo, double mean, double rstd, double[] r, int ro,
            int n) {
        for (int j = 0; j < n; j++) {
            r[ro + j] = (x[xo + j] - mean) * rstd;
        }
        double a = sum(math, g, go, n) / n;
        double b = dot(math, g, go, r, ro, n) / n;
        for (int j = 0; j < n; j++) {
            r[ro + j] = rstd * (g[go + j] - a - r[ro + j] * b);
        }
    }

    private static double sum(MathKernel math, double[] a, int ao, int n) {
        if (n >= MathKernel.MIN_LENGTH) {
            return math.sum(a, ao, n);
        }
        double s = 0;
        for (int j = 0; j < n; j++) {
            s += a[ao + j];
        }
        return s;
    }

    private static double dot(MathKernel math, double[] a, int ao, double[] b, int bo, int n) {
        if (n >= MathKernel.MIN_LENGTH) {
            return math.dot(a, ao, b, bo, n);
        }
        double s = 0;
        for (int j = 0; j < n; j++) {
            s += a[ao + j] * b[bo + j];
        }
        return s;
    }
}
