package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Small problems a correct network, loss and optimizer must learn to 100% training accuracy. */
class ClassificationTest {

    @Test
    void xorIsLearned() {
        double[][] x = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
        double[][] y = {{0}, {1}, {1}, {0}};
        Dataset data = Dataset.of(x, y);
        Sequential model = MLP.of(new int[] {2, 8, 1}, Tanh::new, Init.xavierUniform(new SplittableRandom(42)));
        Trainer trainer = new Trainer(model, new Adam(model.parameters(), 0.05),
                (prediction, batch) -> Losses.binaryCrossEntropyWithLogits(prediction, batch.targets()));
        double[] history = trainer.fit(data, 500);
        assertEquals(500, history.length);
        assertTrue(history[499] < 0.05, "final loss " + history[499]);
        double[] logits = model.forward(data.all().inputs()).toArray();
        for (int i = 0; i < 4; i++) {
            assertEquals(y[i][0], logits[i] > 0 ? 1.0 : 0.0, "XOR" + java.util.Arrays.toString(x[i]));
        }
    }

    /** Two interleaved half circles with Gaussian noise, as scikit-learn's make_moons. */
    static Dataset moons(int n, double noise, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] x = new double[n][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % 2;
            double t = Math.PI * rng.nextDouble();
            double px = c == 0 ? Math.cos(t) : 1 - Math.cos(t);
            double py = c == 0 ? Math.sin(t) : 0.5 - Math.sin(t);
            x[i] = new double[] {px + noise * rng.nextGaussian(), py + noise * rng.nextGaussian()};
            labels[i] = c;
        }
        return Dataset.of(x, labels);
    }

    @Test
    void twoMoonsAreLearnedWithMiniBatches() {
        Dataset data = moons(200, 0.1, 7);
        Sequential model = MLP.of(new int[] {2, 32, 32, 2}, ReLU::new, Init.heUniform(new SplittableRandom(3)));
        Trainer trainer = new Trainer(model, new Adam(model.parameters(), 0.01),
                (prediction, batch) -> Losses.crossEntropy(prediction, batch.labels()))
                .schedule(LearningRateSchedule.cosine(150, 1e-3));
        double[] history = trainer.fit(data, 150, 50, new SplittableRandom(11));
        assertEquals(150 * 4, history.length);
        Batch all = data.all();
        double[] logits;
        Autograd.Scope noGrad = Autograd.noGrad();
        try {
            logits = model.forward(all.inputs()).toArray();
        } finally {
            noGrad.close();
        }
        int correct = 0;
        for (int i = 0; i < all.size(); i++) {
            int predicted = logits[2 * i + 1] > logits[2 * i] ? 1 : 0;
            correct += predicted == all.labels()[i] ? 1 : 0;
        }
        assertEquals(all.size(), correct, "training accuracy " + correct + "/" + all.size());
    }

    /** Two interleaved spirals, 1.5 turns each, with a little noise. */
    static Dataset spirals(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] x = new double[n][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % 2;
            double t = (double) (i / 2) / (n / 2);
            double r = 0.1 + t;
            double angle = 3 * Math.PI * t + c * Math.PI;
            x[i] = new double[] {r * Math.cos(angle) + 0.01 * rng.nextGaussian(), r * Math.sin(angle) + 0.01 * rng.nextGaussian()};
            labels[i] = c;
        }
        return Dataset.of(x, labels);
    }

    @Test
    void twoSpiralsAreLearned() {
        Dataset data = spirals(200, 5);
        Sequential model = MLP.of(new int[] {2, 32, 32, 2}, Tanh::new, Init.xavierUniform(new SplittableRandom(8)));
        Trainer trainer = new Trainer(model, new Adam(model.parameters(), 0.02),
                (prediction, batch) -> Losses.crossEntropy(prediction, batch.labels()));
        trainer.fit(data, 1500);
        Batch all = data.all();
        double[] logits = model.forward(all.inputs()).toArray();
        int correct = 0;
        for (int i = 0; i < all.size(); i++) {
            int predicted = logits[2 * i + 1] > logits[2 * i] ? 1 : 0;
            correct += predicted == all.labels()[i] ? 1 : 0;
        }
        assertEquals(all.size(), correct, "training accuracy " + correct + "/" + all.size());
    }
}
