package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loops of {@link VectorMathKernel} that are plain arithmetic (the four operations,
 * softmax's backward, silu's backward from its sigmoid) or a maximum, kept apart from its polynomial functions ({@link VectorExp}) and
 * its runs ({@link VectorRuns}). Each gives the bits
 * of its scalar twin in {@link ScalarMathKernel}: one rounding per Java operation, no fused
 * multiply-add.
 */
final class VectorLoops {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Floats of {@link #SPECIES}'s shape: the one float shape in use (see {@link VectorMathKernel}). */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

    private VectorLoops() {
    }

    // NOTE: one method per operation, each loop on a constant operator (C2 intrinsifies a lanewise
    // operation only when its operator is a constant) and compiled on its own profile: a switch's
    // case that has not run when C2 compiles the switch has no profile of its loads' casts, and
    // stays boxed for the life of the JVM (bench/RESULTS.md, "Vector code that stays boxed")
    static void arithmetic(Elementwise.Binary op, double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n) {
        switch (op) {
            case ADD -> add(a, ao, b, bo, sb, r, ro, n);
            case SUB -> sub(a, ao, b, bo, sb, r, ro, n);
            case MUL -> mul(a, ao, b, bo, sb, r, ro, n);
            case DIV -> div(a, ao, b, bo, sb, r, ro, n);
            default -> throw new IllegalArgumentException("arithmetic: " + op + " is not one of ADD, SUB, MUL, DIV");
        }
    }

