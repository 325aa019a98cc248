package dev.adjoint.core.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * Runs a kernel over a product, split across a {@link ForkJoinPool} with one worker per core when
 * the product is big enough to pay for the hand-off.
 *
 * <p>The split is along the longer of m and n, in multiples of 16 so that every part but the last
 * fills whole register tiles. Splitting rows means each part packs all of B, splitting columns all
 * of A; along the longer side that repeated packing is the smaller share of the work.
 *
 * <p>A caller from outside the pool computes the first part itself and hands the others to the
 * pool, so a two-way split wakes one pool thread, not two, and the caller does not sit idle.
 */
final class ParallelGemm {
    /** Multiply-adds per part below which splitting does not pay for the hand-off. */
    static final long PARALLEL_THRESHOLD = 1L << 19;
    private static final int GRAIN = 16;
    private static final int THREADS = Runtime.getRuntime().availableProcessors();
    // Created on first parallel product, not at class load: tiny-graph users never start threads.
    private static volatile ForkJoinPool pool;

    private ParallelGemm() {
    }

    /** Overwrites the m x n block of C at cOff (rows ldc apart) with A B, on up to one thread per core. */
    static void multiply(GemmKernel kernel, Operand a, Operand b, double[] c, int cOff, int ldc, int m, int n, int k) {
        multiply(THREADS, kernel, a, b, c, cOff, ldc, m, n, k);
    }

    /** As above, split into at most {@code maxParts} parts (tests use more parts than this machine has cores). */
    static void multiply(int maxParts, GemmKernel kernel, Operand a, Operand b, double[] c, int cOff, int ldc,
                         int m, int n, int k) {
        long work = (long) m * n * k;
        int parts = (int) Math.min(maxParts, work / PARALLEL_THRESHOLD);
        boolean byRows = m >= n;
        int length = byRows ? m : n;
        parts = Math.min(parts, (length + GRAIN - 1) / GRAIN);
        if (parts <= 1) {
            kernel.multiply(a, b, c, cOff, ldc, m, n, k);
            return;
        }
        int chunk = (length / parts + GRAIN - 1) / GRAIN * GRAIN;
        List<RecursiveAction> tasks = new ArrayList<>(parts);
        for (int start = 0; start < length; start += chunk) {
            int from = start;
            int size = Math.min(chunk, length - start);
            if (byRows) {
                tasks.add(action(() -> kernel.multiply(a.fromRow(from), b, c, cOff + from * ldc, ldc, size, n, k)));
            } else {
                tasks.add(action(() -> kernel.multiply(a, b.fromColumn(from), c, cOff + from, ldc, m, size, k)));
            }
        }
        ForkJoinPool p = pool();
        if (ForkJoinTask.getPool() == p) {
            // already one of our workers (a product inside a parallel product): fork in place
            ForkJoinTask.invokeAll(tasks);
        } else {
            // the calling thread is already running: it takes the first part itself, so that a
            // two-way split wakes one pool thread instead of two and waits for no hand-off
            for (int t = 1; t < tasks.size(); t++) {
                p.execute(tasks.get(t));
            }
            try {
                tasks.get(0).invoke();
            } finally {
                // even when the first part failed: no part may still be writing C after return
                for (int t = 1; t < tasks.size(); t++) {
                    tasks.get(t).quietlyJoin();
                }
            }
            for (int t = 1; t < tasks.size(); t++) {
                tasks.get(t).join(); // rethrows a part's failure
            }
        }
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (ParallelGemm.class) {
                p = pool;
                if (p == null) {
                    p = new ForkJoinPool(THREADS);
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
