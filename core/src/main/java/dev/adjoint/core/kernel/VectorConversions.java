package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 conversions of {@link VectorMathKernel}: float to double ({@link #widen}) and back
 * ({@link #narrow}, rounded as the cast), the same bits as the scalar casts.
 *
 * <p>NOTE (cold start): until C2 compiles them, vector loops run boxed, interpreted and then as C1
 * code, many times slower than a scalar loop, and a fresh JVM makes its float32 tensors by
 * conversion (bench/RESULTS.md, "Cold start"). So a long conversion goes chunk by chunk until one
 * chunk's first piece, timed on the vector loop, runs at compiled speed; each slower chunk finishes
 * on the scalar loop. The verdict is the call's own, taken on the code that then converts the rest,
 * so a loop compiled in one place never vouches for a copy still boxed in another.
 */
final class VectorConversions {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /**
     * Floats of {@link #SPECIES}'s shape (twice its lanes): the lower half of a float vector
     * converts to a double vector and back. NOTE: the conversions use this shape and no other, as the float32 GEMM and
     * the pooling loop do: a second float shape anywhere (a half-width vector matching the double
     * lanes, say) pollutes the type profiles of FloatVector's shared load and store code, and C2
     * then fails to intrinsify the GEMM tile's stores in some JVMs, which run float32 products 10x
     * slower.
     */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    /** Elements per chunk of a long conversion; shorter ones run on the vector loop at once. */
    static final int CHUNK = 4096;
    /** The timed piece: one turn of the vector loop. */
    private static final int PIECE = FLOATS.length();
    /**
     * A piece timed at most this long ran compiled: the bound leaves room for the clock's own cost
     * on a compiled piece, and boxed vector code takes many times longer (bench/RESULTS.md, "Cold
     * start").
     */
    private static final long COMPILED_PIECE_NANOS = 150;
    /**
     * For tests, when at least 0: the chunk at which the vector loop takes over, whatever the
     * timings (Integer.MAX_VALUE: never).
     */
    static int testHandover = -1;
    /** For tests: runs on the scalar loop (the rest of a chunk, or the tail), counted while {@link #testHandover} is set. */
    static int testScalarRuns;

    private VectorConversions() {
    }

    /** Whether chunk {@code chunk}'s piece, timed from {@code start}, ran at compiled speed. */
    private static boolean compiled(long start, int chunk) {
        long took = System.nanoTime() - start;
        return testHandover >= 0 ? chunk >= testHandover : took <= COMPILED_PIECE_NANOS;
    }

    static void widen(float[] a, int ao, double[] r, int ro, int n) {
        // NOTE: widen's and narrow's chunk loops are twins: the element types differ
        int i = 0;
        boolean vector = n <= CHUNK;
        for (int chunk = 0; !vector && n - i > CHUNK; chunk++) {
            long start = System.nanoTime();
            widenVector(a, ao + i, r, ro + i, PIECE);
            vector = compiled(start, chunk);
            if (!vector) {
                widenScalar(a, ao + i + PIECE, r, ro + i + PIECE, CHUNK - PIECE);
                i += CHUNK;
            }
        }
        if (vector) {
            widenVector(a, ao + i, r, ro + i, n - i);
        } else {
            widenScalar(a, ao + i, r, ro + i, n - i);
        }
    }

    static void narrow(double[] a, int ao, float[] r, int ro, int n) {
        int i = 0;
        boolean vector = n <= CHUNK;
        for (int chunk = 0; !vector && n - i > CHUNK; chunk++) {
            long start = System.nanoTime();
            narrowVector(a, ao + i, r, ro + i, PIECE);
            vector = compiled(start, chunk);
            if (!vector) {
                narrowScalar(a, ao + i + PIECE, r, ro + i + PIECE, CHUNK - PIECE);
                i += CHUNK;
            }
        }
        if (vector) {
            narrowVector(a, ao + i, r, ro + i, n - i);
        } else {
            narrowScalar(a, ao + i, r, ro + i, n - i);
        }
    }

    private static void widenScalar(float[] a, int ao, double[] r, int ro, int n) {
        if (testHandover >= 0) {
            testScalarRuns++;
        }
        for (int j = 0; j < n; j++) {
            r[ro + j] = a[ao + j];
        }
    }

    private static void narrowScalar(double[] a, int ao, float[] r, int ro, int n) {
        if (testHandover >= 0) {
            testScalarRuns++;
        }
        for (int j = 0; j < n; j++) {
            r[ro + j] = (float) a[ao + j];
        }
    }

    // NOTE: part 0 of castShape only. A part-1 conversion (the upper half of a float vector) goes
    // through a rearrange whose intrinsics can fall past C2's inlining depth when the conversion is
    // inlined into a deep caller, which then runs it boxed (bench/RESULTS.md, "Conversions without
    // a part-1 cast"); so each float vector load feeds one conversion, one double vector's lanes.
    private static void widenVector(float[] a, int ao, double[] r, int ro, int n) {
        int i = 0;
        // a full float vector is read from i; its first LANES lanes are converted
        for (int bound = n - FLOATS.length(); i <= bound; i += LANES) {
            ((DoubleVector) ((FloatVector) FLOATS.fromArray(a, ao + i)).castShape(SPECIES, 0)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = a[ao + i];
        }
    }

    private static void narrowVector(double[] a, int ao, float[] r, int ro, int n) {
        int i = 0;
        // each store writes LANES rounded floats and LANES zeros after them, which the next store
        // (or the tail) overwrites: the bound keeps those zeros inside [ro, ro + n)
        for (int bound = n - FLOATS.length(); i <= bound; i += LANES) {
            ((FloatVector) ((DoubleVector) SPECIES.fromArray(a, ao + i)).castShape(FLOATS, 0)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = (float) a[ao + i];
        }
    }
}
