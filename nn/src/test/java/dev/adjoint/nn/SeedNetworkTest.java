package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.adjoint.core.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The seed project's network: 2-3-3-2, sigmoid after every layer, every weight and bias 1, sum of
 * squared errors, plain SGD at learning rate 0.5. The seed ran in float32, so its printed numbers
 * are matched to 1e-6.
 */
class SeedNetworkTest {
    private static final double TOL = 1e-6;

    private static Sequential seedNetwork() {
        return new Sequential(
                new Linear(2, 3, Init.constant(1)), new Sigmoid(),
                new Linear(3, 3, Init.constant(1)), new Sigmoid(),
                new Linear(3, 2, Init.constant(1)), new Sigmoid());
    }

    private static final Tensor INPUTS = Tensor.of(new double[] {0.8, 0.4, 0.3, 0.3}, 2, 2);
    private static final Tensor TARGETS = Tensor.of(new double[] {0.2, 0.4, 1, 0}, 2, 2);

    @Test
    void activationsMatchTheSeed() {
        Sequential net = seedNetwork();
        Tensor a1 = net.layers().get(1).forward(net.layers().get(0).forward(INPUTS));
        Tensor a2 = net.layers().get(3).forward(net.layers().get(2).forward(a1));
        Tensor a3 = net.layers().get(5).forward(net.layers().get(4).forward(a2));
        // all units of a layer see the same all-ones weights, so each row is constant
        assertArrayEquals(new double[] {0.9002495, 0.9002495, 0.9002495, 0.8320184, 0.8320184, 0.8320184}, a1.toArray(), TOL);
        assertArrayEquals(new double[] {0.9758906, 0.9758906, 0.9758906, 0.9705753, 0.9705753, 0.9705753}, a2.toArray(), TOL);
        assertArrayEquals(new double[] {0.9806908, 0.9806908, 0.9803864, 0.9803864}, a3.toArray(), TOL);
        assertArrayEquals(a3.toArray(), net.forward(INPUTS).toArray(), 0.0);
    }

    @Test
    void lastLayerGradientTableMatchesTheSeed() {
        Sequential net = seedNetwork();
        Losses.sumSquaredError(net.forward(INPUTS), TARGETS).backward();
        Linear last = (Linear) net.layers().get(4);
        assertArrayEquals(new double[] {0.0288126, 0.0596958}, last.bias().grad().toArray(), TOL);
        double[] weightRow = {0.028122, 0.0580562};
        double[] w = last.weight().grad().toArray();
        for (int row = 0; row < 3; row++) {
            assertArrayEquals(weightRow, new double[] {w[2 * row], w[2 * row + 1]}, TOL, "weight gradient row " + row);
        }
    }

    @Test
    void thousandSgdStepsReachTheSeedsStuckOutput() {
        Sequential net = seedNetwork();
        SGD sgd = new SGD(net.parameters(), 0.5);
        for (int step = 0; step < 1000; step++) {
            sgd.zeroGrad();
            Losses.sumSquaredError(net.forward(INPUTS), TARGETS).backward();
            sgd.step();
        }
        assertArrayEquals(new double[] {0.5992708, 0.1997655, 0.5993174, 0.2004307}, net.forward(INPUTS).toArray(), TOL);
    }
}
