package dev.adjoint.core;

import dev.adjoint.core.kernel.Gemm;

/**
 * A per-thread cap on the threads of large matrix products, below the process-wide
 * {@code -Dadjoint.threads=N}: for several workers that share one JVM's cores, such as Spark
 * tasks, each of which may use only its own share ({@code spark.task.cpus}).
 *
 * <pre>{@code
 * try (Autograd.Scope s = MatmulThreads.limit(1)) {
 *     loss = model.forward(x) ...;     // products started on this thread use at most 1 thread
 * }
 * }</pre>
 *
 * <p>The cap belongs to the calling thread, and holds as well for the pooling kernels and the long
 * elementwise, reduction and optimizer loops that split over the same threads
 * ({@link ParallelLoops}); it never changes a
 * bit of any result (see the README's Determinism section), only how many threads compute it.
 */
public final class MatmulThreads {
    private MatmulThreads() {
    }

    /**
     * Caps the threads of the products this thread starts until the scope closes, when the previous
     * cap comes back. Scopes nest.
     *
     * @param threads the most threads, at least 1 (the calling thread counts as one)
     * @return the scope to close
     * @throws IllegalArgumentException if {@code threads} is below 1 or above 32767
     */
    public static Autograd.Scope limit(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("MatmulThreads.limit: threads must be at least 1, got " + threads);
        }
        int previous = Gemm.limitThreads(threads);
        return new Autograd.Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    Gemm.limitThreads(previous);
                }
            }
        };
    }

    /**
     * The most threads a large product started on this thread may use now: {@code adjoint.threads}
     * (default: the available processors), or this thread's cap if lower.
     *
     * @return the thread count, at least 1
     */
    public static int current() {
        return Gemm.threadsForCaller();
    }
}
