package dev.adjoint.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExamplesSmokeTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void seedWalkthroughPrintsTheSeedsNumbersTheDiagnosisAndTheFix() {
        Result r = run("seed");
        assertEquals(0, r.code(), r.err());
        for (String expected : new String[] {"0.9002495", "0.8320184", "0.9758906", "0.9705753", "0.98069", "0.0288126",
            "0.0580562", "0.59927", "SYMMETRY", "symmetry", "Xavier uniform", "Adam lr 0.01"}) {
            assertTrue(r.out().contains(expected), "missing " + expected + " in:\n" + r.out());
        }
        assertTrue(r.out().matches("(?s).*Adam lr 0.01\\s+\\d+\\n.*"), r.out());
    }

    @Test
    void xorReachesFullAccuracyAndDrawsItsLossAndBoundary() throws IOException {
        Result r = run("xor", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("accuracy 100% (4/4) after " + XorExample.DEFAULT_STEPS + " Adam steps"), r.out());
        assertTrue(r.out().contains("wrote " + dir.resolve("xor-loss.png")), r.out());
        assertPicture(dir.resolve("xor-loss.png"));
        assertTwoClassPicture(dir.resolve("xor-boundary.png"));
    }

    @Test
    void xorTakesItsStepCount() {
        Result r = run("xor", "--steps", "3", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("after 3 Adam steps"), r.out());
    }

    @Test
    void moonsReachesFullTrainingAccuracyWithMiniBatches() throws IOException {
        Result r = run("moons", "--out", dir.toString());
        assertTrue(!r.out().contains("Doctor:"), "a healthy run gets no findings: " + r.out());
        assertEquals(0, r.code(), r.err());
        int steps = MoonsExample.DEFAULT_EPOCHS * MoonsExample.POINTS / MoonsExample.BATCH_SIZE;
        assertTrue(r.out().contains("training accuracy 100.0% (200/200) after " + MoonsExample.DEFAULT_EPOCHS + " epochs = "
                + steps + " steps"), r.out());
        assertPicture(dir.resolve("moons-loss.png"));
        assertTwoClassPicture(dir.resolve("moons-boundary.png"));
    }

    @Test
    void optimizeRecoversTheOscillatorsParametersAndDrawsTheFit() throws IOException {
        Result r = run("optimize", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        Matcher loss = Pattern.compile("final loss ([0-9.]+)").matcher(r.out());
        assertTrue(loss.find(), r.out());
        // at the noise floor: the mean squared residual is about the noise variance
        double noise = OptimizeExample.NOISE * OptimizeExample.NOISE;
        assertTrue(Double.parseDouble(loss.group(1)) < 1.5 * noise, r.out());
        String[] names = {"A", "gamma", "omega", "phi"};
        for (int i = 0; i < names.length; i++) {
            Matcher m = Pattern.compile("  " + names[i] + " *= *(-?[0-9.]+)").matcher(r.out());
            assertTrue(m.find(), r.out());
            assertEquals(OptimizeExample.TRUE[i], Double.parseDouble(m.group(1)), 0.1, names[i] + " in:\n" + r.out());
        }
        assertPicture(dir.resolve("optimize-fit.png"));
        assertPicture(dir.resolve("optimize-loss.png"));
    }

    @Test
    void moonsAreTwoBalancedNoisyHalfCircles() {
        MoonsExample.Moons m = MoonsExample.moons(200, 0.1, new java.util.SplittableRandom(42));
        assertEquals(100, Arrays.stream(m.labels()).filter(l -> l == 1).count());
        for (int i = 0; i < 200; i++) {
            double cx = m.labels()[i] == 0 ? 0 : 1;
            double cy = m.labels()[i] == 0 ? 0 : 0.5;
            double radius = Math.hypot(m.points()[i][0] - cx, m.points()[i][1] - cy);
            assertTrue(Math.abs(radius - 1) < 0.5, "point " + i + " is " + radius + " from its moon's centre");
        }
    }

    @Test
    void hessianMatchesTheHandWorkedOneAndNewtonConverges() {
        Result r = run("hessian");
        assertEquals(0, r.code(), r.err());
        Matcher differences = Pattern.compile("largest difference (\\S+)").matcher(r.out());
        int found = 0;
        while (differences.find()) {
            found++;
            assertTrue(Double.parseDouble(differences.group(1)) < 1e-9, r.out());
        }
        assertEquals(2, found, r.out());
        assertTrue(r.out().contains("converged after"), r.out());
        assertTrue(r.out().contains("(1.000000000000, 1.000000000000)"), r.out());
    }

    @Test
    void customOpExamplePassesTheCorrectOpAndCatchesTheBrokenOne() {
        Result r = run("custom-op");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("first order: GradCheck PASSED"), r.out());
        assertTrue(r.out().contains("second order: GradCheck PASSED"), r.out());
        assertTrue(r.out().contains("GradCheck FAILED"), r.out());
        assertTrue(r.out().contains("mismatches: 6 of 6"), r.out());
    }

    @Test
    void graphExampleWritesADotFile() throws Exception {
        Result r = run("graph", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        String dot = java.nio.file.Files.readString(dir.resolve("graph.dot"));
        assertTrue(dot.startsWith("digraph"), dot);
        assertTrue(dot.contains("affine") && dot.contains("tanh") && dot.contains("|grad|"), dot);
        assertTrue(r.out().contains("dot -Tpng"), r.out());
    }

    @Test
    void helpListsEveryExampleAndOption() {
        Result r = run("--help");
        assertEquals(0, r.code());
        for (String expected : new String[] {"seed", "xor", "moons", "hessian", "custom-op", "graph", "--out DIR", "--steps N",
            "--epochs N"}) {
            assertTrue(r.out().contains(expected), "missing " + expected + " in:\n" + r.out());
        }
    }

    @Test
    void badOptionsGiveTheirReasonTheUsageAndExitCode2() {
        String[][] cases = {
            {"xor", "--steps", "0"}, {"xor", "--steps", "many"}, {"xor", "--out"}, {"xor", "--epochs", "5"},
            {"moons", "--steps", "5"}, {"moons", "--epochs", "-1"}, {"hessian", "--out", "x"},
        };
        String[] reasons = {
            "--steps needs a whole number from 1 to 1000000, got '0'", "got 'many'", "--out needs a value",
            "unknown option '--epochs'", "unknown option '--steps'", "got '-1'", "takes no options",
        };
        for (int i = 0; i < cases.length; i++) {
            Result r = run(cases[i]);
            assertEquals(2, r.code(), String.join(" ", cases[i]));
            assertTrue(r.err().contains(reasons[i]) && r.err().contains("usage:"), String.join(" ", cases[i]) + ":\n" + r.err());
        }
    }

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /** A readable PNG of a sensible size that is more than a blank canvas. */
    private static BufferedImage assertPicture(Path file) throws IOException {
        assertTrue(Files.isRegularFile(file), file + " was not written");
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(Files.readAllBytes(file), 8), file + " is not a PNG");
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, file + " is not readable by ImageIO");
        assertTrue(image.getWidth() >= 400 && image.getWidth() <= 2000 && image.getHeight() >= 300 && image.getHeight() <= 2000,
                file + " is " + image.getWidth() + "x" + image.getHeight());
        long colours = Arrays.stream(image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth()))
                .distinct().count();
        assertTrue(colours > 20, file + " has only " + colours + " colours");
        return image;
    }

    /** A boundary picture: both classes' colours cover a good share of it. */
    private static void assertTwoClassPicture(Path file) throws IOException {
        BufferedImage image = assertPicture(file);
        int bluish = 0;
        int reddish = 0;
        for (int rgb : image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth())) {
            int red = (rgb >> 16) & 0xff;
            int blue = rgb & 0xff;
            bluish += blue > red + 40 ? 1 : 0;
            reddish += red > blue + 40 ? 1 : 0;
        }
        int pixels = image.getWidth() * image.getHeight();
        assertTrue(bluish > pixels / 10 && reddish > pixels / 10, file + ": " + bluish + " bluish, " + reddish
                + " reddish of " + pixels + " pixels");
    }

    @Test
    void badArgumentsGiveUsageAndExitCode2() {
        Result none = run();
        assertEquals(2, none.code());
        assertTrue(none.err().contains("usage:"), none.err());
        Result unknown = run("nope");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown example 'nope'"), unknown.err());
        Result extra = run("seed", "--bogus");
        assertEquals(2, extra.code());
        assertTrue(extra.err().contains("usage:"), extra.err());
    }

    /**
     * Writes a small Fashion-MNIST look-alike in gzip IDX: 10 classes, each a bright block at its
     * own place on a noisy 28x28 image, so that a model can learn it in one epoch.
     */
    /** A fake Fashion-MNIST of {@code train} and {@code test} images in this test's directory. */
    private Path fakeFashionMnist(int train, int test) throws IOException {
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        writeFakeFashionMnist(data, train, test);
        return data;
    }

    private static void writeFakeFashionMnist(Path dir, int train, int test) throws IOException {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(9);
        for (String[] part : new String[][] {{"train", String.valueOf(train)}, {"t10k", String.valueOf(test)}}) {
            int n = Integer.parseInt(part[1]);
            java.nio.ByteBuffer images = java.nio.ByteBuffer.allocate(16 + n * 784).putInt(0x803).putInt(n).putInt(28).putInt(28);
            java.nio.ByteBuffer labels = java.nio.ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n);
            for (int i = 0; i < n; i++) {
                int label = i % 10;
                labels.put((byte) label);
                for (int p = 0; p < 784; p++) {
                    int r = p / 28;
                    int c = p % 28;
                    boolean block = r / 7 == label / 4 && c / 7 == label % 4;
                    images.put((byte) (block ? 200 + rng.nextInt(50) : rng.nextInt(60)));
                }
            }
            gzip(dir.resolve(part[0] + "-images-idx3-ubyte.gz"), images.array());
            gzip(dir.resolve(part[0] + "-labels-idx1-ubyte.gz"), labels.array());
        }
    }

    private static void gzip(Path file, byte[] bytes) throws IOException {
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(Files.newOutputStream(file))) {
            z.write(bytes);
        }
    }

    @Test
    void fashionMnistTrainsDrawsSavesAndResumesExactly() throws IOException {
        Path data = fakeFashionMnist(600, 200);
        Path straight = dir.resolve("straight");
        Result r = run("fashion-mnist", "--data", data.toString(), "--epochs", "2", "--out", straight.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        Matcher m = Pattern.compile("epoch 2/2: loss [0-9.]+, train accuracy ([0-9.]+)%, test accuracy ([0-9.]+)%").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(2)) > 90, "the synthetic classes are easy: " + r.out());
        assertTrue(r.out().contains("images/s"), "a progress line: " + r.out());
        for (String picture : new String[] {"loss", "accuracy", "confusion"}) {
            assertPicture(straight.resolve("fashion-mnist-mlp-" + picture + ".png"));
        }
        // stop after epoch 1, then resume: the epoch-2 checkpoint is the same, byte for byte
        Path stopped = dir.resolve("stopped");
        assertEquals(0, run("fashion-mnist", "--data", data.toString(), "--epochs", "2", "--out", stopped.toString()).code());
        Files.delete(stopped.resolve("fashion-mnist-mlp-epoch2.ckpt"));
        Result resumed = run("fashion-mnist", "--data", data.toString(), "--epochs", "2", "--out", stopped.toString(), "--resume");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resumed from") && resumed.out().contains("after epoch 1"), resumed.out());
        assertArrayEquals(Files.readAllBytes(straight.resolve("fashion-mnist-mlp-epoch2.ckpt")),
                Files.readAllBytes(stopped.resolve("fashion-mnist-mlp-epoch2.ckpt")), "a resumed run must match an unbroken one");
    }

    @Test
    void fashionMnistTrainsTheCnn() throws IOException {
        Path data = fakeFashionMnist(300, 100);
        Result r = run("fashion-mnist", "--model", "cnn", "--data", data.toString(), "--epochs", "1", "--out", dir.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        Matcher m = Pattern.compile("epoch 1/1: loss [0-9.]+, train accuracy ([0-9.]+)%, test accuracy ([0-9.]+)%").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(2)) > 50, "one epoch of the CNN learns the synthetic classes: " + r.out());
        assertTrue(Files.exists(dir.resolve("fashion-mnist-cnn-epoch1.ckpt")));
    }

    /**
     * --recorded replays a recorded step for the full training batches (nine of 128, then 48
     * eagerly) and a forward-only one for the full evaluation chunk (1000 rows, then 200 eagerly):
     * the same model and the same accuracies as an eager run.
     */
    @Test
    void fashionMnistRecordedTrainsAndEvaluatesAsTheEagerRun() throws IOException {
        Path data = fakeFashionMnist(1200, 100);
        Path eager = dir.resolve("eager");
        Result r = run("fashion-mnist", "--model", "cnn", "--data", data.toString(), "--epochs", "1", "--out", eager.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        Path recorded = dir.resolve("recorded");
        Result replayed = run("fashion-mnist", "--model", "cnn", "--data", data.toString(), "--epochs", "1", "--out", recorded.toString(),
                "--recorded");
        assertEquals(0, replayed.code(), replayed.err() + replayed.out());
        assertArrayEquals(Files.readAllBytes(eager.resolve("fashion-mnist-cnn-epoch1.ckpt")),
                Files.readAllBytes(recorded.resolve("fashion-mnist-cnn-epoch1.ckpt")), "a recorded run must match an eager one");
        Pattern accuracies = Pattern.compile("epoch 1/1: loss [0-9.]+, train accuracy [0-9.]+%, test accuracy [0-9.]+%");
        Matcher m = accuracies.matcher(r.out());
        Matcher n = accuracies.matcher(replayed.out());
        assertTrue(m.find() && n.find(), r.out() + replayed.out());
        assertEquals(m.group(), n.group());
    }

    /** --dtype float32 trains the same MLP in float32, writes half-size checkpoints of its own name, and resumes exactly. */
    @Test
    void fashionMnistTrainsInFloat32() throws IOException {
        Path data = fakeFashionMnist(600, 200);
        Path out = dir.resolve("f32");
        Result r = run("fashion-mnist", "--data", data.toString(), "--epochs", "2", "--out", out.toString(), "--dtype", "float32");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("in float32"), r.out());
        Matcher m = Pattern.compile("epoch 2/2: loss [0-9.]+, train accuracy ([0-9.]+)%, test accuracy ([0-9.]+)%").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(2)) > 90, "float32 learns the synthetic classes as float64 does: " + r.out());
        Path checkpoint = out.resolve("fashion-mnist-mlp-float32-epoch2.ckpt");
        Path wide = dir.resolve("f64");
        assertEquals(0, run("fashion-mnist", "--data", data.toString(), "--epochs", "1", "--out", wide.toString()).code());
        assertTrue(Files.size(checkpoint) < 0.55 * Files.size(wide.resolve("fashion-mnist-mlp-epoch1.ckpt")), "half the bytes");
        byte[] unbroken = Files.readAllBytes(checkpoint);
        Files.delete(checkpoint);
        Result resumed = run("fashion-mnist", "--data", data.toString(), "--epochs", "2", "--out", out.toString(), "--dtype", "float32",
                "--resume");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("after epoch 1"), resumed.out());
        assertArrayEquals(unbroken, Files.readAllBytes(checkpoint), "a resumed float32 run matches an unbroken one");
        assertEquals(2, run("fashion-mnist", "--dtype", "float16").code());
    }

    @Test
    void fashionMnistWithoutDataSaysHowToGetIt() {
        Result r = run("fashion-mnist", "--data", dir.resolve("nowhere").toString());
        assertEquals(2, r.code());
        assertTrue(r.out().contains("apt-get install dataset-fashion-mnist") && r.out().contains("--data DIR"), r.out());
        assertEquals(2, run("fashion-mnist", "--model", "lstm").code());
    }
}
