package dev.adjoint.core.kernel;

import dev.adjoint.core.kernel.ConvKernels.Geometry;
import java.util.Arrays;

/**
 * The column loops of {@link ConvLoops} on arrays of double: im2col, which copies each output
 * position's input window into a column, and col2im, which adds columns back into the input's
 * shape. The float32 ones are this file put through {@code FloatSources} (CONTRIBUTING.md: edit the
 * float64 file, regenerate).
 */
final class ColumnLoops {
    private ColumnLoops() {
    }

    /**
     * Fills {@code cols} [k, cw] with the windows of group {@code group} for output columns
     * [j0, j0 + cw), a column j being image j / (oH oW) at output position j % (oH oW); padding reads
     * as 0. Long fills split over threads by rows of cols (pure copies: no bit depends on the split).
     */
    static void im2col(double[] x, int xOff, Geometry g, int group, int j0, int cw, double[] cols, boolean split) {
        if (split) {
            Parallel.forRange(g.rows(), 1, cw, (first, last) -> im2colRows(x, xOff, g, group, j0, cw, cols, first, last));
        } else {
            im2colRows(x, xOff, g, group, j0, cw, cols, 0, g.rows());
        }
    }

    /** Rows [first, last) of {@link #im2col}. */
    private static void im2colRows(double[] x, int xOff, Geometry g, int group, int j0, int cw, double[] cols, int first, int last) {
        int cg = g.c() / g.groups();
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        int h = g.h();
        int w = g.w();
        int sh = g.sh();
        int sw = g.sw();
        if (sh == 1 && sw == 1 && j0 % plane == 0 && cw % plane == 0) {
            im2colPlanes(x, xOff, g, group, j0, cw, cols, first, last);
            return;
        }
        for (int r = first; r < last; r++) {
            int ch = group * cg + r / (g.kh() * g.kw());
            int ki = r / g.kw() % g.kh();
            int kj = r % g.kw();
            int dst = r * cw;
            // the position of column j: image, output row, output column; advanced run by run
            int image = j0 / plane;
            int row = (j0 - image * plane) / ow;
            int col0 = j0 - image * plane - row * ow;
            int ihTop = ki * g.dh() - g.ph();
            int iwLeft = kj * g.dw() - g.pw();
            for (int j = j0, end = j0 + cw; j < end; ) {
                int len = Math.min(ow - col0, end - j);
                int ih = row * sh + ihTop;
                if (ih < 0 || ih >= h) {
                    Arrays.fill(cols, dst, dst + len, 0.0);
                } else {
                    int base = xOff + ((image * g.c() + ch) * h + ih) * w;
                    int iw = col0 * sw + iwLeft;
                    if (sw == 1) {
                        // the run's inside part [lo, hi) is one copy, its padding two fills
                        int lo = Math.min(len, Math.max(0, -iw));
                        int hi = Math.max(lo, Math.min(len, w - iw));
                        Arrays.fill(cols, dst, dst + lo, 0.0);
                        if (hi > lo) {
                            System.arraycopy(x, base + iw + lo, cols, dst + lo, hi - lo);
                        }
                        Arrays.fill(cols, dst + hi, dst + len, 0.0);
                    } else {
                        for (int t = 0; t < len; t++, iw += sw) {
                            cols[dst + t] = iw >= 0 && iw < w ? x[base + iw] : 0.0;
                        }
                    }
                }
                dst += len;
                j += len;
                col0 = 0;
                if (++row == oh) {
                    row = 0;
                    image++;
                }
            }
        }
    }

