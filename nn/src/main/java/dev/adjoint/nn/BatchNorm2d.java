package dev.adjoint.nn;

/**
 * Batch normalization of {@code [N, C, H, W]} inputs per channel, as PyTorch's
 * {@code BatchNorm2d}; see {@link BatchNorm}.
 */
public final class BatchNorm2d extends BatchNorm {
    /**
     * @param channels the number of channels, C
     */
    public BatchNorm2d(int channels) {
        super("BatchNorm2d", channels, 4);
    }
}
