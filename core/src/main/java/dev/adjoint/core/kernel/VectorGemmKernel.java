package dev.adjoint.core.kernel;

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
 * narrower vectors (AVX2's 16 registers) it is 4 x 8, eight accumulators. Sixteen accumulators keep
 * both FMA units busy through the FMA latency.
 * Blocks: an A panel ({@code mr x KC}) stays in L1 while the B panels of a {@code KC x NC} block
 * (L2) stream past it; the shared dimension is cut into equal blocks of at most {@code KC}. B is
 * always packed; A only when stored transposed (then the packed {@code MC x KC} block is reused for
 * every B block).
 *
 * <p>Only loaded when the {@code jdk.incubator.vector} module is present; see {@link KernelProvider}.
 */
final class VectorGemmKernel implements GemmKernel {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Rows of the register tile: 8 where the CPU has 32 vector registers (AVX-512), else 4. */
    static final int MR_WIDE = 8;
    static final int MR_NARROW = 4;
    static final int NR = 2 * LANES;
    static final int KC = 256;
    static final int NC = 256;
    static final int MC = 512;

    /** The lanes of the preferred vector of doubles: 512 bits on AVX-512, 256 on AVX2. */
    static int lanes() {
        return LANES;
    }

    /** The tile's rows: {@link #MR_WIDE} or {@link #MR_NARROW}. */
    private final int mr;

    /** The kernel for this CPU: eight-row tiles with 512-bit vectors (32 registers), four rows otherwise. */
    VectorGemmKernel() {
        this(SPECIES.vectorBitSize() >= 512 ? MR_WIDE : MR_NARROW);
    }

    /** A kernel with tiles of {@code mr} rows, 4 or 8 (tests run both on any CPU). */
    VectorGemmKernel(int mr) {
        if (mr != MR_WIDE && mr != MR_NARROW) {
            throw new IllegalArgumentException("VectorGemmKernel: tile rows must be 4 or 8, not " + mr);
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
        // equal depth blocks: 784 = 3 x 262 rather than 3 x 256 + 16, which would read and write
        // all of C once more for a sliver of work
        int kc0 = ceilDiv(k, ceilDiv(k, KC));
        int mcMax = roundUp(Math.min(MC, m), mr);
        int ncMax = roundUp(Math.min(NC, n), NR);
        double[] ap = Packing.buffer(Packing.A_BLOCK, mcMax * kc0);
        double[] bp = Packing.buffer(Packing.B_BLOCK, ncMax * kc0);
        double[] tile = Packing.buffer(Packing.TILE, mr * NR);
        // A row-major A is read where it lies: a panel's rows are sequential streams that stay in
        // L1 while the B panels pass, so copying them would be pure overhead. A transposed A is
        // packed unless each element feeds one tile only.
        boolean packA = a.transposed() && n > NR;
        double[] src = a.data();
        for (int ic = 0; ic < m; ic += MC) {
            int mc = Math.min(MC, m - ic);
            for (int pc = 0; pc < k; pc += kc0) {
                int kc = Math.min(kc0, k - pc);
                boolean accumulate = pc > 0;
                if (packA) {
                    Packing.packA(a, ic, mc, pc, kc, mr, ap);
                }
                for (int jc = 0; jc < n; jc += NC) {
                    int nc = Math.min(NC, n - jc);
                    Packing.packB(b, pc, kc, jc, nc, NR, bp);
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
                        for (int jr = 0; jr < nc; jr += NR) {
                            int cols = Math.min(NR, nc - jr);
                            int bAt = jr * kc;
                            int cAt = cOff + (ic + ir) * ldc + jc + jr;
                            boolean whole = rows == mr && cols == NR;
                            double[] out = whole ? c : tile;
                            int outAt = whole ? cAt : 0;
                            int ldo = whole ? ldc : NR;
                            boolean add = whole && accumulate;
                            if (mr == MR_WIDE) {
                                eightRows(kc, aArray, aAt, rowStep, depthStep, bp, bAt, out, outAt, ldo, add);
                            } else {
                                fourRows(kc, aArray, aAt, rowStep, depthStep, bp, bAt, out, outAt, ldo, add);
                            }
                            if (!whole) {
                                merge(tile, c, cAt, ldc, rows, cols, accumulate);
                            }
                        }
                    }
                }
            }
        }
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

    // The accumulators are named locals, not an array, so that C2 keeps every one in a register.
    // A(r, p) of the panel is a[aAt + r * rowStep + p * depthStep]: packed panels have (1, mr).
    private static void fourRows(int kc, double[] a, int aAt, int rowStep, int depthStep, double[] bp, int bAt,
                                 double[] c, int cAt, int ldc, boolean accumulate) {
        DoubleVector z = DoubleVector.zero(SPECIES);
        DoubleVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        int r1 = rowStep;
        int r2 = 2 * rowStep;
        int r3 = 3 * rowStep;
        int ai = aAt;
        int bi = bAt;
        for (int p = 0; p < kc; p++, ai += depthStep, bi += NR) {
            DoubleVector b0 = DoubleVector.fromArray(SPECIES, bp, bi);
            DoubleVector b1 = DoubleVector.fromArray(SPECIES, bp, bi + LANES);
            DoubleVector x = DoubleVector.broadcast(SPECIES, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(SPECIES, a[ai + r1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(SPECIES, a[ai + r2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(SPECIES, a[ai + r3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        store(c00, c01, c, cAt, accumulate);
        store(c10, c11, c, cAt + ldc, accumulate);
        store(c20, c21, c, cAt + 2 * ldc, accumulate);
        store(c30, c31, c, cAt + 3 * ldc, accumulate);
    }

    // Eight rows: sixteen accumulators, two B vectors and one broadcast, within AVX-512's 32
    // registers. NOTE: the stores are written out rather than passed to a helper: C2 boxes this
    // many vectors handed to a method it does not inline.
    private static void eightRows(int kc, double[] a, int aAt, int rowStep, int depthStep, double[] bp, int bAt,
                                  double[] c, int cAt, int ldc, boolean accumulate) {
        DoubleVector z = DoubleVector.zero(SPECIES);
        DoubleVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        DoubleVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        int ai = aAt;
        int bi = bAt;
        for (int p = 0; p < kc; p++, ai += depthStep, bi += NR) {
            DoubleVector b0 = DoubleVector.fromArray(SPECIES, bp, bi);
            DoubleVector b1 = DoubleVector.fromArray(SPECIES, bp, bi + LANES);
            DoubleVector x = DoubleVector.broadcast(SPECIES, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(SPECIES, a[ai + rowStep]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(SPECIES, a[ai + 2 * rowStep]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(SPECIES, a[ai + 3 * rowStep]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(SPECIES, a[ai + 4 * rowStep]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = DoubleVector.broadcast(SPECIES, a[ai + 5 * rowStep]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = DoubleVector.broadcast(SPECIES, a[ai + 6 * rowStep]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = DoubleVector.broadcast(SPECIES, a[ai + 7 * rowStep]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        int c1 = cAt + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        int c4 = c3 + ldc;
        int c5 = c4 + ldc;
        int c6 = c5 + ldc;
        int c7 = c6 + ldc;
        if (accumulate) {
            c00.add(DoubleVector.fromArray(SPECIES, c, cAt)).intoArray(c, cAt);
            c01.add(DoubleVector.fromArray(SPECIES, c, cAt + LANES)).intoArray(c, cAt + LANES);
            c10.add(DoubleVector.fromArray(SPECIES, c, c1)).intoArray(c, c1);
            c11.add(DoubleVector.fromArray(SPECIES, c, c1 + LANES)).intoArray(c, c1 + LANES);
            c20.add(DoubleVector.fromArray(SPECIES, c, c2)).intoArray(c, c2);
            c21.add(DoubleVector.fromArray(SPECIES, c, c2 + LANES)).intoArray(c, c2 + LANES);
            c30.add(DoubleVector.fromArray(SPECIES, c, c3)).intoArray(c, c3);
            c31.add(DoubleVector.fromArray(SPECIES, c, c3 + LANES)).intoArray(c, c3 + LANES);
            c40.add(DoubleVector.fromArray(SPECIES, c, c4)).intoArray(c, c4);
            c41.add(DoubleVector.fromArray(SPECIES, c, c4 + LANES)).intoArray(c, c4 + LANES);
            c50.add(DoubleVector.fromArray(SPECIES, c, c5)).intoArray(c, c5);
            c51.add(DoubleVector.fromArray(SPECIES, c, c5 + LANES)).intoArray(c, c5 + LANES);
            c60.add(DoubleVector.fromArray(SPECIES, c, c6)).intoArray(c, c6);
            c61.add(DoubleVector.fromArray(SPECIES, c, c6 + LANES)).intoArray(c, c6 + LANES);
            c70.add(DoubleVector.fromArray(SPECIES, c, c7)).intoArray(c, c7);
            c71.add(DoubleVector.fromArray(SPECIES, c, c7 + LANES)).intoArray(c, c7 + LANES);
        } else {
            c00.intoArray(c, cAt);
            c01.intoArray(c, cAt + LANES);
            c10.intoArray(c, c1);
            c11.intoArray(c, c1 + LANES);
            c20.intoArray(c, c2);
            c21.intoArray(c, c2 + LANES);
            c30.intoArray(c, c3);
            c31.intoArray(c, c3 + LANES);
            c40.intoArray(c, c4);
            c41.intoArray(c, c4 + LANES);
            c50.intoArray(c, c5);
            c51.intoArray(c, c5 + LANES);
            c60.intoArray(c, c6);
            c61.intoArray(c, c6 + LANES);
            c70.intoArray(c, c7);
            c71.intoArray(c, c7 + LANES);
        }
    }

    private static void store(DoubleVector v0, DoubleVector v1, double[] c, int at, boolean accumulate) {
        if (accumulate) {
            v0 = v0.add(DoubleVector.fromArray(SPECIES, c, at));
            v1 = v1.add(DoubleVector.fromArray(SPECIES, c, at + LANES));
        }
        v0.intoArray(c, at);
        v1.intoArray(c, at + LANES);
    }
}
