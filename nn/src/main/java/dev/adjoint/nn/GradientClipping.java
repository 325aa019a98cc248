package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/**
 * Gradient clipping, applied in place to the parameters' {@code grad()} tensors before a step, and
 * the global gradient norm it is based on.
 *
 * <p>The norm is taken as PyTorch's {@code clip_grad_norm_} takes it, the norm of the per-tensor
 * norms, and each of those is computed without overflow or underflow: a plain sum of squares when
 * it lies safely inside the double range (the common case, one pass), otherwise again with the
 * elements scaled by a power of two near their largest magnitude, as LAPACK's {@code dnrm2} does.
 * So gradients of 1e155 (whose squares overflow) or 1e-170 (whose squares underflow) have their
 * true norm, and the norm is infinite only when an element is, NaN only when an element is.
 */
public final class GradientClipping {
    /** Sums of squares between these bounds lost no element to overflow or underflow. */
    private static final double SAFE_LOW = 0x1p-900;
    private static final double SAFE_HIGH = 0x1p900;

    private GradientClipping() {
    }

    /**
     * Rescales the gradients so that their global L2 norm (the norm of all gradient elements taken
     * together) is at most {@code maxNorm}, as PyTorch's {@code clip_grad_norm_}: with total norm
     * {@code n}, every gradient is multiplied by {@code maxNorm / (n + 1e-6)} when that is below 1.
     * Parameters without a gradient are ignored. The norm is computed without overflow
     * ({@link #globalNorm}).
     *
     * @param parameters the parameters whose gradients to clip
     * @param maxNorm the largest allowed norm, positive and finite
     * @return the total norm before clipping
     * @throws ArithmeticException if some gradient holds NaN or infinity (the gradients are left alone)
     */
    public static double clipByGlobalNorm(List<Tensor> parameters, double maxNorm) {
        if (!(maxNorm > 0 && maxNorm < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("clipByGlobalNorm: maxNorm must be a positive finite number, got " + maxNorm);
        }
        double norm = globalNorm(parameters);
        if (!Double.isFinite(norm)) {
            throw new ArithmeticException("clipByGlobalNorm: the total gradient norm is " + norm + "; "
                    + firstNonFinite(parameters));
        }
        scale(parameters, maxNorm, norm);
        return norm;
    }

    /**
     * The global L2 norm of the parameters' gradients (the norm of all gradient elements taken
     * together), without overflow or underflow; parameters without a gradient are ignored. Reads
     * every gradient once (twice only for a tensor whose sum of squares leaves the safe range).
     * A training loop can call it before {@code step()} to refuse a NaN or infinite gradient while
     * the parameters are still untouched.
     *
     * @param parameters the parameters
     * @return the norm: NaN if some gradient element is NaN, else infinity if one is infinite, else
     *     finite
     */
    public static double globalNorm(List<Tensor> parameters) {
        if (parameters == null) {
            throw new IllegalArgumentException("globalNorm: parameter list is null");
        }
        return globalNorm(parameters, new double[largestGradient(parameters)], new double[parameters.size()]);
    }

    /**
     * {@link #globalNorm(List)} with caller-owned scratch arrays, so a training step allocates
     * nothing.
     *
     * @param scratch at least as long as the largest gradient
     * @param norms at least as long as {@code parameters}
     */
    static double globalNorm(List<Tensor> parameters, double[] scratch, double[] norms) {
        int count = 0;
        for (int i = 0, size = parameters.size(); i < size; i++) {
            Tensor p = parameters.get(i);
            Tensor g = p == null ? null : p.grad();
            if (g == null) {
                continue;
            }
            int n = g.size();
            if (n > scratch.length) {
                scratch = new double[n];
            }
            g.copyTo(scratch);
            norms[count++] = norm(scratch, n);
        }
        return norm(norms, count);
    }

    static int largestGradient(List<Tensor> parameters) {
        int largest = 0;
        for (Tensor p : parameters) {
            if (p != null && p.grad() != null) {
                largest = Math.max(largest, p.grad().size());
            }
        }
        return largest;
    }

    /** Multiplies every gradient by {@code maxNorm / (norm + 1e-6)} when that is below 1. */
    static void scale(List<Tensor> parameters, double maxNorm, double norm) {
        double coefficient = maxNorm / (norm + 1e-6);
        if (!(coefficient < 1)) {
            return;
        }
        for (int i = 0, size = parameters.size(); i < size; i++) {
            Tensor p = parameters.get(i);
            Tensor g = p == null ? null : p.grad();
            if (g != null) {
                g.modify(values -> {
                    for (int k = 0; k < values.length; k++) {
                        values[k] *= coefficient;
                    }
                });
            }
        }
    }

    /** Names the first parameter whose gradient holds NaN or infinity (for messages; reads gradients again). */
    static String firstNonFinite(List<Tensor> parameters) {
        for (int i = 0; i < parameters.size(); i++) {
            Tensor p = parameters.get(i);
            Tensor g = p == null ? null : p.grad();
            if (g == null) {
                continue;
            }
            double[] values = g.toArray();
            for (int k = 0; k < values.length; k++) {
                if (!Double.isFinite(values[k])) {
                    return "the gradient of parameter " + i + " (shape " + java.util.Arrays.toString(p.shape())
                            + ") holds " + values[k] + " at flat index " + k;
                }
            }
        }
        return "some gradient holds NaN or infinity";
    }

    /** The L2 norm of {@code x[0..n)}: NaN if an element is NaN, else infinity if one is infinite. */
    static double norm(double[] x, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[i] * x[i];
        }
        if (sum >= SAFE_LOW && sum <= SAFE_HIGH) {
            return Math.sqrt(sum);
        }
        return scaledNorm(x, n);
    }

    /** The norm with the elements scaled by a power of two near their largest magnitude: exact scaling, no overflow. */
    private static double scaledNorm(double[] x, int n) {
        double largest = 0;
        for (int i = 0; i < n; i++) {
            double a = Math.abs(x[i]);
            if (!(a <= largest)) { // also true for NaN, even after an infinity
                if (Double.isNaN(a)) {
                    return Double.NaN;
                }
                largest = a;
            }
        }
        if (largest == 0 || largest == Double.POSITIVE_INFINITY) {
            return largest;
        }
        // 2^-e * largest lies in [1, 2): the scaled squares neither overflow nor (for the elements that matter) underflow
        int e = Math.getExponent(largest);
        double down = Math.scalb(1.0, -e);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double s = x[i] * down;
            sum += s * s;
        }
        return Math.scalb(Math.sqrt(sum), e);
    }
}
