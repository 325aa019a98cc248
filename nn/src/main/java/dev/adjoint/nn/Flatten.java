package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/**
 * Flattens every axis but the first (the batch) into one, as PyTorch's {@code Flatten()}:
 * {@code [N, C, H, W]} becomes {@code [N, C * H * W]}. No parameters.
 */
public final class Flatten implements Layer {
    /** A flattening layer. */
    public Flatten() {
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 1) {
            throw new IllegalArgumentException("Flatten: expected an input with a batch axis, got a scalar");
        }
        return x.reshape(x.dim(0), -1);
    }

    @Override
    public List<Tensor> parameters() {
        return List.of();
    }

    @Override
    public String toString() {
        return "Flatten()";
    }
}
