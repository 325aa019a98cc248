package dev.adjoint.nn;

import java.util.random.RandomGenerator;

/**
 * Splits {@code 0 .. size-1} into mini-batches of indices, epoch after epoch. With a generator each
 * epoch is a fresh Fisher-Yates shuffle drawn from it (so a seeded generator gives the same
 * sequence of epochs every run); without one the order is kept. Every index appears exactly once
 * per epoch; the last batch holds the remainder when {@code batchSize} does not divide {@code size}.
 */
public final class Batcher {
    private final int size;
    private final int batchSize;
    private final RandomGenerator rng;
    private final int[] order;

    /**
     * @param size the number of examples, positive
     * @param batchSize the batch size, positive (capped at {@code size})
     * @param rng the shuffling source, or {@code null} to keep the order
     */
    public Batcher(int size, int batchSize, RandomGenerator rng) {
        if (size <= 0) {
            throw new IllegalArgumentException("Batcher: size must be positive, got " + size);
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("Batcher: batch size must be positive, got " + batchSize);
        }
        this.size = size;
        this.batchSize = Math.min(batchSize, size);
        this.rng = rng;
        this.order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
    }

    /**
     * The number of batches per epoch.
     *
     * @return the number of batches per epoch
     */
    public int batchesPerEpoch() {
        return (size + batchSize - 1) / batchSize;
    }

    /**
     * The next epoch's batches of indices.
     *
     * @return {@link #batchesPerEpoch()} arrays that together hold every index exactly once
     */
    public int[][] nextEpoch() {
        if (rng != null) {
            for (int i = size - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        int[][] batches = new int[batchesPerEpoch()][];
        for (int b = 0; b < batches.length; b++) {
            int from = b * batchSize;
            int to = Math.min(size, from + batchSize);
            batches[b] = java.util.Arrays.copyOfRange(order, from, to);
        }
        return batches;
    }
}
