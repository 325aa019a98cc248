package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/**
 * Activation layer: {@code x} where {@code x > 0}, {@code slope * x} elsewhere. No parameters.
 *
 * <p>The core op {@link Tensor#leakyRelu(double)}: the gradient is 1 or {@code slope}
 * (PyTorch's convention: {@code slope} at 0) and the second derivative is 0.
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
        return x.leakyRelu(slope);
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
