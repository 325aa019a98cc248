package dev.adjoint.core.kernel;

import dev.adjoint.core.kernel.PoolKernels.Pool;
import java.util.Arrays;

/**
 * The average pooling loops of {@link PoolKernels} ({@link MaxPoolLoops} holds max pooling's), one
 * image plane (h x w in, outH x outW out) per call, each plane's operations in a fixed order
 * whatever thread runs it. Arrays and offsets are checked by the caller. float32 planes reach these
 * loops widened exactly, and their results are rounded once on the way out: the sums are float64.
 */
final class PoolLoops {
    private PoolLoops() {
    }

    /** Each window's sum over its positions inside the input, divided by k^2. */
    static void average(double[] x, int xo, double[] y, int yo, Pool pool) {
        int w = pool.w();
        int ow = pool.outW();
        double divisor = (double) pool.k() * pool.k();
        for (int i = 0, q = 0; i < pool.outH(); i++) {
            int h0 = Math.max(i * pool.s() - pool.p(), 0);
            int h1 = Math.min(i * pool.s() - pool.p() + pool.k(), pool.h());
            for (int j = 0; j < ow; j++, q++) {
                int w0 = Math.max(j * pool.s() - pool.p(), 0);
                int w1 = Math.min(j * pool.s() - pool.p() + pool.k(), w);
                double sum = 0.0;
                for (int r = h0; r < h1; r++) {
                    for (int t = xo + r * w + w0, end = xo + r * w + w1; t < end; t++) {
                        sum += x[t];
                    }
                }
                y[yo + q] = sum / divisor;
            }
        }
    }

    /** The adjoint of {@link #average} on one plane, written whole: zeros, then each g / k^2 added over its window in output order. */
    static void averageBackward(double[] g, int go, double[] gx, int xo, Pool pool) {
        int w = pool.w();
        int ow = pool.outW();
        double divisor = (double) pool.k() * pool.k();
        Arrays.fill(gx, xo, xo + pool.h() * w, 0.0);
        for (int i = 0, q = go; i < pool.outH(); i++) {
            int h0 = Math.max(i * pool.s() - pool.p(), 0);
            int h1 = Math.min(i * pool.s() - pool.p() + pool.k(), pool.h());
            for (int j = 0; j < ow; j++, q++) {
                int w0 = Math.max(j * pool.s() - pool.p(), 0);
                int w1 = Math.min(j * pool.s() - pool.p() + pool.k(), w);
                double v = g[q] / divisor;
                for (int r = h0; r < h1; r++) {
                    for (int t = xo + r * w + w0, end = xo + r * w + w1; t < end; t++) {
                        gx[t] += v;
                    }
                }
            }
        }
    }
}
