package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainerTest {
    private static final Dataset SEED_DATA = Dataset.of(new double[][] {{0.8, 0.4}, {0.3, 0.3}},
            new double[][] {{0.2, 0.4}, {1, 0}});

    private static Trainer seedTrainer(Sequential model) {
        return new Trainer(model, new SGD(model.parameters(), 0.5),
                (prediction, batch) -> Losses.sumSquaredError(prediction, batch.targets()));
    }

    @Test
    void fullBatchTrainingReproducesTheSeedAndReturnsTheLossHistory() {
        Sequential model = MLP.of(new int[] {2, 3, 3, 2}, Sigmoid::new, Sigmoid::new, Init.constant(1));
        double[] history = seedTrainer(model).fit(SEED_DATA, 1000);
        assertEquals(1000, history.length);
        assertTrue(history[999] < history[0]);
        assertArrayEquals(new double[] {0.5992708, 0.1997655, 0.5993174, 0.2004307},
                model.forward(SEED_DATA.all().inputs()).toArray(), 1e-6);
    }

    @Test
    void stepsInMemoryScopesTrainTheSameBitsAsStepsWithout() {
        double[][] histories = new double[2][];
        double[][] weights = new double[2][];
        for (int run = 0; run < 2; run++) {
            Sequential model = MLP.of(new int[] {6, 16, 16, 3}, Tanh::new, Init.xavierUniform(new SplittableRandom(4)));
            SplittableRandom rng = new SplittableRandom(5);
            double[][] inputs = new double[40][6];
            double[][] targets = new double[40][3];
            for (int i = 0; i < 40; i++) {
                inputs[i] = rng.doubles(6, -1, 1).toArray();
                targets[i] = rng.doubles(3, -1, 1).toArray();
            }
            Dataset data = Dataset.of(inputs, targets);
            Trainer trainer = new Trainer(model, new Adam(model.parameters(), 0.01),
                    (prediction, batch) -> Losses.mse(prediction, batch.targets())).doctor(null).recycleMemory(run == 1);
            histories[run] = trainer.fit(data, 3, 8, new SplittableRandom(7));
            weights[run] = model.parameters().get(0).toArray();
        }
        assertArrayEquals(histories[0], histories[1]);
        assertArrayEquals(weights[0], weights[1]);
    }

    @Test
    void aPredictionKeptPastItsStepIsRefusedUnlessRecyclingIsOff() {
        for (boolean recycle : new boolean[] {true, false}) {
            Sequential model = MLP.of(new int[] {2, 3, 2}, Tanh::new, Init.constant(0.1));
            List<Tensor> kept = new ArrayList<>();
            Trainer trainer = new Trainer(model, new SGD(model.parameters(), 0.1), (prediction, batch) -> {
                kept.add(prediction);
                return Losses.sumSquaredError(prediction, batch.targets());
            }).doctor(null).recycleMemory(recycle);
            trainer.fit(SEED_DATA, 2);
            if (recycle) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> kept.get(0).toArray());
                assertTrue(e.getMessage().contains("MemoryScope"), e.getMessage());
            } else {
                assertEquals(4, kept.get(0).toArray().length);
            }
        }
    }

    @Test
    void listenersSeeTheStartBeforeTheFirstStepThenEveryStepThenTheEnd() {
        Sequential model = MLP.of(new int[] {2, 3, 2}, Tanh::new, Init.constant(0.1));
        List<String> events = new ArrayList<>();
        Trainer trainer = seedTrainer(model);
        trainer.listener(new Trainer.Listener() {
            @Override
            public void onStart(Trainer t, Batch firstBatch) {
                assertSame(trainer, t);
                assertEquals(0, model.parameters().get(0).version(), "onStart must run before any update");
                assertEquals(1, firstBatch.size());
                events.add("start");
            }

            @Override
            public void onStep(int step, double loss) {
                events.add("step" + step);
            }

            @Override
            public void onEnd(double[] history) {
                events.add("end" + history.length);
            }
        });
        trainer.fit(SEED_DATA, 2, 1, new SplittableRandom(1));
        assertEquals(List.of("start", "step0", "step1", "step2", "step3", "end4"), events);
    }

    @Test
    void progressLineShowsStepLossAndSpeedWhenAsked() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Sequential model = MLP.of(new int[] {2, 3, 2}, Tanh::new, Init.constant(0.1));
        seedTrainer(model).progress(new PrintStream(out, true, StandardCharsets.UTF_8)).fit(SEED_DATA, 20);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("step 20/20") && text.contains("loss ") && text.contains("steps/s"), text);
        assertTrue(text.endsWith(System.lineSeparator()), "the last update ends the line");
    }

    @Test
    void quietWhenNotOnATerminal() {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            // a healthy model, so the doctor has nothing to say either
            Sequential model = MLP.of(new int[] {2, 3, 2}, Tanh::new, Init.xavierUniform(new SplittableRandom(1)));
            seedTrainer(model).fit(SEED_DATA, 5);
        } finally {
            System.setErr(original);
        }
        if (System.console() == null) {
            assertEquals("", captured.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aNonFiniteLossStopsTrainingWithTheStep() {
        Sequential model = MLP.of(new int[] {2, 3, 2}, Tanh::new, Init.constant(0.1));
        Trainer trainer = new Trainer(model, new SGD(model.parameters(), 0.1),
                (prediction, batch) -> prediction.sum().mul(Double.NaN));
        double[] before = model.parameters().get(0).toArray();
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> trainer.fit(SEED_DATA, 3));
        assertTrue(e.getMessage().contains("step 0"), e.getMessage());
        assertArrayEquals(before, model.parameters().get(0).toArray(), 0.0);
    }

    @Test
    void clippingAndScheduleAreApplied() {
        Linear layer = new Linear(1, 1, Init.constant(0));
        Dataset data = Dataset.of(new double[][] {{1}}, new double[][] {{100}});
        SGD sgd = new SGD(layer.parameters(), 1.0);
        Trainer trainer = new Trainer(layer, sgd, (prediction, batch) -> Losses.sumSquaredError(prediction, batch.targets()))
                .clipGradNorm(1.0)
                .schedule(LearningRateSchedule.exponential(0.5));
        trainer.fit(data, 1);
        // the gradient [-200, -200] is clipped to norm 1: each entry -1/sqrt(2); lr 1
        assertEquals(1 / Math.sqrt(2), layer.weight().item(), 1e-6);
        trainer.fit(data, 2);
        assertEquals(0.5, sgd.learningRate(), 0.0);
    }

    @Test
    void theLossMustBeAScalar() {
        Linear layer = new Linear(1, 2, Init.constant(0));
        Trainer trainer = new Trainer(layer, new SGD(layer.parameters(), 1.0), (prediction, batch) -> prediction);
        Dataset data = Dataset.of(new double[][] {{1}}, new double[][] {{1, 2}});
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> trainer.fit(data, 1));
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Trainer(null, new SGD(layer.parameters(), 1.0),
                (p, b) -> Tensor.scalar(0)));
    }

    @Test
    void theDoctorExaminesTheModelBeforeTheFirstStepAndPrintsItsFindings() {
        Sequential model = MLP.of(new int[] {2, 3, 3, 2}, Sigmoid::new, Sigmoid::new, Init.constant(1));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Trainer trainer = seedTrainer(model).doctor(new PrintStream(out, true, StandardCharsets.UTF_8));
        trainer.fit(SEED_DATA, 3);
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(2, trainer.findings().size(), printed);
        assertTrue(printed.startsWith("Doctor: SYMMETRY: layer 0 (Linear(2, 3))"), printed);
        assertTrue(printed.contains("symmetry"), printed);
    }

    @Test
    void aHealthyModelGetsNoFindingsAndTheDoctorCanBeSwitchedOff() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Sequential healthy = MLP.of(new int[] {2, 8, 2}, Tanh::new, Init.xavierUniform(new SplittableRandom(3)));
        Trainer t = seedTrainer(healthy).doctor(new PrintStream(out, true, StandardCharsets.UTF_8));
        t.fit(SEED_DATA, 2);
        assertEquals(List.of(), t.findings());
        assertEquals("", out.toString(StandardCharsets.UTF_8));

        Sequential stuck = MLP.of(new int[] {2, 3, 3, 2}, Sigmoid::new, Sigmoid::new, Init.constant(1));
        Trainer off = seedTrainer(stuck).doctor(null);
        off.fit(SEED_DATA, 2);
        assertEquals(List.of(), off.findings());
    }

    /** Loss 0 with a NaN gradient: d/dp sqrt(p - p) = inf * (1 - 1). */
    private static Tensor nanGradient(Tensor prediction) {
        return prediction.sub(prediction).sqrt().sum();
    }

    private static long[] bits(List<Tensor> parameters) {
        return parameters.stream().flatMapToDouble(p -> java.util.Arrays.stream(p.toArray()))
                .mapToLong(Double::doubleToRawLongBits).toArray();
    }

    @Test
    void aFiniteLossWithANanGradientIsRefusedAtStepZeroAndLeavesTheParametersBitIdentical() {
        Sequential model = MLP.of(new int[] {2, 3, 2}, Tanh::new, Init.xavierUniform(new SplittableRandom(4)));
        Trainer trainer = new Trainer(model, new Adam(model.parameters(), 0.1), (prediction, batch) -> nanGradient(prediction));
        long[] before = bits(model.parameters());
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> trainer.fit(SEED_DATA, 3));
        assertTrue(e.getMessage().contains("step 0") && e.getMessage().contains("gradient") && e.getMessage().contains("NaN"),
                e.getMessage());
        assertArrayEquals(before, bits(model.parameters()), "the refused step must not touch the parameters");
        TrainingStoppedException stopped = (TrainingStoppedException) e;
        assertEquals(0, stopped.step());
        assertEquals(0.0, stopped.loss());
        assertEquals(0, stopped.history().length);
    }

    @Test
    void aRefusedStepKeepsTheLossesBeforeItAndTheOptimizersStateSoTrainingCanGoOnAsIfItHadNotHappened() {
        Dataset data = Dataset.of(new double[][] {{0.8, 0.4}}, new double[][] {{0.2, 0.4}});
        Sequential a = MLP.of(new int[] {2, 3, 2}, Tanh::new, Init.xavierUniform(new SplittableRandom(5)));
        Sequential b = MLP.of(new int[] {2, 3, 2}, Tanh::new, Init.xavierUniform(new SplittableRandom(5)));
        int[] calls = {0};
        Trainer.LossFunction sometimesBroken = (prediction, batch) -> calls[0]++ == 2
                ? nanGradient(prediction).add(Losses.mse(prediction, batch.targets()))
                : Losses.mse(prediction, batch.targets());
        Trainer broken = new Trainer(a, new Adam(a.parameters(), 0.05), sometimesBroken).doctor(null);
        Trainer clean = new Trainer(b, new Adam(b.parameters(), 0.05),
                (prediction, batch) -> Losses.mse(prediction, batch.targets())).doctor(null);
        double[] expected = clean.fit(data, 2);
        TrainingStoppedException e = assertThrows(TrainingStoppedException.class, () -> broken.fit(data, 5));
        assertEquals(2, e.step());
        assertArrayEquals(expected, e.history(), 0.0);
        assertTrue(Double.isFinite(e.loss()), "the loss was finite; only the gradient was not");
        assertArrayEquals(bits(b.parameters()), bits(a.parameters()));
        // Adam's moments and step count did not see the refused step either
        broken.fit(data, 3);
        clean.fit(data, 3);
        assertArrayEquals(bits(b.parameters()), bits(a.parameters()));
    }

    @Test
    void clippingTamesGradientsOf1e155InsteadOfBlamingANanThatIsNotThere() {
        Linear layer = new Linear(1, 1, Init.constant(0));
        Dataset data = Dataset.of(new double[][] {{1}}, new double[][] {{0}});
        Trainer trainer = new Trainer(layer, new SGD(layer.parameters(), 1.0),
                (prediction, batch) -> prediction.mul(1e155).sum()).clipGradNorm(1.0).doctor(null);
        trainer.fit(data, 1);
        // gradients [1e155] and [1e155]: global norm sqrt(2) * 1e155, clipped to 1
        assertEquals(-1 / Math.sqrt(2), layer.weight().item(), 1e-12);
        assertEquals(-1 / Math.sqrt(2), layer.bias().item(), 1e-12);
    }

    @Test
    void aModelWithAFrozenParameterAndANoGradLayerTrainsWithTheDefaultDoctor() {
        Layer preprocessing = new Layer() {
            @Override
            public Tensor forward(Tensor x) {
                Autograd.Scope off = Autograd.noGrad();
                try {
                    return x.mul(2.0);
                } finally {
                    off.close();
                }
            }

            @Override
            public List<Tensor> parameters() {
                return List.of();
            }
        };
        Sequential model = new Sequential(preprocessing, new Linear(2, 4, Init.xavierUniform(new SplittableRandom(6))),
                new Tanh(), new Linear(4, 2, Init.xavierUniform(new SplittableRandom(7))));
        Linear frozen = (Linear) model.layers().get(1);
        frozen.weight().requiresGrad(false);
        List<Tensor> trainable = model.parameters().stream().filter(Tensor::requiresGrad).toList();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Trainer trainer = new Trainer(model, new SGD(trainable, 0.1),
                (prediction, batch) -> Losses.mse(prediction, batch.targets()))
                .doctor(new PrintStream(out, true, StandardCharsets.UTF_8));
        double[] frozenBefore = frozen.weight().toArray();
        double[] history = trainer.fit(SEED_DATA, 20);
        assertTrue(history[19] < history[0], java.util.Arrays.toString(history));
        assertArrayEquals(frozenBefore, frozen.weight().toArray(), 0.0);
        assertEquals(List.of(Finding.Kind.NOT_EXAMINED, Finding.Kind.NOT_EXAMINED),
                trainer.findings().stream().map(Finding::kind).toList(), trainer.findings().toString());
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("parameter 0 of layer 1 (Linear(2, 4)) is frozen") && printed.contains("layer 0 ("), printed);
    }
}
