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

    /**
     * 8x8 noisy images of one of three shapes at a random place: a horizontal bar, a vertical bar
     * or a 2x2 square. Position varies, so a convolution (shared weights) and pooling fit it.
     */
    static Dataset shapes(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] x = new double[n][64];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % 3;
            labels[i] = c;
            for (int p = 0; p < 64; p++) {
                x[i][p] = 0.2 * rng.nextDouble();
            }
            int r = rng.nextInt(5);
            int col = rng.nextInt(5);
            for (int k = 0; k < 3; k++) {
                int rr = c == 0 ? r + 1 : c == 1 ? r + k : r + k % 2;
                int cc = c == 0 ? col + k : c == 1 ? col + 1 : col + k / 2;
                x[i][rr * 8 + cc] = 1;
            }
            if (c == 2) {
                x[i][(r + 1) * 8 + col + 1] = 1;
            }
        }
        return Dataset.of(x, labels);
    }

    @Test
    void aSmallCnnLearnsShapesAnywhereInTheImage() {
        SplittableRandom init = new SplittableRandom(3);
        Layer toImages = new Layer() {
            @Override
            public Tensor forward(Tensor x) {
                return x.reshape(x.dim(0), 1, 8, 8);
            }

            @Override
            public java.util.List<Tensor> parameters() {
                return java.util.List.of();
            }
        };
        Sequential cnn = new Sequential(toImages, new Conv2d(1, 8, 3, 1, 1, Init.heUniform(init)), new ReLU(), new MaxPool2d(2),
                new Conv2d(8, 8, 3, 1, 1, Init.heUniform(init)), new ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(8 * 2 * 2, 3, Init.xavierUniform(init)));
        Dataset train = shapes(240, 1);
        Dataset test = shapes(120, 2);
        Trainer trainer = new Trainer(cnn, new Adam(cnn.parameters(), 0.01),
                (logits, batch) -> Losses.crossEntropy(logits, batch.labels())).doctor(null);
        trainer.fit(train, 15, 24, new SplittableRandom(4));
        cnn.train(false);
        try (Autograd.Scope off = Autograd.noGrad()) {
            double accuracy = Metrics.accuracy(cnn.forward(test.all().inputs()), test.labels());
            assertTrue(accuracy >= 0.95, "test accuracy " + accuracy);
        }
    }
}
