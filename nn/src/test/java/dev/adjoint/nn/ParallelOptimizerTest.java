package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.DType;
import dev.adjoint.core.MatmulThreads;
import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The built-in optimizers update a large parameter in ranges over threads: every element must get
 * exactly the bits it gets alone (a one-element parameter, updated on the calling thread), and one
 * thread must give the same bits as all of them, in float64 and float32.
 */
class ParallelOptimizerTest {
    /** Above the split threshold (32K elements), and not a multiple of any grain. */
    private static final int N = 100_003;
    private static final int STEPS = 3;
    private static final int[] SAMPLED = {0, 1, 511, 512, 32_767, 32_768, 50_001, 65_535, 65_536, N - 1};

    private static final List<Function<List<Tensor>, Optimizer>> OPTIMIZERS = List.of(
            ps -> new SGD(ps, 0.1).momentum(0.9).nesterov(true).weightDecay(0.01),
            ps -> new Adam(ps, 0.01).amsgrad(true).weightDecay(0.1),
            ps -> new AdamW(ps, 0.01),
            ps -> new RMSprop(ps, 0.01).centered(true).momentum(0.5));

    /** Steps of loss sum(a p^2 + b p) from p0; the parameter's values afterwards, widened. */
    private static double[] train(Function<List<Tensor>, Optimizer> make, DType dtype, double[] p0, double[] a, double[] b) {
        Tensor p = cast(p0, dtype).requiresGrad(true);
        Tensor ta = cast(a, dtype);
        Tensor tb = cast(b, dtype);
        Optimizer opt = make.apply(List.of(p));
        for (int s = 0; s < STEPS; s++) {
            opt.zeroGrad();
            p.mul(p).mul(ta).add(p.mul(tb)).sum().backward();
            opt.step();
        }
        return p.toArray();
    }

    private static Tensor cast(double[] values, DType dtype) {
        if (dtype == DType.FLOAT64) {
            return Tensor.of(values.clone(), values.length);
        }
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return Tensor.of(f, values.length);
    }

    private static double[] random(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] d = new double[N];
        for (int i = 0; i < N; i++) {
            d[i] = rng.nextDouble(-2, 2);
        }
        return d;
    }

    @Test
    void largeParametersGetEachElementsOwnBitsOnAnyThreadCount() {
        double[] p0 = random(1);
        double[] a = random(2);
        double[] b = random(3);
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            for (int k = 0; k < OPTIMIZERS.size(); k++) {
                Function<List<Tensor>, Optimizer> make = OPTIMIZERS.get(k);
                String what = "optimizer " + k + " " + dtype;
                double[] all = train(make, dtype, p0, a, b);
                double[] one;
                try (Autograd.Scope s = MatmulThreads.limit(1)) {
                    one = train(make, dtype, p0, a, b);
                }
                assertArrayEquals(one, all, 0.0, what + ": one thread against " + MatmulThreads.current());
                for (int i : SAMPLED) {
                    double[] alone = train(make, dtype, new double[] {p0[i]}, new double[] {a[i]}, new double[] {b[i]});
                    assertEquals(Double.doubleToRawLongBits(alone[0]), Double.doubleToRawLongBits(all[i]), what + ", element " + i);
                }
            }
        }
    }

    /** A rule of its own that does not update in parts gets whole arrays and is refused a range. */
    @Test
    void aRuleOfItsOwnTakesWholeArrays() {
        int[] calls = new int[1];
        Optimizer halving = new Optimizer("halving", List.of(Tensor.of(random(4), N).requiresGrad(true)), 1.0) {
            @Override
            protected void update(int index, double[] param, double[] grad, double[][] state, int n) {
                calls[0]++;
                assertEquals(N, n);
                for (int i = 0; i < n; i++) {
                    param[i] *= 0.5;
                }
            }
        };
        Tensor p = halving.parameters().get(0);
        double before = p.toArray()[7];
        p.sum().backward();
        halving.step();
        assertEquals(1, calls[0]);
        assertEquals(before * 0.5, p.toArray()[7]);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> halving.update(0, new double[N], new double[N], new double[0][], 512, N));
        assertEquals(true, e.getMessage().startsWith("halving: the update rule takes whole arrays only"), e.getMessage());
    }
}
