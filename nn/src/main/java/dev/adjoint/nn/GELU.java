package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/** Activation layer: {@code x * Phi(x)} with the exact Gaussian CDF (the erf form, PyTorch's default {@code GELU()}), elementwise. No parameters. */
public final class GELU implements Layer {

    /** Creates the layer. */
    public GELU() {
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("GELU: input is null");
        }
        return x.gelu();
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
        return "GELU()";
    }
}
