package dev.adjoint.nn.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.AdamW;
import dev.adjoint.nn.Checkpoint;
import dev.adjoint.nn.Dataset;
import dev.adjoint.nn.Dropout;
import dev.adjoint.nn.GradientClipping;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Layer;
import dev.adjoint.nn.LeakyReLU;
import dev.adjoint.nn.LearningRateSchedule;
import dev.adjoint.nn.Linear;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.MLP;
import dev.adjoint.nn.Optimizer;
import dev.adjoint.nn.RMSprop;
import dev.adjoint.nn.ReLU;
import dev.adjoint.nn.SGD;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Sigmoid;
import dev.adjoint.nn.Softmax;
import dev.adjoint.nn.Tanh;
import dev.adjoint.nn.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The nn counterpart of core's {@code ApiFuzzTest}: random calls of the nn public API with random
 * (often wrong) layer sizes, input shapes, labels and hyper-parameters either succeed or throw
 * {@link IllegalArgumentException} / {@link IllegalStateException} with a message; never a stray
 * NullPointerException, ArrayIndexOutOfBoundsException, NegativeArraySizeException or
 * ArithmeticException from deep inside. The only other exceptions allowed are the documented ones:
 * {@link IOException} from {@link Checkpoint#load}, and {@link ArithmeticException} from
 * {@link Trainer#fit} / {@link GradientClipping} when the loss or gradient is not finite (their
 * messages start with the class name, unlike the JDK's "integer overflow").
 */
class NnApiFuzzTest {
    private static Path dir;

    @BeforeContainer
    static void createDirectory() throws IOException {
        dir = Files.createTempDirectory("adjoint-nn-fuzz");
    }

    @AfterContainer
    static void deleteDirectory() throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    record Call(String kind, int[] a, int[] b, double h1, double h2, int k, long seed) {
        @Override
        public String toString() {
            return kind + " a=" + Arrays.toString(a) + " b=" + Arrays.toString(b) + " h1=" + h1 + " h2=" + h2 + " k=" + k
                    + " seed=" + seed;
        }
    }

    private static final List<String> KINDS = List.of("linear", "mlp", "sequential", "mse", "bce", "bceLogits", "crossEntropy",
            "sgd", "adam", "adamw", "rmsprop", "dropout", "init", "trainer", "checkpoint", "softmax", "schedule", "dataset", "clip",
            "leakyRelu");

    @Provide
    Arbitrary<int[]> dims() {
        return Arbitraries.integers().between(-1, 5).array(int[].class).ofMinSize(0).ofMaxSize(4);
    }

    @Provide
    Arbitrary<Double> hyper() {
        return Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1.0, -0.0, 0.0, 1e-8, 0.01, 0.5,
                0.9, 0.999, 1.0, 2.0, 1e300);
    }

    @Provide
    Arbitrary<Call> calls() {
        return Combinators.combine(Arbitraries.of(KINDS), dims(), dims(), hyper(), hyper(), Arbitraries.integers().between(-3, 6),
                Arbitraries.longs()).as(Call::new);
    }

    @Property(tries = 3000)
    void randomNnCallsFailOnlyWithDocumentedExceptions(@ForAll("calls") Call call) {
        Throwable thrown = null;
        try {
            run(call);
        } catch (Throwable t) {
            thrown = t;
        }
        boolean documented = thrown == null || thrown instanceof IllegalArgumentException || thrown instanceof IllegalStateException
                || (thrown instanceof IOException && call.kind.equals("checkpoint"))
                || (thrown instanceof ArithmeticException && thrown.getMessage() != null
                        && (thrown.getMessage().startsWith("Trainer:") || thrown.getMessage().startsWith("clipByGlobalNorm:")));
        Throwable t = thrown;
        assertTrue(documented, () -> call + " threw " + stack(t));
        if (thrown != null) {
            assertTrue(thrown.getMessage() != null && !thrown.getMessage().isBlank(), () -> call + " threw without a message: "
                    + stack(t));
        }
    }

    private static String stack(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** A tensor of {@code shape} (negative dimensions clamped so the tensor exists), with varied values. */
    private static Tensor input(int[] shape, SplittableRandom rng) {
        int[] s = shape.clone();
        int n = 1;
        for (int i = 0; i < s.length; i++) {
            s[i] = Math.max(0, s[i]);
            n *= s[i];
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextDouble(-2, 2);
        }
        return Tensor.of(v, s);
    }

    private static int at(int[] a, int i, int fallback) {
        return i >= 0 && i < a.length ? a[i] : fallback;
    }

    private static Optimizer optimizer(String kind, List<Tensor> ps, double h1, double h2, int k) {
        return switch (kind) {
            case "sgd" -> new SGD(ps, h1).momentum(Math.abs(h2)).dampening(k < 0 ? h2 : 0).nesterov(k % 2 == 0).weightDecay(k > 3 ? h2 : 0);
            case "adam" -> new Adam(ps, h1).betas(k > 0 ? h2 : 0.9, k > 2 ? h2 : 0.999).eps(k < 0 ? h2 : 1e-8).amsgrad(k % 2 == 0);
            case "adamw" -> new AdamW(ps, h1).weightDecay(h2).amsgrad(k % 2 != 0);
            default -> new RMSprop(ps, h1).alpha(k > 0 ? h2 : 0.99).momentum(k < 0 ? h2 : 0).centered(k % 2 == 0);
        };
    }

    private static Layer activation(int k) {
        return switch (Math.floorMod(k, 5)) {
            case 0 -> new Tanh();
            case 1 -> new ReLU();
            case 2 -> new Sigmoid();
            case 3 -> new LeakyReLU(0.1);
            default -> new Softmax(k);
        };
    }

    private static void run(Call c) throws Exception {
        SplittableRandom rng = new SplittableRandom(c.seed);
        int[] a = c.a;
        int[] b = c.b;
        switch (c.kind) {
            case "linear" -> {
                Linear layer = new Linear(at(a, 0, 2), at(a, 1, 3), Init.xavierUniform(rng));
                Tensor out = layer.forward(input(b, rng));
                out.sum().backward();
            }
            case "mlp" -> {
                Sequential model = MLP.of(a);
                model.forward(input(b, rng)).sum().backward();
            }
            case "sequential" -> {
                Sequential model = new Sequential(new Linear(Math.max(1, at(a, 0, 2)), Math.max(1, at(a, 1, 2))), activation(c.k),
                        new Dropout(Math.abs(c.h1) < 1 ? Math.abs(c.h1) : 0.5, rng), new Linear(Math.max(1, at(a, 1, 2)), 2));
                model.train(c.k % 2 == 0);
                Tensor out = model.forward(input(b, rng));
                if (out.size() > 0) {
                    Losses.mse(out, Tensor.zeros(out.shape())).backward();
                }
            }
            case "mse" -> Losses.mse(input(a, rng).requiresGrad(true), input(b, rng)).backward();
            case "bce" -> Losses.binaryCrossEntropy(input(a, rng).sigmoid(), input(b, rng).abs().mul(c.h1)).item();
            case "bceLogits" -> Losses.binaryCrossEntropyWithLogits(input(a, rng).requiresGrad(true).mul(c.h1), input(b, rng)).backward();
            case "crossEntropy" -> {
                int[] classes = new int[Math.max(0, at(a, 0, 2) + (c.k > 4 ? 1 : 0))];
                for (int i = 0; i < classes.length; i++) {
                    classes[i] = rng.nextInt(-1, Math.max(1, at(b, b.length - 1, 3)) + 1);
                }
                Losses.crossEntropy(input(b, rng).requiresGrad(true), classes).backward();
            }
            case "sgd", "adam", "adamw", "rmsprop" -> {
                Linear layer = new Linear(Math.max(1, at(a, 0, 2)), Math.max(1, at(a, 1, 2)), Init.heNormal(rng));
                Optimizer opt = optimizer(c.kind, layer.parameters(), c.h1, c.h2, c.k);
                for (int step = 0; step < 3; step++) {
                    opt.zeroGrad();
                    Tensor x = input(new int[] {2, layer.inFeatures()}, rng);
                    Losses.mse(layer.forward(x), Tensor.zeros(2, layer.outFeatures())).backward();
                    opt.step();
                }
            }
            case "dropout" -> new Dropout(c.h1, rng).forward(input(a, rng).requiresGrad(true)).sum().backward();
            case "init" -> {
                Init init = switch (Math.floorMod(c.k, 4)) {
                    case 0 -> Init.uniform(c.h1, c.h2, rng);
                    case 1 -> Init.normal(c.h1, c.h2, rng);
                    case 2 -> Init.constant(c.h1);
                    default -> Init.heUniform(rng);
                };
                init.parameter(at(b, 0, 1), at(b, 1, 1), a);
            }
            case "trainer" -> {
                int width = Math.max(1, at(a, 0, 2));
                int rows = Math.max(1, at(a, 1, 3));
                double[][] x = new double[rows][width];
                double[][] y = new double[rows][1];
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < width; j++) {
                        x[i][j] = rng.nextDouble(-1, 1);
                    }
                    y[i][0] = rng.nextDouble();
                }
                Sequential model = MLP.of(new int[] {width, Math.max(1, at(b, 0, 3)), 1}, Tanh::new, Init.xavierUniform(rng));
                double lr = Math.abs(c.h1) > 10 ? c.h1 : Math.abs(c.h1) * 0.1;
                Trainer trainer = new Trainer(model, new SGD(model.parameters(), lr), (p, batch) -> Losses.mse(p, batch.targets()))
                        .clipGradNorm(c.k > 3 ? Math.abs(c.h2) : 0);
                trainer.fit(Dataset.of(x, y), Math.min(3, c.k), at(b, 1, 2), c.k % 2 == 0 ? rng : null);
            }
            case "checkpoint" -> {
                Layer saved = MLP.of(new int[] {Math.max(1, at(a, 0, 2)), Math.max(1, at(a, 1, 2)), 1}, Tanh::new, Init.normal(0, 1, rng));
                Layer loaded = MLP.of(new int[] {Math.max(1, at(b, 0, 2)), Math.max(1, at(b, 1, 2)), 1}, Tanh::new, Init.constant(0));
                Path file = dir.resolve("fuzz-" + Math.floorMod(c.seed, 4) + ".ckpt");
                Checkpoint.save(saved, file);
                if (c.k > 3) {
                    byte[] bytes = Files.readAllBytes(file);
                    Files.write(file, Arrays.copyOf(bytes, rng.nextInt(bytes.length + 8)));
                }
                Checkpoint.load(loaded, file);
            }
            case "softmax" -> new Softmax(c.k).forward(input(a, rng).requiresGrad(true)).sum().backward();
            case "schedule" -> {
                LearningRateSchedule s = switch (Math.floorMod(c.k, 3)) {
                    case 0 -> LearningRateSchedule.step(at(a, 0, 1), c.h1);
                    case 1 -> LearningRateSchedule.exponential(c.h1);
                    default -> LearningRateSchedule.cosine(at(a, 0, 1), c.h2);
                };
                s.apply(new SGD(List.of(Tensor.zeros(1).requiresGrad(true)), 0.1), c.h2, at(b, 0, 3));
            }
            case "dataset" -> {
                int rows = Math.max(0, at(a, 0, 2));
                double[][] x = new double[rows][];
                int[] labels = new int[Math.max(0, at(a, 1, rows))];
                for (int i = 0; i < rows; i++) {
                    x[i] = new double[Math.max(0, at(b, i, 2))];
                }
                for (int i = 0; i < labels.length; i++) {
                    labels[i] = rng.nextInt(-1, 3);
                }
                Dataset d = Dataset.of(x, labels);
                int[] indices = new int[Math.max(0, c.k)];
                for (int i = 0; i < indices.length; i++) {
                    indices[i] = rng.nextInt(-1, d.size() + 1);
                }
                d.batch(indices);
            }
            case "clip" -> {
                Linear layer = new Linear(Math.max(1, at(a, 0, 2)), Math.max(1, at(a, 1, 2)));
                if (c.k > 0) {
                    layer.forward(input(new int[] {1, layer.inFeatures()}, rng)).mul(c.h2).sum().backward();
                }
                GradientClipping.clipByGlobalNorm(layer.parameters(), c.h1);
            }
            case "leakyRelu" -> new LeakyReLU(c.h1).forward(input(a, rng).requiresGrad(true)).sum().backward();
            default -> throw new AssertionError("unknown kind " + c.kind);
        }
    }
}
