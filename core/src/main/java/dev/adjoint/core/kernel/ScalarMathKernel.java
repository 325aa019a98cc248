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
}
