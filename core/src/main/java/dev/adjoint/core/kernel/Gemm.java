package dev.adjoint.core.kernel;

/**
 * Matrix multiplication: {@code C = op(A) op(B)} on row-major matrices, where {@code op} is the
 * identity or the transpose. This is the one place to tune matmul speed.
 *
 * <p>Three paths, by size. Small products (a few thousand multiply-adds, or a single row or column)
 * run as direct loops with no packing and no allocation, because tiny graphs are dominated by
 * per-call overhead. Larger ones go to a packed, cache-blocked {@link GemmKernel}: the Vector API
 * kernel when the JVM runs with {@code --add-modules jdk.incubator.vector}, a scalar kernel
 * otherwise (see {@link KernelProvider}; {@code -Dadjoint.vector=false} forces the scalar one).
 * Products above about a million multiply-adds are split over a fork/join pool with one thread
 * per core, or as many as the system property {@code adjoint.threads} says ({@link ParallelGemm}).
 *
 * <p>Determinism: with one kernel choice a product gives the same bits on every call, whatever the
 * thread count, since the split never cuts the shared dimension. The direct loops and the blocked
 * kernels round differently: the direct loops sum unfused products in order of p from +0.0, the
 * vector kernel chains fused multiply-adds through each depth block, the scalar kernel takes the
 * depth four at a time. So a row of C has the same bits in every product that takes the blocked
 * path (m and n at least 2, more than {@value #SMALL_WORK} multiply-adds), however many rows it
 * has, but may differ in its last bits from the same row computed alone (m = 1) or in a product of
 * at most {@value #SMALL_WORK} multiply-adds.
 *
 * <p>Dtypes: float32 operands run float32 loops of their own ({@code FloatGemmLoops} and the
 * {@code Float...} kernels, generated from the float64 ones by {@code FloatSources}, so a fix lands
 * in both), with float32 accumulation throughout, twice the lanes per vector, and the same
 * determinism rules. Operands of mixed dtypes (which the ops refuse) are widened to float64 and the
 * result rounded to float32.
 */
public final class Gemm {
    /** Multiply-adds up to which the direct loops beat packing. */
    static final long SMALL_WORK = 4096;

    private Gemm() {
    }

    /**
     * Caps the threads of the large products the calling thread starts, below {@code adjoint.threads}
     * ({@link ParallelGemm}); 0 lifts the cap.
     *
     * @param cap the most threads, from 1, or 0 for no cap of this thread's own
     * @return the previous cap, 0 for none
     * @throws IllegalArgumentException if {@code cap} is negative or too large
     */
    public static int limitThreads(int cap) {
        return ParallelGemm.limit(cap);
    }

    /**
     * The threads a large product started by the calling thread may use.
     *
     * @return {@code adjoint.threads} (or the available processors), or this thread's cap if lower
     */
    public static int threadsForCaller() {
        return ParallelGemm.threadsForCaller();
    }

    /**
     * Batched product of {@code a} [..., m, k] and {@code b} [..., k, n] with equal batch shapes
     * (either may be a view: stride-0 batch axes and transposed matrices are read in place).
     *
     * @param a left operand, rank at least 2
     * @param b right operand, same rank and batch shape as {@code a}
     * @return a new contiguous array of shape [..., m, n], in the operands' dtype
     * @throws IllegalArgumentException if the ranks, batch shapes or inner dimensions differ
     */
    public static NDArray matmul(NDArray a, NDArray b) {
        if (a.floats != null && b.floats != null) {
            return FloatGemmLoops.matmul(a, b, null);
        }
        if (a.floats != null || b.floats != null) {
            return GemmLoops.matmul(a.toFloat64(), b.toFloat64(), null).toFloat32();
        }
        // null: the default kernel, looked up (and logged) only when a product is big enough to need it
        return GemmLoops.matmul(a, b, null);
    }