    /**
     * {@link #im2colRows} for unit strides and columns of whole images: row by row of cols, its
     * window's bounds worked out once, then image by image {@code cols[dst + oy oW + ox] =
     * x[xPlane + (oy + ihTop) w + ox + iwLeft]} where that element lies inside the input, 0 where
     * it is padding. Output rows as wide as input rows ("same" padding) make an image one copy of
     * the shifted plane; otherwise a run per output row ({@link MathKernel#copyRuns}). Then zeros
     * over the rows above and below the input and the columns left and right of it (where a single
     * copy carried the shift across a row's edge). A window column wholly in the padding
     * (left == right) copies nothing.
     */
    private static void im2colPlanes(double[] x, int xOff, Geometry g, int group, int j0, int cw, double[] cols, int first,
            int last) {
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        int h = g.h();
        int w = g.w();
        int kh = g.kh();
        int kw = g.kw();
        int images = cw / plane;
        int firstImage = j0 / plane;
        int imageStride = g.c() * h * w;
        MathKernel math = KernelProvider.math();
        for (int r = first; r < last; r++) {
            int ch = group * (g.c() / g.groups()) + r / (kh * kw);
            int ihTop = r / kw % kh * g.dh() - g.ph();
            int iwLeft = r % kw * g.dw() - g.pw();
            int top = Math.min(oh, Math.max(0, -ihTop)); // output rows above the input
            int bottom = Math.max(top, Math.min(oh, h - ihTop)); // the first output row below it
            int left = Math.min(ow, Math.max(0, -iwLeft)); // output columns left of the input
            int right = Math.max(left, Math.min(ow, w - iwLeft)); // the first column right of it
            boolean inside = right > left && bottom > top;
            boolean sides = left > 0 || right < ow;
            // the first element read, relative to an image's plane of channel ch
            int from = (top + ihTop) * w + iwLeft + left;
            int xAt = xOff + (firstImage * g.c() + ch) * h * w + from;
            for (int img = 0, dst = r * cw; img < images; img++, dst += plane, xAt += imageStride) {
                if (top > 0) {
                    Arrays.fill(cols, dst, dst + top * ow, 0.0);
                }
                if (inside && ow == w) {
                    // one copy from the first inside element to the last one
                    System.arraycopy(x, xAt, cols, dst + top * w + left, (bottom - top - 1) * w + right - left);
                } else if (inside) {
                    math.copyRuns(x, xAt, w, cols, dst + top * ow + left, ow, bottom - top, right - left);
                }
                if (sides) {
                    // column by column down the rows: a padding of a column or two is a short loop
                    // per column, not two loops of a turn or none per row
                    for (int t = 0; t < left; t++) {
                        zeroColumn(cols, dst + top * ow + t, dst + bottom * ow, ow);
                    }
                    for (int t = right; t < ow; t++) {
                        zeroColumn(cols, dst + top * ow + t, dst + bottom * ow, ow);
                    }
                }
                if (bottom < oh) {
                    Arrays.fill(cols, dst + bottom * ow, dst + plane, 0.0);
                }
            }
        }
    }

    /** Zeros {@code cols[at]}, {@code cols[at + step]}, ... below {@code end}. */
    private static void zeroColumn(double[] cols, int at, int end, int step) {
        for (; at < end; at += step) {
            cols[at] = 0.0;
        }
    }

    /**
     * The reverse of {@link #im2col}: adds each column entry into the input position it was read
     * from. Long runs split over threads by input channel, whose rows no other channel's touch, so
     * every element gets its additions in the one-thread order. gx must start at +0.0 where it is
     * added to; entries of cols for padding positions may be zeroed (cols is scratch).
     */
    static void col2im(double[] cols, Geometry g, int group, int j0, int cw, double[] gx, boolean split) {
        int window = g.kh() * g.kw();
        if (split) {
            Parallel.forRange(g.c() / g.groups(), 1, (long) window * cw,
                    (first, last) -> col2imRows(cols, g, group, j0, cw, gx, first * window, last * window));
        } else {
            col2imRows(cols, g, group, j0, cw, gx, 0, g.rows());
        }
    }

