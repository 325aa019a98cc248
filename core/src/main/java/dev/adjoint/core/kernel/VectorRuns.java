package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loops of {@link VectorMathKernel#copyRuns} and {@link VectorMathKernel#addRuns}:
 * runs of equal length at fixed strides (im2col's and col2im's rows). A run of at least a vector
 * goes as whole vectors, the last one ending at the run's end over part of the one before; runs of
 * one to four vectors without an inner loop. Copies, and one addition per element taken before any
 * store that covers it: the bits of {@link ScalarMathKernel}'s loops.
 */
final class VectorRuns {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Floats of {@link #SPECIES}'s shape: the one float shape in use (see {@link VectorMathKernel}). */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

    private VectorRuns() {
    }

    /** {@link MathKernel#copyRuns(double[], int, int, double[], int, int, int, int)}. */
    static void copyRuns(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int n) {
        if (n < LANES) {
            ScalarMathKernel.copyEachRun(a, ao, as, r, ro, rs, runs, n);
            return;
        }
        int last = n - LANES; // the last vector ends at the run's end, over part of the one before
        if (n <= 2 * LANES) {
            copyTwoVectors(a, ao, as, r, ro, rs, runs, last);
            return;
        }
        if (n <= 4 * LANES) {
            copyFourVectors(a, ao, as, r, ro, rs, runs, last);
            return;
        }
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            for (int j = 0; j < last; j += LANES) {
                ((DoubleVector) SPECIES.fromArray(a, s + j)).intoArray(r, d + j);
            }
            ((DoubleVector) SPECIES.fromArray(a, s + last)).intoArray(r, d + last);
        }
    }

    /** {@link MathKernel#copyRuns(float[], int, int, float[], int, int, int, int)}. */
    static void copyRuns(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int n) {
        int lanes = FLOATS.length();
        if (n < lanes) {
            ScalarMathKernel.copyEachRun(a, ao, as, r, ro, rs, runs, n);
            return;
        }
        int last = n - lanes;
        if (n <= 2 * lanes) {
            copyTwoVectors(a, ao, as, r, ro, rs, runs, last);
            return;
        }
        if (n <= 4 * lanes) {
            copyFourVectors(a, ao, as, r, ro, rs, runs, last);
            return;
        }
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            for (int j = 0; j < last; j += lanes) {
                ((FloatVector) FLOATS.fromArray(a, s + j)).intoArray(r, d + j);
            }
            ((FloatVector) FLOATS.fromArray(a, s + last)).intoArray(r, d + last);
        }
    }

    /** {@link MathKernel#addRuns(double[], int, int, double[], int, int, int, int)}. */
    static void addRuns(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int n) {
        if (n < LANES) {
            ScalarMathKernel.addEachRun(a, ao, as, r, ro, rs, runs, n);
            return;
        }
        int last = n - LANES;
        if (n <= 2 * LANES) {
            addTwoVectors(a, ao, as, r, ro, rs, runs, last);
            return;
        }
        if (n <= 4 * LANES) {
            addFourVectors(a, ao, as, r, ro, rs, runs, last);
            return;
        }
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            // the last vector's sums first, from r before any store of this run reaches its lanes
            DoubleVector tail = ((DoubleVector) SPECIES.fromArray(r, d + last)).add((DoubleVector) SPECIES.fromArray(a, s + last));
            for (int j = 0; j < last; j += LANES) {
                ((DoubleVector) SPECIES.fromArray(r, d + j)).add((DoubleVector) SPECIES.fromArray(a, s + j)).intoArray(r, d + j);
            }
            tail.intoArray(r, d + last);
        }
    }

    /** {@link MathKernel#addRuns(float[], int, int, float[], int, int, int, int)}. */
    static void addRuns(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int n) {
        int lanes = FLOATS.length();
        if (n < lanes) {
            ScalarMathKernel.addEachRun(a, ao, as, r, ro, rs, runs, n);
            return;
        }
        int last = n - lanes;
        if (n <= 2 * lanes) {
            addTwoVectors(a, ao, as, r, ro, rs, runs, last);
            return;
        }
        if (n <= 4 * lanes) {
            addFourVectors(a, ao, as, r, ro, rs, runs, last);
            return;
        }
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            FloatVector tail = ((FloatVector) FLOATS.fromArray(r, d + last)).add((FloatVector) FLOATS.fromArray(a, s + last));
            for (int j = 0; j < last; j += lanes) {
                ((FloatVector) FLOATS.fromArray(r, d + j)).add((FloatVector) FLOATS.fromArray(a, s + j)).intoArray(r, d + j);
            }
            tail.intoArray(r, d + last);
        }
    }

    /**
     * Runs of two to four vectors, {@code last} = the run's length less a vector: four vectors a
     * run, those past the run's end moved back onto its last vector.
     * NOTE: a method of its own, so that {@link #copyRuns} stays small enough for C2 to inline
     * into im2col's loop (bench/RESULTS.md, "im2col by planes").
     */
    private static void copyFourVectors(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int last) {
        int second = LANES; // the run is longer than two vectors
        int third = Math.min(2 * LANES, last);
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            DoubleVector v0 = (DoubleVector) SPECIES.fromArray(a, s);
            DoubleVector v1 = (DoubleVector) SPECIES.fromArray(a, s + second);
            DoubleVector v2 = (DoubleVector) SPECIES.fromArray(a, s + third);
            DoubleVector v3 = (DoubleVector) SPECIES.fromArray(a, s + last);
            v0.intoArray(r, d);
            v1.intoArray(r, d + second);
            v2.intoArray(r, d + third);
            v3.intoArray(r, d + last);
        }
    }

    /**
     * Runs of one to two vectors, {@code last} = the run's length less a vector: two vectors a run,
     * the second ending at the run's end.
     * NOTE: no inner loop: C2's code for a loop of one or two turns costs more per run than the
     * copies (im2col's short rows, bench/RESULTS.md). And a method of its own, as
     * {@link #copyFourVectors(double[], int, int, double[], int, int, int, int)}: inlined into
     * im2col's loop, its stores take the vector class from the JDK's shared profile rather than the
     * loads' casts, and stay boxed in a JVM where other code ran other shapes (bench/RESULTS.md,
     * "Vector code that stays boxed").
     */
    private static void copyTwoVectors(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int last) {
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            DoubleVector head = (DoubleVector) SPECIES.fromArray(a, s);
            DoubleVector tail = (DoubleVector) SPECIES.fromArray(a, s + last);
            head.intoArray(r, d);
            tail.intoArray(r, d + last);
        }
    }

    /** {@link #copyTwoVectors(double[], int, int, double[], int, int, int, int)} on floats. */
    private static void copyTwoVectors(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int last) {
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            FloatVector head = (FloatVector) FLOATS.fromArray(a, s);
            FloatVector tail = (FloatVector) FLOATS.fromArray(a, s + last);
            head.intoArray(r, d);
            tail.intoArray(r, d + last);
        }
    }

    /** {@link #copyFourVectors(double[], int, int, double[], int, int, int, int)} on floats. */
    private static void copyFourVectors(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int last) {
        int lanes = FLOATS.length();
        int second = lanes;
        int third = Math.min(2 * lanes, last);
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            FloatVector v0 = (FloatVector) FLOATS.fromArray(a, s);
            FloatVector v1 = (FloatVector) FLOATS.fromArray(a, s + second);
            FloatVector v2 = (FloatVector) FLOATS.fromArray(a, s + third);
            FloatVector v3 = (FloatVector) FLOATS.fromArray(a, s + last);
            v0.intoArray(r, d);
            v1.intoArray(r, d + second);
            v2.intoArray(r, d + third);
            v3.intoArray(r, d + last);
        }
    }

    /**
     * {@link #copyTwoVectors(double[], int, int, double[], int, int, int, int)} adding: both sums
     * taken from r before either store, so lanes the two vectors share get the same sum.
     */
    private static void addTwoVectors(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int last) {
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            DoubleVector head = ((DoubleVector) SPECIES.fromArray(r, d)).add((DoubleVector) SPECIES.fromArray(a, s));
            DoubleVector tail = ((DoubleVector) SPECIES.fromArray(r, d + last)).add((DoubleVector) SPECIES.fromArray(a, s + last));
            head.intoArray(r, d);
            tail.intoArray(r, d + last);
        }
    }

    /** {@link #addTwoVectors(double[], int, int, double[], int, int, int, int)} on floats. */
    private static void addTwoVectors(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int last) {
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            FloatVector head = ((FloatVector) FLOATS.fromArray(r, d)).add((FloatVector) FLOATS.fromArray(a, s));
            FloatVector tail = ((FloatVector) FLOATS.fromArray(r, d + last)).add((FloatVector) FLOATS.fromArray(a, s + last));
            head.intoArray(r, d);
            tail.intoArray(r, d + last);
        }
    }

    /**
     * {@link #copyFourVectors(double[], int, int, double[], int, int, int, int)} adding: all four
     * sums taken from r before any store, so lanes two vectors share get the same sum.
     */
    private static void addFourVectors(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int last) {
        int second = LANES; // the run is longer than two vectors
        int third = Math.min(2 * LANES, last);
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            DoubleVector v0 = ((DoubleVector) SPECIES.fromArray(r, d)).add((DoubleVector) SPECIES.fromArray(a, s));
            DoubleVector v1 = ((DoubleVector) SPECIES.fromArray(r, d + second)).add((DoubleVector) SPECIES.fromArray(a, s + second));
            DoubleVector v2 = ((DoubleVector) SPECIES.fromArray(r, d + third)).add((DoubleVector) SPECIES.fromArray(a, s + third));
            DoubleVector v3 = ((DoubleVector) SPECIES.fromArray(r, d + last)).add((DoubleVector) SPECIES.fromArray(a, s + last));
            v0.intoArray(r, d);
            v1.intoArray(r, d + second);
            v2.intoArray(r, d + third);
            v3.intoArray(r, d + last);
        }
    }

    /** {@link #addFourVectors(double[], int, int, double[], int, int, int, int)} on floats. */
    private static void addFourVectors(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int last) {
        int lanes = FLOATS.length();
        int second = lanes;
        int third = Math.min(2 * lanes, last);
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            FloatVector v0 = ((FloatVector) FLOATS.fromArray(r, d)).add((FloatVector) FLOATS.fromArray(a, s));
            FloatVector v1 = ((FloatVector) FLOATS.fromArray(r, d + second)).add((FloatVector) FLOATS.fromArray(a, s + second));
            FloatVector v2 = ((FloatVector) FLOATS.fromArray(r, d + third)).add((FloatVector) FLOATS.fromArray(a, s + third));
            FloatVector v3 = ((FloatVector) FLOATS.fromArray(r, d + last)).add((FloatVector) FLOATS.fromArray(a, s + last));
            v0.intoArray(r, d);
            v1.intoArray(r, d + second);
            v2.intoArray(r, d + third);
            v3.intoArray(r, d + last);
        }
    }
}