    private static void add(double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        if (sb == 0) {
            DoubleVector v = DoubleVector.broadcast(SPECIES, b[bo]);
            for (; i < bound; i += LANES) {
                ((DoubleVector) SPECIES.fromArray(a, ao + i)).add(v).intoArray(r, ro + i);
            }
        } else {
            for (; i < bound; i += LANES) {
                ((DoubleVector) SPECIES.fromArray(a, ao + i)).add((DoubleVector) SPECIES.fromArray(b, bo + i)).intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            r[ro + i] = a[ao + i] + b[bo + i * sb];
        }
    }

    private static void sub(double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        if (sb == 0) {
            DoubleVector v = DoubleVector.broadcast(SPECIES, b[bo]);
            for (; i < bound; i += LANES) {
                ((DoubleVector) SPECIES.fromArray(a, ao + i)).sub(v).intoArray(r, ro + i);
            }
        } else {
            for (; i < bound; i += LANES) {
                ((DoubleVector) SPECIES.fromArray(a, ao + i)).sub((DoubleVector) SPECIES.fromArray(b, bo + i)).intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            r[ro + i] = a[ao + i] - b[bo + i * sb];
        }
    }

    private static void mul(double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        if (sb == 0) {
            DoubleVector v = DoubleVector.broadcast(SPECIES, b[bo]);
            for (; i < bound; i += LANES) {
                ((DoubleVector) SPECIES.fromArray(a, ao + i)).mul(v).intoArray(r, ro + i);
            }
        } else {
            for (; i < bound; i += LANES) {
                ((DoubleVector) SPECIES.fromArray(a, ao + i)).mul((DoubleVector) SPECIES.fromArray(b, bo + i)).intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            r[ro + i] = a[ao + i] * b[bo + i * sb];
        }
    }

    private static void div(double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        if (sb == 0) {
            DoubleVector v = DoubleVector.broadcast(SPECIES, b[bo]);
            for (; i < bound; i += LANES) {
                ((DoubleVector) SPECIES.fromArray(a, ao + i)).div(v).intoArray(r, ro + i);
            }
        } else {
            for (; i < bound; i += LANES) {
                ((DoubleVector) SPECIES.fromArray(a, ao + i)).div((DoubleVector) SPECIES.fromArray(b, bo + i)).intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            r[ro + i] = a[ao + i] / b[bo + i * sb];
        }
    }

    static void arithmetic(Elementwise.Binary op, float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n) {
        switch (op) {
            case ADD -> add(a, ao, b, bo, sb, r, ro, n);
            case SUB -> sub(a, ao, b, bo, sb, r, ro, n);
            case MUL -> mul(a, ao, b, bo, sb, r, ro, n);
            case DIV -> div(a, ao, b, bo, sb, r, ro, n);
            default -> throw new IllegalArgumentException("arithmetic: " + op + " is not one of ADD, SUB, MUL, DIV");
        }
    }

    private static void add(float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n) {
        int i = 0;
        int bound = FLOATS.loopBound(n);
        if (sb == 0) {
            FloatVector v = FloatVector.broadcast(FLOATS, b[bo]);
            for (; i < bound; i += FLOATS.length()) {
                ((FloatVector) FLOATS.fromArray(a, ao + i)).add(v).intoArray(r, ro + i);
            }
        } else {
            for (; i < bound; i += FLOATS.length()) {
                ((FloatVector) FLOATS.fromArray(a, ao + i)).add((FloatVector) FLOATS.fromArray(b, bo + i)).intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            r[ro + i] = a[ao + i] + b[bo + i * sb];
        }
    }

    private static void sub(float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n) {
        int i = 0;
        int bound = FLOATS.loopBound(n);
        if (sb == 0) {
            FloatVector v = FloatVector.broadcast(FLOATS, b[bo]);
            for (; i < bound; i += FLOATS.length()) {
                ((FloatVector) FLOATS.fromArray(a, ao + i)).sub(v).intoArray(r, ro + i);
            }
        } else {
            for (; i < bound; i += FLOATS.length()) {
                ((FloatVector) FLOATS.fromArray(a, ao + i)).sub((FloatVector) FLOATS.fromArray(b, bo + i)).intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            r[ro + i] = a[ao + i] - b[bo + i * sb];
        }
    }

    private static void mul(float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n) {
        int i = 0;
        int bound = FLOATS.loopBound(n);
        if (sb == 0) {
            FloatVector v = FloatVector.broadcast(FLOATS, b[bo]);
            for (; i < bound; i += FLOATS.length()) {
                ((FloatVector) FLOATS.fromArray(a, ao + i)).mul(v).intoArray(r, ro + i);
            }
        } else {
            for (; i < bound; i += FLOATS.length()) {
                ((FloatVector) FLOATS.fromArray(a, ao + i)).mul((FloatVector) FLOATS.fromArray(b, bo + i)).intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            r[ro + i] = a[ao + i] * b[bo + i * sb];
        }
    }

    private static void div(float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n) {
        int i = 0;
        int bound = FLOATS.loopBound(n);
        if (sb == 0) {
            FloatVector v = FloatVector.broadcast(FLOATS, b[bo]);
            for (; i < bound; i += FLOATS.length()) {
                ((FloatVector) FLOATS.fromArray(a, ao + i)).div(v).intoArray(r, ro + i);
            }
        } else {
            for (; i < bound; i += FLOATS.length()) {
                ((FloatVector) FLOATS.fromArray(a, ao + i)).div((FloatVector) FLOATS.fromArray(b, bo + i)).intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            r[ro + i] = a[ao + i] / b[bo + i * sb];
        }
    }

    /**
     * NOTE: compare and blend in one flat loop compiled on its own, the lane maxima stored in the
     * loop's last turn (a vector store after a loop can be left as a call): JDK 17 ran lanewise(MAX) of doubles, or a compare
     * and blend inlined into softmax's row loop, as its Java fallback.
     */
    static double max(double[] a, int ao, int n) {
        DoubleVector m0 = DoubleVector.broadcast(SPECIES, Double.NEGATIVE_INFINITY);
        DoubleVector m1 = m0;
        DoubleVector m2 = m0;
        DoubleVector m3 = m0;
        double[] lanes = new double[4 * LANES];
        java.util.Arrays.fill(lanes, Double.NEGATIVE_INFINITY);
        int i = 0;
        for (; i + 4 * LANES <= n; i += 4 * LANES) {
            DoubleVector x0 = (DoubleVector) SPECIES.fromArray(a, ao + i);
            DoubleVector x1 = (DoubleVector) SPECIES.fromArray(a, ao + i + LANES);
            DoubleVector x2 = (DoubleVector) SPECIES.fromArray(a, ao + i + 2 * LANES);
            DoubleVector x3 = (DoubleVector) SPECIES.fromArray(a, ao + i + 3 * LANES);
            m0 = m0.blend(x0, x0.compare(VectorOperators.GT, m0));
            m1 = m1.blend(x1, x1.compare(VectorOperators.GT, m1));
            m2 = m2.blend(x2, x2.compare(VectorOperators.GT, m2));
            m3 = m3.blend(x3, x3.compare(VectorOperators.GT, m3));
            if (i + 8 * LANES > n) {
                m0.intoArray(lanes, 0);
                m1.intoArray(lanes, LANES);
                m2.intoArray(lanes, 2 * LANES);
                m3.intoArray(lanes, 3 * LANES);
            }
        }
        double m = Double.NEGATIVE_INFINITY;
        for (double l : lanes) {
            m = l > m ? l : m;
        }
        for (; i < n; i++) {
            double x = a[ao + i];
            m = x > m ? x : m;
        }
        return m;
    }

    /** {@link #max(double[], int, int)} of floats, on two vectors of lanes. */
    static float max(float[] a, int ao, int n) {
        int lanes = FLOATS.length();
        FloatVector m0 = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
        FloatVector m1 = m0;
        float[] lane = new float[2 * lanes];
        java.util.Arrays.fill(lane, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i + 2 * lanes <= n; i += 2 * lanes) {
            FloatVector x0 = (FloatVector) FLOATS.fromArray(a, ao + i);
            FloatVector x1 = (FloatVector) FLOATS.fromArray(a, ao + i + lanes);
            m0 = m0.blend(x0, x0.compare(VectorOperators.GT, m0));
            m1 = m1.blend(x1, x1.compare(VectorOperators.GT, m1));
            if (i + 4 * lanes > n) {
                m0.intoArray(lane, 0);
                m1.intoArray(lane, lanes);
            }
        }
        float r = Float.NEGATIVE_INFINITY;
        for (float l : lane) {
            r = l > r ? l : r;
        }
        for (; i < n; i++) {
            float x = a[ao + i];
            r = x > r ? x : r;
        }
        return r;
    }

    static void mulDifference(double[] y, int yo, double[] g, int go, double s, double[] r, int ro, int n) {
        DoubleVector sv = DoubleVector.broadcast(SPECIES, s);
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector d = ((DoubleVector) SPECIES.fromArray(g, go + i)).sub(sv);
            ((DoubleVector) SPECIES.fromArray(y, yo + i)).mul(d).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = y[yo + i] * (g[go + i] - s);
        }
    }

    /**
     * {@link MathKernel#mulDifference(float[], int, float[], int, double, float[], int, int)}: float
     * arithmetic on full float vectors, s split into two floats.
     */
    static void mulDifference(float[] y, int yo, float[] g, int go, double s, float[] r, int ro, int n) {
        float hi = (float) s;
        if (Float.isInfinite(hi) && !Double.isInfinite(s)) {
            ScalarMathKernel.mulDifferenceWidened(y, yo, g, go, s, r, ro, n);
            return;
        }
        float lo = Float.isInfinite(hi) ? 0f : (float) (s - hi);
        FloatVector sHi = FloatVector.broadcast(FLOATS, hi);
        FloatVector sLo = FloatVector.broadcast(FLOATS, lo);
        int lanes = FLOATS.length();
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += lanes) {
            FloatVector d = ((FloatVector) FLOATS.fromArray(g, go + i)).sub(sHi).sub(sLo);
            ((FloatVector) FLOATS.fromArray(y, yo + i)).mul(d).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = y[yo + i] * ((g[go + i] - hi) - lo);
        }
    }

    /**
     * silu's backward from its sigmoid: {@code r[ro + i] = g (s (1 + x (1 - s)))} with s = s[i]
     * (the sigmoid of x, computed ahead into scratch), as {@link Elementwise#siluGrad}; r may be g
     * or x at the same offset (each lane is read before it is stored).
     */
    static void siluGrad(double[] g, int go, double[] x, int xo, double[] s, double[] r, int ro, int n) {
        DoubleVector one = DoubleVector.broadcast(SPECIES, 1.0);
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector si = (DoubleVector) SPECIES.fromArray(s, i);
            DoubleVector v = (DoubleVector) SPECIES.fromArray(x, xo + i);
            DoubleVector f = si.mul(one.add(v.mul(one.sub(si))));
            ((DoubleVector) SPECIES.fromArray(g, go + i)).mul(f).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            double si = s[i];
            r[ro + i] = g[go + i] * (si * (1 + x[xo + i] * (1 - si)));
        }
    }

    /** {@link #siluGrad(double[], int, double[], int, double[], double[], int, int)} of floats, in float arithmetic. */
    static void siluGrad(float[] g, int go, float[] x, int xo, float[] s, float[] r, int ro, int n) {
        FloatVector one = FloatVector.broadcast(FLOATS, 1f);
        int lanes = FLOATS.length();
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += lanes) {
            FloatVector si = (FloatVector) FLOATS.fromArray(s, i);
            FloatVector v = (FloatVector) FLOATS.fromArray(x, xo + i);
            FloatVector f = si.mul(one.add(v.mul(one.sub(si))));
            ((FloatVector) FLOATS.fromArray(g, go + i)).mul(f).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            float si = s[i];
            r[ro + i] = g[go + i] * (si * (1f + x[xo + i] * (1f - si)));
        }
    }

    static void subtractScaled(double[] g, int go, double[] e, int eo, double s, double[] r, int ro, int n) {
        DoubleVector sv = DoubleVector.broadcast(SPECIES, s);
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector p = ((DoubleVector) SPECIES.fromArray(e, eo + i)).mul(sv);
            ((DoubleVector) SPECIES.fromArray(g, go + i)).sub(p).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = g[go + i] - e[eo + i] * s;
        }
    }

    /**
     * {@link MathKernel#subtractScaled(float[], int, float[], int, double, float[], int, int)}: float
     * arithmetic on full float vectors.
     */
    static void subtractScaled(float[] g, int go, float[] e, int eo, double s, float[] r, int ro, int n) {
        float hi = (float) s;
        if (!ScalarMathKernel.floatScale(s, hi)) {
            ScalarMathKernel.subtractScaledWidened(g, go, e, eo, s, r, ro, n);
            return;
        }
        FloatVector sv = FloatVector.broadcast(FLOATS, hi);
        int lanes = FLOATS.length();
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += lanes) {
            FloatVector p = ((FloatVector) FLOATS.fromArray(e, eo + i)).mul(sv);
            ((FloatVector) FLOATS.fromArray(g, go + i)).sub(p).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = g[go + i] - e[eo + i] * hi;
        }
    }

    /** {@link MathKernel#scaledDifference(double, double[], int, double[], int, double[], int, int)}. */
    static void scaledDifference(double c, double[] a, int ao, double[] b, int bo, double[] r, int ro, int n) {
        DoubleVector cv = DoubleVector.broadcast(SPECIES, c);
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            ((DoubleVector) SPECIES.fromArray(a, ao + i)).sub((DoubleVector) SPECIES.fromArray(b, bo + i)).mul(cv).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = (a[ao + i] - b[bo + i]) * c;
        }
    }

    /**
     * {@link MathKernel#scaledDifference(double, float[], int, float[], int, float[], int, int)}: the
     * float64 loop on part-0 widenings, narrowed by a part-0 cast (as {@link VectorConversions}),
     * whose store writes zeros past its lanes that the next store overwrites.
     */
    static void scaledDifference(double c, float[] a, int ao, float[] b, int bo, float[] r, int ro, int n) {
        DoubleVector cv = DoubleVector.broadcast(SPECIES, c);
        int i = 0;
        for (int bound = n - FLOATS.length(); i <= bound; i += LANES) {
            DoubleVector x = (DoubleVector) ((FloatVector) FLOATS.fromArray(a, ao + i)).castShape(SPECIES, 0);
            DoubleVector y = (DoubleVector) ((FloatVector) FLOATS.fromArray(b, bo + i)).castShape(SPECIES, 0);
            ((FloatVector) x.sub(y).mul(cv).castShape(FLOATS, 0)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = (float) (((double) a[ao + i] - b[bo + i]) * c);
        }
    }

    /** {@code r[ro + i] += a[ao + i]} with each float widened exactly (a float32 bias gradient's rows). */
    static void addWidenedTo(float[] a, int ao, double[] r, int ro, int n) {
        int i = 0;
        // part 0 conversions only, as VectorConversions' (see the note there)
        for (int bound = n - FLOATS.length(); i <= bound; i += LANES) {
            DoubleVector w = (DoubleVector) ((FloatVector) FLOATS.fromArray(a, ao + i)).castShape(SPECIES, 0);
            ((DoubleVector) SPECIES.fromArray(r, ro + i)).add(w).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] += a[ao + i];
        }
    }

    /** relu on floats: a blend, as the float64 kernel's (NaN and -0 pass through). */
    static void relu(float[] a, int ao, float[] r, int ro, int n) {
        int i = 0;
        FloatVector zero = FloatVector.zero(FLOATS);
        for (int bound = FLOATS.loopBound(n); i < bound; i += FLOATS.length()) {
            FloatVector x = (FloatVector) FLOATS.fromArray(a, ao + i);
            x.blend(zero, x.compare(VectorOperators.LT, 0.0f)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            float x = a[ao + i];
            r[ro + i] = x < 0 ? 0.0f : x;
        }
    }

    /** |a| on floats (the sign bit cleared, a NaN's too), a loop the JIT does not vectorize by itself. */
    static void abs(float[] a, int ao, float[] r, int ro, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FLOATS.length()) {
            // the sign bit masked off, as the tail does: lanewise(ABS) kept a NaN's sign until compiled
            ((FloatVector) FLOATS.fromArray(a, ao + i)).viewAsIntegralLanes().lanewise(VectorOperators.AND, 0x7fffffff)
                    .viewAsFloatingLanes().intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = Float.intBitsToFloat(Float.floatToRawIntBits(a[ao + i]) & 0x7fffffff);
        }
    }

    /** -a on floats (the sign bit flipped). */
    static void neg(float[] a, int ao, float[] r, int ro, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FLOATS.length()) {
            ((FloatVector) FLOATS.fromArray(a, ao + i)).neg().intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = -a[ao + i];
        }
    }

    /** relu's backward on floats: {@code x > 0 ? g : +0}, g contiguous ({@code gs} 1) or one value ({@code gs} 0). */
    static void reluGrad(float[] g, int go, int gs, float[] x, int xo, float[] r, int ro, int n) {
        int i = 0;
        FloatVector zero = FloatVector.zero(FLOATS);
        int bound = FLOATS.loopBound(n);
        if (gs == 0) {
            FloatVector gv = FloatVector.broadcast(FLOATS, g[go]);
            for (; i < bound; i += FLOATS.length()) {
                zero.blend(gv, ((FloatVector) FLOATS.fromArray(x, xo + i)).compare(VectorOperators.GT, 0.0f)).intoArray(r, ro + i);
            }
        } else {
            for (; i < bound; i += FLOATS.length()) {
                zero.blend((FloatVector) FLOATS.fromArray(g, go + i), ((FloatVector) FLOATS.fromArray(x, xo + i)).compare(VectorOperators.GT, 0.0f))
                        .intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            r[ro + i] = x[xo + i] > 0 ? g[go + i * gs] : 0.0f;
        }
    }
}
