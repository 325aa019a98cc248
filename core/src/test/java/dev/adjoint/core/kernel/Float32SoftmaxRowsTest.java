package dev.adjoint.core.kernel;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/**
 * float32 softmax, log-softmax and their backward over rows long enough for float32 arithmetic
 * ({@link MathKernel#MIN_LENGTH} and up), and over columns that far apart ({@link SoftmaxColumns}),
 * on logits of every spread, against the float64 results
 * on the same inputs: softmax within 3 ulps of float, its backward within 2, log-softmax within 3
 * ulps or 1e-15 (where a dominant logit makes log-softmax nearly 0, log of a sum near 1 limits the
 * float64 result itself to about that); log-softmax's backward, {@code g - exp(y) S(g)}, within 3
 * ulps of {@code |exp(y) S(g)|} plus 2 of the result (float arithmetic's bound where the two terms
 * nearly cancel).
 */
class Float32SoftmaxRowsTest {
    private static final double[] SPREADS = {0.01, 0.1, 1, 5, 30, 100};

    @Property(tries = 200)
    void rowsInFloat32ArithmeticStayWithinAFewUlpsOfTheFloat64Results(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int rows = 1 + rng.nextInt(3);
        int n = MathKernel.MIN_LENGTH + rng.nextInt(1200);
        double spread = SPREADS[rng.nextInt(SPREADS.length)];
        double mean = rng.nextDouble(-50, 50);
        float[] a = new float[rows * n];
        float[] g = new float[rows * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (mean + spread * rng.nextGaussian());
            g[i] = (float) rng.nextGaussian();
        }
        assertWithinBounds(NDArray.of(a, new int[] {rows, n}), NDArray.of(g, new int[] {rows, n}), 1,
                rows + " x " + n + ", spread " + spread + ", mean " + mean);
    }

