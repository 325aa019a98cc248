package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * log of doubles on the Vector API, for {@link VectorMathKernel}, by {@link VectorFloatLog}'s
 * scheme in float64: x = 2^k m with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact), s = f / (2 + f),
 * log1p(f) = f - (f^2/2 - s (f^2/2 + R(s^2))) with R ten terms of the series of 2 atanh(s) / s - 2
 * (by Estrin's scheme), then k ln2 added in two parts; k reaches a double through the shifter's
 * bits, as AVX2 has no instruction that converts longs. Only exact IEEE operations, so the same
 * bits compiled or interpreted; lanes that are not positive normal doubles take {@link Math#log};
 * tails take the same operations in scalar code. Within one ulp of {@link StrictMath#log}
 * (MathKernelTest); log1p, as log of 1 + x plus that sum's rounding error over it, within one ulp
 * of {@link StrictMath#log1p}; softplus within two ulps of its float64 definition.
 */
final class VectorLog {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private VectorLog() {
    }

    /** The bits of sqrt(1/2): subtracted, the exponent field counts k from there. */
    private static final long SQRT_HALF_BITS = Double.doubleToRawLongBits(Math.sqrt(0.5));
    private static final int MANTISSA_BITS = 52;
    /** Adding k to these bits gives 1.5 * 2^52 + k, whose difference from 1.5 * 2^52 is k as a double. */
    private static final double SHIFTER = 0x1.8p52;
    private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
    // ln 2 in two parts, k * LN2_HI exact for |k| < 2^20 (fdlibm's split, as VectorExp's)
    private static final double LN2_HI = 6.93147180369123816490e-01;
    private static final double LN2_LO = 1.90821492927058770002e-10;
    /** 2 / (2j + 1) for j = 1 to 10: on s^2 <= 0.0295 the next term is under 0.01 ulp. */
    private static final double L1 = 2.0 / 3, L2 = 2.0 / 5, L3 = 2.0 / 7, L4 = 2.0 / 9, L5 = 2.0 / 11, L6 = 2.0 / 13,
            L7 = 2.0 / 15, L8 = 2.0 / 17, L9 = 2.0 / 19, L10 = 2.0 / 21;
    private static final DoubleVector V_MIN_NORMAL = DoubleVector.broadcast(SPECIES, Double.MIN_NORMAL);
    private static final DoubleVector V_MAX = DoubleVector.broadcast(SPECIES, Double.MAX_VALUE);
    private static final DoubleVector V_ONE = DoubleVector.broadcast(SPECIES, 1.0);
    private static final DoubleVector V_TWO = DoubleVector.broadcast(SPECIES, 2.0);
    private static final DoubleVector V_HALF = DoubleVector.broadcast(SPECIES, 0.5);
    private static final DoubleVector V_SHIFTER = DoubleVector.broadcast(SPECIES, SHIFTER);
    private static final DoubleVector V_LN2_HI = DoubleVector.broadcast(SPECIES, LN2_HI);
    private static final DoubleVector V_LN2_LO = DoubleVector.broadcast(SPECIES, LN2_LO);
    private static final DoubleVector V_L1 = DoubleVector.broadcast(SPECIES, L1), V_L2 = DoubleVector.broadcast(SPECIES, L2),
            V_L3 = DoubleVector.broadcast(SPECIES, L3), V_L4 = DoubleVector.broadcast(SPECIES, L4),
            V_L5 = DoubleVector.broadcast(SPECIES, L5), V_L6 = DoubleVector.broadcast(SPECIES, L6),
            V_L7 = DoubleVector.broadcast(SPECIES, L7), V_L8 = DoubleVector.broadcast(SPECIES, L8),
            V_L9 = DoubleVector.broadcast(SPECIES, L9), V_L10 = DoubleVector.broadcast(SPECIES, L10);
    private static final LongVector V_SQRT_HALF_BITS = LongVector.broadcast(LongVector.SPECIES_PREFERRED, SQRT_HALF_BITS);
    private static final LongVector V_SHIFTER_BITS = LongVector.broadcast(LongVector.SPECIES_PREFERRED, SHIFTER_BITS);

    /** log(x) for a positive normal double x by the reduction above. */
    static double logPoly(double x) {
        long bits = Double.doubleToRawLongBits(x);
        long k = (bits - SQRT_HALF_BITS) >> MANTISSA_BITS;
        double f = Double.longBitsToDouble(bits - (k << MANTISSA_BITS)) - 1.0;
        double s = f / (f + 2.0);
        double z = s * s;
        double z2 = z * z;
        double z4 = z2 * z2;
        double z8 = z4 * z4;
        double q0 = Math.fma(Math.fma(L4, z, L3), z2, Math.fma(L2, z, L1));
        double q1 = Math.fma(Math.fma(L8, z, L7), z2, Math.fma(L6, z, L5));
        double series = z * Math.fma(Math.fma(L10, z, L9), z8, Math.fma(q1, z4, q0));
        double hfsq = 0.5 * f * f;
        double dk = Double.longBitsToDouble(k + SHIFTER_BITS) - SHIFTER;
        return dk * LN2_HI - ((hfsq - (s * (hfsq + series) + dk * LN2_LO)) - f);
    }

    /** log(x): the polynomial on positive normal doubles, {@link Math#log} otherwise. */
    static double log(double x) {
        return x >= Double.MIN_NORMAL && x <= Double.MAX_VALUE ? logPoly(x) : Math.log(x);
    }

    /** {@code r[ro + i] = log(a[ao + i])} for i in [0, n); r may be a at the same offset. */
    static void log(double[] a, int ao, double[] r, int ro, int n) {
        DoubleVector minNormal = V_MIN_NORMAL;
        DoubleVector max = V_MAX;
        DoubleVector one = V_ONE;
        DoubleVector two = V_TWO;
        DoubleVector half = V_HALF;
        DoubleVector shifter = V_SHIFTER;
        DoubleVector ln2Hi = V_LN2_HI;
        DoubleVector ln2Lo = V_LN2_LO;
        DoubleVector l1 = V_L1, l2 = V_L2, l3 = V_L3, l4 = V_L4, l5 = V_L5, l6 = V_L6, l7 = V_L7, l8 = V_L8, l9 = V_L9, l10 = V_L10;
        LongVector sqrtHalf = V_SQRT_HALF_BITS;
        LongVector shifterBits = V_SHIFTER_BITS;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
            if (x.compare(VectorOperators.GE, minNormal).and(x.compare(VectorOperators.LE, max)).allTrue()) {
                LongVector bits = x.viewAsIntegralLanes();
                LongVector k = bits.sub(sqrtHalf).lanewise(VectorOperators.ASHR, MANTISSA_BITS);
                DoubleVector f = bits.sub(k.lanewise(VectorOperators.LSHL, MANTISSA_BITS)).viewAsFloatingLanes().sub(one);
                DoubleVector s = f.div(f.add(two));
                DoubleVector z = s.mul(s);
                DoubleVector z2 = z.mul(z);
                DoubleVector z4 = z2.mul(z2);
                DoubleVector z8 = z4.mul(z4);
                DoubleVector q0 = l4.fma(z, l3).fma(z2, l2.fma(z, l1));
                DoubleVector q1 = l8.fma(z, l7).fma(z2, l6.fma(z, l5));
                DoubleVector series = z.mul(l10.fma(z, l9).fma(z8, q1.fma(z4, q0)));
                DoubleVector hfsq = half.mul(f).mul(f);
                DoubleVector dk = k.add(shifterBits).viewAsFloatingLanes().sub(shifter);
                DoubleVector rest = hfsq.sub(s.mul(hfsq.add(series)).add(dk.mul(ln2Lo))).sub(f);
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
     * positive normal doubles (x <= -1, NaN, infinities) take {@link Math#log1p}.
     */
    static double log1p(double x) {
        double u = 1.0 + x;
        if (!(u >= Double.MIN_NORMAL && u <= Double.MAX_VALUE && Math.abs(x) >= Double.MIN_VALUE)) {
            return Math.log1p(x);
        }
        double back = u - x;
        double e = (1.0 - back) + (x - (u - back));
        return logPoly(u) + e / u;
    }

    /** log1p's blocks: three passes over one block stay in the first-level cache. */
    private static final int LOG1P_BLOCK = 512;

    // NOTE: three passes per block through scratch: u = 1 + x (and x and the corrections), then
    // log's own loop on u, then the corrections added. Versions whose loop held log's series with
    // the two-sum or the correction's load (in one pass or two, however -0 kept its sign) left
    // vectors boxed (KernelAllocationTest, PollutedProfilesTest); log's loop alone does not. The
    // first pass copies x, so that r may be a.
    /** {@code r[ro + i] = log1p(a[ao + i])} for i in [0, n); r may be a at the same offset. */
    static void log1p(double[] a, int ao, double[] r, int ro, int n) {
        int block = Math.min(n, LOG1P_BLOCK);
        double[] s = Scratch.doubles(Scratch.MATH, 3 * block);
        for (int from = 0; from < n; from += LOG1P_BLOCK) {
            int length = Math.min(LOG1P_BLOCK, n - from);
            sumsAndCorrections(a, ao + from, s, block, length);
            log(s, 0, r, ro + from, length);
            addCorrections(s, block, r, ro + from, length);
        }
    }

    /**
     * For x = a[ao + i]: {@code s[i] = u = 1 + x}, {@code s[block + i] = x} and {@code s[2 block + i]
     * = e / u} with e the sum's rounding error, as {@link #log1p(double)} computes them.
     */
    private static void sumsAndCorrections(double[] a, int ao, double[] s, int block, int n) {
        DoubleVector one = V_ONE;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
            DoubleVector u = one.add(x);
            DoubleVector back = u.sub(x);
            u.intoArray(s, i);
            x.intoArray(s, block + i);
            one.sub(back).add(x.sub(u.sub(back))).div(u).intoArray(s, 2 * block + i);
        }
        for (; i < n; i++) {
            double x = a[ao + i];
            s[i] = 1.0 + x;
            s[block + i] = x;
        }
    }

    /**
     * {@code r[ro + i] += s[2 block + i]} (log(u) plus its correction) for each whole vector whose
     * lanes' u are all positive normal doubles and whose x are all non-zero; the other vectors and
     * the tail by {@link #log1p(double)} of the x kept in scratch.
     */
    private static void addCorrections(double[] s, int block, double[] r, int ro, int n) {
        DoubleVector tiny = V_TINY;
        DoubleVector minNormal = V_MIN_NORMAL;
        DoubleVector max = V_MAX;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector u = (DoubleVector) SPECIES.fromArray(s, i);
            DoubleVector x = (DoubleVector) SPECIES.fromArray(s, block + i);
            if (u.compare(VectorOperators.GE, minNormal).and(u.compare(VectorOperators.LE, max))
                    .and(x.abs().compare(VectorOperators.GE, tiny)).allTrue()) {
                ((DoubleVector) SPECIES.fromArray(r, ro + i)).add((DoubleVector) SPECIES.fromArray(s, 2 * block + i)).intoArray(r, ro + i);
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

    /** 2 / (2j + 1) for j = 11 to 16: log1p's series on s <= 1/3 takes sixteen terms in all. */
    private static final double L11 = 2.0 / 23, L12 = 2.0 / 25, L13 = 2.0 / 27, L14 = 2.0 / 29, L15 = 2.0 / 31, L16 = 2.0 / 33;
    private static final DoubleVector V_L11 = DoubleVector.broadcast(SPECIES, L11), V_L12 = DoubleVector.broadcast(SPECIES, L12),
            V_L13 = DoubleVector.broadcast(SPECIES, L13), V_L14 = DoubleVector.broadcast(SPECIES, L14),
            V_L15 = DoubleVector.broadcast(SPECIES, L15), V_L16 = DoubleVector.broadcast(SPECIES, L16);
    private static final DoubleVector V_RANGE = DoubleVector.broadcast(SPECIES, ExpSeries.RANGE);
    private static final DoubleVector V_ZERO = DoubleVector.zero(SPECIES);
    /** The least positive double: |x| at or above it is not a zero. */
    private static final DoubleVector V_TINY = DoubleVector.broadcast(SPECIES, Double.MIN_VALUE);
    /** softplus's blocks: two passes over one block stay in the first-level cache. */
    private static final int BLOCK = 512;

    /**
     * log1p(e) for e in [0, 1] without a reduction: s = e / (2 + e) <= 1/3, e - (e^2/2 - s (e^2/2 +
     * R(s^2))) with sixteen terms of R (on s^2 <= 1/9 the next is under 0.1 ulp).
     */
    private static double log1pSmall(double e) {
        double s = e / (e + 2.0);
        double z = s * s;
        double z2 = z * z;
        double z4 = z2 * z2;
        double z8 = z4 * z4;
        double q0 = Math.fma(Math.fma(L4, z, L3), z2, Math.fma(L2, z, L1));
        double q1 = Math.fma(Math.fma(L8, z, L7), z2, Math.fma(L6, z, L5));
        double q2 = Math.fma(Math.fma(L12, z, L11), z2, Math.fma(L10, z, L9));
        double q3 = Math.fma(Math.fma(L16, z, L15), z2, Math.fma(L14, z, L13));
        double series = z * Math.fma(Math.fma(q3, z4, q2), z8, Math.fma(q1, z4, q0));
        double hfsq = 0.5 * e * e;
        return e - (hfsq - s * (hfsq + series));
    }

    /** softplus(x) = max(x, 0) + log1p(exp(-|x|)), the exponential by {@link ExpSeries#exp(double)}. */
    static double softplus(double x) {
        return Math.max(x, 0.0) + log1pSmall(ExpSeries.exp(-Math.abs(x)));
    }

    // NOTE: two passes per block, as VectorExp's sigmoid (whose first pass this shares): one loop
    // holding exp's and log1p's series would be long enough for C2 to leave vectors boxed
    // (see VectorFloatLog's softplus). The first pass writes to scratch, so that r may be a.
    /** {@code r[ro + i] = softplus(a[ao + i])} for i in [0, n); r may be a at the same offset. */
    static void softplus(double[] a, int ao, double[] r, int ro, int n) {
        double[] e = Scratch.doubles(Scratch.MATH, Math.min(n, BLOCK));
        for (int from = 0; from < n; from += BLOCK) {
            int length = Math.min(BLOCK, n - from);
            VectorExp.expOfNegativeAbs(a, ao + from, e, length);
            softplusFromExp(a, ao + from, e, r, ro + from, length);
        }
    }

    /**
     * softplus from the e = exp(-|x|) that {@link VectorExp#expOfNegativeAbs} wrote, for the vectors
     * it wrote (the same test picks them): max(x, 0) + log1p(e) by {@link #log1pSmall}'s operations;
     * the other vectors and the tail by {@link #softplus(double)}. Each vector of a is read before r's
     * is written, so r may be a.
     */
    private static void softplusFromExp(double[] a, int ao, double[] ex, double[] r, int ro, int n) {
        DoubleVector range = V_RANGE;
        DoubleVector two = V_TWO;
        DoubleVector half = V_HALF;
        DoubleVector zero = V_ZERO;
        DoubleVector l1 = V_L1, l2 = V_L2, l3 = V_L3, l4 = V_L4, l5 = V_L5, l6 = V_L6, l7 = V_L7, l8 = V_L8;
        DoubleVector l9 = V_L9, l10 = V_L10, l11 = V_L11, l12 = V_L12, l13 = V_L13, l14 = V_L14, l15 = V_L15, l16 = V_L16;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
            if (x.abs().compare(VectorOperators.LE, range).allTrue()) {
                DoubleVector e = (DoubleVector) SPECIES.fromArray(ex, i);
                DoubleVector s = e.div(e.add(two));
                DoubleVector z = s.mul(s);
                DoubleVector z2 = z.mul(z);
                DoubleVector z4 = z2.mul(z2);
                DoubleVector z8 = z4.mul(z4);
                DoubleVector q0 = l4.fma(z, l3).fma(z2, l2.fma(z, l1));
                DoubleVector q1 = l8.fma(z, l7).fma(z2, l6.fma(z, l5));
                DoubleVector q2 = l12.fma(z, l11).fma(z2, l10.fma(z, l9));
                DoubleVector q3 = l16.fma(z, l15).fma(z2, l14.fma(z, l13));
                DoubleVector series = z.mul(q3.fma(z4, q2).fma(z8, q1.fma(z4, q0)));
                DoubleVector hfsq = half.mul(e).mul(e);
                DoubleVector log1p = e.sub(hfsq.sub(s.mul(hfsq.add(series))));
                // max(x, 0) as a blend (a -0 left as it is adds to the same sum)
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
