package dev.adjoint.core.kernel;

import java.util.Arrays;

/**
 * Batch normalization of [N, C] (runs of one element: each channel a column of N values), for
 * {@link NormKernels}: strips of channels, each channel's sums going down its column in order
 * (sequential sums, vectorized across the strip's channels), with the per-element formulas of
 * {@link NormKernels}' rows. Each image's strip is copied (floats widened) to scratch at offset 0,
 * where the loops over it and the per-channel coefficients vectorize: on C2 a loop over arrays at
 * two different offsets stays scalar. The same bits for any thread count and strip width.
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
     * strips of channels, each channel's sums taken down its column in order, each image's strip
     * copied to scratch so that the loops over it and the channels' coefficients vectorize.
     */
    static void normalize(NDArray x, double[] w, double[] b, int channels, double eps, NDArray y, double[] stats) {
        int rows = x.size / channels;
        int width = strip(channels);
        Parallel.forEachIndex((channels + width - 1) / width, 3L * width * rows, (first, last) -> {
            Strip s = new Strip(width);
            for (int k = first; k < last; k++) {
                int c0 = k * width;
                int cb = Math.min(width, channels - c0);
                Arrays.fill(s.a, 0);
                for (int n = 0; n < rows; n++) {
                    s.load(x, n * channels + c0, cb);
                    for (int i = 0; i < width; i++) {
                        s.a[i] += s.t[i];
                    }
                }
                for (int i = 0; i < width; i++) {
                    s.mean[i] = s.a[i] / rows;
                    s.a[i] = 0;
                }
                for (int n = 0; n < rows; n++) {
                    s.load(x, n * channels + c0, cb);
                    for (int i = 0; i < width; i++) {
                        double v = s.t[i] - s.mean[i];
                        s.a[i] += v * v;
                    }
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
                for (int n = 0; n < rows; n++) {
                    s.load(x, n * channels + c0, cb);
                    for (int i = 0; i < width; i++) {
                        s.t[i] = (s.t[i] - s.mean[i]) * s.rstd[i];
                    }
                    s.store(y, n * channels + c0, cb);
                }
            }
        });
    }

    /** {@link NormKernels#backwardChannels} for runs of one element, as {@link #normalize}. */
    static void backward(NDArray g, NDArray x, double[] w, double[] st, int channels, NDArray dx, double[] sums) {
        int rows = x.size / channels;
        int width = strip(channels);
        Parallel.forEachIndex((channels + width - 1) / width, 4L * width * rows, (first, last) -> {
            Strip s = new Strip(width);
            Strip gs = new Strip(width);
            // the sums of g xhat and of g per channel, then their means
            double[] sgx = s.a;
            double[] sg = gs.a;
            double[] meanGx = new double[width];
            double[] meanG = new double[width];
            for (int k = first; k < last; k++) {
                int c0 = k * width;
                int cb = Math.min(width, channels - c0);
                Arrays.fill(sgx, 0);
                Arrays.fill(sg, 0);
                for (int i = 0; i < width; i++) {
                    // past cb: 0 and 1, read but never stored
                    s.mean[i] = i < cb ? st[3 * (c0 + i)] : 0;
                    s.rstd[i] = i < cb ? st[3 * (c0 + i) + 1] : 1;
                }
                for (int n = 0; n < rows; n++) {
                    s.load(x, n * channels + c0, cb);
                    gs.load(g, n * channels + c0, cb);
                    for (int i = 0; i < width; i++) {
                        double xh = (s.t[i] - s.mean[i]) * s.rstd[i];
                        sg[i] += gs.t[i];
                        sgx[i] += gs.t[i] * xh;
                    }
                }
                for (int i = 0; i < width; i++) {
                    meanG[i] = sg[i] / rows;
                    meanGx[i] = sgx[i] / rows;
                }
                for (int i = 0; i < cb; i++) {
                    sums[c0 + i] = sgx[i];
                    sums[channels + c0 + i] = sg[i];
                }
                s.coefficients(w, null, c0, cb);
                for (int n = 0; n < rows; n++) {
                    s.load(x, n * channels + c0, cb);
                    gs.load(g, n * channels + c0, cb);
                    for (int i = 0; i < width; i++) {
                        double xh = (s.t[i] - s.mean[i]) * s.rstd[i];
                        s.t[i] = s.rstd[i] * (gs.t[i] - meanG[i] - xh * meanGx[i]);
                    }
                    s.store(dx, n * channels + c0, cb);
                }
            }
        });
    }

    /**
     * One thread's scratch for a strip of channels, every array at offset 0, so that C2 vectorizes
     * the loops over them: an image's strip ({@code t}, widened; zeros past the strip's channels),
     * per-channel sums, means and rstds, and the weight and bias in both dtypes.
     */
    private static final class Strip {
        final int width;
        final double[] t;
        final float[] tf;
        final double[] a;
        final double[] mean;
        final double[] rstd;
        final double[] w;
        final double[] b;
        final float[] wf;
        final float[] bf;
        boolean weighted;
        boolean biased;

        Strip(int width) {
            this.width = width;
            t = new double[width];
            tf = new float[width];
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
            weighted = weight != null;
            biased = bias != null;
            for (int i = 0; i < cb; i++) {
                w[i] = weighted ? weight[c0 + i] : 1;
                b[i] = biased ? bias[c0 + i] : 0;
                wf[i] = (float) w[i];
                bf[i] = (float) b[i];
            }
        }

        /** The cb elements of the contiguous x at {@code at} (past its offset) into t, zeros after them. */
        void load(NDArray x, int at, int cb) {
            if (x.floats != null) {
                NDArray.widen(x.floats, x.offset + at, t, 0, cb);
            } else {
                System.arraycopy(x.data, x.offset + at, t, 0, cb);
            }
            if (cb < width) {
                Arrays.fill(t, cb, width, 0);
            }
        }

        /** t's first cb elements to the contiguous y at {@code at}, times w and plus b in y's dtype where given. */
        void store(NDArray y, int at, int cb) {
            if (y.floats != null) {
                NDArray.narrow(t, 0, tf, 0, width);
                if (weighted) {
                    for (int i = 0; i < width; i++) {
                        tf[i] *= wf[i];
                    }
                }
                if (biased) {
                    for (int i = 0; i < width; i++) {
                        tf[i] += bf[i];
                    }
                }
                System.arraycopy(tf, 0, y.floats, at, cb);
            } else {
                if (weighted) {
                    for (int i = 0; i < width; i++) {
                        t[i] *= w[i];
                    }
                }
                if (biased) {
                    for (int i = 0; i < width; i++) {
                        t[i] += b[i];
                    }
                }
                System.arraycopy(t, 0, y.data, at, cb);
            }
        }
    }
}
