package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints with optimizer state: stopping and resuming changes no bit of training. */
class ExactResumeTest {
    @TempDir
    Path dir;

    private static Sequential model() {
        SplittableRandom rng = new SplittableRandom(11);
        return new Sequential(new Linear(3, 5, rng), new Tanh(), new Linear(5, 2, rng));
    }

    private static final Tensor X = Tensor.randn(new SplittableRandom(3), 8, 3);
    private static final Tensor Y = Tensor.randn(new SplittableRandom(4), 8, 2);

    private static void train(Layer model, Optimizer opt, int steps) {
        for (int i = 0; i < steps; i++) {
            opt.zeroGrad();
            // a different slice of the data each step, so that the step number matters
            int start = i % 4;
            Losses.mse(model.forward(X.narrow(0, start, 4)), Y.narrow(0, start, 4)).backward();
            opt.step();
        }
    }

    private static double[][] values(Layer model) {
        return model.parameters().stream().map(Tensor::toArray).toArray(double[][]::new);
    }

    private void assertResumesExactly(String what, Function<List<Tensor>, Optimizer> make) throws IOException {
        Sequential straight = model();
        train(straight, make.apply(straight.parameters()), 7);

        Sequential first = model();
        Optimizer firstOpt = make.apply(first.parameters());
        train(first, firstOpt, 4);
        Path file = dir.resolve(what + ".ckpt");
        Checkpoint.save(first, firstOpt, file);
        train(first, firstOpt, 1); // the saving run goes on; the file must not change with it

        Sequential resumed = model();
        train(resumed, make.apply(resumed.parameters()), 2); // a different state, to be replaced
        Optimizer resumedOpt = make.apply(resumed.parameters());
        Checkpoint.load(resumed, resumedOpt, file);
        train(resumed, resumedOpt, 3);

        double[][] expected = values(straight);
        double[][] actual = values(resumed);
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], 0.0, what + ": parameter " + i + " differs after resuming");
        }
    }

    @Test
    void sgdWithMomentumResumesBitForBit() throws IOException {
        assertResumesExactly("sgd", ps -> new SGD(ps, 0.1, 0.9).nesterov(true));
    }

    @Test
    void adamResumesBitForBit() throws IOException {
        assertResumesExactly("adam", ps -> new Adam(ps, 0.01).amsgrad(true));
    }

    @Test
    void adamWResumesBitForBit() throws IOException {
        assertResumesExactly("adamw", ps -> new AdamW(ps, 0.01));
    }

    @Test
    void rmspropResumesBitForBit() throws IOException {
        assertResumesExactly("rmsprop", ps -> new RMSprop(ps, 0.01).momentum(0.5).centered(true));
    }

    @Test
    void withoutTheOptimizerStateResumingDiffers() throws IOException {
        // guards the test above: a resumed Adam that starts from fresh moments does not match
        Sequential straight = model();
        train(straight, new Adam(straight.parameters(), 0.01), 7);
        Sequential first = model();
        Adam opt = new Adam(first.parameters(), 0.01);
        train(first, opt, 4);
        Path file = dir.resolve("plain.ckpt");
        Checkpoint.save(first, file);
        Sequential resumed = model();
        Checkpoint.load(resumed, file);
        train(resumed, new Adam(resumed.parameters(), 0.01), 3);
        assertTrue(!java.util.Arrays.equals(values(straight)[0], values(resumed)[0]));
    }

    @Test
    void stateIsSavedByParameterName() throws IOException {
        Sequential m = model();
        Adam opt = new Adam(m.parameters(), 0.01);
        train(m, opt, 1);
        Map<String, CheckpointEntries.Entry> entries = CheckpointEntries.entries(m, opt);
        assertTrue(entries.containsKey("param.0.weight") && entries.containsKey("optimizer.2.bias.exp_avg")
                && entries.containsKey("optimizer.0.weight.step"), entries.keySet().toString());
        assertEquals("Adam", entries.get("optimizer").text());
    }

    @Test
    void anotherOptimizersStateIsRefusedAndNothingChanges() throws IOException {
        Sequential m = model();
        Adam adam = new Adam(m.parameters(), 0.01);
        train(m, adam, 2);
        Path file = dir.resolve("adam.ckpt");
        Checkpoint.save(m, adam, file);
        Sequential other = model();
        double[][] before = values(other);
        SGD sgd = new SGD(other.parameters(), 0.1, 0.9);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(other, sgd, file));
        assertTrue(e.getMessage().contains("Adam") && e.getMessage().contains("SGD"), e.getMessage());
        assertArrayEquals(before[0], values(other)[0], 0.0);
    }

    @Test
    void aStateOfAnotherShapeNamesTheParameterAndBothShapes() throws IOException {
        Sequential m = model();
        Adam adam = new Adam(m.parameters(), 0.01);
        train(m, adam, 2);
        Path file = dir.resolve("adam.ckpt");
        Checkpoint.save(m, adam, file);
        Sequential wider = new Sequential(new Linear(3, 6, new SplittableRandom(1)), new Tanh(), new Linear(6, 2, new SplittableRandom(2)));
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(wider, new Adam(wider.parameters(), 0.01), file));
        assertTrue(e.getMessage().contains("0.weight") && e.getMessage().contains("[3, 5]") && e.getMessage().contains("[3, 6]"),
                e.getMessage());
    }

    @Test
    void aCheckpointWithoutOptimizerStateIsRefusedForAnOptimizer() throws IOException {
        Sequential m = model();
        Path file = dir.resolve("v1.ckpt");
        Checkpoint.save(m, file);
        assertEquals(Checkpoint.FORMAT_VERSION, ByteBuffer.wrap(Files.readAllBytes(file)).getInt(8), "a plain model still writes version 1");
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(m, new Adam(m.parameters(), 0.01), file));
        assertTrue(e.getMessage().contains("no optimizer state"), e.getMessage());
    }

    @Test
    void aCheckpointWithOptimizerStateLoadsIntoAModelAlone() throws IOException {
        Sequential m = model();
        Adam adam = new Adam(m.parameters(), 0.01);
        train(m, adam, 2);
        Path file = dir.resolve("both.ckpt");
        Checkpoint.save(m, adam, file);
        Sequential fresh = model();
        Checkpoint.load(fresh, file);
        assertArrayEquals(values(m)[2], values(fresh)[2], 0.0);
    }

    @Test
    void everyFlippedByteOrTruncationIsRefusedWithoutChange() throws IOException {
        Sequential m = model();
        Adam adam = new Adam(m.parameters(), 0.01);
        train(m, adam, 2);
        Path file = dir.resolve("good.ckpt");
        Checkpoint.save(m, adam, file);
        byte[] good = Files.readAllBytes(file);
        Path bad = dir.resolve("bad.ckpt");
        Sequential target = model();
        Adam targetOpt = new Adam(target.parameters(), 0.02);
        double[][] before = values(target);
        for (int i = 0; i < good.length; i += 7) {
            byte[] b = good.clone();
            b[i] ^= 0x10;
            Files.write(bad, b);
            assertThrows(IOException.class, () -> Checkpoint.load(target, targetOpt, bad), "flipped byte " + i);
        }
        for (int n : new int[] {0, 5, 11, 30, good.length / 2, good.length - 1}) {
            Files.write(bad, java.util.Arrays.copyOf(good, n));
            assertThrows(IOException.class, () -> Checkpoint.load(target, targetOpt, bad), "truncated to " + n);
        }
        Files.write(bad, java.util.Arrays.copyOf(good, good.length + 100_000_000 / 1000));
        assertThrows(IOException.class, () -> Checkpoint.load(target, targetOpt, bad), "extended");
        double[][] after = values(target);
        for (int i = 0; i < before.length; i++) {
            assertArrayEquals(before[i], after[i], 0.0);
        }
        assertEquals(0.02, targetOpt.learningRate());
    }

    /** A layer with a buffer, as batch normalization has: the buffer is saved and restored by name. */
    private static final class Counting implements Layer {
        final Tensor weight = Tensor.ones(2).requiresGrad(true);
        final Tensor seen = Tensor.zeros(1);

        @Override
        public Tensor forward(Tensor x) {
            seen.modify(b -> b[0] += 1);
            return x.mul(weight);
        }

        @Override
        public List<Tensor> parameters() {
            return List.of(weight);
        }

        @Override
        public Map<String, Tensor> namedParameters() {
            return Map.of("weight", weight);
        }

        @Override
        public Map<String, Tensor> namedBuffers() {
            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("num_batches_tracked", seen);
            return m;
        }
    }

    @Test
    void buffersAreSavedAndRestoredByName() throws IOException {
        Sequential m = new Sequential(new Counting(), new Tanh());
        m.forward(Tensor.ones(2));
        m.forward(Tensor.ones(2));
        assertEquals("0.num_batches_tracked", m.namedBuffers().keySet().iterator().next());
        Path file = dir.resolve("buffers.ckpt");
        Checkpoint.save(m, file);
        Sequential fresh = new Sequential(new Counting(), new Tanh());
        Checkpoint.load(fresh, file);
        assertEquals(2.0, fresh.namedBuffers().get("0.num_batches_tracked").item());
    }

    private static Dataset data() {
        SplittableRandom rng = new SplittableRandom(8);
        double[][] x = new double[22][3];
        double[][] y = new double[22][2];
        for (int i = 0; i < 22; i++) {
            for (int k = 0; k < 3; k++) {
                x[i][k] = rng.nextGaussian();
            }
            y[i][0] = Math.sin(x[i][0]);
            y[i][1] = x[i][1] * x[i][2];
        }
        return Dataset.of(x, y);
    }

    private static Trainer trainer(Sequential m) {
        return new Trainer(m, new Adam(m.parameters(), 0.01), (p, b) -> Losses.mse(p, b.targets())).doctor(null)
                .schedule(LearningRateSchedule.step(2, 0.5));
    }

    /** Stops a run by throwing from a listener once {@code stopAt} steps are done. */
    private static final class Stop extends RuntimeException {
        Stop() {
            super("stopped on purpose", null, false, false);
        }
    }

    @Test
    void aTrainerStoppedMidEpochResumesBitForBit() throws IOException {
        // 22 examples in batches of 5: 5 batches an epoch, the last one short; 4 epochs, 20 steps
        Sequential straight = model();
        double[] expected = trainer(straight).fit(data(), 4, 5, new SplittableRandom(77));

        Path file = dir.resolve("run.ckpt");
        Sequential first = model();
        Trainer stopping = trainer(first).checkpoint(file, 3).listener(new Trainer.Listener() {
            @Override
            public void onStep(int step, double loss) {
                if (step == 13) { // mid-epoch 2; the last checkpoint holds 12 steps
                    throw new Stop();
                }
            }
        });
        assertThrows(Stop.class, () -> stopping.fit(data(), 4, 5, new SplittableRandom(77)));

        Sequential resumed = model();
        train(resumed, new SGD(resumed.parameters(), 0.3), 2); // other weights, to be replaced
        double[] history = trainer(resumed).resume(file).fit(data(), 4, 5, new SplittableRandom(77));
        assertArrayEquals(expected, history, 0.0, "the losses of the resumed run");
        double[][] want = values(straight);
        double[][] got = values(resumed);
        for (int i = 0; i < want.length; i++) {
            assertArrayEquals(want[i], got[i], 0.0, "parameter " + i);
        }
    }

    @Test
    void resumingWithOtherSettingsIsRefused() throws IOException {
        Path file = dir.resolve("run.ckpt");
        trainer(model()).checkpoint(file, 4).fit(data(), 2, 5, new SplittableRandom(1));
        Sequential m = model();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> trainer(m).resume(file).fit(data(), 3, 5, new SplittableRandom(1)));
        assertTrue(e.getMessage().contains("10 steps") && e.getMessage().contains("15"), e.getMessage());
        Path plain = dir.resolve("plain.ckpt");
        Adam adam = new Adam(m.parameters(), 0.01);
        Checkpoint.save(m, adam, plain);
        IOException noPosition = assertThrows(IOException.class, () -> new Trainer(m, adam, (p, b) -> Losses.mse(p, b.targets()))
                .resume(plain));
        assertTrue(noPosition.getMessage().contains("no trainer position"), noPosition.getMessage());
    }
}
