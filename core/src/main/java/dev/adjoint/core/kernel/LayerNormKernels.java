package dev.adjoint.core.kernel;

/**
 * Layer normalization with its weight and bias as one pass forward and one backward: each row of
 * {@code cols} elements normalized as {@link NormKernels#normalize} does, then {@code xhat w + b},
 * each product and sum one IEEE operation in x's dtype (the bits of the normalization followed by
 * the two ops, float32's xhat rounded first); its backward gives the input's gradient, {@code h(g w,
 * x)} (h {@link NormKernels#backward}'s row gradient, g w rounded first), with the bits of that
 * kernel on the product, and the weight's and bias's gradients, {@code S(g xhat)} and {@code S(g)}
 * (S the sum over the rows), while the row is in cache. The sums run over fixed blocks of rows (a
 * number that depends on the rows alone), each block's rows added in order and the blocks' sums
 * in order: the same bits for any thread count.
 */
public final class LayerNormKernels {
    private LayerNormKernels() {
    }

    /** The most blocks the rows' sums are split into (each its own partial sums, added in order at the end). */
    private static final int MAX_BLOCKS = 16;

    /**
     * The input's gradient and the weight's and bias's.
     *
     * @param input the input's gradient, of x's shape and dtype, contiguous
     * @param sums [2, cols] in x's dtype: row 0 the sums of g xhat over the rows, row 1 the sums of g
     */
    public record Gradients(NDArray input, NDArray sums) {
    }

    /**
     * Normalizes each row of {@code cols} elements, then scales and shifts it.
     *
     * @param x the array, whose size is a multiple of cols
     * @param weight the scale, [cols] of x's dtype, or null for none
     * @param bias the shift, [cols] of x's dtype, or null for none
     * @param cols the row length, above 0
     * @param eps added to the variance
     * @return the rows and their statistics ([rows, 2] mean and rstd, float64)
     */
    public static NormKernels.Normalized forward(NDArray x, NDArray weight, NDArray bias, int cols, double eps) {
        NDArray xc = x.contiguous();
        NDArray w = weight == null ? null : weight.contiguous();
        NDArray b = bias == null ? null : bias.contiguous();
        int rows = xc.size / cols;
        double[] stats = new double[2 * rows];
        boolean floats = xc.floats != null;
        double[] r = floats ? null : Buffers.uninitialized(xc.size);
        float[] rf = floats ? Buffers.uninitializedFloats(xc.size) : null;
        Parallel.forRange(rows, 1, 2L * cols, (first, last) -> {
            MathKernel math = KernelProvider.exactFor(cols);
            double[] row = Scratch.doubles(Scratch.NORM, cols);
            for (int i = first; i < last; i++) {
                int at = i * cols;
                NormKernels.load(xc, at, row, cols);
                NormKernels.normalizeRow(math, row, cols, eps, stats, i);
                if (floats) {
                    NDArray.narrow(row, 0, rf, at, cols);
                    if (w != null) {
                        math.arithmetic(Elementwise.Binary.MUL, rf, at, w.floats, w.offset, 1, rf, at, cols);
                    }
                    if (b != null) {
                        math.arithmetic(Elementwise.Binary.ADD, rf, at, b.floats, b.offset, 1, rf, at, cols);
                    }
                } else {
                    if (w != null) {
                        math.arithmetic(Elementwise.Binary.MUL, row, 0, w.data, w.offset, 1, row, 0, cols);
                    }
                    if (b != null) {
                        math.arithmetic(Elementwise.Binary.ADD, row, 0, b.data, b.offset, 1, r, at, cols);
                    } else {
                        System.arraycopy(row, 0, r, at, cols);
                    }
                }
            }
        });
        NDArray y = floats ? NDArray.wrapLike(rf, xc) : NDArray.wrapLike(r, xc);
        return new NormKernels.Normalized(y, NDArray.wrap(stats, new int[] {rows, 2}));
    }

