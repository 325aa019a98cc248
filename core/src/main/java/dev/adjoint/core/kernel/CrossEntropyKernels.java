package dev.adjoint.core.kernel;

/**
 * Softmax cross-entropy of logits {@code x} ({@code [batch, classes]}) against targets {@code t}
 * of x's dtype: target probabilities of x's shape, or one class number a row ({@code [batch]}). Each
 * row in one pass: its maximum {@code m} (0 where it is -inf, as softmax), the exps
 * {@code e_j = exp(x_j - m)} and their sum {@code s}, and the log-softmax
 * {@code y_j = (x_j - m) - log s}, never written out.
 *
 * <p>The loss is {@code (sum_i r_i) / -batch} with {@code r_i = sum_j t_ij y_ij} over the
 * classes whose target is not 0, in column order, and the rows' terms added in row order (the
 * roundings of PyTorch's {@code -sum(t * logSoftmax(x)) / batch} where no target is 0): a class of
 * probability 0 adds nothing, even where its logit is -inf (a masked class). The gradient is
 * {@code scale (p_ij T_i - t_ij)} with {@code p_ij = e_ij (1 / s_i)} (float64 softmax's
 * probabilities bit for bit) and {@code T_i} the sum of the row's targets that are not 0, in column
 * order. A class number c is the one-hot row of c, bit for bit: {@code r_i = 0 + 1 y_ic},
 * {@code T_i = 1}.
 *
 * <p>float32 rows are widened and computed as float64; the loss and the gradient are the float64
 * results rounded once. Rows are independent and run split over threads by whole rows: the same
 * bits for any thread count.
 */
public final class CrossEntropyKernels {
    private CrossEntropyKernels() {
    }

    /**
     * The forward pass's result: the loss, and what the gradient needs.
     *
     * @param loss the mean loss, in float64
     * @param exps the rows' {@code exp(x - m)}, [batch, classes], float64 whatever the logits' dtype
     * @param stats each row's sum of exps and sum of targets, [batch, 2], float64
     */
    public record Forward(double loss, NDArray exps, NDArray stats) {
    }

    /**
     * The mean softmax cross-entropy over the rows.
     *
     * @param x the logits, [batch, classes] with batch above 0
     * @param t target probabilities of x's shape and dtype, or class numbers [batch]
     * @return the loss, in float64
     * @throws IllegalArgumentException if a class number is not a whole number in [0, classes)
     */
    public static double loss(NDArray x, NDArray t) {
        return forward(x, t).loss();
    }

    /**
     * The mean softmax cross-entropy over the rows, with what
     * {@link #gradient(double, NDArray, NDArray, NDArray, NDArray)} needs.
     *
     * @param x the logits, [batch, classes] with batch above 0
     * @param t target probabilities of x's shape and dtype, or class numbers [batch]
     * @return the loss, the exps and the rows' sums
     * @throws IllegalArgumentException if a class number is not a whole number in [0, classes)
     */
    public static Forward forward(NDArray x, NDArray t) {
        NDArray xc = x.contiguous();
        int rows = xc.shape[0];
        int n = xc.shape[1];
        int[] classes = t.shape.length == 1 ? classes(t, n) : null;
        NDArray tc = classes == null ? t.contiguous() : null;
        double[] terms = new double[rows];
        double[] stats = new double[2 * rows];
        double[] exps = Buffers.uninitialized(xc.size);
        Parallel.forRange(rows, 1, 2L * n, (first, last) -> {
            Rows r = new Rows(xc, tc, n);
            for (int i = first; i < last; i++) {
                terms[i] = r.term(i, classes, exps, stats);
            }
        });
        double sum = 0;
        for (double term : terms) {
            sum += term;
        }
        return new Forward(sum / -rows, NDArray.wrap(exps, new int[] {rows, n}), NDArray.wrap(stats, new int[] {rows, 2}));
    }

    /**
     * {@code scale (softmax(x) T - t)} row by row: the gradient of {@link #loss} times
     * {@code scale * batch}.
     *
     * @param scale the factor (the loss's gradient over the batch size)
     * @param x the logits, [batch, classes]
     * @param t target probabilities of x's shape and dtype, or class numbers [batch]
     * @return a new contiguous array of x's shape and dtype
     */
    public static NDArray gradient(double scale, NDArray x, NDArray t) {
        Forward f = forward(x, t);
        return gradient(scale, f.exps(), f.stats(), t, x);
    }

