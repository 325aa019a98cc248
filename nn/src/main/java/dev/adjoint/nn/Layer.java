package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/**
 * A differentiable function with trainable parameters: the building block of a network.
 *
 * <p>Named {@code Layer} rather than {@code Module} so it does not clash with
 * {@link java.lang.Module}. A layer lists its parameters explicitly, in a fixed order (the order
 * optimizers and {@link Checkpoint} rely on); a layer without parameters returns an empty list.
 */
public interface Layer {

    /**
     * Applies the layer to a batch (or a single example).
     *
     * @param x the input
     * @return the output, recorded in the graph when grad mode is on
     */
    Tensor forward(Tensor x);

    /**
     * The trainable tensors of this layer (leaves that require grad), in a fixed order.
     *
     * @return the parameters; empty for a layer without any
     */
    List<Tensor> parameters();

    /**
     * Switches between training mode (the default) and evaluation mode. Only layers that behave
     * differently in the two modes ({@link Dropout}) care; containers pass it on to their children.
     *
     * @param training {@code true} for training mode, {@code false} for evaluation mode
     */
    default void train(boolean training) {
    }
}
