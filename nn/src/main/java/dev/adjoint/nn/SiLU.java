package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/** Activation layer: {@code x * sigmoid(x)} (also called swish), elementwise, as PyTorch's {@code SiLU}. No parameters. */
public final class SiLU implements Layer {

    /** Creates the layer. */
    public SiLU() {
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("SiLU: input is null");
        }
        return x.silu();
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
        return "SiLU()";
    }
}
