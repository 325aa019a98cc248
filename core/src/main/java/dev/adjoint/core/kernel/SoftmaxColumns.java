package dev.adjoint.core.kernel;

import java.util.Arrays;

/**
 * Softmax, log-softmax and their gradient along an axis followed by at least
 * {@link MathKernel#MIN_LENGTH} elements (the channels of images, or the first axis of a matrix) on
 * contiguous arrays; slices closer together stay in {@link SoftmaxKernels}' loops, where a tile's
 * runs would be too short to pay for their calls. The slices of one outer index form a block
 * of {@code n} rows (the axis) by {@code inner} columns, each column a slice; a tile of columns is
 * done at once, row by row: the rows are contiguous runs, so each step (a maximum, a difference, an
 * exponential, a running sum) is a math-kernel call on a run of the tile's width (exp the math
 * kernel's, as for softmax's rows of that length), in place of a scalar loop that steps
 * {@code inner} elements at a time. Every column takes the operations of the
 * one-slice definition in the same order (the maximum, {@code e = exp(x - max)} added to a sum from
 * the first row on, then {@code e / sum} as {@code e (1 / sum)} or {@code (x - max) - log(sum)}, exp
 * and log the math kernel's), so
 * the tiling and the thread count leave the bits as they are. float32 runs as softmax's float32
 * rows do: softmax, log-softmax and their gradients in float32 arithmetic (sums in float64), within
 * a few ulps of the float64 result (log-softmax's gradient of {@code |exp(y) sum(g)|}).
 */
final class SoftmaxColumns {
    /** A tile's elements (its width times the axis), whose rows stay in the second-level cache between passes. */
    private static final int TILE_ELEMENTS = 1 << 14;

    private SoftmaxColumns() {
    }

    /**
     * The columns of a tile: a cache-sized share of {@code inner}, at least a math-kernel run. The
     * width changes which calls a column's operations take, not the operations.
     */
    private static int tileWidth(int n, int inner) {
        return Math.min(inner, Math.max(MathKernel.MIN_LENGTH, TILE_ELEMENTS / Math.max(1, n)));
    }

    /**
     * Softmax (or log-softmax) of contiguous {@code c} along an axis of length {@code n} followed by
     * {@code inner} elements, at least {@link MathKernel#MIN_LENGTH}.
     */
    static NDArray softmax(NDArray c, int n, int inner, boolean log) {
        boolean floats = c.floats != null;
        double[] r = floats ? null : Buffers.uninitialized(c.size);
        float[] rf = floats ? Buffers.uninitializedFloats(c.size) : null;
        MathKernel k = KernelProvider.math();
        forEachTile(c.size, n, inner, (base, width, rows) -> {
            if (floats) {
                forwardFloats(k, c.floats, c.offset + base, rf, base, inner, n, width, log, rows);
            } else {
                forward(k, c.data, c.offset + base, inner, r, base, inner, n, width, log, rows.m, rows.s, rows.t);
            }
        });
        return floats ? NDArray.wrapLike(rf, c) : NDArray.wrapLike(r, c);
    }

    /**
     * The gradient of {@link #softmax} from contiguous output gradient {@code g} and output {@code y}
     * of one dtype: {@code y (g - sum(g y))}, or {@code g - exp(y) sum(g)} for log-softmax.
     */
    static NDArray backward(NDArray g, NDArray y, int n, int inner, boolean log) {
        boolean floats = y.floats != null;
        double[] r = floats ? null : Buffers.uninitialized(y.size);
        float[] rf = floats ? Buffers.uninitializedFloats(y.size) : null;
        MathKernel k = KernelProvider.math();
        forEachTile(y.size, n, inner, (base, width, rows) -> {
            if (floats && log) {
                logBackwardFloats(k, g.floats, g.offset + base, y.floats, y.offset + base, inner, rf, base, n, width, rows);
            } else if (floats) {
                backwardFloats(k, g.floats, g.offset + base, y.floats, y.offset + base, inner, rf, base, n, width, rows);
            } else {
                backward(k, g.data, g.offset + base, y.data, y.offset + base, inner, r, base, inner, n, width, log, rows.s, rows.t);
            }
        });
        return floats ? NDArray.wrapLike(rf, y) : NDArray.wrapLike(r, y);
    }

