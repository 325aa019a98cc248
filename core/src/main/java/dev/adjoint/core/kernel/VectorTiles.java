package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tiled micro-kernels of {@link VectorGemmKernel}: one tile of C, {@code mr} rows by
 * {@link VectorGemmKernel#NR} columns, accumulated down a panel of A against a packed panel of B.
 * Eight rows where the CPU has 32 vector registers (AVX-512), six where it has 16 (AVX2).
 */
final class VectorTiles {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final int NR = VectorGemmKernel.NR;
    private static final int MR_NARROW = VectorGemmKernel.MR_NARROW;

    private VectorTiles() {
    }

    // The accumulators are named locals, not an array, so that C2 keeps every one in a register.
    // A(r, p) of the panel is a[aAt + r * rowStep + p * depthStep]: packed panels have (1, mr).
    // C's rows r of the tile get the accumulators plus old[oldAt + r * ldOld ...].
    // NOTE: the micro-kernels and packB call nothing that the Vector API does not force inline
    // (the stores are written out): priming's calls of depth 0 make every call after their return
    // look cold to C2, which then declines to inline a helper and boxes the vectors handed to it.
    // Six rows: twelve accumulators, two B vectors and one broadcast, within AVX2's 16 registers.
    // NOTE: the loop counts B's index (a constant stride; A's depth step is a variable), not a
    // depth counter from which both indices are derived: C2 compiles the index loop faster
    // (bench/RESULTS.md, "The six-row loops count an index").
    static void sixRows(int kc, double[] a, int aAt, int rowStep, int depthStep, double[] bp, int bAt,
                                double[] c, int cAt, int ldc, double[] old, int oldAt, int ldOld) {
        if (kc == 0) {
            return; // a priming call that only counts (see prime)
        }
        DoubleVector z = DoubleVector.zero(SPECIES);
        DoubleVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        int ai = aAt;
        for (int bi = bAt, end = bAt + NR * kc; bi < end; bi += NR, ai += depthStep) {
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
        }
        int c1 = cAt + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        int c4 = c3 + ldc;
        int c5 = c4 + ldc;
        int o1 = oldAt + ldOld;
        int o2 = o1 + ldOld;
        int o3 = o2 + ldOld;
        int o4 = o3 + ldOld;
        int o5 = o4 + ldOld;
        c00.add(DoubleVector.fromArray(SPECIES, old, oldAt)).intoArray(c, cAt);
        c01.add(DoubleVector.fromArray(SPECIES, old, oldAt + LANES)).intoArray(c, cAt + LANES);
        c10.add(DoubleVector.fromArray(SPECIES, old, o1)).intoArray(c, c1);
        c11.add(DoubleVector.fromArray(SPECIES, old, o1 + LANES)).intoArray(c, c1 + LANES);
        c20.add(DoubleVector.fromArray(SPECIES, old, o2)).intoArray(c, c2);
        c21.add(DoubleVector.fromArray(SPECIES, old, o2 + LANES)).intoArray(c, c2 + LANES);
        c30.add(DoubleVector.fromArray(SPECIES, old, o3)).intoArray(c, c3);
        c31.add(DoubleVector.fromArray(SPECIES, old, o3 + LANES)).intoArray(c, c3 + LANES);
        c40.add(DoubleVector.fromArray(SPECIES, old, o4)).intoArray(c, c4);
        c41.add(DoubleVector.fromArray(SPECIES, old, o4 + LANES)).intoArray(c, c4 + LANES);
        c50.add(DoubleVector.fromArray(SPECIES, old, o5)).intoArray(c, c5);
        c51.add(DoubleVector.fromArray(SPECIES, old, o5 + LANES)).intoArray(c, c5 + LANES);
    }

    // Six rows of a packed panel (the six values of a depth step together). NOTE: the loop counts
    // A's index itself, in steps of six, so C2 removes the range checks of A's six loads from the
    // loop (B's two vector loads keep theirs). Do not go back to a depth counter with both indices
    // derived from it: C2 then keeps two of A's checks in the loop, and the products run slower;
    // counting B's index instead is slower too (bench/RESULTS.md, "The six-row loops count an index").
    static void sixRowsPacked(int kc, double[] a, int aAt, double[] bp, int bAt,
                              double[] c, int cAt, int ldc, double[] old, int oldAt, int ldOld) {
        if (kc == 0) {
            return; // a priming call that only counts (see prime)
        }
        DoubleVector z = DoubleVector.zero(SPECIES);
        DoubleVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int ai = aAt, bi = bAt, end = aAt + MR_NARROW * kc; ai < end; ai += MR_NARROW, bi += NR) {
            DoubleVector b0 = DoubleVector.fromArray(SPECIES, bp, bi);
            DoubleVector b1 = DoubleVector.fromArray(SPECIES, bp, bi + LANES);
            DoubleVector x = DoubleVector.broadcast(SPECIES, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(SPECIES, a[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(SPECIES, a[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(SPECIES, a[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(SPECIES, a[ai + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = DoubleVector.broadcast(SPECIES, a[ai + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        int c1 = cAt + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        int c4 = c3 + ldc;
        int c5 = c4 + ldc;
        int o1 = oldAt + ldOld;
        int o2 = o1 + ldOld;
        int o3 = o2 + ldOld;
        int o4 = o3 + ldOld;
        int o5 = o4 + ldOld;
        c00.add(DoubleVector.fromArray(SPECIES, old, oldAt)).intoArray(c, cAt);
        c01.add(DoubleVector.fromArray(SPECIES, old, oldAt + LANES)).intoArray(c, cAt + LANES);
        c10.add(DoubleVector.fromArray(SPECIES, old, o1)).intoArray(c, c1);
        c11.add(DoubleVector.fromArray(SPECIES, old, o1 + LANES)).intoArray(c, c1 + LANES);
        c20.add(DoubleVector.fromArray(SPECIES, old, o2)).intoArray(c, c2);
        c21.add(DoubleVector.fromArray(SPECIES, old, o2 + LANES)).intoArray(c, c2 + LANES);
        c30.add(DoubleVector.fromArray(SPECIES, old, o3)).intoArray(c, c3);
        c31.add(DoubleVector.fromArray(SPECIES, old, o3 + LANES)).intoArray(c, c3 + LANES);
        c40.add(DoubleVector.fromArray(SPECIES, old, o4)).intoArray(c, c4);
        c41.add(DoubleVector.fromArray(SPECIES, old, o4 + LANES)).intoArray(c, c4 + LANES);
        c50.add(DoubleVector.fromArray(SPECIES, old, o5)).intoArray(c, c5);
        c51.add(DoubleVector.fromArray(SPECIES, old, o5 + LANES)).intoArray(c, c5 + LANES);
    }

    // Eight rows: sixteen accumulators, two B vectors and one broadcast, within AVX-512's 32
    // registers.
    static void eightRows(int kc, double[] a, int aAt, int rowStep, int depthStep, double[] bp, int bAt,
                                  double[] c, int cAt, int ldc, double[] old, int oldAt, int ldOld) {
        if (kc == 0) {
            return; // a priming call that only counts (see prime)
        }
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
        int o1 = oldAt + ldOld;
        int o2 = o1 + ldOld;
        int o3 = o2 + ldOld;
        int o4 = o3 + ldOld;
        int o5 = o4 + ldOld;
        int o6 = o5 + ldOld;
        int o7 = o6 + ldOld;
        c00.add(DoubleVector.fromArray(SPECIES, old, oldAt)).intoArray(c, cAt);
        c01.add(DoubleVector.fromArray(SPECIES, old, oldAt + LANES)).intoArray(c, cAt + LANES);
        c10.add(DoubleVector.fromArray(SPECIES, old, o1)).intoArray(c, c1);
        c11.add(DoubleVector.fromArray(SPECIES, old, o1 + LANES)).intoArray(c, c1 + LANES);
        c20.add(DoubleVector.fromArray(SPECIES, old, o2)).intoArray(c, c2);
        c21.add(DoubleVector.fromArray(SPECIES, old, o2 + LANES)).intoArray(c, c2 + LANES);
        c30.add(DoubleVector.fromArray(SPECIES, old, o3)).intoArray(c, c3);
        c31.add(DoubleVector.fromArray(SPECIES, old, o3 + LANES)).intoArray(c, c3 + LANES);
        c40.add(DoubleVector.fromArray(SPECIES, old, o4)).intoArray(c, c4);
        c41.add(DoubleVector.fromArray(SPECIES, old, o4 + LANES)).intoArray(c, c4 + LANES);
        c50.add(DoubleVector.fromArray(SPECIES, old, o5)).intoArray(c, c5);
        c51.add(DoubleVector.fromArray(SPECIES, old, o5 + LANES)).intoArray(c, c5 + LANES);
        c60.add(DoubleVector.fromArray(SPECIES, old, o6)).intoArray(c, c6);
        c61.add(DoubleVector.fromArray(SPECIES, old, o6 + LANES)).intoArray(c, c6 + LANES);
        c70.add(DoubleVector.fromArray(SPECIES, old, o7)).intoArray(c, c7);
        c71.add(DoubleVector.fromArray(SPECIES, old, o7 + LANES)).intoArray(c, c7 + LANES);
    }
}
