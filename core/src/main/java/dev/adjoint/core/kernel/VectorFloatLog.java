package dev.adjoint.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * log, log1p and softplus of floats in float32 arithmetic, for {@link VectorMathKernel}, with the
 * conventions of {@link VectorFloatExp}: only exact IEEE operations (the same bits compiled or
 * interpreted), a scalar twin for tails and for vectors with a lane out of range.
 *
 * <p>log: x = 2^k m with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact), s = f / (2 + f), and
 * log1p(f) = 2 atanh(s) = f - (f^2/2 - s (f^2/2 + R(s^2))) with R the series of 2 atanh(s) / s - 2
 * (four terms), so the large term f is exact and the rest a small correction; then k ln2 added in
 * two parts. Lanes that are not positive normal floats (0, negatives, subnormals, infinities, NaN)
 * take {@code (float) Math.log}. Within one ulp of the correctly rounded result.
 *
 * <p>softplus: max(x, 0) + log1p(e) with e = exp(-|x|) ({@link VectorFloatExp}'s polynomial) and
 * log1p(e), e in (0, 1], by the same atanh form without a reduction (s <= 1/3, seven terms).
 * Lanes with |x| > 87, and NaN, go lane by lane.
 *
 * <p>log1p: log(u) + e / u with u = 1 + x and e that sum's rounding error (exact by Knuth's
 * two-sum), within one ulp of the correctly rounded result at every float.
 */
final class VectorFloatLog {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private VectorFloatLog() {
    }

    /** The bits of sqrt(1/2) rounded: subtracted, the exponent field counts k from there. */
    private static final int SQRT_HALF_BITS = 0x3f3504f3;
    private static final int MANTISSA_BITS = 23;
    /** 2 / (2j + 1) for j = 1, 2, ...: the series of 2 atanh(s) / s - 2 in z = s^2. */
    private static final float L1 = 2f / 3, L2 = 2f / 5, L3 = 2f / 7, L4 = 2f / 9, L5 = 2f / 11, L6 = 2f / 13, L7 = 2f / 15;
    private static final FloatVector V_MIN_NORMAL = FloatVector.broadcast(SPECIES, Float.MIN_NORMAL);
    private static final FloatVector V_MAX = FloatVector.broadcast(SPECIES, Float.MAX_VALUE);
    private static final FloatVector V_HALF = FloatVector.broadcast(SPECIES, 0.5f);
    private static final FloatVector V_L1 = FloatVector.broadcast(SPECIES, L1), V_L2 = FloatVector.broadcast(SPECIES, L2),
            V_L3 = FloatVector.broadcast(SPECIES, L3), V_L4 = FloatVector.broadcast(SPECIES, L4),
            V_L5 = FloatVector.broadcast(SPECIES, L5), V_L6 = FloatVector.broadcast(SPECIES, L6),
            V_L7 = FloatVector.broadcast(SPECIES, L7);
    private static final IntVector V_SQRT_HALF_BITS = IntVector.broadcast(IntVector.SPECIES_PREFERRED, SQRT_HALF_BITS);

    // ---------------------------------------------------------------- log

    /** log(x) for a positive normal float x by the reduction above. */
    static float logPoly(float x) {
        int bits = Float.floatToRawIntBits(x);
        int k = (bits - SQRT_HALF_BITS) >> MANTISSA_BITS;
        float f = Float.intBitsToFloat(bits - (k << MANTISSA_BITS)) - 1f;
        float s = f / (f + 2f);
        float z = s * s;
        float r = z * ((L2 * z + L1) + (L4 * z + L3) * (z * z));
        float hfsq = 0.5f * f * f;
        float dk = k;
        return dk * VectorFloatExp.LN2_HI - ((hfsq - (s * (hfsq + r) + dk * VectorFloatExp.LN2_LO)) - f);
    }

