package dev.adjoint.core.kernel;

/** {@link MathKernel} in plain Java: {@link Math#exp} and branch-free selects, one element at a time. */
final class ScalarMathKernel implements MathKernel {
    @Override
    public String description() {
        return "scalar";
    }

    @Override
    public void exp(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Math.exp(a[ao + i]);
        }
    }

    @Override
    public void tanh(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Math.tanh(a[ao + i]);
        }
    }

    @Override
    public void sigmoid(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Elementwise.sigmoid(a[ao + i]);
        }
    }

    @Override
    public void relu(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            double x = a[ao + i];
            r[ro + i] = x < 0 ? 0.0 : x;
        }
    }

    @Override
    public void reluGrad(double[] g, int go, int gs, double[] x, int xo, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Elementwise.reluGrad(g[go + i * gs], x[xo + i]);
        }
    }

    @Override
    public void widen(float[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = a[ao + i];
        }
    }

    @Override
    public void narrow(double[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) a[ao + i];
        }
    }

    @Override
    public double expShifted(double[] a, int ao, double shift, double[] r, int ro, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(a[ao + i] - shift);
            r[ro + i] = e;
            sum += e;
        }
        return sum;
    }

    @Override
    public void addTo(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] += a[ao + i];
        }
    }

    @Override
    public double sum(double[] a, int ao, int n) {
        return ReduceKernels.sumInLanes(a, ao, n);
    }

    @Override
    public void softmaxRows(double[] a, int ao, double[] r, int ro, int rows, int n, boolean log) {
        for (int row = 0; row < rows; row++) {
            int p = ao + row * n;
            int q = ro + row * n;
            double max = rowShift(a, p, n);
            double sum = expShifted(a, p, max, r, q, n);
            finishRow(a, p, r, q, n, max, sum, log);
        }
    }

    /** The maximum of a row, NaN if any element is; 0 for a row of -infinity or an empty one (the shift of softmax). */
    static double rowShift(double[] a, int p, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, a[p + j]);
        }
        // an all -inf row gives NaN, as exp(-inf - -inf) does in the composite
        return max == Double.NEGATIVE_INFINITY ? 0 : max;
    }

    /** The second half of a softmax row: e / s in place, or (x - max) - log(s) from the input. */
    static void finishRow(double[] a, int p, double[] r, int q, int n, double max, double sum, boolean log) {
        if (log) {
            // (x - max) - log(sum), not x - (max + log(sum)): max can absorb log(sum)
            double logSum = Math.log(sum);
            for (int j = 0; j < n; j++) {
                r[q + j] = (a[p + j] - max) - logSum;
            }
        } else {
            double inv = 1 / sum;
            for (int j = 0; j < n; j++) {
                r[q + j] *= inv;
            }
        }
    }
}
