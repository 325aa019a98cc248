package dev.adjoint.core.kernel;

import java.lang.ref.SoftReference;
import java.util.Arrays;

/**
 * A per-thread pool of large arrays, so that kernels can reuse warm memory instead of fresh arrays
 * the JVM must zero.
 *
 * <p>Kernels take arrays with {@link #uninitialized(int)} (float64) or {@link #uninitializedFloats(int)}
 * (float32; the same pool, the same byte thresholds): an array from there holds garbage, so
 * only a kernel that overwrites every element may use it. Arrays come back to the pool only
 * through a {@link Scope}: while a scope is open on a thread, it remembers the large arrays taken
 * on that thread (the last {@link #CAPACITY} of them, the warmest); its owner, who alone knows
 * whether those arrays are dead, then either {@link Scope#release() releases} them into the pool
 * or {@link Scope#discard() discards} the record. The pool itself knows nothing of what the arrays
 * hold.
 *
 * <p>An {@link Arena} serves a computation that allocates the same arrays in the same order every
 * time it runs (a recorded step's replay): while it is {@link #enter entered} on a thread, the
 * large arrays taken there come from it, the i-th from its i-th place, which is filled (or
 * replaced, when the length differs) the first time. Its owner promises that nothing taken in one
 * run is used after the next run starts. No scope opens inside it, so no array is both in the
 * arena and in the pool.
 *
 * <p>Pooled arrays are softly referenced (the GC may take them back under memory pressure) and
 * bounded per thread. Two system properties exist for testing and opting out:
 * {@code adjoint.recycle=false} turns the pool off; {@code adjoint.recycle.test=true} pools arrays
 * of every length and fills each reused array (of either dtype) with NaN first, so that a kernel that fails to
 * overwrite its output, or an array released while still in use, shows up as NaN in the suite.
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
    /** {@link #MIN_LENGTH} for float arrays: the same bytes, twice the elements. */
    static final int MIN_FLOATS = TEST_MODE ? 1 : MIN_LENGTH * 2;
    /** {@link #MAX_LENGTH} for float arrays: the same bytes. */
    static final int MAX_FLOATS = MAX_LENGTH * 2;
    /** Arrays kept per thread, in the pool and in a scope's record each. */
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
        if (!ENABLED || n < MIN_LENGTH) {
            return new double[n];
        }
        Recycler r = RECYCLER.get();
        if (r.arena != null) {
            return (double[]) r.arena.take(n, false);
        }
        return n > MAX_LENGTH ? new double[n] : (double[]) r.take(n, false);
    }

    /**
     * As {@link #uninitialized(int)}, for float32: a new float array of length {@code n} whose
     * contents are undefined.
     *
     * @param n the length
     * @return an array of exactly that length
     */
    static float[] uninitializedFloats(int n) {
        if (!ENABLED || n < MIN_FLOATS) {
            return new float[n];
        }
        Recycler r = RECYCLER.get();
        if (r.arena != null) {
            return (float[]) r.arena.take(n, true);
        }
        return n > MAX_FLOATS ? new float[n] : (float[]) r.take(n, true);
    }

    /**
     * Opens a scope on this thread that remembers the arrays taken until {@link Scope#stop()}.
     * Scopes do not nest: while one is open on this thread, this returns {@code null}, and the
     * open one goes on remembering.
     *
     * @return the scope, or null when the pool is off or a scope is already open on this thread
     */
    public static Scope open() {
        if (!ENABLED) {
            return null;
        }
        Recycler r = RECYCLER.get();
        if (r.open != null || r.arena != null) {
            return null;
        }
        // one scope object per thread, reused: a backward pass on a tiny graph pays no allocation
        Scope scope = r.spare != null ? r.spare : new Scope(r);
        r.spare = null;
        scope.logged = 0;
        scope.stopped = false;
        scope.done = false;
        r.open = scope;
        return scope;
    }

    /**
     * The arrays taken on one thread while it was open. Use it on the thread that opened it:
     * {@link #stop()} ends the record, then {@link #release()} or {@link #discard()} decides.
     */
    public static final class Scope {
        private final Recycler recycler;
        /** The last {@link #CAPACITY} arrays (double[] or float[]) taken while open (a ring): the warmest ones. */
        private final Object[] log = new Object[CAPACITY];
        private int logged;
        private boolean stopped;
        private boolean done;

        private Scope(Recycler recycler) {
            this.recycler = recycler;
        }

        /** Stops remembering: arrays taken from now on are not this scope's. Idempotent. */
        public void stop() {
            if (!stopped) {
                stopped = true;
                if (recycler.open == this) {
                    recycler.open = null;
                }
            }
        }

        /**
         * Returns the remembered arrays to this thread's pool: the caller guarantees that nothing
         * will read or write them again. Stops the scope first if needed; afterwards the scope is
         * empty.
         */
        public void release() {
            stop();
            if (!done) {
                done = true;
                for (int i = 0; i < Math.min(logged, CAPACITY); i++) {
                    recycler.give(log[i]);
                    log[i] = null;
                }
                recycler.spare = this;
            }
        }

        /** Forgets the remembered arrays (they may still be in use). Stops the scope first if needed. */
        public void discard() {
            stop();
            if (!done) {
                done = true;
                Arrays.fill(log, null);
                recycler.spare = this;
            }
        }

        /** Whether no array was taken while this scope was open. @return true if it remembers none */
        public boolean isEmpty() {
            return logged == 0;
        }

        void remember(Object a) {
            log[logged++ % CAPACITY] = a;
        }
    }

    /**
     * The arrays of one repeated computation, handed out again in the order they were first taken
     * (see the class comment).
     */
    public static final class Arena {
        private Object[] arrays = new Object[8];
        private int count;
        private int next;

        /** An empty arena: its first run allocates. */
        public Arena() {
        }

        Object take(int n, boolean floats) {
            Object a = next < count ? arrays[next] : null;
            if (a != null && fits(a, n, floats)) {
                if (TEST_MODE) {
                    poison(a);
                }
            } else {
                a = floats ? new float[n] : new double[n];
                if (next == arrays.length) {
                    arrays = Arrays.copyOf(arrays, 2 * arrays.length);
                }
                arrays[next] = a;
                count = Math.max(count, next + 1);
            }
            next++;
            return a;
        }

        /** The bytes of the arrays it holds. */
        long bytes() {
            long b = 0;
            for (int i = 0; i < count; i++) {
                b += arrays[i] instanceof float[] f ? 4L * f.length : 8L * ((double[]) arrays[i]).length;
            }
            return b;
        }
    }

    /**
     * Takes the large arrays of this thread from {@code arena}, from its first place on, until
     * {@link #leave}.
     *
     * @param arena the arena
     * @return whether it was entered: false when recycling is off, or a scope or another arena is
     *     open on this thread (then arrays come as usual)
     */
    public static boolean enter(Arena arena) {
        if (!ENABLED) {
            return false;
        }
        Recycler r = RECYCLER.get();
        if (r.open != null || r.arena != null) {
            return false;
        }
        arena.next = 0;
        r.arena = arena;
        return true;
    }

    /**
     * Stops taking arrays from {@code arena} on this thread.
     *
     * @param arena the arena entered
     */
    public static void leave(Arena arena) {
        Recycler r = RECYCLER.get();
        if (r.arena == arena) {
            r.arena = null;
        }
    }

    /** How many arrays this thread's pool holds (for tests). */
    static int pooled() {
        return RECYCLER.get().pooled;
    }

    /** Empties this thread's pool and forgets any open scope (for tests). */
    static void reset() {
        Recycler r = RECYCLER.get();
        Arrays.fill(r.pool, null);
        r.pooled = 0;
        r.open = null;
        r.spare = null;
        r.arena = null;
    }

    /** Whether {@code a} (a double[] or a float[]) is of the asked dtype and length. */
    private static boolean fits(Object a, int n, boolean floats) {
        return floats ? a instanceof float[] f && f.length == n : a instanceof double[] d && d.length == n;
    }

    // One pool for both dtypes: a model trains in one of them, so the other takes no room.
    private static void poison(Object a) {
        if (a instanceof float[] f) {
            Arrays.fill(f, Float.NaN);
        } else {
            Arrays.fill((double[]) a, Double.NaN);
        }
    }

    private static final class Recycler {
        @SuppressWarnings({"unchecked", "rawtypes"})
        final SoftReference<Object>[] pool = new SoftReference[CAPACITY];
        int pooled;
        Scope open;
        /** A finished scope, for the next {@link Buffers#open()}. */
        Scope spare;
        /** The arena entered on this thread, or null. */
        Arena arena;

        /** A double[n], or a float[n] if {@code floats}. */
        Object take(int n, boolean floats) {
            Object r = null;
            for (int i = pooled - 1; i >= 0; i--) {
                Object candidate = pool[i].get();
                if (candidate == null || fits(candidate, n, floats)) {
                    pool[i] = pool[--pooled];
                    pool[pooled] = null;
                    if (candidate != null) {
                        r = candidate;
                        if (TEST_MODE) {
                            poison(r);
                        }
                        break;
                    }
                }
            }
            if (r == null) {
                r = floats ? new float[n] : new double[n];
            }
            if (open != null) {
                open.remember(r);
            }
            return r;
        }

        // A remembered array is never in the pool: it was taken out (or newly made) while its
        // scope was open, and is given back at most once, by that scope's release.
        void give(Object a) {
            if (pooled == CAPACITY) {
                // drop the oldest
                System.arraycopy(pool, 1, pool, 0, CAPACITY - 1);
                pooled--;
            }
            pool[pooled++] = new SoftReference<>(a);
        }
    }
}
