package dev.adjoint.core.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits the loops of elementwise and reduction kernels over the fork/join pool of the large matrix
 * products ({@link ParallelGemm}), with the same thread count ({@code adjoint.threads}, the
 * calling thread's cap included).
 *
 * <p>Only loops of at least {@link #MIN_PARALLEL} elements split, over one thread per
 * {@link #MIN_PART} elements at most: below that, waking a pool thread costs more than it saves.
 * Each thread's share is cut into up to {@link #PIECES} parts, so that the calling thread takes
 * over the parts of a pool thread that starts late.
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
    /** The fewest elements per thread. */
    static final int MIN_PART = 1 << 14;
    /** The parts a thread's share of a split loop is cut into, at most ({@link #forRange}). */
    static final int PIECES = 4;
    /** The fewest elements per part of a thread's share. */
    static final int MIN_PIECE = 1 << 12;
    /** Spins of a split loop's caller waiting for parts that run elsewhere, before it parks. */
    static final int SPINS = 1 << 14;
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
        // each thread's share cut into up to PIECES parts of at least MIN_PIECE elements: a caller
        // whose pool thread starts late then takes over the parts it has not begun, instead of
        // waiting for a whole share; at least a grain (fewer indices than parts leave some out)
        long per = Math.max((MIN_PIECE + cost - 1) / cost, (long) n / ((long) parts * PIECES));
        int chunk = (int) Math.min(n, Math.max(grain, (per + grain - 1) / grain * grain));
        new Split(n, chunk, parts, false, body).run();
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
     * Runs {@code body} over [0, n), each index a part of its own, on up to {@link #parts} threads
     * (of the loop's {@code n * cost} elements): the threads claim the next unclaimed index in turn,
     * so uneven or slow parts balance out. For loops of a few heavy indices (a convolution's blocks
     * of images).
     *
     * @param n the number of indices
     * @param cost the elements one index stands for, for the thresholds
     * @param body the loop's body, called with ranges of one index or, on one thread, [0, n)
     */
    static void forEachIndex(int n, long cost, Range body) {
        int parts = n <= 1 ? 1 : (int) Math.min(n, parts(n * cost));
        if (parts <= 1) {
            body.run(0, n);
            return;
        }
        new Split(n, 1, parts, true, body).run();
    }

    /**
     * Runs {@code body} once for each of the {@code count} parts of a matrix product, each part an
     * index, on up to {@code workers} threads, as a split loop: pool threads lingering after the
     * last split loop or product take their parts at once, without a wake-up; a part that no other
     * thread has started when the caller is free runs on the caller (a pool thread slow to wake
     * leaves its part to it); and the pool threads linger after their parts
     * ({@link #LINGER_NANOS}). The caller spins, then parks, for parts still running elsewhere.
     */
    static void forParts(int count, int workers, Range body) {
        if (count <= 1 || workers <= 1) {
            body.run(0, count);
            return;
        }
        new Split(count, 1, workers, false, body).run();
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
        forRange(blocks, 1, SUM_BLOCK, new BlockSums(n, block, partial));
        double s = partial[0];
        for (int b = 1; b < blocks; b++) {
            s += partial[b];
        }
        return s;
    }

    /**
     * How long a pool thread that finished its parts of a split loop or of a matrix product stays
     * spinning for the next one before it goes back to the pool: the wait policy of OpenMP's
     * threads, so that consecutive split loops and products (a step's forward and backward) find it
     * running instead of paying for a wake-up each. NOTE: not shorter: loops separated by about the
     * spin's length (a sum, then its backward filling a gradient) found the thread just gone, and
     * ran slower than with no spin at all; at a quarter of this, the pool's part of a small network's
     * products (a batch of 128, small ops between them) often waited for a wake-up
     * (bench/RESULTS.md, "Split loops", "Products as split loops").
     */
    static final long LINGER_NANOS = 200_000;
    /**
     * The split loop most recently started, for lingering pool threads to join; null when it is
     * done. Shared by all callers because a lingering thread has no other way to find the next loop;
     * a loop it misses (another caller posted over it) runs on the threads its caller wakes.
     */
    private static final AtomicReference<Split> POSTED = new AtomicReference<>();
    /** Pool threads lingering now (an estimate: one may be about to leave). */
    private static final AtomicInteger LINGERING = new AtomicInteger();

    /**
     * {@link #sum}'s loop body: each block's sum into its slot. A class, not a lambda: a lambda is
     * two calls deep (its class's method, then the method holding its code), and the sum's kernel
     * under a split loop must stay shallow (see {@code Split.claimParts}).
     */
    private static final class BlockSums implements Range {
        private final int n;
        private final Block block;
        private final double[] partial;

        BlockSums(int n, Block block, double[] partial) {
            this.n = n;
            this.block = block;
            this.partial = partial;
        }

        @Override
        public void run(int from, int to) {
            for (int b = from; b < to; b++) {
                partial[b] = block.sum(b * SUM_BLOCK, Math.min(n, (b + 1) * SUM_BLOCK));
            }
        }
    }

    /**
     * One split loop. The parts are fixed by the chunk; who runs which is not: the calling thread and
     * the pool threads that join it each claim the parts of their own seat's range, then any
     * unclaimed part of the others', until none is left, so a pool thread that is slow to wake (a
     * busy machine) leaves its parts to the caller instead of making it wait. The caller then waits
     * only for parts already running elsewhere. At most {@code workers - 1} pool threads join:
     * lingering ones ({@link #LINGER_NANOS}) first, then ones it wakes, for the rest.
     */
    private static final class Split {
        private final int n;
        private final int chunk;
        private final int count;
        private final int workers;
        /** Whether the caller parks at once (long parts) instead of spinning first while others finish. */
        private final boolean park;
        private final Range body;
        /** Per seat, the next part of its own range to claim (seat 0 is the caller's). */
        private final AtomicIntegerArray cursors;
        private final AtomicInteger unfinished;
        /** Pool threads that may still join: a thread takes one before it claims a part. */
        private final AtomicInteger seats;
        private volatile Throwable failure;
        /** The calling thread once it parks, for the thread that finishes the last part to wake. */
        private volatile Thread waiter;

        /** The parts of {@code chunk} indices each, claimed by at most {@code workers} threads. */
        Split(int n, int chunk, int workers, boolean park, Range body) {
            this.n = n;
            this.chunk = chunk;
            this.count = (n + chunk - 1) / chunk;
            this.workers = Math.min(count, workers);
            this.park = park;
            this.body = body;
            this.unfinished = new AtomicInteger(count);
            this.seats = new AtomicInteger(this.workers - 1);
            this.cursors = new AtomicIntegerArray(this.workers);
            for (int seat = 1; seat < this.workers; seat++) {
                cursors.set(seat, rangeStart(seat));
            }
        }

        /** The first part of a seat's own range: the parts split evenly over the seats in order. */
        private int rangeStart(int seat) {
            return (int) ((long) seat * count / workers);
        }

        void run() {
            ForkJoinPool pool = ParallelGemm.pool();
            POSTED.set(this);
            try {
                // lingering pool threads take seats by themselves; wake pool threads for the others.
                // If the pool refuses, the caller claims every part left itself; an error (no
                // memory for a thread) is thrown once the parts that did start have finished.
                try {
                    for (int t = Math.min(workers - 1, LINGERING.get()); t < workers - 1; t++) {
                        pool.execute(() -> join(this, pool));
                    }
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // no helper: the loop still completes on this thread
                } catch (Error e) {
                    failure = e;
                }
                claimParts(0);
                // NOTE: spin before parking, unless the parts are long: a part running on another core
                // often ends within microseconds, and parking costs a wake-up as long as such a part.
                // Then park, so that on a busy machine the waiting thread leaves its core to the part
                // it waits for.
                for (int i = 0; !park && i < SPINS && unfinished.get() > 0; i++) {
                    Thread.onSpinWait();
                }
                if (unfinished.get() > 0) {
                    waiter = Thread.currentThread();
                    // an interrupted thread's park returns at once: the flag is cleared while it
                    // waits (else it would spin for the whole wait) and set again after
                    boolean interrupted = false;
                    while (unfinished.get() > 0) {
                        LockSupport.park(this);
                        interrupted |= Thread.interrupted();
                    }
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
            } finally {
                // nothing keeps the loop's body (and the arrays it holds) once it is done
                POSTED.compareAndSet(this, null);
            }
            Throwable f = failure;
            if (f instanceof RuntimeException e) {
                throw e;
            }
            if (f instanceof Error e) {
                throw e;
            }
        }

        /** Takes a seat (1 to workers - 1) if one is left and there is a part to claim; -1 if not. */
        int seat() {
            boolean left = false;
            for (int seat = 0; seat < workers && !left; seat++) {
                left = cursors.get(seat) < rangeStart(seat + 1);
            }
            if (!left) {
                return -1;
            }
            for (int s; (s = seats.get()) > 0; ) {
                if (seats.compareAndSet(s, s - 1)) {
                    return workers - s;
                }
            }
            return -1;
        }

        /**
         * Runs unclaimed parts until none is left: those of its own seat's range first, then the
         * others' in turn. NOTE: each seat's own range, not the next part whoever asks: so a loop
         * split like the one before it gives each thread the elements it read or wrote last time,
         * still in its core's cache (claimed in any order, the parts moved between the cores, and
         * a sum over an array ran slower on two threads than on one; bench/RESULTS.md, "Split
         * loops").
         */
        private void claimParts(int seat) {
            for (int k = 0; k < workers; k++) {
                int s = (seat + k) % workers;
                int end = rangeStart(s + 1);
                for (int part; (part = cursors.getAndIncrement(s)) < end; ) {
                    // each part run here, noting a failure, the caller woken after the last part.
                    // NOTE: not in a method of its own: a kernel inlined into a compile of this
                    // loop's callers must keep the Vector API's operations (several calls below
                    // it) within C2's MaxInlineLevel; deeper ones are left to incremental
                    // inlining, which a large compile may skip, and then run boxed
                    // (bench/RESULTS.md, "Vector code beyond C2's inlining depth")
                    int from = part * chunk;
                    try {
                        body.run(from, Math.min(n, from + chunk));
                    } catch (Throwable e) {
                        if (failure == null) {
                            failure = e;
                        }
                    } finally {
                        if (unfinished.decrementAndGet() == 0) {
                            Thread w = waiter;
                            if (w != null) {
                                LockSupport.unpark(w);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * A pool thread's work for a split loop: its parts, if a seat is left, then the parts of the
     * loops started while it lingers ({@link #linger}), until none starts in time.
     */
    private static void join(Split first, ForkJoinPool pool) {
        Split last = first;
        int seat = first.seat();
        if (seat > 0) {
            first.claimParts(seat);
        }
        int[] taken = new int[1];
        while (true) {
            Split next = linger(last, pool, taken);
            if (next == null) {
                // A loop started just as this thread stopped lingering may have counted on it and
                // woken no one: it posts, then counts the lingering threads; this thread uncounts
                // itself, then looks at what is posted. One of the two sees the other.
                Split s = POSTED.get();
                if (s == null || s == last || (taken[0] = s.seat()) < 0) {
                    return;
                }
                next = s;
            }
            next.claimParts(taken[0]);
            last = next;
        }
    }

    /**
     * Spins, counted in {@link #LINGERING}, until a split loop other than {@code last} is posted and
     * this thread gets a seat in it (returned, the seat in {@code taken[0]}), or none is for {@link #LINGER_NANOS}, or the pool
     * has other work queued (a matrix product's parts, submitted or forked): null.
     */
    private static Split linger(Split last, ForkJoinPool pool, int[] taken) {
        LINGERING.incrementAndGet();
        try {
            long deadline = System.nanoTime() + LINGER_NANOS;
            for (int i = 1; ; i++) {
                Split s = POSTED.get();
                if (s != null && s != last && (taken[0] = s.seat()) > 0) {
                    return s;
                }
                Thread.onSpinWait();
                if ((i & 63) == 0 && (System.nanoTime() - deadline > 0 || pool.hasQueuedSubmissions()
                        || pool.getQueuedTaskCount() > 0)) {
                    return null;
                }
            }
        } finally {
            LINGERING.decrementAndGet();
        }
    }
}