    /** log(x): the polynomial on positive normal floats, {@code (float) Math.log} otherwise. */
    static float log(float x) {
        return x >= Float.MIN_NORMAL && x <= Float.MAX_VALUE ? logPoly(x) : (float) Math.log(x);
    }

    /** {@code r[ro + i] = log(a[ao + i])} for i in [0, n); r may be a at the same offset. */
    static void log(float[] a, int ao, float[] r, int ro, int n) {
        FloatVector minNormal = V_MIN_NORMAL;
        FloatVector max = V_MAX;
        FloatVector one = VectorFloatExp.V_ONE;
        FloatVector two = VectorFloatExp.V_TWO;
        FloatVector half = V_HALF;
        FloatVector ln2Hi = VectorFloatExp.V_LN2_HI;
        FloatVector ln2Lo = VectorFloatExp.V_LN2_LO;
        FloatVector l1 = V_L1, l2 = V_L2, l3 = V_L3, l4 = V_L4;
        IntVector sqrtHalf = V_SQRT_HALF_BITS;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector x = (FloatVector) SPECIES.fromArray(a, ao + i);
            if (x.compare(VectorOperators.GE, minNormal).and(x.compare(VectorOperators.LE, max)).allTrue()) {
                IntVector bits = x.viewAsIntegralLanes();
                IntVector k = bits.sub(sqrtHalf).lanewise(VectorOperators.ASHR, MANTISSA_BITS);
                FloatVector f = bits.sub(k.lanewise(VectorOperators.LSHL, MANTISSA_BITS)).viewAsFloatingLanes().sub(one);
                FloatVector s = f.div(f.add(two));
                FloatVector z = s.mul(s);
                FloatVector series = z.mul(l2.mul(z).add(l1).add(l4.mul(z).add(l3).mul(z.mul(z))));
                FloatVector hfsq = half.mul(f).mul(f);
                FloatVector dk = (FloatVector) k.convert(VectorOperators.I2F, 0);
                FloatVector rest = hfsq.sub(s.mul(hfsq.add(series)).add(dk.mul(ln2Lo))).sub(f);
                dk.mul(ln2Hi).sub(rest).intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = log(a[ao + j]);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = log(a[ao + i]);
        }
    }

    // ---------------------------------------------------------------- log1p

    /**
     * log1p(x) = log(u) + e / u with u = 1 + x rounded and e its rounding error (Knuth's two-sum,
     * exact), log(u) by {@link #logPoly}; zeros (log(1) + 0 would turn -0 into +0) and u outside the
     * positive normal floats (x <= -1, NaN, infinities) take {@code (float) Math.log1p}.
     */
    static float log1p(float x) {
        float u = 1f + x;
        if (!(u >= Float.MIN_NORMAL && u <= Float.MAX_VALUE && Math.abs(x) >= Float.MIN_VALUE)) {
            return (float) Math.log1p(x);
        }
        float back = u - x;
        float e = (1f - back) + (x - (u - back));
        return logPoly(u) + e / u;
    }

    /** log1p's blocks: three passes over one block stay in the first-level cache. */
    private static final int LOG1P_BLOCK = 512;
    /** The least positive float: |x| at or above it is not a zero. */
    private static final FloatVector V_TINY = FloatVector.broadcast(SPECIES, Float.MIN_VALUE);

    // NOTE: three passes per block, as VectorLog's log1p (which says why). The first pass copies x,
    // so that r may be a.
    /** {@code r[ro + i] = log1p(a[ao + i])} for i in [0, n); r may be a at the same offset. */
    static void log1p(float[] a, int ao, float[] r, int ro, int n) {
        int block = Math.min(n, LOG1P_BLOCK);
        float[] s = Scratch.floats(Scratch.MATH, 3 * block);
        for (int from = 0; from < n; from += LOG1P_BLOCK) {
            int length = Math.min(LOG1P_BLOCK, n - from);
            sumsAndCorrections(a, ao + from, s, block, length);
            log(s, 0, r, ro + from, length);
            addCorrections(s, block, r, ro + from, length);
        }
    }

