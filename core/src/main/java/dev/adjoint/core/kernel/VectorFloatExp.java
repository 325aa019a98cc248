package dev.adjoint.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp of floats in float32 arithmetic, for {@link VectorMathKernel}: eight lanes a vector on AVX2
 * where {@link VectorExp}'s float64 polynomial takes four, and a polynomial of half the degree.
 * The same scheme as {@link VectorExp}: Cody-Waite range reduction by fused multiply-adds, a
 * Taylor series by Estrin's scheme, the power of two built in the exponent bits; only exact IEEE
 * operations, so the results are the same bits compiled or interpreted. Within one ulp of the
 * correctly rounded result for every float (Float32ElementwiseTest checks every 1024th bit
 * pattern; an exhaustive run over all floats is in bench/RESULTS.md). sigmoid and tanh, built on
 * it, are within two ulps.
 *
 * <p>A vector with a lane outside [-87, 87] goes lane by lane: from -104 down (-infinity too) +0,
 * as the rounded result is; above 87, in [-104, -87) (overflow and subnormal results) and NaN
 * {@code (float) Math.exp}; the others the polynomial. Tails shorter than a vector take the same
 * polynomial in scalar code, so a value's result does not depend on where it sits in the array.
 */
final class VectorFloatExp {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private VectorFloatExp() {
    }

    /** The polynomial covers |x| <= this: e^-87 is still a normal float, e^87 finite. */
    static final float RANGE = 87.0f;
    /** Below this e^x rounds to +0 (under half the smallest subnormal, e^-103.97). */
    private static final float ZERO_BELOW = -104.0f;
    static final float LOG2E = 1.44269504088896341f;
    // ln 2 split so that k * LN2_HI is exact for |k| < 2^9 (LN2_HI has 15 significant bits; |k| <= 128 here)
    static final float LN2_HI = 0.693145751953125f;
    static final float LN2_LO = 1.428606765330187045e-06f;
    /** Adding 1.5 * 2^23 rounds to an integer, which then sits in the low bits of the sum. */
    static final float SHIFTER = 0x1.8p23f;
    static final int SHIFTER_BITS = Float.floatToRawIntBits(SHIFTER);
    /**
     * 1/(k+2)! for k = 0 to 5: the series of (expm1(r) - r) / r^2 to r^5, so exp(r) to r^7. On |r| <=
     * ln2 / 2 the next term is under 0.1 ulp of a float.
     */
    static final float C0 = 1f / 2, C1 = 1f / 6, C2 = 1f / 24, C3 = 1f / 120, C4 = 1f / 720, C5 = 1f / 5040;
    static final FloatVector V_RANGE = FloatVector.broadcast(SPECIES, RANGE);
    static final FloatVector V_LOG2E = FloatVector.broadcast(SPECIES, LOG2E);
    static final FloatVector V_LN2_HI = FloatVector.broadcast(SPECIES, LN2_HI);
    static final FloatVector V_LN2_LO = FloatVector.broadcast(SPECIES, LN2_LO);
    static final FloatVector V_SHIFTER = FloatVector.broadcast(SPECIES, SHIFTER);
    static final FloatVector V_ONE = FloatVector.broadcast(SPECIES, 1f);
    static final FloatVector V_C0 = FloatVector.broadcast(SPECIES, C0), V_C1 = FloatVector.broadcast(SPECIES, C1),
            V_C2 = FloatVector.broadcast(SPECIES, C2), V_C3 = FloatVector.broadcast(SPECIES, C3),
            V_C4 = FloatVector.broadcast(SPECIES, C4), V_C5 = FloatVector.broadcast(SPECIES, C5);
    /** tanh's polynomial covers |x| <= this; beyond it tanh rounds to +-1 (1 - tanh 9.1 is under half an ulp of 1). */
    private static final float TANH_LIMIT = 9.1f;
    /** Rounds k down in tanh's reduction (see {@link VectorExp}'s expm1). */
    private static final float FLOOR = -0.5f;
    /**
     * 1/(k+2)! for k = 0 to 7: expm1's series, for r in [0, ln 2] (tanh's reduction), where the next
     * term is under 0.15 ulp of expm1(r).
     */
    private static final float C6 = 1f / 40320, C7 = 1f / 362880;
    private static final FloatVector V_C6 = FloatVector.broadcast(SPECIES, C6), V_C7 = FloatVector.broadcast(SPECIES, C7);
    private static final FloatVector V_TANH_LIMIT = FloatVector.broadcast(SPECIES, TANH_LIMIT);
    private static final FloatVector V_FLOOR = FloatVector.broadcast(SPECIES, FLOOR);
    static final FloatVector V_TWO = FloatVector.broadcast(SPECIES, 2f);
    static final FloatVector V_ZERO = FloatVector.zero(SPECIES);
    private static final int SIGN_BIT = Integer.MIN_VALUE;

