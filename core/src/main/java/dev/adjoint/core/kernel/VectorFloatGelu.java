package dev.adjoint.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * gelu of floats and its backward in float32 arithmetic, for {@link VectorMathKernel}, with the
 * conventions of {@link VectorFloatExp}: exact IEEE operations only, a scalar twin for tails and
 * for vectors with a lane out of range. {@code gelu(x) = x Phi(x)} with {@code Phi(-a) = e^(-a^2/2)
 * R(t)} for {@code a = |x|}, {@code t = (a - 3.5) / (a + 3.5)}, and {@code Phi(a) = 1 - Phi(-a)}:
 * no {@code 1 + erf} to cancel for negative x, where the composite {@code x/2 (1 + erf(x / sqrt
 * 2))} in float32 loses its relative precision (every digit below about -5). R, of degree 10, is
 * a Chebyshev fit by mpmath's {@code chebyfit} (40 digits) of {@code Phi(-a) e^(a^2/2)} in t for a
 * in [0, 9.5], coefficients rounded to float (relative error 2.6e-8). {@code e^(-a^2/2) = e^(-h/2)
 * (1 - l/2)} with {@code a^2 = h + l} exactly (one fma), {@code e^(-h/2)} by {@link
 * VectorFloatExp#expNegAbs}'s operations. Lanes with {@code |x| >= 9.5}, and NaN, take the float64
 * function rounded ({@link ErrorFunction#gelu}). The backward, {@code g (Phi(x) + x phi(x))},
 * shares the exponential: {@code phi(x) = e^(-x^2/2) / sqrt(2 pi)}. Error bounds:
 * Float32ElementwiseTest and ElementwiseOpsTest; measurements: bench/RESULTS.md.
 */
final class VectorFloatGelu {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private VectorFloatGelu() {
    }

    private static final float MIDDLE = 3.5f;
    /** The vector path covers |x| below this (R's fitted range). */
    private static final float LIMIT = 9.5f;
    private static final float INVERSE_SQRT_TWO_PI = (float) Elementwise.INVERSE_SQRT_TWO_PI;
    /** R(t): coefficients of t^k, lowest k first. */
    private static final float R0 = 0.106345154f, R1 = -0.1871397f, R2 = 0.12585525f, R3 = -0.06163944f,
            R4 = 0.019065734f, R5 = -0.0015612709f, R6 = -0.0013821182f, R7 = 0.0003892629f, R8 = 0.00013477176f,
            R9 = -5.0123737e-05f, R10 = -2.005708e-05f;
    /** Below this magnitude {@code Phi(x) = 1/2 + x S(x^2)}. */
    private static final float SMALL = 1f;
    /** S(u) = (Phi(sqrt u) - 1/2) / sqrt u on [0, 1]: coefficients of u^k, lowest k first. */
    private static final float S0 = 0.3989423f, S1 = -0.06649036f, S2 = 0.009973329f, S3 = -0.001186344f,
            S4 = 0.0001135023f, S5 = -7.660538e-06f;
    private static final FloatVector V_SMALL = FloatVector.broadcast(SPECIES, SMALL);
    private static final FloatVector V_HALF = FloatVector.broadcast(SPECIES, 0.5f);
    private static final FloatVector V_S0 = FloatVector.broadcast(SPECIES, S0), V_S1 = FloatVector.broadcast(SPECIES, S1),
            V_S2 = FloatVector.broadcast(SPECIES, S2), V_S3 = FloatVector.broadcast(SPECIES, S3),
            V_S4 = FloatVector.broadcast(SPECIES, S4), V_S5 = FloatVector.broadcast(SPECIES, S5);
    private static final FloatVector V_MIDDLE = FloatVector.broadcast(SPECIES, MIDDLE);
    private static final FloatVector V_LIMIT = FloatVector.broadcast(SPECIES, LIMIT);
    private static final FloatVector V_MINUS_HALF = FloatVector.broadcast(SPECIES, -0.5f);
    private static final FloatVector V_INVERSE_SQRT_TWO_PI = FloatVector.broadcast(SPECIES, INVERSE_SQRT_TWO_PI);
    private static final FloatVector V_R0 = FloatVector.broadcast(SPECIES, R0), V_R1 = FloatVector.broadcast(SPECIES, R1),
            V_R2 = FloatVector.broadcast(SPECIES, R2), V_R3 = FloatVector.broadcast(SPECIES, R3),
            V_R4 = FloatVector.broadcast(SPECIES, R4), V_R5 = FloatVector.broadcast(SPECIES, R5),
            V_R6 = FloatVector.broadcast(SPECIES, R6), V_R7 = FloatVector.broadcast(SPECIES, R7),
            V_R8 = FloatVector.broadcast(SPECIES, R8), V_R9 = FloatVector.broadcast(SPECIES, R9),
            V_R10 = FloatVector.broadcast(SPECIES, R10);

    /** e^(-a^2/2) for 0 <= a < 9.5. */
    private static float halfGaussian(float ax) {
        float h = ax * ax;
        float l = Math.fma(ax, ax, -h);
        float e = VectorFloatExp.expNegAbs(h * 0.5f);
        return Math.fma(e, l * -0.5f, e);
    }

    /** R((a - 3.5) / (a + 3.5)) by Estrin's scheme. */
    private static float ratio(float ax) {
        float t = (ax - MIDDLE) / (ax + MIDDLE);
        float t2 = t * t;
        float t4 = t2 * t2;
        float t8 = t4 * t4;
        float p0 = Math.fma(Math.fma(R3, t, R2), t2, Math.fma(R1, t, R0));
        float p1 = Math.fma(Math.fma(R7, t, R6), t2, Math.fma(R5, t, R4));
        float p2 = Math.fma(Math.fma(R10, t, R9), t, R8);
        return Math.fma(p2, t8, Math.fma(p1, t4, p0));
    }

    /** Phi(x) for |x| < 9.5 from e = e^(-x^2/2): 1/2 + x S(x^2) below 1, else e R(t) or 1 - e R(t). */
    private static float cdf(float x, float ax, float e) {
        if (ax < SMALL) {
            float u = x * x;
            float u2 = u * u;
            float s = Math.fma(Math.fma(Math.fma(S5, u, S4), u2, Math.fma(S3, u, S2)), u2, Math.fma(S1, u, S0));
            return Math.fma(x, s, 0.5f);
        }
        float q = e * ratio(ax);
        return x < 0 ? q : 1f - q;
    }

    /** gelu(x) in float32 arithmetic (the scalar twin of the vector loop). */
    static float gelu(float x) {
        float ax = Math.abs(x);
        if (!(ax < LIMIT)) {
            return (float) ErrorFunction.gelu(x);
        }
        return x * cdf(x, ax, halfGaussian(ax));
    }

    /** g (Phi(x) + x phi(x)) in float32 arithmetic (the scalar twin of the vector loop). */
    static float geluGrad(float g, float x) {
        float ax = Math.abs(x);
        if (!(ax < LIMIT)) {
            return (float) ErrorFunction.geluGrad(g, x);
        }
        float e = halfGaussian(ax);
        return g * (cdf(x, ax, e) + x * (e * INVERSE_SQRT_TWO_PI));
    }

    /** gelu's blocks: two passes over one block stay in the first-level cache. */
    private static final int BLOCK = 512;

    // NOTE: two passes per block through scratch, as erf's (VectorFloatErf): exp's series and R in
    // one loop risk the boxing that PollutedProfilesTest finds in a polluted JVM. The first pass
    // writes to scratch, so that r may be a (or g, or x).
    /** {@code r[ro + i] = gelu(a[ao + i])} for i in [0, n); r may be a at the same offset. */
    static void gelu(float[] a, int ao, float[] r, int ro, int n) {
        float[] e = Scratch.floats(Scratch.MATH, Math.min(n, BLOCK));
        for (int from = 0; from < n; from += BLOCK) {
            int length = Math.min(BLOCK, n - from);
            halfGaussians(a, ao + from, e, length);
            geluFromGaussians(a, ao + from, e, r, ro + from, length);
        }
    }

    /** {@code r[ro + i] = geluGrad(g[go + i], x[xo + i])} for i in [0, n); r may be g or x at the same offset. */
    static void geluGrad(float[] g, int go, float[] x, int xo, float[] r, int ro, int n) {
        float[] e = Scratch.floats(Scratch.MATH, Math.min(n, BLOCK));
        for (int from = 0; from < n; from += BLOCK) {
            int length = Math.min(BLOCK, n - from);
            halfGaussians(x, xo + from, e, length);
            geluGradFromGaussians(g, go + from, x, xo + from, e, r, ro + from, length);
        }
    }

    /**
     * {@code e[i] = e^(-x^2/2)} for x = a[ao + i] by {@link #halfGaussian}'s operations, for each whole
     * vector whose lanes are all below 9.5 in magnitude; the other vectors and the tail are left as
     * they were.
     */
    private static void halfGaussians(float[] a, int ao, float[] e, int n) {
        FloatVector limit = V_LIMIT;
        FloatVector minusHalf = V_MINUS_HALF;
        FloatVector one = VectorFloatExp.V_ONE;
        FloatVector log2e = VectorFloatExp.V_LOG2E;
        FloatVector shifter = VectorFloatExp.V_SHIFTER;
        FloatVector ln2Hi = VectorFloatExp.V_LN2_HI;
        FloatVector ln2Lo = VectorFloatExp.V_LN2_LO;
        FloatVector c0 = VectorFloatExp.V_C0, c1 = VectorFloatExp.V_C1, c2 = VectorFloatExp.V_C2;
        FloatVector c3 = VectorFloatExp.V_C3, c4 = VectorFloatExp.V_C4, c5 = VectorFloatExp.V_C5;
        IntVector bias = VectorFloatExp.V_BIAS;
        for (int i = 0, bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector ax = ((FloatVector) SPECIES.fromArray(a, ao + i)).abs();
            if (ax.compare(VectorOperators.LT, limit).allTrue()) {
                FloatVector h = ax.mul(ax);
                FloatVector l = ax.fma(ax, h.neg());
                FloatVector d = h.mul(minusHalf);
                FloatVector tk = d.fma(log2e, shifter);
                FloatVector minusK = shifter.sub(tk);
                FloatVector y = minusK.fma(ln2Lo, minusK.fma(ln2Hi, d));
                FloatVector y2 = y.mul(y);
                FloatVector y4 = y2.mul(y2);
                FloatVector p = c5.fma(y, c4).fma(y4, c3.fma(y, c2).fma(y2, c1.fma(y, c0)));
                FloatVector scale = tk.viewAsIntegralLanes().sub(bias).lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes();
                FloatVector e0 = y2.fma(p, y).add(one).mul(scale);
                e0.fma(l.mul(minusHalf), e0).intoArray(e, i);
            }
        }
    }

    /**
     * gelu from the e = e^(-x^2/2) that {@link #halfGaussians} wrote, for the vectors it wrote (the
     * same test picks them); the other vectors and the tail by {@link #gelu(float)}. Each vector of a
     * is read before r's is written, so r may be a.
     */
    private static void geluFromGaussians(float[] a, int ao, float[] ex, float[] r, int ro, int n) {
        FloatVector limit = V_LIMIT;
        FloatVector middle = V_MIDDLE;
        FloatVector one = VectorFloatExp.V_ONE;
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector r0 = V_R0, r1 = V_R1, r2 = V_R2, r3 = V_R3, r4 = V_R4, r5 = V_R5;
        FloatVector r6 = V_R6, r7 = V_R7, r8 = V_R8, r9 = V_R9, r10 = V_R10;
        FloatVector small = V_SMALL;
        FloatVector half = V_HALF;
        FloatVector s0 = V_S0, s1 = V_S1, s2 = V_S2, s3 = V_S3, s4 = V_S4, s5 = V_S5;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector x = (FloatVector) SPECIES.fromArray(a, ao + i);
            FloatVector ax = x.abs();
            if (ax.compare(VectorOperators.LT, limit).allTrue()) {
                FloatVector t = ax.sub(middle).div(ax.add(middle));
                FloatVector t2 = t.mul(t);
                FloatVector t4 = t2.mul(t2);
                FloatVector t8 = t4.mul(t4);
                FloatVector p0 = r3.fma(t, r2).fma(t2, r1.fma(t, r0));
                FloatVector p1 = r7.fma(t, r6).fma(t2, r5.fma(t, r4));
                FloatVector p2 = r10.fma(t, r9).fma(t, r8);
                FloatVector q = ((FloatVector) SPECIES.fromArray(ex, i)).mul(p2.fma(t8, p1.fma(t4, p0)));
                FloatVector u = x.mul(x);
                FloatVector u2 = u.mul(u);
                FloatVector s = s5.fma(u, s4).fma(u2, s3.fma(u, s2)).fma(u2, s1.fma(u, s0));
                FloatVector cdf = one.sub(q).blend(q, x.compare(VectorOperators.LT, zero)).blend(x.fma(s, half), ax.compare(VectorOperators.LT, small));
                x.mul(cdf).intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = gelu(a[ao + j]);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = gelu(a[ao + i]);
        }
    }

    /**
     * gelu's backward from the e = e^(-x^2/2) that {@link #halfGaussians} wrote, as {@link
     * #geluFromGaussians}; the other vectors and the tail by {@link #geluGrad(float, float)}.
     */
    private static void geluGradFromGaussians(float[] g, int go, float[] xs, int xo, float[] ex, float[] r, int ro, int n) {
        FloatVector limit = V_LIMIT;
        FloatVector middle = V_MIDDLE;
        FloatVector one = VectorFloatExp.V_ONE;
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector density = V_INVERSE_SQRT_TWO_PI;
        FloatVector r0 = V_R0, r1 = V_R1, r2 = V_R2, r3 = V_R3, r4 = V_R4, r5 = V_R5;
        FloatVector r6 = V_R6, r7 = V_R7, r8 = V_R8, r9 = V_R9, r10 = V_R10;
        FloatVector small = V_SMALL;
        FloatVector half = V_HALF;
        FloatVector s0 = V_S0, s1 = V_S1, s2 = V_S2, s3 = V_S3, s4 = V_S4, s5 = V_S5;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector x = (FloatVector) SPECIES.fromArray(xs, xo + i);
            FloatVector ax = x.abs();
            if (ax.compare(VectorOperators.LT, limit).allTrue()) {
                FloatVector t = ax.sub(middle).div(ax.add(middle));
                FloatVector t2 = t.mul(t);
                FloatVector t4 = t2.mul(t2);
                FloatVector t8 = t4.mul(t4);
                FloatVector p0 = r3.fma(t, r2).fma(t2, r1.fma(t, r0));
                FloatVector p1 = r7.fma(t, r6).fma(t2, r5.fma(t, r4));
                FloatVector p2 = r10.fma(t, r9).fma(t, r8);
                FloatVector e = (FloatVector) SPECIES.fromArray(ex, i);
                FloatVector q = e.mul(p2.fma(t8, p1.fma(t4, p0)));
                FloatVector u = x.mul(x);
                FloatVector u2 = u.mul(u);
                FloatVector s = s5.fma(u, s4).fma(u2, s3.fma(u, s2)).fma(u2, s1.fma(u, s0));
                FloatVector cdf = one.sub(q).blend(q, x.compare(VectorOperators.LT, zero)).blend(x.fma(s, half), ax.compare(VectorOperators.LT, small));
                FloatVector gv = (FloatVector) SPECIES.fromArray(g, go + i);
                gv.mul(cdf.add(x.mul(e.mul(density)))).intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = geluGrad(g[go + j], xs[xo + j]);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = geluGrad(g[go + i], xs[xo + i]);
        }
    }
}
