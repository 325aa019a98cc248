package dev.adjoint.core.kernel;

import java.lang.ref.SoftReference;
import java.util.Arrays;

/**
 * Recycles the large arrays a backward pass allocates for its intermediate gradients, so that the
 * next ops reuse warm memory instead of fresh arrays the JVM must zero (a profile of softmax
 * forward and backward on [256, 1000] spent a third of its time zeroing new arrays).
 *
 * <p>Only arrays that are provably dead are recycled. The engine opens a <em>pass</em> around a
 * plain {@code backward()} sweep (no {@code createGraph}, no {@code Autograd.grad} results, which
 * would hand arrays to the caller); every large array allocated through
 * {@link #uninitialized(int)} on this thread while the pass is open is logged. Those arrays carry
 * gradients between built-in ops and die when the sweep ends: leaf gradients are copied out of
 * them, after the pass has closed. The pass is <em>tainted</em>, and nothing is recycled, when a
 * user's op runs its backward inside it (it could keep the gradient it was given), when passes
 * nest, or when the sweep fails.
 *
 * <p>An array from {@link #uninitialized(int)} holds garbage, so only kernels that overwrite every
 * element use it. Pooled arrays are softly referenced (the GC may take them back under memory
 * pressure) and bounded per thread. Two system properties exist for testing and opting out:
 * {@code adjoint.recycle=false} turns recycling off; {@code adjoint.recycle.test=true} recycles
 * arrays of every length and fills each reused array with NaN first, so that a kernel that fails
 * to overwrite its output, or an array recycled while still in use, shows up as NaN in the suite.
 */
public final class Buffers {
    /** Whether recycling is on ({@code -Dadjoint.recycle=false} turns it off). */
    static final boolean ENABLED = !"false".equals(System.getProperty("adjoint.recycle"));
    /** Test mode: every length is recycled, and reused arrays are poisoned with NaN. */
    static final boolean TEST_MODE = Boolean.getBoolean("adjoint.recycle.test");
    /** Arrays shorter than this (32K doubles, 256 KB) are allocated normally: the JVM's fast path is cheap for them. */
    static final int MIN_LENGTH = TEST_MODE ? 1 : 1 << 15;
    /** Arrays longer than this (2M doubles, 16 MB) are not kept. */
    static final int MAX_LENGTH = 1 << 21;
    /** Arrays kept per thread, in the pool and in a pass's log each. */
    static final int CAPACITY = 6;

    private static final ThreadLocal<Recycler> RECYCLER = ThreadLocal.withInitial(Recycler::new);

    private Buffers() {
    }

    /**
     * A new array of length {@code n} whose contents are undefined: the caller must write every
     * element before anything reads it.
     *
     * @param n the length
     * @return an array of exactly that length
     */
    static double[] uninitialized(int n) {
        if (!ENABLED || n < MIN_LENGTH || n > MAX_LENGTH) {
            return new double[n];
        }
        return RECYCLER.get().take(n);
    }

    /**
     * Opens a pass on this thread (see the class comment); passes nest, and nesting taints.
     *
     * @return the handle to give {@link #endPass(Object, boolean)}
     */
    public static Object beginPass() {
        if (!ENABLED) {
            return null;
        }
        Recycler r = RECYCLER.get();
        r.begin();
        return r;
    }

    /** Marks the open pass, if any, as one whose arrays may still be in use when it ends. */
    public static void taintPass() {
        if (ENABLED) {
            Recycler r = RECYCLER.get();
            if (r.depth > 0) {
                r.tainted = true;
            }
        }
    }

    /**
     * Closes the pass opened last: nothing more is logged. When it is the outermost, untainted
     * and {@code succeeded}, its arrays are kept for {@link #recycle(Object)}; otherwise they are
     * dropped. Between the two calls no array of the pass is handed out again, so the caller can
     * still read them (the engine copies leaf gradients out of them).
     *
     * @param pass what {@link #beginPass()} returned on this thread
     * @param succeeded whether the sweep finished without an exception
     */
    public static void endPass(Object pass, boolean succeeded) {
        if (pass != null) {
            ((Recycler) pass).end(succeeded);
        }
    }

    /**
     * Makes the arrays of a pass closed with {@link #endPass(Object, boolean)} reusable; does
     * nothing for a nested, tainted or failed pass.
     *
     * @param pass what {@link #beginPass()} returned on this thread
     */
    public static void recycle(Object pass) {
        if (pass != null) {
            ((Recycler) pass).recycle();
        }
    }

    /** How many arrays this thread's pool holds (for tests). */
    static int pooled() {
        return RECYCLER.get().pooled;
    }

    /** Empties this thread's pool and closes any pass (for tests). */
    static void reset() {
        Recycler r = RECYCLER.get();
        Arrays.fill(r.pool, null);
        r.pooled = 0;
        r.clearLog();
        r.depth = 0;
        r.tainted = false;
    }

    private static final class Recycler {
        @SuppressWarnings({"unchecked", "rawtypes"})
        final SoftReference<double[]>[] pool = new SoftReference[CAPACITY];
        int pooled;
        /** The last {@link #CAPACITY} arrays handed out in the open pass (a ring): the warmest ones. */
        final double[][] log = new double[CAPACITY][];
        int logged;
        int depth;
        boolean tainted;
        /** A closed pass whose logged arrays wait for {@link #recycle()}. */
        boolean closed;

        double[] take(int n) {
            double[] r = null;
            for (int i = pooled - 1; i >= 0; i--) {
                double[] candidate = pool[i].get();
                if (candidate == null || candidate.length == n) {
                    pool[i] = pool[--pooled];
                    pool[pooled] = null;
                    if (candidate != null) {
                        r = candidate;
                        if (TEST_MODE) {
                            Arrays.fill(r, Double.NaN);
                        }
                        break;
                    }
                }
            }
            if (r == null) {
                r = new double[n];
            }
            if (depth > 0 && !tainted) {
                log[logged++ % CAPACITY] = r;
            }
            return r;
        }

        void begin() {
            if (depth == 0 && closed) {
                clearLog(); // a pass closed but never recycled (its caller failed in between)
            }
            if (depth++ > 0) {
                tainted = true;
            }
        }

        void end(boolean succeeded) {
            if (depth == 0) {
                if (!succeeded) {
                    clearLog(); // failed after it was closed, before recycle: drop the arrays
                }
                return;
            }
            if (--depth > 0) {
                return;
            }
            if (succeeded && !tainted) {
                closed = true;
            } else {
                clearLog();
            }
            tainted = false;
        }

        void recycle() {
            if (depth > 0 || !closed) {
                return;
            }
            for (int i = 0; i < Math.min(logged, CAPACITY); i++) {
                give(log[i]);
            }
            clearLog();
        }

        // A logged array is never in the pool: it was taken out (or newly made) during the pass,
        // and the pool takes arrays back only when no pass is open.
        private void give(double[] a) {
            if (pooled == CAPACITY) {
                // drop the oldest
                System.arraycopy(pool, 1, pool, 0, CAPACITY - 1);
                pooled--;
            }
            pool[pooled++] = new SoftReference<>(a);
        }

        void clearLog() {
            Arrays.fill(log, null);
            logged = 0;
            closed = false;
        }
    }
}
