package dev.adjoint.core.kernel;

import static dev.adjoint.core.kernel.ExpSeries.C0;
import static dev.adjoint.core.kernel.ExpSeries.C1;
import static dev.adjoint.core.kernel.ExpSeries.C10;
import static dev.adjoint.core.kernel.ExpSeries.C11;
import static dev.adjoint.core.kernel.ExpSeries.C12;
import static dev.adjoint.core.kernel.ExpSeries.C13;
import static dev.adjoint.core.kernel.ExpSeries.C14;
import static dev.adjoint.core.kernel.ExpSeries.C15;
import static dev.adjoint.core.kernel.ExpSeries.C2;
import static dev.adjoint.core.kernel.ExpSeries.C3;
import static dev.adjoint.core.kernel.ExpSeries.C4;
import static dev.adjoint.core.kernel.ExpSeries.C5;
import static dev.adjoint.core.kernel.ExpSeries.C6;
import static dev.adjoint.core.kernel.ExpSeries.C7;
import static dev.adjoint.core.kernel.ExpSeries.C8;
import static dev.adjoint.core.kernel.ExpSeries.C9;
import static dev.adjoint.core.kernel.ExpSeries.FLOOR;
import static dev.adjoint.core.kernel.ExpSeries.LN2_HI;
import static dev.adjoint.core.kernel.ExpSeries.LN2_LO;
import static dev.adjoint.core.kernel.ExpSeries.LOG2E;
import static dev.adjoint.core.kernel.ExpSeries.RANGE;
import static dev.adjoint.core.kernel.ExpSeries.SHIFTER;
import static dev.adjoint.core.kernel.ExpSeries.SHIFTER_BITS;
import static dev.adjoint.core.kernel.ExpSeries.TANH_LIMIT;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp and the functions built on it (exp with a shift and the sum, as softmax needs it; tanh
 * through expm1; sigmoid) on the Vector API, for {@link VectorMathKernel}: Cody-Waite range
 * reduction, a Taylor series evaluated by Estrin's scheme with fused multiply-adds, and the power
 * of two built in the exponent bits. Only exact IEEE operations (add, multiply, fma, divide, bit
 * moves) are used, so the results are the same bits whether the JIT has compiled this code or the
 * JVM still interprets the Vector API's Java fallback. The JDK's own {@code lanewise(EXP)} calls
 * SVML when compiled and {@link Math#exp} lane by lane when not, and those differ in the last
 * place: the same training run could then give different bits depending on when the JIT got
 * there. Lanes outside the polynomial's range, and NaN, take {@link Math#exp}; tails shorter than
 * a vector take the same polynomial in scalar code ({@link ExpSeries}), so a value's result does not depend on where
 * it sits in the array.
 */
final class VectorExp {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    static final DoubleVector ONE = DoubleVector.broadcast(SPECIES, 1.0);
    private static final long SIGN_BIT = Long.MIN_VALUE;

    private VectorExp() {
    }

    static final DoubleVector LN2_HI_VECTOR = DoubleVector.broadcast(SPECIES, LN2_HI);
    static final DoubleVector LN2_LO_VECTOR = DoubleVector.broadcast(SPECIES, LN2_LO);
    /** Subtracted from the shifter's bits, leaves the biased exponent of 2^k (ExpSeries's {@code powerOfTwo}). */
    static final LongVector V_BIAS = LongVector.broadcast(LongVector.SPECIES_PREFERRED, SHIFTER_BITS - 1023);
    private static final DoubleVector V_RANGE = DoubleVector.broadcast(SPECIES, RANGE);
    static final DoubleVector V_LOG2E = DoubleVector.broadcast(SPECIES, LOG2E);
    static final DoubleVector V_SHIFTER = DoubleVector.broadcast(SPECIES, SHIFTER);
    private static final DoubleVector V_FLOOR = DoubleVector.broadcast(SPECIES, FLOOR);
    private static final DoubleVector V_TWO = DoubleVector.broadcast(SPECIES, 2.0);
    private static final DoubleVector V_TANH_LIMIT = DoubleVector.broadcast(SPECIES, TANH_LIMIT);
    static final DoubleVector V_C0 = DoubleVector.broadcast(SPECIES, C0), V_C1 = DoubleVector.broadcast(SPECIES, C1),
            V_C2 = DoubleVector.broadcast(SPECIES, C2), V_C3 = DoubleVector.broadcast(SPECIES, C3), V_C4 = DoubleVector.broadcast(SPECIES, C4),
            V_C5 = DoubleVector.broadcast(SPECIES, C5), V_C6 = DoubleVector.broadcast(SPECIES, C6), V_C7 = DoubleVector.broadcast(SPECIES, C7),
            V_C8 = DoubleVector.broadcast(SPECIES, C8), V_C9 = DoubleVector.broadcast(SPECIES, C9), V_C10 = DoubleVector.broadcast(SPECIES, C10),
            V_C11 = DoubleVector.broadcast(SPECIES, C11), V_C12 = DoubleVector.broadcast(SPECIES, C12),
            V_C13 = DoubleVector.broadcast(SPECIES, C13), V_C14 = DoubleVector.broadcast(SPECIES, C14),
            V_C15 = DoubleVector.broadcast(SPECIES, C15);

    /** tanh's and sigmoid's blocks: two passes over one block stay in the first-level cache. */
    private static final int BLOCK = 512;

    // NOTE: tanh and sigmoid run in two passes per block, each its own flat loop (the polynomial
    // written out, the constants in static final vectors): in one loop, with the scalar path for
    // lanes out of range inlined beside it, C2 reached its node-count limit and left a Vector API
    // call uninlined in some JVMs, boxing its vectors, a new object every turn
    // (KernelAllocationTest). Each pass is too long to be inlined into the block loop. The first
    // pass writes to scratch, so that r may be a (the float32 loops convert in place).
    /** {@link MathKernel#tanh}; r may be a at the same offset. */
    static void tanh(double[] a, int ao, double[] r, int ro, int n) {
        double[] e = Scratch.doubles(Scratch.MATH, Math.min(n, BLOCK));
        for (int from = 0; from < n; from += BLOCK) {
            int length = Math.min(BLOCK, n - from);
            expm1OfTwiceAbs(a, ao + from, e, length);
            tanhFromExpm1(a, ao + from, e, r, ro + from, length);
        }
    }

    /**
     * {@code e[i] = expm1(2 |a[ao + i]|)} by {@link ExpSeries#expm1NonNegative}'s operations, for each whole
     * vector whose lanes are all within [-20, 20]; the other vectors and the tail are left as they were.
     */
    private static void expm1OfTwiceAbs(double[] a, int ao, double[] e, int n) {
        DoubleVector log2e = V_LOG2E;
        DoubleVector floor = V_FLOOR;
        DoubleVector shifter = V_SHIFTER;
        DoubleVector ln2Hi = LN2_HI_VECTOR;
        DoubleVector ln2Lo = LN2_LO_VECTOR;
        DoubleVector one = ONE;
        DoubleVector limit = V_TANH_LIMIT;
        LongVector bias = V_BIAS;
        DoubleVector c0 = V_C0, c1 = V_C1, c2 = V_C2, c3 = V_C3, c4 = V_C4, c5 = V_C5, c6 = V_C6, c7 = V_C7;
        DoubleVector c8 = V_C8, c9 = V_C9, c10 = V_C10, c11 = V_C11, c12 = V_C12, c13 = V_C13, c14 = V_C14, c15 = V_C15;
        for (int i = 0, bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector ax = ((DoubleVector) SPECIES.fromArray(a, ao + i)).abs();
            if (ax.compare(VectorOperators.LE, limit).allTrue()) {
                DoubleVector y = ax.add(ax);
                DoubleVector t = y.mul(log2e).add(floor).add(shifter);
                DoubleVector scale = t.viewAsIntegralLanes().sub(bias).lanewise(VectorOperators.LSHL, 52).viewAsFloatingLanes();
                DoubleVector minusK = t.sub(shifter).neg();
                DoubleVector z = minusK.fma(ln2Lo, minusK.fma(ln2Hi, y));
                DoubleVector z2 = z.mul(z);
                DoubleVector z4 = z2.mul(z2);
                DoubleVector z8 = z4.mul(z4);
                DoubleVector s0 = c3.fma(z, c2).fma(z2, c1.fma(z, c0));
                DoubleVector s1 = c7.fma(z, c6).fma(z2, c5.fma(z, c4));
                DoubleVector s2 = c11.fma(z, c10).fma(z2, c9.fma(z, c8));
                DoubleVector s3 = c15.fma(z, c14).fma(z2, c13.fma(z, c12));
                DoubleVector p = s3.fma(z4, s2).fma(z8, s1.fma(z4, s0));
                scale.fma(z2.fma(p, z), scale.sub(one)).intoArray(e, i);
            }
        }
    }

    /**
     * tanh(x) = sign(x) e / (e + 2) from the e that {@link #expm1OfTwiceAbs} wrote, for the vectors
     * it wrote (the same test picks them); the other vectors and the tail by {@link ExpSeries#tanh(double)}.
     * Each vector of a is read before r's is written, so r may be a.
     */
    private static void tanhFromExpm1(double[] a, int ao, double[] ex, double[] r, int ro, int n) {
        DoubleVector two = V_TWO;
        DoubleVector limit = V_TANH_LIMIT;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
            if (x.abs().compare(VectorOperators.LE, limit).allTrue()) {
                DoubleVector e = (DoubleVector) SPECIES.fromArray(ex, i);
                DoubleVector th = e.div(e.add(two));
                // copy x's sign onto th (th >= 0)
                th.viewAsIntegralLanes().or(x.viewAsIntegralLanes().and(SIGN_BIT)).viewAsFloatingLanes().intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = ExpSeries.tanh(a[ao + j]);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = ExpSeries.tanh(a[ao + i]);
        }
    }

    /** {@link MathKernel#sigmoid}; r may be a at the same offset. */
    static void sigmoid(double[] a, int ao, double[] r, int ro, int n) {
        double[] e = Scratch.doubles(Scratch.MATH, Math.min(n, BLOCK));
        for (int from = 0; from < n; from += BLOCK) {
            int length = Math.min(BLOCK, n - from);
            expOfNegativeAbs(a, ao + from, e, length);
            sigmoidFromExp(a, ao + from, e, r, ro + from, length);
        }
    }

    /**
     * {@code e[i] = exp(-|a[ao + i]|)} by {@link ExpSeries#expPoly}'s operations, for each whole vector whose
     * lanes are all within the polynomial's range; the other vectors and the tail are left as they were.
     */
    static void expOfNegativeAbs(double[] a, int ao, double[] e, int n) {
        DoubleVector range = V_RANGE;
        DoubleVector log2e = V_LOG2E;
        DoubleVector shifter = V_SHIFTER;
        DoubleVector ln2Hi = LN2_HI_VECTOR;
        DoubleVector ln2Lo = LN2_LO_VECTOR;
        DoubleVector one = ONE;
        LongVector bias = V_BIAS;
        DoubleVector c0 = V_C0, c1 = V_C1, c2 = V_C2, c3 = V_C3, c4 = V_C4, c5 = V_C5;
        DoubleVector c6 = V_C6, c7 = V_C7, c8 = V_C8, c9 = V_C9, c10 = V_C10, c11 = V_C11;
        for (int i = 0, bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector ax = ((DoubleVector) SPECIES.fromArray(a, ao + i)).abs();
            if (ax.compare(VectorOperators.LE, range).allTrue()) {
                DoubleVector negAbs = ax.neg();
                DoubleVector t = negAbs.fma(log2e, shifter);
                DoubleVector minusK = shifter.sub(t);
                DoubleVector y = minusK.fma(ln2Lo, minusK.fma(ln2Hi, negAbs));
                DoubleVector y2 = y.mul(y);
                DoubleVector y4 = y2.mul(y2);
                DoubleVector y8 = y4.mul(y4);
                DoubleVector s0 = c3.fma(y, c2).fma(y2, c1.fma(y, c0));
                DoubleVector s1 = c7.fma(y, c6).fma(y2, c5.fma(y, c4));
                DoubleVector s2 = c11.fma(y, c10).fma(y2, c9.fma(y, c8));
                DoubleVector p = s2.fma(y8, s1.fma(y4, s0));
                DoubleVector scale = t.viewAsIntegralLanes().sub(bias).lanewise(VectorOperators.LSHL, 52).viewAsFloatingLanes();
                y2.fma(p, y).add(one).mul(scale).intoArray(e, i);
            }
        }
    }

    /**
     * sigmoid from the e = exp(-|x|) that {@link #expOfNegativeAbs} wrote, for the vectors it wrote:
     * 1 / (1 + e) for x >= 0, e / (1 + e) below; the other vectors and the tail by
     * {@link ExpSeries#sigmoid(double)}. Each vector of a is read before r's is written, so r may be a.
     */
    private static void sigmoidFromExp(double[] a, int ao, double[] ex, double[] r, int ro, int n) {
        DoubleVector range = V_RANGE;
        DoubleVector one = ONE;
        DoubleVector zero = DoubleVector.zero(SPECIES);
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
            if (x.abs().compare(VectorOperators.LE, range).allTrue()) {
                DoubleVector e = (DoubleVector) SPECIES.fromArray(ex, i);
                DoubleVector s = one.div(e.add(one));
                s.blend(e.mul(s), x.compare(VectorOperators.LT, zero)).intoArray(r, ro + i);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    r[ro + j] = ExpSeries.sigmoid(a[ao + j]);
                }
            }
        }
        for (; i < n; i++) {
            r[ro + i] = ExpSeries.sigmoid(a[ao + i]);
        }
    }

    /**
     * {@code r[ro + i] = exp(a[ao + i] - shift)} by {@link ExpSeries#expPoly}'s operations (lanes out of range
     * and the tail by {@link ExpSeries#exp(double)}), returning the sum of what it wrote.
     *
     * <p>NOTE: one flat loop, too long for C2 to inline into a caller (so it is compiled on its own,
     * whoever calls it), with its constants in static final vectors, no helper calls, and the
     * lane sums in an array, added to and stored every turn: a vector store after a loop can be
     * left as a call, which then runs unintrinsified, and a vector carried from turn to turn past
     * the out-of-range branch was left boxed in some JVMs (bench/RESULTS.md, "softmax's exp loop
     * unboxed").
     */
    static double expShifted(double[] a, int ao, double shift, double[] r, int ro, int n) {
        DoubleVector shiftBy = DoubleVector.broadcast(SPECIES, shift);
        DoubleVector range = V_RANGE;
        DoubleVector log2e = V_LOG2E;
        DoubleVector shifter = V_SHIFTER;
        DoubleVector ln2Hi = LN2_HI_VECTOR;
        DoubleVector ln2Lo = LN2_LO_VECTOR;
        DoubleVector one = ONE;
        DoubleVector c0 = V_C0, c1 = V_C1, c2 = V_C2, c3 = V_C3, c4 = V_C4, c5 = V_C5;
        DoubleVector c6 = V_C6, c7 = V_C7, c8 = V_C8, c9 = V_C9, c10 = V_C10, c11 = V_C11;
        LongVector bias = V_BIAS;
        double[] lanes = new double[LANES];
        double sum = 0;
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = ((DoubleVector) SPECIES.fromArray(a, ao + i)).sub(shiftBy);
            if (x.abs().compare(VectorOperators.LE, range).allTrue()) {
                DoubleVector t = x.fma(log2e, shifter);
                DoubleVector minusK = shifter.sub(t);
                DoubleVector y = minusK.fma(ln2Lo, minusK.fma(ln2Hi, x));
                DoubleVector y2 = y.mul(y);
                DoubleVector y4 = y2.mul(y2);
                DoubleVector y8 = y4.mul(y4);
                DoubleVector s0 = c3.fma(y, c2).fma(y2, c1.fma(y, c0));
                DoubleVector s1 = c7.fma(y, c6).fma(y2, c5.fma(y, c4));
                DoubleVector s2 = c11.fma(y, c10).fma(y2, c9.fma(y, c8));
                DoubleVector p = s2.fma(y8, s1.fma(y4, s0));
                DoubleVector scale = t.viewAsIntegralLanes().sub(bias).lanewise(VectorOperators.LSHL, 52).viewAsFloatingLanes();
                DoubleVector e = y2.fma(p, y).add(one).mul(scale);
                e.intoArray(r, ro + i);
                // the lane sums live in memory, not in a vector carried around the loop: C2 (JDK 17)
                // left such a vector boxed, a new object every turn, in about half the JVMs
                ((DoubleVector) SPECIES.fromArray(lanes, 0)).add(e).intoArray(lanes, 0);
            } else {
                for (int j = i; j < i + LANES; j++) {
                    double e = ExpSeries.exp(a[ao + j] - shift);
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
            double e = ExpSeries.exp(a[ao + i] - shift);
            r[ro + i] = e;
            sum += e;
        }
        return sum;
    }
}
