package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The precision a float32 parameter's update has. The built-in optimizers compute it in float32
 * arithmetic (the rule of {@code UpdateRules}, generated for floats), so each step leaves the
 * parameter and every state within {@value #ULPS} float32 ulps of what the float64 rule makes of
 * the same float32 inputs: ulps of the largest magnitude the element's step involves (the value
 * before the step and after it, the change, the parameter and the gradient), since a sum such as
 * {@code g + wd p} or {@code mu b + (1 - dampening) g} may cancel to near zero and then carries
 * the rounding errors of its larger terms. A rule that only has the float64 method (a user's) gets the float64
 * rule's result rounded, bit for bit.
 */
class Float32OptimizerPrecisionTest {
    private static final int ULPS = 4;
    private static final int STEPS = 5;
    /** Longer than several widened chunks, and not a multiple of one. */
    private static final int N = 3 * Optimizer.CHUNK + 17;

    private static final List<Function<List<Tensor>, Optimizer>> OPTIMIZERS = List.of(
            ps -> new SGD(ps, 0.1),
            ps -> new SGD(ps, 0.1).momentum(0.9).dampening(0.1).weightDecay(0.01),
            ps -> new SGD(ps, 0.1).momentum(0.9).nesterov(true),
            ps -> new Adam(ps, 0.01),
            ps -> new Adam(ps, 0.01).amsgrad(true).weightDecay(0.1),
            ps -> new AdamW(ps, 0.01),
            ps -> new RMSprop(ps, 0.01),
            ps -> new RMSprop(ps, 0.01).centered(true).momentum(0.5).weightDecay(0.01));

    @Test
    void builtInFloat32UpdatesAreWithinFloatRoundingOfTheFloat64Rule() {
        SplittableRandom rng = new SplittableRandom(11);
        float[] start = Tensor.randn(DType.FLOAT32, rng, N).toFloatArray();
        float[][] gradients = new float[STEPS][];
        for (int s = 0; s < STEPS; s++) {
            gradients[s] = Tensor.randn(DType.FLOAT32, rng, N).toFloatArray();
        }
        for (int k = 0; k < OPTIMIZERS.size(); k++) {
            Tensor p32 = Tensor.of(start.clone(), N).requiresGrad(true);
            Tensor p64 = Tensor.of(widen(start), N).requiresGrad(true);
            Optimizer o32 = OPTIMIZERS.get(k).apply(List.of(p32));
            Optimizer o64 = OPTIMIZERS.get(k).apply(List.of(p64));
            double worst = 0;
            for (int s = 0; s < STEPS; s++) {
                // each step starts both from the float32 values, so the comparison is of one step's arithmetic
                double[] before = p32.toArray();
                p64.modify(values -> System.arraycopy(before, 0, values, 0, N));
                Map<String, double[]> statesBefore = new HashMap<>();
                for (Map.Entry<String, Optimizer.State> e : o32.stateArrays().entrySet()) {
                    double[] values = e.getValue().values(0);
                    if (values != null) {
                        o64.stateArrays().get(e.getKey()).set(0, values, DType.FLOAT64);
                    }
                    statesBefore.put(e.getKey(), values == null ? new double[N] : values);
                }
                o32.zeroGrad();
                o64.zeroGrad();
                // d/dp sum(p g) = g: both dtypes see the same gradient exactly
                p32.mul(Tensor.of(gradients[s], N)).sum().backward();
                p64.mul(Tensor.of(widen(gradients[s]), N)).sum().backward();
                o32.step();
                o64.step();
                worst = Math.max(worst, units(before, p64.toArray(), p32.toArray(), before, gradients[s]));
                for (String name : o64.stateArrays().keySet()) {
                    double[] s64 = o64.stateArrays().get(name).values(0);
                    if (s64 != null) {
                        worst = Math.max(worst, units(statesBefore.get(name), s64, o32.stateArrays().get(name).values(0), before, gradients[s]));
                    }
                }
            }
            assertTrue(worst <= ULPS, "optimizer " + k + " " + o32.name() + ": " + worst + " float32 ulps from the float64 rule");
        }
    }

    /**
     * The largest distance of actual from expected, in float32 ulps of the largest magnitude the
     * element's step involves: the value before and after, the change, the parameter before, the gradient.
     */
    private static double units(double[] before, double[] expected, double[] actual, double[] param, float[] grad) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double scale = Math.max(Math.max(Math.abs(before[i]), Math.abs(expected[i])), Math.abs(expected[i] - before[i]));
            scale = Math.max(scale, Math.max(Math.abs(param[i]), Math.abs(grad[i])));
            double unit = Math.ulp((float) scale);
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / unit);
        }
        return worst;
    }

    /** A rule without a float32 method of its own: SGD with momentum, written on doubles only. */
    private static final class DoubleOnlyMomentum extends Optimizer {
        private final State buffers = state("momentum_buffer");
        private final State[] used = {buffers};

        DoubleOnlyMomentum(List<Tensor> parameters) {
            super("DoubleOnlyMomentum", parameters, 0.1);
        }

        @Override
        protected State[] begin(int index) {
            return used;
        }

        @Override
        protected void update(int index, double[] p, double[] g, double[][] state, int n) {
            double[] b = state[0];
            for (int i = 0; i < n; i++) {
                b[i] = 0.9 * b[i] + g[i] / 3;
                p[i] -= learningRate() * b[i];
            }
        }
    }

    @Test
    void aRuleWithoutAFloat32MethodGetsTheFloat64RuleRounded() {
        SplittableRandom rng = new SplittableRandom(5);
        float[] start = Tensor.randn(DType.FLOAT32, rng, N).toFloatArray();
        float[] grad = Tensor.randn(DType.FLOAT32, rng, N).toFloatArray();
        Tensor p32 = Tensor.of(start.clone(), N).requiresGrad(true);
        Tensor p64 = Tensor.of(widen(start), N).requiresGrad(true);
        Optimizer o32 = new DoubleOnlyMomentum(List.of(p32));
        Optimizer o64 = new DoubleOnlyMomentum(List.of(p64));
        p32.mul(Tensor.of(grad, N)).sum().backward();
        p64.mul(Tensor.of(widen(grad), N)).sum().backward();
        o32.step();
        o64.step();
        float[] expected = Tensor.of(p64.toArray(), N).to(DType.FLOAT32).toFloatArray();
        assertArrayEquals(expected, p32.toFloatArray(), 0f);
        float[] buffer = Tensor.of(o64.stateArrays().get("momentum_buffer").values(0), N).to(DType.FLOAT32).toFloatArray();
        assertArrayEquals(buffer, Tensor.of(o32.stateArrays().get("momentum_buffer").values(0), N).to(DType.FLOAT32).toFloatArray(), 0f);
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
