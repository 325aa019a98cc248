package dev.adjoint.examples;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.Dataset;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.MLP;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Tanh;
import dev.adjoint.nn.Trainer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * XOR, the problem a single layer cannot solve: a 2-8-1 tanh network with a sigmoid read-out,
 * trained full-batch with Adam on binary cross-entropy; prints its accuracy and draws the loss
 * curve and the decision boundary.
 */
final class XorExample {
    static final int DEFAULT_STEPS = 300;
    static final double[][] INPUTS = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    static final int[] CLASSES = {0, 1, 1, 0};

    private XorExample() {
    }

    static void run(String[] args, PrintStream out) throws Exception {
        Options options = Options.parse(args, "--steps", DEFAULT_STEPS);
        double[][] targets = new double[CLASSES.length][];
        for (int i = 0; i < CLASSES.length; i++) {
            targets[i] = new double[] {CLASSES[i]};
        }
        Dataset data = Dataset.of(INPUTS, targets);

        // The network outputs a logit; the sigmoid lives in the loss, where it is numerically stable.
        Sequential model = MLP.of(new int[] {2, 8, 1}, Tanh::new, Init.xavierUniform(new SplittableRandom(7)));
        Trainer trainer = new Trainer(model, new Adam(model.parameters(), 0.05),
                (logits, batch) -> Losses.binaryCrossEntropyWithLogits(logits, batch.targets()));
        long start = System.nanoTime();
        double[] history = trainer.fit(data, options.count());
        double seconds = (System.nanoTime() - start) / 1e9;

        double[] probability;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            probability = model.forward(data.all().inputs()).sigmoid().toArray();
        }
        int correct = 0;
        for (int i = 0; i < CLASSES.length; i++) {
            int predicted = probability[i] > 0.5 ? 1 : 0;
            correct += predicted == CLASSES[i] ? 1 : 0;
            out.printf(Locale.ROOT, "  %.0f xor %.0f = %d   p(1) = %.4f   predicted %d%n", INPUTS[i][0], INPUTS[i][1],
                    CLASSES[i], probability[i], predicted);
        }
        out.printf(Locale.ROOT, "accuracy %.0f%% (%d/%d) after %d Adam steps in %.2f s; final loss %.3g%n",
                100.0 * correct / CLASSES.length, correct, CLASSES.length, history.length, seconds, history[history.length - 1]);

        Path loss = Plot.lossCurve(options.out().resolve("xor-loss.png"), "XOR: 2-8-1 tanh MLP, Adam lr 0.05", history, 0);
        Path boundary = Plot.decisionBoundary(options.out().resolve("xor-boundary.png"), "XOR: p(class 1) after training",
                INPUTS, CLASSES, new double[] {-0.5, 1.5, -0.5, 1.5}, points -> model.forward(points).sigmoid());
        out.println("wrote " + loss);
        out.println("wrote " + boundary);
    }
}
