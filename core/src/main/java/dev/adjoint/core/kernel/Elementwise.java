package dev.adjoint.core.kernel;

/**
 * Elementwise kernels: one loop per operation over contiguous data, and a strided loop for views
 * (broadcasts and transposes) so that a broadcast operand is never materialised.
 */
public final class Elementwise {
    private Elementwise() {
    }

    /** Unary elementwise functions. */
    public enum Unary { NEG, EXP, LOG, SQRT, ABS, SIN, COS, TANH, SIGMOID, RELU, SIGN, LOG1P, SOFTPLUS }

    /** Binary elementwise functions. */
    public enum Binary {
        ADD, SUB, MUL, DIV,
        /** {@code a (1 - b) b}: the sigmoid's backward, a = gradient, b = sigmoid output. */
        SIGMOID_GRAD,
        /** {@code a (1 - b^2)}: tanh's backward, a = gradient, b = tanh output. */
        TANH_GRAD,
        /** {@code a [b > 0]}: relu's backward, a = gradient, b = relu input. */
        RELU_GRAD
    }

    /** Applies {@code f} to every element; the result is contiguous. */
    public static NDArray map(Unary f, NDArray x) {
        NDArray c = x.contiguous();
        int n = c.size;
        double[] a = c.data;
        int o = c.offset;
        double[] r = Buffers.uninitialized(n);
        if (n >= MathKernel.MIN_LENGTH && (f == Unary.EXP || f == Unary.TANH || f == Unary.SIGMOID)) {
            MathKernel m = KernelProvider.math();
            switch (f) {
                case EXP -> m.exp(a, o, r, 0, n);
                case TANH -> m.tanh(a, o, r, 0, n);
                default -> m.sigmoid(a, o, r, 0, n);
            }
            return NDArray.wrapLike(r, c);
        }
        switch (f) {
            case NEG -> { for (int i = 0; i < n; i++) r[i] = -a[o + i]; }
            case EXP -> { for (int i = 0; i < n; i++) r[i] = Math.exp(a[o + i]); }
            case LOG -> { for (int i = 0; i < n; i++) r[i] = Math.log(a[o + i]); }
            case SQRT -> { for (int i = 0; i < n; i++) r[i] = Math.sqrt(a[o + i]); }
            case ABS -> { for (int i = 0; i < n; i++) r[i] = Math.abs(a[o + i]); }
            case SIN -> { for (int i = 0; i < n; i++) r[i] = Math.sin(a[o + i]); }
            case COS -> { for (int i = 0; i < n; i++) r[i] = Math.cos(a[o + i]); }
            case TANH -> { for (int i = 0; i < n; i++) r[i] = Math.tanh(a[o + i]); }
            case SIGMOID -> { for (int i = 0; i < n; i++) r[i] = sigmoid(a[o + i]); }
            case RELU -> { for (int i = 0; i < n; i++) r[i] = Math.max(a[o + i], 0.0); }
            case SIGN -> { for (int i = 0; i < n; i++) r[i] = Math.signum(a[o + i]); }
            case LOG1P -> { for (int i = 0; i < n; i++) r[i] = Math.log1p(a[o + i]); }
            case SOFTPLUS -> { for (int i = 0; i < n; i++) { double v = a[o + i]; r[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))); } }
        }
        return NDArray.wrapLike(r, c);
    }

    /**
     * Numerically stable logistic function: never evaluates exp of a large positive number. With
     * {@code e = exp(-|v|)} it is {@code 1 / (1 + e)} for v >= 0 and {@code e / (1 + e)} below; the
     * choice is made on the sign bit, without a branch (a branch on the sign of random data is
     * mispredicted half the time, which costs more than the arithmetic).
     */
    static double sigmoid(double v) {
        double e = Math.exp(-Math.abs(v));
        double inv = 1.0 / (1.0 + e);
        long negative = Double.doubleToRawLongBits(v) >> 63;
        return Double.longBitsToDouble((Double.doubleToRawLongBits(inv) & ~negative) | (Double.doubleToRawLongBits(e * inv) & negative));
    }

    /**
     * {@code g} where {@code x > 0}, else +0: relu's backward, without a branch. x > 0 exactly when
     * its bits, less one, are below those of +infinity as unsigned numbers (which excludes zeros,
     * negatives and NaN); the mask is all ones then and zero otherwise.
     */
    static double reluGrad(double g, double x) {
        long u = Double.doubleToRawLongBits(x) - 1;
        long mask = ((u - 0x7FF0000000000000L) & ~u) >> 63;
        return Double.longBitsToDouble(Double.doubleToRawLongBits(g) & mask);
    }

    /** {@code x^p} elementwise. */
    public static NDArray pow(NDArray x, double p) {
        NDArray c = x.contiguous();
        int n = c.size;
        double[] a = c.data;
        int o = c.offset;
        double[] r = Buffers.uninitialized(n);
        if (p == 2.0) {
            for (int i = 0; i < n; i++) {
                double v = a[o + i];
                r[i] = v * v;
            }
        } else if (p == 1.0) {
            System.arraycopy(a, o, r, 0, n);
        } else {
            for (int i = 0; i < n; i++) {
                r[i] = Math.pow(a[o + i], p);
            }
        }
        return NDArray.wrapLike(r, c);
    }

    /** {@code a (f) b} for two arrays of the same shape (either may be a strided view). */
    public static NDArray zip(Binary f, NDArray a, NDArray b) {
        int n = a.size;
        double[] r = Buffers.uninitialized(n);
        if (a.isContiguous() && b.isContiguous()) {
            inner(f, r, 0, a.data, a.offset, 1, b.data, b.offset, 1, n);
            return NDArray.wrapLike(r, a);
        }
        int rank = a.shape.length;
        if (n == 0) {
            return NDArray.wrapLike(r, a);
        }
        int inner = a.shape[rank - 1];
        int sa = a.strides[rank - 1];
        int sb = b.strides[rank - 1];
        int[] counter = new int[rank];
        int pa = a.offset;
        int pb = b.offset;
        for (int out = 0; out < n; out += inner) {
            inner(f, r, out, a.data, pa, sa, b.data, pb, sb, inner);
            for (int d = rank - 2; d >= 0; d--) {
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
        return NDArray.wrapLike(r, a);
    }

    private static void inner(Binary f, double[] r, int ro, double[] a, int ao, int sa, double[] b, int bo, int sb, int n) {
        if (f == Binary.RELU_GRAD && sb == 1 && (sa == 1 || sa == 0) && n >= MathKernel.MIN_LENGTH) {
            KernelProvider.math().reluGrad(a, ao, sa, b, bo, r, ro, n);
            return;
        }
        if (sa == 1 && sb == 1) {
            switch (f) {
                case ADD -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] + b[bo + i]; }
                case SUB -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] - b[bo + i]; }
                case MUL -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] * b[bo + i]; }
                case DIV -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] / b[bo + i]; }
                case SIGMOID_GRAD -> { for (int i = 0; i < n; i++) { double y = b[bo + i]; r[ro + i] = a[ao + i] * (1 - y) * y; } }
                case TANH_GRAD -> { for (int i = 0; i < n; i++) { double y = b[bo + i]; r[ro + i] = a[ao + i] * (1 - y * y); } }
                case RELU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = reluGrad(a[ao + i], b[bo + i]); }
            }
        } else if (sa == 0 && sb == 1) {
            // a broadcast first operand (the gradient of a sum reaching an elementwise backward)
            double av = a[ao];
            switch (f) {
                case ADD -> { for (int i = 0; i < n; i++) r[ro + i] = av + b[bo + i]; }
                case SUB -> { for (int i = 0; i < n; i++) r[ro + i] = av - b[bo + i]; }
                case MUL -> { for (int i = 0; i < n; i++) r[ro + i] = av * b[bo + i]; }
                case DIV -> { for (int i = 0; i < n; i++) r[ro + i] = av / b[bo + i]; }
                case SIGMOID_GRAD -> { for (int i = 0; i < n; i++) { double y = b[bo + i]; r[ro + i] = av * (1 - y) * y; } }
                case TANH_GRAD -> { for (int i = 0; i < n; i++) { double y = b[bo + i]; r[ro + i] = av * (1 - y * y); } }
                case RELU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = reluGrad(av, b[bo + i]); }
            }
        } else if (sb == 0) {
            double bv = b[bo];
            switch (f) {
                case ADD -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] + bv; }
                case SUB -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] - bv; }
                case MUL -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] * bv; }
                case DIV -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] / bv; }
                case SIGMOID_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] * (1 - bv) * bv; }
                case TANH_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] * (1 - bv * bv); }
                case RELU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = reluGrad(a[ao + i * sa], bv); }
            }
        } else {
            switch (f) {
                case ADD -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] + b[bo + i * sb]; }
                case SUB -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] - b[bo + i * sb]; }
                case MUL -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] * b[bo + i * sb]; }
                case DIV -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] / b[bo + i * sb]; }
                case SIGMOID_GRAD -> { for (int i = 0; i < n; i++) { double y = b[bo + i * sb]; r[ro + i] = a[ao + i * sa] * (1 - y) * y; } }
                case TANH_GRAD -> { for (int i = 0; i < n; i++) { double y = b[bo + i * sb]; r[ro + i] = a[ao + i * sa] * (1 - y * y); } }
                case RELU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = reluGrad(a[ao + i * sa], b[bo + i * sb]); }
            }
        }
    }

    /** {@code a (f) c} for every element a of {@code x} and a constant c. */
    public static NDArray zipScalar(Binary f, NDArray x, double c) {
        NDArray a = x.contiguous();
        double[] r = Buffers.uninitialized(a.size);
        inner(f, r, 0, a.data, a.offset, 1, new double[] {c}, 0, 0, a.size);
        return NDArray.wrapLike(r, a);
    }

    /** Whether every element is finite (no NaN, no infinity). */
    public static boolean allFinite(NDArray x) {
        NDArray c = x.contiguous();
        double[] a = c.data;
        for (int i = c.offset, end = c.offset + c.size; i < end; i++) {
            if (!Double.isFinite(a[i])) {
                return false;
            }
        }
        return true;
    }
}
