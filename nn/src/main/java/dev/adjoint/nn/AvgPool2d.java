package dev.adjoint.nn;

import dev.adjoint.core.Tensor;

/**
 * Average pooling over square windows of {@code [N, C, H, W]} inputs, as PyTorch's {@code AvgPool2d}
 * (padding counts toward the average). See {@link Tensor#avgPool2d(int, int, int)}. No parameters.
 */
public final class AvgPool2d extends Pool2d {

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
        super("AvgPool2d", kernel, stride, padding);
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.avgPool2d(kernel, stride, padding);
    }
}