    /** A part's rows of a tile's width, made once per part: float64 m, s and t, float32 fm, ft, hi and lo. */
    private static final class Rows {
        final double[] m;
        final double[] s;
        final double[] t;
        final float[] fm;
        final float[] ft;
        final float[] hi;
        final float[] lo;

        Rows(int w) {
            m = new double[w];
            s = new double[w];
            t = new double[w];
            fm = new float[w];
            ft = new float[w];
            hi = new float[w];
            lo = new float[w];
        }
    }

    /** One tile of columns: its first element's index in a block-major array, its width, and the part's rows. */
    @FunctionalInterface
    private interface Tile {
        void run(int base, int width, Rows rows);
    }

    /**
     * Runs {@code tile} for each tile of columns of each of the {@code size / (n inner)} blocks, the
     * tiles split over threads ({@link Parallel#forRange}).
     */
    private static void forEachTile(int size, int n, int inner, Tile tile) {
        int outer = n == 0 ? 0 : size / (n * inner);
        int w = tileWidth(n, inner);
        int tiles = (inner + w - 1) / w;
        Parallel.forRange(outer * tiles, 1, (long) n * w, (first, last) -> {
            Rows rows = new Rows(w);
            for (int task = first; task < last; task++) {
                int column = task % tiles * w;
                tile.run(task / tiles * n * inner + column, Math.min(w, inner - column), rows);
            }
        });
    }

    /**
     * One float32 tile's softmax in float32 arithmetic, as softmax's float32 rows: the columns'
     * maxima m, {@code e = exp(x - m)} in float ({@link MathKernel#expDifference}), their sums in
     * float64, then {@code e (float) (1 / sum)}, or {@code (x - m) - (float) log(sum)}; within a few
     * ulps of the float64 result. Rows j of x and r from {@code xo + j s} and {@code ro + j s}.
     */
    private static void forwardFloats(MathKernel k, float[] x, int xo, float[] r, int ro, int stride, int n, int w, boolean log,
            Rows rows) {
        float[] m = rows.fm;
        float[] f = rows.ft;
        double[] s = rows.s;
        System.arraycopy(x, xo, m, 0, w);
        for (int j = 1; j < n; j++) {
            k.extremum(x, xo + j * stride, m, 0, 1, m, 0, w, false);
        }
        for (int i = 0; i < w; i++) {
            if (m[i] == Float.NEGATIVE_INFINITY) {
                m[i] = 0; // an all -inf slice gives NaN, as in float64
            }
        }
        Arrays.fill(s, 0, w, 0.0);
        for (int j = 0; j < n; j++) {
            k.expDifference(x, xo + j * stride, m, 0, r, ro + j * stride, w);
            k.addWidenedTo(r, ro + j * stride, s, 0, w);
        }
        if (log) {
            // the kernel's log, a column at a time in one call (Math.log's call per column cost as
            // much as the rest of the pass)
            k.log(s, 0, s, 0, w);
        }
        for (int i = 0; i < w; i++) {
            f[i] = log ? (float) s[i] : (float) (1 / s[i]);
        }
        for (int j = 0; j < n; j++) {
            if (log) {
                k.arithmetic(Elementwise.Binary.SUB, x, xo + j * stride, m, 0, 1, r, ro + j * stride, w);
                k.arithmetic(Elementwise.Binary.SUB, r, ro + j * stride, f, 0, 1, r, ro + j * stride, w);
            } else {
                k.arithmetic(Elementwise.Binary.MUL, r, ro + j * stride, f, 0, 1, r, ro + j * stride, w);
            }
        }
    }

