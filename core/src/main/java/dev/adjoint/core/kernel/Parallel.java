package dev.adjoint.core.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits the loops of elementwise and reduction kernels over the fork/join pool of the large matrix
 * products ({@link ParallelGemm}), with the same thread count ({@code adjoint.threads}, the
 * calling thread's cap included).
 *
 * <p>Only loops of at least {@link #MIN_PARALLEL} elements split, into parts of at least
 * {@link #MIN_PART}: below that, waking a pool thread costs more than it saves.
 *
 * <p>Determinism: a part computes each of its outputs by exactly the operations a one-part run
 * uses. Elementwise loops split at multiples of a grain (a float32 block, a row) so that every
 * element sees the same loop, vector lane and tail alike. Reductions never split a sum across
 * parts: they sum fixed {@link #SUM_BLOCK}-element blocks, whose number does not depend on the
 * thread count, and add the block sums up in block order ({@link #sum}). So 1, 2, 3 or 8 threads
 * give the same bits.
 */
public final class Parallel {
    /** Elements below which a loop stays on the calling thread. */
    public static final int MIN_PARALLEL = 1 << 15;
    /** The fewest elements per part. */
    static final int MIN_PART = 1 << 14;
    /** Elements per partial sum of {@link #sum}: fixed, whatever the thread count. */
    static final int SUM_BLOCK = 1 << 13;

    /** Per thread, for tests: the parts to split into whatever the thread count, or 0 to follow it. */
    private static final ThreadLocal<int[]> FORCED = ThreadLocal.withInitial(() -> new int[1]);

    private Parallel() {
    }

    /** A part of a loop: the indices [from, to). */
    @FunctionalInterface
    public interface Range {
        /** Runs the part [from, to). */
        void run(int from, int to);
    }

    /** The grain of elementwise loops: parts start at multiples of a float32 block. */
    public static final int GRAIN = FloatBlocks.BLOCK;

    /** The partial result of one block of a reduction. */
    @FunctionalInterface
    interface Block {
        double sum(int from, int to);
    }

    /**
     * Makes the calling thread split loops into {@code parts} parts (0: follow the thread count),
     * for tests that compare thread counts in one JVM.
     *
     * @return the previous setting
     */
    static int forceParts(int parts) {
        int[] slot = FORCED.get();
        int previous = slot[0];
        slot[0] = parts;
        return previous;
    }

    /** How many parts a loop of {@code n} elements takes on the calling thread. */
    static int parts(long n) {
        if (n < MIN_PARALLEL) {
            return 1;
        }
        int forced = FORCED.get()[0];
        int threads = forced > 0 ? forced : ParallelGemm.threadsForCaller();
        return (int) Math.max(1, Math.min(threads, n / MIN_PART));
    }

    /**
     * Runs {@code body} over [0, n), split into parts that start at multiples of {@code grain}, on
     * up to {@link #parts} threads; {@code cost} is the elements one index stands for (a row's
     * length, say), for the thresholds.
     */
    static void forRange(int n, int grain, long cost, Range body) {
        int parts = n <= grain ? 1 : parts(n * cost);
        if (parts <= 1) {
            body.run(0, n);
            return;
        }
        // at least a grain: fewer indices than parts leave some parts out
        int chunk = (int) Math.max(grain, ((long) n / parts + grain - 1) / grain * grain);
        new Split(n, chunk, body).run();
    }

    /**
     * {@link #forRange(int, int, long, Range)} of elements: indices split at multiples of
     * {@code grain}, each one element.
     *
     * @param n the number of indices
     * @param grain parts start at its multiples
     * @param body the loop's body
     */
    public static void forRange(int n, int grain, Range body) {
        forRange(n, grain, 1, body);
    }

    /**
     * The sum of [0, n) as block sums of {@link #SUM_BLOCK} elements added up in block order:
     * {@code ((b0 + b1) + b2) + ...}, the blocks computed on up to {@link #parts} threads. One block
     * (n up to {@link #SUM_BLOCK}) is {@code block.sum(0, n)} itself.
     */
    static double sum(int n, Block block) {
        if (n <= SUM_BLOCK) {
            return block.sum(0, n);
        }
        int blocks = (n + SUM_BLOCK - 1) / SUM_BLOCK;
        double[] partial = new double[blocks];
        forRange(blocks, 1, SUM_BLOCK, (from, to) -> {
            for (int b = from; b < to; b++) {
                partial[b] = block.sum(b * SUM_BLOCK, Math.min(n, (b + 1) * SUM_BLOCK));
            }
        });
        double s = partial[0];
        for (int b = 1; b < blocks; b++) {
            s += partial[b];
        }
        return s;
    }

    /**
     * One split loop. The parts are fixed by the chunk; who runs which is not: the calling thread and
     * the pool threads it wakes each claim the next unclaimed part until none is left, so a pool
     * thread that is slow to wake (a busy machine) leaves its parts to the caller instead of making
     * it wait. The caller then waits only for parts already running elsewhere.
     */
    private static final class Split {
        private final int n;
        private final int chunk;
        private final int count;
        private final Range body;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger unfinished;
        private volatile Throwable failure;

        Split(int n, int chunk, Range body) {
            this.n = n;
            this.chunk = chunk;
            this.count = (n + chunk - 1) / chunk;
            this.body = body;
            this.unfinished = new AtomicInteger(count);
        }

        void run() {
            ForkJoinPool pool = ParallelGemm.pool();
            for (int t = 1; t < count; t++) {
                pool.execute(this::claimParts);
            }
            claimParts();
            // NOTE: spin before yielding: a part running on another core ends within microseconds,
            // and parking would cost a wake-up as long as the part
            for (int spins = 0; unfinished.get() > 0; spins++) {
                if (spins < 1 << 14) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            Throwable f = failure;
            if (f instanceof RuntimeException e) {
                throw e;
            }
            if (f instanceof Error e) {
                throw e;
            }
        }

        /** Runs unclaimed parts until none is left. */
        private void claimParts() {
            for (int part; (part = next.getAndIncrement()) < count; ) {
                int from = part * chunk;
                try {
                    body.run(from, Math.min(n, from + chunk));
                } catch (Throwable e) {
                    if (failure == null) {
                        failure = e;
                    }
                } finally {
                    unfinished.decrementAndGet();
                }
            }
        }
    }
}
