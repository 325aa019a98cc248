package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link CrossEntropyKernels}: the same bits on any number of threads, float32 within a few ulps
 * of float64, and rows of soft targets against a plain double loop of the definition.
 */
class CrossEntropyKernelsTest {

    private static NDArray randn(SplittableRandom rng, int rows, int n, double scale) {
        double[] v = new double[rows * n];
        for (int i = 0; i < v.length; i++) {
            v[i] = scale * (rng.nextDouble() * 2 - 1);
        }
        return NDArray.of(v, new int[] {rows, n});
    }

    private static NDArray softTargets(SplittableRandom rng, int rows, int n) {
        double[] v = new double[rows * n];
        for (int i = 0; i < rows; i++) {
            double sum = 0;
            for (int j = 0; j < n; j++) {
                // about a third of the classes get probability 0
                v[i * n + j] = rng.nextInt(3) == 0 ? 0 : rng.nextDouble();
                sum += v[i * n + j];
            }
            // rows that sum to between 0.5 and 1.5, not 1: the gradient's row sum T matters
            double total = 0.5 + rng.nextDouble();
            for (int j = 0; sum > 0 && j < n; j++) {
                v[i * n + j] *= total / sum;
            }
        }
        return NDArray.of(v, new int[] {rows, n});
    }

    @Property(tries = 30)
    void theLossAndGradientFollowTheDefinition(@ForAll @IntRange(min = 1, max = 9) int rows, @ForAll @IntRange(min = 1, max = 140) int n,
            @ForAll @IntRange(min = 0, max = 1000) int seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        NDArray x = randn(rng, rows, n, 8);
        NDArray t = softTargets(rng, rows, n);
        double[] xs = x.toArray();
        double[] ts = t.toArray();
        double loss = 0;
        double[] grad = new double[rows * n];
        for (int i = 0; i < rows; i++) {
            double max = Double.NEGATIVE_INFINITY;
            double total = 0;
            for (int j = 0; j < n; j++) {
                max = Math.max(max, xs[i * n + j]);
                total += ts[i * n + j];
            }
            double s = 0;
            for (int j = 0; j < n; j++) {
                s += Math.exp(xs[i * n + j] - max);
            }
            for (int j = 0; j < n; j++) {
                double y = xs[i * n + j] - max - Math.log(s);
                loss -= ts[i * n + j] * y / rows;
                grad[i * n + j] = 0.5 * (Math.exp(y) * total - ts[i * n + j]);
            }
        }
        assertEquals(loss, CrossEntropyKernels.loss(x, t), 1e-12 * Math.max(1, Math.abs(loss)));
        assertArrayEquals(grad, CrossEntropyKernels.gradient(0.5, x, t).toArray(), 1e-14);
    }

