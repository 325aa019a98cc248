package dev.adjoint.core.kernel;

import dev.adjoint.core.kernel.PoolKernels.Pool;
import java.util.Arrays;

/**
 * The float64 loops of {@link PoolKernels}, one image plane (h x w in, outH x outW out) per call,
 * each plane's operations in a fixed order whatever thread runs it. Arrays and offsets are checked
 * by the caller. float32 planes reach these loops widened exactly, and their results are rounded
 * once on the way out.
 */
final class PoolLoops {
    private PoolLoops() {
    }

    /**
     * Each window's maximum into {@code y[yo..]} and its position {@code r w + t} within the plane
     * into {@code where[wo..]}: scanning the window row by row, a value replaces the running maximum
     * when it is greater or NaN (PyTorch 1.13's rule), so the first of tied values wins and the last
     * NaN, if any, is the maximum.
     */
    static void max(double[] x, int xo, double[] y, int yo, double[] where, int wo, Pool pool) {
        if (pool.k() == 2 && pool.s() == 2 && pool.p() == 0) {
            max2x2(x, xo, y, yo, where, wo, pool.w(), pool.outH(), pool.outW());
            return;
        }
        int w = pool.w();
        int oh = pool.outH();
        int ow = pool.outW();
        for (int i = 0, q = 0; i < oh; i++) {
            int h0 = Math.max(i * pool.s() - pool.p(), 0);
            int h1 = Math.min(i * pool.s() - pool.p() + pool.k(), pool.h());
            for (int j = 0; j < ow; j++, q++) {
                int w0 = Math.max(j * pool.s() - pool.p(), 0);
                int w1 = Math.min(j * pool.s() - pool.p() + pool.k(), w);
                int best = h0 * w + w0;
                double max = Double.NEGATIVE_INFINITY;
                for (int r = h0; r < h1; r++) {
                    for (int t = r * w + w0, end = r * w + w1; t < end; t++) {
                        double v = x[xo + t];
                        if (v > max || v != v) {
                            max = v;
                            best = t;
                        }
                    }
                }
                y[yo + q] = max;
                where[wo + q] = best;
            }
        }
    }

    /**
     * {@link #max} for 2x2 windows, stride 2, no padding, branch-free. Scanning a, b, c, d (two rows
     * of two) in order is the same as taking the winner of (a, b), the winner of (c, d), then the
     * second winner if it beats the first by the same rule: with no NaN each winner is the first
     * maximum of its pair, and a NaN always wins, the later one over the earlier. Only positions are
     * selected; the value is read back at the winning position, so -0.0 and 0.0 ties keep the
     * first one's bits.
     */
    private static void max2x2(double[] x, int xo, double[] y, int yo, double[] where, int wo, int w, int oh, int ow) {
        for (int i = 0; i < oh; i++) {
            int top = 2 * i * w;
            int row = i * ow;
            for (int j = 0; j < ow; j++) {
                int t = xo + top + 2 * j;
                double a = x[t];
                double b = x[t + 1];
                double c = x[t + w];
                double d = x[t + w + 1];
                int first = (b > a | b != b) ? 1 : 0;
                int second = (d > c | d != d) ? w + 1 : w;
                double u = x[t + first];
                double v = x[t + second];
                int off = (v > u | v != v) ? second : first;
                y[yo + row + j] = x[t + off];
                where[wo + row + j] = top + 2 * j + off;
            }
        }
    }

    /** The plane's values at the recorded positions: {@code y[yo + q] = x[xo + where[wo + q]]} for q in [0, n). */
    static void gather(double[] x, int xo, double[] where, int wo, double[] y, int yo, int n) {
        for (int q = 0; q < n; q++) {
            y[yo + q] = x[xo + (int) where[wo + q]];
        }
    }

    /**
     * The adjoint of {@link #gather} on one plane of {@code hw} positions, written whole: zeros, then
     * each of the n gradients added at its position in output order.
     */
    static void scatter(double[] g, int go, double[] where, int wo, int n, double[] gx, int xo, int hw) {
        Arrays.fill(gx, xo, xo + hw, 0.0);
        for (int q = 0; q < n; q++) {
            gx[xo + (int) where[wo + q]] += g[go + q];
        }
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
