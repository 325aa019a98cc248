package dev.adjoint.spark;

import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Optimizer;
import java.io.Serializable;
import java.util.List;

/** Builds the optimizer over the driver model's parameters; it runs on the driver only. */
@FunctionalInterface
public interface OptimizerFactory extends Serializable {
    /**
     * @param parameters the driver model's parameters, in order
     * @return the optimizer
     */
    Optimizer create(List<Tensor> parameters);
}
