package dev.adjoint.core.kernel;

/**
 * The scalar half of {@link VectorExp}, with no reference to the Vector API, so that code the
 * scalar kernel runs may share it ({@link ErrorFunction}): the constants, and exp, expm1, tanh and
 * sigmoid by the operations that VectorExp's loops write out lane by lane. Only exact IEEE
 * operations, so the same bits compiled or interpreted.
 */
final class ExpSeries {
    private ExpSeries() {
    }

    /** The polynomial path covers |x| <= this; e^-708 is still a normal double, e^708 finite. */
    static final double RANGE = 708.0;
    /** tanh's polynomial path covers |x| <= this; beyond it tanh is +-1 in doubles. */
    static final double TANH_LIMIT = 20.0;
    /** Rounds k down in {@link #shifted}. */
    static final double FLOOR = -0.5;
    static final double LOG2E = 1.4426950408889634;
    // ln 2 split so that k * LN2_HI is exact for |k| < 2^20 (fdlibm's constants)
    static final double LN2_HI = 6.93147180369123816490e-01;
    static final double LN2_LO = 1.90821492927058770002e-10;
    /** Adding 1.5 * 2^52 rounds to an integer, which then sits in the low bits of the sum. */
    static final double SHIFTER = 0x1.8p52;
    static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
    /**
     * 1/(k+2)! for k = 0 to 15: the series of (expm1(r) - r) / r^2. exp's polynomial takes the first
     * twelve (on |r| <= ln2 / 2 the next term is under 0.05 ulp), expm1's all sixteen (on [0, ln 2]).
     */
    private static final double[] C = inverseFactorialsFrom2(16);
    static final double C0 = C[0], C1 = C[1], C2 = C[2], C3 = C[3], C4 = C[4], C5 = C[5], C6 = C[6], C7 = C[7],
            C8 = C[8], C9 = C[9], C10 = C[10], C11 = C[11], C12 = C[12], C13 = C[13], C14 = C[14], C15 = C[15];

    /** 1/2!, 1/3!, ..., 1/(n+1)! (each factorial is exact in a double up to 18!). */
    private static double[] inverseFactorialsFrom2(int n) {
        double[] c = new double[n];
        double factorial = 1;
        for (int k = 0; k < n; k++) {
            factorial *= k + 2;
            c[k] = 1.0 / factorial;
        }
        return c;
    }

    // ---------------------------------------------------------------- the polynomial
    //
    // y = k ln2 + r, and then exp(y) = 2^k (1 + expm1(r)), expm1(y) = 2^k expm1(r) + (2^k - 1).
    // exp rounds k to nearest (|r| <= ln2 / 2: small x keep k = 0 and full precision), where twelve
    // terms of expm1(r) = r + r^2 (1/2! + r/3! + ...) suffice; expm1 takes k = floor(y / ln2), so r
    // is in [0, ln 2] and, for y >= 0, the two terms are non-negative (rounded to nearest, expm1(r)
    // could go negative and cancel, costing tanh two more ulps), with sixteen terms for the wider
    // range. The series is evaluated by Estrin's scheme (pairs, then pairs of pairs in r^2, r^4, r^8):
    // four multiply-adds deep instead of Horner's eleven or fifteen, so the loop is not bound by
    // the chain's latency; r + r^2 P(r) rounds the large terms once, at the end. The scalar and
    // vector code are the same operations in the same order.

    /** k + 1.5 * 2^52 for k = y / ln2 rounded by {@code rounding} (FLOOR): k sits in the low bits (see {@link #SHIFTER}). */
    private static double shifted(double y, double rounding) {
        return (y * LOG2E + rounding) + SHIFTER;
    }

    /** y - k ln2 for the k that {@code t} holds. */
    private static double reduced(double y, double t) {
        double k = t - SHIFTER;
        return Math.fma(-k, LN2_LO, Math.fma(-k, LN2_HI, y));
    }

    /** 2^k for the k that {@code t} holds (|k| <= 1022), built in the exponent bits. */
    private static double powerOfTwo(double t) {
        return Double.longBitsToDouble((Double.doubleToRawLongBits(t) - SHIFTER_BITS + 1023) << 52);
    }

    /** The first twelve terms of 1/2! + r/3! + r^2/4! + ..., by Estrin's scheme. */
    private static double series12(double r, double r2, double r4, double r8) {
        double s0 = Math.fma(Math.fma(C3, r, C2), r2, Math.fma(C1, r, C0));
        double s1 = Math.fma(Math.fma(C7, r, C6), r2, Math.fma(C5, r, C4));
        double s2 = Math.fma(Math.fma(C11, r, C10), r2, Math.fma(C9, r, C8));
        return Math.fma(s2, r8, Math.fma(s1, r4, s0));
    }

    /** expm1(r) for r in [-ln2 / 2, ln 2] (a little outside is fine): r + r^2 times sixteen terms. */
    private static double expm1Reduced(double r) {
        double r2 = r * r;
        double r4 = r2 * r2;
        double r8 = r4 * r4;
        double s0 = Math.fma(Math.fma(C3, r, C2), r2, Math.fma(C1, r, C0));
        double s1 = Math.fma(Math.fma(C7, r, C6), r2, Math.fma(C5, r, C4));
        double s2 = Math.fma(Math.fma(C11, r, C10), r2, Math.fma(C9, r, C8));
        double s3 = Math.fma(Math.fma(C15, r, C14), r2, Math.fma(C13, r, C12));
        double p = Math.fma(Math.fma(s3, r4, s2), r8, Math.fma(s1, r4, s0));
        return Math.fma(r2, p, r);
    }

    /**
     * exp(x) for |x| <= RANGE: k = x / ln2 rounded to nearest by one fma, r = x - k ln2 (|r| <= ln2 / 2),
     * exp(x) = 2^k (1 + (r + r^2 P(r))) with P the first twelve terms of (expm1(r) - r) / r^2.
     */
    static double expPoly(double x) {
        double t = Math.fma(x, LOG2E, SHIFTER);
        double minusK = SHIFTER - t;
        double r = Math.fma(minusK, LN2_LO, Math.fma(minusK, LN2_HI, x));
        double r2 = r * r;
        double r4 = r2 * r2;
        double r8 = r4 * r4;
        return (Math.fma(r2, series12(r, r2, r4, r8), r) + 1.0) * powerOfTwo(t);
    }

    /** expm1(y) for 0 <= y <= 2 RANGE. */
    static double expm1NonNegative(double y) {
        double t = shifted(y, FLOOR);
        double scale = powerOfTwo(t);
        return Math.fma(scale, expm1Reduced(reduced(y, t)), scale - 1.0);
    }

    /** exp by the polynomial in range, {@link Math#exp} outside (overflow, underflow, NaN). */
    static double exp(double x) {
        return Math.abs(x) <= RANGE ? expPoly(x) : Math.exp(x);
    }

    /**
     * tanh(x) = sign(x) e / (e + 2) with e = expm1(2 |x|), which keeps full relative precision near
     * 0; |x| > 20 gives +-1 (and NaN stays NaN).
     */
    static double tanh(double x) {
        double ax = Math.abs(x);
        if (!(ax <= TANH_LIMIT)) {
            return Double.isNaN(x) ? x : Math.copySign(1.0, x);
        }
        double e = expm1NonNegative(2.0 * ax);
        return Math.copySign(e / (e + 2.0), x);
    }

    /** 1 / (1 + exp(-x)), with exp(-|x|) so that nothing overflows. */
    static double sigmoid(double x) {
        double e = exp(-Math.abs(x));
        double s = 1.0 / (1.0 + e);
        return x < 0 ? e * s : s;
    }
}