    /**
     * For x = a[ao + i]: {@code s[i] = u = 1 + x}, {@code s[block + i] = x} and {@code s[2 block + i]
     * = e / u} with e the sum's rounding error, as {@link #log1p(float)} computes them.
     */
    private static void sumsAndCorrections(float[] a, int ao, float[] s, int block, int n) {
        FloatVector one = VectorFloatExp.V_ONE;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector x = (FloatVector) SPECIES.fromArray(a, ao + i);
            FloatVector u = one.add(x);
            FloatVector back = u.sub(x);
            u.intoArray(s, i);
            x.intoArray(s, block + i);
            one.sub(back).add(x.sub(u.sub(back))).div(u).intoArray(s, 2 * block + i);
        }
        for (; i < n; i++) {
            float x = a[ao + i];
            s[i] = 1f + x;
            s[block + i] = x;
        }
    }

    /**
     * {@code r[ro + i] += s[2 block + i]} (log(u) plus its correction) for each whole vector whose
     * lanes' u are all positive normal floats and whose x are all non-zero; the other vectors and
     * the tail by {@link #log1p(float)} of the x kept in scratch.
     */
    private static void addCorrections(float[] s, int block, float[] r, int ro, int n) {
        FloatVector tiny = V_TINY;
        FloatVector minNormal = V_MIN_NORMAL;
        FloatVector max = V_MAX;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector u = (FloatVector) SPECIES.fromArray(s, i);
            FloatVector x = (FloatVector) SPECIES.fromArray(s, block + i);
            if (u.compare(VectorOperators.GE, minNormal).and(u.compare(VectorOperators.LE, max))
                    .and(x.abs().compare(VectorOperators.GE, tiny)).allTrue()) {
                ((FloatVector) SPECIES.fromArray(r, ro + i)).add((FloatVector) SPECIES.fromArray(s, 2 * block + i)).intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = log1p(s[block + j]);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = log1p(s[block + i]);
        }
    }

    // ---------------------------------------------------------------- softplus

    /** log1p(e) for e in [0, 1] (no reduction: s = e / (2 + e) <= 1/3), by seven series terms. */
    private static float log1pSmall(float e) {
        float s = e / (e + 2f);
        float z = s * s;
        float z2 = z * z;
        float series = z * (((L2 * z + L1) + (L4 * z + L3) * z2) + ((L6 * z + L5) + L7 * z2) * (z2 * z2));
        float hfsq = 0.5f * e * e;
        return e - (hfsq - s * (hfsq + series));
    }

    /** softplus(x) = max(x, 0) + log1p(exp(-|x|)): the float twin of {@link Elementwise#softplus}. */
    static float softplus(float x) {
        float ax = Math.abs(x);
        float e = ax <= VectorFloatExp.RANGE ? VectorFloatExp.expNegAbs(ax) : VectorFloatExp.exp(-ax, 0f);
        return Math.max(x, 0f) + log1pSmall(e);
    }

    /** softplus's blocks: two passes over one block stay in the first-level cache. */
    private static final int BLOCK = 512;

    // NOTE: two passes per block, each its own flat loop, as VectorExp's tanh and sigmoid: in one
    // loop (exp's polynomial, then log1p's) C2 left the loop's vectors boxed in a JVM whose shared
    // profiles other vector shapes had polluted (PollutedProfilesTest). The first pass writes to
    // scratch, so that r may be a.
    /** {@code r[ro + i] = softplus(a[ao + i])} for i in [0, n); r may be a at the same offset. */
    static void softplus(float[] a, int ao, float[] r, int ro, int n) {
        float[] e = Scratch.floats(Scratch.MATH, Math.min(n, BLOCK));
        for (int from = 0; from < n; from += BLOCK) {
            int length = Math.min(BLOCK, n - from);
            expOfNegativeAbs(a, ao + from, e, length);
            softplusFromExp(a, ao + from, e, r, ro + from, length);
        }
    }

    /**
     * {@code e[i] = exp(-|a[ao + i]|)} by {@link VectorFloatExp#expNegAbs}'s operations, for each
     * whole vector whose lanes are all within its range; the other vectors and the tail are left as
     * they were.
     */
    private static void expOfNegativeAbs(float[] a, int ao, float[] e, int n) {
        FloatVector range = VectorFloatExp.V_RANGE;
        FloatVector log2e = VectorFloatExp.V_LOG2E;
        FloatVector shifter = VectorFloatExp.V_SHIFTER;
        FloatVector ln2Hi = VectorFloatExp.V_LN2_HI;
        FloatVector ln2Lo = VectorFloatExp.V_LN2_LO;
        FloatVector one = VectorFloatExp.V_ONE;
        FloatVector c0 = VectorFloatExp.V_C0, c1 = VectorFloatExp.V_C1, c2 = VectorFloatExp.V_C2;
        FloatVector c3 = VectorFloatExp.V_C3, c4 = VectorFloatExp.V_C4, c5 = VectorFloatExp.V_C5;
        IntVector bias = VectorFloatExp.V_BIAS;
        for (int i = 0, bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector ax = ((FloatVector) SPECIES.fromArray(a, ao + i)).abs();
            if (ax.compare(VectorOperators.LE, range).allTrue()) {
                FloatVector d = ax.neg();
                FloatVector t = d.fma(log2e, shifter);
                FloatVector minusK = shifter.sub(t);
                FloatVector y = minusK.fma(ln2Lo, minusK.fma(ln2Hi, d));
                FloatVector y2 = y.mul(y);
                FloatVector y4 = y2.mul(y2);
                FloatVector p = c5.fma(y, c4).fma(y4, c3.fma(y, c2).fma(y2, c1.fma(y, c0)));
                FloatVector scale = t.viewAsIntegralLanes().sub(bias).lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes();
                y2.fma(p, y).add(one).mul(scale).intoArray(e, i);
            }
        }
    }

    /**
     * softplus from the e = exp(-|x|) that {@link #expOfNegativeAbs} wrote, for the vectors it wrote
     * (the same test picks them): max(x, 0) + log1p(e) by {@link #log1pSmall}'s operations; the
     * other vectors and the tail by {@link #softplus(float)}. Each vector of a is read before r's is
     * written, so r may be a.
     */
    private static void softplusFromExp(float[] a, int ao, float[] ex, float[] r, int ro, int n) {
        FloatVector range = VectorFloatExp.V_RANGE;
        FloatVector two = VectorFloatExp.V_TWO;
        FloatVector zero = VectorFloatExp.V_ZERO;
        FloatVector half = V_HALF;
        FloatVector l1 = V_L1, l2 = V_L2, l3 = V_L3, l4 = V_L4, l5 = V_L5, l6 = V_L6, l7 = V_L7;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector x = (FloatVector) SPECIES.fromArray(a, ao + i);
            if (x.abs().compare(VectorOperators.LE, range).allTrue()) {
                FloatVector e = (FloatVector) SPECIES.fromArray(ex, i);
                FloatVector s = e.div(e.add(two));
                FloatVector z = s.mul(s);
                FloatVector z2 = z.mul(z);
                FloatVector series = z.mul(l2.mul(z).add(l1).add(l4.mul(z).add(l3).mul(z2))
                        .add(l6.mul(z).add(l5).add(l7.mul(z2)).mul(z2.mul(z2))));
                FloatVector hfsq = half.mul(e).mul(e);
                FloatVector log1p = e.sub(hfsq.sub(s.mul(hfsq.add(series))));
                // max(x, 0) as a blend (lanewise MAX of floats ran as its boxed Java fallback; a
                // -0 left as it is adds to the same sum)
                x.blend(zero, x.compare(VectorOperators.LT, zero)).add(log1p).intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = softplus(a[ao + j]);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = softplus(a[ao + i]);
        }
    }
}
