package dev.adjoint.spark;

import dev.adjoint.nn.Layer;
import java.io.Serializable;

/**
 * Builds the model: once on the driver, and once per concurrent task on each executor, which then
 * keeps its copy and loads each step's parameter values into it. A live {@link Layer} is never
 * shipped. Every call must build the same architecture (the same parameters, in the same order and
 * shapes); the initial values only matter on the driver, whose values every executor receives.
 */
@FunctionalInterface
public interface ModelFactory extends Serializable {
    /**
     * A new model.
     *
     * @return the model
     */
    Layer create();
}
