package dev.adjoint.core.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * Runs a kernel over a product, split across a {@link ForkJoinPool} when the product is big enough
 * to pay for the hand-off.
 *
 * <p>The number of threads is the system property {@value #PROPERTY}
 * ({@code -Dadjoint.threads=4}), a whole number from 1 to {@value #MAX_THREADS}; without it, one
 * per available processor ({@link Runtime#availableProcessors()}, which
 * {@code -XX:ActiveProcessorCount} sets). It is read on the first product big enough for a
 * {@link GemmKernel}; an invalid value makes that product, and every later one, throw an
 * {@link IllegalArgumentException} that names the property and the value. A large product runs on
 * the calling thread and at most {@code threads - 1} threads of one pool that all callers share;
 * with 1 no pool is ever started. Set it where several workers share one JVM's cores (one Spark
 * task per core, say). A thread can lower it for the products it starts ({@link #limit}), as a
 * Spark task does to its {@code spark.task.cpus}.
 *
 * <p>The split is along the longer of m and n, in multiples of 16 so that every part but the last
 * fills whole register tiles of 8 rows or of 16 columns (a part of rows on the 6-row tile ends in
 * one padded panel). Splitting rows means each part packs all of B, splitting columns all
 * of A; along the longer side that repeated packing is the smaller share of the work.
 *
 * <p>The split never cuts the shared dimension k, and the kernels compute every element of C by
 * the same operations in the same order wherever its row and column fall in a block (see
 * {@link ScalarGemmKernel} and {@link VectorGemmKernel}): so the thread count changes which thread
 * computes an element, never its bits.
 *
 * <p>A caller from outside the pool runs the parts as one of {@link Parallel}'s split loops: it
 * computes the first part itself, pool threads still lingering after the last split loop or
 * product take the others at once (a two-way split wakes at most one pool thread, none when one
 * lingers), a part that no pool thread has started by the time the caller is
 * free runs on the caller, and the pool threads linger after their parts for the next product or
 * loop. A product inside a parallel product (on a pool thread) forks its parts in place.
 */
final class ParallelGemm {
    /** Name of the system property that sets the number of threads of large products. */
    static final String PROPERTY = "adjoint.threads";
    /** The largest thread count accepted: a {@link ForkJoinPool}'s limit. */
    static final int MAX_THREADS = 32767;
    /** Multiply-adds per part below which splitting does not pay for the hand-off. */
    static final long PARALLEL_THRESHOLD = 1L << 19;
    private static final int GRAIN = 16;
    // 0 until the first product reads the property; then its valid value, for good
    private static volatile int threads;
    // Created on first parallel product, not at class load: tiny-graph users never start threads.
    // Per calling thread: the most threads its products may use, or 0 for no cap of its own.
    private static final ThreadLocal<int[]> CAP = ThreadLocal.withInitial(() -> new int[1]);
    private static volatile ForkJoinPool pool;

    private ParallelGemm() {
    }

    /**
     * The thread count of large products: {@value #PROPERTY}, or the available processors.
     *
     * @throws IllegalArgumentException if the property is set to anything but a whole number from
     *     1 to {@value #MAX_THREADS}
     */
    static int threads() {
        int t = threads;
        if (t == 0) {
            t = parseThreads(System.getProperty(PROPERTY), Runtime.getRuntime().availableProcessors());
            threads = t;
        }
        return t;
    }

    /**
     * Caps the threads of the products the calling thread starts (0 lifts the cap).
     *
     * @return the previous cap, 0 for none
     * @throws IllegalArgumentException if {@code cap} is negative or above {@value #MAX_THREADS}
     */
    static int limit(int cap) {
        if (cap < 0 || cap > MAX_THREADS) {
            throw new IllegalArgumentException("matmul: a thread limit must be a whole number from 1 to " + MAX_THREADS
                    + " (0 for none), got " + cap);
        }
        int[] slot = CAP.get();
        int previous = slot[0];
        slot[0] = cap;
        return previous;
    }

    /** The threads a product started by the calling thread may use: {@link #threads()}, or its cap if lower. */
    static int threadsForCaller() {
        int t = threads();
        int cap = CAP.get()[0];
        return cap == 0 ? t : Math.min(t, cap);
    }

    /** The thread count that the property's value (null when unset) asks for. */
    static int parseThreads(String value, int availableProcessors) {
        if (value == null) {
            return Math.min(availableProcessors, MAX_THREADS);
        }
        int t;
        try {
            t = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            t = 0;
        }
        if (t < 1 || t > MAX_THREADS) {
            throw new IllegalArgumentException("matmul: -D" + PROPERTY + "=" + value
                    + " is not a thread count (a whole number from 1 to " + MAX_THREADS + ")");
        }
        return t;
    }

    /** Overwrites the m x n block of C at cOff (rows ldc apart) with A B, on up to {@link #threadsForCaller()} threads. */
    static void multiply(GemmKernel kernel, Operand a, Operand b, double[] c, int cOff, int ldc, int m, int n, int k) {
        multiply(threadsForCaller(), kernel, a, b, c, cOff, ldc, m, n, k);
    }

    /** The float32 {@link #multiply(GemmKernel, Operand, Operand, double[], int, int, int, int, int)}. */
    static void multiply(FloatGemmKernel kernel, FloatOperand a, FloatOperand b, float[] c, int cOff, int ldc,
                         int m, int n, int k) {
        multiply(threadsForCaller(), kernel, a, b, c, cOff, ldc, m, n, k);
    }

    /**
     * As above, split for {@code maxParts} threads, whatever {@value #PROPERTY} says (tests compare
     * thread counts in one JVM, and use more parts than this machine has cores).
     */
    static void multiply(int maxParts, GemmKernel kernel, Operand a, Operand b, double[] c, int cOff, int ldc,
                         int m, int n, int k) {
        run(maxParts, m, n, k, (byRows, from, size) -> {
            if (byRows) {
                kernel.multiply(a.fromRow(from), b, c, cOff + from * ldc, ldc, size, n, k);
            } else {
                kernel.multiply(a, b.fromColumn(from), c, cOff + from, ldc, m, size, k);
            }
        });
    }

    /** The float32 {@link #multiply(int, GemmKernel, Operand, Operand, double[], int, int, int, int, int)}. */
    static void multiply(int maxParts, FloatGemmKernel kernel, FloatOperand a, FloatOperand b, float[] c, int cOff,
                         int ldc, int m, int n, int k) {
        run(maxParts, m, n, k, (byRows, from, size) -> {
            if (byRows) {
                kernel.multiply(a.fromRow(from), b, c, cOff + from * ldc, ldc, size, n, k);
            } else {
                kernel.multiply(a, b.fromColumn(from), c, cOff + from, ldc, m, size, k);
            }
        });
    }

    /** One part of a product: rows (byRows) or columns [from, from + size) of C. */
    @FunctionalInterface
    interface Part {
        void run(boolean byRows, int from, int size);
    }

    /** Runs the parts of an m x n x k product, one dtype's kernel behind {@code part}, on up to maxParts threads. */
    private static void run(int maxParts, int m, int n, int k, Part part) {
        int parts = parts(maxParts, m, n, k);
        if (parts <= 1) {
            part.run(true, 0, m);
            return;
        }
        boolean byRows = m >= n;
        int length = byRows ? m : n;
        int chunk = chunk(length, parts);
        ForkJoinPool p = pool();
        if (ForkJoinTask.getPool() != p) {
            // NOTE: not a fork/join task per part: a pool thread that finished one parked, and the
            // next product of a small network's step paid for waking it (bench/RESULTS.md,
            // "Products as split loops")
            // parts whole grains long may outnumber maxParts (rounding): they still run on at most
            // maxParts threads, the caller's cap
            int count = (length + chunk - 1) / chunk;
            Parallel.forParts(count, Math.min(count, maxParts), (first, last) -> {
                for (int i = first; i < last; i++) {
                    part.run(byRows, i * chunk, Math.min(chunk, length - i * chunk));
                }
            });
            return;
        }
        // already one of our workers (a product inside a parallel product): fork in place
        List<RecursiveAction> tasks = new ArrayList<>(parts);
        for (int start = 0; start < length; start += chunk) {
            int from = start;
            int size = Math.min(chunk, length - start);
            tasks.add(action(() -> part.run(byRows, from, size)));
        }
        ForkJoinTask.invokeAll(tasks);
    }

    /** How many parts an m x n x k product is split into for {@code maxParts} threads. */
    static int parts(int maxParts, int m, int n, int k) {
        long work = (long) m * n * k;
        int length = Math.max(m, n);
        int parts = (int) Math.min(Math.min(maxParts, work / PARALLEL_THRESHOLD), (length + GRAIN - 1) / GRAIN);
        return parts <= 1 ? 1 : (length + chunk(length, parts) - 1) / chunk(length, parts);
    }

    /**
     * Rows or columns per part: length / parts rounded up to whole grains. The rounding can leave a
     * short extra part (9 parts of at most 16 for 130 rows in 8), which a busy pool thread picks up.
     */
    private static int chunk(int length, int parts) {
        return (length / parts + GRAIN - 1) / GRAIN * GRAIN;
    }

    /** The pool that large products share, and the other kernels that split their loops ({@link Parallel}). */
    static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (ParallelGemm.class) {
                p = pool;
                if (p == null) {
                    // the caller computes a part too: threads - 1 pool threads make threads in all
                    p = new ForkJoinPool(Math.max(1, threads() - 1));
                    pool = p;
                }
            }
        }
        return p;
    }

    private static RecursiveAction action(Runnable body) {
        return new RecursiveAction() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void compute() {
                body.run();
            }
        };
    }
}
