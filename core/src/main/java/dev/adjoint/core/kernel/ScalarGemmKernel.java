package dev.adjoint.core.kernel;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * The portable kernel: plain Java loops shaped so that HotSpot's auto-vectorizer (superword)
 * turns the innermost loop into SIMD code by itself.
 *
 * <p>A block of B ({@value #KC} rows by {@value #NC} columns) is copied into separate row
 * arrays; two rows of C at a time are copied into row buffers and take four rank-1 updates per
 * pass, {@code c[j] = fma(a3, b3[j], fma(a2, b2[j], fma(a1, b1[j], fma(a0, b0[j], c[j]))))}, so each
 * loaded element of B serves two rows and each load and store of C carries four multiply-adds.
 *
 * <p>Every row of C gets the same arithmetic, whether it is computed in a pair or as the odd row
 * left over: per depth block, groups of four updates as above (without a hardware FMA, {@code
 * c[j] += a0 b0[j] + a1 b1[j] + a2 b2[j] + a3 b3[j]}), then the one to three left over, or all of a
 * block shallower than {@link #SHALLOW}, as {@code c[j] += a b[j]}. So a row's bits do not depend
 * on how many rows its product has.
 *
 * <p>NOTE: {@link #NC} is 64 because C2 (JDK 17) vectorizes rows of 64 far better than rows of 96
 * or 128; measure before widening it.
 *
 * <p>NOTE: every array in the inner loop is indexed from 0 with the loop variable alone: C2 in
 * JDK 17 declines to vectorize a loop whose arrays start at different run-time offsets.
 */
final class ScalarGemmKernel implements GemmKernel {
    static final int KC = 128;
    static final int NC = 64;
    static final int MC = 512;
    /**
     * Blocks shallower than this take one rank-1 update per pass ({@link #twoRowsShallow}).
     *
     * <p>NOTE: not for their own speed but for everyone else's: shallow blocks must never reach
     * {@link #twoRows}. When C2 compiles twoRows after seeing only blocks of a few passes, it does
     * not vectorize the update loop, and keeps that code for the deep blocks that come later.
     */
    static final int SHALLOW = 20;

    /**
     * Whether to use {@link Math#fma}: only where a hardware instruction is behind it, since without
     * one Math.fma is a slow software routine.
     */
    private final boolean fma;

    /** Per-thread buffers: B rows, then two C row buffers. */
    private static final ThreadLocal<double[][]> ROWS = ThreadLocal.withInitial(() -> new double[KC + 2][NC]);

    /** The kernel for this JVM: Math.fma where HotSpot has a hardware FMA. */
    ScalarGemmKernel() {
        this(hardwareFma());
    }

    /** The kernel with or without Math.fma in its inner loop (tests run both). */
    ScalarGemmKernel(boolean fma) {
        this.fma = fma;
    }

    @Override
    public String toString() {
        return "scalar (fma=" + fma + ")";
    }

    @Override
    public String description() {
        return "scalar (auto-vectorized loops)";
    }

    @Override
    public void multiply(Operand a, Operand b, double[] c, int cOff, int ldc, int m, int n, int k) {
        if (m > MC) {
            // row blocks bound the copy of a transposed A below to MC x KC
            for (int ic = 0; ic < m; ic += MC) {
                multiply(a.fromRow(ic), b, c, cOff + ic * ldc, ldc, Math.min(MC, m - ic), n, k);
            }
            return;
        }
        double[][] rows = ROWS.get();
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            boolean accumulate = pc > 0;
            // A stored transposed would be read down its columns, a cache line per element, once
            // per column block: with more than one, copy the block to row-major first.
            Operand ab = a;
            int p0 = pc;
            if (a.transposed() && n > NC) {
                double[] block = Packing.buffer(Packing.A_BLOCK, m * kc);
                transposeBlock(a, m, pc, kc, block);
                ab = new Operand(block, 0, kc, false);
                p0 = 0;
            }
            for (int jc = 0; jc < n; jc += NC) {
                int nc = Math.min(NC, n - jc);
                packRows(b, pc, kc, jc, nc, rows);
                rowsTimesBlock(ab, p0, kc, rows, nc, c, cOff + jc, ldc, m, accumulate);
            }
        }
    }

    /** C[0 .. m, 0 .. nc) at cAt (+)= A[0 .. m, p0 .. p0+kc) times the packed rows. */
    private void rowsTimesBlock(Operand a, int p0, int kc, double[][] rows, int nc, double[] c, int cAt, int ldc, int m,
                                boolean accumulate) {
        double[] row0 = rows[KC];
        double[] row1 = rows[KC + 1];
        int i = 0;
        for (; i + 1 < m; i += 2) {
            int c0 = cAt + i * ldc;
            load(c, c0, row0, nc, accumulate);
            load(c, c0 + ldc, row1, nc, accumulate);
            if (kc < SHALLOW) {
                twoRowsShallow(a, i, p0, kc, rows, nc, row0, row1);
            } else {
                twoRows(a, i, p0, kc, rows, nc, row0, row1, fma);
            }
            System.arraycopy(row0, 0, c, c0, nc);
            System.arraycopy(row1, 0, c, c0 + ldc, nc);
        }
        if (i < m) {
            int c0 = cAt + i * ldc;
            load(c, c0, row0, nc, accumulate);
            if (kc < SHALLOW) {
                int cs = a.columnStep();
                oneRowTail(a.data(), a.offset() + i * a.rowStep() + p0 * cs, cs, 0, kc, rows, nc, row0);
            } else {
                oneRow(a, i, p0, kc, rows, nc, row0, fma);
            }
            System.arraycopy(row0, 0, c, c0, nc);
        }
    }

    /**
     * Copies A[0 .. m, pc .. pc+kc) of a transposed A into {@code dst} row-major (rows kc apart),
     * eight rows at a time: each step reads one cache line of the source and writes to eight
     * rows that stay in L1, where a row at a time would touch a new line per element.
     */
    private static void transposeBlock(Operand a, int m, int pc, int kc, double[] dst) {
        double[] src = a.data();
        int stride = a.stride();
        for (int i0 = 0; i0 < m; i0 += 8) {
            int rows = Math.min(8, m - i0);
            for (int p = 0; p < kc; p++) {
                int s = a.offset() + (pc + p) * stride + i0;
                int d = i0 * kc + p;
                for (int r = 0; r < rows; r++, d += kc) {
                    dst[d] = src[s + r];
                }
            }
        }
    }

    private static void load(double[] c, int at, double[] row, int nc, boolean accumulate) {
        if (accumulate) {
            System.arraycopy(c, at, row, 0, nc);
        } else {
            java.util.Arrays.fill(row, 0, nc, 0.0);
        }
    }

    /** Copies B[p0 .. p0+kc, j0 .. j0+nc) into {@code rows[0 .. kc)}, one row array per row. */
    private static void packRows(Operand b, int p0, int kc, int j0, int nc, double[][] rows) {
        double[] src = b.data();
        int stride = b.stride();
        for (int p = 0; p < kc; p++) {
            double[] dst = rows[p];
            if (b.transposed()) {
                int s = b.offset() + j0 * stride + p0 + p;
                for (int j = 0; j < nc; j++) {
                    dst[j] = src[s + j * stride];
                }
            } else {
                System.arraycopy(src, b.offset() + (p0 + p) * stride + j0, dst, 0, nc);
            }
        }
    }

    /**
     * row0, row1 += A[i .. i+1, pc .. pc+kc) times the packed rows: four rank-1 updates per pass,
     * the loop the JIT vectorizes.
     *
     * <p>NOTE: keep this method above HotSpot's inlining size (FreqInlineSize, 325 bytes of
     * bytecode): inlined into the row loop, its update loop vectorizes worse than compiled on its own.
     */
    private static void twoRows(Operand a, int i, int pc, int kc, double[][] b, int nc, double[] row0, double[] row1,
                                boolean fma) {
        // A(r, q) = ad[x + (r - i) * rs + (q - pc) * cs].
        // NOTE: plain index arithmetic, not an element accessor on Operand: with ten inlined accessor
        // calls C2 compiles a slower loop.
        double[] ad = a.data();
        int rs = a.rowStep();
        int cs = a.columnStep();
        int x = a.offset() + i * rs + pc * cs;
        int y = x + rs;
        int p = 0;
        for (; p + 3 < kc; p += 4) {
            int q = p * cs;
            double x0 = ad[x + q];
            double x1 = ad[x + q + cs];
            double x2 = ad[x + q + 2 * cs];
            double x3 = ad[x + q + 3 * cs];
            double y0 = ad[y + q];
            double y1 = ad[y + q + cs];
            double y2 = ad[y + q + 2 * cs];
            double y3 = ad[y + q + 3 * cs];
            double[] b0 = b[p];
            double[] b1 = b[p + 1];
            double[] b2 = b[p + 2];
            double[] b3 = b[p + 3];
            if (fma) {
                for (int j = 0; j < nc; j++) {
                    double v0 = b0[j];
                    double v1 = b1[j];
                    double v2 = b2[j];
                    double v3 = b3[j];
                    row0[j] = Math.fma(x3, v3, Math.fma(x2, v2, Math.fma(x1, v1, Math.fma(x0, v0, row0[j]))));
                    row1[j] = Math.fma(y3, v3, Math.fma(y2, v2, Math.fma(y1, v1, Math.fma(y0, v0, row1[j]))));
                }
            } else {
                for (int j = 0; j < nc; j++) {
                    double v0 = b0[j];
                    double v1 = b1[j];
                    double v2 = b2[j];
                    double v3 = b3[j];
                    row0[j] += x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3;
                    row1[j] += y0 * v0 + y1 * v1 + y2 * v2 + y3 * v3;
                }
            }
        }
        if (p < kc) {
            twoRowsTail(ad, x, y, cs, p, kc, b, nc, row0, row1);
        }
    }

    /** row0, row1 += A[i .. i+1, pc .. pc+kc) times the packed rows, for blocks shallower than {@link #SHALLOW}. */
    private static void twoRowsShallow(Operand a, int i, int pc, int kc, double[][] b, int nc, double[] row0,
                                       double[] row1) {
        int cs = a.columnStep();
        int x = a.offset() + i * a.rowStep() + pc * cs;
        twoRowsTail(a.data(), x, x + a.rowStep(), cs, 0, kc, b, nc, row0, row1);
    }

    /**
     * row0, row1 += rank-1 updates p0 .. kc-1 of the block, one per pass: the last one to three of
     * twoRows, and all of a shallow block's.
     */
    private static void twoRowsTail(double[] ad, int x, int y, int cs, int p0, int kc, double[][] b, int nc,
                                    double[] row0, double[] row1) {
        for (int p = p0; p < kc; p++) {
            double xv = ad[x + p * cs];
            double yv = ad[y + p * cs];
            double[] b0 = b[p];
            for (int j = 0; j < nc; j++) {
                double v = b0[j];
                row0[j] += xv * v;
                row1[j] += yv * v;
            }
        }
    }

    /**
     * row0 += A[i, pc .. pc+kc) times the packed rows, for the odd row left over: {@link #twoRows}
     * for one row, the same operations in the same order.
     */
    private static void oneRow(Operand a, int i, int pc, int kc, double[][] b, int nc, double[] row0, boolean fma) {
        double[] ad = a.data();
        int cs = a.columnStep();
        int x = a.offset() + i * a.rowStep() + pc * cs;
        int p = 0;
        for (; p + 3 < kc; p += 4) {
            int q = x + p * cs;
            double x0 = ad[q];
            double x1 = ad[q + cs];
            double x2 = ad[q + 2 * cs];
            double x3 = ad[q + 3 * cs];
            double[] b0 = b[p];
            double[] b1 = b[p + 1];
            double[] b2 = b[p + 2];
            double[] b3 = b[p + 3];
            if (fma) {
                for (int j = 0; j < nc; j++) {
                    row0[j] = Math.fma(x3, b3[j], Math.fma(x2, b2[j], Math.fma(x1, b1[j], Math.fma(x0, b0[j], row0[j]))));
                }
            } else {
                for (int j = 0; j < nc; j++) {
                    row0[j] += x0 * b0[j] + x1 * b1[j] + x2 * b2[j] + x3 * b3[j];
                }
            }
        }
        if (p < kc) {
            oneRowTail(ad, x, cs, p, kc, b, nc, row0);
        }
    }

    /** row0 += rank-1 updates p0 .. kc-1 of the block, one per pass: {@link #twoRowsTail} for one row. */
    private static void oneRowTail(double[] ad, int x, int cs, int p0, int kc, double[][] b, int nc, double[] row0) {
        for (int p = p0; p < kc; p++) {
            double xv = ad[x + p * cs];
            double[] b0 = b[p];
            for (int j = 0; j < nc; j++) {
                row0[j] += xv * b0[j];
            }
        }
    }

    /** HotSpot's UseFMA flag; true where it cannot be read (other JVMs intrinsify Math.fma too). */
    private static boolean hardwareFma() {
        try {
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return hotspot == null || Boolean.parseBoolean(hotspot.getVMOption("UseFMA").getValue());
        } catch (RuntimeException | LinkageError e) {
            return true;
        }
    }
}
