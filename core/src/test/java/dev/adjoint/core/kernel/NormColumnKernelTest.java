package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/**
 * Batch normalization's column loops ({@link NormColumnKernel}) in both kernels: each result is the
 * bits of its definition, written here as the Java expression of one column (sums in row order
 * from 0, floats widened, each value rounded once and then scaled and shifted in its dtype), on
 * strips of any width (the vector kernel's blocks of vectors, single vectors and scalar columns)
 * and any number of rows, at offsets inside longer rows; and nothing outside the strip is written.
 */
class NormColumnKernelTest {
    /** Marks the elements a kernel must not write. */
    private static final double UNTOUCHED = -12345.5;
    /** Values a few elements take: signed zeros, infinities, NaN, a subnormal float. */
    private static final double[] SPECIAL = {-0.0, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 1e-40f};

    @Property(tries = 120)
    void eachColumnTakesItsDefinitionsOperations(@ForAll @LongRange(min = 1) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int n = rng.nextInt(4) == 0 ? 1 + rng.nextInt(12) : 1 + rng.nextInt(150);
        int rows = rng.nextInt(6) == 0 ? rng.nextInt(3) : 1 + rng.nextInt(40);
        int stride = n + rng.nextInt(3) * rng.nextInt(1, 20);
        int xo = rng.nextInt(5);
        int go = rng.nextInt(5);
        int yo = rng.nextInt(5);
        // each array ends right after its last row's strip or a little later: a read past the strip
        // at the array's end would throw
        int span = Math.max(0, rows - 1) * stride + n;
        int lx = xo + span + (rng.nextBoolean() ? 0 : rng.nextInt(5));
        int lg = go + span + (rng.nextBoolean() ? 0 : rng.nextInt(5));
        int length = yo + span + (rng.nextBoolean() ? 0 : rng.nextInt(5));
        double[] x = new double[lx];
        double[] g = new double[lg];
        for (int i = 0; i < lx; i++) {
            // floats' values, so that each dtype reads the same numbers
            x[i] = (float) (rng.nextDouble(-3, 5) * (rng.nextInt(10) == 0 ? 1e3 : 1));
        }
        for (int i = 0; i < lg; i++) {
            g[i] = (float) rng.nextDouble(-1, 1);
        }
        for (int j = 0; j < 3; j++) {
            if (lx > 0 && rng.nextInt(4) == 0) {
                x[rng.nextInt(lx)] = SPECIAL[rng.nextInt(SPECIAL.length)];
            }
            if (lg > 0 && rng.nextInt(4) == 0) {
                g[rng.nextInt(lg)] = SPECIAL[rng.nextInt(SPECIAL.length)];
            }
        }
        double[] mean = channels(rng, n, -1, 1);
        double[] rstd = channels(rng, n, 0.1, 3);
        double[] mg = channels(rng, n, -0.5, 0.5);
        double[] mgx = channels(rng, n, -0.5, 0.5);
        double[] w = channels(rng, n, -2, 2);
        double[] b = channels(rng, n, -2, 2);
        if (rng.nextBoolean()) {
            Arrays.fill(w, 1);
            Arrays.fill(b, -0.0);
        }
        if (rows > 0 && rng.nextBoolean()) {
            // a column of -0.0 around a mean of 0 (signed zeros through every step), and a column at its mean
            int zero = rng.nextInt(n);
            int flat = rng.nextInt(n);
            mean[zero] = 0;
            for (int r = 0; r < rows; r++) {
                x[xo + r * stride + zero] = -0.0;
                x[xo + r * stride + flat] = mean[flat];
            }
        }
        for (MathKernel math : MathKernelTest.kernels()) {
            NormColumnKernel k = math.normColumns();
            String where = math.description() + ", n " + n + ", rows " + rows + ", stride " + stride;
            for (boolean floats : new boolean[] {false, true}) {
                String at = where + (floats ? ", float32" : ", float64");
                float[] xf = PoolKernelsTest.floats(x);
                float[] gf = PoolKernelsTest.floats(g);
                double[] sums = new double[n];
                double[] squares = new double[n];
                double[] sg = new double[n];
                double[] sgx = new double[n];
                // sums over no rows are 0, whatever the arrays held
                for (double[] a : new double[][] {sums, squares, sg, sgx}) {
                    Arrays.fill(a, Double.NaN);
                }
                double[] y = new double[length];
                double[] dx = new double[length];
                Arrays.fill(y, UNTOUCHED);
                Arrays.fill(dx, UNTOUCHED);
                if (floats) {
                    float[] yf = PoolKernelsTest.floats(y);
                    float[] dxf = PoolKernelsTest.floats(dx);
                    k.sums(xf, xo, stride, rows, null, sums, n);
                    k.sums(xf, xo, stride, rows, mean, squares, n);
                    k.normalize(xf, xo, stride, rows, mean, rstd, PoolKernelsTest.floats(w), PoolKernelsTest.floats(b), yf, yo, n);
                    k.gradientSums(gf, go, xf, xo, stride, rows, mean, rstd, sg, sgx, n);
                    k.gradient(gf, go, xf, xo, stride, rows, mean, rstd, mg, mgx, PoolKernelsTest.floats(w), dxf, yo, n);
                    y = PoolKernelsTest.widened(yf);
                    dx = PoolKernelsTest.widened(dxf);
                } else {
                    k.sums(x, xo, stride, rows, null, sums, n);
                    k.sums(x, xo, stride, rows, mean, squares, n);
                    k.normalize(x, xo, stride, rows, mean, rstd, w, b, y, yo, n);
                    k.gradientSums(g, go, x, xo, stride, rows, mean, rstd, sg, sgx, n);
                    k.gradient(g, go, x, xo, stride, rows, mean, rstd, mg, mgx, w, dx, yo, n);
                }
                boolean[] written = new boolean[length];
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    double q = 0;
                    double s1 = 0;
                    double s2 = 0;
                    for (int r = 0; r < rows; r++) {
                        double xv = x[xo + r * stride + i];
                        double gv = g[go + r * stride + i];
                        s += xv;
                        double v = xv - mean[i];
                        q += v * v;
                        double xh = (xv - mean[i]) * rstd[i];
                        s1 += gv;
                        s2 += gv * xh;
                        int out = yo + r * stride + i;
                        written[out] = true;
                        double d = rstd[i] * (gv - mg[i] - xh * mgx[i]);
                        double ye = floats ? (float) xh * (float) w[i] + (float) b[i] : xh * w[i] + b[i];
                        double dxe = floats ? (float) d * (float) w[i] : d * w[i];
                        assertBits(ye, y[out], at + ": y, row " + r + ", column " + i);
                        assertBits(dxe, dx[out], at + ": dx, row " + r + ", column " + i);
                    }
                    assertBits(s, sums[i], at + ": sum, column " + i);
                    assertBits(q, squares[i], at + ": sum of squares, column " + i);
                    assertBits(s1, sg[i], at + ": sum of g, column " + i);
                    assertBits(s2, sgx[i], at + ": sum of g xhat, column " + i);
                }
                for (int j = 0; j < length; j++) {
                    if (!written[j]) {
                        assertBits(UNTOUCHED, y[j], at + ": y written outside the strip at " + j);
                        assertBits(UNTOUCHED, dx[j], at + ": dx written outside the strip at " + j);
                    }
                }
            }
        }
    }

    /** The same value, -0.0 told from 0.0 (any NaN matches any NaN). */
    private static void assertBits(double expected, double actual, String what) {
        assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual), () -> what + ": " + actual + " against " + expected);
    }

    private static double[] channels(SplittableRandom rng, int n, double lo, double hi) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rng.nextDouble(lo, hi);
        }
        return a;
    }
}
