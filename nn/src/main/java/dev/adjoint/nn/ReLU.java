package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/** Activation layer: {@code max(x, 0)}, elementwise (gradient 0 at 0, as PyTorch). No parameters. */
public final class ReLU implements Layer {

    /** Creates the layer. */
    public ReLU() {
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("ReLU: input is null");
        }
        return x.relu();
    }

    /**
     * No parameters: this layer has none.
     *
     * @return an empty list
     */
    @Override
    public List<Tensor> parameters() {
        return List.of();
    }

    @Override
    public String toString() {
        return "ReLU()";
    }
}
