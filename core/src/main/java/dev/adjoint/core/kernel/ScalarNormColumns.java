package dev.adjoint.core.kernel;

/**
 * {@link NormColumnKernel} in plain Java: each loop goes down the rows and, in each row, across the
 * columns, accumulating in the per-channel arrays. Its static loops over a range of columns
 * [from, to) also finish the columns {@link VectorNormColumns}' vectors leave over.
 */
final class ScalarNormColumns implements NormColumnKernel {
    @Override
    public void sums(double[] x, int xo, int stride, int rows, double[] mean, double[] s, int n) {
        sums(x, xo, stride, rows, mean, s, 0, n);
    }

    @Override
    public void sums(float[] x, int xo, int stride, int rows, double[] mean, double[] s, int n) {
        sums(x, xo, stride, rows, mean, s, 0, n);
    }

    @Override
    public void normalize(double[] x, int xo, int stride, int rows, double[] mean, double[] rstd, double[] w, double[] b,
            double[] y, int yo, int n) {
        normalize(x, xo, stride, rows, mean, rstd, w, b, y, yo, 0, n);
    }

    @Override
    public void normalize(float[] x, int xo, int stride, int rows, double[] mean, double[] rstd, float[] w, float[] b,
            float[] y, int yo, int n) {
        normalize(x, xo, stride, rows, mean, rstd, w, b, y, yo, 0, n);
    }

    @Override
    public void gradientSums(double[] g, int go, double[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] sg, double[] sgx, int n) {
        gradientSums(g, go, x, xo, stride, rows, mean, rstd, sg, sgx, 0, n);
    }

    @Override
    public void gradientSums(float[] g, int go, float[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] sg, double[] sgx, int n) {
        gradientSums(g, go, x, xo, stride, rows, mean, rstd, sg, sgx, 0, n);
    }

    @Override
    public void gradient(double[] g, int go, double[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] mg, double[] mgx, double[] w, double[] dx, int dxo, int n) {
        gradient(g, go, x, xo, stride, rows, mean, rstd, mg, mgx, w, dx, dxo, 0, n);
    }

    @Override
    public void gradient(float[] g, int go, float[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] mg, double[] mgx, float[] w, float[] dx, int dxo, int n) {
        gradient(g, go, x, xo, stride, rows, mean, rstd, mg, mgx, w, dx, dxo, 0, n);
    }

    // NOTE: each loop below has a float twin after it: the element types differ

    /** {@link NormColumnKernel#sums} over columns [from, to). */
    static void sums(double[] x, int xo, int stride, int rows, double[] mean, double[] s, int from, int to) {
        for (int i = from; i < to; i++) {
            s[i] = 0;
        }
        for (int k = 0, at = xo; k < rows; k++, at += stride) {
            for (int i = from; i < to; i++) {
                if (mean == null) {
                    s[i] += x[at + i];
                } else {
                    double v = x[at + i] - mean[i];
                    s[i] += v * v;
                }
            }
        }
    }

    static void sums(float[] x, int xo, int stride, int rows, double[] mean, double[] s, int from, int to) {
        for (int i = from; i < to; i++) {
            s[i] = 0;
        }
        for (int k = 0, at = xo; k < rows; k++, at += stride) {
            for (int i = from; i < to; i++) {
                if (mean == null) {
                    s[i] += x[at + i];
                } else {
                    double v = x[at + i] - mean[i];
                    s[i] += v * v;
                }
            }
        }
    }

    /** {@link NormColumnKernel#normalize} over columns [from, to). */
    static void normalize(double[] x, int xo, int stride, int rows, double[] mean, double[] rstd, double[] w, double[] b,
            double[] y, int yo, int from, int to) {
        for (int k = 0; k < rows; k++) {
            int at = xo + k * stride;
            int out = yo + k * stride;
            for (int i = from; i < to; i++) {
                y[out + i] = (x[at + i] - mean[i]) * rstd[i] * w[i] + b[i];
            }
        }
    }

    static void normalize(float[] x, int xo, int stride, int rows, double[] mean, double[] rstd, float[] w, float[] b,
            float[] y, int yo, int from, int to) {
        for (int k = 0; k < rows; k++) {
            int at = xo + k * stride;
            int out = yo + k * stride;
            for (int i = from; i < to; i++) {
                y[out + i] = (float) ((x[at + i] - mean[i]) * rstd[i]) * w[i] + b[i];
            }
        }
    }

    /** {@link NormColumnKernel#gradientSums} over columns [from, to). */
    static void gradientSums(double[] g, int go, double[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] sg, double[] sgx, int from, int to) {
        for (int i = from; i < to; i++) {
            sg[i] = 0;
            sgx[i] = 0;
        }
        for (int k = 0; k < rows; k++) {
            int at = xo + k * stride;
            int gat = go + k * stride;
            for (int i = from; i < to; i++) {
                double xh = (x[at + i] - mean[i]) * rstd[i];
                sg[i] += g[gat + i];
                sgx[i] += g[gat + i] * xh;
            }
        }
    }

    static void gradientSums(float[] g, int go, float[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] sg, double[] sgx, int from, int to) {
        for (int i = from; i < to; i++) {
            sg[i] = 0;
            sgx[i] = 0;
        }
        for (int k = 0; k < rows; k++) {
            int at = xo + k * stride;
            int gat = go + k * stride;
            for (int i = from; i < to; i++) {
                double xh = (x[at + i] - mean[i]) * rstd[i];
                double gv = g[gat + i];
                sg[i] += gv;
                sgx[i] += gv * xh;
            }
        }
    }

    /** {@link NormColumnKernel#gradient} over columns [from, to). */
    static void gradient(double[] g, int go, double[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] mg, double[] mgx, double[] w, double[] dx, int dxo, int from, int to) {
        for (int k = 0; k < rows; k++) {
            int at = xo + k * stride;
            int gat = go + k * stride;
            int out = dxo + k * stride;
            for (int i = from; i < to; i++) {
                double xh = (x[at + i] - mean[i]) * rstd[i];
                dx[out + i] = rstd[i] * (g[gat + i] - mg[i] - xh * mgx[i]) * w[i];
            }
        }
    }

    static void gradient(float[] g, int go, float[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] mg, double[] mgx, float[] w, float[] dx, int dxo, int from, int to) {
        for (int k = 0; k < rows; k++) {
            int at = xo + k * stride;
            int gat = go + k * stride;
            int out = dxo + k * stride;
            for (int i = from; i < to; i++) {
                double xh = (x[at + i] - mean[i]) * rstd[i];
                dx[out + i] = (float) (rstd[i] * (g[gat + i] - mg[i] - xh * mgx[i])) * w[i];
            }
        }
    }
}
