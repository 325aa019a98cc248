package dev.adjoint.examples;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.Dataset;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.MLP;
import dev.adjoint.nn.ReLU;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Trainer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Two interleaving half-moons, a classic non-linear toy problem: a 2-16-16-2 ReLU network trained
 * with Adam on mini-batches and cross-entropy; prints its training accuracy and draws the loss
 * curve and the decision boundary.
 */
final class MoonsExample {
    static final int DEFAULT_EPOCHS = 100;
    static final int POINTS = 200;
    static final double NOISE = 0.1;
    static final int BATCH_SIZE = 20;

    private MoonsExample() {
    }

    /** The two moons with their class labels. */
    record Moons(double[][] points, int[] labels) {
    }

    /**
     * Half the points on the upper half of the unit circle (class 0), half on a lower half circle
     * shifted right by 1 and up by 0.5 (class 1), as scikit-learn's {@code make_moons}, with
     * Gaussian noise of standard deviation {@code noise} added to every coordinate.
     */
    static Moons moons(int n, double noise, RandomGenerator rng) {
        double[][] points = new double[n][];
        int[] labels = new int[n];
        int half = n / 2;
        for (int i = 0; i < n; i++) {
            boolean upper = i < half;
            double t = Math.PI * (upper ? i : i - half) / Math.max(1, (upper ? half : n - half) - 1);
            double x = upper ? Math.cos(t) : 1 - Math.cos(t);
            double y = upper ? Math.sin(t) : 0.5 - Math.sin(t);
            points[i] = new double[] {x + noise * rng.nextGaussian(), y + noise * rng.nextGaussian()};
            labels[i] = upper ? 0 : 1;
        }
        return new Moons(points, labels);
    }

    static void run(String[] args, PrintStream out) throws Exception {
        Options options = Options.parse(args, "--epochs", DEFAULT_EPOCHS);
        Moons moons = moons(POINTS, NOISE, new SplittableRandom(42));
        Dataset data = Dataset.of(moons.points(), moons.labels());

        // Two logits per point; crossEntropy applies the softmax itself.
        Sequential model = MLP.of(new int[] {2, 16, 16, 2}, ReLU::new, Init.heUniform(new SplittableRandom(1)));
        Trainer trainer = new Trainer(model, new Adam(model.parameters(), 0.01),
                (logits, batch) -> Losses.crossEntropy(logits, batch.labels())).doctor(out);
        long start = System.nanoTime();
        double[] history = trainer.fit(data, options.count(), BATCH_SIZE, new SplittableRandom(3));
        double seconds = (System.nanoTime() - start) / 1e9;

        int correct = 0;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            // the predicted class of each point is the position of its largest logit
            double[] predicted = model.forward(data.all().inputs()).argmax(1, false).toArray();
            for (int i = 0; i < POINTS; i++) {
                correct += predicted[i] == moons.labels()[i] ? 1 : 0;
            }
        }
        out.printf(Locale.ROOT, "%d points, noise %.2f; 2-16-16-2 ReLU MLP, Adam lr 0.01, batches of %d%n", POINTS, NOISE,
                BATCH_SIZE);
        out.printf(Locale.ROOT, "training accuracy %.1f%% (%d/%d) after %d epochs = %d steps in %.2f s; final loss %.3g%n",
                100.0 * correct / POINTS, correct, POINTS, options.count(), history.length, seconds,
                history[history.length - 1]);

        Path loss = Plot.lossCurve(options.out().resolve("moons-loss.png"),
                "Moons: cross-entropy per mini-batch of " + BATCH_SIZE + ", Adam lr 0.01", history, history.length / options.count());
        Path boundary = Plot.decisionBoundary(options.out().resolve("moons-boundary.png"),
                "Moons: p(class 1) from a 2-16-16-2 MLP", moons.points(), moons.labels(), new double[] {-1.5, 2.5, -1, 1.5},
                points -> model.forward(points).softmax(1));
        out.println("wrote " + loss);
        out.println("wrote " + boundary);
    }
}
