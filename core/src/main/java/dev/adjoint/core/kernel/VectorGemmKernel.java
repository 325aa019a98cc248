package dev.adjoint.core.kernel;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast kernel: packed panels and a register-tiled micro-kernel on the Vector API
 * ({@code jdk.incubator.vector}), in the style of BLIS/GotoBLAS.
 *
 * <p>A tile of C of {@code mr} rows by {@code NR} = two vectors of columns lives in registers while
 * the micro-kernel runs down the shared dimension: per step it loads two vectors of a packed B
 * row, broadcasts {@code mr} values of a packed A column, and does {@code 2 mr} fused
 * multiply-adds. On AVX-512 (32 vector registers) the tile is 8 x 16, sixteen accumulators; with
 * narrower vectors (AVX2's 16 registers) it is 6 x 8, twelve accumulators. Either keeps both FMA
 * units busy through the FMA latency (four or five cycles), which eight accumulators do not.
 * Blocks: an A panel ({@code mr x KC}) stays in L1 while the B panels of a {@code KC x NC} block
 * (L2) stream past it; the shared dimension is cut into equal blocks of at most {@code KC}. B is
 * always packed; A when stored transposed, and on the six-row tile also a row-major A that feeds
 * enough tiles (the packed block of about {@code MC x KC}, whole panels, is reused for every B
 * block), which the six-row kernel then reads at constant strides.
 *
 * <p>The first block (one thread's part of a product) of at least {@link #PRIME_WORK}
 * multiply-adds in a JVM first primes the micro-kernel (on the six-row tile, the packed-panel one,
 * which large products run) and the packing of B on scratch
 * ({@link #prime}), so that C2 compiles them within that block rather than after hundreds of boxed
 * full-depth calls, unless smaller blocks ran {@link #PRIME_WINDOW_STEPS} steps of the micro-kernel
 * first; the bits of every product are the same either way.
 *
 * <p>Only loaded when the {@code jdk.incubator.vector} module is present; see {@link KernelProvider}.
 */
final class VectorGemmKernel implements GemmKernel {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Rows of the register tile: 8 where the CPU has 32 vector registers (AVX-512), else 6. */
    static final int MR_WIDE = 8;
    static final int MR_NARROW = 6;
    static final int NR = 2 * LANES;
    /**
     * Columns of a product from which the six-row tile packs a row-major A: below, each A panel
     * feeds too few tiles to repay the copy.
     */
    static final int PACK_ROW_MAJOR_COLUMNS = 8 * NR;
    static final int KC = 256;
    static final int NC = 256;
    static final int MC = 512;
    /**
     * What a tile adds to when it overwrites C: x + (-0.0) is x for every x, -0.0 and NaN included,
     * so adding this gives the same bits as storing the accumulators.
     * NOTE: the micro-kernels always add, with no branch on whether C is overwritten or accumulated:
     * the first depth block only overwrites, so C2 compiles such a branch as never taken and throws
     * the compiled kernel away (an unstable_if trap) when the second depth block accumulates.
     */
    private static final double[] NEGATIVE_ZEROS = negativeZeros(NR);
    /**
     * Multiply-adds of a block from which the first such block primes the micro-kernel ({@link #prime}),
     * unless smaller blocks ran {@link #PRIME_WINDOW_STEPS} steps first.
     */
    static final long PRIME_WORK = 1L << 22;
    /**
     * Steps of the micro-kernel's loop (tiles times depth) that smaller blocks may run before the
     * first block of {@link #PRIME_WORK}; past them it is never primed. Well under the loop
     * iterations after which C2 compiles the kernel, with tiered compilation or without
     * (bench/RESULTS.md, "Cold start"); {@code -XX:CompileThresholdScaling} below 1 may undercut it.
     */
    private static final long PRIME_WINDOW_STEPS = 8192;
    /** One priming call in this many is {@link #PRIME_DEPTH} deep, the others of depth 0. */
    private static final int PRIME_DEEP_EVERY = 1024;
    private static final int PRIME_DEPTH = 256;
    /**
     * Calls, mostly of depth 0, of the in-place six-row kernel and of the packing of A after priming
     * (several times C2's call threshold).
     */
    private static final int PRIME_NEXT_CALLS = 16 * PRIME_DEEP_EVERY;
    /** Priming calls that each also run {@link #profileOperations}: several times HotSpot's count for profiling a method. */
    private static final int PRIME_PROFILE_CALLS = 2_048;
    /**
     * A timed deep priming call (kernel and packing) this fast, C2's code and not C1's, ends the
     * priming: C2's code takes a few microseconds, C1's boxed code over a hundred even once C2 has
     * compiled the Vector API's fallbacks (bench/RESULTS.md, "Cold start"); a bound near C2's own
     * time made priming wait for one lucky call.
     */
    private static final long PRIME_COMPILED_NANOS = 25_000;
    /**
     * The most time priming takes: C2 may be busy (then C1 compiles without the profile that leads
     * to C2, until C2's queue is short) or absent ({@code -XX:TieredStopAtLevel=1}, {@code -Xint}).
     */
    private static final long PRIME_MAX_NANOS = 1_000_000_000;
    private static volatile boolean primed;
    /** Steps of the micro-kernel in blocks too small to prime, counted as they start (guarded by the class's lock). */
    private static long unprimedSteps;

    /** The lanes of the preferred vector of doubles: 512 bits on AVX-512, 256 on AVX2. */
    static int lanes() {
        return LANES;
    }

    /** The tile's rows: {@link #MR_WIDE} or {@link #MR_NARROW}. */
    private final int mr;

    /** The kernel for this CPU: eight-row tiles with 512-bit vectors (32 registers), six rows otherwise. */
    VectorGemmKernel() {
        this(SPECIES.vectorBitSize() >= 512 ? MR_WIDE : MR_NARROW);
    }

    /** A kernel with tiles of {@code mr} rows, 6 or 8 (tests run both on any CPU). */
    VectorGemmKernel(int mr) {
        if (mr != MR_WIDE && mr != MR_NARROW) {
            throw new IllegalArgumentException("VectorGemmKernel: tile rows must be 6 or 8, not " + mr);
        }
        this.mr = mr;
    }

    @Override
    public String toString() {
        return "vector " + mr + "x" + NR;
    }

    @Override
    public String description() {
        return "vector (DoubleVector " + SPECIES.vectorBitSize() + "-bit, " + mr + "x" + NR + " tile)";
    }

    @Override
    public void multiply(Operand a, Operand b, double[] c, int cOff, int ldc, int m, int n, int k) {
        int mr = this.mr;
        if (!primed) {
            prime(mr, m, n, k);
        }
        // equal depth blocks (784 deep: four of 196, not three of 256 and one of 16), since each
        // block reads and writes all of C once
        int kc0 = ceilDiv(k, ceilDiv(k, KC));
        int mcBlock = roundUp(MC, mr); // whole panels: a part of 512 rows stays one block
        int mcMax = roundUp(Math.min(mcBlock, m), mr);
        int ncMax = roundUp(Math.min(NC, n), NR);
        double[] ap = Packing.buffer(Packing.A_BLOCK, mcMax * kc0);
        double[] bp = Packing.buffer(Packing.B_BLOCK, ncMax * kc0);
        double[] tile = Packing.buffer(Packing.TILE, mr * NR);
        // The eight-row kernel reads a row-major A where it lies: a panel's rows are sequential
        // streams that stay in L1 while the B panels pass. The six-row kernel runs faster on a
        // packed panel (constant strides, no range checks on A in the loop; six rows read in place ran
        // slower still, bench/RESULTS.md), so it packs a row-major A that feeds enough tiles. A
        // transposed A is packed unless each element feeds one tile only.
        boolean packA = a.transposed() ? n > NR : mr == MR_NARROW && n >= PACK_ROW_MAJOR_COLUMNS;
        for (int ic = 0; ic < m; ic += mcBlock) {
            int mc = Math.min(mcBlock, m - ic);
            for (int pc = 0; pc < k; pc += kc0) {
                int kc = Math.min(kc0, k - pc);
                boolean accumulate = pc > 0;
                if (packA && a.transposed()) {
                    packTransposedA(a, ic, mc, pc, kc, ap);
                } else if (packA) {
                    Packing.packA(a, ic, mc, pc, kc, mr, ap);
                }
                for (int jc = 0; jc < n; jc += NC) {
                    int nc = Math.min(NC, n - jc);
                    packB(b, pc, kc, jc, nc, bp);
                    tiles(mr, a, packA, ap, ic, mc, pc, kc, bp, jc, nc, c, cOff, ldc, tile, accumulate);
                }
            }
        }
    }

    /**
     * The tiles of one block: the A panels of rows {@code ic..ic+mc} against the packed B block of
     * columns {@code jc..jc+nc}, depth {@code pc..pc+kc}.
     * NOTE: a method of its own, so that C2 compiles this loop alone (one short compile) rather than
     * the whole of {@link #multiply} twice, on-stack and then whole, while the first products run on
     * the same cores (bench/RESULTS.md, "Cold start").
     */
    private static void tiles(int mr, Operand a, boolean packA, double[] ap, int ic, int mc, int pc, int kc, double[] bp,
            int jc, int nc, double[] c, int cOff, int ldc, double[] tile, boolean accumulate) {
        double[] src = a.data();
        for (int ir = 0; ir < mc; ir += mr) {
            int rows = Math.min(mr, mc - ir);
            double[] aArray = ap;
            int aAt = ir * kc;
            int rowStep = 1;
            int depthStep = mr;
            if (!packA && rows == mr) {
                aArray = src;
                rowStep = a.rowStep();
                depthStep = a.columnStep();
                aAt = a.offset() + (ic + ir) * rowStep + pc * depthStep;
            } else if (!packA) {
                // the last, partial row panel: pad it to whole tile rows
                Packing.packA(a, ic + ir, rows, pc, kc, mr, ap);
                aAt = 0;
            }
            panel(mr, rows, aArray, aAt, rowStep, depthStep, ap, ic + ir, kc, bp, jc, nc, c, cOff, ldc, tile, accumulate);
        }
    }

    /**
     * One row panel of a block ({@code rows} rows from {@code row0}, read from {@code aArray} at
     * {@code aAt}) against the block's B panels.
     * NOTE: a method of its own, called once per row panel, so that tiered compilation compiles
     * it from its call count within the first product; a loop over all tiles of a block, called
     * a few dozen times a product, waited for on-stack compiles and ran interpreted or in C1's
     * code through the next products (bench/RESULTS.md, "Cold start").
     */
    private static void panel(int mr, int rows, double[] aArray, int aAt, int rowStep, int depthStep, double[] ap, int row0,
            int kc, double[] bp, int jc, int nc, double[] c, int cOff, int ldc, double[] tile, boolean accumulate) {
        for (int jr = 0; jr < nc; jr += NR) {
            int cols = Math.min(NR, nc - jr);
            int bAt = jr * kc;
            int cAt = cOff + row0 * ldc + jc + jr;
            boolean whole = rows == mr && cols == NR;
            double[] out = whole ? c : tile;
            int outAt = whole ? cAt : 0;
            int ldo = whole ? ldc : NR;
            // what the tile adds to: C itself, or a row of -0.0 read for every row
            boolean add = whole && accumulate;
            double[] old = add ? c : NEGATIVE_ZEROS;
            int oldAt = add ? cAt : 0;
            int ldOld = add ? ldc : 0;
            if (mr == MR_WIDE) {
                VectorTiles.eightRows(kc, aArray, aAt, rowStep, depthStep, bp, bAt, out, outAt, ldo, old, oldAt, ldOld);
            } else if (aArray == ap) {
                VectorTiles.sixRowsPacked(kc, ap, aAt, bp, bAt, out, outAt, ldo, old, oldAt, ldOld);
            } else {
                VectorTiles.sixRows(kc, aArray, aAt, rowStep, depthStep, bp, bAt, out, outAt, ldo, old, oldAt, ldOld);
            }
            if (!whole) {
                merge(tile, c, cAt, ldc, rows, cols, accumulate);
            }
        }
    }

    /**
     * {@link Packing#packA} of a transposed A (stored k x m, so a panel's column p is a run of
     * {@code mr} values of stored row p): where a tile row is one or two vectors long ({@code mr}
     * from the lanes to twice the lanes: float64 on AVX-512 and AVX2), whole panels copy each column
     * as one vector, or as two that overlap (the second ending at the column's end), and the last,
     * partial panel goes to {@link Packing#packA}; where it is shorter than a vector (float32),
     * {@link #packTransposedANarrow}; otherwise all of it goes to {@link Packing#packA}. The same
     * layout and values either way.
     * NOTE: only whole vectors of the kernel's own species: a narrower shape of the same element
     * type pollutes the Vector API's shared profiles, and C2 then leaves the micro-kernel's stores
     * unintrinsified (bench/RESULTS.md, "float32 in nn").
     */
    private void packTransposedA(Operand a, int i0, int rows, int p0, int depth, double[] dst) {
        if (mr < LANES) {
            packTransposedANarrow(a, i0, rows, p0, depth, dst);
            return;
        }
        if (mr > 2 * LANES) {
            Packing.packA(a, i0, rows, p0, depth, mr, dst);
            return;
        }
        double[] src = a.data();
        int stride = a.stride();
        int whole = rows - rows % mr;
        int tail = mr - LANES; // where the second vector of a column starts; 0: one vector
        for (int ir = 0; ir < whole; ir += mr) {
            int s = a.offset() + p0 * stride + i0 + ir;
            int end = (ir + mr) * depth;
            for (int out = ir * depth; out < end; out += mr, s += stride) {
                ((DoubleVector) SPECIES.fromArray(src, s)).intoArray(dst, out);
                if (tail > 0) {
                    ((DoubleVector) SPECIES.fromArray(src, s + tail)).intoArray(dst, out + tail);
                }
            }
        }
        if (whole < rows) {
            Packing.packA(a, i0 + whole, rows - whole, p0, depth, mr, dst, whole * depth);
        }
    }

    /**
     * {@link #packTransposedA} for a tile row shorter than a vector (float32: six rows against
     * eight lanes on AVX2, eight against sixteen on AVX-512): each column of a whole panel as one vector, whose lanes past the tile row land on the
     * next column's first elements (stored next) or, after the last, on the next panel (packed
     * after it) or scratch beyond the block. A panel whose last vector would read past A's array
     * goes to {@link Packing#packA}, as does the last, partial panel. The same layout and values.
     */
    private void packTransposedANarrow(Operand a, int i0, int rows, int p0, int depth, double[] dst) {
        double[] src = a.data();
        int stride = a.stride();
        int whole = rows - rows % mr;
        int ir = 0;
        for (; ir < whole; ir += mr) {
            int s = a.offset() + p0 * stride + i0 + ir;
            int out = ir * depth;
            int end = out + mr * depth;
            if (depth == 0 || s + (depth - 1) * stride + LANES > src.length || end - mr + LANES > dst.length) {
                break;
            }
            for (; out < end; out += mr, s += stride) {
                ((DoubleVector) SPECIES.fromArray(src, s)).intoArray(dst, out);
            }
        }
        if (ir < rows) {
            Packing.packA(a, i0 + ir, rows - ir, p0, depth, mr, dst, ir * depth);
        }
    }

    /**
     * {@link Packing#packB} with panels of {@link #NR} columns: from a row-major B, whole panels copy
     * two vectors per row, the last, partial panel goes to {@link Packing#packB}; a transposed B
     * (each panel a transpose) goes there whole. The same layout and values either way.
     */
    private static void packB(Operand b, int p0, int depth, int j0, int cols, double[] dst) {
        if (depth == 0) {
            return; // a priming call that only counts (see prime)
        }
        if (b.transposed()) {
            Packing.packB(b, p0, depth, j0, cols, NR, dst, 0);
            return;
        }
        double[] src = b.data();
        int stride = b.stride();
        int whole = cols - cols % NR;
        for (int jr = 0; jr < whole; jr += NR) {
            int s = b.offset() + p0 * stride + j0 + jr;
            int end = (jr + NR) * depth;
            for (int out = jr * depth; out < end; out += NR, s += stride) {
                ((DoubleVector) SPECIES.fromArray(src, s)).intoArray(dst, out);
                ((DoubleVector) SPECIES.fromArray(src, s + LANES)).intoArray(dst, out + LANES);
            }
        }
        if (whole < cols) {
            Packing.packB(b, p0, depth, j0 + whole, cols - whole, NR, dst, whole * depth);
        }
    }

    /**
     * Runs the micro-kernel of {@code mr} rows (of six rows, the packed-panel one) and
     * {@link #packB} on scratch until C2 has compiled them, once per JVM, before the first block of
     * at least {@value #PRIME_WORK} multiply-adds; on the six-row tile it then calls the in-place
     * kernel and {@link Packing#packA} of a row-major A as often, without waiting for C2. The
     * results stay in scratch: priming changes when the kernel is fast, never what it computes.
     * NOTE: until C2 compiles them these methods run the Vector API boxed, a hundred times slower,
     * and tiered compilation waits for a count of calls and loop iterations (bench/RESULTS.md,
     * "Cold start"). Calls of depth 0 return at once: they raise the call count, which alone
     * reaches C2's threshold, at almost no cost, and they stay out of the loops' branch profiles;
     * to C2 they make everything after the return look cold (see the note in {@link VectorTiles}).
     * One call in {@value #PRIME_DEEP_EVERY} is {@value #PRIME_DEPTH} deep, so that C2 sees
     * full-depth loops (a kernel compiled on shallow loops runs real products slower for the life
     * of the JVM), but few enough boxed iterations run that the Vector API's own fallback methods
     * do not crowd C2's queue ahead of the kernel.
     * Priming ends when a timed deep call runs at compiled speed, or after {@value #PRIME_MAX_NANOS} ns.
     * Every product that starts meanwhile, on any thread, waits on the lock, leaving the cores to
     * priming and the compilers.
     * NOTE: only a kernel that C2 has not compiled yet may be primed: in C2's code of a kernel
     * compiled from real products, the return for depth 0 is a trap, and the first priming call
     * would throw the code away. So smaller blocks count the steps of the micro-kernel's loop they
     * will run (what C2's thresholds count), and past {@value #PRIME_WINDOW_STEPS} of them priming is
     * given up (a training loop of small batches may run many small blocks before its first large
     * one).
     */
    private static synchronized void prime(int mr, int m, int n, int k) {
        if (primed) {
            return;
        }
        if ((long) m * n * k < PRIME_WORK) {
            unprimedSteps += (long) ceilDiv(m, mr) * ceilDiv(n, NR) * k;
            if (unprimedSteps > PRIME_WINDOW_STEPS) {
                primed = true;
            }
            return;
        }
        double[] a = new double[mr * PRIME_DEPTH];
        double[] b = new double[NR * PRIME_DEPTH];
        double[] c = new double[mr * NR];
        // two panels of B (also read as a transposed B) and the buffer they are packed into
        Operand panels = new Operand(new double[PRIME_DEPTH * 2 * NR], 0, 2 * NR, false);
        Operand transposed = new Operand(panels.data(), 0, PRIME_DEPTH, true);
        // two panels of B, or of A on the six-row tile (wider than B's where vectors are 128 bits)
        double[] packed = new double[PRIME_DEPTH * 2 * Math.max(NR, mr)];
        double[] scratch = new double[LANES];
        long start = System.nanoTime();
        for (int call = 0; ; call++) {
            int depth = call % PRIME_DEEP_EVERY == PRIME_DEEP_EVERY - 1 ? PRIME_DEPTH : 0;
            long before = depth > 0 ? System.nanoTime() : 0;
            if (call < PRIME_PROFILE_CALLS || depth > 0) {
                profileOperations(scratch);
            }
            packB(panels, 0, depth, 0, 2 * NR, packed);
            if (mr == MR_WIDE) {
                VectorTiles.eightRows(depth, a, 0, 1, mr, b, 0, c, 0, NR, c, 0, NR);
            } else {
                VectorTiles.sixRowsPacked(depth, a, 0, b, 0, c, 0, NR, c, 0, NR);
            }
            if (depth > 0) {
                long now = System.nanoTime();
                // the packing's other branches, one row deep: a partial last panel and a transposed B,
                // whole and partial, so that C2 compiles them rather than traps that throw the code
                // away on first use
                packB(panels, 0, 1, NR, NR - 3, packed);
                packB(transposed, 0, 1, 0, NR, packed);
                packB(transposed, 0, 1, 0, NR - 3, packed);
                if (now - before < PRIME_COMPILED_NANOS || now - start > PRIME_MAX_NANOS) {
                    break;
                }
            }
        }
        if (mr == MR_NARROW) {
            // The six-row kernel for an A read in place (products of few columns, as a network's
            // last layer), and the packing of a row-major A, a whole panel and a padded one (so
            // that C2 compiles both branches: a first padded panel would throw its code away):
            // called as often, so that C2 compiles them next, while products run, rather than
            // after they have run boxed. Not waited for: the first product runs them in C1's code
            // meanwhile. NOTE: not in the loop above, where C2 compiled the packing of A ahead of
            // the kernel the first product waits for (bench/RESULTS.md, "Cold start on AVX2").
            for (int call = 0; call < PRIME_NEXT_CALLS; call++) {
                int depth = call % PRIME_DEEP_EVERY == PRIME_DEEP_EVERY - 1 ? PRIME_DEPTH : 0;
                Packing.packA(panels, 0, mr + 2, 0, depth, mr, packed, 0);
                VectorTiles.sixRows(depth, a, 0, 1, mr, b, 0, c, 0, NR, c, 0, NR);
            }
        }
        primed = true;
    }

    /**
     * One addition and one store of vectors, the micro-kernels' last operations, on scratch, with
     * each of the first {@value #PRIME_PROFILE_CALLS} priming calls and each deep one.
     * NOTE: inside the JDK these operations dispatch on the vector's class, and C2 compiling the
     * kernel takes that class from the JDK methods' own profiles. The kernel's deep calls alone run
     * the tile's additions and stores (2 mr a call, against thousands of loads and multiply-adds)
     * too rarely to profile them before C2 compiles it; C2 then leaves those calls virtual and the
     * vectors boxed, and every product runs at half speed for the life of the JVM
     * ({@code PrimedKernelTest} checks the compiled kernels).
     */
    private static void profileOperations(double[] x) {
        DoubleVector z = DoubleVector.zero(SPECIES);
        z.add(z).intoArray(x, 0);
    }

    private static double[] negativeZeros(int length) {
        double[] z = new double[length];
        Arrays.fill(z, -0.0);
        return z;
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    /** Copies (or adds) the live part of an edge tile computed into scratch. */
    private static void merge(double[] tile, double[] c, int cAt, int ldc, int rows, int cols, boolean accumulate) {
        for (int r = 0; r < rows; r++) {
            int t = r * NR;
            int d = cAt + r * ldc;
            if (accumulate) {
                for (int j = 0; j < cols; j++) {
                    c[d + j] += tile[t + j];
                }
            } else {
                System.arraycopy(tile, t, c, d, cols);
            }
        }
    }
}