    /**
     * The gradients of {@link #forward} at x for the output gradient g.
     *
     * @param g the output gradient, of x's shape and dtype
     * @param x the input
     * @param weight the scale, [cols] of x's dtype, or null for none
     * @param stats {@link NormKernels.Normalized#stats()} of x
     * @param cols the row length
     * @param input whether to compute the input's gradient (else {@link Gradients#input()} is null)
     * @return the input's gradient and the sums
     */
    public static Gradients backward(NDArray g, NDArray x, NDArray weight, NDArray stats, int cols, boolean input) {
        NDArray xc = x.contiguous();
        NDArray gc = g.contiguous();
        NDArray w = weight == null ? null : weight.contiguous();
        int rows = xc.size / cols;
        double[] st = stats.data;
        boolean floats = xc.floats != null;
        double[] r = !input || floats ? null : Buffers.uninitialized(xc.size);
        float[] rf = input && floats ? Buffers.uninitializedFloats(xc.size) : null;
        int blocks = Math.min(rows, MAX_BLOCKS);
        int blockRows = blocks == 0 ? 1 : (rows + blocks - 1) / blocks;
        blocks = (rows + blockRows - 1) / blockRows;
        // each block's sums of g xhat, then of g, written (zeroed first) by the thread that runs it
        double[] partial = Buffers.uninitialized(2 * blocks * cols);
        Parallel.forRange(blocks, 1, 4L * blockRows * cols, (first, last) -> {
            MathKernel math = KernelProvider.exactFor(cols);
            double[] xr = Scratch.doubles(Scratch.NORM, cols);
            double[] gr = Scratch.doubles(Scratch.NORM_GRADIENT, cols);
            float[] xf = floats ? Scratch.floats(Scratch.NORM, cols) : null;
            float[] pf = floats ? Scratch.floats(Scratch.NORM_GRADIENT, cols) : null;
            for (int k = first; k < last; k++) {
                int pw = 2 * k * cols;
                java.util.Arrays.fill(partial, pw, pw + 2 * cols, 0);
                for (int i = k * blockRows, end = Math.min(rows, (k + 1) * blockRows); i < end; i++) {
                    int at = i * cols;
                    int go = gc.offset + at;
                    double mean = st[2 * i];
                    double rstd = st[2 * i + 1];
                    NormKernels.load(xc, at, xr, cols);
                    NormKernels.xhatRow(xr, mean, rstd, cols);
                    if (floats) {
                        floatTerms(math, gc.floats, go, w, xr, xf, pf, gr, partial, pw, cols, input);
                    } else {
                        doubleTerms(math, gc.data, go, w, xr, gr, partial, pw, cols, input);
                    }
                    if (input) {
                        NormKernels.gradientRow(math, gr, xr, rstd, cols);
                        if (floats) {
                            NDArray.narrow(xr, 0, rf, at, cols);
                        } else {
                            System.arraycopy(xr, 0, r, at, cols);
                        }
                    }
                }
            }
        });
        double[] sums = new double[2 * cols];
        MathKernel math = KernelProvider.exactFor(2 * cols);
        for (int k = 0; k < blocks; k++) {
            math.addTo(partial, 2 * k * cols, sums, 0, 2 * cols);
        }
        NDArray s = NDArray.wrap(sums, new int[] {2, cols});
        NDArray dx = !input ? null : floats ? NDArray.wrapLike(rf, xc) : NDArray.wrapLike(r, xc);
        return new Gradients(dx, floats ? s.toFloat32() : s);
    }

    /**
     * A float32 row's terms of the sums, g xhat (xhat rounded to float, the product in float) added
     * into partial from pw and g from pw + cols, widened; then, where the input's gradient is wanted,
     * g w (g without a weight) widened into gr.
     */
    private static void floatTerms(MathKernel math, float[] g, int go, NDArray w, double[] xhat, float[] xf, float[] pf, double[] gr,
            double[] partial, int pw, int cols, boolean input) {
        NDArray.narrow(xhat, 0, xf, 0, cols);
        math.arithmetic(Elementwise.Binary.MUL, g, go, xf, 0, 1, pf, 0, cols);
        math.addWidenedTo(pf, 0, partial, pw, cols);
        math.addWidenedTo(g, go, partial, pw + cols, cols);
        if (input && w != null) {
            math.arithmetic(Elementwise.Binary.MUL, g, go, w.floats, w.offset, 1, pf, 0, cols);
            NDArray.widen(pf, 0, gr, 0, cols);
        } else if (input) {
            NDArray.widen(g, go, gr, 0, cols);
        }
    }

    /** {@link #floatTerms} of a float64 row (gr holds g xhat first). */
    private static void doubleTerms(MathKernel math, double[] g, int go, NDArray w, double[] xhat, double[] gr, double[] partial, int pw,
            int cols, boolean input) {
        math.arithmetic(Elementwise.Binary.MUL, g, go, xhat, 0, 1, gr, 0, cols);
        math.addTo(gr, 0, partial, pw, cols);
        math.addTo(g, go, partial, pw + cols, cols);
        if (input && w != null) {
            math.arithmetic(Elementwise.Binary.MUL, g, go, w.data, w.offset, 1, gr, 0, cols);
        } else if (input) {
            System.arraycopy(g, go, gr, 0, cols);
        }
    }
}
