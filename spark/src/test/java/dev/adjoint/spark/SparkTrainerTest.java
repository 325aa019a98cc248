package dev.adjoint.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.MatmulThreads;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.Batch;
import dev.adjoint.nn.Dataset;
import dev.adjoint.nn.Layer;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.MLP;
import dev.adjoint.nn.Optimizer;
import dev.adjoint.nn.SGD;
import dev.adjoint.nn.Trainer;
import dev.adjoint.nn.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparkTrainerTest {
    private static final int N = 61;
    private static final int BATCH = 16;
    private static final int EPOCHS = 2;
    private static final long SEED = 42;

    // local[2, 3]: two task threads, and a failed task is tried up to 3 times
    private static JavaSparkContext sc;

    static final AtomicInteger CREATED = new AtomicInteger();
    static final AtomicInteger FAILURES = new AtomicInteger();
    static final AtomicInteger THREADS_SEEN = new AtomicInteger();

    @BeforeAll
    static void start() {
        SparkConf conf = new SparkConf().setMaster("local[2, 3]").setAppName("SparkTrainerTest")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        sc = new JavaSparkContext(conf);
    }

    @AfterAll
    static void stop() {
        if (sc != null) {
            sc.stop();
        }
    }

    static Layer net() {
        CREATED.incrementAndGet();
        return MLP.of(4, 8, 3);
    }

    static final ModelFactory MODEL = SparkTrainerTest::net;
    static final LossFunction CROSS_ENTROPY = (prediction, batch) -> Losses.crossEntropy(prediction, batch.labels());
    static final OptimizerFactory ADAM = parameters -> new Adam(parameters, 0.01);

    static List<Sample> data(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] x = {rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian()};
            int label = x[0] + x[1] > 0.5 ? 0 : x[2] > 0 ? 1 : 2;
            samples.add(Sample.labelled(x, label));
        }
        return samples;
    }

    private static SparkTrainer trainer(LossFunction loss) {
        return new SparkTrainer(sc, MODEL, loss, ADAM);
    }

    private static double[] flat(Layer model) {
        List<Double> all = new ArrayList<>();
        for (Tensor p : model.parameters()) {
            for (double v : p.toArray()) {
                all.add(v);
            }
        }
        return all.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The single-machine run over the same global batches: Trainer.step on each. */
    private static double[][] singleMachine(List<Sample> samples) {
        double[][] inputs = new double[samples.size()][];
        int[] labels = new int[samples.size()];
        for (int i = 0; i < samples.size(); i++) {
            inputs[i] = samples.get(i).input();
            labels[i] = samples.get(i).label();
        }
        Dataset data = Dataset.of(inputs, labels);
        Layer model = MODEL.create();
        Optimizer optimizer = ADAM.create(model.parameters());
        Trainer trainer = new Trainer(model, optimizer, CROSS_ENTROPY::loss).doctor(null).progress(null);
        List<Double> history = new ArrayList<>();
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
            for (int[] batch : SparkTrainer.globalBatches(samples.size(), BATCH, SEED, epoch)) {
                history.add(trainer.step(data.batch(batch)));
            }
        }
        return new double[][] {history.stream().mapToDouble(Double::doubleValue).toArray(), flat(model)};
    }

    @Test
    void equalsTheSingleMachineRunForAnyPartitioning() {
        List<Sample> samples = data(N, 1);
        double[][] expected = singleMachine(samples);
        assertEquals(EPOCHS * 4, expected[0].length);
        for (int partitions : new int[] {1, 2, 7}) {
            SparkTrainer trainer = trainer(CROSS_ENTROPY);
            double[] history = trainer.fit(sc.parallelize(samples, partitions), EPOCHS, BATCH, SEED);
            assertArrayEquals(expected[0], history, 1e-10, partitions + " partitions: losses");
            assertArrayEquals(expected[1], flat(trainer.model()), 1e-10, partitions + " partitions: parameters");
        }
    }

    @Test
    void theTreeDepthChangesOnlyTheOrderOfAdditions() {
        List<Sample> samples = data(N, 1);
        double[][] expected = singleMachine(samples);
        for (int depth : new int[] {1, 3}) {
            SparkTrainer trainer = trainer(CROSS_ENTROPY).treeDepth(depth);
            double[] history = trainer.fit(sc.parallelize(samples, 7), EPOCHS, BATCH, SEED);
            assertArrayEquals(expected[0], history, 1e-10, "depth " + depth + ": losses");
            assertArrayEquals(expected[1], flat(trainer.model()), 1e-10, "depth " + depth + ": parameters");
        }
    }

    @Test
    void regressionOnTargetRowsEqualsTheSingleMachineRun() {
        SplittableRandom rng = new SplittableRandom(8);
        List<Sample> samples = new ArrayList<>();
        double[][] inputs = new double[45][];
        double[][] targets = new double[45][];
        for (int i = 0; i < 45; i++) {
            inputs[i] = new double[] {rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian()};
            targets[i] = new double[] {inputs[i][0] - inputs[i][1], Math.sin(inputs[i][2]), inputs[i][3] * inputs[i][0]};
            samples.add(Sample.withTarget(inputs[i], targets[i]));
        }
        LossFunction mse = (prediction, batch) -> Losses.mse(prediction, batch.targets());
        OptimizerFactory sgd = parameters -> new SGD(parameters, 0.05);
        Layer model = MODEL.create();
        Trainer single = new Trainer(model, sgd.create(model.parameters()), mse::loss).doctor(null).progress(null);
        Dataset data = Dataset.of(inputs, targets);
        List<Double> expected = new ArrayList<>();
        for (int epoch = 0; epoch < 2; epoch++) {
            for (int[] batch : SparkTrainer.globalBatches(45, 10, 3, epoch)) {
                expected.add(single.step(data.batch(batch)));
            }
        }
        SparkTrainer trainer = new SparkTrainer(sc, MODEL, mse, sgd);
        double[] history = trainer.fit(sc.parallelize(samples, 3), 2, 10, 3);
        assertArrayEquals(expected.stream().mapToDouble(Double::doubleValue).toArray(), history, 1e-10);
        assertArrayEquals(flat(model), flat(trainer.model()), 1e-10);
    }

    @Test
    void isBitwiseRepeatableForAGivenPartitioning() {
        List<Sample> samples = data(N, 2);
        SparkTrainer a = trainer(CROSS_ENTROPY);
        SparkTrainer b = trainer(CROSS_ENTROPY);
        double[] ha = a.fit(sc.parallelize(samples, 7), EPOCHS, BATCH, SEED);
        double[] hb = b.fit(sc.parallelize(samples, 7), EPOCHS, BATCH, SEED);
        assertArrayEquals(ha, hb, 0.0);
        assertArrayEquals(flat(a.model()), flat(b.model()), 0.0);
    }

    @Test
    void aRunResumedFromACheckpointEndsWithTheSameBits(@TempDir Path dir) throws IOException {
        List<Sample> samples = data(N, 9);
        SparkTrainer straight = trainer(CROSS_ENTROPY);
        double[] all = straight.fit(sc.parallelize(samples, 2), 3, BATCH, SEED);

        SparkTrainer first = trainer(CROSS_ENTROPY);
        double[] start = first.fit(sc.parallelize(samples, 2), 2, BATCH, SEED);
        Path file = dir.resolve("after-epoch-1.ckpt");
        Checkpoint.save(first.model(), first.optimizer(), file);
        SparkTrainer resumed = trainer(CROSS_ENTROPY);
        Checkpoint.load(resumed.model(), resumed.optimizer(), file);
        double[] rest = resumed.fit(sc.parallelize(samples, 2), 2, 1, BATCH, SEED);

        double[] joined = new double[start.length + rest.length];
        System.arraycopy(start, 0, joined, 0, start.length);
        System.arraycopy(rest, 0, joined, start.length, rest.length);
        assertArrayEquals(all, joined, 0.0);
        assertArrayEquals(flat(straight.model()), flat(resumed.model()), 0.0);
    }

    @Test
    void aRetriedTaskComputesTheSameGradient() {
        List<Sample> samples = data(N, 3);
        double[] clean = trainer(CROSS_ENTROPY).fit(sc.parallelize(samples, 3), EPOCHS, BATCH, SEED);
        FAILURES.set(0);
        int failAt = 17; // one sample: fails the first attempt of the task whose batch holds it, once per epoch
        LossFunction flaky = (prediction, batch) -> {
            TaskContext task = TaskContext.get();
            for (int i : batch.indices()) {
                if (i == failAt && task.attemptNumber() == 0) {
                    FAILURES.incrementAndGet();
                    throw new IllegalStateException("injected failure in partition " + task.partitionId());
                }
            }
            return Losses.crossEntropy(prediction, batch.labels());
        };
        SparkTrainer retried = trainer(flaky);
        double[] history = retried.fit(sc.parallelize(samples, 3), EPOCHS, BATCH, SEED);
        assertEquals(EPOCHS, FAILURES.get(), "one failed first attempt per epoch");
        assertArrayEquals(clean, history, 0.0);
    }

    @Test
    void executorsKeepTheirModelsAndLimitTheirThreads() {
        List<Sample> samples = data(N, 4);
        SparkTrainer trainer = trainer((prediction, batch) -> {
            THREADS_SEEN.set(MatmulThreads.current());
            return Losses.crossEntropy(prediction, batch.labels());
        });
        CREATED.set(0);
        double[] history = trainer.fit(sc.parallelize(samples, 2), 3, BATCH, SEED);
        assertEquals(12, history.length);
        // 12 steps of 2 tasks each, at most 2 at a time: at most 2 executor models, never one per step
        assertTrue(CREATED.get() <= 2, "models built on executors: " + CREATED.get());
        assertEquals(1, THREADS_SEEN.get(), "spark.task.cpus is 1");
    }

    @Test
    void learnsATwoClassProblemToFullAccuracy() {
        SplittableRandom rng = new SplittableRandom(5);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int label = i % 2;
            double r = label == 0 ? 1 : 3;
            double angle = rng.nextDouble(2 * Math.PI);
            double rr = r + rng.nextDouble(-0.3, 0.3);
            samples.add(Sample.labelled(new double[] {rr * Math.cos(angle), rr * Math.sin(angle)}, label));
        }
        SparkTrainer trainer = new SparkTrainer(sc, () -> MLP.of(2, 16, 2), CROSS_ENTROPY,
                parameters -> new Adam(parameters, 0.05));
        double[] history = trainer.fit(sc.parallelize(samples, 2), 60, 50, 7);
        double[][] x = new double[samples.size()][];
        for (int i = 0; i < x.length; i++) {
            x[i] = samples.get(i).input();
        }
        double[] logits = trainer.model().forward(Tensor.of(x)).toArray();
        int correct = 0;
        for (int i = 0; i < x.length; i++) {
            int predicted = logits[2 * i + 1] > logits[2 * i] ? 1 : 0;
            correct += predicted == samples.get(i).label() ? 1 : 0;
        }
        assertEquals(samples.size(), correct, "accuracy; last loss " + history[history.length - 1]);
    }

    @Test
    void badInputIsRefusedOnTheDriverBeforeTraining() {
        List<Sample> ragged = new ArrayList<>(data(20, 6));
        ragged.set(13, Sample.labelled(new double[] {1, 2, 3}, 0));
        assertMessage(() -> trainer(CROSS_ENTROPY).fit(sc.parallelize(ragged, 2), 1, 4, 1),
                "ragged inputs: sample 13 has 3 input values");

        List<Sample> outOfRange = new ArrayList<>(data(20, 6));
        outOfRange.set(11, Sample.labelled(new double[] {1, 2, 3, 4}, 3));
        assertMessage(() -> trainer(CROSS_ENTROPY).fit(sc.parallelize(outOfRange, 2), 1, 4, 1),
                "label out of range: sample 11 has label 3, but the model has 3 outputs");

        List<Sample> negative = new ArrayList<>(data(20, 6));
        negative.set(5, Sample.labelled(new double[] {1, 2, 3, 4}, -4));
        assertMessage(() -> trainer(CROSS_ENTROPY).fit(sc.parallelize(negative, 2), 1, 4, 1),
                "label out of range: sample 5 has label -4");

        List<Sample> mixed = new ArrayList<>(data(20, 6));
        mixed.set(17, new Sample(new double[] {1, 2, 3, 4}, null, -1));
        assertMessage(() -> trainer(CROSS_ENTROPY).fit(sc.parallelize(mixed, 2), 1, 4, 1),
                "sample 17 has no label (-1)");

        List<Sample> raggedTargets = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            raggedTargets.add(Sample.withTarget(new double[] {i, 1, 2, 3}, new double[i == 8 ? 2 : 3]));
        }
        assertMessage(() -> trainer(CROSS_ENTROPY).fit(sc.parallelize(raggedTargets, 3), 1, 4, 1),
                "ragged targets: sample 8 has a target of 2 values, sample ");

        assertMessage(() -> trainer(CROSS_ENTROPY).fit(sc.parallelize(new ArrayList<Sample>(), 2), 1, 4, 1),
                "the data set is empty");

        NotSerializableFactory factory = new NotSerializableFactory();
        assertMessage(() -> new SparkTrainer(sc, factory, CROSS_ENTROPY, ADAM),
                "the model factory " + NotSerializableFactory.class.getName() + " is not serializable");
    }

    @Test
    void aNonFiniteLossStopsTrainingBeforeTheUpdate() {
        SparkTrainer trainer = new SparkTrainer(sc, MODEL, (prediction, batch) -> prediction.sum().mul(Double.NaN),
                parameters -> new SGD(parameters, 0.1));
        double[] before = flat(trainer.model());
        assertThrows(dev.adjoint.nn.TrainingStoppedException.class,
                () -> trainer.fit(sc.parallelize(data(N, 7), 2), 1, BATCH, SEED));
        assertArrayEquals(before, flat(trainer.model()), 0.0);
    }

    @Test
    void aFloat32ModelIsRefused() {
        assertMessage(() -> new SparkTrainer(sc, () -> MLP.of(4, 8, 3).to(dev.adjoint.core.DType.FLOAT32), CROSS_ENTROPY, ADAM),
                "float32 parameters");
    }

    private static void assertMessage(Runnable r, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(expected), "message: " + e.getMessage());
    }

    /** Captures a thread: serializable in type, not in fact. */
    static final class NotSerializableFactory implements ModelFactory {
        private static final long serialVersionUID = 1L;
        @SuppressWarnings("unused")
        private final Object lock = new Thread();

        @Override
        public Layer create() {
            return MLP.of(4, 8, 3);
        }
    }

    @SuppressWarnings("unused")
    private static Batch unused(Batch b) {
        return b;
    }
}
