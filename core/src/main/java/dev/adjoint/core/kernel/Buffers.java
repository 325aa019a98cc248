package dev.adjoint.core.kernel;

import java.lang.ref.SoftReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A per-thread pool of large arrays, so that kernels can reuse warm memory instead of fresh arrays
 * the JVM must zero.
 *
 * <p>Kernels take arrays with {@link #uninitialized(int)} (float64) or {@link #uninitializedFloats(int)}
 * (float32; the same pool, the same byte thresholds): an array from there holds garbage, so
 * only a kernel that overwrites every element may use it. Arrays come back to the pool only
 * through a {@link Scope} or a {@link Region} (below): while a scope is open on a thread, it remembers the large arrays taken
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
 * <p>A {@link Region} lends arrays to the code its thread runs while it is open (a user's
 * {@code MemoryScope}): each large array taken there is remembered with a {@link Lease}, and when the
 * region closes every array not {@link Region#keep kept} goes back to the pool and its lease is
 * released. The tensors over such an array hold its lease and refuse to be read once it is
 * released, so a result used after its region closed fails loudly instead of reading an array
 * that now holds something else. While a scope of a backward pass is open, a region is
 * {@link #mute() muted}, or an arena is entered, the arrays taken are not the region's.
 *
 * <p>Pooled arrays are softly referenced (the GC may take them back under memory pressure) and
 * bounded per thread: {@link #CAPACITY} arrays, or as many as a region gave back at once together
 * with what a backward pass run inside it gave back. An open region holds every array it lent
 * until it closes. Two system properties exist for testing and opting out:
 * {@code adjoint.recycle=false} turns the pool off; {@code adjoint.recycle.test=true} pools arrays
 * of every length and fills each reused array (of either dtype) with NaN first, so that a kernel that fails to
 * overwrite its output, or an array released while still in use, shows up as NaN in the suite.
 */
public final class Buffers {
    /** Whether recycling is on ({@code -Dadjoint.recycle=false} turns it off). */
    static final boolean ENABLED = !"false".equals(System.getProperty("adjoint.recycle"));
    /** Test mode: every length is recycled, and reused arrays are poisoned with NaN. */
    static final boolean TEST_MODE = Boolean.getBoolean("adjoint.recycle.test");
    /**
     * Arrays shorter than this (4K doubles, 32 KB) are allocated normally. A new array is memory that
     * no cache holds; a recycled one was written a moment ago, so from this length on the results
     * of kernels come from the pool (measurements: bench/RESULTS.md).
     */
    static final int MIN_LENGTH = TEST_MODE ? 1 : 1 << 12;
    /** Arrays longer than this (16M doubles, 128 MB) are not kept. */
    static final int MAX_LENGTH = 1 << 24;
    /** {@link #MIN_LENGTH} for float arrays: the same bytes, twice the elements. */
    static final int MIN_FLOATS = TEST_MODE ? 1 : MIN_LENGTH * 2;
    /** {@link #MAX_LENGTH} for float arrays: the same bytes. */
    static final int MAX_FLOATS = MAX_LENGTH * 2;
    /** Arrays kept per thread in a scope's record, and in the pool until a region's close makes room for more. */
    static final int CAPACITY = 6;

    private static final ThreadLocal<Recycler> RECYCLER = ThreadLocal.withInitial(Recycler::new);
    /**
     * Regions open on all threads: while none is, a new tensor need not look for its lease. Changed
     * atomically, read plainly ({@link #regionsOpen()}): a thread with a region open always reads
     * at least its own increment (a later value in the counter's order still includes it), and
     * another thread's stale count only costs it a lookup, since regions are per thread.
     */
    private static final AtomicInteger REGIONS = new AtomicInteger();

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
        return uninitialized(n, true);
    }

    /** {@link #uninitialized(int)}, the {@link #offer offered} array included or not. */
    private static double[] uninitialized(int n, boolean offer) {
        if (!ENABLED || n < MIN_LENGTH) {
            return new double[n];
        }
        Recycler r = RECYCLER.get();
        if (r.arena != null) {
            return (double[]) r.arena.take(n, false);
        }
        return n > MAX_LENGTH ? new double[n] : (double[]) r.take(n, false, offer);
    }

    /**
     * As {@link #uninitialized(int)}, for float32: a new float array of length {@code n} whose
     * contents are undefined.
     *
     * @param n the length
     * @return an array of exactly that length
     */
    static float[] uninitializedFloats(int n) {
        return uninitializedFloats(n, true);
    }

    /** {@link #uninitializedFloats(int)}, the {@link #offer offered} array included or not. */
    private static float[] uninitializedFloats(int n, boolean offer) {
        if (!ENABLED || n < MIN_FLOATS) {
            return new float[n];
        }
        Recycler r = RECYCLER.get();
        if (r.arena != null) {
            return (float[]) r.arena.take(n, true);
        }
        return n > MAX_FLOATS ? new float[n] : (float[]) r.take(n, true, offer);
    }

    /**
     * As {@link #uninitialized(int)}, for an array the caller reads and drops before its op returns
     * (a mask, a contiguous copy of an operand): never the {@link #offer offered} array, which is
     * meant for the op's result.
     *
     * @param n the length
     * @return an array of exactly that length
     */
    static double[] temporary(int n) {
        return uninitialized(n, false);
    }

    /**
     * As {@link #temporary(int)}, for float32.
     *
     * @param n the length
     * @return an array of exactly that length
     */
    static float[] temporaryFloats(int n) {
        return uninitializedFloats(n, false);
    }

    /**
     * Offers {@code array} (a double[] or a float[] whose contents are dead, owned by the caller) as
     * the result of this thread's next take of exactly its dtype and length, before the pool (not
     * while an {@link Arena} is entered, whose takes never see it): a
     * backward pass lends a leaf's zeroed gradient buffer to the op that computes that gradient, so
     * that the gradient is written where it is kept instead of being copied there. An array taken
     * this way is neither remembered by a scope nor lent by a region, and the taker may use it for
     * anything (its own scratch too). One offer at a time per thread; the offerer
     * {@link #withdraw() withdraws} it when the code it was meant for has returned.
     *
     * @param array the array; only an array of a length the pool serves ({@link #recycles}) can be taken
     */
    public static void offer(Object array) {
        RECYCLER.get().offered = array;
    }

    /** Withdraws this thread's offer, taken or not. */
    public static void withdraw() {
        RECYCLER.get().offered = null;
    }

    /**
     * Whether a take of {@code n} elements of this dtype goes through the pool (and so can take an
     * {@link #offer offered} array).
     *
     * @param n the length
     * @param floats whether float32
     * @return the flag
     */
    public static boolean recycles(int n, boolean floats) {
        return ENABLED && (floats ? n >= MIN_FLOATS && n <= MAX_FLOATS : n >= MIN_LENGTH && n <= MAX_LENGTH);
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
                int given = Math.min(logged, CAPACITY);
                for (int i = 0; i < given; i++) {
                    recycler.give(log[i]);
                    log[i] = null;
                }
                recycler.scopesGave += given;
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
     * Opens a region on this thread: until it is {@link Region#close() closed}, the large arrays
     * taken on this thread (outside a backward pass's scope and an arena) are lent under a
     * {@link Lease} each, and come back to the pool when it closes. Regions nest: an inner one
     * lends until it closes, then the outer one again.
     *
     * @return the region, or null when the pool is off
     */
    public static Region openRegion() {
        if (!ENABLED) {
            return null;
        }
        Recycler r = RECYCLER.get();
        Region region = new Region(r, r.region);
        r.region = region;
        REGIONS.incrementAndGet();
        return region;
    }

    /**
     * The lease of an array lent by a region open on this thread (one that was lent and kept out
     * of every region has none). A tensor made over a lent array, or a view of one, holds this.
     *
     * The lease found on the lending thread is noted on the array's owner, so that a view made on
     * another thread while the region is open finds it there.
     *
     * Callers test {@link #regionsOpen()} first, inline: most tensors are made with no region open.
     *
     * @param array an array or a view
     * @return the lease of its buffer, or null when that is not lent by an open region
     */
    public static Lease leaseOf(NDArray array) {
        NDArray owner = array.owner();
        if (owner.lease != null) {
            return owner.lease;
        }
        Object buffer = array.buffer();
        if (lengthOf(buffer) < (buffer instanceof float[] ? MIN_FLOATS : MIN_LENGTH)) {
            return null;
        }
        Lease lease = RECYCLER.get().leases.get(buffer);
        if (lease != null) {
            owner.lease = lease;
        }
        return lease;
    }

    /**
     * The lease of the innermost region open on this thread, released when it closes: whatever holds
     * arrays taken meanwhile without being a tensor over one can hold this instead.
     *
     * @return that lease, or null when no region is open on this thread
     */
    public static Lease regionLease() {
        Region region = RECYCLER.get().region;
        return region == null ? null : region.own;
    }

    /** Whether a region may be open on this thread (see {@link #REGIONS}). @return false when none is */
    public static boolean regionsOpen() {
        return REGIONS.getPlain() != 0;
    }

    /**
     * Stops the regions of this thread from lending until {@link #unmute()}: what is taken
     * meanwhile is the caller's for good (a leaf's gradient).
     *
     * @return whether it muted (false when no region is open anywhere: then no unmute is due)
     */
    public static boolean mute() {
        if (!regionsOpen()) {
            return false;
        }
        RECYCLER.get().muted++;
        return true;
    }

    /** Ends a {@link #mute()} that returned true. */
    public static void unmute() {
        RECYCLER.get().muted--;
    }

    private static int lengthOf(Object buffer) {
        return buffer instanceof float[] f ? f.length : ((double[]) buffer).length;
    }

    /**
     * Whether memory lent by a region may still be used: valid until its region closes, unless it
     * was kept; then valid until the region it was kept for closes, or for good past the outermost.
     */
    public static final class Lease {
        /** The array lent (null for a region's own lease). */
        private final Object buffer;
        /** The region that gives the array back when it closes; null once kept past every region. */
        private Region owner;
        /** Volatile: a thread handed a tensor after its scope closed must see the release. */
        private volatile boolean released;

        private Lease(Object buffer, Region owner) {
            this.buffer = buffer;
            this.owner = owner;
        }

        /** Whether the memory has gone back to the pool (and may hold another tensor's values). @return true once released */
        public boolean released() {
            return released;
        }
    }

    /** The arrays a thread's code took while this region was open (see {@link #openRegion()}). */
    public static final class Region {
        private final Recycler recycler;
        private final Region parent;
        private final Thread thread = Thread.currentThread();
        /** The leases this region gives back when it closes, in the order the arrays were taken. */
        private ArrayList<Lease> lent = new ArrayList<>();
        /** The region's own lease ({@link #regionLease()}). */
        private final Lease own = new Lease(null, this);
        /** {@link Recycler#scopesGave} when this region opened. */
        private final long scopesGaveBefore;
        private boolean closed;

        private Region(Recycler recycler, Region parent) {
            this.recycler = recycler;
            this.parent = parent;
            this.scopesGaveBefore = recycler.scopesGave;
        }

        void lend(Object buffer) {
            Lease lease = new Lease(buffer, this);
            lent.add(lease);
            recycler.leases.put(buffer, lease);
        }

        /**
         * Keeps the array of {@code lease} from going back when this region closes: it is lent on
         * by the enclosing region, or kept for good when there is none. Does nothing for a lease
         * this region (or one inside it) did not lend.
         *
         * @param lease a lease from {@link #leaseOf}
         */
        public void keep(Lease lease) {
            checkThread("keep");
            if (closed) {
                throw new IllegalStateException("MemoryScope.keep: the scope is closed");
            }
            if (lease == null || lease.released || lease.buffer == null) {
                return;
            }
            for (Region r = lease.owner; r != null; r = r.parent) {
                if (r == this) {
                    lease.owner = parent;
                    if (parent == null) {
                        recycler.leases.remove(lease.buffer);
                    } else {
                        parent.lent.add(lease);
                    }
                    return;
                }
            }
        }

        /**
         * Closes this region: its own lease and the leases of the arrays it lent are released, and the
         * arrays go back to this thread's pool. Regions opened inside it and left open are closed
         * first, and then this throws.
         *
         * @throws IllegalStateException on another thread, or if a region opened inside it was still open
         */
        public void close() {
            checkThread("close");
            if (closed) {
                return;
            }
            boolean innerOpen = false;
            while (recycler.region != this) {
                recycler.region.close();
                innerOpen = true;
            }
            release();
            if (innerOpen) {
                throw new IllegalStateException("MemoryScope.close: a scope opened inside this one was still open (now closed"
                        + " with it); close scopes in the reverse order of opening (try-with-resources does)");
            }
        }

        private void release() {
            closed = true;
            recycler.region = parent;
            REGIONS.decrementAndGet();
            own.released = true;
            // the pool makes room for all of them (kept ones included: an upper bound is enough), and
            // for what a backward pass gave back while it was open (one pass's worth at most: the
            // count grows with every step a long region runs): otherwise this region's arrays would
            // push those out, and the next step's backward pass would find none
            int scopes = (int) Math.min(CAPACITY, recycler.scopesGave - scopesGaveBefore);
            recycler.limit = Math.max(recycler.limit, lent.size() + scopes);
            for (Lease lease : lent) {
                if (lease.owner == this) {
                    lease.released = true;
                    recycler.leases.remove(lease.buffer);
                    recycler.give(lease.buffer);
                }
            }
            lent = null;
        }

        /** Whether {@link #close()} has run. @return true once closed */
        public boolean isClosed() {
            return closed;
        }

        private void checkThread(String what) {
            if (Thread.currentThread() != thread) {
                throw new IllegalStateException("MemoryScope." + what + ": called on thread " + Thread.currentThread().getName()
                        + " but the scope was opened on " + thread.getName() + "; a scope belongs to one thread");
            }
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
        r.limit = CAPACITY;
        r.open = null;
        r.spare = null;
        r.arena = null;
        r.muted = 0;
        r.offered = null;
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
        SoftReference<Object>[] pool = new SoftReference[CAPACITY];
        int pooled;
        /**
         * How many arrays the pool keeps: {@link #CAPACITY}, or as many as a region gave back at once
         * with what a backward pass's scope gave back while it was open.
         */
        int limit = CAPACITY;
        /** Arrays that scopes on this thread have given back, ever (a region takes the difference). */
        long scopesGave;
        Scope open;
        /** A finished scope, for the next {@link Buffers#open()}. */
        Scope spare;
        /** An array {@link Buffers#offer offered} for the next take of its dtype and length, or null. */
        Object offered;
        /** The arena entered on this thread, or null. */
        Arena arena;
        /** The innermost region open on this thread, or null. */
        Region region;
        /** Open {@link Buffers#mute()}s: while any is, the region lends nothing. */
        int muted;
        /** The leases of the arrays this thread's open regions lent. */
        final IdentityHashMap<Object, Lease> leases = new IdentityHashMap<>();

        /** A double[n], or a float[n] if {@code floats}; the {@link #offered} array only if {@code offer}. */
        Object take(int n, boolean floats, boolean offer) {
            if (offer && offered != null && fits(offered, n, floats)) {
                Object lent = offered;
                offered = null;
                if (TEST_MODE) {
                    poison(lent);
                }
                return lent;
            }
            Object r = null;
            for (int i = pooled - 1; i >= 0; i--) {
                Object candidate = pool[i].get();
                if (candidate == null || fits(candidate, n, floats)) {
                    System.arraycopy(pool, i + 1, pool, i, pooled - i - 1);
                    pool[--pooled] = null;
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
            } else if (region != null && muted == 0) {
                region.lend(r);
            }
            return r;
        }

        // A remembered or lent array is never in the pool: it was taken out (or newly made) while its
        // scope or region was open, and is given back at most once, by that scope's release or that
        // region's close.
        void give(Object a) {
            if (pooled == limit) {
                // drop the oldest
                System.arraycopy(pool, 1, pool, 0, pooled - 1);
                pooled--;
            }
            if (pooled == pool.length) {
                pool = Arrays.copyOf(pool, Math.max(limit, 2 * pool.length));
            }
            pool[pooled++] = new SoftReference<>(a);
        }
    }
}