    /** Subtracted from the shifter's bits, leaves the biased exponent of 2^k. */
    static final IntVector V_BIAS = IntVector.broadcast(IntVector.SPECIES_PREFERRED, SHIFTER_BITS - 127);

    // ---------------------------------------------------------------- the polynomial, scalar and vector
    //
    // d = x - shift is rounded to float, and its rounding error e found exactly (Knuth's two-sum):
    // exp(x - shift) = exp(d + e), so a softmax's small entries, far below the row's maximum, keep
    // full relative precision: d's rounding error is absolute, up to half an ulp of d, and exp turns
    // it into a relative error of the result that grows with |d| (bench/RESULTS.md). Then
    // d = k ln2 + r with k rounded to nearest (|r| <= ln2 / 2) and exp = 2^k (1 + (r' + r'^2 P(r')))
    // with r' = r + e. The scalar and vector code are the same operations in the same order.

    /** exp(x - shift) by the polynomial, for |x - shift| <= RANGE. */
    static float expPoly(float x, float shift) {
        float d = x - shift;
        float back = d - x;
        float error = (x - (d - back)) - (shift + back);
        float t = Math.fma(d, LOG2E, SHIFTER);
        float minusK = SHIFTER - t;
        float r = Math.fma(minusK, LN2_LO, Math.fma(minusK, LN2_HI, d)) + error;
        float r2 = r * r;
        float r4 = r2 * r2;
        float p = Math.fma(Math.fma(C5, r, C4), r4, Math.fma(Math.fma(C3, r, C2), r2, Math.fma(C1, r, C0)));
        return (Math.fma(r2, p, r) + 1f) * Float.intBitsToFloat((Float.floatToRawIntBits(t) - SHIFTER_BITS + 127) << 23);
    }

    /** exp(x - shift): the polynomial in range, +0 far below it, {@code (float) Math.exp} otherwise. */
    static float exp(float x, float shift) {
        float d = x - shift;
        if (Math.abs(d) <= RANGE) {
            return expPoly(x, shift);
        }
        return d < ZERO_BELOW ? 0f : (float) Math.exp((double) x - shift);
    }

    /**
     * {@code r[ro + i] = exp(a[ao + i] - shift)} for i in [0, n) (see the class comment).
     *
     * <p>NOTE: one flat loop with its constants in static final vectors and no helper calls, as
     * {@link VectorExp#expShifted}'s (bench/RESULTS.md, "softmax's exp loop unboxed").
     */
    static void expShifted(float[] a, int ao, float shift, float[] r, int ro, int n) {
        FloatVector shiftBy = FloatVector.broadcast(SPECIES, shift);
        FloatVector range = V_RANGE;
        FloatVector log2e = V_LOG2E;
        FloatVector shifter = V_SHIFTER;
        FloatVector ln2Hi = V_LN2_HI;
        FloatVector ln2Lo = V_LN2_LO;
        FloatVector one = V_ONE;
        FloatVector c0 = V_C0, c1 = V_C1, c2 = V_C2, c3 = V_C3, c4 = V_C4, c5 = V_C5;
        IntVector bias = V_BIAS;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector x = (FloatVector) SPECIES.fromArray(a, ao + i);
            FloatVector d = x.sub(shiftBy);
            if (d.abs().compare(VectorOperators.LE, range).allTrue()) {
                FloatVector back = d.sub(x);
                FloatVector error = x.sub(d.sub(back)).sub(shiftBy.add(back));
                FloatVector t = d.fma(log2e, shifter);
                FloatVector minusK = shifter.sub(t);
                FloatVector y = minusK.fma(ln2Lo, minusK.fma(ln2Hi, d)).add(error);
                FloatVector y2 = y.mul(y);
                FloatVector y4 = y2.mul(y2);
                FloatVector p = c5.fma(y, c4).fma(y4, c3.fma(y, c2).fma(y2, c1.fma(y, c0)));
                FloatVector scale = t.viewAsIntegralLanes().sub(bias).lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes();
                y2.fma(p, y).add(one).mul(scale).intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = exp(a[ao + j], shift);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = exp(a[ao + i], shift);
        }
    }