    @Test
    void theThreadCountChangesNoBit() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int n : new int[] {10, 1000}) {
            NDArray x = randn(rng, 300, n, 5);
            NDArray t = softTargets(rng, 300, n);
            int previous = Parallel.forceParts(1);
            try {
                double loss = CrossEntropyKernels.loss(x, t);
                double[] grad = CrossEntropyKernels.gradient(1.0 / 300, x, t).toArray();
                for (int parts : new int[] {2, 3, 8}) {
                    Parallel.forceParts(parts);
                    assertEquals(Double.doubleToLongBits(loss), Double.doubleToLongBits(CrossEntropyKernels.loss(x, t)), "loss, " + parts + " parts");
                    assertArrayEquals(grad, CrossEntropyKernels.gradient(1.0 / 300, x, t).toArray(), 0, "gradient, " + parts + " parts");
                }
            } finally {
                Parallel.forceParts(previous);
            }
        }
    }

    /**
     * float32 rows in float32 arithmetic: the loss within 8 float ulps of the float64 loss of the
     * same (widened) numbers, each gradient element within 8 ulps of {@code (|p T| + |t|) scale}
     * of the float64 one; class numbers give their one-hot rows' bits.
     */
    @Property(tries = 40)
    void float32StaysWithinAFewUlpsOfFloat64(@ForAll @IntRange(min = 1, max = 6) int rows, @ForAll @IntRange(min = 1, max = 130) int n,
            @ForAll @IntRange(min = 0, max = 1000) int seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        NDArray x = randn(rng, rows, n, 6).toFloat32();
        NDArray t = softTargets(rng, rows, n).toFloat32();
        NDArray x64 = x.toFloat64();
        NDArray t64 = t.toFloat64();
        double wide = CrossEntropyKernels.loss(x64, t64);
        double loss = CrossEntropyKernels.loss(x, t);
        double eps = Math.ulp(1f);
        assertTrue(Math.abs(loss - wide) <= 8 * eps * Math.max(1, Math.abs(wide)), loss + " against " + wide);
        float[] g = CrossEntropyKernels.gradient(0.25, x, t).toFloatArray();
        double[] g64 = CrossEntropyKernels.gradient(0.25, x64, t64).toArray();
        double[] ts = t64.toArray();
        for (int i = 0; i < g.length; i++) {
            double p = g64[i] / 0.25 + ts[i];
            double bound = 8 * eps * (Math.abs(p) + Math.abs(ts[i])) * 0.25 + Float.MIN_VALUE;
            assertTrue(Math.abs(g[i] - g64[i]) <= bound, "gradient element " + i + ": " + g[i] + " against " + g64[i]);
        }
        // class numbers and their one-hot rows
        float[] numbers = new float[rows];
        float[] oneHot = new float[rows * n];
        for (int i = 0; i < rows; i++) {
            numbers[i] = rng.nextInt(n);
            oneHot[i * n + (int) numbers[i]] = 1;
        }
        NDArray c = NDArray.of(numbers, new int[] {rows});
        NDArray h = NDArray.of(oneHot, new int[] {rows, n});
        assertEquals(Double.doubleToLongBits(CrossEntropyKernels.loss(x, h)), Double.doubleToLongBits(CrossEntropyKernels.loss(x, c)));
        assertArrayEquals(CrossEntropyKernels.gradient(0.5, x, h).toFloatArray(), CrossEntropyKernels.gradient(0.5, x, c).toFloatArray(), 0);
    }

    /**
     * A confident class (probability within 1e-3 to 1e-7 of 1) keeps the digits of its float32
     * gradient {@code (p - 1) scale}: within an ulp of the float64 gradient rounded, for a class
     * number and for its one-hot row (the same bits), short rows and long; where float's
     * {@code 1 / s} near 1 alone would leave a few bits.
     */
    @Property(tries = 40)
    void aConfidentClassKeepsItsGradientsDigitsInFloat32(@ForAll @IntRange(min = 1, max = 6) int rows,
            @ForAll @IntRange(min = 2, max = 300) int n, @ForAll @IntRange(min = 0, max = 1000) int seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[rows * n];
        float[] numbers = new float[rows];
        float[] oneHot = new float[rows * n];
        for (int i = 0; i < rows; i++) {
            int c = rng.nextInt(n);
            numbers[i] = c;
            oneHot[i * n + c] = 1;
            double lead = Math.log(n) + rng.nextDouble(7, 16);
            for (int j = 0; j < n; j++) {
                x[i * n + j] = (float) (j == c ? lead : rng.nextGaussian());
            }
        }
        NDArray xf = NDArray.of(x, new int[] {rows, n});
        NDArray h = NDArray.of(oneHot, new int[] {rows, n});
        double[] wide = CrossEntropyKernels.gradient(0.25, xf.toFloat64(), h.toFloat64()).toArray();
        float[] g = CrossEntropyKernels.gradient(0.25, xf, NDArray.of(numbers, new int[] {rows})).toFloatArray();
        assertArrayEquals(CrossEntropyKernels.gradient(0.25, xf, h).toFloatArray(), g, 0, "a class number and its one-hot row");
        for (int i = 0; i < rows; i++) {
            int at = i * n + (int) numbers[i];
            assertTrue(MathKernelTest.floatUlps((float) wide[at], g[at]) <= 1, "row " + i + ": " + g[at] + " against " + wide[at]);
        }
    }

    /**
     * Probability targets at offset 0 take a one-index loop, targets past their array's start the
     * loop over two offsets: the same bits, in either dtype, and the gradient's definition.
     */
    @Test
    void targetsAtAnOffsetGiveTheBitsOfTargetsAtZero() {
        SplittableRandom rng = new SplittableRandom(41);
        for (boolean floats : new boolean[] {false, true}) {
            NDArray x = randn(rng, 5, 130, 3);
            NDArray all = softTargets(rng, 7, 130);
            NDArray shifted = all.narrow(0, 2, 5);
            NDArray copy = NDArray.of(shifted.toArray(), new int[] {5, 130});
            if (floats) {
                x = x.toFloat32();
                shifted = all.toFloat32().narrow(0, 2, 5);
                copy = copy.toFloat32();
            }
            double[] atZero = CrossEntropyKernels.gradient(0.2, x, copy).toArray();
            assertArrayEquals(atZero, CrossEntropyKernels.gradient(0.2, x, shifted).toArray(), 0, floats ? "float32" : "float64");
            if (!floats) {
                // (softmax(x) T - t) scale, T each row's target sum
                double[] xv = x.toArray();
                double[] tv = copy.toArray();
                for (int i = 0; i < 5; i++) {
                    double m = Double.NEGATIVE_INFINITY;
                    double total = 0;
                    for (int j = 0; j < 130; j++) {
                        m = Math.max(m, xv[i * 130 + j]);
                        total += tv[i * 130 + j];
                    }
                    double sum = 0;
                    for (int j = 0; j < 130; j++) {
                        sum += Math.exp(xv[i * 130 + j] - m);
                    }
                    for (int j = 0; j < 130; j++) {
                        double expected = (Math.exp(xv[i * 130 + j] - m) / sum * total - tv[i * 130 + j]) * 0.2;
                        assertEquals(expected, atZero[i * 130 + j], 1e-14, "row " + i + ", column " + j);
                    }
                }
            }
        }
    }
}
