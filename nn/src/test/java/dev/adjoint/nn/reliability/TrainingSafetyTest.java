package dev.adjoint.nn.reliability;

import dev.adjoint.nn.NoGradScale;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.AdamW;
import dev.adjoint.nn.Dataset;
import dev.adjoint.nn.Doctor;
import dev.adjoint.nn.Finding;
import dev.adjoint.nn.GradientClipping;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Layer;
import dev.adjoint.nn.Linear;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.Optimizer;
import dev.adjoint.nn.RMSprop;
import dev.adjoint.nn.SGD;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Tanh;
import dev.adjoint.nn.Trainer;
import dev.adjoint.nn.TrainingStoppedException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.ref.WeakReference;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Training stops before damage, gradient norms do not overflow, and the doctor copes with frozen
 * and non-differentiable layers.
 *
 * <ul>
 *   <li>Every optimizer, with and without clipping, meets a NaN loss, an infinite loss, a finite
 *       loss with a NaN gradient and one with an infinite gradient, at the first step and at a
 *       later one: the step is refused with {@link TrainingStoppedException} naming it, the losses
 *       before it come back bit for bit, and the parameters and the optimizer's state are those of
 *       a twin that never saw the bad step (both go on identically afterwards).</li>
 *   <li>Gradients from 1e-300 to 1e300 are clipped to norm 1 without overflow, underflow or a NaN,
 *       with the norm accurate against a BigDecimal reference.</li>
 *   <li>A layer under {@code noGrad} at every position but the last, and a frozen parameter at every position, are
 *       examined by the doctor and trained by a default {@code fit} without an exception.</li>
 *   <li>Neither {@code fit} nor the doctor keeps a loss tensor (or any graph) beyond its step.</li>
 * </ul>
 */
class TrainingSafetyTest {
    private static final Dataset DATA = Dataset.of(new double[][] {{0.8, 0.4}, {0.3, -0.3}, {-0.5, 0.1}},
            new double[][] {{0.2, 0.4}, {1, 0}, {0, -0.5}});
    private static final PrintStream NOWHERE = new PrintStream(OutputStream.nullOutputStream());

    private static Sequential mlp(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return new Sequential(new Linear(2, 4, Init.xavierUniform(rng)), new Tanh(), new Linear(4, 2, Init.xavierUniform(rng)));
    }

    private static long[] bits(List<Tensor> parameters) {
        return parameters.stream().flatMapToDouble(p -> Arrays.stream(p.toArray())).mapToLong(Double::doubleToRawLongBits).toArray();
    }

    private static long[] bits(double[] values) {
        return Arrays.stream(values).mapToLong(Double::doubleToRawLongBits).toArray();
    }

    @Test
    void everyOptimizerRefusesANonFiniteStepBeforeItChangesAnything() {
        List<Function<List<Tensor>, Optimizer>> optimizers = List.of(
                ps -> new SGD(ps, 0.1),
                ps -> new SGD(ps, 0.1).momentum(0.9).nesterov(true).weightDecay(0.01),
                ps -> new Adam(ps, 0.05).amsgrad(true),
                ps -> new AdamW(ps, 0.05),
                ps -> new RMSprop(ps, 0.01).momentum(0.5).centered(true));
        List<UnaryOperator<Tensor>> failures = List.of(
                prediction -> prediction.sum().mul(Double.NaN),
                prediction -> prediction.sum().add(Double.POSITIVE_INFINITY),
                // finite loss, NaN gradient: d/dp sqrt(p - p) = inf * (1 - 1)
                prediction -> prediction.sub(prediction).sqrt().sum(),
                // finite loss (0), infinite gradient: (p - p') * 1e300 * 1e300 with p' detached
                prediction -> prediction.sub(prediction.detach()).mul(1e300).mul(1e300).sum());
        int cases = 0;
        for (int o = 0; o < optimizers.size(); o++) {
            for (int f = 0; f < failures.size(); f++) {
                for (int badStep : new int[] {0, 3}) {
                    for (double clip : new double[] {0, 1.0}) {
                        String where = "optimizer " + o + ", failure " + f + ", step " + badStep + ", clip " + clip;
                        UnaryOperator<Tensor> failure = failures.get(f);
                        int[] calls = {0};
                        Sequential model = mlp(9);
                        Trainer broken = new Trainer(model, optimizers.get(o).apply(model.parameters()),
                                (prediction, batch) -> calls[0]++ == badStep
                                        ? failure.apply(prediction).add(Losses.mse(prediction, batch.targets()))
                                        : Losses.mse(prediction, batch.targets())).clipGradNorm(clip).doctor(null);
                        Sequential twinModel = mlp(9);
                        Trainer twin = new Trainer(twinModel, optimizers.get(o).apply(twinModel.parameters()),
                                (prediction, batch) -> Losses.mse(prediction, batch.targets())).clipGradNorm(clip).doctor(null);
                        double[] expected = twin.fit(DATA, badStep);

                        TrainingStoppedException e = assertThrows(TrainingStoppedException.class, () -> broken.fit(DATA, 6), where);
                        assertEquals(badStep, e.step(), where);
                        assertTrue(e.getMessage().contains("step " + badStep + " "), where + ": " + e.getMessage());
                        assertArrayEquals(bits(expected), bits(e.history()), where);
                        assertArrayEquals(bits(twinModel.parameters()), bits(model.parameters()), where);
                        broken.fit(DATA, 2);
                        twin.fit(DATA, 2);
                        assertArrayEquals(bits(twinModel.parameters()), bits(model.parameters()), where + ", continued");
                        cases++;
                    }
                }
            }
        }
        assertEquals(80, cases);
    }

