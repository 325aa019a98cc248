package dev.adjoint.core.kernel;

/**
 * Softmax cross-entropy of logits {@code x} ({@code [batch, classes]}) against targets {@code t}
 * of x's dtype: target probabilities of x's shape, or one class number a row ({@code [batch]}). Each
 * row in one pass: its maximum {@code m} (0 where it is -inf, as softmax), the exps
 * {@code e_j = exp(x_j - m)} and their sum {@code s}, and the log-softmax
 * {@code y_j = (x_j - m) - log s}, never written out.
 *
 * <p>The loss is {@code (sum_i r_i) / -batch} with {@code r_i = sum_j t_ij y_ij} over the
 * classes whose target is not 0, in column order, and the rows' terms added in row order: a class
 * of probability 0 adds nothing, even where its logit is -inf (a masked class). The gradient is
 * {@code scale (p_ij T_i - t_ij)} with {@code p_ij = e_ij (1 / s_i)} (float64 softmax's
 * probabilities bit for bit) and {@code T_i} the sum of the row's targets that are not 0, in column
 * order. A class number c is the one-hot row of c, bit for bit: {@code r_i = 0 + 1 y_ic},
 * {@code T_i = 1}.
 *
 * <p>float32 computes in float32 arithmetic, as PyTorch's (and as float32 softmax rows of
 * {@link MathKernel#MIN_LENGTH} or more; shorter ones too, unlike softmax's): the exps
 * within one ulp ({@link MathKernel#expShifted(float[], int, float, float[], int, int)}, or
 * {@code (float) exp((double) x - m)} for rows shorter than {@link MathKernel#MIN_LENGTH}), their
 * sum in float64, {@code y = (x - m) - (float) log s} and the gradient {@code (p T - t) scale} in
 * float ({@code p = e (float) (1 / s)}; where a probability above 1/2 has a target, in float64
 * and rounded, so that a confident class keeps its gradient's digits), the products
 * {@code t y} added in float64 (exactly formed) and rounded once; within a few ulps of the float64
 * result (a gradient element within a few ulps of {@code |p T| + |t|}). Rows are independent and run
 * split over threads by whole rows: the same bits for any thread count.
 */
public final class CrossEntropyKernels {
    private CrossEntropyKernels() {
    }