    /**
     * {@code x w + b}: the product of matrices {@code x} [m, k] and {@code w} [k, n] with the vector
     * {@code b} [n] added to every row (one pass over the result, no broadcast copy of {@code b}).
     *
     * @param x left operand [m, k]
     * @param w right operand [k, n]
     * @param b bias [n]
     * @return a new contiguous [m, n] array, in the operands' dtype
     * @throws IllegalArgumentException if the shapes do not fit
     */
    public static NDArray affine(NDArray x, NDArray w, NDArray b) {
        if (x.floats != null && w.floats != null && b.floats != null) {
            return FloatGemmLoops.affine(x, w, b);
        }
        if (x.floats != null || w.floats != null || b.floats != null) {
            return GemmLoops.affine(x.toFloat64(), w.toFloat64(), b.toFloat64()).toFloat32();
        }
        return GemmLoops.affine(x, w, b);
    }

    /** {@link #matmul(NDArray, NDArray)} of two float64 arrays with the given kernel (null: the default). */
    static NDArray matmul(NDArray a, NDArray b, GemmKernel kernel) {
        return GemmLoops.matmul(a, b, kernel);
    }

    /**
     * {@code op(a) op(b)} for matrices, op the identity or the transpose: small products read the
     * operands transposed in place, with no view objects; others go through {@link #matmul(NDArray, NDArray)}.
     *
     * @param a left matrix
     * @param transA whether to use a's transpose
     * @param b right matrix
     * @param transB whether to use b's transpose
     * @return a new contiguous [m, n] array
     */
    public static NDArray matmul(NDArray a, boolean transA, NDArray b, boolean transB) {
        return matmul(a, transA, b, transB, null);
    }

    /**
     * {@link #matmul(NDArray, boolean, NDArray, boolean)} whose small products take {@code shareShape}
     * as their shape array when it equals [m, n]: an input's (immutable) shape, so that a gradient
     * and its input share one array and comparing their shapes costs one comparison.
     *
     * @param a left matrix
     * @param transA whether to use a's transpose
     * @param b right matrix
     * @param transB whether to use b's transpose
     * @param shareShape a shape array that is never modified, or null
     * @return a new contiguous [m, n] array
     */
    public static NDArray matmul(NDArray a, boolean transA, NDArray b, boolean transB, int[] shareShape) {
        if (a.floats != null && b.floats != null) {
            return FloatGemmLoops.matmul(a, transA, b, transB, shareShape);
        }
        if (a.floats != null || b.floats != null) {
            return GemmLoops.matmul(a.toFloat64(), transA, b.toFloat64(), transB, shareShape).toFloat32();
        }
        return GemmLoops.matmul(a, transA, b, transB, shareShape);
    }

    /**
     * {@code C[m x n] = op(A)[m x k] * op(B)[k x n]}, overwriting C (row-major, rows n apart).
     * Without transpose A is stored m x k and B k x n; with it, A is stored k x m and B n x k.
     *
     * @throws IllegalArgumentException if a size or offset is negative or a matrix does not fit in
     *     its array
     */
    public static void multiply(double[] a, int aOff, boolean transA, double[] b, int bOff, boolean transB,
                                double[] c, int cOff, int m, int n, int k) {
        GemmLoops.multiply(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k);
    }

    /**
     * The float32 {@link #multiply(double[], int, boolean, double[], int, boolean, double[], int, int, int, int)}:
     * float32 loops, float32 accumulation.
     *
     * @throws IllegalArgumentException if a size or offset is negative or a matrix does not fit in
     *     its array
     */
    public static void multiply(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                                float[] c, int cOff, int m, int n, int k) {
        FloatGemmLoops.multiply(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k);
    }

    /** The one internal float64 entry: overwrites the m x n block of C at cOff (rows ldc apart) with A B. */
    static void multiply(GemmKernel kernel, Operand a, Operand b, double[] c, int cOff, int ldc, int m, int n, int k) {
        GemmLoops.multiply(kernel, a, b, c, cOff, ldc, m, n, k);
    }

    /** The unblocked loops of small float64 products ({@link GemmLoops#direct}). */
    static void direct(double[] a, int ao, int ars, int acs, double[] b, int bo, int brs, int bcs,
                       double[] c, int cOff, int ldc, int m, int n, int k) {
        GemmLoops.direct(a, ao, ars, acs, b, bo, brs, bcs, c, cOff, ldc, m, n, k);
    }
}