    @Test
    void gradientsFrom1eMinus300To1e300AreClippedToTheirNormWithoutOverflow() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int exponent = -300; exponent <= 300; exponent += 10) {
            double scale = Math.pow(10, exponent);
            List<Tensor> parameters = new ArrayList<>();
            BigDecimal sumOfSquares = BigDecimal.ZERO;
            for (int size : new int[] {3, 1, 5}) {
                double[] g = new double[size];
                for (int i = 0; i < size; i++) {
                    g[i] = (rng.nextDouble() * 2 - 1) * scale;
                    sumOfSquares = sumOfSquares.add(new BigDecimal(g[i]).pow(2));
                }
                Tensor p = Tensor.zeros(size).requiresGrad(true);
                p.mul(Tensor.of(g, size)).sum().backward();
                parameters.add(p);
            }
            double reference = sumOfSquares.sqrt(MathContext.DECIMAL64).doubleValue();
            double[] before = parameters.stream().flatMapToDouble(p -> Arrays.stream(p.grad().toArray())).toArray();
            double norm = GradientClipping.clipByGlobalNorm(parameters, 1.0);
            assertEquals(reference, norm, reference * 1e-14, "1e" + exponent);
            double[] after = parameters.stream().flatMapToDouble(p -> Arrays.stream(p.grad().toArray())).toArray();
            double coefficient = 1.0 / (norm + 1e-6);
            for (int i = 0; i < after.length; i++) {
                double expected = coefficient < 1 ? before[i] * coefficient : before[i];
                assertEquals(expected, after[i], Math.abs(expected) * 1e-15 + Double.MIN_VALUE, "1e" + exponent + ", element " + i);
            }
        }
    }

    private static List<Layer> layers(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return new ArrayList<>(List.of(new Linear(2, 4, Init.xavierUniform(rng)), new Tanh(), new Linear(4, 4, Init.xavierUniform(rng)),
                new Tanh(), new Linear(4, 2, Init.xavierUniform(rng))));
    }

    @Test
    void frozenParametersAndNoGradLayersAnywhereAreExaminedAndTrained() {
        int cases = 0;
        for (int position = 0; position <= 4; position++) { // at 5 (last) nothing would be trainable
            List<Layer> list = layers(position);
            list.add(position, new NoGradScale());
            check(new Sequential(list.toArray(new Layer[0])), "noGrad layer at " + position);
            cases++;
        }
        for (int frozen = 0; frozen < 6; frozen++) {
            Sequential model = new Sequential(layers(frozen).toArray(new Layer[0]));
            model.parameters().get(frozen).requiresGrad(false);
            check(model, "parameter " + frozen + " frozen");
            cases++;
        }
        Sequential model = new Sequential(layers(7).toArray(new Layer[0]));
        model.parameters().forEach(p -> p.requiresGrad(false));
        model.parameters().get(5).requiresGrad(true);
        check(model, "all but the last bias frozen");
        cases++;
        assertEquals(12, cases);
    }

    private static void check(Sequential model, String where) {
        List<Finding> findings = Doctor.examine(model, DATA.all().inputs());
        assertTrue(findings.stream().anyMatch(f -> f.kind() == Finding.Kind.NOT_EXAMINED), where + ": " + findings);
        List<Tensor> trainable = model.parameters().stream().filter(Tensor::requiresGrad).toList();
        long[] frozenBefore = bits(model.parameters().stream().filter(p -> !p.requiresGrad()).toList());
        Trainer trainer = new Trainer(model, new Adam(trainable, 0.01), (prediction, batch) -> Losses.mse(prediction, batch.targets()))
                .doctor(NOWHERE);
        double[] history = trainer.fit(DATA, 5);
        assertEquals(5, history.length, where);
        assertEquals(findings, trainer.findings(), where);
        assertArrayEquals(frozenBefore, bits(model.parameters().stream().filter(p -> !p.requiresGrad()).toList()), where);
    }

    @Test
    void fitAndTheDoctorKeepNoLossTensorBeyondItsStep() throws InterruptedException {
        Sequential model = mlp(3);
        List<WeakReference<Tensor>> losses = new ArrayList<>();
        Trainer trainer = new Trainer(model, new Adam(model.parameters(), 0.01), (prediction, batch) -> {
            Tensor loss = Losses.mse(prediction, batch.targets());
            losses.add(new WeakReference<>(loss));
            losses.add(new WeakReference<>(prediction));
            return loss;
        }).doctor(NOWHERE).listener(new Trainer.Listener() {
        });
        trainer.fit(DATA, 2, 1, new SplittableRandom(2));
        assertEquals(12, losses.size());
        for (int attempt = 0; attempt < 50 && losses.stream().anyMatch(r -> r.get() != null); attempt++) {
            System.gc();
            Thread.sleep(10);
        }
        for (int i = 0; i < losses.size(); i++) {
            assertNull(losses.get(i).get(), (i % 2 == 0 ? "loss" : "prediction") + " of step " + i / 2 + " is still reachable");
        }
    }
}
