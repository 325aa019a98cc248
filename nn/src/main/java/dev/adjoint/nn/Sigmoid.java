package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/** Activation layer: the logistic function {@code 1 / (1 + e^-x)}, elementwise. No parameters. */
public final class Sigmoid implements Layer {

    /** Creates the layer. */
    public Sigmoid() {
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("Sigmoid: input is null");
        }
        return x.sigmoid();
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
        return "Sigmoid()";
    }
}
