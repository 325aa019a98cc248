package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/** Small helpers the layers share. */
final class Layers {
    private Layers() {
    }

    /**
     * Calls {@code visit} with every layer inside {@code layer} that is not a {@link Sequential},
     * in order, and its path of positions as PyTorch names submodules ({@code "2"}, {@code "0.3"});
     * {@code layer} itself, if it is not a Sequential, has the path {@code ""}.
     */
    static void forEachLeaf(Layer layer, String path, BiConsumer<String, Layer> visit) {
        if (layer instanceof Sequential s) {
            for (int i = 0; i < s.layers().size(); i++) {
                forEachLeaf(s.layers().get(i), path.isEmpty() ? String.valueOf(i) : path + "." + i, visit);
            }
        } else {
            visit.accept(path, layer);
        }
    }

    /** PyTorch's names of a layer with a weight and a bias, in that order. */
    static Map<String, Tensor> weightAndBias(Tensor weight, Tensor bias) {
        Map<String, Tensor> named = new LinkedHashMap<>();
        named.put("weight", weight);
        named.put("bias", bias);
        return Collections.unmodifiableMap(named);
    }
}
