package dev.adjoint.nn.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.AdamW;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.MLP;
import dev.adjoint.nn.Optimizer;
import dev.adjoint.nn.RMSprop;
import dev.adjoint.nn.SGD;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Tanh;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A graph recorded before {@code optimizer.step()} holds the old parameter values; back-propagating
 * it afterwards would mix old activations with new weights. Core's version counters must refuse
 * that ({@link IllegalStateException} saying "modified") for every optimizer, and the refused pass
 * must not change the model.
 */
class StaleGraphTest {

    static Stream<Arguments> optimizers() {
        return Stream.of(
                Arguments.of("SGD", (Function<List<Tensor>, Optimizer>) ps -> new SGD(ps, 0.1)),
                Arguments.of("SGD momentum", (Function<List<Tensor>, Optimizer>) ps -> new SGD(ps, 0.1).momentum(0.9).nesterov(true)),
                Arguments.of("Adam", (Function<List<Tensor>, Optimizer>) ps -> new Adam(ps, 0.01)),
                Arguments.of("AdamW", (Function<List<Tensor>, Optimizer>) ps -> new AdamW(ps, 0.01)),
                Arguments.of("RMSprop", (Function<List<Tensor>, Optimizer>) ps -> new RMSprop(ps, 0.01).momentum(0.5).centered(true)));
    }

    private static final Tensor X = Tensor.of(new double[] {0.5, -1, 2, 0.25, 1.5, -0.75}, 3, 2);
    private static final Tensor Y = Tensor.of(new double[] {1, 0, -1}, 3, 1);

    private static Sequential model() {
        return MLP.of(new int[] {2, 3, 1}, Tanh::new, Init.xavierUniform(new SplittableRandom(11)));
    }

    /** A model with gradients, a loss recorded from the current weights, then a step: the loss is now stale. */
    private static Tensor staleLoss(Sequential model, Optimizer optimizer) {
        Losses.mse(model.forward(X), Y).backward();
        Tensor stale = Losses.mse(model.forward(X), Y);
        optimizer.step();
        return stale;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void backwardThroughAGraphRecordedBeforeTheStepIsRefused(String name, Function<List<Tensor>, Optimizer> make) {
        Sequential model = model();
        Optimizer optimizer = make.apply(model.parameters());
        double[][] initial = values(model);
        Tensor stale = staleLoss(model, optimizer);
        double[][] afterStep = values(model);
        for (int i = 0; i < initial.length; i++) {
            assertNotEquals(0, java.util.Arrays.compare(initial[i], afterStep[i]), name + " did not move parameter " + i);
        }
        int[] versions = versions(model);

        IllegalStateException e = assertThrows(IllegalStateException.class, stale::backward);
        assertTrue(e.getMessage().contains("modified"), e.getMessage());

        // The refused pass changed no parameter: neither its values nor its version.
        double[][] afterRefusal = values(model);
        for (int i = 0; i < afterStep.length; i++) {
            assertArrayEquals(afterStep[i], afterRefusal[i], 0.0, name + ": parameter " + i + " changed by a refused backward");
        }
        assertArrayEquals(versions, versions(model), name + ": a refused backward bumped a version counter");

        // Recomputing the forward pass is the way out, and it works.
        optimizer.zeroGrad();
        Losses.mse(model.forward(X), Y).backward();
        optimizer.step();
    }

    /**
     * A refused pass must not leave half a gradient behind either: a caller that catches the
     * exception and steps anyway would otherwise apply the stale graph's contribution to the layers
     * nearest the loss (whose backward ran before the stale weight was reached).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void aRefusedBackwardLeavesTheGradientsUntouched(String name, Function<List<Tensor>, Optimizer> make) {
        Sequential model = model();
        Optimizer optimizer = make.apply(model.parameters());
        Tensor stale = staleLoss(model, optimizer);
        double[][] grads = gradients(model);
        assertThrows(IllegalStateException.class, stale::backward);
        double[][] after = gradients(model);
        for (int i = 0; i < grads.length; i++) {
            assertArrayEquals(grads[i], after[i], 0.0, name + ": gradient of parameter " + i + " (shape "
                    + java.util.Arrays.toString(model.parameters().get(i).shape()) + ") was changed by a backward pass that was refused");
        }
    }

    private static double[][] values(Sequential model) {
        return model.parameters().stream().map(Tensor::toArray).toArray(double[][]::new);
    }

    private static double[][] gradients(Sequential model) {
        return model.parameters().stream().map(p -> p.grad().toArray()).toArray(double[][]::new);
    }

    private static int[] versions(Sequential model) {
        List<Tensor> ps = model.parameters();
        int[] v = new int[ps.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = ps.get(i).version();
        }
        assertEquals(ps.size(), v.length);
        return v;
    }
}
