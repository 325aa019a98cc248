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
    // NOTE: B's loaded vector is each fused product's receiver and the loaded old C each sum's,
    // never the broadcast or an accumulator: C2 knows a loaded vector's class from the cast's
    // profile here, the others' only from the JDK's shared profiles (CONTRIBUTING.md, Vector API).
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
            DoubleVector b0 = (DoubleVector) SPECIES.fromArray(bp, bi);
            DoubleVector b1 = (DoubleVector) SPECIES.fromArray(bp, bi + LANES);
            DoubleVector x = DoubleVector.broadcast(SPECIES, a[ai]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = DoubleVector.broadcast(SPECIES, a[ai + rowStep]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = DoubleVector.broadcast(SPECIES, a[ai + 2 * rowStep]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = DoubleVector.broadcast(SPECIES, a[ai + 3 * rowStep]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = DoubleVector.broadcast(SPECIES, a[ai + 4 * rowStep]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = DoubleVector.broadcast(SPECIES, a[ai + 5 * rowStep]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
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
        ((DoubleVector) SPECIES.fromArray(old, oldAt)).add(c00).intoArray(c, cAt);
        ((DoubleVector) SPECIES.fromArray(old, oldAt + LANES)).add(c01).intoArray(c, cAt + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o1)).add(c10).intoArray(c, c1);
        ((DoubleVector) SPECIES.fromArray(old, o1 + LANES)).add(c11).intoArray(c, c1 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o2)).add(c20).intoArray(c, c2);
        ((DoubleVector) SPECIES.fromArray(old, o2 + LANES)).add(c21).intoArray(c, c2 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o3)).add(c30).intoArray(c, c3);
        ((DoubleVector) SPECIES.fromArray(old, o3 + LANES)).add(c31).intoArray(c, c3 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o4)).add(c40).intoArray(c, c4);
        ((DoubleVector) SPECIES.fromArray(old, o4 + LANES)).add(c41).intoArray(c, c4 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o5)).add(c50).intoArray(c, c5);
        ((DoubleVector) SPECIES.fromArray(old, o5 + LANES)).add(c51).intoArray(c, c5 + LANES);
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
            DoubleVector b0 = (DoubleVector) SPECIES.fromArray(bp, bi);
            DoubleVector b1 = (DoubleVector) SPECIES.fromArray(bp, bi + LANES);
            DoubleVector x = DoubleVector.broadcast(SPECIES, a[ai]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = DoubleVector.broadcast(SPECIES, a[ai + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = DoubleVector.broadcast(SPECIES, a[ai + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = DoubleVector.broadcast(SPECIES, a[ai + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = DoubleVector.broadcast(SPECIES, a[ai + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = DoubleVector.broadcast(SPECIES, a[ai + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
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
        ((DoubleVector) SPECIES.fromArray(old, oldAt)).add(c00).intoArray(c, cAt);
        ((DoubleVector) SPECIES.fromArray(old, oldAt + LANES)).add(c01).intoArray(c, cAt + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o1)).add(c10).intoArray(c, c1);
        ((DoubleVector) SPECIES.fromArray(old, o1 + LANES)).add(c11).intoArray(c, c1 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o2)).add(c20).intoArray(c, c2);
        ((DoubleVector) SPECIES.fromArray(old, o2 + LANES)).add(c21).intoArray(c, c2 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o3)).add(c30).intoArray(c, c3);
        ((DoubleVector) SPECIES.fromArray(old, o3 + LANES)).add(c31).intoArray(c, c3 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o4)).add(c40).intoArray(c, c4);
        ((DoubleVector) SPECIES.fromArray(old, o4 + LANES)).add(c41).intoArray(c, c4 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o5)).add(c50).intoArray(c, c5);
        ((DoubleVector) SPECIES.fromArray(old, o5 + LANES)).add(c51).intoArray(c, c5 + LANES);
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
            DoubleVector b0 = (DoubleVector) SPECIES.fromArray(bp, bi);
            DoubleVector b1 = (DoubleVector) SPECIES.fromArray(bp, bi + LANES);
            DoubleVector x = DoubleVector.broadcast(SPECIES, a[ai]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = DoubleVector.broadcast(SPECIES, a[ai + rowStep]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = DoubleVector.broadcast(SPECIES, a[ai + 2 * rowStep]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = DoubleVector.broadcast(SPECIES, a[ai + 3 * rowStep]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = DoubleVector.broadcast(SPECIES, a[ai + 4 * rowStep]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = DoubleVector.broadcast(SPECIES, a[ai + 5 * rowStep]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            x = DoubleVector.broadcast(SPECIES, a[ai + 6 * rowStep]);
            c60 = b0.fma(x, c60);
            c61 = b1.fma(x, c61);
            x = DoubleVector.broadcast(SPECIES, a[ai + 7 * rowStep]);
            c70 = b0.fma(x, c70);
            c71 = b1.fma(x, c71);
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
        ((DoubleVector) SPECIES.fromArray(old, oldAt)).add(c00).intoArray(c, cAt);
        ((DoubleVector) SPECIES.fromArray(old, oldAt + LANES)).add(c01).intoArray(c, cAt + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o1)).add(c10).intoArray(c, c1);
        ((DoubleVector) SPECIES.fromArray(old, o1 + LANES)).add(c11).intoArray(c, c1 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o2)).add(c20).intoArray(c, c2);
        ((DoubleVector) SPECIES.fromArray(old, o2 + LANES)).add(c21).intoArray(c, c2 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o3)).add(c30).intoArray(c, c3);
        ((DoubleVector) SPECIES.fromArray(old, o3 + LANES)).add(c31).intoArray(c, c3 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o4)).add(c40).intoArray(c, c4);
        ((DoubleVector) SPECIES.fromArray(old, o4 + LANES)).add(c41).intoArray(c, c4 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o5)).add(c50).intoArray(c, c5);
        ((DoubleVector) SPECIES.fromArray(old, o5 + LANES)).add(c51).intoArray(c, c5 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o6)).add(c60).intoArray(c, c6);
        ((DoubleVector) SPECIES.fromArray(old, o6 + LANES)).add(c61).intoArray(c, c6 + LANES);
        ((DoubleVector) SPECIES.fromArray(old, o7)).add(c70).intoArray(c, c7);
        ((DoubleVector) SPECIES.fromArray(old, o7 + LANES)).add(c71).intoArray(c, c7 + LANES);
    }
}