    /**
     * One float32 tile's softmax gradient, as softmax's float32 rows: {@code s = sum(g y)} of the
     * widened values in float64 (each product exact), then {@code y ((g - hi) - lo)} in float32 with
     * {@code hi = (float) s}, {@code lo = (float) (s - hi)} (0 where s is infinite); a column whose
     * finite s is beyond float's range takes {@code y (g - s)} in float64, rounded. Within two ulps
     * of the float64 result rounded.
     */
    private static void backwardFloats(MathKernel k, float[] g, int go, float[] y, int yo, int stride, float[] r, int ro, int n, int w,
            Rows rows) {
        double[] s = rows.s;
        double[] wg = rows.m;
        double[] wy = rows.t;
        Arrays.fill(s, 0, w, 0.0);
        for (int j = 0; j < n; j++) {
            NDArray.widen(g, go + j * stride, wg, 0, w);
            NDArray.widen(y, yo + j * stride, wy, 0, w);
            k.arithmetic(Elementwise.Binary.MUL, wg, 0, wy, 0, 1, wg, 0, w);
            k.addTo(wg, 0, s, 0, w);
        }
        boolean huge = false;
        for (int i = 0; i < w; i++) {
            float hi = (float) s[i];
            rows.hi[i] = hi;
            rows.lo[i] = Double.isInfinite(s[i]) ? 0f : (float) (s[i] - hi);
            huge |= Float.isInfinite(hi) && !Double.isInfinite(s[i]);
        }
        for (int j = 0; j < n; j++) {
            k.arithmetic(Elementwise.Binary.SUB, g, go + j * stride, rows.hi, 0, 1, rows.ft, 0, w);
            k.arithmetic(Elementwise.Binary.SUB, rows.ft, 0, rows.lo, 0, 1, rows.ft, 0, w);
            k.arithmetic(Elementwise.Binary.MUL, y, yo + j * stride, rows.ft, 0, 1, r, ro + j * stride, w);
        }
        for (int i = 0; huge && i < w; i++) {
            if (Float.isInfinite(rows.hi[i]) && !Double.isInfinite(s[i])) {
                for (int j = 0; j < n; j++) {
                    int p = j * stride + i;
                    r[ro + p] = (float) (y[yo + p] * ((double) g[go + p] - s[i]));
                }
            }
        }
    }

    /**
     * One float32 tile's log-softmax gradient, as log-softmax's float32 rows: {@code s = sum(g)} of
     * the widened values in float64, then {@code g - e (float) s} with {@code e = exp(y)} in float
     * ({@link MathKernel#subtractScaled(float[], int, float[], int, double, float[], int, int)}'s
     * expression), at a column's largest y above log(1/2) in float64 ({@link
     * SoftmaxKernels#confident}); a column whose s is outside float's normal range (and not 0,
     * infinite or NaN) takes {@code g - e s} in float64, rounded.
     */
    private static void logBackwardFloats(MathKernel k, float[] g, int go, float[] y, int yo, int stride, float[] r, int ro, int n,
            int w, Rows rows) {
        double[] s = rows.s;
        Arrays.fill(s, 0, w, 0.0);
        for (int j = 0; j < n; j++) {
            k.addWidenedTo(g, go + j * stride, s, 0, w);
        }
        boolean outside = false;
        for (int i = 0; i < w; i++) {
            rows.hi[i] = (float) s[i];
            outside |= !ScalarMathKernel.floatScale(s[i], rows.hi[i]);
        }
        float[] top = rows.fm;
        System.arraycopy(y, yo, top, 0, w);
        for (int j = 0; j < n; j++) {
            k.exp(y, yo + j * stride, rows.ft, 0, w);
            k.arithmetic(Elementwise.Binary.MUL, rows.ft, 0, rows.hi, 0, 1, rows.ft, 0, w);
            k.arithmetic(Elementwise.Binary.SUB, g, go + j * stride, rows.ft, 0, 1, r, ro + j * stride, w);
            if (j > 0) {
                k.extremum(y, yo + j * stride, top, 0, 1, top, 0, w, false);
            }
        }
        for (int i = 0; outside && i < w; i++) {
            if (!ScalarMathKernel.floatScale(s[i], rows.hi[i])) {
                for (int j = 0; j < n; j++) {
                    int p = j * stride + i;
                    k.exp(y, yo + p, rows.ft, 0, 1);
                    r[ro + p] = (float) (g[go + p] - rows.ft[0] * s[i]);
                }
            }
        }
        // each column's first largest y, where exp(y) is above 1/2: the float64 expression, as rows'
        for (int i = 0; i < w; i++) {
            int p = i;
            for (int j = 0; top[i] > SoftmaxKernels.HALF && j < n; j++, p += stride) {
                if (y[yo + p] == top[i]) {
                    r[ro + p] = SoftmaxKernels.confident(g[go + p], y[yo + p], s[i]);
                    break;
                }
            }
        }
    }