    /**
     * {@code r[ro + i] = exp(a[ao + i] - b[bo + i])} for i in [0, n): {@link #expShifted}'s loop with
     * the shift read per element. NOTE: a loop of its own, not expShifted's with a choice of shift
     * inside: that loop is softmax's rows' hot loop, kept as it was measured.
     */
    static void expDifference(float[] a, int ao, float[] b, int bo, float[] r, int ro, int n) {
        FloatVector range = V_RANGE;
        FloatVector log2e = V_LOG2E;
        FloatVector shifter = V_SHIFTER;
        FloatVector ln2Hi = V_LN2_HI;
        FloatVector ln2Lo = V_LN2_LO;
        FloatVector one = V_ONE;
        FloatVector c0 = V_C0, c1 = V_C1, c2 = V_C2, c3 = V_C3, c4 = V_C4, c5 = V_C5;
        IntVector bias = V_BIAS;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector x = (FloatVector) SPECIES.fromArray(a, ao + i);
            FloatVector shiftBy = (FloatVector) SPECIES.fromArray(b, bo + i);
            FloatVector d = x.sub(shiftBy);
            if (d.abs().compare(VectorOperators.LE, range).allTrue()) {
                FloatVector back = d.sub(x);
                FloatVector error = x.sub(d.sub(back)).sub(shiftBy.add(back));
                FloatVector t = d.fma(log2e, shifter);
                FloatVector minusK = shifter.sub(t);
                FloatVector y = minusK.fma(ln2Lo, minusK.fma(ln2Hi, d)).add(error);
                FloatVector y2 = y.mul(y);
                FloatVector y4 = y2.mul(y2);
                FloatVector p = c5.fma(y, c4).fma(y4, c3.fma(y, c2).fma(y2, c1.fma(y, c0)));
                FloatVector scale = t.viewAsIntegralLanes().sub(bias).lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes();
                y2.fma(p, y).add(one).mul(scale).intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = exp(a[ao + j], b[bo + j]);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = exp(a[ao + i], b[bo + i]);
        }
    }

    // ---------------------------------------------------------------- sigmoid and tanh in float32

    /** exp(-|x|) for |x| <= RANGE, by {@link #expPoly}'s operations (no shift, so no rounding error to carry). */
    static float expNegAbs(float ax) {
        float d = -ax;
        float t = Math.fma(d, LOG2E, SHIFTER);
        float minusK = SHIFTER - t;
        float r = Math.fma(minusK, LN2_LO, Math.fma(minusK, LN2_HI, d));
        float r2 = r * r;
        float r4 = r2 * r2;
        float p = Math.fma(Math.fma(C5, r, C4), r4, Math.fma(Math.fma(C3, r, C2), r2, Math.fma(C1, r, C0)));
        return (Math.fma(r2, p, r) + 1f) * Float.intBitsToFloat((Float.floatToRawIntBits(t) - SHIFTER_BITS + 127) << 23);
    }

    /**
     * 1 / (1 + e) for x >= 0 and e / (1 + e) below, e = exp(-|x|), one division either way: e times
     * 1 / (1 + e), as {@link Elementwise#sigmoid} does in float64, rounds once more, which float32
     * cannot afford within two ulps.
     */
    static float sigmoid(float x) {
        float ax = Math.abs(x);
        float e = ax <= RANGE ? expNegAbs(ax) : exp(-ax, 0f);
        return (x < 0 ? e : 1f) / (1f + e);
    }

    /** {@code r[ro + i] = sigmoid(a[ao + i])} in float32 arithmetic; r may be a at the same offset. */
    static void sigmoid(float[] a, int ao, float[] r, int ro, int n) {
        FloatVector range = V_RANGE;
        FloatVector log2e = V_LOG2E;
        FloatVector shifter = V_SHIFTER;
        FloatVector ln2Hi = V_LN2_HI;
        FloatVector ln2Lo = V_LN2_LO;
        FloatVector one = V_ONE;
        FloatVector zero = V_ZERO;
        FloatVector c0 = V_C0, c1 = V_C1, c2 = V_C2, c3 = V_C3, c4 = V_C4, c5 = V_C5;
        IntVector bias = V_BIAS;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector x = (FloatVector) SPECIES.fromArray(a, ao + i);
            FloatVector ax = x.abs();
            if (ax.compare(VectorOperators.LE, range).allTrue()) {
                FloatVector d = ax.neg();
                FloatVector t = d.fma(log2e, shifter);
                FloatVector minusK = shifter.sub(t);
                FloatVector y = minusK.fma(ln2Lo, minusK.fma(ln2Hi, d));
                FloatVector y2 = y.mul(y);
                FloatVector y4 = y2.mul(y2);
                FloatVector p = c5.fma(y, c4).fma(y4, c3.fma(y, c2).fma(y2, c1.fma(y, c0)));
                FloatVector scale = t.viewAsIntegralLanes().sub(bias).lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes();
                FloatVector e = y2.fma(p, y).add(one).mul(scale);
                one.blend(e, x.compare(VectorOperators.LT, zero)).div(e.add(one)).intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = sigmoid(a[ao + j]);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = sigmoid(a[ao + i]);
        }
    }

