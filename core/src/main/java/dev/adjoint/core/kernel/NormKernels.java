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
 * a row; where a run is one element ([N, C]), a channel's sums go down its column in order instead
 * ({@link NormColumns}).
 * float32 is widened, computed in float64 and rounded once (a weight and bias then applied in float
 * arithmetic, as the ops would). Rows split over threads by whole rows, channels by whole
 * channels (blocks or strips of them): the same bits for any thread count.
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
        return LayerNormKernels.forward(x, null, null, cols, eps);
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
        NDArray gc = g.contiguousOperand();
        int rows = xc.size / cols;
        double[] st = stats.data;
        boolean floats = xc.floats != null;
        double[] r = floats ? null : Buffers.uninitialized(xc.size);
        float[] rf = floats ? Buffers.uninitializedFloats(xc.size) : null;
        Parallel.forRange(rows, 1, 2L * cols, (first, last) -> {
            MathKernel math = KernelProvider.math();
            double[] xRow = Scratch.doubles(Scratch.NORM, cols);
            double[] gRow = Scratch.doubles(Scratch.NORM_GRADIENT, cols);
            for (int i = first; i < last; i++) {
                load(xc, i * cols, xRow, cols);
                load(gc, i * cols, gRow, cols);
                backwardRow(math, gRow, xRow, st[2 * i], st[2 * i + 1], cols);
                if (floats) {
                    NDArray.narrow(xRow, 0, rf, i * cols, cols);
                } else {
                    System.arraycopy(xRow, 0, r, i * cols, cols);
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
     * statistics). A thread gathers a block of channels at a time into rows of scratch, or for runs
     * of one element reads strips of channels down their columns.
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
        double[] stats = new double[3 * channels];
        double[] w = weight == null ? null : weight.toArray();
        double[] b = bias == null ? null : bias.toArray();
        NDArray y = xc.floats != null ? NDArray.wrapLike(Buffers.uninitializedFloats(xc.size), xc)
                : NDArray.wrapLike(Buffers.uninitialized(xc.size), xc);
        if (inner == 1) {
            NormColumns.normalize(xc, w, b, channels, eps, y, stats);
        } else {
            normalizeBlocks(xc, w, b, channels, inner, eps, y, stats);
        }
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
        NDArray gc = g.contiguousOperand();
        double[] w = weight == null ? null : weight.toArray();
        boolean floats = xc.floats != null;
        NDArray dx = floats ? NDArray.wrapLike(Buffers.uninitializedFloats(xc.size), xc) : NDArray.wrapLike(Buffers.uninitialized(xc.size), xc);
        double[] sums = new double[2 * channels];
        if (inner == 1) {
            NormColumns.backward(gc, xc, w, stats.data, channels, dx, sums);
        } else {
            backwardBlocks(gc, xc, w, stats.data, channels, inner, dx, sums);
        }
        int[] shape = {2, channels};
        NDArray s = NDArray.wrap(sums, shape);
        return new ChannelGradients(dx, floats ? s.toFloat32() : s);
    }

    /** {@link #normalizeChannels} for runs of two or more elements: blocks of channels gathered into rows. */
    private static void normalizeBlocks(NDArray x, double[] w, double[] b, int channels, int inner, double eps, NDArray y, double[] stats) {
        int count = x.size / channels;
        int per = block(inner, channels, count);
        int stride = stride(per, count);
        Parallel.forEachIndex((channels + per - 1) / per, 4L * per * count, (first, last) -> {
            MathKernel math = KernelProvider.math();
            double[] rows = Scratch.doubles(Scratch.NORM, per * stride);
            for (int k = first; k < last; k++) {
                int c0 = k * per;
                int cb = Math.min(per, channels - c0);
                gather(x, c0, cb, channels, inner, rows, stride);
                for (int i = 0; i < cb; i++) {
                    int c = c0 + i;
                    int at = i * stride;
                    double mean = sum(math, rows, at, count) / count;
                    for (int j = at; j < at + count; j++) {
                        rows[j] -= mean;
                    }
                    double var = dot(math, rows, at, rows, at, count) / count;
                    double rstd = 1 / Math.sqrt(var + eps);
                    stats[3 * c] = mean;
                    stats[3 * c + 1] = rstd;
                    stats[3 * c + 2] = var;
                    for (int j = at; j < at + count; j++) {
                        rows[j] *= rstd;
                    }
                }
                scatter(rows, stride, w, b, y, c0, cb, channels, inner);
            }
        });
    }

    /** {@link #backwardChannels} for runs of two or more elements, as {@link #normalizeBlocks}. */
    private static void backwardBlocks(NDArray g, NDArray x, double[] w, double[] st, int channels, int inner, NDArray dx,
            double[] sums) {
        int count = x.size / channels;
        int per = block(inner, channels, count);
        int stride = stride(per, count);
        Parallel.forEachIndex((channels + per - 1) / per, 5L * per * count, (first, last) -> {
            MathKernel math = KernelProvider.math();
            // x's rows and g's, at the same places in two arrays (loops over both at one index vectorize)
            double[] xr = Scratch.doubles(Scratch.NORM, per * stride);
            double[] gr = Scratch.doubles(Scratch.NORM_GRADIENT, per * stride);
            for (int k = first; k < last; k++) {
                int c0 = k * per;
                int cb = Math.min(per, channels - c0);
                gather(x, c0, cb, channels, inner, xr, stride);
                gather(g, c0, cb, channels, inner, gr, stride);
                for (int i = 0; i < cb; i++) {
                    int c = c0 + i;
                    int at = i * stride;
                    double mean = st[3 * c];
                    double rstd = st[3 * c + 1];
                    for (int j = at; j < at + count; j++) {
                        xr[j] = (xr[j] - mean) * rstd;
                    }
                    double sg = sum(math, gr, at, count);
                    double sgx = dot(math, gr, at, xr, at, count);
                    sums[c] = sgx;
                    sums[channels + c] = sg;
                    double a = sg / count;
                    double bx = sgx / count;
                    for (int j = at; j < at + count; j++) {
                        xr[j] = rstd * (gr[j] - a - xr[j] * bx);
                    }
                }
                scatter(xr, stride, w, null, dx, c0, cb, channels, inner);
            }
        });
    }

    /**
     * {@code x alpha[c] + beta[c]} over each channel c of x ([N, channels, inner...] flattened), each
     * product and sum rounded to x's dtype (the bits of the two ops): a batch normalization in
     * evaluation mode, in one pass over x, each run's sum taken while its products are in cache.
     *
     * @param x the array
     * @param alpha the scale, [channels] of x's dtype
     * @param beta the shift, [channels] of x's dtype
     * @param channels the number of channels, above 0
     * @param inner the elements of a run, above 0
     * @return a new contiguous array of x's shape and dtype
     */
    public static NDArray scaleChannels(NDArray x, NDArray alpha, NDArray beta, int channels, int inner) {
        NDArray xc = x.contiguous();
        NDArray a = alpha.contiguous();
        NDArray b = beta.contiguous();
        boolean floats = xc.floats != null;
        NDArray y = floats ? NDArray.wrapLike(Buffers.uninitializedFloats(xc.size), xc) : NDArray.wrapLike(Buffers.uninitialized(xc.size), xc);
        if (xc.size == 0) {
            return y;
        }
        int runs = xc.size / inner;
        // [N, C]: a row of all the channels at once against the whole of alpha and beta
        boolean rows = inner == 1;
        int length = rows ? channels : inner;
        int stride = rows ? 1 : 0;
        Parallel.forRange(rows ? runs / channels : runs, 1, length, (first, last) -> {
            MathKernel math = KernelProvider.exactFor(length);
            for (int k = first; k < last; k++) {
                int at = k * length;
                // a run's channel, whose alpha and beta broadcast over it; a row's channels, one each
                int c = rows ? 0 : k % channels;
                if (floats) {
                    math.arithmetic(Elementwise.Binary.MUL, xc.floats, xc.offset + at, a.floats, a.offset + c, stride, y.floats, at, length);
                    math.arithmetic(Elementwise.Binary.ADD, y.floats, at, b.floats, b.offset + c, stride, y.floats, at, length);
                } else {
                    math.arithmetic(Elementwise.Binary.MUL, xc.data, xc.offset + at, a.data, a.offset + c, stride, y.data, at, length);
                    math.arithmetic(Elementwise.Binary.ADD, y.data, at, b.data, b.offset + c, stride, y.data, at, length);
                }
            }
        });
        return y;
    }

    /**
     * The channels a thread takes at once: enough for a read of 16 or more elements per image, so
     * that short runs ([N, C, 3], say) are read as blocks, not one by one; no more than there are,
     * and one where a block's rows would not fit an array.
     */
    private static int block(int inner, int channels, int count) {
        int per = Math.min(channels, inner >= 16 ? 1 : (16 + inner - 1) / inner);
        return (long) per * (count + 8) > Integer.MAX_VALUE - 16 ? 1 : per;
    }

    /**
     * The distance between a block's rows in scratch: the row, and for more than one, 8 elements more,
     * so that the writes of a block's gather do not all land in the same few cache sets.
     */
    private static int stride(int per, int count) {
        return per == 1 ? count : count + 8;
    }

    /**
     * Channels c0 .. c0 + cb - 1 of the contiguous x into rows of {@code rows}: channel c0 + i's N
     * runs one after another from {@code i stride}, floats widened.
     */
    private static void gather(NDArray x, int c0, int cb, int channels, int inner, double[] rows, int stride) {
        int runs = x.size / (channels * inner);
        for (int n = 0; n < runs; n++) {
            int from = x.offset + (n * channels + c0) * inner;
            int to = n * inner;
            for (int i = 0; i < cb; i++) {
                if (x.floats != null) {
                    NDArray.widen(x.floats, from + i * inner, rows, to + i * stride, inner);
                } else {
                    System.arraycopy(x.data, from + i * inner, rows, to + i * stride, inner);
                }
            }
        }
    }

    /**
     * The rows {@link #gather} filled back into channels c0 .. c0 + cb - 1 of the contiguous y (floats
     * rounded), then times the channel's weight and plus its bias where given, in y's dtype.
     */
    private static void scatter(double[] rows, int stride, double[] w, double[] b, NDArray y, int c0, int cb, int channels, int inner) {
        int runs = y.size / (channels * inner);
        double[] d = y.data;
        float[] f = y.floats;
        for (int n = 0; n < runs; n++) {
            for (int i = 0; i < cb; i++) {
                int c = c0 + i;
                int src = n * inner + i * stride;
                int dst = (n * channels + c) * inner;
                if (f != null) {
                    NDArray.narrow(rows, src, f, dst, inner);
                    if (w != null) {
                        float wf = (float) w[c];
                        for (int j = dst; j < dst + inner; j++) {
                            f[j] *= wf;
                        }
                    }
                    if (b != null) {
                        float bf = (float) b[c];
                        for (int j = dst; j < dst + inner; j++) {
                            f[j] += bf;
                        }
                    }
                } else {
                    System.arraycopy(rows, src, d, dst, inner);
                    if (w != null) {
                        double wd = w[c];
                        for (int j = dst; j < dst + inner; j++) {
                            d[j] *= wd;
                        }
                    }
                    if (b != null) {
                        double bd = b[c];
                        for (int j = dst; j < dst + inner; j++) {
                            d[j] += bd;
                        }
                    }
                }
            }
        }
    }

    /** n elements of the contiguous x from {@code at} (past its offset) into row from 0, floats widened. */
    static void load(NDArray x, int at, double[] row, int n) {
        if (x.floats != null) {
            NDArray.widen(x.floats, x.offset + at, row, 0, n);
        } else {
            System.arraycopy(x.data, x.offset + at, row, 0, n);
        }
    }

    /** Normalizes the row r[0, n) in place; its mean and rstd to stats[2i], stats[2i + 1]. */
    static void normalizeRow(MathKernel math, double[] r, int n, double eps, double[] stats, int i) {
        double mean = sum(math, r, 0, n) / n;
        for (int j = 0; j < n; j++) {
            r[j] -= mean;
        }
        double var = dot(math, r, 0, r, 0, n) / n;
        double rstd = 1 / Math.sqrt(var + eps);
        for (int j = 0; j < n; j++) {
            r[j] *= rstd;
        }
        stats[2 * i] = mean;
        stats[2 * i + 1] = rstd;
    }

    /** One row's gradient from g[0, n) and x[0, n), into x. */
    private static void backwardRow(MathKernel math, double[] g, double[] x, double mean, double rstd, int n) {
        xhatRow(x, mean, rstd, n);
        gradientRow(math, g, x, rstd, n);
    }

    /** {@code x[j] = (x[j] - mean) rstd} for j in [0, n): the normalized row, with {@link #normalizeRow}'s bits. */
    static void xhatRow(double[] x, double mean, double rstd, int n) {
        for (int j = 0; j < n; j++) {
            x[j] = (x[j] - mean) * rstd;
        }
    }

    /** A row's gradient {@code rstd (g - M(g) - xhat M(g xhat))} from g[0, n) and xhat[0, n), into xhat. */
    static void gradientRow(MathKernel math, double[] g, double[] xhat, double rstd, int n) {
        double a = sum(math, g, 0, n) / n;
        double b = dot(math, g, 0, xhat, 0, n) / n;
        for (int j = 0; j < n; j++) {
            xhat[j] = rstd * (g[j] - a - xhat[j] * b);
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
