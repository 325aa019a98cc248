package dev.adjoint.core;

import dev.adjoint.core.kernel.Parallel;

/**
 * Elementwise loops over long arrays, split over the threads of the large matrix products: as many
 * as {@code -Dadjoint.threads} says (default: the available processors), or the calling thread's
 * {@link MatmulThreads#limit cap} if lower. For code built on core that updates arrays in place,
 * such as nn's optimizers.
 *
 * <pre>{@code
 * ParallelLoops.forRange(p.length, (from, to) -> {
 *     for (int i = from; i < to; i++) p[i] -= lr * g[i];
 * });
 * }</pre>
 *
 * <p>A loop shorter than {@link #MIN_LENGTH} indices runs on the calling thread. Longer ones are cut into
 * ranges that start at multiples of 512, up to four per thread (so that the calling thread can take
 * over the ranges of a thread that starts late); the body must then compute each index
 * independently of the others, so that the result does not depend on the thread count or on
 * which thread runs which range.
 */
public final class ParallelLoops {
    /** Loops shorter than this run on the calling thread: waking another costs more than it saves. */
    public static final int MIN_LENGTH = Parallel.MIN_PARALLEL;

    private ParallelLoops() {
    }

    /** A part of a loop: the indices [from, to). */
    @FunctionalInterface
    public interface Range {
        /**
         * Runs the loop's body for every index in [from, to).
         *
         * @param from the first index
         * @param to one past the last index
         */
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over the indices [0, n), split into ranges over threads when n is large;
     * returns when every range is done, rethrowing a range's failure.
     *
     * @param n the number of indices, non-negative
     * @param body the loop's body
     * @throws IllegalArgumentException if n is negative or body is null
     */
    public static void forRange(int n, Range body) {
        if (n < 0 || body == null) {
            throw new IllegalArgumentException("ParallelLoops.forRange: n must be non-negative and body non-null, got n = " + n
                    + (body == null ? " and a null body" : ""));
        }
        Parallel.forRange(n, Parallel.GRAIN, body::run);
    }
}