    /**
     * {@link #gradient(double, NDArray, NDArray)} from the forward pass's exps and sums: the same
     * bits, without a second exp.
     *
     * @param scale the factor (the loss's gradient over the batch size)
     * @param exps the forward pass's {@link Forward#exps()}
     * @param stats the forward pass's {@link Forward#stats()}
     * @param t the forward pass's targets
     * @param like the logits, whose dtype the gradient takes
     * @return a new contiguous array of the logits' shape and dtype
     */
    public static NDArray gradient(double scale, NDArray exps, NDArray stats, NDArray t, NDArray like) {
        int rows = exps.shape[0];
        int n = exps.shape[1];
        int[] classes = t.shape.length == 1 ? classes(t, n) : null;
        NDArray tc = classes == null ? t.contiguous() : null;
        double[] e = exps.data;
        double[] st = stats.data;
        boolean floats = like.floats != null;
        double[] r = floats ? null : Buffers.uninitialized(rows * n);
        float[] rf = floats ? Buffers.uninitializedFloats(rows * n) : null;
        Parallel.forRange(rows, 1, 2L * n, (first, last) -> {
            double[] row = floats ? new double[n] : null;
            for (int i = first; i < last; i++) {
                int base = i * n;
                double inv = 1 / st[2 * i];
                double total = st[2 * i + 1];
                double[] out = floats ? row : r;
                int at = floats ? 0 : base;
                if (classes != null) {
                    // the one-hot row's (p T - 0) scale and (p T - 1) scale
                    for (int j = 0; j < n; j++) {
                        out[at + j] = e[base + j] * inv * total * scale;
                    }
                    out[at + classes[i]] = (e[base + classes[i]] * inv * total - 1) * scale;
                } else if (floats) {
                    FloatBlocks.widen(tc.floats, tc.offset + base, 1, row, n);
                    for (int j = 0; j < n; j++) {
                        row[j] = (e[base + j] * inv * total - row[j]) * scale;
                    }
                } else {
                    double[] ta = tc.data;
                    int to = tc.offset + base;
                    for (int j = 0; j < n; j++) {
                        r[base + j] = (e[base + j] * inv * total - ta[to + j]) * scale;
                    }
                }
                if (floats) {
                    FloatBlocks.narrow(row, rf, base, n);
                }
            }
        });
        int[] shape = {rows, n};
        return floats ? NDArray.wrap(rf, shape) : NDArray.wrap(r, shape);
    }

    /** The class numbers of t ([batch]), each a whole number in [0, n). */
    private static int[] classes(NDArray t, int n) {
        NDArray c = t.contiguous();
        int[] out = new int[c.size];
        for (int i = 0; i < out.length; i++) {
            double v = c.floats != null ? c.floats[c.offset + i] : c.data[c.offset + i];
            if (!(v >= 0 && v < n && v == Math.rint(v))) {
                throw new IllegalArgumentException("softmaxCrossEntropy: class " + v + " of row " + i + " is not a whole number in [0, "
                        + n + ")");
            }
            out[i] = (int) v;
        }
        return out;
    }

    /** One part's rows: where they are read from, and the part's own rows to widen a float32 row into. */
    private static final class Rows {
        private final NDArray x;
        private final NDArray t;
        private final int n;
        private final MathKernel math = KernelProvider.math();
        /** The widened logits and targets of a float32 row. */
        private final double[] xRow;
        private final double[] tRow;
        private double[] xa;
        private int xo;
        private double[] ta;
        private int to;

        /** The rows of x and of t (null for class numbers). */
        Rows(NDArray x, NDArray t, int n) {
            this.x = x;
            this.t = t;
            this.n = n;
            boolean floats = x.floats != null;
            this.xRow = floats ? new double[n] : null;
            this.tRow = floats && t != null ? new double[n] : null;
        }

        /** Points xa/xo (and ta/to) at row i, widening a float32 row first. */
        private void load(int i) {
            if (x.floats != null) {
                FloatBlocks.widen(x.floats, x.offset + i * n, 1, xRow, n);
                xa = xRow;
                xo = 0;
                if (t != null) {
                    FloatBlocks.widen(t.floats, t.offset + i * n, 1, tRow, n);
                    ta = tRow;
                    to = 0;
                }
            } else {
                xa = x.data;
                xo = x.offset + i * n;
                if (t != null) {
                    ta = t.data;
                    to = t.offset + i * n;
                }
            }
        }

        /**
         * Row i's {@code sum_j t_j y_j} over the classes whose target is not 0 (or of its class
         * number's one-hot row); its exps to exps, their sum and the sum of targets to stats.
         */
        double term(int i, int[] classes, double[] exps, double[] stats) {
            load(i);
            double max = max(xa, xo, n);
            double s = expShifted(xa, xo, max, exps, i * n);
            double logSum = Math.log(s);
            double sum = 0;
            double total = 0;
            if (classes != null) {
                // log-softmax's roundings, (x - m) - log s, as the one-hot row adds them
                sum += 1.0 * ((xa[xo + classes[i]] - max) - logSum);
                total += 1.0;
            } else {
                for (int j = 0; j < n; j++) {
                    double target = ta[to + j];
                    if (target != 0) {
                        sum += target * ((xa[xo + j] - max) - logSum);
                        total += target;
                    }
                }
            }
            stats[2 * i] = s;
            stats[2 * i + 1] = total;
            return sum;
        }

        /** The row's maximum, or 0 where it is -inf (an all -inf row then gives NaN, as softmax). */
        private double max(double[] a, int ao, int len) {
            double m;
            if (len >= MathKernel.MIN_LENGTH) {
                m = math.max(a, ao, len);
            } else {
                m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    m = Math.max(m, a[ao + j]);
                }
            }
            return m == Double.NEGATIVE_INFINITY ? 0 : m;
        }

        /** {@code exp(a_j - shift)} into r from ro, and their sum: softmax's exp and sum, bit for bit. */
        private double expShifted(double[] a, int ao, double shift, double[] r, int ro) {
            if (n >= MathKernel.MIN_LENGTH) {
                return math.expShifted(a, ao, shift, r, ro, n);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                double e = Math.exp(a[ao + j] - shift);
                r[ro + j] = e;
                sum += e;
            }
            return sum;
        }
    }
}
