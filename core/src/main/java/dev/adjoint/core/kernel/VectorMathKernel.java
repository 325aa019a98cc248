package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MathKernel} on the Vector API, with its own {@code exp}: Cody-Waite range reduction, a
 * Taylor polynomial evaluated with fused multiply-adds, and the power of two built in the
 * exponent bits. {@code tanh} and {@code sigmoid} are built on it. Only exact IEEE operations
 * (add, multiply, fma, bit moves) are used, so the results are the same bits whether the JIT has
 * compiled this code or the JVM still interprets the Vector API's Java fallback. The JDK's own
 * {@code lanewise(EXP)} calls SVML when compiled and {@link Math#exp} lane by lane when not, and
 * those differ in the last place: the same training run could then give different bits depending
 * on when the JIT got there. Lanes outside [-708, 708], and NaN, take {@link Math#exp}; tails
 * shorter than a vector take the same polynomial in scalar code, so a value's result does not
 * depend on where it sits in the array. Only loaded when the {@code jdk.incubator.vector} module
 * is present.
 */
final class VectorMathKernel implements MathKernel {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final DoubleVector ONE = DoubleVector.broadcast(SPECIES, 1.0);

    /** The polynomial path covers |x| <= this; e^-708 is still a normal double, e^708 finite. */
    static final double RANGE = 708.0;
    private static final double LOG2E = 1.4426950408889634;
    // ln 2 split so that k * LN2_HI is exact for |k| < 2^20 (fdlibm's constants)
    private static final double LN2_HI = 6.93147180369123816490e-01;
    private static final double LN2_LO = 1.90821492927058770002e-10;
    /** Adding 1.5 * 2^52 rounds to an integer, which then sits in the low bits of the sum. */
    private static final double SHIFTER = 0x1.8p52;
    private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
    private static final long SIGN_BIT = Long.MIN_VALUE;
    /** 1/k! for k = 17 down to 1: expm1(r) = r (1 + r/2 + r^2/6 + ...) on the reduced ranges. */
    private static final double[] D = inverseFactorials(17);
    private static final double D0 = D[0], D1 = D[1], D2 = D[2], D3 = D[3], D4 = D[4], D5 = D[5], D6 = D[6], D7 = D[7],
            D8 = D[8], D9 = D[9], D10 = D[10], D11 = D[11], D12 = D[12], D13 = D[13], D14 = D[14], D15 = D[15], D16 = D[16];
    /** 1/k! for k = 13 down to 1: exp's polynomial, on |r| <= ln2 / 2 (the next term is under 0.05 ulp). */
    private static final double[] E = inverseFactorials(13);
    private static final double E0 = E[0], E1 = E[1], E2 = E[2], E3 = E[3], E4 = E[4], E5 = E[5], E6 = E[6], E7 = E[7],
            E8 = E[8], E9 = E[9], E10 = E[10], E11 = E[11], E12 = E[12];
    private static final DoubleVector LN2_HI_VECTOR = DoubleVector.broadcast(SPECIES, LN2_HI);
    private static final DoubleVector LN2_LO_VECTOR = DoubleVector.broadcast(SPECIES, LN2_LO);
    /** Subtracted from the shifter's bits, leaves the biased exponent of 2^k (see {@link #powerOfTwo(double)}). */
    private static final LongVector V_BIAS = LongVector.broadcast(LongVector.SPECIES_PREFERRED, SHIFTER_BITS - 1023);
    private static final DoubleVector V_RANGE = DoubleVector.broadcast(SPECIES, RANGE);
    private static final DoubleVector V_LOG2E = DoubleVector.broadcast(SPECIES, LOG2E);
    private static final DoubleVector V_SHIFTER = DoubleVector.broadcast(SPECIES, SHIFTER);
    private static final DoubleVector V_E0 = DoubleVector.broadcast(SPECIES, E0), V_E1 = DoubleVector.broadcast(SPECIES, E1),
            V_E2 = DoubleVector.broadcast(SPECIES, E2), V_E3 = DoubleVector.broadcast(SPECIES, E3), V_E4 = DoubleVector.broadcast(SPECIES, E4),
            V_E5 = DoubleVector.broadcast(SPECIES, E5), V_E6 = DoubleVector.broadcast(SPECIES, E6), V_E7 = DoubleVector.broadcast(SPECIES, E7),
            V_E8 = DoubleVector.broadcast(SPECIES, E8), V_E9 = DoubleVector.broadcast(SPECIES, E9), V_E10 = DoubleVector.broadcast(SPECIES, E10),
            V_E11 = DoubleVector.broadcast(SPECIES, E11), V_E12 = DoubleVector.broadcast(SPECIES, E12);

    /** 1/n!, 1/(n-1)!, ..., 1/1! (each factorial is exact in a double for n <= 18). */
    private static double[] inverseFactorials(int n) {
        double[] d = new double[n];
        double factorial = 1;
        for (int k = 1; k <= n; k++) {
            factorial *= k;
            d[n - k] = 1.0 / factorial;
        }
        return d;
    }

    @Override
    public String description() {
        return "vector (DoubleVector " + SPECIES.vectorBitSize() + "-bit exp, tanh, sigmoid, relu)";
    }

    // ---------------------------------------------------------------- the polynomial, scalar and vector
    //
    // y = k ln2 + r, and then exp(y) = 2^k (1 + expm1(r)), expm1(y) = 2^k expm1(r) + (2^k - 1).
    // exp rounds k to nearest (|r| <= ln2 / 2: small x keep k = 0 and full precision), where a
    // degree-13 polynomial suffices; expm1 takes k = floor(y / ln2), so r is in [0, ln 2] and, for
    // y >= 0, the two terms are non-negative (rounded to nearest, expm1(r) could go negative and
    // cancel, costing tanh two more ulps), with a degree-17 polynomial for the wider range. The
    // scalar and vector code are the same operations in the same order.

    /** Rounds k down in {@link #shifted}. */
    private static final double FLOOR = -0.5;

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

    /** expm1(r) for r in [-ln2 / 2, ln 2] (a little outside is fine). */
    private static double expm1Reduced(double r) {
        double p = D[0];
        for (int i = 1; i < D.length; i++) {
            p = Math.fma(p, r, D[i]);
        }
        return p * r;
    }

    /**
     * exp(x) for |x| <= RANGE: k = x / ln2 rounded to nearest by one fma, r = x - k ln2 (|r| <= ln2 / 2),
     * exp(x) = 2^k (1 + r P(r)) with P the degree-12 Taylor polynomial of expm1(r) / r.
     */
    static double expPoly(double x) {
        double t = Math.fma(x, LOG2E, SHIFTER);
        double minusK = SHIFTER - t;
        double r = Math.fma(minusK, LN2_LO, Math.fma(minusK, LN2_HI, x));
        double p = E[0];
        for (int i = 1; i < E.length; i++) {
            p = Math.fma(p, r, E[i]);
        }
        return Math.fma(p, r, 1.0) * powerOfTwo(t);
    }

    /** expm1(y) for 0 <= y <= 2 RANGE. */
    static double expm1NonNegative(double y) {
        double t = shifted(y, FLOOR);
        double scale = powerOfTwo(t);
        return Math.fma(scale, expm1Reduced(reduced(y, t)), scale - 1.0);
    }

    private static DoubleVector shifted(DoubleVector y, double rounding) {
        return y.mul(LOG2E).add(rounding).add(SHIFTER);
    }

    private static DoubleVector reduced(DoubleVector y, DoubleVector t) {
        DoubleVector minusK = t.sub(SHIFTER).neg();
        return minusK.fma(LN2_LO_VECTOR, minusK.fma(LN2_HI_VECTOR, y));
    }

    private static DoubleVector powerOfTwo(DoubleVector t) {
        return t.reinterpretAsLongs().sub(SHIFTER_BITS - 1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
    }

    // NOTE: unrolled, with each coefficient broadcast where it is used: with the vectors in an
    // array, or split into calls C2 does not inline, C2 leaves the vectors boxed.
    private static DoubleVector expm1Reduced(DoubleVector r) {
        DoubleVector p = DoubleVector.broadcast(SPECIES, D0);
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D1));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D2));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D3));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D4));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D5));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D6));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D7));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D8));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D9));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D10));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D11));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D12));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D13));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D14));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D15));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, D16));
        return p.mul(r);
    }

    /** exp of every lane, all of them within [-RANGE, RANGE]: {@link #expPoly}'s operations. */
    private static DoubleVector expVector(DoubleVector x) {
        DoubleVector shifter = DoubleVector.broadcast(SPECIES, SHIFTER);
        DoubleVector t = x.fma(DoubleVector.broadcast(SPECIES, LOG2E), shifter);
        DoubleVector minusK = shifter.sub(t);
        DoubleVector r = minusK.fma(LN2_LO_VECTOR, minusK.fma(LN2_HI_VECTOR, x));
        DoubleVector p = DoubleVector.broadcast(SPECIES, E0);
        p = p.fma(r, DoubleVector.broadcast(SPECIES, E1));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, E2));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, E3));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, E4));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, E5));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, E6));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, E7));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, E8));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, E9));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, E10));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, E11));
        p = p.fma(r, DoubleVector.broadcast(SPECIES, E12));
        return p.fma(r, ONE).mul(powerOfTwo(t));
    }

    /** expm1 of every lane, all of them within [0, 2 RANGE]. */
    private static DoubleVector expm1NonNegativeVector(DoubleVector y) {
        DoubleVector t = shifted(y, FLOOR);
        DoubleVector scale = powerOfTwo(t);
        return scale.fma(expm1Reduced(reduced(y, t)), scale.sub(1.0));
    }

    /** Whether every lane is within the polynomial's range (false for NaN). */
    private static boolean inRange(DoubleVector x) {
        return x.lanewise(VectorOperators.ABS).compare(VectorOperators.LE, RANGE).allTrue();
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
        if (!(ax <= 20.0)) {
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

    // ---------------------------------------------------------------- the kernels

    @Override
    public void exp(double[] a, int ao, double[] r, int ro, int n) {
        expLoop(a, ao, 0.0, r, ro, n);
    }

    @Override
    public void tanh(double[] a, int ao, double[] r, int ro, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = DoubleVector.fromArray(SPECIES, a, ao + i);
            DoubleVector ax = x.lanewise(VectorOperators.ABS);
            if (ax.compare(VectorOperators.LE, 20.0).allTrue()) {
                DoubleVector e = expm1NonNegativeVector(ax.add(ax));
                DoubleVector t = e.div(e.add(2.0));
                // copy x's sign onto t (t >= 0)
                t.reinterpretAsLongs().or(x.reinterpretAsLongs().and(SIGN_BIT)).reinterpretAsDoubles().intoArray(r, ro + i);
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

    @Override
    public void sigmoid(double[] a, int ao, double[] r, int ro, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = DoubleVector.fromArray(SPECIES, a, ao + i);
            DoubleVector negAbs = x.lanewise(VectorOperators.ABS).neg();
            if (inRange(negAbs)) {
                // e = exp(-|x|) never overflows; s = 1 / (1 + e) for x >= 0, e s below
                DoubleVector e = expVector(negAbs);
                DoubleVector s = ONE.div(e.add(1.0));
                s.blend(e.mul(s), x.lt(0.0)).intoArray(r, ro + i);
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

    // NOTE: a blend, not the scalar x < 0 ? 0 : x: HotSpot has no branch-free select of doubles on
    // x86, and on data of mixed signs the branch mispredicts half the time (several times slower).
    @Override
    public void relu(double[] a, int ao, double[] r, int ro, int n) {
        int i = 0;
        DoubleVector zero = DoubleVector.zero(SPECIES);
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = DoubleVector.fromArray(SPECIES, a, ao + i);
            x.blend(zero, x.compare(VectorOperators.LT, 0.0)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            double x = a[ao + i];
            r[ro + i] = x < 0 ? 0.0 : x;
        }
    }

    @Override
    public void reluGrad(double[] g, int go, int gs, double[] x, int xo, double[] r, int ro, int n) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        DoubleVector zero = DoubleVector.zero(SPECIES);
        if (gs == 0) {
            DoubleVector gv = DoubleVector.broadcast(SPECIES, g[go]);
            for (; i < bound; i += LANES) {
                VectorMask<Double> positive = DoubleVector.fromArray(SPECIES, x, xo + i).compare(VectorOperators.GT, 0.0);
                zero.blend(gv, positive).intoArray(r, ro + i);
            }
        } else {
            for (; i < bound; i += LANES) {
                VectorMask<Double> positive = DoubleVector.fromArray(SPECIES, x, xo + i).compare(VectorOperators.GT, 0.0);
                zero.blend(DoubleVector.fromArray(SPECIES, g, go + i), positive).intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            r[ro + i] = Elementwise.reluGrad(g[go + i * gs], x[xo + i]);
        }
    }

    @Override
    public void widen(float[] a, int ao, double[] r, int ro, int n) {
        VectorConversions.widen(a, ao, r, ro, n);
    }

    @Override
    public void narrow(double[] a, int ao, float[] r, int ro, int n) {
        VectorConversions.narrow(a, ao, r, ro, n);
    }

    @Override
    public double expShifted(double[] a, int ao, double shift, double[] r, int ro, int n) {
        return expLoop(a, ao, shift, r, ro, n);
    }

    /**
     * {@code r[ro + i] = exp(a[ao + i] - shift)} by {@link #expPoly}'s operations (lanes out of range
     * and the tail by {@link #exp(double)}), returning the sum of what it wrote.
     *
     * <p>NOTE: one flat loop, too long for C2 to inline into a caller (so it is compiled on its own,
     * whoever calls it), with its constants in static final vectors, no helper calls, and the
     * lane sums in an array, added to and stored every turn: a vector store after a loop can be
     * left as a call, which then runs unintrinsified, and a vector carried from turn to turn past
     * the out-of-range branch was left boxed in some JVMs (bench/RESULTS.md, "softmax's exp loop
     * unboxed").
     */
    private static double expLoop(double[] a, int ao, double shift, double[] r, int ro, int n) {
        DoubleVector shiftBy = DoubleVector.broadcast(SPECIES, shift);
        DoubleVector range = V_RANGE;
        DoubleVector log2e = V_LOG2E;
        DoubleVector shifter = V_SHIFTER;
        DoubleVector ln2Hi = LN2_HI_VECTOR;
        DoubleVector ln2Lo = LN2_LO_VECTOR;
        DoubleVector one = ONE;
        DoubleVector e0 = V_E0, e1 = V_E1, e2 = V_E2, e3 = V_E3, e4 = V_E4, e5 = V_E5, e6 = V_E6;
        DoubleVector e7 = V_E7, e8 = V_E8, e9 = V_E9, e10 = V_E10, e11 = V_E11, e12 = V_E12;
        LongVector bias = V_BIAS;
        double[] lanes = new double[LANES];
        double sum = 0;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = DoubleVector.fromArray(SPECIES, a, ao + i).sub(shiftBy);
            if (x.abs().compare(VectorOperators.LE, range).allTrue()) {
                DoubleVector t = x.fma(log2e, shifter);
                DoubleVector minusK = shifter.sub(t);
                DoubleVector y = minusK.fma(ln2Lo, minusK.fma(ln2Hi, x));
                DoubleVector p = e0.fma(y, e1).fma(y, e2).fma(y, e3).fma(y, e4).fma(y, e5).fma(y, e6)
                        .fma(y, e7).fma(y, e8).fma(y, e9).fma(y, e10).fma(y, e11).fma(y, e12);
                DoubleVector scale = t.viewAsIntegralLanes().sub(bias).lanewise(VectorOperators.LSHL, 52).viewAsFloatingLanes();
                DoubleVector e = p.fma(y, one).mul(scale);
                e.intoArray(r, ro + i);
                // the lane sums live in memory, not in a vector carried around the loop: C2 (JDK 17)
                // left such a vector boxed, a new object every turn, in about half the JVMs
                DoubleVector.fromArray(SPECIES, lanes, 0).add(e).intoArray(lanes, 0);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    double e = exp(a[ao + j] - shift);
                    r[ro + j] = e;
                    sum += e;
                }
            }
        }
        // NOTE: lane by lane rather than reduceLanes, which JDK 17 does not always compile to vector code
        for (double l : lanes) {
            sum += l;
        }
        for (; i < n; i++) {
            double e = exp(a[ao + i] - shift);
            r[ro + i] = e;
            sum += e;
        }
        return sum;
    }

    @Override
    public double dot(double[] a, int ao, double[] b, int bo, int n) {
        return VectorSums.dot(a, ao, b, bo, n);
    }

    @Override
    public void arithmetic(Elementwise.Binary op, double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n) {
        VectorLoops.arithmetic(op, a, ao, b, bo, sb, r, ro, n);
    }

    @Override
    public void arithmetic(Elementwise.Binary op, float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n) {
        VectorLoops.arithmetic(op, a, ao, b, bo, sb, r, ro, n);
    }

    @Override
    public double max(double[] a, int ao, int n) {
        return VectorLoops.max(a, ao, n);
    }

    @Override
    public void mulDifference(double[] y, int yo, double[] g, int go, double s, double[] r, int ro, int n) {
        VectorLoops.mulDifference(y, yo, g, go, s, r, ro, n);
    }

    @Override
    public void subtractScaled(double[] g, int go, double[] e, int eo, double s, double[] r, int ro, int n) {
        VectorLoops.subtractScaled(g, go, e, eo, s, r, ro, n);
    }

    @Override
    public int maxPool2x2(float[] x, int xo, float[] y, int yo, double[] where, int wo, int w, int oh, int ow) {
        return VectorPoolLoops.max2x2(x, xo, y, yo, where, wo, w, oh, ow);
    }

    @Override
    public void relu(float[] a, int ao, float[] r, int ro, int n) {
        VectorLoops.relu(a, ao, r, ro, n);
    }

    @Override
    public void reluGrad(float[] g, int go, int gs, float[] x, int xo, float[] r, int ro, int n) {
        VectorLoops.reluGrad(g, go, gs, x, xo, r, ro, n);
    }

    @Override
    public void addWidenedTo(float[] a, int ao, double[] r, int ro, int n) {
        VectorLoops.addWidenedTo(a, ao, r, ro, n);
    }

    @Override
    public void addTo(double[] a, int ao, double[] r, int ro, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector.fromArray(SPECIES, r, ro + i).add(DoubleVector.fromArray(SPECIES, a, ao + i)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] += a[ao + i];
        }
    }

    @Override
    public void copyRuns(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int n) {
        VectorLoops.copyRuns(a, ao, as, r, ro, rs, runs, n);
    }

    @Override
    public void copyRuns(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int n) {
        VectorLoops.copyRuns(a, ao, as, r, ro, rs, runs, n);
    }

    @Override
    public void addRuns(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int n) {
        VectorLoops.addRuns(a, ao, as, r, ro, rs, runs, n);
    }

    @Override
    public void addRuns(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int n) {
        VectorLoops.addRuns(a, ao, as, r, ro, rs, runs, n);
    }

    @Override
    public double sum(double[] a, int ao, int n) {
        return VectorSums.sum(a, ao, n);
    }

    @Override
    public double sum(float[] a, int ao, int n) {
        return VectorSums.sum(a, ao, n);
    }
}
