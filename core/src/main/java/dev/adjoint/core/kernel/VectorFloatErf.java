package dev.adjoint.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * erf of floats in float32 arithmetic, for {@link VectorMathKernel}, with
 * the conventions of {@link VectorFloatExp}: exact IEEE operations only, a scalar twin for tails and
 * for vectors with a lane out of range. Below 1 in magnitude {@code x Q(x^2)}; from 1 to 4 {@code 1
 * - e^(-x^2) H(|x| - 2.5)} with x's sign; from 4 on +-1 (erf(4) rounds to 1 in float). Q (degree 6,
 * its constant term kept as Q(0) - 1 so that x Q is x plus a correction)
 * and H (degree 12) are Chebyshev fits by mpmath's {@code chebyfit} at 40 digits of {@code erf(sqrt
 * u) / sqrt u} on [0, 1] and of {@code erfc(x) e^(x^2)} on [1, 4], coefficients rounded to float.
 * Every lane computes both branches and the blend picks one. Within one ulp of the correctly
 * rounded result (Float32ElementwiseTest; exhaustively in bench/RESULTS.md).
 */
final class VectorFloatErf {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private VectorFloatErf() {
    }

    /** The vector path covers |x| <= this (x^2 stays within exp's polynomial range); beyond, +-1 lane by lane. */
    private static final float LIMIT = 9f;
    /** From here on erf rounds to +-1 in float. */
    private static final float ONE_FROM = 4f;
    private static final float MIDDLE = 2.5f;
    private static final float Q0 = 7.875875e-05f, Q1 = -0.00080168643f, Q2 = 0.0051890872f, Q3 = -0.026854211f,
            Q4 = 0.11283594f, Q5 = -0.37612626f, Q6_MINUS_ONE = 0.12837917f;
    private static final float H0 = 1.0301513e-07f, H1 = -4.2647343e-07f, H2 = 9.763902e-07f, H3 = -3.7472737e-06f,
            H4 = 1.6114107e-05f, H5 = -5.9523158e-05f, H6 = 0.00021091796f, H7 = -0.00073315296f, H8 = 0.0024670658f,
            H9 = -0.0080016935f, H10 = 0.024937995f, H11 = -0.07434734f, H12 = 0.21080637f;
    private static final int SIGN_BIT = Integer.MIN_VALUE;
    private static final FloatVector V_LIMIT = FloatVector.broadcast(SPECIES, LIMIT);
    private static final FloatVector V_ONE_FROM = FloatVector.broadcast(SPECIES, ONE_FROM);
    private static final FloatVector V_MIDDLE = FloatVector.broadcast(SPECIES, MIDDLE);
    private static final FloatVector V_Q0 = FloatVector.broadcast(SPECIES, Q0), V_Q1 = FloatVector.broadcast(SPECIES, Q1),
            V_Q2 = FloatVector.broadcast(SPECIES, Q2), V_Q3 = FloatVector.broadcast(SPECIES, Q3), V_Q4 = FloatVector.broadcast(SPECIES, Q4),
            V_Q5 = FloatVector.broadcast(SPECIES, Q5), V_Q6_MINUS_ONE = FloatVector.broadcast(SPECIES, Q6_MINUS_ONE);
    private static final FloatVector V_H0 = FloatVector.broadcast(SPECIES, H0), V_H1 = FloatVector.broadcast(SPECIES, H1),
            V_H2 = FloatVector.broadcast(SPECIES, H2), V_H3 = FloatVector.broadcast(SPECIES, H3), V_H4 = FloatVector.broadcast(SPECIES, H4),
            V_H5 = FloatVector.broadcast(SPECIES, H5), V_H6 = FloatVector.broadcast(SPECIES, H6), V_H7 = FloatVector.broadcast(SPECIES, H7),
            V_H8 = FloatVector.broadcast(SPECIES, H8), V_H9 = FloatVector.broadcast(SPECIES, H9), V_H10 = FloatVector.broadcast(SPECIES, H10),
            V_H11 = FloatVector.broadcast(SPECIES, H11), V_H12 = FloatVector.broadcast(SPECIES, H12);