    /**
     * expm1(y) for 0 <= y <= 2 TANH_LIMIT: k = floor(y / ln2), r = y - k ln2 in [0, ln 2] (so, for y
     * >= 0, the two terms below are non-negative and do not cancel), expm1(y) = 2^k expm1(r) + (2^k - 1)
     * with expm1(r) = r + r^2 times eight terms.
     */
    private static float expm1NonNegative(float y) {
        float t = (y * LOG2E + FLOOR) + SHIFTER;
        float minusK = SHIFTER - t;
        float r = Math.fma(minusK, LN2_LO, Math.fma(minusK, LN2_HI, y));
        float r2 = r * r;
        float r4 = r2 * r2;
        float p = Math.fma(Math.fma(Math.fma(C7, r, C6), r2, Math.fma(C5, r, C4)), r4, Math.fma(Math.fma(C3, r, C2), r2, Math.fma(C1, r, C0)));
        float scale = Float.intBitsToFloat((Float.floatToRawIntBits(t) - SHIFTER_BITS + 127) << 23);
        return Math.fma(scale, Math.fma(r2, p, r), scale - 1f);
    }

    /** tanh(x) = sign(x) e / (e + 2), e = expm1(2 |x|); |x| > 9.1 gives +-1 (NaN stays NaN). */
    static float tanh(float x) {
        float ax = Math.abs(x);
        if (!(ax <= TANH_LIMIT)) {
            return Float.isNaN(x) ? x : Math.copySign(1f, x);
        }
        float e = expm1NonNegative(ax + ax);
        return Math.copySign(e / (e + 2f), x);
    }

    /** {@code r[ro + i] = tanh(a[ao + i])} in float32 arithmetic; r may be a at the same offset. */
    static void tanh(float[] a, int ao, float[] r, int ro, int n) {
        FloatVector limit = V_TANH_LIMIT;
        FloatVector log2e = V_LOG2E;
        FloatVector floor = V_FLOOR;
        FloatVector shifter = V_SHIFTER;
        FloatVector ln2Hi = V_LN2_HI;
        FloatVector ln2Lo = V_LN2_LO;
        FloatVector one = V_ONE;
        FloatVector two = V_TWO;
        FloatVector c0 = V_C0, c1 = V_C1, c2 = V_C2, c3 = V_C3, c4 = V_C4, c5 = V_C5, c6 = V_C6, c7 = V_C7;
        IntVector bias = V_BIAS;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector x = (FloatVector) SPECIES.fromArray(a, ao + i);
            FloatVector ax = x.abs();
            if (ax.compare(VectorOperators.LE, limit).allTrue()) {
                FloatVector y = ax.add(ax);
                FloatVector t = y.mul(log2e).add(floor).add(shifter);
                FloatVector minusK = shifter.sub(t);
                FloatVector z = minusK.fma(ln2Lo, minusK.fma(ln2Hi, y));
                FloatVector z2 = z.mul(z);
                FloatVector z4 = z2.mul(z2);
                FloatVector p = c7.fma(z, c6).fma(z2, c5.fma(z, c4)).fma(z4, c3.fma(z, c2).fma(z2, c1.fma(z, c0)));
                FloatVector scale = t.viewAsIntegralLanes().sub(bias).lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes();
                FloatVector e = scale.fma(z2.fma(p, z), scale.sub(one));
                FloatVector th = e.div(e.add(two));
                // x's sign onto th (th >= 0)
                th.viewAsIntegralLanes().or(x.viewAsIntegralLanes().and(SIGN_BIT)).viewAsFloatingLanes().intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = tanh(a[ao + j]);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = tanh(a[ao + i]);
        }
    }
}
