package dev.adjoint.examples;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.DType;
import dev.adjoint.core.MemoryScope;
import dev.adjoint.core.RecordedStep;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.Batch;
import dev.adjoint.nn.Batcher;
import dev.adjoint.nn.Checkpoint;
import dev.adjoint.nn.Conv2d;
import dev.adjoint.nn.Dataset;
import dev.adjoint.nn.Flatten;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Layer;
import dev.adjoint.nn.Linear;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.MaxPool2d;
import dev.adjoint.nn.Metrics;
import dev.adjoint.nn.ReLU;
import dev.adjoint.nn.Sequential;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Fashion-MNIST end to end: reads the IDX files (Debian's {@code dataset-fashion-mnist} by
 * default), trains an MLP or a CNN with Adam, prints train and test accuracy after each epoch,
 * draws the loss and accuracy curves and the confusion matrix, and saves a checkpoint (model and
 * optimizer) after each epoch, from which {@code --resume} continues exactly. {@code --dtype float32}
 * trains the same model in float32 (the model converted with {@code to(DType.FLOAT32)}, the data with
 * {@code Dataset.to}); its files carry {@code -float32} in their names.
 */
final class FashionMnistExample {
    static final Path DEBIAN_DATA = Path.of("/usr/share/datasets/fashion-mnist");
    static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
            "Sneaker", "Bag", "Ankle boot");
    static final int BATCH_SIZE = 128;
    static final long SEED = 2026;

    private FashionMnistExample() {
    }

    /**
     * The options: {@code --model mlp|cnn --epochs N --data DIR --out DIR --dtype float64|float32
     * --resume --recorded}.
     */
    record Settings(String model, int epochs, Path data, Path out, boolean resume, DType dtype, boolean recorded) {
        /** The start of the output files' names: the model, and the dtype when it is not the default. */
        String name() {
            return "fashion-mnist-" + model + (dtype == DType.FLOAT32 ? "-float32" : "");
        }

        static Settings parse(String[] args) throws Main.UsageException {
            String model = "mlp";
            int epochs = 10;
            Path data = DEBIAN_DATA;
            Path out = Path.of(Options.DEFAULT_OUT);
            boolean resume = false;
            boolean recorded = false;
            DType dtype = DType.FLOAT64;
            for (int i = 0; i < args.length; i++) {
                String option = args[i];
                if (option.equals("--resume")) {
                    resume = true;
                    continue;
                }
                if (option.equals("--recorded")) {
                    recorded = true;
                    continue;
                }
                if (!List.of("--model", "--epochs", "--data", "--out", "--dtype").contains(option)) {
                    throw new Main.UsageException("unknown option '" + option
                            + "' (expected --model mlp|cnn, --epochs N, --data DIR, --out DIR, --dtype float64|float32, --resume or --recorded)");
                }
                if (i + 1 == args.length) {
                    throw new Main.UsageException(option + " needs a value");
                }
                String value = args[++i];
                switch (option) {
                    case "--model" -> {
                        if (!value.equals("mlp") && !value.equals("cnn")) {
                            throw new Main.UsageException("--model needs mlp or cnn, got '" + value + "'");
                        }
                        model = value;
                    }
                    case "--epochs" -> epochs = Options.count("--epochs", value);
                    case "--data" -> data = Path.of(value);
                    case "--dtype" -> {
                        if (!value.equals("float64") && !value.equals("float32")) {
                            throw new Main.UsageException("--dtype needs float64 or float32, got '" + value + "'");
                        }
                        dtype = value.equals("float32") ? DType.FLOAT32 : DType.FLOAT64;
                    }
                    default -> out = Path.of(value);
                }
            }
            return new Settings(model, epochs, data, out, resume, dtype, recorded);
        }
    }

    /** The two models of the issue: 784-256-128-10 ReLU, and conv 32, pool, conv 64, pool, 128, 10. */
    static Sequential model(String kind, SplittableRandom rng) {
        if (kind.equals("mlp")) {
            return new Sequential(new Linear(784, 256, Init.heUniform(rng)), new ReLU(), new Linear(256, 128, Init.heUniform(rng)),
                    new ReLU(), new Linear(128, 10, Init.heUniform(rng)));
        }
        // 28x28 -> conv 3x3 -> 26x26 -> pool -> 13x13 -> conv 3x3 -> 11x11 -> pool -> 5x5
        return new Sequential(new Conv2d(1, 32, 3, 1, 0, Init.heUniform(rng)), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3, 1, 0, Init.heUniform(rng)), new ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(64 * 5 * 5, 128, Init.heUniform(rng)), new ReLU(), new Linear(128, 10, Init.heUniform(rng)));
    }

    static void run(String[] args, PrintStream out) throws Exception {
        Settings s = Settings.parse(args);
        Path trainImages = s.data().resolve("train-images-idx3-ubyte.gz");
        if (!Files.exists(trainImages)) {
            out.println("fashion-mnist: no data in " + s.data() + "; install it with 'apt-get install dataset-fashion-mnist', or pass"
                    + " --data DIR with train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and"
                    + " t10k-labels-idx1-ubyte.gz");
            throw new Main.UsageException("no Fashion-MNIST data in " + s.data());
        }
        Dataset train = Dataset.readIdx(trainImages, s.data().resolve("train-labels-idx1-ubyte.gz")).to(s.dtype())
                .standardize(MEAN, STD);
        Dataset test = Dataset.readIdx(s.data().resolve("t10k-images-idx3-ubyte.gz"), s.data().resolve("t10k-labels-idx1-ubyte.gz"))
                .to(s.dtype()).standardize(MEAN, STD);
        out.printf(Locale.ROOT, "Fashion-MNIST: %d training and %d test images of 28x28; model %s in %s, Adam lr 1e-3 with cosine decay,"
                + " batches of %d%n", train.size(), test.size(), s.model(), s.dtype(), BATCH_SIZE);

        // the same initial weights in either dtype: drawn in float64, then rounded
        Sequential model = model(s.model(), new SplittableRandom(SEED)).to(s.dtype());
        Adam adam = new Adam(model.parameters(), 1e-3);
        Files.createDirectories(s.out());
        int start = 0;
        List<Double> losses = new ArrayList<>();
        if (s.resume()) {
            Path latest = latestCheckpoint(s.out(), s.name());
            if (latest == null) {
                out.println("no checkpoint of the " + s.model() + " in " + s.out() + " to resume from; starting afresh");
            } else {
                Checkpoint.load(model, adam, latest);
                start = epochOf(latest);
                out.println("resumed from " + latest + " after epoch " + start);
            }
        }
        List<double[]> accuracies = new ArrayList<>();
        RecordedStep step = null;
        // a forward-only recorded step for the evaluation's full chunks, with --recorded
        RecordedStep[] evaluation = s.recorded() ? new RecordedStep[1] : null;
        boolean console = System.console() != null && out == System.out;
        for (int epoch = start; epoch < s.epochs(); epoch++) {
            model.train(true);
            adam.setLearningRate(learningRate(epoch, s.epochs()));
            // one generator per epoch, derived from the seed: a resumed run shuffles as an unbroken one
            int[][] batches = new Batcher(train.size(), BATCH_SIZE, new SplittableRandom(SEED * 1000 + epoch)).nextEpoch();
            long t0 = System.nanoTime();
            double epochLoss = 0;
            for (int b = 0; b < batches.length; b++) {
                Batch batch = train.batch(batches[b]);
                Tensor x = inputs(batch.inputs(), s.model());
                Tensor loss;
                if (s.recorded() && batch.size() == BATCH_SIZE) {
                    // the same step, replayed: the same bits as the eager branch below
                    Tensor targets = Losses.oneHot(batch.labels(), CLASSES.size()).to(s.dtype());
                    if (step == null) {
                        step = RecordedStep.record(in -> Losses.crossEntropy(model.forward(in[0]), in[1]), x, targets);
                    }
                    adam.zeroGrad();
                    loss = step.replay(x, targets);
                } else {
                    adam.zeroGrad();
                    // the step's activations and gradients go back for the next step's ops
                    try (MemoryScope scope = MemoryScope.open()) {
                        loss = scope.keep(Losses.crossEntropy(model.forward(x), batch.labels()));
                        loss.backward();
                    }
                }
                adam.step();
                double l = loss.item();
                losses.add(l);
                epochLoss += l;
                progress(out, console, epoch, s.epochs(), b + 1, batches.length, epochLoss / (b + 1), BATCH_SIZE, t0);
            }
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            model.train(false);
            double trainAccuracy = accuracy(model, train, s.model(), evaluation);
            double testAccuracy = accuracy(model, test, s.model(), evaluation);
            accuracies.add(new double[] {trainAccuracy, testAccuracy});
            out.printf(Locale.ROOT, "%sepoch %d/%d: loss %.4f, train accuracy %.2f%%, test accuracy %.2f%% (training %.1f s,"
                    + " evaluation %.1f s)%n", console ? "\r" : "", epoch + 1, s.epochs(), epochLoss / batches.length,
                    100 * trainAccuracy, 100 * testAccuracy, trainSeconds, (System.nanoTime() - t0) / 1e9 - trainSeconds);
            Path checkpoint = s.out().resolve(s.name() + "-epoch" + (epoch + 1) + ".ckpt");
            Checkpoint.save(model, adam, checkpoint);
        }
        if (accuracies.isEmpty()) {
            out.println("nothing to train: the checkpoint is already at epoch " + start + " of " + s.epochs());
            return;
        }
        model.train(false);
        Tensor logits = logits(model, test, s.model(), evaluation);
        int[][] confusion = Metrics.confusionMatrix(logits, test.labels(), CLASSES.size());
        String name = s.name();
        Path lossPicture = Plot.lossCurve(s.out().resolve(name + "-loss.png"), "Fashion-MNIST " + s.model() + ": cross-entropy per batch",
                losses.stream().mapToDouble(Double::doubleValue).toArray(), Math.max(1, losses.size() / accuracies.size()));
        Path accuracyPicture = Plot.accuracyCurves(s.out().resolve(name + "-accuracy.png"), "Fashion-MNIST " + s.model() + ": accuracy",
                List.of("train", "test"), List.of(accuracies.stream().mapToDouble(a -> a[0]).toArray(),
                        accuracies.stream().mapToDouble(a -> a[1]).toArray()));
        Path confusionPicture = Plot.confusionMatrix(s.out().resolve(name + "-confusion.png"),
                "Fashion-MNIST " + s.model() + ": test confusion matrix", confusion, CLASSES);
        out.println("wrote " + lossPicture);
        out.println("wrote " + accuracyPicture);
        out.println("wrote " + confusionPicture);
    }

    /** The training images' mean and standard deviation: inputs are standardized with them, once, as the data is read. */
    static final double MEAN = 0.2860;
    static final double STD = 0.3530;

    /** The model's view of a batch's (standardized) pixels: rows of 784 for the MLP, [n, 1, 28, 28] images for the CNN. */
    private static Tensor inputs(Tensor rows, String model) {
        return model.equals("mlp") ? rows : rows.reshape(rows.dim(0), 1, 28, 28);
    }

    /** Cosine decay from 1e-3 to 0 over the run, a function of the epoch alone (so resuming keeps it). */
    static double learningRate(int epoch, int epochs) {
        return 1e-3 * 0.5 * (1 + Math.cos(Math.PI * epoch / epochs));
    }

    /**
     * The model's logits for every row, in chunks of {@link #EVALUATION_CHUNK}; with
     * {@code evaluation} non-null (--recorded), the full chunks replay a forward-only recorded step
     * kept in {@code evaluation[0]}.
     */
    private static Tensor logits(Layer model, Dataset data, String kind, RecordedStep[] evaluation) {
        List<Tensor> parts = new ArrayList<>();
        try (Autograd.Scope off = Autograd.noGrad()) {
            for (int from = 0; from < data.size(); from += EVALUATION_CHUNK) {
                int[] rows = new int[Math.min(EVALUATION_CHUNK, data.size() - from)];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = from + i;
                }
                Tensor x = inputs(data.batch(rows).inputs(), kind);
                if (evaluation != null && rows.length == EVALUATION_CHUNK) {
                    if (evaluation[0] == null) {
                        evaluation[0] = RecordedStep.record(in -> model.forward(in[0]), x);
                    }
                    parts.add(evaluation[0].replay(x));
                } else {
                    try (MemoryScope scope = MemoryScope.open()) {
                        parts.add(scope.keep(model.forward(x)));
                    }
                }
            }
        }
        return Tensor.concat(parts, 0);
    }

    static final int EVALUATION_CHUNK = 1000;

    private static double accuracy(Layer model, Dataset data, String kind, RecordedStep[] evaluation) {
        return Metrics.accuracy(logits(model, data, kind, evaluation), data.labels());
    }

    /** A progress bar: redrawn in place on a terminal, else a line every tenth of the epoch. */
    private static void progress(PrintStream out, boolean console, int epoch, int epochs, int done, int total, double loss, int batch,
            long t0) {
        if (!console && done % Math.max(1, total / 10) != 0 && done != total) {
            return;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        int width = 30;
        int filled = (int) ((long) width * done / total);
        String bar = "=".repeat(filled) + (filled < width ? ">" : "") + " ".repeat(Math.max(0, width - filled - 1));
        out.printf(Locale.ROOT, "%sepoch %d/%d [%s] %d/%d loss %.4f %.0f images/s, %.0f s left%s", console ? "\r" : "", epoch + 1, epochs,
                bar, done, total, loss, done * (double) batch / Math.max(seconds, 1e-9), seconds / done * (total - done),
                console ? "" : "\n");
    }

    private static final Pattern EPOCH = Pattern.compile("(fashion-mnist-(?:mlp|cnn)(?:-float32)?)-epoch(\\d+)\\.ckpt");

    private static Path latestCheckpoint(Path dir, String name) throws IOException {
        Path best = null;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Matcher m = EPOCH.matcher(p.getFileName().toString());
                if (m.matches() && m.group(1).equals(name) && (best == null || Integer.parseInt(m.group(2)) > epochOf(best))) {
                    best = p;
                }
            }
        }
        return best;
    }

    private static int epochOf(Path checkpoint) {
        Matcher m = EPOCH.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException("not an epoch checkpoint: " + checkpoint);
        }
        return Integer.parseInt(m.group(2));
    }
}
