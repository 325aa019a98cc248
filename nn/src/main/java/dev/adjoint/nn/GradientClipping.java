package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/** Gradient clipping, applied in place to the parameters' {@code grad()} tensors before a step. */
public final class GradientClipping {
    private GradientClipping() {
    }

    /**
     * Rescales the gradients so that their global L2 norm (the norm of all gradient elements taken
     * together) is at most {@code maxNorm}, as PyTorch's {@code clip_grad_norm_}: with total norm
     * {@code n}, every gradient is multiplied by {@code maxNorm / (n + 1e-6)} when that is below 1.
     * Parameters without a gradient are ignored.
     *
     * @param parameters the parameters whose gradients to clip
     * @param maxNorm the largest allowed norm, positive and finite
     * @return the total norm before clipping
     * @throws ArithmeticException if the total norm is NaN or infinite (the gradients are left alone)
     */
    public static double clipByGlobalNorm(List<Tensor> parameters, double maxNorm) {
        if (!(maxNorm > 0 && maxNorm < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("clipByGlobalNorm: maxNorm must be a positive finite number, got " + maxNorm);
        }
        if (parameters == null) {
            throw new IllegalArgumentException("clipByGlobalNorm: parameter list is null");
        }
        int largest = 0;
        for (Tensor p : parameters) {
            if (p != null && p.grad() != null) {
                largest = Math.max(largest, p.grad().size());
            }
        }
        double[] scratch = new double[largest];
        double sumOfSquares = 0;
        for (Tensor p : parameters) {
            Tensor g = p == null ? null : p.grad();
            if (g == null) {
                continue;
            }
            int n = g.size();
            g.copyTo(scratch);
            for (int i = 0; i < n; i++) {
                sumOfSquares += scratch[i] * scratch[i];
            }
        }
        double norm = Math.sqrt(sumOfSquares);
        if (!Double.isFinite(norm)) {
            throw new ArithmeticException("clipByGlobalNorm: the total gradient norm is " + norm
                    + "; some gradient holds NaN or infinity");
        }
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1) {
            for (Tensor p : parameters) {
                Tensor g = p == null ? null : p.grad();
                if (g != null) {
                    g.modify(values -> {
                        for (int i = 0; i < values.length; i++) {
                            values[i] *= coefficient;
                        }
                    });
                }
            }
        }
        return norm;
    }
}
