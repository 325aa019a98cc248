package dev.adjoint.core.kernel;

import java.util.Arrays;

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
     * @return a new contiguous array of shape [..., m, n]
     * @throws IllegalArgumentException if the ranks, batch shapes or inner dimensions differ
     */
    public static NDArray matmul(NDArray a, NDArray b) {
        // null: the default kernel, looked up (and logged) only when a product is big enough to need it
        return matmul(a, b, null);
    }

    /**
     * {@code x w + b}: the product of matrices {@code x} [m, k] and {@code w} [k, n] with the vector
     * {@code b} [n] added to every row (one pass over the result, no broadcast copy of {@code b}).
     *
     * @param x left operand [m, k]
     * @param w right operand [k, n]
     * @param b bias [n]
     * @return a new contiguous [m, n] array
     * @throws IllegalArgumentException if the shapes do not fit
     */
    public static NDArray affine(NDArray x, NDArray w, NDArray b) {
        if (Widening.any(x, w, b)) {
            return affine(x.toFloat64(), w.toFloat64(), b.toFloat64()).toFloat32();
        }
        if (x.shape.length != 2 || w.shape.length != 2 || b.shape.length != 1
                || x.shape[1] != w.shape[0] || b.shape[0] != w.shape[1]) {
            throw new IllegalArgumentException("affine: shapes " + Arrays.toString(x.shape) + ", " + Arrays.toString(w.shape)
                    + " and bias " + Arrays.toString(b.shape) + " do not form [m, k] x [k, n] + [n]");
        }
        NDArray c = matmul(x, w, null);
        double[] cd = c.data;
        double[] bd = b.data;
        int n = w.shape[1];
        int bs = b.strides[0];
        for (int row = 0; row < cd.length; row += n) {
            for (int j = 0, q = b.offset; j < n; j++, q += bs) {
                cd[row + j] += bd[q];
            }
        }
        return c;
    }

    static NDArray matmul(NDArray a, NDArray b, GemmKernel kernel) {
        if (Widening.any(a, b, null)) {
            return matmul(a.toFloat64(), b.toFloat64(), kernel).toFloat32();
        }
        // small matrices first, in a method short enough to inline (tiny graphs are all overhead)
        NDArray c = small(a, false, b, false, null);
        return c != null ? c : batched(a, b, kernel);
    }

    /**
     * {@code op(a) op(b)} by direct loops when both are matrices that fit and the product is small
     * (the operands read transposed in place, no view objects); null when it is not such a product.
     */
    private static NDArray small(NDArray a, boolean transA, NDArray b, boolean transB, int[] shareShape) {
        if (a.shape.length != 2 || b.shape.length != 2) {
            return null;
        }
        int m = a.shape[transA ? 1 : 0];
        int k = a.shape[transA ? 0 : 1];
        int n = b.shape[transB ? 0 : 1];
        if (k != b.shape[transB ? 1 : 0] || k == 0 || (long) m * n * k > SMALL_WORK) {
            return null;
        }
        double[] c = Buffers.uninitialized(m * n); // direct writes all of it
        direct(a.data, a.offset, a.strides[transA ? 1 : 0], a.strides[transA ? 0 : 1],
                b.data, b.offset, b.strides[transB ? 1 : 0], b.strides[transB ? 0 : 1], c, 0, n, m, n, k);
        boolean share = shareShape != null && shareShape.length == 2 && shareShape[0] == m && shareShape[1] == n;
        return NDArray.wrap(c, share ? shareShape : new int[] {m, n});
    }

    private static NDArray batched(NDArray a, NDArray b, GemmKernel kernel) {
        int rank = a.shape.length;
        if (rank < 2 || b.shape.length != rank
                || !Arrays.equals(a.shape, 0, rank - 2, b.shape, 0, rank - 2)
                || a.shape[rank - 1] != b.shape[rank - 2]) {
            throw new IllegalArgumentException("matmul: shapes " + Arrays.toString(a.shape) + " and "
                    + Arrays.toString(b.shape) + " do not form a batched product [..., m, k] x [..., k, n]");
        }
        int m = a.shape[rank - 2];
        int k = a.shape[rank - 1];
        int n = b.shape[rank - 1];
        int[] outShape = a.shape.clone();
        outShape[rank - 1] = n;
        int batch = 1;
        for (int i = 0; i < rank - 2; i++) {
            batch *= a.shape[i];
        }
        // counted in long (the op checked it; int products of the dimensions would wrap)
        int size = Shapes.size(outShape);
        if (size == 0 || k == 0) {
            return NDArray.wrap(new double[size], outShape);
        }
        // every path below writes all of C
        double[] c = Buffers.uninitialized(size);
        MatrixLayout la = MatrixLayout.of(a);
        MatrixLayout lb = MatrixLayout.of(b);
        int[] counter = new int[rank - 2];
        int pa = a.offset;
        int pb = b.offset;
        for (int t = 0; t < batch; t++) {
            multiply(kernel, la.operand(a, pa), lb.operand(b, pb), c, t * m * n, n, m, n, k);
            for (int d = rank - 3; d >= 0; d--) {
                if (++counter[d] < a.shape[d]) {
                    pa += a.strides[d];
                    pb += b.strides[d];
                    break;
                }
                pa -= a.strides[d] * (a.shape[d] - 1);
                pb -= b.strides[d] * (b.shape[d] - 1);
                counter[d] = 0;
            }
        }
        return NDArray.wrap(c, outShape);
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
        if (Widening.any(a, b, null)) {
            return matmul(a.toFloat64(), transA, b.toFloat64(), transB, shareShape).toFloat32();
        }
        NDArray c = small(a, transA, b, transB, shareShape);
        if (c != null) {
            return c;
        }
        return matmul(transA ? a.swapAxes(a.rank() - 2, a.rank() - 1) : a, transB ? b.swapAxes(b.rank() - 2, b.rank() - 1) : b);
    }

    /**
     * How one matrix of a batch is laid out: rows apart by a stride with unit column stride
     * (row-major), the reverse (a transposed view), or neither (then each matrix is copied).
     */
    private record MatrixLayout(boolean transposed, boolean copy, int rows, int cols, int rs, int cs) {
        static MatrixLayout of(NDArray x) {
            int r = x.shape.length;
            int rows = x.shape[r - 2];
            int cols = x.shape[r - 1];
            int rs = x.strides[r - 2];
            int cs = x.strides[r - 1];
            if (cs == 1 || cols == 1) {
                return new MatrixLayout(false, false, rows, cols, rows == 1 ? cols : rs, cs);
            }
            if (rs == 1 || rows == 1) {
                return new MatrixLayout(true, false, rows, cols, rs, cs);
            }
            return new MatrixLayout(false, true, rows, cols, rs, cs);
        }

        Operand operand(NDArray x, int p) {
            if (!copy) {
                return new Operand(x.data, p, transposed ? cs : rs, transposed);
            }
            double[] out = new double[rows * cols];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    out[i * cols + j] = x.data[p + i * rs + j * cs];
                }
            }
            return new Operand(out, 0, cols, false);
        }
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
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("multiply: negative size m=" + m + ", n=" + n + ", k=" + k);
        }
        checkFits("A", a, aOff, (long) m * k);
        checkFits("B", b, bOff, (long) k * n);
        checkFits("C", c, cOff, (long) m * n);
        multiply(null, new Operand(a, aOff, transA ? m : k, transA),
                new Operand(b, bOff, transB ? k : n, transB), c, cOff, n, m, n, k);
    }

    private static void checkFits(String name, double[] x, int off, long size) {
        if (x == null) {
            throw new IllegalArgumentException("multiply: " + name + " is null");
        }
        if (off < 0 || off + size > x.length) {
            throw new IllegalArgumentException("multiply: " + name + " needs " + size + " elements from offset " + off
                    + " but its array has length " + x.length);
        }
    }

    /** The one internal entry: overwrites the m x n block of C at cOff (rows ldc apart) with A B. */
    static void multiply(GemmKernel kernel, Operand a, Operand b, double[] c, int cOff, int ldc, int m, int n, int k) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
            }
            return;
        }
        if ((long) m * n * k <= SMALL_WORK || m == 1 || n == 1) {
            direct(a.data(), a.offset(), a.rowStep(), a.columnStep(), b.data(), b.offset(), b.rowStep(), b.columnStep(),
                    c, cOff, ldc, m, n, k);
        } else {
            ParallelGemm.multiply(kernel == null ? KernelProvider.kernel() : kernel, a, b, c, cOff, ldc, m, n, k);
        }
    }

    /**
     * {@code C = A B} by unblocked loops, for products too small to pay for packing. A[i, p] is
     * {@code a[ao + i ars + p acs]} and B[p, j] is {@code b[bo + p brs + j bcs]}, any strides (a
     * transposed or broadcast operand is read in place); C's rows start {@code ldc} apart from
     * {@code cOff}. Every element is a sum in order of p, from +0.0, of unfused products, so the loop
     * order, chosen by B's layout, does not change a bit of the result.
     */
    /**
     * Rows narrower than this take running sums: a row update's fill and short inner loop cost
     * more than they save on the few-unit layers of tiny networks.
     */
    private static final int ROW_UPDATE_MIN_COLUMNS = 8;

    static void direct(double[] a, int ao, int ars, int acs, double[] b, int bo, int brs, int bcs,
                       double[] c, int cOff, int ldc, int m, int n, int k) {
        if (bcs == 1 && n >= ROW_UPDATE_MIN_COLUMNS) {
            // B's rows are contiguous: row i of C += A[i, p] times row p of B, unit strides over j
            for (int i = 0; i < m; i++) {
                int ai = ao + i * ars;
                int ci = cOff + i * ldc;
                Arrays.fill(c, ci, ci + n, 0.0);
                for (int p = 0; p < k; p++) {
                    double av = a[ai + p * acs];
                    int bp = bo + p * brs;
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += av * b[bp + j];
                    }
                }
            }
        } else {
            // one running sum per element of C
            for (int i = 0; i < m; i++) {
                int ai = ao + i * ars;
                int ci = cOff + i * ldc;
                for (int j = 0; j < n; j++) {
                    int bj = bo + j * bcs;
                    double s = 0.0;
                    for (int p = 0; p < k; p++) {
                        s += a[ai + p * acs] * b[bj + p * brs];
                    }
                    c[ci + j] = s;
                }
            }
        }
    }
}
