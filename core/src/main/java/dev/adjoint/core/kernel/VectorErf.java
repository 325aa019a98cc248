package dev.adjoint.core.kernel;

import static dev.adjoint.core.kernel.ErrorFunction.G0;
import static dev.adjoint.core.kernel.ErrorFunction.G1;
import static dev.adjoint.core.kernel.ErrorFunction.G10;
import static dev.adjoint.core.kernel.ErrorFunction.G11;
import static dev.adjoint.core.kernel.ErrorFunction.G12;
import static dev.adjoint.core.kernel.ErrorFunction.G13;
import static dev.adjoint.core.kernel.ErrorFunction.G14;
import static dev.adjoint.core.kernel.ErrorFunction.G15;
import static dev.adjoint.core.kernel.ErrorFunction.G16;
import static dev.adjoint.core.kernel.ErrorFunction.G2;
import static dev.adjoint.core.kernel.ErrorFunction.G3;
import static dev.adjoint.core.kernel.ErrorFunction.G4;
import static dev.adjoint.core.kernel.ErrorFunction.G5;
import static dev.adjoint.core.kernel.ErrorFunction.G6;
import static dev.adjoint.core.kernel.ErrorFunction.G7;
import static dev.adjoint.core.kernel.ErrorFunction.G8;
import static dev.adjoint.core.kernel.ErrorFunction.G9;
import static dev.adjoint.core.kernel.ErrorFunction.S0;
import static dev.adjoint.core.kernel.ErrorFunction.S1;
import static dev.adjoint.core.kernel.ErrorFunction.S10;
import static dev.adjoint.core.kernel.ErrorFunction.S11;
import static dev.adjoint.core.kernel.ErrorFunction.S2;
import static dev.adjoint.core.kernel.ErrorFunction.S3;
import static dev.adjoint.core.kernel.ErrorFunction.S4;
import static dev.adjoint.core.kernel.ErrorFunction.S5;
import static dev.adjoint.core.kernel.ErrorFunction.S6;
import static dev.adjoint.core.kernel.ErrorFunction.S7;
import static dev.adjoint.core.kernel.ErrorFunction.S8;
import static dev.adjoint.core.kernel.ErrorFunction.S9;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * erf of doubles on the Vector API, for {@link VectorMathKernel} (and so for float64 gelu): {@link
 * ErrorFunction#erf}'s operations lane by lane, so the same bits as the scalar function, in both
 * kernels, compiled or interpreted. Every lane computes both branches and the blend picks one;
 * vectors with a lane at 6 or beyond (or NaN), and the tail, take the scalar function.
 */
final class VectorErf {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final long SIGN_BIT = Long.MIN_VALUE;

    private VectorErf() {
    }

    private static final DoubleVector V_SMALL = DoubleVector.broadcast(SPECIES, ErrorFunction.SMALL);
    private static final DoubleVector V_ONE_FROM = DoubleVector.broadcast(SPECIES, ErrorFunction.ONE_FROM);
    private static final DoubleVector V_MIDDLE = DoubleVector.broadcast(SPECIES, ErrorFunction.MIDDLE);
    private static final DoubleVector V_S0 = DoubleVector.broadcast(SPECIES, S0), V_S1 = DoubleVector.broadcast(SPECIES, S1),
            V_S2 = DoubleVector.broadcast(SPECIES, S2), V_S3 = DoubleVector.broadcast(SPECIES, S3),
            V_S4 = DoubleVector.broadcast(SPECIES, S4), V_S5 = DoubleVector.broadcast(SPECIES, S5),
            V_S6 = DoubleVector.broadcast(SPECIES, S6), V_S7 = DoubleVector.broadcast(SPECIES, S7),
            V_S8 = DoubleVector.broadcast(SPECIES, S8), V_S9 = DoubleVector.broadcast(SPECIES, S9),
            V_S10 = DoubleVector.broadcast(SPECIES, S10), V_S11 = DoubleVector.broadcast(SPECIES, S11);
    private static final DoubleVector V_G0 = DoubleVector.broadcast(SPECIES, G0), V_G1 = DoubleVector.broadcast(SPECIES, G1),
            V_G2 = DoubleVector.broadcast(SPECIES, G2), V_G3 = DoubleVector.broadcast(SPECIES, G3),
            V_G4 = DoubleVector.broadcast(SPECIES, G4), V_G5 = DoubleVector.broadcast(SPECIES, G5),
            V_G6 = DoubleVector.broadcast(SPECIES, G6), V_G7 = DoubleVector.broadcast(SPECIES, G7),
            V_G8 = DoubleVector.broadcast(SPECIES, G8), V_G9 = DoubleVector.broadcast(SPECIES, G9),
            V_G10 = DoubleVector.broadcast(SPECIES, G10), V_G11 = DoubleVector.broadcast(SPECIES, G11),
            V_G12 = DoubleVector.broadcast(SPECIES, G12), V_G13 = DoubleVector.broadcast(SPECIES, G13),
            V_G14 = DoubleVector.broadcast(SPECIES, G14), V_G15 = DoubleVector.broadcast(SPECIES, G15),
            V_G16 = DoubleVector.broadcast(SPECIES, G16);

    /** erf's blocks: three passes over one block stay in the first-level cache. */
    private static final int BLOCK = 512;

    // NOTE: three passes per block through scratch (e^(-x^2), times G, then 1 - erfc or S): with
    // exp's series and G in one loop, C2 left vectors boxed in a JVM whose shared profiles other
    // shapes had polluted (PollutedProfilesTest), as it did softplus's single loop (VectorLog).
    // The first passes write to scratch, so that r may be a.
    /** {@code r[ro + i] = erf(a[ao + i])} for i in [0, n); r may be a at the same offset. */
    static void erf(double[] a, int ao, double[] r, int ro, int n) {
        double[] c = Scratch.doubles(Scratch.MATH, Math.min(n, BLOCK));
        for (int from = 0; from < n; from += BLOCK) {
            int length = Math.min(BLOCK, n - from);
            erfcOfAbs(a, ao + from, c, length);
            erfFromErfc(a, ao + from, c, r, ro + from, length);
        }
    }

    /**
     * {@link MathKernel#geluGrad}: per block, {@code x / sqrt 2} and {@code -x^2 / 2} into scratch,
     * erf and the exponential on vectors there ({@link #erf}, {@link VectorExp#expShifted} with no
     * shift: {@link ExpSeries#exp}'s bits), then {@link Elementwise#geluGrad}'s arithmetic. r may
     * be g or x at the same offset.
     */
    static void geluGrad(double[] g, int go, double[] x, int xo, double[] r, int ro, int n) {
        int block = Math.min(n, BLOCK);
        double[] s = Scratch.doubles(Scratch.GELU, 2 * block);
        for (int from = 0; from < n; from += BLOCK) {
            int length = Math.min(BLOCK, n - from);
            int xs = xo + from;
            for (int i = 0; i < length; i++) {
                double v = x[xs + i];
                s[i] = v * Elementwise.SQRT_HALF;
                s[block + i] = -0.5 * v * v;
            }
            erf(s, 0, s, 0, length);
            VectorExp.expShifted(s, block, 0.0, s, block, length);
            int gs = go + from;
            int rs = ro + from;
            for (int i = 0; i < length; i++) {
                double v = x[xs + i];
                double cdf = 0.5 * (1 + s[i]);
                double pdf = s[block + i] * Elementwise.INVERSE_SQRT_TWO_PI;
                r[rs + i] = g[gs + i] * (cdf + v * pdf);
            }
        }
    }

    /**
     * {@code c[i] = erfc(|x|)} for x = a[ao + i] by {@link ErrorFunction#erfc}'s operations, in two
     * passes (e^(-x^2), then G), for each whole vector whose lanes are all below 6 in magnitude
     * (lanes below 1 too, whose value the last pass does not use); the other vectors and the tail
     * are left as they were.
     */
    private static void erfcOfAbs(double[] a, int ao, double[] c, int n) {
        expOfMinusSquare(a, ao, c, n);
        erfcFromExp(a, ao, c, n);
    }

    /** {@code c[i] = e^(-x^2)} for the vectors {@link #erfcOfAbs} covers, {@link ExpSeries#expPoly}'s operations. */
    private static void expOfMinusSquare(double[] a, int ao, double[] c, int n) {
        DoubleVector oneFrom = V_ONE_FROM;
        DoubleVector one = VectorExp.ONE;
        DoubleVector log2e = VectorExp.V_LOG2E;
        DoubleVector shifter = VectorExp.V_SHIFTER;
        DoubleVector ln2Hi = VectorExp.LN2_HI_VECTOR;
        DoubleVector ln2Lo = VectorExp.LN2_LO_VECTOR;
        LongVector bias = VectorExp.V_BIAS;
        DoubleVector c0 = VectorExp.V_C0, c1 = VectorExp.V_C1, c2 = VectorExp.V_C2, c3 = VectorExp.V_C3;
        DoubleVector c4 = VectorExp.V_C4, c5 = VectorExp.V_C5, c6 = VectorExp.V_C6, c7 = VectorExp.V_C7;
        DoubleVector c8 = VectorExp.V_C8, c9 = VectorExp.V_C9, c10 = VectorExp.V_C10, c11 = VectorExp.V_C11;
        for (int i = 0, bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector ax = ((DoubleVector) SPECIES.fromArray(a, ao + i)).abs();
            if (ax.compare(VectorOperators.LT, oneFrom).allTrue()) {
                DoubleVector h = ax.mul(ax);
                DoubleVector l = ax.fma(ax, h.neg());
                DoubleVector d = h.neg();
                DoubleVector tk = d.fma(log2e, shifter);
                DoubleVector minusK = shifter.sub(tk);
                DoubleVector y = minusK.fma(ln2Lo, minusK.fma(ln2Hi, d));
                DoubleVector y2 = y.mul(y);
                DoubleVector y4 = y2.mul(y2);
                DoubleVector y8 = y4.mul(y4);
                DoubleVector s0 = c3.fma(y, c2).fma(y2, c1.fma(y, c0));
                DoubleVector s1 = c7.fma(y, c6).fma(y2, c5.fma(y, c4));
                DoubleVector s2 = c11.fma(y, c10).fma(y2, c9.fma(y, c8));
                DoubleVector p = s2.fma(y8, s1.fma(y4, s0));
                DoubleVector scale = tk.viewAsIntegralLanes().sub(bias).lanewise(VectorOperators.LSHL, 52).viewAsFloatingLanes();
                DoubleVector e = y2.fma(p, y).add(one).mul(scale);
                e.neg().fma(l, e).intoArray(c, i);
            }
        }
    }

    /** {@code c[i] *= G((|x| - 3) / (|x| + 3))} for the same vectors. */
    private static void erfcFromExp(double[] a, int ao, double[] c, int n) {
        DoubleVector oneFrom = V_ONE_FROM;
        DoubleVector middle = V_MIDDLE;
        DoubleVector g0 = V_G0, g1 = V_G1, g2 = V_G2, g3 = V_G3, g4 = V_G4, g5 = V_G5, g6 = V_G6, g7 = V_G7, g8 = V_G8;
        DoubleVector g9 = V_G9, g10 = V_G10, g11 = V_G11, g12 = V_G12, g13 = V_G13, g14 = V_G14, g15 = V_G15, g16 = V_G16;
        for (int i = 0, bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector ax = ((DoubleVector) SPECIES.fromArray(a, ao + i)).abs();
            if (ax.compare(VectorOperators.LT, oneFrom).allTrue()) {
                DoubleVector t = ax.sub(middle).div(ax.add(middle));
                DoubleVector t2 = t.mul(t);
                DoubleVector t4 = t2.mul(t2);
                DoubleVector t8 = t4.mul(t4);
                DoubleVector q0 = g3.fma(t, g2).fma(t2, g1.fma(t, g0));
                DoubleVector q1 = g7.fma(t, g6).fma(t2, g5.fma(t, g4));
                DoubleVector q2 = g11.fma(t, g10).fma(t2, g9.fma(t, g8));
                DoubleVector q3 = g15.fma(t, g14).fma(t2, g13.fma(t, g12));
                DoubleVector g = g16.fma(t8, q3.fma(t4, q2)).fma(t8, q1.fma(t4, q0));
                ((DoubleVector) SPECIES.fromArray(c, i)).mul(g).intoArray(c, i);
            }
        }
    }

    /**
     * erf from the c = erfc(|x|) that {@link #erfcOfAbs} wrote, for the vectors it wrote (the same
     * test picks them): 1 - c with x's sign, or below 1 in magnitude x + x S(x^2); the other vectors
     * and the tail by {@link ErrorFunction#erf}. Each vector of a is read before r's is written, so
     * r may be a.
     */
    private static void erfFromErfc(double[] a, int ao, double[] ec, double[] r, int ro, int n) {
        DoubleVector oneFrom = V_ONE_FROM;
        DoubleVector small = V_SMALL;
        DoubleVector one = VectorExp.ONE;
        DoubleVector s0 = V_S0, s1 = V_S1, s2 = V_S2, s3 = V_S3, s4 = V_S4, s5 = V_S5;
        DoubleVector s6 = V_S6, s7 = V_S7, s8 = V_S8, s9 = V_S9, s10 = V_S10, s11 = V_S11;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
            DoubleVector ax = x.abs();
            if (ax.compare(VectorOperators.LT, oneFrom).allTrue()) {
                DoubleVector u = x.mul(x);
                DoubleVector u2 = u.mul(u);
                DoubleVector u4 = u2.mul(u2);
                DoubleVector u8 = u4.mul(u4);
                DoubleVector p0 = s3.fma(u, s2).fma(u2, s1.fma(u, s0));
                DoubleVector p1 = s7.fma(u, s6).fma(u2, s5.fma(u, s4));
                DoubleVector p2 = s11.fma(u, s10).fma(u2, s9.fma(u, s8));
                DoubleVector series = p2.fma(u8, p1.fma(u4, p0));
                DoubleVector c = (DoubleVector) SPECIES.fromArray(ec, i);
                // 1 - c >= 0 takes x's sign
                DoubleVector large = one.sub(c).viewAsIntegralLanes().or(x.viewAsIntegralLanes().and(SIGN_BIT)).viewAsFloatingLanes();
                large.blend(x.fma(series, x), ax.compare(VectorOperators.LT, small)).intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = ErrorFunction.erf(a[ao + j]);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = ErrorFunction.erf(a[ao + i]);
        }
    }
}
