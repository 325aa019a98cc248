package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MathKernel} on the Vector API: exp and the functions built on it in {@link VectorExp}, log
 * and softplus in {@link VectorLog}, erf in {@link VectorErf}, their float32-arithmetic twins in {@link VectorFloatExp},
 * {@link VectorFloatLog}, {@link VectorFloatErf} and {@link VectorFloatGelu} (all the same bits compiled or interpreted, within a few ulps of the
 * correctly rounded functions), relu and its backward as blends, the other selections (comparisons,
 * leaky relu, clamp, where) in {@link VectorSelections}, sums and dots in {@link
 * VectorSums}, conversions in {@link VectorConversions}, the other loops in {@link VectorLoops}.
 * Only loaded when the {@code jdk.incubator.vector} module is present.
 */
final class VectorMathKernel implements MathKernel {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    @Override
    public String description() {
        return "vector (" + SPECIES.vectorBitSize() + "-bit exp, log, log1p, tanh, sigmoid, softplus, erf, relu; float32 in float32)";
    }

    // ---------------------------------------------------------------- the kernels

    @Override
    public void exp(double[] a, int ao, double[] r, int ro, int n) {
        VectorExp.expShifted(a, ao, 0.0, r, ro, n);
    }

    @Override
    public void log(double[] a, int ao, double[] r, int ro, int n) {
        VectorLog.log(a, ao, r, ro, n);
    }

    @Override
    public void erf(double[] a, int ao, double[] r, int ro, int n) {
        VectorErf.erf(a, ao, r, ro, n);
    }

    @Override
    public void geluGrad(double[] g, int go, double[] x, int xo, double[] r, int ro, int n) {
        VectorErf.geluGrad(g, go, x, xo, r, ro, n);
    }

    @Override
    public void gelu(float[] a, int ao, float[] r, int ro, int n) {
        VectorFloatGelu.gelu(a, ao, r, ro, n);
    }

    @Override
    public void geluGrad(float[] g, int go, float[] x, int xo, float[] r, int ro, int n) {
        VectorFloatGelu.geluGrad(g, go, x, xo, r, ro, n);
    }

    @Override
    public void log1p(double[] a, int ao, double[] r, int ro, int n) {
        VectorLog.log1p(a, ao, r, ro, n);
    }

    @Override
    public void log1p(float[] a, int ao, float[] r, int ro, int n) {
        VectorFloatLog.log1p(a, ao, r, ro, n);
    }

    @Override
    public void siluGrad(double[] g, int go, double[] x, int xo, double[] r, int ro, int n) {
        double[] s = Scratch.doubles(Scratch.GELU, Math.min(n, FloatBlocks.BLOCK));
        for (int from = 0; from < n; from += FloatBlocks.BLOCK) {
            int len = Math.min(FloatBlocks.BLOCK, n - from);
            VectorExp.sigmoid(x, xo + from, s, 0, len);
            VectorLoops.siluGrad(g, go + from, x, xo + from, s, r, ro + from, len);
        }
    }

    @Override
    public void siluGrad(float[] g, int go, float[] x, int xo, float[] r, int ro, int n) {
        // the float sigmoid takes no scratch of its own; GELU's float blocks may hold g's and x's views
        float[] s = Scratch.floats(Scratch.MATH, Math.min(n, FloatBlocks.BLOCK));
        for (int from = 0; from < n; from += FloatBlocks.BLOCK) {
            int len = Math.min(FloatBlocks.BLOCK, n - from);
            VectorFloatExp.sigmoid(x, xo + from, s, 0, len);
            VectorLoops.siluGrad(g, go + from, x, xo + from, s, r, ro + from, len);
        }
    }

    @Override
    public void softplus(double[] a, int ao, double[] r, int ro, int n) {
        VectorLog.softplus(a, ao, r, ro, n);
    }

    @Override
    public void tanh(double[] a, int ao, double[] r, int ro, int n) {
        VectorExp.tanh(a, ao, r, ro, n);
    }

    @Override
    public void sigmoid(double[] a, int ao, double[] r, int ro, int n) {
        VectorExp.sigmoid(a, ao, r, ro, n);
    }

