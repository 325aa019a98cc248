package dev.adjoint.spark.examples;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.Batch;
import dev.adjoint.nn.Dataset;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Layer;
import dev.adjoint.nn.Linear;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.Optimizer;
import dev.adjoint.nn.ReLU;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Trainer;
import dev.adjoint.spark.LossFunction;
import dev.adjoint.spark.ModelFactory;
import dev.adjoint.spark.OptimizerFactory;
import dev.adjoint.spark.Sample;
import dev.adjoint.spark.SparkTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Trains an MLP (784-256-128-10, ReLU, Adam) on Fashion-MNIST with {@link SparkTrainer}, or on a
 * synthetic 10-class problem when the data set is absent, and prints the loss and the test accuracy
 * after each epoch. With {@code --measure} it times a step instead: single-machine
 * ({@code Trainer.step} on the same global batches) against Spark with 1 and 2 partitions.
 *
 * <pre>
 * options: --master URL (local[*])  --data DIR (/usr/share/datasets/fashion-mnist)  --epochs N (3)
 *          --batch N (256)  --partitions N (the context's default parallelism)  --train N (all)  --measure
 * </pre>
 */
public final class SparkFashionMnist {
    static final Path DEBIAN_DATA = Path.of("/usr/share/datasets/fashion-mnist");
    static final long SEED = 2026;
    /** The training images' mean and standard deviation: inputs are standardized with them. */
    static final double MEAN = 0.2860;
    static final double STD = 0.3530;

    private SparkFashionMnist() {
    }

    static final ModelFactory MLP = () -> {
        SplittableRandom rng = new SplittableRandom(SEED);
        return new Sequential(new Linear(784, 256, Init.heUniform(rng)), new ReLU(), new Linear(256, 128, Init.heUniform(rng)),
                new ReLU(), new Linear(128, 10, Init.heUniform(rng)));
    };
    static final LossFunction CROSS_ENTROPY = (prediction, batch) -> Losses.crossEntropy(prediction, batch.labels());
    static final OptimizerFactory ADAM = parameters -> new Adam(parameters, 1e-3);

    /**
     * Runs the example.
     *
     * @param args the options (see the class comment)
     * @throws IOException if the data files cannot be read
     */
    public static void main(String[] args) throws IOException {
        String master = "local[*]";
        Path data = DEBIAN_DATA;
        int epochs = 3;
        int batch = 256;
        int partitions = 0;
        int limit = Integer.MAX_VALUE;
        boolean measure = false;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--measure")) {
                measure = true;
                continue;
            }
            if (i + 1 == args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            String value = args[++i];
            switch (option) {
                case "--master" -> master = value;
                case "--data" -> data = Path.of(value);
                case "--epochs" -> epochs = Integer.parseInt(value);
                case "--batch" -> batch = Integer.parseInt(value);
                case "--partitions" -> partitions = Integer.parseInt(value);
                case "--train" -> limit = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("unknown option '" + option
                        + "' (expected --master, --data, --epochs, --batch, --partitions, --train or --measure)");
            }
        }
        Packed train;
        Packed test;
        if (Files.isRegularFile(data.resolve("train-images-idx3-ubyte.gz"))) {
            train = samples(Dataset.readIdx(data.resolve("train-images-idx3-ubyte.gz"), data.resolve("train-labels-idx1-ubyte.gz")), limit);
            test = samples(Dataset.readIdx(data.resolve("t10k-images-idx3-ubyte.gz"), data.resolve("t10k-labels-idx1-ubyte.gz")),
                    Integer.MAX_VALUE);
            System.out.println("Fashion-MNIST from " + data + ": " + train.rows() + " training and " + test.rows() + " test images");
        } else {
            train = synthetic(Math.min(limit, 12_000), 1);
            test = synthetic(2_000, 2);
            System.out.println("no Fashion-MNIST in " + data + ": a synthetic 10-class problem of 784 features instead");
        }
        SparkConf conf = new SparkConf().setAppName("adjoint-fashion-mnist").setIfMissing("spark.master", master)
                .setIfMissing("spark.ui.showConsoleProgress", "false");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            sc.setLogLevel("WARN");
            if (measure) {
                measure(sc, train, batch);
                return;
            }
            int parts = partitions > 0 ? partitions : sc.defaultParallelism();
            JavaRDD<Sample> rdd = train.rdd(sc, parts);
            SparkTrainer trainer = new SparkTrainer(sc, MLP, CROSS_ENTROPY, ADAM);
            System.out.printf(Locale.ROOT, "master %s, %d partitions, global batch %d%n", sc.master(), parts, batch);
            for (int epoch = 0; epoch < epochs; epoch++) {
                long start = System.nanoTime();
                // one epoch per fit, numbered, so each is shuffled as in one long fit
                double[] history = trainer.fit(rdd, epoch, 1, batch, SEED);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "epoch %d: loss %.4f (last step), test accuracy %.2f%%, %.1f s (%.1f ms/step)%n",
                        epoch + 1, history[history.length - 1], 100 * accuracy(trainer.model(), test), seconds,
                        1000 * seconds / history.length);
            }
        }
    }

    /** Per-step times: Trainer.step on one machine, then SparkTrainer with 1 and 2 partitions. */
    private static void measure(JavaSparkContext sc, Packed train, int batch) {
        int n = train.rows();
        int steps = (n + batch - 1) / batch;
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            x[i] = train.row(i);
        }
        Dataset data = Dataset.of(x, train.labels());
        Layer model = MLP.create();
        Optimizer optimizer = ADAM.create(model.parameters());
        Trainer single = new Trainer(model, optimizer, CROSS_ENTROPY::loss).doctor(null).progress(null);
        double singleMs = 0;
        for (int round = 0; round < 3; round++) {
            long start = System.nanoTime();
            for (int[] b : SparkTrainer.globalBatches(n, batch, SEED, round)) {
                single.step(data.batch(b));
            }
            singleMs = (System.nanoTime() - start) / 1e6 / steps; // the last round: warmed up
        }
        System.out.printf(Locale.ROOT, "%d samples, global batch %d, %d steps per epoch, master %s%n", n, batch, steps, sc.master());
        System.out.printf(Locale.ROOT, "single machine (Trainer.step): %.2f ms/step%n", singleMs);
        for (int parts : new int[] {1, 2}) {
            JavaRDD<Sample> rdd = train.rdd(sc, parts).cache();
            rdd.count();
            SparkTrainer trainer = new SparkTrainer(sc, MLP, CROSS_ENTROPY, ADAM);
            trainer.fit(rdd, 1, batch, SEED); // warm-up
            long start = System.nanoTime();
            trainer.fit(rdd, 2, batch, SEED);
            double total = (System.nanoTime() - start) / 1e6;
            long[] nanos = trainer.stepNanos();
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            double sum = 0;
            for (long t : nanos) {
                sum += t / 1e6;
            }
            double mean = sum / nanos.length;
            System.out.printf(Locale.ROOT, "spark, %d partition%s: %.2f ms/step (median %.2f; %.2f ms over the single machine);"
                    + " checks and caching before the first step %.0f ms%n", parts, parts == 1 ? "" : "s", mean,
                    sorted[sorted.length / 2] / 1e6, mean - singleMs, total - sum);
            rdd.unpersist();
        }
    }

    /**
     * Rows of 784 features, packed, with their labels. {@link #rdd} makes the samples on the
     * executors from one broadcast of the arrays: an RDD made by {@code sc.parallelize(list)} would
     * carry its slice of the list inside every task of every step.
     */
    record Packed(double[] x, int[] labels) {
        int rows() {
            return labels.length;
        }

        double[] row(int i) {
            return Arrays.copyOfRange(x, i * 784, (i + 1) * 784);
        }

        JavaRDD<Sample> rdd(JavaSparkContext sc, int partitions) {
            Broadcast<double[]> bx = sc.broadcast(x);
            Broadcast<int[]> by = sc.broadcast(labels);
            int n = rows();
            List<Integer> slices = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                slices.add(p);
            }
            return sc.parallelize(slices, partitions).flatMap(p -> {
                double[] all = bx.value();
                int[] y = by.value();
                List<Sample> out = new ArrayList<>();
                for (int i = (int) ((long) p * n / partitions); i < (long) (p + 1) * n / partitions; i++) {
                    out.add(Sample.labelled(Arrays.copyOfRange(all, i * 784, (i + 1) * 784), y[i]));
                }
                return out.iterator();
            });
        }
    }

    /** Standardized rows. */
    private static Packed samples(Dataset d, int limit) {
        Batch all = d.all();
        int n = Math.min(limit, d.size());
        double[] pixels = all.inputs().toArray();
        double[] x = new double[n * 784];
        for (int i = 0; i < x.length; i++) {
            x[i] = (pixels[i] - MEAN) / STD;
        }
        return new Packed(x, Arrays.copyOf(all.labels(), n));
    }

    /** Ten Gaussian clusters in 784 dimensions, one per class. */
    private static Packed synthetic(int n, long seed) {
        SplittableRandom centres = new SplittableRandom(99);
        double[][] centre = new double[10][784];
        for (double[] c : centre) {
            for (int j = 0; j < c.length; j++) {
                c[j] = centres.nextGaussian() * 0.1;
            }
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[] x = new double[n * 784];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(10);
            for (int j = 0; j < 784; j++) {
                x[i * 784 + j] = centre[labels[i]][j] + rng.nextGaussian();
            }
        }
        return new Packed(x, labels);
    }

    @SuppressWarnings("try") // the scope is held for its effect on this thread
    private static double accuracy(Layer model, Packed test) {
        int correct = 0;
        model.train(false);
        try (Autograd.Scope s = Autograd.noGrad()) {
            for (int from = 0; from < test.rows(); from += 1000) {
                int m = Math.min(1000, test.rows() - from);
                double[] rows = Arrays.copyOfRange(test.x(), from * 784, (from + m) * 784);
                double[] logits = model.forward(Tensor.of(rows, m, 784)).toArray();
                for (int i = 0; i < m; i++) {
                    int best = 0;
                    for (int c = 1; c < 10; c++) {
                        if (logits[i * 10 + c] > logits[i * 10 + best]) {
                            best = c;
                        }
                    }
                    correct += best == test.labels()[from + i] ? 1 : 0;
                }
            }
        } finally {
            model.train(true);
        }
        return (double) correct / test.rows();
    }
}
