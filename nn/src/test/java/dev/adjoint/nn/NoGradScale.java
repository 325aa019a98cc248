package dev.adjoint.nn;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.util.List;

/** Preprocessing that runs unrecorded, as a frozen feature extractor or a non-differentiable step would. */
public final class NoGradScale implements Layer {
    @Override
    public Tensor forward(Tensor x) {
        try (Autograd.Scope off = Autograd.noGrad()) {
            return x.mul(0.5);
        }
    }

    @Override
    public List<Tensor> parameters() {
        return List.of();
    }

    @Override
    public String toString() {
        return "NoGradScale()";
    }
}
