package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class InitTest {
    private static final int N = 20_000;

    private static double[] sample(Init init, int fanIn, int fanOut) {
        double[] v = new double[N];
        init.fill(v, new int[] {N}, fanIn, fanOut);
        return v;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static double std(double[] v) {
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    // For N samples the standard error of the std estimate is below 1%; 5% leaves no room for flakes.
    @Property(tries = 20)
    void xavierAndHeHaveTheirDocumentedScale(@ForAll @IntRange(min = 1, max = 500) int fanIn,
            @ForAll @IntRange(min = 1, max = 500) int fanOut, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double xavier = Math.sqrt(2.0 / (fanIn + fanOut));
        double he = Math.sqrt(2.0 / fanIn);
        double[] xu = sample(Init.xavierUniform(rng), fanIn, fanOut);
        assertTrue(maxAbs(xu) <= Math.sqrt(6.0 / (fanIn + fanOut)));
        assertEquals(xavier, std(xu), 0.05 * xavier);
        assertEquals(0, mean(xu), 0.05 * xavier);
        assertEquals(xavier, std(sample(Init.xavierNormal(rng), fanIn, fanOut)), 0.05 * xavier);
        double[] hu = sample(Init.heUniform(rng), fanIn, fanOut);
        assertTrue(maxAbs(hu) <= Math.sqrt(6.0 / fanIn));
        assertEquals(he, std(hu), 0.05 * he);
        assertEquals(he, std(sample(Init.heNormal(rng), fanIn, fanOut)), 0.05 * he);
        double[] fu = sample(Init.fanInUniform(rng), fanIn, fanOut);
        assertTrue(maxAbs(fu) <= 1 / Math.sqrt(fanIn));
        assertEquals(1 / Math.sqrt(3.0 * fanIn), std(fu), 0.05 / Math.sqrt(3.0 * fanIn));
    }

    @Property(tries = 20)
    void uniformAndNormalHaveTheirMoments(@ForAll @IntRange(min = -50, max = 50) int center,
            @ForAll @IntRange(min = 1, max = 100) int width, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double low = center - width / 2.0;
        double high = center + width / 2.0;
        double[] u = sample(Init.uniform(low, high, rng), 3, 3);
        for (double x : u) {
            assertTrue(x >= low && x < high);
        }
        assertEquals(center, mean(u), 0.05 * width);
        assertEquals(width / Math.sqrt(12), std(u), 0.05 * width / Math.sqrt(12));
        double[] n = sample(Init.normal(center, width, rng), 3, 3);
        assertEquals(center, mean(n), 0.05 * width);
        assertEquals(width, std(n), 0.05 * width);
    }

    @Test
    void seededInitIsReproducibleAndConstantIsConstant() {
        double[] a = sample(Init.heNormal(new SplittableRandom(42)), 10, 10);
        double[] b = sample(Init.heNormal(new SplittableRandom(42)), 10, 10);
        assertArrayEquals(a, b, 0.0);
        Tensor p = Init.constant(2.5).parameter(3, 4, 3, 4);
        assertArrayEquals(new int[] {3, 4}, p.shape());
        assertTrue(p.requiresGrad());
        for (double v : p.toArray()) {
            assertEquals(2.5, v);
        }
    }

    @Test
    void uniformNeverReturnsItsUpperBound() {
        // the largest nextDouble(), 1 - 2^-53: 1 + (1 - 2^-53) rounds to 2 in double arithmetic
        java.util.random.RandomGenerator top = () -> -1L;
        assertEquals(1 - 0x1p-53, top.nextDouble());
        double[] v = new double[4];
        Init.uniform(1, 2, top).fill(v, new int[] {4}, 1, 1);
        for (double x : v) {
            assertEquals(Math.nextDown(2.0), x);
        }
    }

    @Test
    void badArgumentsAreRejected() {
        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class,
                () -> Init.uniform(-1e308, 1e308, new SplittableRandom()));
        assertTrue(wide.getMessage().contains("Init.uniform") && wide.getMessage().contains("width"), wide.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Init.uniform(1, 1, new SplittableRandom()));
        assertThrows(IllegalArgumentException.class, () -> Init.uniform(0, 1, null));
        assertThrows(IllegalArgumentException.class, () -> Init.normal(0, -1, new SplittableRandom()));
        assertThrows(IllegalArgumentException.class, () -> Init.constant(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Init.xavierUniform(null));
        assertThrows(IllegalArgumentException.class, () -> Init.constant(1).parameter(0, 1, 2));
    }
}
