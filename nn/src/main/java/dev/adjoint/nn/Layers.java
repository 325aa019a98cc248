package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Small helpers the layers share. */
final class Layers {
    private Layers() {
    }

    /** PyTorch's names of a layer with a weight and a bias, in that order. */
    static Map<String, Tensor> weightAndBias(Tensor weight, Tensor bias) {
        Map<String, Tensor> named = new LinkedHashMap<>();
        named.put("weight", weight);
        named.put("bias", bias);
        return Collections.unmodifiableMap(named);
    }
}
