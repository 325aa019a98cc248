package dev.adjoint.nn;

import dev.adjoint.core.Tensor;

/**
 * Max pooling over square windows of {@code [N, C, H, W]} inputs, as PyTorch's {@code MaxPool2d}: the
 * gradient goes to the first maximum of each window. See {@link Tensor#maxPool2d(int, int, int)}. No parameters.
 */
public final class MaxPool2d extends Pool2d {

    /**
     * Non-overlapping windows: stride equal to the kernel, no padding (PyTorch's default).
     *
     * @param kernel the square window's side, positive
     */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    /**
     * @param kernel the square window's side, positive
     * @param stride the step between windows, positive
     * @param padding padding on every side, at most half the window
     */
    public MaxPool2d(int kernel, int stride, int padding) {
        super("MaxPool2d", kernel, stride, padding);
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.maxPool2d(kernel, stride, padding);
    }
}