    /**
     * The forward pass's result: the loss, and what the gradient needs.
     *
     * @param loss the mean loss, in float64
     * @param exps the rows' {@code exp(x - m)}, [batch, classes], in the logits' dtype
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
     * {@link #gradient(double, NDArray, NDArray, NDArray)} needs.
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
        boolean floats = xc.floats != null;
        double[] exps = floats ? null : Buffers.uninitialized(xc.size);
        float[] floatExps = floats ? Buffers.uninitializedFloats(xc.size) : null;
        Parallel.forRange(rows, 1, 2L * n, (first, last) -> {
            MathKernel math = KernelProvider.math();
            for (int i = first; i < last; i++) {
                terms[i] = floats ? FloatRows.term(math, xc, tc, n, i, classes, floatExps, stats)
                        : DoubleRows.term(math, xc, tc, n, i, classes, exps, stats);
            }
        });
        double sum = 0;
        for (double term : terms) {
            sum += term;
        }
        int[] shape = {rows, n};
        return new Forward(sum / -rows, floats ? NDArray.wrap(floatExps, shape) : NDArray.wrap(exps, shape),
                NDArray.wrap(stats, new int[] {rows, 2}));
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
        return gradient(scale, f.exps(), f.stats(), t);
    }

    /**
     * {@link #gradient(double, NDArray, NDArray)} from the forward pass's exps and sums: the same
     * bits, without a second exp.
     *
     * @param scale the factor (the loss's gradient over the batch size)
     * @param exps the forward pass's {@link Forward#exps()}
     * @param stats the forward pass's {@link Forward#stats()}
     * @param t the forward pass's targets
     * @return a new contiguous array of the logits' shape and dtype
     * @throws IllegalArgumentException if a class number is not a whole number in [0, classes);
     *     exps and stats must be the arrays {@link #forward} returned (read from their start)
     */
    public static NDArray gradient(double scale, NDArray exps, NDArray stats, NDArray t) {
        int rows = exps.shape[0];
        int n = exps.shape[1];
        int[] classes = t.shape.length == 1 ? classes(t, n) : null;
        NDArray tc = classes == null ? t.contiguous() : null;
        double[] st = stats.data;
        int[] shape = {rows, n};
        if (exps.floats != null) {
            float[] r = Buffers.uninitializedFloats(rows * n);
            Parallel.forRange(rows, 1, 2L * n, (first, last) -> {
                MathKernel math = KernelProvider.exactFor(n);
                for (int i = first; i < last; i++) {
                    FloatRows.gradient(math, scale, exps.floats, i * n, st[2 * i], (float) st[2 * i + 1], classes == null ? -1 : classes[i],
                            tc, r, n);
                }
            });
            return NDArray.wrap(r, shape);
        }
        double[] r = Buffers.uninitialized(rows * n);
        Parallel.forRange(rows, 1, 2L * n, (first, last) -> {
            for (int i = first; i < last; i++) {
                DoubleRows.gradient(scale, exps.data, i * n, 1 / st[2 * i], st[2 * i + 1], classes == null ? -1 : classes[i], tc, r, n);
            }
        });
        return NDArray.wrap(r, shape);
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

    /** The rows of float64 logits. */
    private static final class DoubleRows {
        private DoubleRows() {
        }

        /**
         * Row i's {@code sum_j t_j y_j} over the classes whose target is not 0 (or of its class
         * number's one-hot row, t null); its exps to exps, their sum and the sum of targets to stats.
         */
        static double term(MathKernel math, NDArray x, NDArray t, int n, int i, int[] classes, double[] exps, double[] stats) {
            double[] xa = x.data;
            int xo = x.offset + i * n;
            double max;
            if (n >= MathKernel.MIN_LENGTH) {
                max = math.max(xa, xo, n);
            } else {
                max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    max = Math.max(max, xa[xo + j]);
                }
            }
            if (max == Double.NEGATIVE_INFINITY) {
                max = 0; // an all -inf row gives NaN, as softmax
            }
            double s;
            if (n >= MathKernel.MIN_LENGTH) {
                s = math.expShifted(xa, xo, max, exps, i * n, n);
            } else {
                // softmax's short rows: the same exps and sum
                s = 0;
                for (int j = 0; j < n; j++) {
                    double e = Math.exp(xa[xo + j] - max);
                    exps[i * n + j] = e;
                    s += e;
                }
            }
            double logSum = Math.log(s);
            double sum = 0;
            double total = 0;
            if (classes != null) {
                // log-softmax's roundings, (x - m) - log s, as the one-hot row adds them
                sum += 1.0 * ((xa[xo + classes[i]] - max) - logSum);
                total += 1.0;
            } else {
                double[] ta = t.data;
                int to = t.offset + i * n;
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

        /** The row at base's {@code (e inv T - t) scale}, against class c's one-hot row where c >= 0, else t's row. */
        static void gradient(double scale, double[] e, int base, double inv, double total, int c, NDArray t, double[] r, int n) {
            if (c >= 0) {
                // the one-hot row's (p T - 0) scale and (p T - 1) scale
                for (int j = 0; j < n; j++) {
                    r[base + j] = e[base + j] * inv * total * scale;
                }
                r[base + c] = (e[base + c] * inv * total - 1) * scale;
                return;
            }
            double[] ta = t.data;
            int to = t.offset + base;
            if (to == base) {
                // NOTE: one index, which C2 vectorizes; at two offsets (below) the loop stays scalar
                // even when they are equal. Targets at offset 0 share the rows' offsets.
                for (int j = base, end = base + n; j < end; j++) {
                    r[j] = (e[j] * inv * total - ta[j]) * scale;
                }
                return;
            }
            for (int j = 0; j < n; j++) {
                r[base + j] = (e[base + j] * inv * total - ta[to + j]) * scale;
            }
        }
    }

    /**
     * The rows of float32 logits, in float32 arithmetic. NOTE: a twin of {@link DoubleRows} on
     * purpose, not a generated copy: its arithmetic differs (float y and gradient, float64 sums of
     * exact products), and a generic version would box every element.
     */
    private static final class FloatRows {
        private FloatRows() {
        }

        /** {@link DoubleRows#term} of a float32 row, y in float, the products added in float64. */
        static double term(MathKernel math, NDArray x, NDArray t, int n, int i, int[] classes, float[] exps, double[] stats) {
            float[] xa = x.floats;
            int xo = x.offset + i * n;
            float max;
            if (n >= MathKernel.MIN_LENGTH) {
                max = math.max(xa, xo, n);
            } else {
                max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    max = Math.max(max, xa[xo + j]);
                }
            }
            if (max == Float.NEGATIVE_INFINITY) {
                max = 0; // an all -inf row gives NaN, as softmax
            }
            double s;
            if (n >= MathKernel.MIN_LENGTH) {
                s = math.expShifted(xa, xo, max, exps, i * n, n);
            } else {
                // the scalar math kernel's exps: the difference in float64, rounded once
                s = 0;
                for (int j = 0; j < n; j++) {
                    float e = (float) Math.exp((double) xa[xo + j] - max);
                    exps[i * n + j] = e;
                    s += e;
                }
            }
            float logSum = (float) Math.log(s);
            double sum = 0;
            double total = 0;
            if (classes != null) {
                sum += 1.0 * ((xa[xo + classes[i]] - max) - logSum);
                total += 1.0;
            } else {
                float[] ta = t.floats;
                int to = t.offset + i * n;
                for (int j = 0; j < n; j++) {
                    float target = ta[to + j];
                    if (target != 0) {
                        // a float times a float: exact in float64
                        sum += (double) target * ((xa[xo + j] - max) - logSum);
                        total += target;
                    }
                }
            }
            stats[2 * i] = s;
            stats[2 * i + 1] = total;
            return sum;
        }

        /**
         * {@link DoubleRows#gradient} of a float32 row, in float arithmetic ({@code inv = (float) (1 /
         * s)}, scale rounded to float), except where a probability above 1/2 meets a target that is
         * not 0 (at most one element: the class number's, or the row's largest logit's): there
         * {@code p T - t} can be a confident class's small {@code p - 1}, of which float's
         * {@code 1 / s} near 1 would keep a few bits, so it takes the float64 expression, rounded
         * (the same element and bits for a class number and its one-hot row).
         */
        static void gradient(MathKernel math, double scale, float[] e, int base, double s, float total, int c, NDArray t, float[] r,
                int n) {
            float inv = (float) (1 / s);
            float fs = (float) scale;
            float[] ta = c >= 0 ? null : t.floats;
            int to = c >= 0 ? 0 : t.offset + base;
            if (c >= 0) {
                for (int j = 0; j < n; j++) {
                    r[base + j] = e[base + j] * inv * total * fs;
                }
                r[base + c] = (e[base + c] * inv * total - 1) * fs;
            } else if (to == base) {
                // one index, as DoubleRows' (C2 vectorizes it)
                for (int j = base, end = base + n; j < end; j++) {
                    r[j] = (e[j] * inv * total - ta[j]) * fs;
                }
            } else {
                for (int j = 0; j < n; j++) {
                    r[base + j] = (e[base + j] * inv * total - ta[to + j]) * fs;
                }
            }
            // no element's probability is above 1/2 where s > 2.5 (each exp is at most 1, within an
            // ulp), so a row of probability targets need not look for its largest exp there
            if (n == 0 || c < 0 && s > 2.5) {
                return;
            }
            // the one element whose probability may be above 1/2 with a target that is not 0 (a
            // class number's, or the row's first largest exp): for a one-hot row the same element
            int top = c >= 0 ? c : math.firstExtreme(e, base, n, false);
            double target = c >= 0 ? 1 : ta[to + top];
            if (e[base + top] * inv > 0.5f && target != 0) {
                r[base + top] = (float) ((e[base + top] * (1 / s) * total - target) * scale);
            }
        }
    }
}
