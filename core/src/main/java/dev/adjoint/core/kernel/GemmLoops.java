package dev.adjoint.core.kernel;

import java.util.Arrays;

/**
 * The paths of {@link Gemm} for arrays of double; the float32 ones are this file put through
 * {@code FloatSources} (CONTRIBUTING.md: edit the float64 file, regenerate). Small products run as
 * direct loops, larger ones through a packed {@link GemmKernel} split by {@link ParallelGemm};
 * {@link Gemm} states the rules.
 */
final class GemmLoops {
    private GemmLoops() {
    }

    /** {@code x w + b} for x [m, k], w [k, n], b [n]: one pass over the product adds the bias. */
    static NDArray affine(NDArray x, NDArray w, NDArray b) {
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
        int bo = b.offset;
        int m = x.shape[0];
        // the size test first: a small layer's forward allocates no lambda
        if ((long) m * n < Parallel.MIN_PARALLEL) {
            addBias(cd, bd, bo, bs, n, 0, m);
        } else {
            // rows split over the product's threads (elementwise: the same bits for any split)
            Parallel.forRange(m, 1, n, (from, to) -> addBias(cd, bd, bo, bs, n, from, to));
        }
        return c;
    }

    /** Adds the bias (n values, bs apart from bo) to rows [from, to) of the n-column matrix c. */
    private static void addBias(double[] c, double[] b, int bo, int bs, int n, int from, int to) {
        for (int row = from * n; row < to * n; row += n) {
            for (int j = 0, q = bo; j < n; j++, q += bs) {
                c[row + j] += b[q];
            }
        }
    }

    /** The batched product a [..., m, k] b [..., k, n]; {@code kernel} null for the default one. */
    static NDArray matmul(NDArray a, NDArray b, GemmKernel kernel) {
        // small matrices first, in a method short enough to inline (tiny graphs are all overhead)
        NDArray c = small(a, false, b, false, null);
        return c != null ? c : batched(a, b, kernel);
    }

    /** {@code op(a) op(b)} for matrices; see {@link Gemm#matmul(NDArray, boolean, NDArray, boolean, int[])}. */
    static NDArray matmul(NDArray a, boolean transA, NDArray b, boolean transB, int[] shareShape) {
        NDArray c = small(a, transA, b, transB, shareShape);
        if (c != null) {
            return c;
        }
        return matmul(transA ? a.swapAxes(a.rank() - 2, a.rank() - 1) : a,
                transB ? b.swapAxes(b.rank() - 2, b.rank() - 1) : b, null);
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
        if (k != b.shape[transB ? 1 : 0] || k == 0 || (long) m * n * k > Gemm.SMALL_WORK) {
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

    /** {@link Gemm#multiply(double[], int, boolean, double[], int, boolean, double[], int, int, int, int)}. */
    static void multiply(double[] a, int aOff, boolean transA, double[] b, int bOff, boolean transB,
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
        if ((long) m * n * k <= Gemm.SMALL_WORK || m == 1 || n == 1) {
            direct(a.data(), a.offset(), a.rowStep(), a.columnStep(), b.data(), b.offset(), b.rowStep(), b.columnStep(),
                    c, cOff, ldc, m, n, k);
        } else {
            ParallelGemm.multiply(kernel == null ? KernelProvider.kernel() : kernel, a, b, c, cOff, ldc, m, n, k);
        }
    }

    /**
     * Rows narrower than this take running sums: a row update's fill and short inner loop cost
     * more than they save on the few-unit layers of tiny networks.
     */
    private static final int ROW_UPDATE_MIN_COLUMNS = 8;

    /**
     * {@code C = A B} by unblocked loops, for products too small to pay for packing. A[i, p] is
     * {@code a[ao + i ars + p acs]} and B[p, j] is {@code b[bo + p brs + j bcs]}, any strides (a
     * transposed or broadcast operand is read in place); C's rows start {@code ldc} apart from
     * {@code cOff}. Every element is a sum in order of p, from +0.0, of unfused products, so the loop
     * order, chosen by B's layout, does not change a bit of the result.
     */
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
        } else if (k == 2 || k == 3) {
            shallow(a, ao, ars, acs, b, bo, brs, bcs, c, cOff, ldc, m, n, k == 3);
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

    /**
     * {@link #direct}'s running sums for a depth of 2 or 3 (the layers of tiny networks), written out:
     * the same additions in the same order (from 0.0, so a product of -0.0 still sums to 0.0),
     * without an inner loop whose two or three turns cost more than its arithmetic.
     */
    private static void shallow(double[] a, int ao, int ars, int acs, double[] b, int bo, int brs, int bcs,
                                double[] c, int cOff, int ldc, int m, int n, boolean three) {
        if (n == 0) {
            return; // nothing to write, and A's row may not exist to read
        }
        for (int i = 0; i < m; i++) {
            int ai = ao + i * ars;
            double a0 = a[ai];
            double a1 = a[ai + acs];
            double a2 = three ? a[ai + 2 * acs] : 0.0;
            int ci = cOff + i * ldc;
            for (int j = 0; j < n; j++) {
                int bj = bo + j * bcs;
                double s = 0.0 + a0 * b[bj];
                s += a1 * b[bj + brs];
                if (three) {
                    s += a2 * b[bj + 2 * brs];
                }
                c[ci + j] = s;
            }
        }
    }
}
