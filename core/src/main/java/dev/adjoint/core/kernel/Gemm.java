package dev.adjoint.core.kernel;

/**
 * Matrix multiplication: {@code C = op(A) op(B)} on row-major matrices, where {@code op} is the
 * identity or the transpose. This is the one place to tune matmul speed.
 */
public final class Gemm {
    private Gemm() {
    }

    /**
     * Batched product of {@code a} [..., m, k] and {@code b} [..., k, n] with equal batch shapes
     * (either may be a view: stride-0 batch axes and transposed matrices are read in place).
     */
    public static NDArray matmul(NDArray a, NDArray b) {
        int rank = a.shape.length;
        int m = a.shape[rank - 2];
        int k = a.shape[rank - 1];
        int n = b.shape[rank - 1];
        int[] outShape = a.shape.clone();
        outShape[rank - 1] = n;
        int batch = 1;
        for (int i = 0; i < rank - 2; i++) {
            batch *= a.shape[i];
        }
        double[] c = new double[batch * m * n];
        if (c.length == 0) {
            return NDArray.wrap(c, outShape);
        }
        MatrixLayout la = MatrixLayout.of(a);
        MatrixLayout lb = MatrixLayout.of(b);
        int[] counter = new int[Math.max(rank - 2, 0)];
        int pa = a.offset;
        int pb = b.offset;
        for (int t = 0; t < batch; t++) {
            if (k == 0) {
                break;
            }
            multiply(la.data(a, pa), la.offset(pa), la.transposed,
                    lb.data(b, pb), lb.offset(pb), lb.transposed, c, t * m * n, m, n, k);
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

    /** How one matrix of a batch is laid out: row-major, column-major, or neither (then copied). */
    private record MatrixLayout(boolean transposed, boolean copy, int rows, int cols, int rs, int cs) {
        static MatrixLayout of(NDArray x) {
            int r = x.shape.length;
            int rows = x.shape[r - 2];
            int cols = x.shape[r - 1];
            int rs = x.strides[r - 2];
            int cs = x.strides[r - 1];
            if ((cs == 1 || cols == 1) && (rs == cols || rows == 1)) {
                return new MatrixLayout(false, false, rows, cols, rs, cs);
            }
            if ((rs == 1 || rows == 1) && (cs == rows || cols == 1)) {
                return new MatrixLayout(true, false, rows, cols, rs, cs);
            }
            return new MatrixLayout(false, true, rows, cols, rs, cs);
        }

        double[] data(NDArray x, int p) {
            if (!copy) {
                return x.data;
            }
            double[] out = new double[rows * cols];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    out[i * cols + j] = x.data[p + i * rs + j * cs];
                }
            }
            return out;
        }

        int offset(int p) {
            return copy ? 0 : p;
        }
    }

    /**
     * {@code C[m x n] = op(A)[m x k] * op(B)[k x n]}, overwriting C. Without transpose A is stored
     * m x k and B k x n; with it, A is stored k x m and B n x k.
     */
    public static void multiply(double[] a, int aOff, boolean transA, double[] b, int bOff, boolean transB,
                                double[] c, int cOff, int m, int n, int k) {
        java.util.Arrays.fill(c, cOff, cOff + m * n, 0.0);
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * n;
            for (int p = 0; p < k; p++) {
                double av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
                if (transB) {
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += av * b[bOff + j * k + p];
                    }
                } else {
                    int bp = bOff + p * n;
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += av * b[bp + j];
                    }
                }
            }
        }
    }
}
