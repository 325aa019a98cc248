package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 conversions of {@link VectorMathKernel}: float to double ({@link #widen}) and back
 * ({@link #narrow}, rounded as the cast), the same bits as the scalar loops.
 *
 * <p>NOTE (cold start): until C2 compiles them, vector loops run boxed, interpreted and then as C1
 * code, a hundred times slower than a scalar loop: a fresh JVM's first conversion of a million
 * elements took 390 ms on the vector loop and 4 ms on a scalar one, and float32 tensors are made
 * by conversion. So until a conversion's vector loop has run at compiled speed, long runs go chunk
 * by chunk: a small timed piece on the vector loop (its calls get it compiled), the rest on the
 * scalar loop.
 */
final class VectorConversions {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /**
     * Floats of {@link #SPECIES}'s shape (twice its lanes): a float vector converts to two double
     * vectors and back. NOTE: the conversions use this shape and no other, as the float32 GEMM and
     * the pooling loop do: a second float shape anywhere (a half-width vector matching the double
     * lanes, say) pollutes the type profiles of FloatVector's shared load and store code, and C2
     * then fails to intrinsify the GEMM tile's stores in some JVMs, which run float32 products 10x
     * slower.
     */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

    private VectorConversions() {
    }

    static void widen(float[] a, int ao, double[] r, int ro, int n) {
        if (!widenCompiled && n > COLD_CHUNK) {
            coldWiden(a, ao, r, ro, n);
            return;
        }
        widenVector(a, ao, r, ro, n);
    }

    /** Whether {@link #widenVector} / {@link #narrowVector} has run at compiled speed (plain: a stale false costs a few chunks). */
    private static boolean widenCompiled;
    private static boolean narrowCompiled;
    /** Elements per chunk of a cold conversion, and of its piece on the vector loop. */
    private static final int COLD_CHUNK = 4096;
    private static final int COLD_PIECE = 16;
    /**
     * A piece timed at most this long ran compiled: about 30 ns with the clock's own cost, where
     * boxed vector code takes 20-400 ns an element.
     */
    private static final long COMPILED_PIECE_NANOS = 150;

    /** The verdict's bound in use: {@link #COMPILED_PIECE_NANOS} but in tests. */
    private static long compiledPieceNanos = COMPILED_PIECE_NANOS;

    /**
     * For tests: forgets that the conversions ran compiled, so that the next long ones take the cold
     * path, and sets the time under which a piece counts as compiled (-1: never; Long.MAX_VALUE: the
     * first piece, so the vector loop takes over after one chunk).
     */
    static void forgetCompiledConversions(long pieceNanos) {
        widenCompiled = false;
        narrowCompiled = false;
        compiledPieceNanos = pieceNanos;
    }

    private static void coldWiden(float[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; ) {
            int len = Math.min(COLD_CHUNK, n - i);
            int piece = Math.min(COLD_PIECE, len);
            long start = System.nanoTime();
            widenVector(a, ao + i, r, ro + i, piece);
            boolean compiled = System.nanoTime() - start <= compiledPieceNanos;
            for (int j = piece; j < len; j++) {
                r[ro + i + j] = a[ao + i + j];
            }
            i += len;
            if (compiled) {
                widenCompiled = true;
                widenVector(a, ao + i, r, ro + i, n - i);
                return;
            }
        }
    }

    private static void widenVector(float[] a, int ao, double[] r, int ro, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += 2 * LANES) {
            FloatVector f = FloatVector.fromArray(FLOATS, a, ao + i);
            ((DoubleVector) f.castShape(SPECIES, 0)).intoArray(r, ro + i);
            ((DoubleVector) f.castShape(SPECIES, 1)).intoArray(r, ro + i + LANES);
        }
        for (; i < n; i++) {
            r[ro + i] = a[ao + i];
        }
    }

    static void narrow(double[] a, int ao, float[] r, int ro, int n) {
        if (!narrowCompiled && n > COLD_CHUNK) {
            coldNarrow(a, ao, r, ro, n);
            return;
        }
        narrowVector(a, ao, r, ro, n);
    }

    /** {@link #coldWiden}'s chunks for {@link #narrowVector}. */
    private static void coldNarrow(double[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; ) {
            int len = Math.min(COLD_CHUNK, n - i);
            int piece = Math.min(COLD_PIECE, len);
            long start = System.nanoTime();
            narrowVector(a, ao + i, r, ro + i, piece);
            boolean compiled = System.nanoTime() - start <= compiledPieceNanos;
            for (int j = piece; j < len; j++) {
                r[ro + i + j] = (float) a[ao + i + j];
            }
            i += len;
            if (compiled) {
                narrowCompiled = true;
                narrowVector(a, ao + i, r, ro + i, n - i);
                return;
            }
        }
    }

    private static void narrowVector(double[] a, int ao, float[] r, int ro, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += 2 * LANES) {
            // each half lands in its own lanes with zero bits elsewhere: or-ing the bits joins them exactly
            IntVector low = DoubleVector.fromArray(SPECIES, a, ao + i).castShape(FLOATS, 0).reinterpretAsInts();
            IntVector high = DoubleVector.fromArray(SPECIES, a, ao + i + LANES).castShape(FLOATS, -1).reinterpretAsInts();
            low.or(high).reinterpretAsFloats().intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = (float) a[ao + i];
        }
    }
}
