package dev.adjoint.nn;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
     * The parameters by name, in {@link #parameters()} order, with PyTorch's {@code state_dict}
     * names: a {@link Linear} has {@code "weight"} and {@code "bias"}, and a {@link Sequential}
     * prefixes each layer's names with its position ({@code "0.weight"}, {@code "2.bias"}). A layer
     * that does not override this names its parameters by position ({@code "0"}, {@code "1"}).
     *
     * @return the parameters by name, unmodifiable, in order
     */
    default Map<String, Tensor> namedParameters() {
        Map<String, Tensor> named = new LinkedHashMap<>();
        List<Tensor> params = parameters();
        for (int i = 0; i < params.size(); i++) {
            named.put(Integer.toString(i), params.get(i));
        }
        return Collections.unmodifiableMap(named);
    }

    /**
     * State that is not trained by gradients but belongs to the model, such as a batch
     * normalization's running statistics, by PyTorch's names ({@code "running_mean"}); saved by
     * {@link Checkpoint} and {@link SafeTensors} next to the parameters. Empty by default.
     *
     * @return the buffers by name, unmodifiable, in a fixed order
     */
    default Map<String, Tensor> namedBuffers() {
        return Map.of();
    }

    /**
     * Converts this layer's parameters and buffers to {@code dtype} in place, as PyTorch's
     * {@code module.to(dtype)}: the layer keeps its tensors, whose values (and any gradients) are
     * converted ({@link Tensor#setDtype}). Feed the converted layer inputs of the same dtype
     * ({@code x.to(dtype)}); an op on mixed dtypes is refused. Make optimizers after converting.
     *
     * @param dtype the new dtype
     * @return this layer
     */
    default Layer to(DType dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException("to: dtype is null");
        }
        for (Tensor p : namedParameters().values()) {
            p.setDtype(dtype);
        }
        for (Tensor b : namedBuffers().values()) {
            b.setDtype(dtype);
        }
        return this;
    }

    /**
     * Switches between training mode (the default) and evaluation mode. Only layers that behave
     * differently in the two modes ({@link Dropout}) care; containers pass it on to their children.
     *
     * @param training {@code true} for training mode, {@code false} for evaluation mode
     */
    default void train(boolean training) {
    }
}
