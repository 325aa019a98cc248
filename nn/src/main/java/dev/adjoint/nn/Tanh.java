package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/** Activation layer: the hyperbolic tangent, elementwise. No parameters. */
public final class Tanh implements Layer {

    /** Creates the layer. */
    public Tanh() {
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("Tanh: input is null");
        }
        return x.tanh();
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
        return "Tanh()";
    }
}
