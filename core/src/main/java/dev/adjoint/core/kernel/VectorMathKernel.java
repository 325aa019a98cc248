package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MathKernel} on the Vector API: the JDK's vectorised {@code exp} and {@code tanh} (SVML
 * on x86), and masks and blends for the selects. Tails shorter than a vector take the scalar
 * formulas. Only loaded when the {@code jdk.incubator.vector} module is present.
 */
final class VectorMathKernel implements MathKernel {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final DoubleVector ONE = DoubleVector.broadcast(SPECIES, 1.0);

    @Override
    public String description() {
        return "vector (DoubleVector " + SPECIES.vectorBitSize() + "-bit exp, tanh, sigmoid, relu)";
    }

    @Override
    public void exp(double[] a, int ao, double[] r, int ro, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector.fromArray(SPECIES, a, ao + i).lanewise(VectorOperators.EXP).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = Math.exp(a[ao + i]);
        }
    }

    @Override
    public void tanh(double[] a, int ao, double[] r, int ro, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector.fromArray(SPECIES, a, ao + i).lanewise(VectorOperators.TANH).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = Math.tanh(a[ao + i]);
        }
    }

    @Override
    public void sigmoid(double[] a, int ao, double[] r, int ro, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            // e = exp(-|x|) never overflows; s = 1 / (1 + e) for x >= 0, e s below
            DoubleVector x = DoubleVector.fromArray(SPECIES, a, ao + i);
            DoubleVector e = x.lanewise(VectorOperators.ABS).neg().lanewise(VectorOperators.EXP);
            DoubleVector s = ONE.div(e.add(1.0));
            s.blend(e.mul(s), x.lt(0.0)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] = Elementwise.sigmoid(a[ao + i]);
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
    public double expShifted(double[] a, int ao, double shift, double[] r, int ro, int n) {
        int i = 0;
        DoubleVector sums = DoubleVector.zero(SPECIES);
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector e = DoubleVector.fromArray(SPECIES, a, ao + i).sub(shift).lanewise(VectorOperators.EXP);
            e.intoArray(r, ro + i);
            sums = sums.add(e);
        }
        // lane by lane rather than reduceLanes, which JDK 17 does not always compile to vector code
        double[] lanes = new double[LANES];
        sums.intoArray(lanes, 0);
        double sum = 0;
        for (double l : lanes) {
            sum += l;
        }
        for (; i < n; i++) {
            double e = Math.exp(a[ao + i] - shift);
            r[ro + i] = e;
            sum += e;
        }
        return sum;
    }
}
