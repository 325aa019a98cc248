package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast kernel: packed panels and a register-tiled micro-kernel on the Vector API
 * ({@code jdk.incubator.vector}), in the style of BLIS/GotoBLAS.
 *
 * <p>A tile of C of {@code MR} rows by {@code NR} = two vectors of columns lives in registers while
 * the micro-kernel runs down the shared dimension: per step it loads two vectors of a packed B
 * row, broadcasts {@code MR} values of a packed A column, and does {@code 2 MR} fused
 * multiply-adds: a 4 x 16 tile on AVX-512, 4 x 8 on AVX2, eight accumulators either way.
 * Blocks: an A panel ({@code MR x KC}) stays in L1 while the B panels of a {@code KC x NC} block
 * (L2) stream past it. B is always packed; A only when stored transposed (then the packed
 * {@code MC x KC} block is reused for every B block).
 *
 * <p>Only loaded when the {@code jdk.incubator.vector} module is present; see {@link KernelProvider}.
 */
final class VectorGemmKernel implements GemmKernel {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    static final int MR = 4;
    static final int NR = 2 * LANES;
    static final int KC = 256;
    static final int NC = 256;
    static final int MC = 512;

    /** The number of doubles in the preferred vector: 8 on AVX-512, 4 on AVX2. */
    static int lanes() {
        return LANES;
    }

    @Override
    public String toString() {
        return "vector";
    }

    @Override
    public String description() {
        return "vector (DoubleVector " + SPECIES.vectorBitSize() + "-bit, " + MR + "x" + NR + " tile)";
    }

    @Override
    public void multiply(Operand a, Operand b, double[] c, int cOff, int ldc, int m, int n, int k) {
        int mcMax = roundUp(Math.min(MC, m), MR);
        int ncMax = roundUp(Math.min(NC, n), NR);
        double[] ap = Packing.buffer(Packing.A_BLOCK, mcMax * Math.min(KC, k));
        double[] bp = Packing.buffer(Packing.B_BLOCK, ncMax * Math.min(KC, k));
        double[] tile = Packing.buffer(Packing.TILE, MR * NR);
        // A row-major A is read where it lies: a panel's MR rows are MR sequential streams that
        // stay in L1 while the B panels pass, and copying them cost up to a sixth of the time of
        // mid-sized products. A transposed A is packed unless each element feeds one tile only.
        boolean packA = a.transposed() && n > NR;
        double[] src = a.data();
        int lda = a.stride();
        for (int ic = 0; ic < m; ic += MC) {
            int mc = Math.min(MC, m - ic);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean accumulate = pc > 0;
                if (packA) {
                    Packing.packA(a, ic, mc, pc, kc, MR, ap);
                }
                for (int jc = 0; jc < n; jc += NC) {
                    int nc = Math.min(NC, n - jc);
                    Packing.packB(b, pc, kc, jc, nc, NR, bp);
                    for (int ir = 0; ir < mc; ir += MR) {
                        int rows = Math.min(MR, mc - ir);
                        double[] aArray = ap;
                        int aAt = ir * kc;
                        int rowStep = 1;
                        int depthStep = MR;
                        if (!packA && rows == MR) {
                            aArray = src;
                            aAt = a.transposed() ? a.offset() + pc * lda + ic + ir : a.offset() + (ic + ir) * lda + pc;
                            rowStep = a.transposed() ? 1 : lda;
                            depthStep = a.transposed() ? lda : 1;
                        } else if (!packA) {
                            // the last, partial row panel: pad it to MR rows
                            Packing.packA(a, ic + ir, rows, pc, kc, MR, ap);
                            aAt = 0;
                        }
                        for (int jr = 0; jr < nc; jr += NR) {
                            int cols = Math.min(NR, nc - jr);
                            int bAt = jr * kc;
                            int cAt = cOff + (ic + ir) * ldc + jc + jr;
                            if (rows == MR && cols == NR) {
                                fourRows(kc, aArray, aAt, rowStep, depthStep, bp, bAt, c, cAt, ldc, accumulate);
                            } else {
                                fourRows(kc, aArray, aAt, rowStep, depthStep, bp, bAt, tile, 0, NR, false);
                                merge(tile, c, cAt, ldc, rows, cols, accumulate);
                            }
                        }
                    }
                }
            }
        }
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
    // Four rows measured faster than six or eight on JDK 17 with 512-bit vectors: more
    // accumulators made C2 spill.
    // A(r, p) of the panel is a[aAt + r * rowStep + p * depthStep]: packed panels have (1, MR).
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

    private static void store(DoubleVector v0, DoubleVector v1, double[] c, int at, boolean accumulate) {
        if (accumulate) {
            v0 = v0.add(DoubleVector.fromArray(SPECIES, c, at));
            v1 = v1.add(DoubleVector.fromArray(SPECIES, c, at + LANES));
        }
        v0.intoArray(c, at);
        v1.intoArray(c, at + LANES);
    }
}
