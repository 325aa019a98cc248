package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Optimizer trajectories against PyTorch's documented update rules. Each case starts at
 * p = [1, -2, 0.5] on the loss sum(a p^2 + b p), a = [1, 0.5, 2], b = [0.3, -0.1, 0], so the
 * gradient g = 2 a p + b changes with p and every piece of optimizer state matters. The expected
 * values were computed step by step (5 steps) from the formulas below, independently of this code.
 *
 * <pre>
 * SGD:     g += wd p; b = g (t = 1) else mu b + (1 - dampening) g; g = nesterov ? g + mu b : b; p -= lr g
 * Adam:    g += wd p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; (amsgrad: v = max(vmax, v))
 *          p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * AdamW:   p *= 1 - lr wd; then Adam without the wd term
 * RMSprop: g += wd p; v = alpha v + (1 - alpha) g^2; centered: a = alpha a + (1 - alpha) g, v' = v - a^2
 *          d = sqrt(v') + eps; momentum: b = mu b + g / d, p -= lr b; else p -= lr g / d
 * </pre>
 */
class OptimizerTest {
    private static final double TOL = 1e-12;
    private static final double[] A = {1, 0.5, 2};
    private static final double[] B = {0.3, -0.1, 0};

    private static double[] run(Function<List<Tensor>, Optimizer> make, int steps) {
        Tensor p = Tensor.of(new double[] {1, -2, 0.5}, 3).requiresGrad(true);
        Tensor a = Tensor.of(A, 3);
        Tensor b = Tensor.of(B, 3);
        Optimizer opt = make.apply(List.of(p));
        for (int i = 0; i < steps; i++) {
            opt.zeroGrad();
            p.mul(p).mul(a).add(p.mul(b)).sum().backward();
            opt.step();
        }
        return p.toArray();
    }

    @Test
    void sgdOneStepByHand() {
        // g = 2 a p + b = [2.3, -2.1, 2]; p - 0.1 g
        assertArrayEquals(new double[] {0.77, -1.79, 0.3}, run(ps -> new SGD(ps, 0.1), 1), TOL);
    }

    @Test
    void sgdTrajectories() {
        assertArrayEquals(new double[] {0.22683199999999998, -1.140029, 0.03888}, run(ps -> new SGD(ps, 0.1), 5), TOL);
        assertArrayEquals(new double[] {-0.817483, 0.16123600000000016, -0.3645}, run(ps -> new SGD(ps, 0.1, 0.9), 5), TOL);
        assertArrayEquals(new double[] {-0.47788800000000003, -0.43133806249999984, -0.42612000000000017},
                run(ps -> new SGD(ps, 0.1).momentum(0.9).dampening(0.5), 5), TOL);
        assertArrayEquals(new double[] {-0.6280752179200001, 0.31962153619000017, -0.08256790080000001},
                run(ps -> new SGD(ps, 0.1).momentum(0.9).nesterov(true), 5), TOL);
        assertArrayEquals(new double[] {-0.6218308664000001, 0.026662528300000377, -0.26253632905},
                run(ps -> new SGD(ps, 0.1).momentum(0.8).weightDecay(0.1), 5), TOL);
    }

    @Test
    void adamOneStepMovesByAboutTheLearningRate() {
        // t = 1: mhat = g, vhat = g^2, so p -= lr g / (|g| + eps)
        double[] p = run(ps -> new Adam(ps, 0.1), 1);
        assertArrayEquals(new double[] {1 - 0.1 * 2.3 / (2.3 + 1e-8), -2 + 0.1 * 2.1 / (2.1 + 1e-8), 0.5 - 0.1 * 2 / (2 + 1e-8)}, p, TOL);
        assertArrayEquals(new double[] {0.9000000004347826, -1.9000000004761906, 0.4000000005}, p, TOL);
    }

    @Test
    void adamTrajectories() {
        assertArrayEquals(new double[] {0.5064140585116398, -1.5027745558936498, 0.027814448790542096},
                run(ps -> new Adam(ps, 0.1), 5), TOL);
        assertArrayEquals(new double[] {0.5064748871176895, -1.5027901336513794, 0.027814448727613544},
                run(ps -> new Adam(ps, 0.1).weightDecay(0.1), 5), TOL);
        assertArrayEquals(new double[] {0.506967387512543, -1.503023046634147, 0.034011689348719745},
                run(ps -> new Adam(ps, 0.1).betas(0.8, 0.9).amsgrad(true), 5), TOL);
        assertArrayEquals(new double[] {0.7619672069261741, -1.7621568326175936, 0.2665533060521862},
                run(ps -> new Adam(ps, 0.05).eps(0.1), 5), TOL);
    }

    @Test
    void adamWTrajectories() {
        assertArrayEquals(new double[] {0.5025052567086554, -1.4938593560017628, 0.026528199279084674},
                run(ps -> new AdamW(ps, 0.1), 5), TOL);
        assertArrayEquals(new double[] {0.47289432899235717, -1.418017911702954, 0.027229121388306743},
                run(ps -> new AdamW(ps, 0.1).betas(0.8, 0.99).weightDecay(0.1), 5), TOL);
    }

    @Test
    void rmspropTrajectories() {
        assertArrayEquals(new double[] {0.6934980955409215, -1.6849848383552333, 0.2215709911085929},
                run(ps -> new RMSprop(ps, 0.01), 5), TOL);
        assertArrayEquals(new double[] {0.6897762083122229, -1.6809942095140118, 0.2187803890060217},
                run(ps -> new RMSprop(ps, 0.01).centered(true), 5), TOL);
        assertArrayEquals(new double[] {0.664072558605909, -1.6595573615698724, 0.17870687355179454},
                run(ps -> new RMSprop(ps, 0.01).alpha(0.9).weightDecay(0.1).momentum(0.9).centered(true), 5), TOL);
        assertArrayEquals(new double[] {0.08746840490965771, -0.9929503846565088, -0.08809419164262863},
                run(ps -> new RMSprop(ps, 0.02).momentum(0.5), 5), TOL);
    }

    @Test
    void defaultsArePyTorchs() {
        List<Tensor> ps = List.of(Tensor.zeros(2).requiresGrad(true));
        Adam adam = new Adam(ps, 1e-3);
        assertEquals(0.9, adam.beta1());
        assertEquals(0.999, adam.beta2());
        assertEquals(1e-8, adam.eps());
        assertEquals(0.0, adam.weightDecay());
        assertEquals(0.01, new AdamW(ps, 1e-3).weightDecay());
        RMSprop rms = new RMSprop(ps, 1e-2);
        assertEquals(0.99, rms.alpha());
        assertEquals(1e-8, rms.eps());
        assertEquals(0.0, rms.momentum());
        SGD sgd = new SGD(ps, 0.1);
        assertEquals(0.0, sgd.momentum());
        assertEquals(0.0, sgd.dampening());
    }

    @Test
    void parametersWithoutGradientAreSkippedAndTheirStateDoesNotAdvance() {
        Tensor used = Tensor.of(new double[] {1}, 1).requiresGrad(true);
        Tensor unused = Tensor.of(new double[] {5}, 1).requiresGrad(true);
        Adam adam = new Adam(List.of(used, unused), 0.1);
        used.mul(used).sum().backward();
        adam.step();
        assertNull(unused.grad());
        assertEquals(5.0, unused.item());
        assertEquals(0, unused.version());
        // now the second parameter takes its first step: it must see t = 1, a move of ~lr
        adam.zeroGrad();
        unused.mul(3.0).sum().backward();
        adam.step();
        assertEquals(5 - 0.1 * 3 / (3 + 1e-8), unused.item(), TOL);
    }

    @Test
    void aGraphBuiltBeforeStepCannotBeBackPropagatedAfterIt() {
        Linear layer = new Linear(2, 1, Init.constant(0.5));
        SGD sgd = new SGD(layer.parameters(), 0.1);
        Tensor x = Tensor.of(new double[] {1, 2}, 1, 2);
        layer.forward(x).sum().backward();
        Tensor stale = layer.forward(x).sum();
        sgd.step();
        IllegalStateException e = assertThrows(IllegalStateException.class, stale::backward);
        assertTrue(e.getMessage().contains("modified"), e.getMessage());
    }

    @Test
    void stepUpdatesInPlaceThroughTheVersionCountedMutator() {
        Tensor p = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        SGD sgd = new SGD(List.of(p), 0.5);
        p.sum().backward();
        int before = p.version();
        sgd.step();
        assertEquals(before + 1, p.version());
        assertArrayEquals(new double[] {0.5, 1.5}, p.toArray(), 0.0);
    }

    @Test
    void hyperParametersAreValidatedWithTheOptimizersName() {
        List<Tensor> ps = List.of(Tensor.zeros(2).requiresGrad(true));
        assertMessage(() -> new SGD(ps, Double.NaN), "SGD", "NaN");
        assertMessage(() -> new SGD(ps, -0.1), "SGD", "-0.1");
        assertMessage(() -> new SGD(ps, 0.1, -0.9), "SGD", "momentum");
        assertMessage(() -> new SGD(ps, 0.1).weightDecay(-1), "SGD", "weight decay");
        assertMessage(() -> new Adam(ps, Double.POSITIVE_INFINITY), "Adam", "Infinity");
        assertMessage(() -> new Adam(ps, 0.1).betas(1.0, 0.999), "Adam", "beta1");
        assertMessage(() -> new Adam(ps, 0.1).betas(0.9, -0.5), "Adam", "beta2");
        assertMessage(() -> new Adam(ps, 0.1).eps(-1e-8), "Adam", "eps");
        assertMessage(() -> new AdamW(ps, -1), "AdamW", "-1");
        assertMessage(() -> new AdamW(ps, 0.1).weightDecay(Double.NaN), "AdamW", "weight decay");
        assertMessage(() -> new RMSprop(ps, 0.01).alpha(-0.5), "RMSprop", "alpha");
        assertMessage(() -> new RMSprop(ps, 0.01).momentum(Double.NaN), "RMSprop", "momentum");
        assertMessage(() -> new SGD(ps, 0.1).setLearningRate(-2), "SGD", "-2");
    }

    @Test
    void nesterovNeedsMomentumAndNoDampening() {
        Tensor p = Tensor.zeros(2).requiresGrad(true);
        p.sum().backward();
        SGD sgd = new SGD(List.of(p), 0.1).nesterov(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, sgd::step);
        assertTrue(e.getMessage().contains("SGD") && e.getMessage().contains("Nesterov"), e.getMessage());
        sgd.momentum(0.9).dampening(0.1);
        assertThrows(IllegalStateException.class, sgd::step);
        assertEquals(0, p.version());
    }

    @Test
    void badParameterListsAreRejected() {
        Tensor p = Tensor.zeros(2).requiresGrad(true);
        assertMessage(() -> new SGD(List.of(p, p), 0.1), "SGD", "same tensor");
        assertMessage(() -> new Adam(List.of(Tensor.zeros(2)), 0.1), "Adam", "requires grad");
        assertMessage(() -> new Adam(List.of(p.mul(2.0)), 0.1), "Adam", "leaf");
        assertMessage(() -> new SGD(null, 0.1), "SGD", "null");
    }

    @Test
    void learningRateCanBeChanged() {
        Tensor p = Tensor.of(new double[] {1}, 1).requiresGrad(true);
        SGD sgd = new SGD(List.of(p), 0.1);
        sgd.setLearningRate(0.25);
        assertEquals(0.25, sgd.learningRate());
        p.mul(4.0).sum().backward();
        sgd.step();
        assertEquals(0.0, p.item(), TOL);
    }

    @Test
    void stepsAllocateNothingOnceTheStateExists() {
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        Linear layer = new Linear(64, 32, Init.constant(0.01));
        layer.forward(Tensor.ones(4, 64)).sum().backward();
        List<Function<List<Tensor>, Optimizer>> makers = List.of(
                ps -> new SGD(ps, 1e-3).momentum(0.9).nesterov(true).weightDecay(1e-4),
                ps -> new Adam(ps, 1e-3).amsgrad(true),
                ps -> new AdamW(ps, 1e-3),
                ps -> new RMSprop(ps, 1e-3).momentum(0.9).centered(true));
        for (Function<List<Tensor>, Optimizer> make : makers) {
            Optimizer opt = make.apply(layer.parameters());
            for (int i = 0; i < 2000; i++) {
                opt.step();
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 5000; i++) {
                opt.step();
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 4096, opt.getClass().getSimpleName() + " allocated " + allocated + " bytes in 5000 steps");
        }
    }

    private static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should mention '" + part + "'");
        }
    }
}
