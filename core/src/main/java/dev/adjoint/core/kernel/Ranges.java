package dev.adjoint.core.kernel;

/**
 * The values of the range factories (arange, linspace, eye); the caller has checked the arguments
 * and that the length fits in an array.
 */
public final class Ranges {
    private Ranges() {
    }

    /**
     * {@code start + i step} for i in [0, n), PyTorch's definition (its vectorized loop rounds some
     * elements differently, by up to 2 ulps of the range's magnitude).
     *
     * @param start the first value
     * @param step the spacing
     * @param n the length
     * @return a 1-D array
     */
    public static NDArray arange(double start, double step, int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = start + step * i;
        }
        return NDArray.wrap(r, new int[] {n});
    }

    /**
     * {@code count} evenly spaced values from start to end, both exact: the first half counted up
     * from start, the rest down from end, PyTorch's definition (its vectorized loop rounds some
     * elements differently, by up to 2 ulps of the range's magnitude).
     *
     * @param start the first value
     * @param end the last value
     * @param count the length, at least 0
     * @return a 1-D array
     */
    public static NDArray linspace(double start, double end, int count) {
        double[] r = new double[count];
        if (count == 1) {
            r[0] = start;
        } else if (count > 1) {
            double step = (end - start) / (count - 1);
            int half = count / 2;
            for (int i = 0; i < count; i++) {
                r[i] = i < half ? start + step * i : end - step * (count - 1 - i);
            }
        }
        return NDArray.wrap(r, new int[] {count});
    }

    /**
     * The n-by-n identity matrix.
     *
     * @param n the size
     * @return an [n, n] array
     */
    public static NDArray eye(int n) {
        double[] r = new double[n * n];
        for (int i = 0; i < n; i++) {
            r[i * n + i] = 1.0;
        }
        return NDArray.wrap(r, new int[] {n, n});
    }
}
