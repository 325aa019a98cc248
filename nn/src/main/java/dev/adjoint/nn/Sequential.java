package dev.adjoint.nn;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;

/** Layers applied one after another; its parameters are its layers' parameters, in order. */
public final class Sequential implements Layer {
    private final List<Layer> layers;

    /**
     * Chains {@code layers}: the output of each is the input of the next.
     *
     * @param layers the layers, at least one
     */
    public Sequential(Layer... layers) {
        if (layers == null || layers.length == 0) {
            throw new IllegalArgumentException("Sequential: needs at least one layer");
        }
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] == null) {
                throw new IllegalArgumentException("Sequential: layer " + i + " is null");
            }
        }
        this.layers = List.of(layers);
    }

    /**
     * The layers, in order; unmodifiable.
     * @return the layers
     */
    public List<Layer> layers() {
        return layers;
    }

    /**
     * Converts every layer to {@code dtype} through its own {@link Layer#to} (so a layer that keeps
     * a counter in float64, as batch normalization does, keeps it).
     *
     * @param dtype the new dtype
     * @return this network, for chaining ({@code MLP.of(...).to(DType.FLOAT32)})
     */
    @Override
    public Sequential to(DType dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException("Sequential.to: dtype is null");
        }
        for (Layer layer : layers) {
            layer.to(dtype);
        }
        return this;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = x;
        for (Layer layer : layers) {
            h = layer.forward(h);
        }
        return h;
    }

    /**
     * Every layer's parameters in layer order, each tensor once: a layer (or tensor) used at two
     * places, i.e. shared weights, is listed at its first place only, as PyTorch does.
     *
     * @return the parameters; unmodifiable
     */
    @Override
    public List<Tensor> parameters() {
        List<Tensor> all = new ArrayList<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Layer layer : layers) {
            for (Tensor p : layer.parameters()) {
                if (seen.add(p)) {
                    all.add(p);
                }
            }
        }
        return Collections.unmodifiableList(all);
    }

    /**
     * Every layer's parameters by name, each prefixed with the layer's position ({@code "0.weight"},
     * {@code "0.bias"}, {@code "2.weight"}), in {@link #parameters()} order; a tensor shared by two
     * layers is listed under its first name only, as PyTorch does.
     *
     * @return the parameters by name, unmodifiable
     */
    @Override
    public Map<String, Tensor> namedParameters() {
        return prefixed(true);
    }

    /**
     * Every layer's buffers by name, prefixed like {@link #namedParameters()} ({@code "1.running_mean"}).
     *
     * @return the buffers by name, unmodifiable
     */
    @Override
    public Map<String, Tensor> namedBuffers() {
        return prefixed(false);
    }

    private Map<String, Tensor> prefixed(boolean parameters) {
        Map<String, Tensor> named = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            for (Map.Entry<String, Tensor> e : (parameters ? layer.namedParameters() : layer.namedBuffers()).entrySet()) {
                if (seen.add(e.getValue())) {
                    named.put(i + "." + e.getKey(), e.getValue());
                }
            }
        }
        return Collections.unmodifiableMap(named);
    }

    /**
     * Passes the mode on to every layer.
     * @param training whether to train
     */
    @Override
    public void train(boolean training) {
        for (Layer layer : layers) {
            layer.train(training);
        }
    }

    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ", "Sequential(", ")");
        for (Layer layer : layers) {
            j.add(layer.toString());
        }
        return j.toString();
    }
}