    /**
     * {@link #col2imRows} for unit strides and columns of whole images: image by image and channel by
     * channel, each kernel offset's block of valid rows added with its bounds worked out once. Every
     * element gets the same additions in the same order (the rows of its channel's window, in turn).
     */
    private static void col2imPlanes(double[] cols, Geometry g, int group, int j0, int cw, double[] gx, int first, int last) {
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        int h = g.h();
        int w = g.w();
        int kh = g.kh();
        int kw = g.kw();
        int window = kh * kw;
        int firstImage = j0 / plane;
        int cg = g.c() / g.groups();
        MathKernel math = KernelProvider.math();
        for (int img = 0; img < cw / plane; img++) {
            for (int r0 = first; r0 < last; r0 += window) {
                int ch = group * cg + r0 / window;
                int gxPlane = ((firstImage + img) * g.c() + ch) * h * w;
                for (int ki = 0; ki < kh; ki++) {
                    int di = ki * g.dh() - g.ph();
                    int yLo = Math.max(0, -di);
                    int yHi = Math.min(oh, h - di);
                    for (int kj = 0; kj < kw; kj++) {
                        int dj = kj * g.dw() - g.pw();
                        int xLo = Math.max(0, -dj);
                        int xHi = Math.min(ow, w - dj);
                        int src = (r0 + ki * kw + kj) * cw + img * plane;
                        if (dj == 0 && ow == w && yLo < yHi) {
                            // whole rows, no shift along them: one run over the rows, on the math kernel
                            int d = gxPlane + (yLo + di) * w;
                            math.arithmetic(Elementwise.Binary.ADD, gx, d, cols, src + yLo * ow, 1, gx, d, (yHi - yLo) * w);
                            continue;
                        }
                        if (ow == w && yLo < yHi && xLo < xHi) {
                            // shifted rows of the same length as the image's (padding that keeps the
                            // size): the entries between two rows' runs are padding positions, whose
                            // gradient is dropped; zeroed, the rows are one run, on the math kernel.
                            // Adding +0.0 changes no element: gx starts at +0.0 and a sum that starts
                            // there is never -0.0
                            int base = src + yLo * ow;
                            for (int y = 0; y < yHi - yLo; y++, base += ow) {
                                // a column or two: plain loops, not a call of Arrays.fill per run
                                for (int q = base; q < base + xLo; q++) {
                                    cols[q] = 0.0;
                                }
                                for (int q = base + xHi; q < base + ow; q++) {
                                    cols[q] = 0.0;
                                }
                            }
                            int d = gxPlane + (yLo + di) * w + dj + xLo;
                            math.arithmetic(Elementwise.Binary.ADD, gx, d, cols, src + yLo * ow + xLo, 1, gx, d,
                                    (yHi - yLo - 1) * w + xHi - xLo);
                            continue;
                        }
                        if (yLo < yHi && xLo < xHi) {
                            math.addRuns(cols, src + yLo * ow + xLo, ow, gx, gxPlane + (yLo + di) * w + dj + xLo, w, yHi - yLo,
                                    xHi - xLo);
                        }
                    }
                }
            }
        }
    }

    /** Rows [first, last) of {@link #col2im}, whole channels' windows (a thread's part when it splits). */
    static void col2imRows(double[] cols, Geometry g, int group, int j0, int cw, double[] gx, int first, int last) {
        int cg = g.c() / g.groups();
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        if (g.sh() == 1 && g.sw() == 1 && j0 % plane == 0 && cw % plane == 0) {
            col2imPlanes(cols, g, group, j0, cw, gx, first, last);
            return;
        }
        int h = g.h();
        int w = g.w();
        int sh = g.sh();
        int sw = g.sw();
        for (int r = first; r < last; r++) {
            int ch = group * cg + r / (g.kh() * g.kw());
            int ki = r / g.kw() % g.kh();
            int kj = r % g.kw();
            int src = r * cw;
            int image = j0 / plane;
            int row = (j0 - image * plane) / ow;
            int col0 = j0 - image * plane - row * ow;
            int ihTop = ki * g.dh() - g.ph();
            int iwLeft = kj * g.dw() - g.pw();
            for (int j = j0, end = j0 + cw; j < end; ) {
                int len = Math.min(ow - col0, end - j);
                int ih = row * sh + ihTop;
                if (ih >= 0 && ih < h) {
                    int base = ((image * g.c() + ch) * h + ih) * w;
                    int iw = col0 * sw + iwLeft;
                    if (sw == 1) {
                        int lo = Math.min(len, Math.max(0, -iw));
                        int hi = Math.max(lo, Math.min(len, w - iw));
                        int at = base + iw;
                        for (int t = lo; t < hi; t++) {
                            gx[at + t] += cols[src + t];
                        }
                    } else {
                        for (int t = 0; t < len; t++, iw += sw) {
                            if (iw >= 0 && iw < w) {
                                gx[base + iw] += cols[src + t];
                            }
                        }
                    }
                }
                src += len;
                j += len;
                col0 = 0;
                if (++row == oh) {
                    row = 0;
                    image++;
                }
            }
        }
    }
}
