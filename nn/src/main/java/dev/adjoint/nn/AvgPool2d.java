package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/**
 * Average pooling over square windows of {@code [N, C, H, W]} inputs, as PyTorch's {@code AvgPool2d}
 * (padding counts toward the average). See {@link Tensor#avgPool2d(int, int, int)}. No parameters.
 */
public final class AvgPool2d implements Layer {
    private final int kernel;
    private final int stride;
    private final int padding;

    /**
     * Non-overlapping windows: stride equal to the kernel, no padding (PyTorch's default).
     *
     * @param kernel the square window's side, positive
     */
    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    /**
     * @param kernel the square window's side, positive
     * @param stride the step between windows, positive
     * @param padding padding on every side, at most half the window
     */
    public AvgPool2d(int kernel, int stride, int padding) {
        if (kernel <= 0 || stride <= 0 || padding < 0 || padding > kernel / 2) {
            throw new IllegalArgumentException("AvgPool2d: kernel and stride must be positive and padding in [0, kernel / 2], got kernel "
                    + kernel + ", stride " + stride + ", padding " + padding);
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.avgPool2d(kernel, stride, padding);
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
        return "AvgPool2d(" + kernel + ", stride " + stride + ", padding " + padding + ")";
    }
}
