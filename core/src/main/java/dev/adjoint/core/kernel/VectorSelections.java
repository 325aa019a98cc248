package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector kernel's selections: comparisons' answers (1 or 0, sign, maximum's gradient share, leaky
 * relu's slope), leaky relu, clamp and its gradient mask, and where, by compares and blends.
 * Exact: each result is one of the inputs or a constant, the bits of the scalar loops (a branch per
 * element, which mispredicts half the time on data like a random mask).
 */
final class VectorSelections {
    private VectorSelections() {
    }

    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Floats of {@link #SPECIES}'s shape (see {@link VectorMathKernel}). */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

    /**
     * A comparison's answers t[0..3] where x is below, above, equal to or unordered with y; b
     * contiguous ({@code sb} 1) or one value ({@code sb} 0). The same three constant comparisons
     * (x < y, y < x, x == y: exclusive, all false at NaN) blend each answer over the unordered one.
     * NOTE: no comparison is a parameter: the Vector API compiles a comparison to an instruction
     * only where the JIT sees which one it is (a parameter left the loop boxed).
     */
    static void compare(double[] t, double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n) {
        assert sb == 0 || sb == 1 : sb;
        DoubleVector unordered = DoubleVector.broadcast(SPECIES, t[3]);
        DoubleVector less = DoubleVector.broadcast(SPECIES, t[0]);
        DoubleVector greater = DoubleVector.broadcast(SPECIES, t[1]);
        DoubleVector equal = DoubleVector.broadcast(SPECIES, t[2]);
        int i = 0;
        int bound = SPECIES.loopBound(n);
        if (sb == 0 && bound > 0) {
            DoubleVector y = DoubleVector.broadcast(SPECIES, b[bo]);
            for (; i < bound; i += LANES) {
                DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
                unordered.blend(less, x.compare(VectorOperators.LT, y)).blend(greater, y.compare(VectorOperators.LT, x))
                        .blend(equal, x.compare(VectorOperators.EQ, y)).intoArray(r, ro + i);
            }
        } else if (sb != 0) {
            for (; i < bound; i += LANES) {
                DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
                DoubleVector y = (DoubleVector) SPECIES.fromArray(b, bo + i);
                unordered.blend(less, x.compare(VectorOperators.LT, y)).blend(greater, y.compare(VectorOperators.LT, x))
                        .blend(equal, x.compare(VectorOperators.EQ, y)).intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            double x = a[ao + i];
            double y = b[bo + i * sb];
            r[ro + i] = x < y ? t[0] : x > y ? t[1] : x == y ? t[2] : t[3];
        }
    }

    /** {@link #compare(double[], double[], int, double[], int, int, double[], int, int)} on floats. */
    static void compare(double[] t, float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n) {
        assert sb == 0 || sb == 1 : sb;
        FloatVector unordered = FloatVector.broadcast(FLOATS, (float) t[3]);
        FloatVector less = FloatVector.broadcast(FLOATS, (float) t[0]);
        FloatVector greater = FloatVector.broadcast(FLOATS, (float) t[1]);
        FloatVector equal = FloatVector.broadcast(FLOATS, (float) t[2]);
        int i = 0;
        int bound = FLOATS.loopBound(n);
        if (sb == 0 && bound > 0) {
            FloatVector y = FloatVector.broadcast(FLOATS, b[bo]);
            for (; i < bound; i += FLOATS.length()) {
                FloatVector x = (FloatVector) FLOATS.fromArray(a, ao + i);
                unordered.blend(less, x.compare(VectorOperators.LT, y)).blend(greater, y.compare(VectorOperators.LT, x))
                        .blend(equal, x.compare(VectorOperators.EQ, y)).intoArray(r, ro + i);
            }
        } else if (sb != 0) {
            for (; i < bound; i += FLOATS.length()) {
                FloatVector x = (FloatVector) FLOATS.fromArray(a, ao + i);
                FloatVector y = (FloatVector) FLOATS.fromArray(b, bo + i);
                unordered.blend(less, x.compare(VectorOperators.LT, y)).blend(greater, y.compare(VectorOperators.LT, x))
                        .blend(equal, x.compare(VectorOperators.EQ, y)).intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            float x = a[ao + i];
            float y = b[bo + i * sb];
            r[ro + i] = (float) (x < y ? t[0] : x > y ? t[1] : x == y ? t[2] : t[3]);
        }
    }

    /** {@code x > 0 ? x : x s}: the product everywhere, x blended back where positive. */
    static void leakyRelu(double[] a, int ao, double s, double[] r, int ro, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
            x.mul(s).blend(x, x.compare(VectorOperators.GT, 0.0)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            double x = a[ao + i];
            r[ro + i] = x > 0 ? x : x * s;
        }
    }

    /** {@link #leakyRelu(double[], int, double, double[], int, int)} on floats. */
    static void leakyRelu(float[] a, int ao, float s, float[] r, int ro, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FLOATS.length()) {
            FloatVector x = (FloatVector) FLOATS.fromArray(a, ao + i);
            x.mul(s).blend(x, x.compare(VectorOperators.GT, 0.0f)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            float x = a[ao + i];
            r[ro + i] = x > 0 ? x : x * s;
        }
    }

    /** {@code lo < x && x < hi ? 1 : 0}: two comparisons' masks and-ed, one blend. */
    static void inside(double[] a, int ao, double lo, double hi, double[] r, int ro, int n) {
        DoubleVector zero = DoubleVector.zero(SPECIES);
        DoubleVector one = DoubleVector.broadcast(SPECIES, 1.0);
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
            zero.blend(one, x.compare(VectorOperators.GT, lo).and(x.compare(VectorOperators.LT, hi))).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            double x = a[ao + i];
            r[ro + i] = lo < x && x < hi ? 1.0 : 0.0;
        }
    }

    /** {@code x < lo ? lo : x > hi ? hi : x} by two blends, the low bound's last (so for any lo and hi): NaN fails both comparisons and passes through. */
    static void clamp(double[] a, int ao, double lo, double hi, double[] r, int ro, int n) {
        DoubleVector low = DoubleVector.broadcast(SPECIES, lo);
        DoubleVector high = DoubleVector.broadcast(SPECIES, hi);
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
            x.blend(high, x.compare(VectorOperators.GT, high)).blend(low, x.compare(VectorOperators.LT, low)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            double v = a[ao + i];
            r[ro + i] = v < lo ? lo : v > hi ? hi : v;
        }
    }

    /** {@link #clamp(double[], int, double, double, double[], int, int)} on floats. */
    static void clamp(float[] a, int ao, float lo, float hi, float[] r, int ro, int n) {
        FloatVector low = FloatVector.broadcast(FLOATS, lo);
        FloatVector high = FloatVector.broadcast(FLOATS, hi);
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FLOATS.length()) {
            FloatVector x = (FloatVector) FLOATS.fromArray(a, ao + i);
            x.blend(high, x.compare(VectorOperators.GT, high)).blend(low, x.compare(VectorOperators.LT, low)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            float v = a[ao + i];
            r[ro + i] = v < lo ? lo : v > hi ? hi : v;
        }
    }

    /** {@code c != 0 ? a : b} (NaN counts as true, as {@code !=} does) by blends: no branch for a random condition to mispredict. */
    static void where(double[] c, int co, double[] a, int ao, double[] b, int bo, double[] r, int ro, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector cv = (DoubleVector) SPECIES.fromArray(c, co + i);
            DoubleVector av = (DoubleVector) SPECIES.fromArray(a, ao + i);
            ((DoubleVector) SPECIES.fromArray(b, bo + i)).blend(av, cv.compare(VectorOperators.NE, 0.0)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = c[co + i] != 0 ? a[ao + i] : b[bo + i];
        }
    }

    /** {@link #where(double[], int, double[], int, double[], int, double[], int, int)} on floats. */
    static void where(float[] c, int co, float[] a, int ao, float[] b, int bo, float[] r, int ro, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FLOATS.length()) {
            FloatVector cv = (FloatVector) FLOATS.fromArray(c, co + i);
            FloatVector av = (FloatVector) FLOATS.fromArray(a, ao + i);
            ((FloatVector) FLOATS.fromArray(b, bo + i)).blend(av, cv.compare(VectorOperators.NE, 0.0f)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = c[co + i] != 0 ? a[ao + i] : b[bo + i];
        }
    }
}
