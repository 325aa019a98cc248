package dev.adjoint.nn;

/**
 * Batch normalization of {@code [N, C]} or {@code [N, C, L]} inputs, as PyTorch's
 * {@code BatchNorm1d}; see {@link BatchNorm}.
 */
public final class BatchNorm1d extends BatchNorm {
    /**
     * @param features the number of features (channels), C
     */
    public BatchNorm1d(int features) {
        super("BatchNorm1d", features, 2, 3);
    }
}
