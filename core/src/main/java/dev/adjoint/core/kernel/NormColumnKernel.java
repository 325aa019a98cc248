package dev.adjoint.core.kernel;

/**
 * The loops of batch normalization over [N, C] ({@link NormColumns}), a strip of channels at a time:
 * {@code rows} rows of {@code n} columns, row k of x from {@code xo + k stride} (and of g, y and dx
 * from their own offsets, the same stride), column i a channel whose per-channel values (mean,
 * rstd, sums, weight, bias) are at index i of their arrays. Every sum runs down its column in row
 * order, from 0, one addition per row; floats are widened exactly and the results rounded once, as
 * that Java expression in float64 (then times the weight and plus the bias in the result's dtype, as
 * the ops would): the same bits in both implementations and for any split of the columns.
 * {@link ScalarNormColumns} is the plain-Java one, {@link VectorNormColumns} reads and writes the
 * arrays in place on the Vector API (no strip copied to scratch), picked by {@link
 * MathKernel#normColumns()}.
 */
interface NormColumnKernel {
    /**
     * {@code s[i]} = the sum over the rows of {@code x} (mean null) or of {@code (x - mean[i])^2}, for
     * column i in [0, n).
     */
    void sums(double[] x, int xo, int stride, int rows, double[] mean, double[] s, int n);

    /** {@link #sums(double[], int, int, int, double[], double[], int)} of floats, each widened. */
    void sums(float[] x, int xo, int stride, int rows, double[] mean, double[] s, int n);

    /**
     * {@code y = (x - mean[i]) rstd[i] w[i] + b[i]}, each operation rounded, left to right: row k of
     * y from {@code yo + k stride}. For no weight or bias, w of ones and b of {@code -0.0}, the exact
     * identities (0.0 would turn a -0.0 into 0.0). y must not overlap x.
     */
    void normalize(double[] x, int xo, int stride, int rows, double[] mean, double[] rstd, double[] w, double[] b,
            double[] y, int yo, int n);

    /**
     * {@link #normalize(double[], int, int, int, double[], double[], double[], double[], double[], int, int)}
     * of floats: the normalized value rounded to float, then the product and sum in float32.
     */
    void normalize(float[] x, int xo, int stride, int rows, double[] mean, double[] rstd, float[] w, float[] b,
            float[] y, int yo, int n);

    /**
     * The gradient's per-channel sums: {@code sg[i]} = the sum of g, {@code sgx[i]} = the sum of
     * {@code g xhat}, {@code xhat = (x - mean[i]) rstd[i]}, down column i.
     */
    void gradientSums(double[] g, int go, double[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] sg, double[] sgx, int n);

    /** {@link #gradientSums(double[], int, double[], int, int, int, double[], double[], double[], double[], int)} of floats, widened. */
    void gradientSums(float[] g, int go, float[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] sg, double[] sgx, int n);

    /**
     * The input's gradient {@code dx = rstd[i] (g - mg[i] - xhat mgx[i]) w[i]}, {@code xhat} as in
     * {@link #gradientSums}, w of ones for no weight: row k of dx from {@code dxo + k stride}. dx
     * must not overlap g or x.
     */
    void gradient(double[] g, int go, double[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] mg, double[] mgx, double[] w, double[] dx, int dxo, int n);

    /** The same of floats: rounded to float, then the product by w in float32. */
    void gradient(float[] g, int go, float[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] mg, double[] mgx, float[] w, float[] dx, int dxo, int n);
}
