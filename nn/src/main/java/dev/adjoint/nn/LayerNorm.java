package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Layer normalization over the last axes, as PyTorch's {@code LayerNorm} with its defaults (eps
 * 1e-5, elementwise affine): each example is normalized with the mean and biased variance of its
 * last {@code normalizedShape.length} axes, then scaled by {@code weight} (ones) and shifted by
 * {@code bias} (zeros), both of {@code normalizedShape}. The same in training and evaluation mode.
 */
public final class LayerNorm implements Layer {
    private static final double EPS = 1e-5;
    private final int[] normalizedShape;
    private final Tensor weight;
    private final Tensor bias;

    /**
     * @param normalizedShape the shape of the trailing axes to normalize over, e.g. {@code 64} for
     *     [batch, 64] inputs
     */
    public LayerNorm(int... normalizedShape) {
        if (normalizedShape == null || normalizedShape.length == 0 || Arrays.stream(normalizedShape).anyMatch(d -> d <= 0)) {
            throw new IllegalArgumentException("LayerNorm: normalized shape must be one or more positive sizes, got "
                    + Arrays.toString(normalizedShape));
        }
        this.normalizedShape = normalizedShape.clone();
        this.weight = Tensor.ones(normalizedShape).requiresGrad(true);
        this.bias = Tensor.zeros(normalizedShape).requiresGrad(true);
    }

    @Override
    public Tensor forward(Tensor x) {
        int[] s = x.shape();
        int k = normalizedShape.length;
        if (s.length < k || !Arrays.equals(Arrays.copyOfRange(s, s.length - k, s.length), normalizedShape)) {
            throw new IllegalArgumentException("LayerNorm: expected input whose last axes are " + Arrays.toString(normalizedShape)
                    + ", got shape " + Arrays.toString(s));
        }
        return x.layerNorm(normalizedShape, weight, bias, EPS);
    }

    @Override
    public List<Tensor> parameters() {
        return List.of(weight, bias);
    }

    @Override
    public Map<String, Tensor> namedParameters() {
        return Layers.weightAndBias(weight, bias);
    }

    @Override
    public String toString() {
        return "LayerNorm(" + Arrays.toString(normalizedShape) + ")";
    }
}
