package dev.adjoint.core.kernel;

import dev.adjoint.core.kernel.ConvKernels.Geometry;
import java.util.Arrays;

/**
 * The loops of {@link ConvKernels} on arrays of double: im2col, the products through {@link Gemm},
 * and col2im. The float32 ones are this file put through {@code FloatSources} (CONTRIBUTING.md:
 * edit the float64 file, regenerate); the scratch budget counts elements of either dtype.
 */
final class ConvLoops {
    private ConvLoops() {
    }

    /** Y = conv(x, weight) + bias, with at most {@code budget} doubles of scratch. */
    static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, Geometry g, int budget) {
        NDArray xc = x.contiguous();
        NDArray wc = weight.contiguous();
        double[] b = bias == null ? null : bias.toArray();
        int[] shape = g.outputShape();
        double[] y = new double[Shapes.size(shape)];
        int k = g.rows();
        int og = g.o() / g.groups();
        int total = g.n() * g.outH() * g.outW();
        int chunk = ConvKernels.chunkColumns(g, budget);
        double[] cols = new double[k * chunk];
        double[] out = new double[og * chunk];
        for (int j0 = 0; j0 < total; j0 += chunk) {
            int cw = Math.min(chunk, total - j0);
            for (int group = 0; group < g.groups(); group++) {
                im2col(xc.data, xc.offset, g, group, j0, cw, cols);
                Gemm.multiply(wc.data, wc.offset + group * og * k, false, cols, 0, false, out, 0, og, cw, k);
                moveColumns(out, y, g, group, j0, cw, b);
            }
        }
        return NDArray.wrap(y, shape);
    }

    /** The input gradient, with at most {@code budget} doubles of scratch. */
    static NDArray backwardInput(NDArray gradOutput, NDArray weight, Geometry g, int budget) {
        NDArray gc = gradOutput.contiguous();
        NDArray wc = weight.contiguous();
        int[] shape = g.inputShape();
        double[] gx = new double[Shapes.size(shape)];
        int k = g.rows();
        int og = g.o() / g.groups();
        int total = g.n() * g.outH() * g.outW();
        int chunk = ConvKernels.chunkColumns(g, budget);
        double[] cols = new double[k * chunk];
        double[] slice = new double[og * chunk];
        for (int j0 = 0; j0 < total; j0 += chunk) {
            int cw = Math.min(chunk, total - j0);
            for (int group = 0; group < g.groups(); group++) {
                gatherColumns(gc.data, gc.offset, slice, g, group, j0, cw);
                Gemm.multiply(wc.data, wc.offset + group * og * k, true, slice, 0, false, cols, 0, k, cw, og);
                col2im(cols, g, group, j0, cw, gx);
            }
        }
        return NDArray.wrap(gx, shape);
    }

    /** The weight gradient, with at most {@code budget} doubles of scratch. */
    static NDArray backwardWeight(NDArray x, NDArray gradOutput, Geometry g, int budget) {
        NDArray xc = x.contiguous();
        NDArray gc = gradOutput.contiguous();
        int[] shape = g.weightShape();
        int k = g.rows();
        int og = g.o() / g.groups();
        double[] gw = new double[g.o() * k];
        double[] part = new double[og * k];
        int total = g.n() * g.outH() * g.outW();
        int chunk = ConvKernels.chunkColumns(g, budget);
        double[] cols = new double[k * chunk];
        double[] slice = new double[og * chunk];
        for (int j0 = 0; j0 < total; j0 += chunk) {
            int cw = Math.min(chunk, total - j0);
            for (int group = 0; group < g.groups(); group++) {
                im2col(xc.data, xc.offset, g, group, j0, cw, cols);
                gatherColumns(gc.data, gc.offset, slice, g, group, j0, cw);
                Gemm.multiply(slice, 0, false, cols, 0, true, part, 0, og, k, cw);
                int base = group * og * k;
                for (int i = 0; i < part.length; i++) {
                    gw[base + i] += part[i];
                }
            }
        }
        return NDArray.wrap(gw, shape);
    }

    /**
     * Fills {@code cols} [k, cw] with the windows of group {@code group} for output columns
     * [j0, j0 + cw), a column j being image j / (oH oW) at output position j % (oH oW); padding reads
     * as 0. Long fills split over threads by rows of cols (pure copies: no bit depends on the split).
     */
    static void im2col(double[] x, int xOff, Geometry g, int group, int j0, int cw, double[] cols) {
        Parallel.forRange(g.rows(), 1, cw, (first, last) -> im2colRows(x, xOff, g, group, j0, cw, cols, first, last));
    }

    /** Rows [first, last) of {@link #im2col}. */
    private static void im2colRows(double[] x, int xOff, Geometry g, int group, int j0, int cw, double[] cols, int first, int last) {
        int cg = g.c() / g.groups();
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        for (int r = first; r < last; r++) {
            int ch = group * cg + r / (g.kh() * g.kw());
            int ki = r / g.kw() % g.kh();
            int kj = r % g.kw();
            int dst = r * cw;
            for (int j = j0, end = j0 + cw; j < end; ) {
                int image = j / plane;
                int rem = j - image * plane;
                int row = rem / ow;
                int col0 = rem - row * ow;
                int len = Math.min(ow - col0, end - j);
                int ih = row * g.sh() - g.ph() + ki * g.dh();
                if (ih < 0 || ih >= g.h()) {
                    Arrays.fill(cols, dst, dst + len, 0.0);
                } else {
                    int base = xOff + ((image * g.c() + ch) * g.h() + ih) * g.w();
                    int iw = col0 * g.sw() - g.pw() + kj * g.dw();
                    if (g.sw() == 1) {
                        // the run's inside part [lo, hi) is one copy, its padding two fills
                        int lo = Math.min(len, Math.max(0, -iw));
                        int hi = Math.max(lo, Math.min(len, g.w() - iw));
                        Arrays.fill(cols, dst, dst + lo, 0.0);
                        if (hi > lo) {
                            System.arraycopy(x, base + iw + lo, cols, dst + lo, hi - lo);
                        }
                        Arrays.fill(cols, dst + hi, dst + len, 0.0);
                    } else {
                        for (int t = 0; t < len; t++, iw += g.sw()) {
                            cols[dst + t] = iw >= 0 && iw < g.w() ? x[base + iw] : 0.0;
                        }
                    }
                }
                dst += len;
                j += len;
            }
        }
    }

    /**
     * The reverse of {@link #im2col}: adds each column entry into the input position it was read
     * from. Long runs split over threads by input channel, whose rows no other channel's touch, so
     * every element gets its additions in the one-thread order.
     */
    static void col2im(double[] cols, Geometry g, int group, int j0, int cw, double[] gx) {
        int window = g.kh() * g.kw();
        Parallel.forRange(g.c() / g.groups(), 1, (long) window * cw,
                (first, last) -> col2imRows(cols, g, group, j0, cw, gx, first * window, last * window));
    }

    /** Rows [first, last) of {@link #col2im}. */
    private static void col2imRows(double[] cols, Geometry g, int group, int j0, int cw, double[] gx, int first, int last) {
        int cg = g.c() / g.groups();
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        for (int r = first; r < last; r++) {
            int ch = group * cg + r / (g.kh() * g.kw());
            int ki = r / g.kw() % g.kh();
            int kj = r % g.kw();
            int src = r * cw;
            for (int j = j0, end = j0 + cw; j < end; ) {
                int image = j / plane;
                int rem = j - image * plane;
                int row = rem / ow;
                int col0 = rem - row * ow;
                int len = Math.min(ow - col0, end - j);
                int ih = row * g.sh() - g.ph() + ki * g.dh();
                if (ih >= 0 && ih < g.h()) {
                    int base = ((image * g.c() + ch) * g.h() + ih) * g.w();
                    int iw = col0 * g.sw() - g.pw() + kj * g.dw();
                    if (g.sw() == 1) {
                        int lo = Math.min(len, Math.max(0, -iw));
                        int hi = Math.max(lo, Math.min(len, g.w() - iw));
                        int at = base + iw;
                        for (int t = lo; t < hi; t++) {
                            gx[at + t] += cols[src + t];
                        }
                    } else {
                        for (int t = 0; t < len; t++, iw += g.sw()) {
                            if (iw >= 0 && iw < g.w()) {
                                gx[base + iw] += cols[src + t];
                            }
                        }
                    }
                }
                src += len;
                j += len;
            }
        }
    }

    /** Copies the output channels of a group for columns [j0, j0 + cw) of [n, o, oH, oW] into {@code slice} [o / groups, cw]. */
    static void gatherColumns(double[] y, int yOff, double[] slice, Geometry g, int group, int j0, int cw) {
        int og = g.o() / g.groups();
        int plane = g.outH() * g.outW();
        for (int j = j0, end = j0 + cw; j < end; ) {
            int image = j / plane;
            int pos = j - image * plane;
            int len = Math.min(plane - pos, end - j);
            for (int oc = 0; oc < og; oc++) {
                System.arraycopy(y, yOff + (image * g.o() + group * og + oc) * plane + pos, slice, oc * cw + j - j0, len);
            }
            j += len;
        }
    }

    /** The reverse of {@link #gatherColumns}: writes {@code slice} into y, adding the bias if there is one. */
    static void moveColumns(double[] slice, double[] y, Geometry g, int group, int j0, int cw, double[] bias) {
        int og = g.o() / g.groups();
        int plane = g.outH() * g.outW();
        for (int j = j0, end = j0 + cw; j < end; ) {
            int image = j / plane;
            int pos = j - image * plane;
            int len = Math.min(plane - pos, end - j);
            for (int oc = 0; oc < og; oc++) {
                int dst = (image * g.o() + group * og + oc) * plane + pos;
                int src = oc * cw + j - j0;
                if (bias == null) {
                    System.arraycopy(slice, src, y, dst, len);
                } else {
                    double b = bias[group * og + oc];
                    for (int t = 0; t < len; t++) {
                        y[dst + t] = slice[src + t] + b;
                    }
                }
            }
            j += len;
        }
    }
}