    @Property(tries = 100)
    void columnsInFloat32ArithmeticStayWithinAFewUlpsOfTheFloat64Results(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] shape = {1 + rng.nextInt(2), 1 + rng.nextInt(60), MathKernel.MIN_LENGTH + rng.nextInt(200)};
        int size = shape[0] * shape[1] * shape[2];
        double spread = SPREADS[rng.nextInt(SPREADS.length)];
        double mean = rng.nextDouble(-50, 50);
        float[] a = new float[size];
        float[] g = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (mean + spread * rng.nextGaussian());
            g[i] = (float) rng.nextGaussian();
        }
        assertWithinBounds(NDArray.of(a, shape), NDArray.of(g, shape), 1,
                java.util.Arrays.toString(shape) + " axis 1, spread " + spread + ", mean " + mean);
    }

    /**
     * A confident class (probability within 1e-3 to 1e-7 of 1) keeps the digits of its log-softmax
     * gradient, NLL's {@code p - 1}: within an ulp of the float64 result rounded, over rows and over
     * columns, where float's exp near 1 alone would leave a few significant bits.
     */
    @Property(tries = 60)
    void aConfidentClassKeepsItsGradientsDigits(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int n = MathKernel.MIN_LENGTH + rng.nextInt(200);
        int inner = MathKernel.MIN_LENGTH + rng.nextInt(20);
        double lead = Math.log(n) + rng.nextDouble(7, 16);
        for (boolean columns : new boolean[] {false, true}) {
            // columns: [n, inner] along axis 0, each column a slice; rows: [inner, n] along axis 1
            int[] shape = columns ? new int[] {n, inner} : new int[] {inner, n};
            int axis = columns ? 0 : 1;
            float[] x = new float[n * inner];
            float[] g = new float[n * inner];
            int[] target = new int[inner];
            for (int slice = 0; slice < inner; slice++) {
                target[slice] = rng.nextInt(n);
                for (int j = 0; j < n; j++) {
                    int at = columns ? j * inner + slice : slice * n + j;
                    x[at] = (float) (j == target[slice] ? lead : rng.nextGaussian());
                    g[at] = j == target[slice] ? -1f : 0f;
                }
            }
            NDArray xs = NDArray.of(x, shape);
            NDArray gs = NDArray.of(g, shape);
            NDArray y = SoftmaxKernels.softmax(xs, axis, true);
            float[] back = SoftmaxKernels.softmaxBackward(gs, y, axis, true).toFloatArray();
            double[] wide = SoftmaxKernels.softmaxBackward(gs.toFloat64(), y.toFloat64(), axis, true).toArray();
            String where = (columns ? "columns " : "rows ") + java.util.Arrays.toString(shape) + ", lead " + lead;
            assertLogBackwardWithin(gs, y, axis, wide, back, where);
            for (int slice = 0; slice < inner; slice++) {
                int at = columns ? target[slice] * inner + slice : slice * n + target[slice];
                if (MathKernelTest.floatUlps((float) wide[at], back[at]) > 1) {
                    throw new AssertionError("the confident class's gradient, " + where + " at " + at + ": " + back[at] + " against "
                            + wide[at]);
                }
            }
        }
    }

    /** The bounds above for softmax and log-softmax of x along axis, and softmax's backward from g. */
    private static void assertWithinBounds(NDArray x, NDArray gy, int axis, String where) {
        for (boolean log : new boolean[] {false, true}) {
            float[] y = SoftmaxKernels.softmax(x, axis, log).toFloatArray();
            double[] wide = SoftmaxKernels.softmax(x.toFloat64(), axis, log).toArray();
            for (int i = 0; i < y.length; i++) {
                boolean near = log && Math.abs(y[i] - wide[i]) <= 1e-15;
                if (!near && MathKernelTest.floatUlps((float) wide[i], y[i]) > 3) {
                    throw new AssertionError((log ? "logSoftmax " : "softmax ") + where + " at " + i + ": " + y[i] + " against " + wide[i]);
                }
            }
        }
        NDArray y = SoftmaxKernels.softmax(x, axis, false);
        float[] back = SoftmaxKernels.softmaxBackward(gy, y, axis, false).toFloatArray();
        double[] wide = SoftmaxKernels.softmaxBackward(gy.toFloat64(), y.toFloat64(), axis, false).toArray();
        for (int i = 0; i < back.length; i++) {
            if (MathKernelTest.floatUlps((float) wide[i], back[i]) > 2) {
                throw new AssertionError("softmax backward " + where + " at " + i + ": " + back[i] + " against " + wide[i]);
            }
        }
        NDArray logY = SoftmaxKernels.softmax(x, axis, true);
        float[] logBack = SoftmaxKernels.softmaxBackward(gy, logY, axis, true).toFloatArray();
        double[] logWide = SoftmaxKernels.softmaxBackward(gy.toFloat64(), logY.toFloat64(), axis, true).toArray();
        assertLogBackwardWithin(gy, logY, axis, logWide, logBack, "logSoftmax backward " + where);
    }

    /**
     * log-softmax's float32 backward in float32 arithmetic: within 3 ulps of {@code |exp(y) S(g)|}
     * plus 2 of the float64 result {@code wide} (exp's ulp, the scale's rounding, the product's and
     * the subtraction's) plus {@code |S|} of float's smallest subnormal (exp's error where it
     * underflows to subnormals), S the float64 sum of g's slice along {@code axis}.
     */
    static void assertLogBackwardWithin(NDArray g, NDArray y, int axis, double[] wide, float[] actual, String what) {
        float[] gf = g.contiguous().toFloatArray();
        float[] yf = y.contiguous().toFloatArray();
        int n = y.shape()[axis];
        int inner = SoftmaxKernels.innerSize(y.shape(), axis);
        if (wide.length != actual.length || gf.length != actual.length) {
            throw new AssertionError(what + ": " + actual.length + " values against " + wide.length);
        }
        for (int o = 0; o < actual.length / (n * inner); o++) {
            for (int k = 0; k < inner; k++) {
                int base = o * n * inner + k;
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += gf[base + j * inner];
                }
                for (int j = 0; j < n; j++) {
                    int i = base + j * inner;
                    double term = Math.abs(Math.exp(yf[i]) * s);
                    // exp(y) below float's normal range is a subnormal, within one of its ulps: times S
                    double bound = 3 * Math.ulp((float) term) + 2 * Math.ulp((float) Math.abs(wide[i])) + Math.abs(s) * Float.MIN_VALUE;
                    // an infinite S: exp(y) that underflows float but not double gives NaN (0 S) against an infinity
                    boolean same = Double.isNaN(wide[i]) ? Float.isNaN(actual[i])
                            : Double.isInfinite(s) ? actual[i] == wide[i] || Float.isNaN(actual[i]) && Math.exp(yf[i]) < Float.MIN_VALUE
                            : Double.isInfinite(wide[i]) || Double.isNaN(term) ? actual[i] == wide[i] : Math.abs(actual[i] - wide[i]) <= bound;
                    if (!same) {
                        throw new AssertionError(what + " at " + i + ": " + actual[i] + " against " + wide[i] + ", |exp(y) S| " + term
                                + " (g " + gf[i] + ", y " + yf[i] + ", S " + s + ")");
                    }
                }
            }
        }
    }
}