    /**
     * x Q(u), u = x^2, as x + x (Q(u) - 1) with one rounding at the end (Q(0) = 2 / sqrt(pi) is not a
     * float, 2 / sqrt(pi) - 1 is one to a far smaller error), by Horner's rule.
     */
    private static float small(float x, float u) {
        float q = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Q0, u, Q1), u, Q2), u, Q3), u, Q4), u, Q5), u, Q6_MINUS_ONE);
        return Math.fma(x, q, x);
    }

    /**
     * H(t) by Estrin's scheme (H0 is t^12's coefficient, H12 the constant): pairs, then pairs of
     * pairs in t^2, t^4, t^8, so the vector loop is not bound by a chain of twelve multiply-adds.
     */
    private static float h(float t) {
        float t2 = t * t;
        float t4 = t2 * t2;
        float t8 = t4 * t4;
        float f0 = Math.fma(Math.fma(H9, t, H10), t2, Math.fma(H11, t, H12));
        float f1 = Math.fma(Math.fma(H5, t, H6), t2, Math.fma(H7, t, H8));
        float f2 = Math.fma(Math.fma(H1, t, H2), t2, Math.fma(H3, t, H4));
        return Math.fma(Math.fma(H0, t4, f2), t8, Math.fma(f1, t4, f0));
    }

    /** 1 - e^(-u) H(ax - 2.5) for 1 <= ax < 4, u = ax^2. */
    private static float large(float ax, float u) {
        return 1f - VectorFloatExp.expNegAbs(u) * h(ax - MIDDLE);
    }

    /** erf(x) in float32 arithmetic. */
    static float erf(float x) {
        float ax = Math.abs(x);
        if (!(ax < ONE_FROM)) {
            return Float.isNaN(x) ? x : Math.copySign(1f, x);
        }
        float u = x * x;
        return ax < 1f ? small(x, u) : Math.copySign(large(ax, u), x);
    }

    /** erf's blocks: two passes over one block stay in the first-level cache. */
    private static final int BLOCK = 512;

    // NOTE: two passes per block through scratch, as softplus (VectorFloatLog): in one loop, exp's
    // polynomial beside Q and H left the vectors boxed in a JVM whose shared profiles other shapes
    // had polluted (PollutedProfilesTest). The first pass writes to scratch, so that r may be a.
    /** {@code r[ro + i] = erf(a[ao + i])} for i in [0, n); r may be a at the same offset. */
    static void erf(float[] a, int ao, float[] r, int ro, int n) {
        float[] e = Scratch.floats(Scratch.MATH, Math.min(n, BLOCK));
        for (int from = 0; from < n; from += BLOCK) {
            int length = Math.min(BLOCK, n - from);
            expOfMinusSquare(a, ao + from, e, length);
            erfFromExp(a, ao + from, e, r, ro + from, length);
        }
    }

    /**
     * {@code e[i] = exp(-x^2)} for x = a[ao + i], by {@link VectorFloatExp#expNegAbs}'s operations on
     * x^2, for each whole vector whose lanes are all within [-9, 9]; the other vectors and the tail are
     * left as they were.
     */
    private static void expOfMinusSquare(float[] a, int ao, float[] e, int n) {
        FloatVector limit = V_LIMIT;
        FloatVector one = VectorFloatExp.V_ONE;
        FloatVector log2e = VectorFloatExp.V_LOG2E;
        FloatVector shifter = VectorFloatExp.V_SHIFTER;
        FloatVector ln2Hi = VectorFloatExp.V_LN2_HI;
        FloatVector ln2Lo = VectorFloatExp.V_LN2_LO;
        FloatVector c0 = VectorFloatExp.V_C0, c1 = VectorFloatExp.V_C1, c2 = VectorFloatExp.V_C2;
        FloatVector c3 = VectorFloatExp.V_C3, c4 = VectorFloatExp.V_C4, c5 = VectorFloatExp.V_C5;
        IntVector bias = VectorFloatExp.V_BIAS;
        for (int i = 0, bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector x = (FloatVector) SPECIES.fromArray(a, ao + i);
            if (x.abs().compare(VectorOperators.LE, limit).allTrue()) {
                FloatVector d = x.mul(x).neg();
                FloatVector tk = d.fma(log2e, shifter);
                FloatVector minusK = shifter.sub(tk);
                FloatVector y = minusK.fma(ln2Lo, minusK.fma(ln2Hi, d));
                FloatVector y2 = y.mul(y);
                FloatVector y4 = y2.mul(y2);
                FloatVector p = c5.fma(y, c4).fma(y4, c3.fma(y, c2).fma(y2, c1.fma(y, c0)));
                FloatVector scale = tk.viewAsIntegralLanes().sub(bias).lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes();
                y2.fma(p, y).add(one).mul(scale).intoArray(e, i);
            }
        }
    }

    /**
     * erf from the e = exp(-x^2) that {@link #expOfMinusSquare} wrote, for the vectors it wrote (the
     * same test picks them): both branches in every lane, then the blend; the other vectors and the
     * tail by {@link #erf(float)}. Each vector of a is read before r's is written, so r may be a.
     */
    private static void erfFromExp(float[] a, int ao, float[] ex, float[] r, int ro, int n) {
        FloatVector limit = V_LIMIT;
        FloatVector oneFrom = V_ONE_FROM;
        FloatVector middle = V_MIDDLE;
        FloatVector one = VectorFloatExp.V_ONE;
        FloatVector q0 = V_Q0, q1 = V_Q1, q2 = V_Q2, q3 = V_Q3, q4 = V_Q4, q5 = V_Q5, q6 = V_Q6_MINUS_ONE;
        FloatVector h0 = V_H0, h1 = V_H1, h2 = V_H2, h3 = V_H3, h4 = V_H4, h5 = V_H5, h6 = V_H6;
        FloatVector h7 = V_H7, h8 = V_H8, h9 = V_H9, h10 = V_H10, h11 = V_H11, h12 = V_H12;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector x = (FloatVector) SPECIES.fromArray(a, ao + i);
            FloatVector ax = x.abs();
            if (ax.compare(VectorOperators.LE, limit).allTrue()) {
                FloatVector u = x.mul(x);
                FloatVector q = q0.fma(u, q1).fma(u, q2).fma(u, q3).fma(u, q4).fma(u, q5).fma(u, q6);
                FloatVector small = x.fma(q, x);
                FloatVector t = ax.sub(middle);
                FloatVector t2 = t.mul(t);
                FloatVector t4 = t2.mul(t2);
                FloatVector t8 = t4.mul(t4);
                FloatVector f0 = h9.fma(t, h10).fma(t2, h11.fma(t, h12));
                FloatVector f1 = h5.fma(t, h6).fma(t2, h7.fma(t, h8));
                FloatVector f2 = h1.fma(t, h2).fma(t2, h3.fma(t, h4));
                FloatVector h = h0.fma(t4, f2).fma(t8, f1.fma(t4, f0));
                FloatVector e = (FloatVector) SPECIES.fromArray(ex, i);
                FloatVector large = one.sub(e.mul(h)).blend(one, ax.compare(VectorOperators.GE, oneFrom));
                // x's sign onto large (large >= 0), then the small branch below 1
                FloatVector signed = large.viewAsIntegralLanes().or(x.viewAsIntegralLanes().and(SIGN_BIT)).viewAsFloatingLanes();
                VectorMask<Float> below = ax.compare(VectorOperators.LT, one);
                signed.blend(small, below).intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = erf(a[ao + j]);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = erf(a[ao + i]);
        }
    }
}
