package dev.adjoint.spark;

/**
 * The shuffled order of one epoch: a pseudo-random permutation of {@code [0, size)} computed one
 * index at a time (a Feistel network over the next power of four, cycle-walking back into range),
 * so every executor finds the position of its own samples without the permutation being built or
 * shipped anywhere. It depends on the seed, the epoch and the index only, never on the partitioning.
 * Step {@code s} of the epoch trains on the samples at positions {@code [s * batchSize, (s + 1) *
 * batchSize)}, in position order.
 */
final class BatchOrder {
    private static final int ROUNDS = 6;

    private final long size;
    private final int halfBits;
    private final long mask;
    private final long[] keys = new long[ROUNDS];

    BatchOrder(long size, long seed, int epoch) {
        if (size < 1) {
            throw new IllegalArgumentException("BatchOrder: size must be positive, got " + size);
        }
        this.size = size;
        int bits = Math.max(2, 64 - Long.numberOfLeadingZeros(size - 1));
        this.halfBits = (bits + 1) / 2;
        this.mask = (1L << halfBits) - 1;
        long k = mix(seed ^ mix(0x9E3779B97F4A7C15L * (epoch + 1L)));
        for (int r = 0; r < ROUNDS; r++) {
            k = mix(k + 0x9E3779B97F4A7C15L);
            keys[r] = k;
        }
    }

    /** The position of sample {@code index} in this epoch's order. */
    long position(long index) {
        long x = index;
        do {
            x = encrypt(x);
        } while (x >= size); // the domain is under 4 * size, so this takes under 4 tries on average
        return x;
    }

    private long encrypt(long x) {
        long left = x >>> halfBits;
        long right = x & mask;
        for (long key : keys) {
            long next = left ^ (mix(right ^ key) & mask);
            left = right;
            right = next;
        }
        return (left << halfBits) | right;
    }

    /** SplittableRandom's finalizer (Stafford's variant 13): a bijective 64-bit mix. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static int stepsPerEpoch(long size, int batchSize) {
        return (int) ((size + batchSize - 1) / batchSize);
    }

    /** The global batches of one epoch, by step: the indices of their samples, in position order. */
    static int[][] batches(long size, int batchSize, long seed, int epoch) {
        BatchOrder order = new BatchOrder(size, seed, epoch);
        int[] byPosition = new int[Math.toIntExact(size)];
        for (int i = 0; i < size; i++) {
            byPosition[(int) order.position(i)] = i;
        }
        int steps = stepsPerEpoch(size, batchSize);
        int[][] batches = new int[steps][];
        for (int s = 0; s < steps; s++) {
            int from = s * batchSize;
            int to = (int) Math.min(size, (long) from + batchSize);
            batches[s] = java.util.Arrays.copyOfRange(byPosition, from, to);
        }
        return batches;
    }
}
