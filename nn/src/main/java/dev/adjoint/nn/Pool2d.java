package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/**
 * What {@link MaxPool2d} and {@link AvgPool2d} share: a square window, a stride and padding, and
 * no parameters.
 */
public abstract sealed class Pool2d implements Layer permits MaxPool2d, AvgPool2d {
    private final String name;
    final int kernel;
    final int stride;
    final int padding;

    Pool2d(String name, int kernel, int stride, int padding) {
        if (kernel <= 0 || stride <= 0 || padding < 0 || padding > kernel / 2) {
            throw new IllegalArgumentException(name + ": kernel and stride must be positive and padding in [0, kernel / 2], got kernel "
                    + kernel + ", stride " + stride + ", padding " + padding);
        }
        this.name = name;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    /**
     * No parameters: a pooling layer has none.
     *
     * @return an empty list
     */
    @Override
    public List<Tensor> parameters() {
        return List.of();
    }

    @Override
    public String toString() {
        return name + "(" + kernel + ", stride " + stride + ", padding " + padding + ")";
    }
}
