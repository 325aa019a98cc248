package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Analytic gradients of losses and layers against central finite differences (float64, eps 1e-6,
 * tolerance 1e-5 absolute plus 1e-4 relative), and second derivatives through the losses.
 */
class GradientCheckTest {
    private static final double EPS = 1e-6;

    private static void check(Function<Tensor, Tensor> f, double[] x, int... shape) {
        Tensor leaf = Tensor.of(x, shape).requiresGrad(true);
        f.apply(leaf).backward();
        double[] analytic = leaf.grad().toArray();
        for (int i = 0; i < x.length; i++) {
            double[] plus = x.clone();
            double[] minus = x.clone();
            plus[i] += EPS;
            minus[i] -= EPS;
            double numeric = (f.apply(Tensor.of(plus, shape)).item() - f.apply(Tensor.of(minus, shape)).item()) / (2 * EPS);
            assertEquals(numeric, analytic[i], 1e-5 + 1e-4 * Math.abs(numeric), "element " + i);
        }
    }

    private static double[] uniform(SplittableRandom rng, int n, double low, double high) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = low + (high - low) * rng.nextDouble();
        }
        return v;
    }

    @Property(tries = 30)
    void lossGradientsMatchFiniteDifferences(@ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor target = Tensor.of(uniform(rng, 6, -1, 1), 2, 3);
        Tensor binary = Tensor.of(uniform(rng, 6, 0, 1), 2, 3);
        check(x -> Losses.sumSquaredError(x, target), uniform(rng, 6, -2, 2), 2, 3);
        check(x -> Losses.mse(x, target), uniform(rng, 6, -2, 2), 2, 3);
        check(x -> Losses.binaryCrossEntropy(x, binary), uniform(rng, 6, 0.05, 0.95), 2, 3);
        check(x -> Losses.binaryCrossEntropyWithLogits(x, binary), uniform(rng, 6, -4, 4), 2, 3);
        int[] classes = {rng.nextInt(3), rng.nextInt(3)};
        check(x -> Losses.crossEntropy(x, classes), uniform(rng, 6, -5, 5), 2, 3);
    }

    @Property(tries = 20)
    void layerInputGradientsMatchFiniteDifferences(@ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Linear first = new Linear(3, 4, Init.normal(0, 1, rng));
        Sequential net = new Sequential(first, new LeakyReLU(0.1),
                new Linear(4, 4, Init.normal(0, 1, rng)), new Tanh(), new Linear(4, 2, Init.normal(0, 1, rng)), new Softmax());
        Tensor weights = Tensor.of(new double[] {1, -2, 0.5, 3}, 2, 2);
        double[] x0 = uniform(rng, 6, -1, 1);
        // a finite difference straddling LeakyReLU's kink measures neither slope: skip samples
        // with a pre-activation within a few steps of zero
        double nearestKink = Double.POSITIVE_INFINITY;
        for (double z : first.forward(Tensor.of(x0, 2, 3)).toArray()) {
            nearestKink = Math.min(nearestKink, Math.abs(z));
        }
        Assume.that(nearestKink > 1e-3);
        check(x -> net.forward(x).mul(weights).sum(), x0, 2, 3);
    }

    @Test
    void parameterGradientsOfTheSeedNetworkMatchFiniteDifferences() {
        Linear layer = new Linear(2, 3, Init.constant(1));
        Tensor x = Tensor.of(new double[] {0.8, 0.4, 0.3, 0.3}, 2, 2);
        Tensor target = Tensor.of(new double[] {0.2, 0.4, 1, 0.5, 0, 0}, 2, 3);
        check(w -> Losses.sumSquaredError(x.matmul(w).add(layer.bias()).sigmoid(), target), layer.weight().toArray(), 2, 3);
    }

    @Test
    void secondDerivativesFlowThroughTheBinaryLosses() {
        double[] p = {0.2, 0.7, 0.5};
        double[] t = {1, 0, 0.3};
        Tensor target = Tensor.of(t, 3);
        Tensor prob = Tensor.of(p, 3).requiresGrad(true);
        Tensor g = Autograd.grad(Losses.binaryCrossEntropy(prob, target), List.of(prob), true).get(0);
        double[] h = Autograd.grad(g.sum(), List.of(prob), false).get(0).toArray();
        // d2/dp2 -(t log p + (1 - t) log(1 - p)) / N = (t / p^2 + (1 - t) / (1 - p)^2) / N
        for (int i = 0; i < 3; i++) {
            assertEquals((t[i] / (p[i] * p[i]) + (1 - t[i]) / ((1 - p[i]) * (1 - p[i]))) / 3, h[i], 1e-12);
        }
        double[] x = {-1.5, 0, 2};
        Tensor logits = Tensor.of(x, 3).requiresGrad(true);
        Tensor gl = Autograd.grad(Losses.binaryCrossEntropyWithLogits(logits, target), List.of(logits), true).get(0);
        double[] hl = Autograd.grad(gl.sum(), List.of(logits), false).get(0).toArray();
        // d2/dx2 = s(x) (1 - s(x)) / N
        double[] expected = new double[3];
        for (int i = 0; i < 3; i++) {
            double s = 1 / (1 + Math.exp(-x[i]));
            expected[i] = s * (1 - s) / 3;
        }
        assertArrayEquals(expected, hl, 1e-12);
    }
}
