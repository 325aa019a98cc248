package dev.adjoint.core.kernel;

/**
 * Batch normalization of [N, C] (runs of one element: each channel a column of N values), for
 * {@link NormKernels}: strips of channels, each channel's sums going down its column in order, on
 * the {@link NormColumnKernel} loops, which read x and g and write the results in place, with the
 * per-element formulas of {@link NormKernels}' rows. The same bits for any thread count, strip width
 * and kernel.
 */
final class NormColumns {
    private NormColumns() {
    }

    /** The most channels a thread's pass over [N, C] takes at once: a strip of N rows of up to this many columns. */
    private static final int COLUMNS = 128;

    /**
     * The width of the strips of C columns: {@link #COLUMNS}, or for fewer than four strips' worth a
     * quarter of C (a multiple of 8), so that a few channels of many rows still keep threads busy.
     * The sums go down each column whatever the width: the same bits.
     */
    private static int strip(int channels) {
        return Math.min(COLUMNS, Math.max(8, ((channels + 3) / 4 + 7) / 8 * 8));
    }

    /**
     * {@link NormKernels#normalizeChannels} for runs of one element ([N, C]: a channel is a column):
     * strips of channels, each channel's sums taken down its column in order.
     */
    static void normalize(NDArray x, double[] w, double[] b, int channels, double eps, NDArray y, double[] stats) {
        int rows = x.size / channels;
        int width = strip(channels);
        NormColumnKernel kernel = KernelProvider.exactFor(x.size).normColumns();
        boolean floats = x.floats != null;
        Parallel.forEachIndex((channels + width - 1) / width, 3L * width * rows, (first, last) -> {
            Strip s = new Strip(width);
            for (int k = first; k < last; k++) {
                int c0 = k * width;
                int cb = Math.min(width, channels - c0);
                int xo = x.offset + c0;
                if (floats) {
                    kernel.sums(x.floats, xo, channels, rows, null, s.a, cb);
                } else {
                    kernel.sums(x.data, xo, channels, rows, null, s.a, cb);
                }
                for (int i = 0; i < cb; i++) {
                    s.mean[i] = s.a[i] / rows;
                }
                if (floats) {
                    kernel.sums(x.floats, xo, channels, rows, s.mean, s.a, cb);
                } else {
                    kernel.sums(x.data, xo, channels, rows, s.mean, s.a, cb);
                }
                for (int i = 0; i < cb; i++) {
                    int c = c0 + i;
                    double var = s.a[i] / rows;
                    s.rstd[i] = 1 / Math.sqrt(var + eps);
                    stats[3 * c] = s.mean[i];
                    stats[3 * c + 1] = s.rstd[i];
                    stats[3 * c + 2] = var;
                }
                s.coefficients(w, b, c0, cb);
                if (floats) {
                    kernel.normalize(x.floats, xo, channels, rows, s.mean, s.rstd, s.wf, s.bf, y.floats, y.offset + c0, cb);
                } else {
                    kernel.normalize(x.data, xo, channels, rows, s.mean, s.rstd, s.w, s.b, y.data, y.offset + c0, cb);
                }
            }
        });
    }

    /** {@link NormKernels#backwardChannels} for runs of one element, as {@link #normalize}. */
    static void backward(NDArray g, NDArray x, double[] w, double[] st, int channels, NDArray dx, double[] sums) {
        int rows = x.size / channels;
        int width = strip(channels);
        NormColumnKernel kernel = KernelProvider.exactFor(x.size).normColumns();
        boolean floats = x.floats != null;
        Parallel.forEachIndex((channels + width - 1) / width, 4L * width * rows, (first, last) -> {
            Strip s = new Strip(width);
            // the sums of g (s.a) and of g xhat (sgx) per channel, then their means
            double[] sgx = new double[width];
            double[] meanG = new double[width];
            double[] meanGx = new double[width];
            for (int k = first; k < last; k++) {
                int c0 = k * width;
                int cb = Math.min(width, channels - c0);
                for (int i = 0; i < cb; i++) {
                    s.mean[i] = st[3 * (c0 + i)];
                    s.rstd[i] = st[3 * (c0 + i) + 1];
                }
                int xo = x.offset + c0;
                int go = g.offset + c0;
                if (floats) {
                    kernel.gradientSums(g.floats, go, x.floats, xo, channels, rows, s.mean, s.rstd, s.a, sgx, cb);
                } else {
                    kernel.gradientSums(g.data, go, x.data, xo, channels, rows, s.mean, s.rstd, s.a, sgx, cb);
                }
                for (int i = 0; i < cb; i++) {
                    meanG[i] = s.a[i] / rows;
                    meanGx[i] = sgx[i] / rows;
                    sums[c0 + i] = sgx[i];
                    sums[channels + c0 + i] = s.a[i];
                }
                s.coefficients(w, null, c0, cb);
                if (floats) {
                    kernel.gradient(g.floats, go, x.floats, xo, channels, rows, s.mean, s.rstd, meanG, meanGx, s.wf,
                            dx.floats, dx.offset + c0, cb);
                } else {
                    kernel.gradient(g.data, go, x.data, xo, channels, rows, s.mean, s.rstd, meanG, meanGx, s.w,
                            dx.data, dx.offset + c0, cb);
                }
            }
        });
    }

    /**
     * One thread's scratch for a strip of channels, every array at offset 0: per-channel sums, means
     * and rstds, and the weight and bias in both dtypes (ones and -0.0, the exact identities, for
     * none).
     */
    private static final class Strip {
        final double[] a;
        final double[] mean;
        final double[] rstd;
        final double[] w;
        final double[] b;
        final float[] wf;
        final float[] bf;

        Strip(int width) {
            a = new double[width];
            mean = new double[width];
            rstd = new double[width];
            w = new double[width];
            b = new double[width];
            wf = new float[width];
            bf = new float[width];
        }

        /** Channels c0 .. c0 + cb - 1 of the weight and bias (null for none). */
        void coefficients(double[] weight, double[] bias, int c0, int cb) {
            for (int i = 0; i < cb; i++) {
                w[i] = weight != null ? weight[c0 + i] : 1;
                b[i] = bias != null ? bias[c0 + i] : -0.0;
                wf[i] = (float) w[i];
                bf[i] = (float) b[i];
            }
        }
    }
}
