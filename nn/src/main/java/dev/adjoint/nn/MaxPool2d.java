package dev.adjoint.nn;

import dev.adjoint.core.DType;
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
        if (x != null && x.dtype() == DType.FLOAT32) {
            // NOTE: core's maxPool2d backward mixes a float32 gradient with its float64 positions;
            // until core keeps them apart, float32 pools a widened copy (the gradient still comes
            // back in float32, and the maximum of rounded values is exact either way).
            return x.to(DType.FLOAT64).maxPool2d(kernel, stride, padding).to(DType.FLOAT32);
        }
        return x.maxPool2d(kernel, stride, padding);
    }
}
