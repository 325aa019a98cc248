package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link CrossEntropyKernels}: the same bits on any number of threads, float32 as the float64
 * result rounded once, and rows of soft targets against a plain double loop of the definition.
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
            for (int j = 0; sum > 0 && j < n; j++) {
                v[i * n + j] /= sum;
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

    @Test
    void float32IsTheFloat64ResultRoundedOnce() {
        SplittableRandom rng = new SplittableRandom(5);
        for (int n : new int[] {7, 100}) {
            NDArray x = randn(rng, 40, n, 6).toFloat32();
            NDArray t = softTargets(rng, 40, n).toFloat32();
            double wide = CrossEntropyKernels.loss(x.toFloat64(), t.toFloat64());
            // the loss is the widened rows' float64 loss (the op rounds it once, as it makes the scalar)
            assertEquals(wide, CrossEntropyKernels.loss(x, t), 0, "loss of rows of " + n);
            NDArray g = CrossEntropyKernels.gradient(0.25, x, t);
            assertEquals(true, g.isFloat32());
            assertArrayEquals(CrossEntropyKernels.gradient(0.25, x.toFloat64(), t.toFloat64()).toFloatArray(), g.toFloatArray(), 0,
                    "gradient of rows of " + n);
        }
    }
}
