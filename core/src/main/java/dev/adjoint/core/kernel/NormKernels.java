package dev.adjoint.core.kernel;

/**
 * Layer and batch normalization without their affine parts. {@link #normalize}: each row of
 * {@code cols} consecutive elements (the trailing axes of a contiguous array) becomes
 * {@code (x - mean) rstd}, with {@code rstd = 1 / sqrt(var + eps)} and the biased variance
 * {@code var = mean((x - mean)^2)}, as PyTorch's {@code layer_norm}; {@link #normalizeChannels}:
 * the same over each channel's N runs of an [N, C, ...] array, as {@code batch_norm} with batch
 * statistics. Their gradients are {@code rstd (g - mean(g) - xhat mean(g xhat))}. The means are
 * sums divided by the count ({@link MathKernel#sum} and {@link MathKernel#dot} from
 * {@link MathKernel#MIN_LENGTH} elements, in order below; a channel's runs one after another).
 * float32 is widened, computed in float64 and rounded once. Rows split over threads by whole rows,
 * channels by whole channels (so at most C threads): the same bits for any thread count.
 */
public final class NormKernels {
    private NormKernels() {
    }

    /**
     * The normalized rows and each row's statistics.
     *
     * @param y the normalized array, of x's shape and dtype
     * @param stats each row's mean and rstd, [rows, 2], float64
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
     * Normalizes each channel of x ([N, channels, inner...] flattened): channel c's values are the
     * N runs of {@code inner} elements at {@code (n channels + c) inner}, normalized over all of
     * them as one row (PyTorch's batch_norm with batch statistics). The sums go run by run, each run
     * summed as a row of {@link #normalize} is.
     *
     * @param x the array, whose size is a multiple of channels * inner
     * @param channels the number of channels, above 0
     * @param inner the elements of a run, above 0
     * @param eps added to the variance
     * @return the normalized array and each channel's mean and rstd ([channels, 2])
     */
    public static Normalized normalizeChannels(NDArray x, int channels, int inner, double eps) {
        NDArray xc = x.contiguous();
        int runs = xc.size / (channels * inner);
        double count = (double) runs * inner;
        double[] stats = new double[2 * channels];
        boolean floats = xc.floats != null;
        double[] r = floats ? null : Buffers.uninitialized(xc.size);
        float[] rf = floats ? Buffers.uninitializedFloats(xc.size) : null;
        Parallel.forEachIndex(channels, (long) runs * inner, (first, last) -> {
            MathKernel math = KernelProvider.math();
            double[] run = floats ? new double[inner] : null;
            for (int c = first; c < last; c++) {
                double sum = 0;
                for (int n = 0; n < runs; n++) {
                    int at = (n * channels + c) * inner;
                    double s = floats ? widenedSum(math, xc.floats, xc.offset + at, run, inner) : sum(math, xc.data, xc.offset + at, inner);
                    sum = n == 0 ? s : sum + s;
                }
                double mean = sum / count;
                double squares = 0;
                for (int n = 0; n < runs; n++) {
                    int at = (n * channels + c) * inner;
                    double[] src = floats ? run : xc.data;
                    int so = floats ? 0 : xc.offset + at;
                    if (floats) {
                        FloatBlocks.widen(xc.floats, xc.offset + at, 1, run, inner);
                    }
                    double[] dst = floats ? run : r;
                    int dout = floats ? 0 : at;
                    for (int j = 0; j < inner; j++) {
                        dst[dout + j] = src[so + j] - mean;
                    }
                    double q = dot(math, dst, dout, dst, dout, inner);
                    squares = n == 0 ? q : squares + q;
                }
                double rstd = 1 / Math.sqrt(squares / count + eps);
                for (int n = 0; n < runs; n++) {
                    int at = (n * channels + c) * inner;
                    if (floats) {
                        // the scratch holds one run: centre again from x (the float64 path's two roundings)
                        for (int j = 0; j < inner; j++) {
                            rf[at + j] = (float) ((xc.floats[xc.offset + at + j] - mean) * rstd);
                        }
                    } else {
                        for (int j = 0; j < inner; j++) {
                            r[at + j] *= rstd;
                        }
                    }
                }
                stats[2 * c] = mean;
                stats[2 * c + 1] = rstd;
            }
        });
        NDArray y = floats ? NDArray.wrapLike(rf, xc) : NDArray.wrapLike(r, xc);
        return new Normalized(y, NDArray.wrap(stats, new int[] {channels, 2}));
    }

    /**
     * The gradient of {@link #normalizeChannels}: per channel {@code rstd (g - M(g) - xhat M(g xhat))},
     * M the mean over the channel's values.
     *
     * @param g the output gradient, of x's shape and dtype
     * @param x the input
     * @param stats {@link Normalized#stats()} of x
     * @param channels the number of channels
     * @param inner the elements of a run
     * @return a new contiguous array of x's shape and dtype
     */
    public static NDArray backwardChannels(NDArray g, NDArray x, NDArray stats, int channels, int inner) {
        NDArray xc = x.contiguous();
        NDArray gc = g.contiguous();
        int runs = xc.size / (channels * inner);
        double count = (double) runs * inner;
        double[] st = stats.data;
        boolean floats = xc.floats != null;
        double[] r = floats ? null : Buffers.uninitialized(xc.size);
        float[] rf = floats ? Buffers.uninitializedFloats(xc.size) : null;
        Parallel.forEachIndex(channels, 2L * runs * inner, (first, last) -> {
            MathKernel math = KernelProvider.math();
            double[] xh = new double[inner];
            double[] gr = new double[inner];
            for (int c = first; c < last; c++) {
                double mean = st[2 * c];
                double rstd = st[2 * c + 1];
                double a = 0;
                double b = 0;
                for (int n = 0; n < runs; n++) {
                    int at = (n * channels + c) * inner;
                    load(xc, gc, at, mean, rstd, xh, gr, inner);
                    double s = sum(math, gr, 0, inner);
                    double d = dot(math, gr, 0, xh, 0, inner);
                    a = n == 0 ? s : a + s;
                    b = n == 0 ? d : b + d;
                }
                a /= count;
                b /= count;
                for (int n = 0; n < runs; n++) {
                    int at = (n * channels + c) * inner;
                    load(xc, gc, at, mean, rstd, xh, gr, inner);
                    for (int j = 0; j < inner; j++) {
                        double v = rstd * (gr[j] - a - xh[j] * b);
                        if (floats) {
                            rf[at + j] = (float) v;
                        } else {
                            r[at + j] = v;
                        }
                    }
                }
            }
        });
        return floats ? NDArray.wrapLike(rf, xc) : NDArray.wrapLike(r, xc);
    }

    /** The run at {@code at}: xhat = (x - mean) rstd into xh, g (widened) into gr. */
    private static void load(NDArray x, NDArray g, int at, double mean, double rstd, double[] xh, double[] gr, int n) {
        if (x.floats != null) {
            for (int j = 0; j < n; j++) {
                xh[j] = (x.floats[x.offset + at + j] - mean) * rstd;
                gr[j] = g.floats[g.offset + at + j];
            }
        } else {
            for (int j = 0; j < n; j++) {
                xh[j] = (x.data[x.offset + at + j] - mean) * rstd;
            }
            System.arraycopy(g.data, g.offset + at, gr, 0, n);
        }
    }

    /** The sum of n floats from a at ao, widened into w first. */
    private static double widenedSum(MathKernel math, float[] a, int ao, double[] w, int n) {
        FloatBlocks.widen(a, ao, 1, w, n);
        return sum(math, w, 0, n);
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