    /**
     * One tile's softmax: columns [0, w) of the n rows of x (row j from {@code xo + j xs}) into r (row
     * j from {@code ro + j rs}); m, s and t hold at least w values each.
     */
    private static void forward(MathKernel k, double[] x, int xo, int xs, double[] r, int ro, int rs, int n, int w, boolean log,
            double[] m, double[] s, double[] t) {
        System.arraycopy(x, xo, m, 0, w);
        for (int j = 1; j < n; j++) {
            k.extremum(x, xo + j * xs, m, 0, 1, m, 0, w, false);
        }
        for (int i = 0; i < w; i++) {
            if (m[i] == Double.NEGATIVE_INFINITY) {
                m[i] = 0; // an all -inf slice gives NaN, as exp(-inf - -inf) does in the composite
            }
        }
        Arrays.fill(s, 0, w, 0.0);
        for (int j = 0; j < n; j++) {
            k.arithmetic(Elementwise.Binary.SUB, x, xo + j * xs, m, 0, 1, t, 0, w);
            k.exp(t, 0, r, ro + j * rs, w);
            k.addTo(r, ro + j * rs, s, 0, w);
        }
        if (log) {
            // (x - max) - log(sum), not x - (max + log(sum)): max can absorb log(sum)
            k.log(s, 0, s, 0, w);
            for (int j = 0; j < n; j++) {
                k.arithmetic(Elementwise.Binary.SUB, x, xo + j * xs, m, 0, 1, t, 0, w);
                k.arithmetic(Elementwise.Binary.SUB, t, 0, s, 0, 1, r, ro + j * rs, w);
            }
        } else {
            for (int i = 0; i < w; i++) {
                s[i] = 1 / s[i];
            }
            for (int j = 0; j < n; j++) {
                k.arithmetic(Elementwise.Binary.MUL, r, ro + j * rs, s, 0, 1, r, ro + j * rs, w);
            }
        }
    }

    /**
     * One tile's gradient: g's and y's rows from {@code go + j ys} and {@code yo + j ys}, r's from
     * {@code ro + j rs}; s and t hold at least w values each.
     */
    private static void backward(MathKernel k, double[] g, int go, double[] y, int yo, int ys, double[] r, int ro, int rs, int n, int w,
            boolean log, double[] s, double[] t) {
        Arrays.fill(s, 0, w, 0.0);
        for (int j = 0; j < n; j++) {
            if (log) {
                k.addTo(g, go + j * ys, s, 0, w);
            } else {
                k.arithmetic(Elementwise.Binary.MUL, g, go + j * ys, y, yo + j * ys, 1, t, 0, w);
                k.addTo(t, 0, s, 0, w);
            }
        }
        for (int j = 0; j < n; j++) {
            if (log) {
                // g - exp(y) s
                k.exp(y, yo + j * ys, t, 0, w);
                k.arithmetic(Elementwise.Binary.MUL, t, 0, s, 0, 1, t, 0, w);
                k.arithmetic(Elementwise.Binary.SUB, g, go + j * ys, t, 0, 1, r, ro + j * rs, w);
            } else {
                // y (g - s)
                k.arithmetic(Elementwise.Binary.SUB, g, go + j * ys, s, 0, 1, t, 0, w);
                k.arithmetic(Elementwise.Binary.MUL, y, yo + j * ys, t, 0, 1, r, ro + j * rs, w);
            }
        }
    }
}
