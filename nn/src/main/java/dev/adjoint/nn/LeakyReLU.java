package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/**
 * Activation layer: {@code x} where {@code x > 0}, {@code slope * x} elsewhere. No parameters.
 *
 * <p>Computed as {@code x * mask} with a constant mask of 1 and {@code slope}, so the gradient is
 * exactly the mask (PyTorch's convention: {@code slope} at 0) and the second derivative is 0.
 */
public final class LeakyReLU implements Layer {
    private final double slope;

    /** PyTorch's default negative slope, 0.01. */
    public LeakyReLU() {
        this(0.01);
    }

    /**
     * @param slope the factor for non-positive inputs, finite
     */
    public LeakyReLU(double slope) {
        if (!Double.isFinite(slope)) {
            throw new IllegalArgumentException("LeakyReLU: slope must be finite, got " + slope);
        }
        this.slope = slope;
    }

    /**
     * The negative slope.
     *
     * @return the negative slope
     */
    public double slope() {
        return slope;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("LeakyReLU: input is null");
        }
        double[] mask = x.toArray();
        for (int i = 0; i < mask.length; i++) {
            mask[i] = mask[i] > 0 ? 1.0 : slope;
        }
        return x.mul(Tensor.of(mask, x.shape()));
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
        return "LeakyReLU(" + slope + ")";
    }
}