    // NOTE: a blend, not the scalar x < 0 ? 0 : x: HotSpot has no branch-free select of doubles on
    // x86, and on data of mixed signs the branch mispredicts half the time (several times slower).
    @Override
    public void relu(double[] a, int ao, double[] r, int ro, int n) {
        int i = 0;
        DoubleVector zero = DoubleVector.zero(SPECIES);
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
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
                VectorMask<Double> positive = ((DoubleVector) SPECIES.fromArray(x, xo + i)).compare(VectorOperators.GT, 0.0);
                zero.blend(gv, positive).intoArray(r, ro + i);
            }
        } else {
            for (; i < bound; i += LANES) {
                VectorMask<Double> positive = ((DoubleVector) SPECIES.fromArray(x, xo + i)).compare(VectorOperators.GT, 0.0);
                zero.blend((DoubleVector) SPECIES.fromArray(g, go + i), positive).intoArray(r, ro + i);
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
        return VectorExp.expShifted(a, ao, shift, r, ro, n);
    }

    @Override
    public void exp(float[] a, int ao, float[] r, int ro, int n) {
        VectorFloatExp.expShifted(a, ao, 0f, r, ro, n);
    }

    @Override
    public void sigmoid(float[] a, int ao, float[] r, int ro, int n) {
        VectorFloatExp.sigmoid(a, ao, r, ro, n);
    }

    @Override
    public void tanh(float[] a, int ao, float[] r, int ro, int n) {
        VectorFloatExp.tanh(a, ao, r, ro, n);
    }

    @Override
    public void log(float[] a, int ao, float[] r, int ro, int n) {
        VectorFloatLog.log(a, ao, r, ro, n);
    }

    @Override
    public void erf(float[] a, int ao, float[] r, int ro, int n) {
        VectorFloatErf.erf(a, ao, r, ro, n);
    }

    @Override
    public void softplus(float[] a, int ao, float[] r, int ro, int n) {
        VectorFloatLog.softplus(a, ao, r, ro, n);
    }

    @Override
    public double expShifted(float[] a, int ao, float shift, float[] r, int ro, int n) {
        VectorFloatExp.expShifted(a, ao, shift, r, ro, n);
        return VectorSums.sum(r, ro, n);
    }

    @Override
    public void expDifference(float[] a, int ao, float[] b, int bo, float[] r, int ro, int n) {
        VectorFloatExp.expDifference(a, ao, b, bo, r, ro, n);
    }

    @Override
    public double dot(double[] a, int ao, double[] b, int bo, int n) {
        return VectorSums.dot(a, ao, b, bo, n, false);
    }

    @Override
    public double dot(float[] a, int ao, float[] b, int bo, int n) {
        return VectorSums.dot(a, ao, b, bo, n, false);
    }

    @Override
    public double squaredDistance(double[] a, int ao, double[] b, int bo, int n) {
        return VectorSums.dot(a, ao, b, bo, n, true);
    }

    @Override
    public double squaredDistance(float[] a, int ao, float[] b, int bo, int n) {
        return VectorSums.dot(a, ao, b, bo, n, true);
    }

    @Override
    public void scaledDifference(double c, double[] a, int ao, double[] b, int bo, double[] r, int ro, int n) {
        VectorLoops.scaledDifference(c, a, ao, b, bo, r, ro, n);
    }

    @Override
    public void scaledDifference(double c, float[] a, int ao, float[] b, int bo, float[] r, int ro, int n) {
        VectorLoops.scaledDifference(c, a, ao, b, bo, r, ro, n);
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
    public float max(float[] a, int ao, int n) {
        return VectorLoops.max(a, ao, n);
    }

    @Override
    public void mulDifference(double[] y, int yo, double[] g, int go, double s, double[] r, int ro, int n) {
        VectorLoops.mulDifference(y, yo, g, go, s, r, ro, n);
    }

    @Override
    public void mulDifference(float[] y, int yo, float[] g, int go, double s, float[] r, int ro, int n) {
        VectorLoops.mulDifference(y, yo, g, go, s, r, ro, n);
    }

    @Override
    public void subtractScaled(double[] g, int go, double[] e, int eo, double s, double[] r, int ro, int n) {
        VectorLoops.subtractScaled(g, go, e, eo, s, r, ro, n);
    }

    @Override
    public void subtractScaled(float[] g, int go, float[] e, int eo, double s, float[] r, int ro, int n) {
        VectorLoops.subtractScaled(g, go, e, eo, s, r, ro, n);
    }

    @Override
    public int maxPool2x2(float[] x, int xo, float[] y, int yo, double[] where, int wo, int w, int oh, int ow) {
        return VectorPoolLoops.max2x2(x, xo, y, yo, where, wo, w, oh, ow);
    }

    @Override
    public int winogradInput(float[] p, int s, int row, int count, float[] v, int at, int stride) {
        return VectorWinograd.input(p, s, row, count, v, at, stride);
    }

    @Override
    public int winogradOutput(float[] m, int at, int stride, int count, float b, float[] out, int ld) {
        return VectorWinograd.output(m, at, stride, count, b, out, ld);
    }

    @Override
    public int winogradGradient(float[] p, int s, int count, float[] v, int at, int stride) {
        return VectorWinograd.gradient(p, s, count, v, at, stride);
    }

    @Override
    public int winogradPairs(float[] x, int src, int w, float[] sub, int low, int high) {
        return VectorWinograd.pairs(x, src, w, sub, low, high);
    }

    @Override
    public int winogradScatter(float[] out, int j0, int ld, float[] y, int dst, int ow, int tiles) {
        return VectorWinograd.scatter(out, j0, ld, y, dst, ow, tiles);
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
    public void extremum(double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n, boolean min) {
        VectorExtremes.extremum(a, ao, b, bo, sb, r, ro, n, min);
    }

    @Override
    public void extremum(float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n, boolean min) {
        VectorExtremes.extremum(a, ao, b, bo, sb, r, ro, n, min);
    }

    @Override
    public int firstExtreme(double[] a, int ao, int n, boolean min) {
        return VectorExtremes.firstExtreme(a, ao, n, min);
    }

    @Override
    public int firstExtreme(float[] a, int ao, int n, boolean min) {
        return VectorExtremes.firstExtreme(a, ao, n, min);
    }

    @Override
    public void abs(float[] a, int ao, float[] r, int ro, int n) {
        VectorLoops.abs(a, ao, r, ro, n);
    }

    @Override
    public void neg(float[] a, int ao, float[] r, int ro, int n) {
        VectorLoops.neg(a, ao, r, ro, n);
    }

    @Override
    public void compare(double[] t, double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n) {
        VectorSelections.compare(t, a, ao, b, bo, sb, r, ro, n);
    }

    @Override
    public void compare(double[] t, float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n) {
        VectorSelections.compare(t, a, ao, b, bo, sb, r, ro, n);
    }

    @Override
    public void leakyRelu(double[] a, int ao, double s, double[] r, int ro, int n) {
        VectorSelections.leakyRelu(a, ao, s, r, ro, n);
    }

    @Override
    public void leakyRelu(float[] a, int ao, float s, float[] r, int ro, int n) {
        VectorSelections.leakyRelu(a, ao, s, r, ro, n);
    }

    @Override
    public void inside(double[] a, int ao, double lo, double hi, double[] r, int ro, int n) {
        VectorSelections.inside(a, ao, lo, hi, r, ro, n);
    }

    @Override
    public void clamp(double[] a, int ao, double lo, double hi, double[] r, int ro, int n) {
        VectorSelections.clamp(a, ao, lo, hi, r, ro, n);
    }

    @Override
    public void clamp(float[] a, int ao, float lo, float hi, float[] r, int ro, int n) {
        VectorSelections.clamp(a, ao, lo, hi, r, ro, n);
    }

    @Override
    public void where(double[] c, int co, double[] a, int ao, double[] b, int bo, double[] r, int ro, int n) {
        VectorSelections.where(c, co, a, ao, b, bo, r, ro, n);
    }

    @Override
    public void where(float[] c, int co, float[] a, int ao, float[] b, int bo, float[] r, int ro, int n) {
        VectorSelections.where(c, co, a, ao, b, bo, r, ro, n);
    }

    @Override
    public void addWidenedTo(float[] a, int ao, double[] r, int ro, int n) {
        VectorLoops.addWidenedTo(a, ao, r, ro, n);
    }

    @Override
    public void addTo(double[] a, int ao, double[] r, int ro, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            ((DoubleVector) SPECIES.fromArray(r, ro + i)).add((DoubleVector) SPECIES.fromArray(a, ao + i)).intoArray(r, ro + i);
        }
        for (; i < n; i++) {
            r[ro + i] += a[ao + i];
        }
    }

    @Override
    public void copyRuns(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int n) {
        VectorRuns.copyRuns(a, ao, as, r, ro, rs, runs, n);
    }

    @Override
    public void copyRuns(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int n) {
        VectorRuns.copyRuns(a, ao, as, r, ro, rs, runs, n);
    }

    @Override
    public void addRuns(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int n) {
        VectorRuns.addRuns(a, ao, as, r, ro, rs, runs, n);
    }

    @Override
    public void addRuns(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int n) {
        VectorRuns.addRuns(a, ao, as, r, ro, rs, runs, n);
    }

    @Override
    public double sum(double[] a, int ao, int n) {
        return VectorSums.sum(a, ao, n);
    }

    @Override
    public double sum(float[] a, int ao, int n) {
        return VectorSums.sum(a, ao, n);
    }

    private static final NormColumnKernel NORM_COLUMNS = new VectorNormColumns();

    @Override
    public NormColumnKernel normColumns() {
        return NORM_COLUMNS;
    }
}
