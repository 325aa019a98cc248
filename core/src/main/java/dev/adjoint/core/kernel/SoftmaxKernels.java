package dev.adjoint.core.kernel;

/**
 * Softmax and log-softmax along an axis, and their gradient: a maximum and a sum per slice. Slices
 * are independent, so long arrays split over threads by whole slices ({@link Parallel}), each slice
 * computed as on one thread: the same bits for any thread count. An axis followed by
 * {@link MathKernel#MIN_LENGTH} or more elements goes to {@link SoftmaxColumns}, which runs the
 * slices a tile of columns at a time on the math kernel; the slices here are rows, or lie fewer
 * than that many elements apart.
 */
public final class SoftmaxKernels {
    private SoftmaxKernels() {
    }

    /** The number of elements after {@code axis} in row-major order: the stride of the axis in a contiguous array. */
    static int innerSize(int[] shape, int axis) {
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        return inner;
    }

    /**
     * The length of the slices along {@code axis} (1 for a rank-0 array): with nothing after the
     * axis but size-1 axes, the slices are the consecutive runs of that length.
     */
    private static int slice(int[] shape, int axis) {
        return shape.length == 0 ? 1 : shape[axis];
    }

    /**
     * Softmax (or log-softmax) along {@code axis}: each slice has its maximum subtracted before
     * {@code exp}, so no slice overflows. One pass for the max, one for the sum, one to write.
     *
     * @param x the array
     * @param axis the axis, non-negative
     * @param log whether to return the log-softmax
     * @return a new contiguous array of x's shape
     */
    public static NDArray softmax(NDArray x, int axis, boolean log) {
        int columns = innerSize(x.shape, axis);
        if (columns >= MathKernel.MIN_LENGTH) {
            return SoftmaxColumns.softmax(x.contiguous(), x.shape[axis], columns, log);
        }
        if (x.floats != null) {
            return innerSize(x.shape, axis) == 1 ? softmaxFloatRows(x.contiguous(), slice(x.shape, axis), log) : softmax(x.toFloat64(), axis, log).toFloat32();
        }
        NDArray c = x.contiguous();
        double[] a = c.data;
        double[] r = Buffers.uninitialized(c.size);
        int n = c.shape[axis];
        int inner = innerSize(c.shape, axis);
        int outer = n == 0 || inner == 0 ? 0 : c.size / (n * inner);
        if (Parallel.parts(c.size) <= 1) {
            // NOTE: the one-thread loop here, not in a lambda: C2 then compiles this method with
            // softmaxSlice and the vector exp inlined on their profiles; compiled first from a
            // lambda, the vector exp's reinterpretations can be left as calls for the life of the JVM
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    int base = o * n * inner + i;
                    softmaxSlice(a, c.offset + base, r, base, n, inner, log);
                }
            }
            return NDArray.wrapLike(r, c);
        }
        Parallel.forRange(outer, 1, (long) n * inner, (first, last) -> {
            for (int o = first; o < last; o++) {
                for (int i = 0; i < inner; i++) {
                    int base = o * n * inner + i;
                    softmaxSlice(a, c.offset + base, r, base, n, inner, log);
                }
            }
        });
        return NDArray.wrapLike(r, c);
    }

    /**
     * Softmax over an axis followed only by size-1 axes, of a contiguous float32 array. Rows of at
     * least {@link MathKernel#MIN_LENGTH} run in float32 on the math kernel ({@link
     * #softmaxFloatRow}); shorter rows are widened, run through the float64 slice loop and rounded
     * once: the float64 result rounded, bit for bit.
     */
    private static NDArray softmaxFloatRows(NDArray c, int n, boolean log) {
        float[] r = Buffers.uninitializedFloats(c.size);
        int rows = n == 0 ? 0 : c.size / n;
        if (n >= MathKernel.MIN_LENGTH) {
            float[] a = c.floats;
            Parallel.forRange(rows, 1, n, (first, last) -> {
                MathKernel math = KernelProvider.math();
                float[] operands = new float[2];
                for (int k = first; k < last; k++) {
                    softmaxFloatRow(math, a, c.offset + k * n, r, k * n, n, log, operands);
                }
            });
            return NDArray.wrapLike(r, c);
        }
        Parallel.forRange(rows, 1, n, (first, last) -> {
            double[] row = new double[n];
            double[] out = new double[n];
            for (int k = first; k < last; k++) {
                int base = k * n;
                FloatBlocks.widen(c.floats, c.offset + base, 1, row, n);
                softmaxSlice(row, 0, out, 0, n, 1, log);
                FloatBlocks.narrow(out, r, base, n);
            }
        });
        return NDArray.wrapLike(r, c);
    }

    /**
     * Softmax (or log-softmax) of a float32 row of n elements, from a at pa to r at base, in
     * float32 arithmetic as PyTorch's: the maximum m, e = exp(x - m) in float ({@link
     * MathKernel#expShifted(float[], int, float, float[], int, int)}, within one ulp, x - m's
     * rounding error included) and their sum s in float64; softmax is e times (float) (1 / s), two
     * more roundings, and log-softmax (x - m) - (float) log s in float. Within a few ulps of the
     * float64 result, not its bits.
     */
    private static void softmaxFloatRow(MathKernel math, float[] a, int pa, float[] r, int base, int n, boolean log, float[] operands) {
        float max = math.max(a, pa, n);
        if (max == Float.NEGATIVE_INFINITY) {
            max = 0; // an all -inf row gives NaN, as in float64
        }
        double sum = math.expShifted(a, pa, max, r, base, n);
        if (log) {
            // (x - m) - (float) log s: the sum holds exp(0) = 1, so |result| >= max(|x - m|, log s),
            // and each of the three roundings is within half an ulp of the result
            operands[0] = max;
            operands[1] = (float) Math.log(sum);
            math.arithmetic(Elementwise.Binary.SUB, a, pa, operands, 0, 0, r, base, n);
            math.arithmetic(Elementwise.Binary.SUB, r, base, operands, 1, 0, r, base, n);
        } else {
            operands[0] = (float) (1 / sum);
            math.arithmetic(Elementwise.Binary.MUL, r, base, operands, 0, 0, r, base, n);
        }
    }

    /** Softmax of the n elements of a from pa step inner, written to r from base step inner. */
    private static void softmaxSlice(double[] a, int pa, double[] r, int base, int n, int inner, boolean log) {
        if (inner == 1 && n >= MathKernel.MIN_LENGTH) {
            softmaxRow(a, pa, r, base, n, log);
            return;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0, p = pa; j < n; j++, p += inner) {
            max = Math.max(max, a[p]);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            max = 0; // an all -inf slice gives NaN, as exp(-inf - -inf) does in the composite
        }
        double sum = 0;
        for (int j = 0, p = pa, q = base; j < n; j++, p += inner, q += inner) {
            double e = Math.exp(a[p] - max);
            r[q] = e;
            sum += e;
        }
        if (log) {
            // (x - max) - log(sum), not x - (max + log(sum)): max can absorb log(sum)
            double logSum = Math.log(sum);
            for (int j = 0, p = pa, q = base; j < n; j++, p += inner, q += inner) {
                r[q] = (a[p] - max) - logSum;
            }
        } else {
            double inv = 1 / sum;
            for (int j = 0, q = base; j < n; j++, q += inner) {
                r[q] *= inv;
            }
        }
    }

    /**
     * {@link #softmaxSlice} of a contiguous row of at least {@link MathKernel#MIN_LENGTH}: three
     * passes over a row that stays in cache, the maximum and exp with its sum on the math kernel,
     * then the scaling (or the log-softmax's subtraction) in a unit-stride loop C2 vectorises.
     */
    private static void softmaxRow(double[] a, int pa, double[] r, int base, int n, boolean log) {
        MathKernel math = KernelProvider.math();
        double max = math.max(a, pa, n);
        if (max == Double.NEGATIVE_INFINITY) {
            max = 0;
        }
        double sum = math.expShifted(a, pa, max, r, base, n);
        if (log) {
            double logSum = Math.log(sum);
            if (pa == base) {
                // NOTE: one index, which C2 vectorizes; at two offsets (below) the loop stays
                // scalar even when they are equal. A contiguous row of an array at offset 0 shares them.
                for (int j = base, end = base + n; j < end; j++) {
                    r[j] = (a[j] - max) - logSum;
                }
            } else {
                for (int j = 0; j < n; j++) {
                    r[base + j] = (a[pa + j] - max) - logSum;
                }
            }
        } else {
            double inv = 1 / sum;
            for (int j = 0; j < n; j++) {
                r[base + j] *= inv;
            }
        }
    }

    /**
     * The gradient of softmax or log-softmax along {@code axis} from the output {@code y} and the
     * output gradient {@code g}: {@code y (g - sum(g y))} for softmax, {@code g - exp(y) sum(g)}
     * for log-softmax, sums taken along the axis.
     *
     * @param g the output gradient
     * @param y the forward output, of g's shape
     * @param axis the axis, non-negative
     * @param log whether y is a log-softmax
     * @return a new contiguous array of y's shape
     */
    public static NDArray softmaxBackward(NDArray g, NDArray y, int axis, boolean log) {
        int columns = innerSize(y.shape, axis);
        if (columns >= MathKernel.MIN_LENGTH && (g.floats != null) == (y.floats != null)) {
            return SoftmaxColumns.backward(g.contiguous(), y.contiguous(), y.shape[axis], columns, log);
        }
        if (g.floats != null && y.floats != null && innerSize(y.shape, axis) == 1) {
            return softmaxBackwardFloatRows(g.contiguous(), y.contiguous(), slice(y.shape, axis), log);
        }
        if (g.floats != null || y.floats != null) {
            return softmaxBackward(g.toFloat64(), y.toFloat64(), axis, log).toFloat32();
        }
        NDArray cg = g.contiguous();
        NDArray cy = y.contiguous();
        double[] gd = cg.data;
        double[] yd = cy.data;
        double[] r = Buffers.uninitialized(cy.size);
        int n = cy.shape[axis];
        int inner = innerSize(cy.shape, axis);
        int outer = n == 0 || inner == 0 ? 0 : cy.size / (n * inner);
        Parallel.forRange(outer, 1, (long) n * inner, (first, last) -> {
            for (int o = first; o < last; o++) {
                for (int i = 0; i < inner; i++) {
                    int base = o * n * inner + i;
                    int pg = cg.offset + base;
                    int py = cy.offset + base;
                    if (inner == 1) {
                        contiguousSoftmaxBackward(gd, pg, yd, py, r, base, n, log);
                    } else {
                        stridedSoftmaxBackward(gd, pg, yd, py, r, base, n, inner, log);
                    }
                }
            }
        });
        return NDArray.wrapLike(r, cy);
    }

    /** One slice of {@link #softmaxBackward} whose elements lie {@code inner} apart. */
    private static void stridedSoftmaxBackward(double[] gd, int pg, double[] yd, int py, double[] r, int base, int n, int inner, boolean log) {
        double s = 0;
        for (int j = 0, off = 0; j < n; j++, off += inner) {
            s += log ? gd[pg + off] : gd[pg + off] * yd[py + off];
        }
        for (int j = 0, off = 0; j < n; j++, off += inner) {
            double yv = yd[py + off];
            r[base + off] = log ? gd[pg + off] - Math.exp(yv) * s : yv * (gd[pg + off] - s);
        }
    }

    /**
     * {@link #softmaxBackward} over the last axis of float32 arrays: rows widened, the float64 slice
     * loop, rounded once. Rows of at least {@link MathKernel#MIN_LENGTH} go to the math kernel's
     * float loops instead, their sums in float64: softmax's {@code y ((g - hi) - lo)} ({@link
     * MathKernel#mulDifference(float[], int, float[], int, double, float[], int, int)}), within two
     * ulps of the float64 result rounded; log-softmax's {@code g - e s} with {@code e = exp(y)} in
     * float ({@link MathKernel#subtractScaled(float[], int, float[], int, double, float[], int,
     * int)}), within about three ulps of {@code |e s|} plus two of the result (PyTorch's float
     * arithmetic; where g and e s nearly cancel, a few ulps of the terms rather than of the result),
     * except at the row's largest y where exp(y) is above 1/2 ({@link #confident}).
     */
    private static NDArray softmaxBackwardFloatRows(NDArray g, NDArray y, int n, boolean log) {
        float[] r = Buffers.uninitializedFloats(y.size);
        int rows = n == 0 ? 0 : y.size / n;
        if (n >= MathKernel.MIN_LENGTH) {
            float[] gf = g.floats;
            float[] yf = y.floats;
            Parallel.forRange(rows, 1, n, (first, last) -> {
                MathKernel math = KernelProvider.math();
                for (int k = first; k < last; k++) {
                    int pg = g.offset + k * n;
                    int py = y.offset + k * n;
                    if (log) {
                        double s = math.sum(gf, pg, n);
                        math.exp(yf, py, r, k * n, n);
                        math.subtractScaled(gf, pg, r, k * n, s, r, k * n, n);
                        int top = math.firstExtreme(yf, py, n, false);
                        if (yf[py + top] > HALF) {
                            r[k * n + top] = confident(gf[pg + top], yf[py + top], s);
                        }
                    } else {
                        math.mulDifference(yf, py, gf, pg, math.dot(gf, pg, yf, py, n), r, k * n, n);
                    }
                }
            });
            return NDArray.wrapLike(r, y);
        }
        Parallel.forRange(rows, 1, n, (first, last) -> {
            double[] gr = new double[n];
            double[] yr = new double[n];
            double[] out = new double[n];
            for (int k = first; k < last; k++) {
                int base = k * n;
                FloatBlocks.widen(g.floats, g.offset + base, 1, gr, n);
                FloatBlocks.widen(y.floats, y.offset + base, 1, yr, n);
                contiguousSoftmaxBackward(gr, 0, yr, 0, out, 0, n, log);
                FloatBlocks.narrow(out, r, base, n);
            }
        });
        return NDArray.wrapLike(r, y);
    }

    /** log(1/2): a log-softmax value above it is a probability above 1/2, of which a slice has at most one. */
    static final float HALF = (float) -Math.log(2);

    /**
     * log-softmax's float32 gradient {@code g - exp(y) s} at a y above {@link #HALF}, in float64 and
     * rounded once: where exp(y) is near 1 (a confident class) and g near s, float's exp would leave
     * the difference only the digits below its ulp of 1, the float64 result keeps them (the
     * gradient that still teaches a class the model is sure of).
     */
    static float confident(float g, float y, double s) {
        return (float) (g - Math.exp(y) * s);
    }

    /** One contiguous slice of {@link #softmaxBackward}: sums with several accumulators, exp on the math kernel. */
    private static void contiguousSoftmaxBackward(double[] g, int pg, double[] y, int py, double[] r, int pr, int n, boolean log) {
        if (log) {
            double s = ReduceKernels.sum(g, pg, n);
            if (n >= MathKernel.MIN_LENGTH) {
                KernelProvider.math().exp(y, py, r, pr, n);
            } else {
                for (int j = 0; j < n; j++) {
                    r[pr + j] = Math.exp(y[py + j]);
                }
            }
            if (n >= MathKernel.MIN_LENGTH) {
                KernelProvider.math().subtractScaled(g, pg, r, pr, s, r, pr, n);
            } else {
                for (int j = 0; j < n; j++) {
                    r[pr + j] = g[pg + j] - r[pr + j] * s;
                }
            }
        } else if (n >= MathKernel.MIN_LENGTH) {
            MathKernel math = KernelProvider.math();
            math.mulDifference(y, py, g, pg, math.dot(g, pg, y, py, n), r, pr, n);
        } else {
            double s = ReduceKernels.dot(g, pg, y, py, n);
            for (int j = 0; j < n; j++) {
                r[pr + j] = y[py + j] * (g[pg + j] - s);
            }
        }
    }
}
