package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * nn in float32 end to end: every layer, loss and optimizer on a model converted with
 * {@code model.to(DType.FLOAT32)}, against the same model in float64; optimizer state in the
 * parameter's dtype; the mixed-dtype errors; half the bytes.
 */
class Float32TrainingTest {

    /** Relative agreement of a float32 result with its float64 twin: float32 roundoff, amplified a little by depth. */
    private static void assertClose(double[] expected, double[] actual, double rel, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], rel * scale + 1e-7, what + " element " + i);
        }
    }

    private static Sequential denseNet(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return new Sequential(new Linear(4, 8, rng), new LayerNorm(8), new GELU(), new Linear(8, 8, rng), new BatchNorm1d(8),
                new Tanh(), new Linear(8, 8, rng), new SiLU(), new Dropout(0.25, new SplittableRandom(seed + 1)), new Linear(8, 6, rng),
                new LeakyReLU(0.1), new Linear(6, 3, rng), new Sigmoid());
    }

    private static Sequential convNet(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return new Sequential(new Conv2d(1, 3, 3, 1, 1, Init.heNormal(rng)), new BatchNorm2d(3), new ReLU(), new MaxPool2d(2),
                new Conv2d(3, 2, 3, 1, 1, Init.heNormal(rng)), new AvgPool2d(2), new Flatten(), new Linear(2 * 2 * 2, 3, rng),
                new Softmax());
    }

    private static void compareForwardAndBackward(Supplier<Sequential> make, Tensor input64, Function<Tensor, Tensor> loss) {
        Sequential wide = make.get();
        Sequential narrow = make.get();
        assertSame(narrow, narrow.to(DType.FLOAT32));
        Tensor out64 = wide.forward(input64);
        Tensor out32 = narrow.forward(input64.to(DType.FLOAT32));
        assertEquals(DType.FLOAT32, out32.dtype());
        assertClose(out64.toArray(), out32.toArray(), 1e-5, "output");
        loss.apply(out64).backward();
        loss.apply(out32).backward();
        List<Tensor> p64 = wide.parameters();
        List<Tensor> p32 = narrow.parameters();
        for (int i = 0; i < p64.size(); i++) {
            assertEquals(DType.FLOAT32, p32.get(i).dtype(), "parameter " + i);
            assertEquals(DType.FLOAT32, p32.get(i).grad().dtype(), "gradient " + i);
            assertClose(p64.get(i).grad().toArray(), p32.get(i).grad().toArray(), 1e-4, "gradient of parameter " + i);
        }
        for (Map.Entry<String, Tensor> b : narrow.namedBuffers().entrySet()) {
            // batch norm's batch count stays float64, a counter (PyTorch's is int64)
            DType expected = b.getKey().endsWith("num_batches_tracked") ? DType.FLOAT64 : DType.FLOAT32;
            assertEquals(expected, b.getValue().dtype(), b.getKey());
            assertClose(wide.namedBuffers().get(b.getKey()).toArray(), b.getValue().toArray(), 1e-5, b.getKey());
        }
    }

    @Test
    void everyDenseLayerRunsInFloat32AndAgreesWithFloat64() {
        Tensor x = Tensor.randn(new SplittableRandom(3), 5, 4);
        int[] labels = {0, 2, 1, 1, 0};
        compareForwardAndBackward(() -> denseNet(7), x, y -> Losses.crossEntropy(y, labels));
        Tensor target = Tensor.rand(new SplittableRandom(4), 5, 3);
        compareForwardAndBackward(() -> denseNet(8), x, y -> Losses.binaryCrossEntropy(y, target.to(y.dtype())));
        compareForwardAndBackward(() -> denseNet(9), x, y -> Losses.mse(y, target.to(y.dtype())));
        compareForwardAndBackward(() -> denseNet(10), x, y -> Losses.binaryCrossEntropyWithLogits(y, target.to(y.dtype())));
        compareForwardAndBackward(() -> denseNet(11), x, y -> Losses.sumSquaredError(y, target.to(y.dtype())));
    }

    @Test
    void convolutionAndPoolingRunInFloat32AndAgreeWithFloat64() {
        Tensor x = Tensor.randn(new SplittableRandom(5), 2, 1, 8, 8);
        compareForwardAndBackward(() -> convNet(12), x, y -> Losses.crossEntropy(y, new int[] {1, 2}));
    }

    @Test
    void embeddingLooksUpFloat32Rows() {
        Embedding e = new Embedding(5, 3, Init.normal(0, 1, new SplittableRandom(2)));
        e.to(DType.FLOAT32);
        Tensor rows = e.forward(Tensor.of(new double[] {4, 0, 4}, 3));
        assertEquals(DType.FLOAT32, rows.dtype());
        rows.sum().backward();
        assertEquals(DType.FLOAT32, e.weight().grad().dtype());
        assertArrayEquals(new double[] {1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2}, e.weight().grad().toArray(), 0.0);
    }

    /** The seed ran in float32: in float32 the 2-3-3-2 net trains to the seed's stuck output, as float64 does. */
    @Test
    void theSeedNetworkTrainsInFloat32LikeInFloat64() {
        Sequential net = new Sequential(new Linear(2, 3, Init.constant(1)), new Sigmoid(), new Linear(3, 3, Init.constant(1)), new Sigmoid(),
                new Linear(3, 2, Init.constant(1)), new Sigmoid()).to(DType.FLOAT32);
        Tensor inputs = Tensor.of(new float[] {0.8f, 0.4f, 0.3f, 0.3f}, 2, 2);
        Tensor targets = Tensor.of(new float[] {0.2f, 0.4f, 1, 0}, 2, 2);
        SGD sgd = new SGD(net.parameters(), 0.5);
        for (int step = 0; step < 1000; step++) {
            sgd.zeroGrad();
            Losses.sumSquaredError(net.forward(inputs), targets).backward();
            sgd.step();
        }
        Tensor out = net.forward(inputs);
        assertEquals(DType.FLOAT32, out.dtype());
        assertArrayEquals(new double[] {0.5992708, 0.1997655, 0.5993174, 0.2004307}, out.toArray(), 2e-5);
    }

    private static List<Function<List<Tensor>, Optimizer>> optimizers() {
        return List.of(
                ps -> new SGD(ps, 0.05),
                ps -> new SGD(ps, 0.05, 0.9).nesterov(true).weightDecay(1e-3),
                ps -> new Adam(ps, 0.01),
                ps -> new Adam(ps, 0.01).amsgrad(true).weightDecay(1e-3),
                ps -> new AdamW(ps, 0.01),
                ps -> new RMSprop(ps, 0.005),
                ps -> new RMSprop(ps, 0.005).centered(true).momentum(0.5));
    }

    /** Each optimizer trains a float32 model along the float64 model's path, with its state in float[]. */
    @Test
    void everyOptimizerFollowsTheFloat64PathWithStateInFloat32() {
        Dataset data = moons(96, 13);
        for (Function<List<Tensor>, Optimizer> make : optimizers()) {
            Sequential wide = MLP.of(new int[] {2, 16, 16, 2}, ReLU::new, Init.fanInUniform(new SplittableRandom(21)));
            Sequential narrow = MLP.of(new int[] {2, 16, 16, 2}, ReLU::new, Init.fanInUniform(new SplittableRandom(21)));
            narrow.to(DType.FLOAT32);
            Optimizer o64 = make.apply(wide.parameters());
            Optimizer o32 = make.apply(narrow.parameters());
            double[] h64 = new Trainer(wide, o64, (p, b) -> Losses.crossEntropy(p, b.labels())).fit(data, 5, 32, new SplittableRandom(1));
            double[] h32 = new Trainer(narrow, o32, (p, b) -> Losses.crossEntropy(p, b.labels()))
                    .fit(data.to(DType.FLOAT32), 5, 32, new SplittableRandom(1));
            String name = o32.name();
            for (int i = 0; i < h64.length; i++) {
                assertEquals(h64[i], h32[i], 1e-3 * Math.max(1, h64[i]), name + " loss at step " + i);
            }
            double first = (h32[0] + h32[1] + h32[2]) / 3;
            double last = (h32[h32.length - 1] + h32[h32.length - 2] + h32[h32.length - 3]) / 3;
            assertTrue(last < first, name + " lowers the loss in float32: " + first + " -> " + last);
            for (int i = 0; i < wide.parameters().size(); i++) {
                assertClose(wide.parameters().get(i).toArray(), narrow.parameters().get(i).toArray(), 1e-3, name + " parameter " + i);
                assertEquals(DType.FLOAT32, narrow.parameters().get(i).dtype());
            }
            for (Optimizer.State s : o32.stateArrays().values()) {
                for (int i = 0; i < narrow.parameters().size(); i++) {
                    if (s.has(i)) {
                        assertEquals(DType.FLOAT32, s.dtype(i), name + " " + s.name());
                        assertEquals(DType.FLOAT64, o64.stateArrays().get(s.name()).dtype(i), name + " " + s.name());
                    }
                }
            }
            assertEquals(o64.stateBytes(), 2 * o32.stateBytes(), name + " state bytes");
        }
    }

    @Test
    void lbfgsAndClippingWorkOnFloat32Parameters() {
        Tensor w = Tensor.of(new float[] {3, -2}, 2).requiresGrad(true);
        Tensor target = Tensor.of(new float[] {1, 0.5f}, 2);
        LBFGS lbfgs = new LBFGS(List.of(w), 1, 10, true);
        lbfgs.step(() -> {
            lbfgs.zeroGrad();
            Tensor loss = w.sub(target).pow(2).sum();
            loss.backward();
            return loss;
        });
        assertEquals(DType.FLOAT32, w.dtype());
        assertArrayEquals(new float[] {1, 0.5f}, w.toFloatArray(), 1e-4f);
        w.zeroGrad();
        w.mul(Tensor.of(new float[] {300, 400}, 2)).sum().backward();
        double norm = GradientClipping.clipByGlobalNorm(List.of(w), 1.0);
        assertEquals(500, norm, 1e-3);
        assertEquals(DType.FLOAT32, w.grad().dtype());
        assertArrayEquals(new float[] {0.6f, 0.8f}, w.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void aFloat32ModelTrainsMoonsAsWellAsFloat64() {
        Dataset[] parts = moons(400, 3).split(0.75, new SplittableRandom(2));
        double[] accuracy = new double[2];
        for (DType dtype : DType.values()) {
            Sequential model = MLP.of(new int[] {2, 32, 32, 2}, ReLU::new, Init.fanInUniform(new SplittableRandom(4)));
            model.to(dtype);
            new Trainer(model, new Adam(model.parameters(), 0.01), (p, b) -> Losses.crossEntropy(p, b.labels()))
                    .fit(parts[0].to(dtype), 40, 32, new SplittableRandom(6));
            Tensor logits = model.forward(parts[1].to(dtype).all().inputs());
            accuracy[dtype.ordinal()] = Metrics.accuracy(logits, parts[1].labels());
        }
        assertTrue(accuracy[DType.FLOAT32.ordinal()] > 0.95, "float32 accuracy " + accuracy[1]);
        assertEquals(accuracy[0], accuracy[1], 0.02);
    }

    @Test
    void mixedDtypesAreRefusedSayingWhatToDo() {
        Sequential model = MLP.of(new int[] {2, 4, 2}, ReLU::new, Init.fanInUniform(new SplittableRandom(1)));
        model.to(DType.FLOAT32);
        Dataset data = moons(8, 1);
        Trainer trainer = new Trainer(model, new SGD(model.parameters(), 0.1), (p, b) -> Losses.crossEntropy(p, b.labels()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.fit(data, 1, 4, null));
        assertTrue(e.getMessage().contains("float64") && e.getMessage().contains("float32")
                && e.getMessage().contains("dataset.to(DType.FLOAT32)"), e.getMessage());
        IllegalArgumentException direct = assertThrows(IllegalArgumentException.class, () -> model.forward(data.all().inputs()));
        assertTrue(direct.getMessage().contains("float64") && direct.getMessage().contains("float32")
                && direct.getMessage().contains("to("), direct.getMessage());
        Tensor prediction = model.forward(data.to(DType.FLOAT32).all().inputs());
        IllegalArgumentException loss = assertThrows(IllegalArgumentException.class,
                () -> Losses.mse(prediction, Tensor.zeros(prediction.shape())));
        assertTrue(loss.getMessage().contains("to("), loss.getMessage());
    }

    /** A float32 model's parameters, gradients and Adam state take exactly half the bytes of the float64 model's. */
    @Test
    void parametersGradientsAndAdamStateTakeHalfTheBytes() {
        long[] bytes = new long[2];
        for (DType dtype : DType.values()) {
            Sequential model = MLP.of(new int[] {784, 512, 512, 10}, ReLU::new, Init.fanInUniform(new SplittableRandom(1)));
            model.to(dtype);
            Adam adam = new Adam(model.parameters(), 1e-3);
            Tensor x = Tensor.rand(dtype, new SplittableRandom(2), 4, 784);
            Losses.crossEntropy(model.forward(x), new int[] {1, 2, 3, 4}).backward();
            adam.step();
            long total = adam.stateBytes();
            for (Tensor p : model.parameters()) {
                assertNotNull(p.grad());
                total += (long) p.size() * p.dtype().bytes() + (long) p.grad().size() * p.grad().dtype().bytes();
            }
            bytes[dtype.ordinal()] = total;
        }
        long params = 784L * 512 + 512 + 512L * 512 + 512 + 512L * 10 + 10;
        assertEquals(4 * params * 8, bytes[DType.FLOAT64.ordinal()]);
        assertEquals(4 * params * 4, bytes[DType.FLOAT32.ordinal()]);
    }

    static Dataset moons(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] x = new double[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            double t = Math.PI * rng.nextDouble();
            y[i] = i % 2;
            x[i] = y[i] == 0 ? new double[] {Math.cos(t) + 0.1 * rng.nextGaussian(), Math.sin(t) + 0.1 * rng.nextGaussian()}
                    : new double[] {1 - Math.cos(t) + 0.1 * rng.nextGaussian(), 0.5 - Math.sin(t) + 0.1 * rng.nextGaussian()};
        }
        return Dataset.of(x, y);
    }
}
