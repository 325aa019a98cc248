package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LayersTest {

    @Test
    void linearIsMatmulPlusBias() {
        Linear layer = new Linear(2, 3, Init.constant(0));
        layer.weight().modify(w -> System.arraycopy(new double[] {1, 2, 3, 4, 5, 6}, 0, w, 0, 6));
        layer.bias().modify(b -> System.arraycopy(new double[] {0.5, -1, 0}, 0, b, 0, 3));
        Tensor y = layer.forward(Tensor.of(new double[] {1, 1, 2, 0}, 2, 2));
        assertArrayEquals(new int[] {2, 3}, y.shape());
        // row 0: [1 + 4, 2 + 5, 3 + 6] + b; row 1: 2 * [1, 2, 3] + b
        assertArrayEquals(new double[] {5.5, 6, 9, 2.5, 3, 6}, y.toArray(), 0.0);
        assertArrayEquals(new int[] {3}, layer.forward(Tensor.of(new double[] {1, 1}, 2)).shape());
        assertArrayEquals(new int[] {4, 5, 3}, layer.forward(Tensor.zeros(4, 5, 2)).shape());
    }

    @Test
    void linearShapesAndParameters() {
        Linear layer = new Linear(4, 7);
        assertArrayEquals(new int[] {4, 7}, layer.weight().shape());
        assertArrayEquals(new int[] {7}, layer.bias().shape());
        assertEquals(List.of(layer.weight(), layer.bias()), layer.parameters());
        assertTrue(layer.weight().requiresGrad() && layer.bias().requiresGrad());
        assertEquals("Linear(4, 7)", layer.toString());
    }

    @Test
    void defaultInitIsPyTorchsFanInUniformAndReproducible() {
        Linear layer = new Linear(16, 8);
        double bound = 1 / Math.sqrt(16);
        for (double w : layer.weight().toArray()) {
            assertTrue(Math.abs(w) <= bound);
        }
        for (double b : layer.bias().toArray()) {
            assertTrue(Math.abs(b) <= bound);
        }
        assertArrayEquals(layer.weight().toArray(), new Linear(16, 8).weight().toArray(), 0.0);
        assertFalse(java.util.Arrays.equals(layer.weight().toArray(), new Linear(16, 9).weight().toArray()));
    }

    @Test
    void theGeneratorlessLinearIsExactlyWhatItsJavadocSays() {
        for (int[] shape : new int[][] {{1, 1}, {3, 2}, {16, 8}, {784, 10}}) {
            int in = shape[0];
            int out = shape[1];
            Linear documented = new Linear(in, out,
                    new SplittableRandom(0x5DEECE66DL ^ (31L * in + out) * 0x9E3779B97F4A7C15L));
            Linear plain = new Linear(in, out);
            assertArrayEquals(documented.weight().toArray(), plain.weight().toArray(), 0.0);
            assertArrayEquals(documented.bias().toArray(), plain.bias().toArray(), 0.0);
        }
    }

    @Test
    void linearDrawsItsDefaultInitFromTheCallersGenerator() {
        Linear a = new Linear(5, 4, new SplittableRandom(8));
        Linear b = new Linear(5, 4, Init.fanInUniform(new SplittableRandom(8)));
        assertArrayEquals(b.weight().toArray(), a.weight().toArray(), 0.0);
        assertArrayEquals(b.bias().toArray(), a.bias().toArray(), 0.0);
        assertFalse(java.util.Arrays.equals(a.weight().toArray(), new Linear(5, 4, new SplittableRandom(9)).weight().toArray()));
        // one generator shared by two layers: they draw in turn, so they differ
        SplittableRandom shared = new SplittableRandom(8);
        Linear first = new Linear(5, 4, shared);
        Linear second = new Linear(5, 4, shared);
        assertArrayEquals(a.weight().toArray(), first.weight().toArray(), 0.0);
        assertFalse(java.util.Arrays.equals(first.weight().toArray(), second.weight().toArray()));
        double bound = 1 / Math.sqrt(5);
        for (double w : second.weight().toArray()) {
            assertTrue(Math.abs(w) <= bound);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Linear(2, 2, (java.util.random.RandomGenerator) null));
        assertTrue(e.getMessage().contains("Linear"), e.getMessage());
    }

    @Test
    void theGeneratorlessMlpIsExactlyWhatItsJavadocSays() {
        Sequential plain = MLP.of(3, 8, 8, 8, 2);
        Sequential documented = MLP.of(new int[] {3, 8, 8, 8, 2}, ReLU::new,
                Init.fanInUniform(new SplittableRandom(0x5DEECE66DL)));
        assertEquals(documented.toString(), plain.toString());
        List<Tensor> expected = documented.parameters();
        List<Tensor> actual = plain.parameters();
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).toArray(), actual.get(i).toArray(), 0.0);
        }
        // its two 8 x 8 layers differ, where two new Linear(8, 8) are equal copies
        assertFalse(java.util.Arrays.equals(actual.get(2).toArray(), actual.get(4).toArray()));
        assertArrayEquals(new Linear(8, 8).weight().toArray(), new Linear(8, 8).weight().toArray(), 0.0);
    }

    @Test
    void initGetsFanInAndFanOutForWeightAndBias() {
        int[][] seen = new int[2][];
        int[] calls = {0};
        Init spy = (values, shape, fanIn, fanOut) -> seen[calls[0]++] = new int[] {fanIn, fanOut, shape.length, values.length};
        new Linear(5, 3, spy);
        assertArrayEquals(new int[] {5, 3, 2, 15}, seen[0]);
        assertArrayEquals(new int[] {5, 3, 1, 3}, seen[1]);
        Linear ones = new Linear(3, 2, Init.constant(1));
        assertArrayEquals(new double[] {1, 1, 1, 1, 1, 1}, ones.weight().toArray(), 0.0);
        assertArrayEquals(new double[] {1, 1}, ones.bias().toArray(), 0.0);
    }

    @Test
    void linearRejectsTheWrongInputWidthNamingTheLayerAndTheShapes() {
        Linear layer = new Linear(3, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> layer.forward(Tensor.zeros(4, 5)));
        assertTrue(e.getMessage().contains("Linear") && e.getMessage().contains("3") && e.getMessage().contains("[4, 5]"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> layer.forward(Tensor.scalar(1)));
        assertThrows(IllegalArgumentException.class, () -> new Linear(0, 2));
        assertThrows(IllegalArgumentException.class, () -> new Linear(2, 2, (Init) null));
    }

    @Test
    void sequentialChainsLayersAndListsParametersInOrder() {
        Linear a = new Linear(2, 3);
        Linear b = new Linear(3, 1);
        Sequential net = new Sequential(a, new Tanh(), b);
        assertEquals(List.of(a.weight(), a.bias(), b.weight(), b.bias()), net.parameters());
        assertEquals(3, net.layers().size());
        assertThrows(UnsupportedOperationException.class, () -> net.layers().add(new ReLU()));
        Tensor x = Tensor.of(new double[] {0.3, -0.7}, 1, 2);
        assertArrayEquals(b.forward(a.forward(x).tanh()).toArray(), net.forward(x).toArray(), 0.0);
        assertEquals("Sequential(Linear(2, 3), Tanh(), Linear(3, 1))", net.toString());
        assertThrows(IllegalArgumentException.class, Sequential::new);
        assertThrows(IllegalArgumentException.class, () -> new Sequential(a, null));
    }

    @Test
    void sharedLayersContributeTheirParametersOnce() {
        Linear shared = new Linear(2, 2);
        Sequential net = new Sequential(shared, new Tanh(), shared);
        assertEquals(List.of(shared.weight(), shared.bias()), net.parameters());
        assertEquals(2, new SGD(net.parameters(), 0.1).parameters().size());
    }

    @Test
    void activations() {
        Tensor x = Tensor.of(new double[] {-2, 0, 3}, 3);
        assertArrayEquals(new double[] {0, 0, 3}, new ReLU().forward(x).toArray(), 0.0);
        assertArrayEquals(new double[] {Math.tanh(-2), 0, Math.tanh(3)}, new Tanh().forward(x).toArray(), 1e-15);
        assertArrayEquals(new double[] {1 / (1 + Math.exp(2)), 0.5, 1 / (1 + Math.exp(-3))}, new Sigmoid().forward(x).toArray(), 1e-15);
        assertArrayEquals(new double[] {-0.02, 0, 3}, new LeakyReLU().forward(x).toArray(), 1e-15);
        assertArrayEquals(new double[] {-0.4, 0, 3}, new LeakyReLU(0.2).forward(x).toArray(), 1e-15);
        double z = Math.exp(-2) + 1 + Math.exp(3);
        assertArrayEquals(new double[] {Math.exp(-2) / z, 1 / z, Math.exp(3) / z}, new Softmax().forward(x).toArray(), 1e-15);
        for (Layer l : List.of(new ReLU(), new Tanh(), new Sigmoid(), new LeakyReLU(), new Softmax(), new Dropout(0.5, new SplittableRandom(1)))) {
            assertTrue(l.parameters().isEmpty(), l.toString());
        }
    }

    @Test
    void leakyReluGradientIsOneOrTheSlope() {
        Tensor x = Tensor.of(new double[] {-2, 0, 3}, 3).requiresGrad(true);
        new LeakyReLU(0.1).forward(x).sum().backward();
        assertArrayEquals(new double[] {0.1, 0.1, 1}, x.grad().toArray(), 0.0);
    }

    @Test
    void softmaxRowsSumToOneAlongTheChosenAxis() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 1000, 1000, 1000}, 2, 3);
        double[] y = new Softmax().forward(x).toArray();
        assertEquals(1.0, y[0] + y[1] + y[2], 1e-15);
        assertArrayEquals(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3}, new double[] {y[3], y[4], y[5]}, 1e-15);
        double[] cols = new Softmax(0).forward(x).toArray();
        assertEquals(1.0, cols[0] + cols[3], 1e-15);
    }

    @Test
    void dropoutZeroesAboutPAndScalesTheRestInTrainingAndIsTheIdentityInEvaluation() {
        Dropout dropout = new Dropout(0.25, new SplittableRandom(3));
        Tensor x = Tensor.ones(100, 100);
        double[] y = dropout.forward(x).toArray();
        int zeros = 0;
        for (double v : y) {
            if (v == 0) {
                zeros++;
            } else {
                assertEquals(1 / 0.75, v, 1e-15);
            }
        }
        assertEquals(0.25, zeros / 10000.0, 0.02);
        dropout.train(false);
        assertFalse(dropout.isTraining());
        assertSame(x, dropout.forward(x));
        Sequential net = new Sequential(new Linear(2, 2), new Dropout(0.5, new SplittableRandom(2)));
        net.train(false);
        assertFalse(((Dropout) net.layers().get(1)).isTraining());
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.0, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(-0.1, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(0.5, null));
    }

    @Test
    void dropoutMasksComeFromItsGeneratorAlone() {
        Tensor x = Tensor.ones(64);
        // equally seeded generators: the same masks, however many other Dropouts exist
        Dropout a = new Dropout(0.5, new SplittableRandom(4));
        new Dropout(0.5, new SplittableRandom(5)).forward(x);
        Dropout b = new Dropout(0.5, new SplittableRandom(4));
        assertArrayEquals(a.forward(x).toArray(), b.forward(x).toArray(), 0.0);
        // the mask is exactly the generator's next draws: zero where u < p, 1 / (1 - p) elsewhere
        SplittableRandom reference = new SplittableRandom(4);
        for (int i = 0; i < 64; i++) {
            reference.nextDouble(); // the first pass's draws
        }
        double[] second = a.forward(x).toArray();
        for (int i = 0; i < 64; i++) {
            assertEquals(reference.nextDouble() < 0.5 ? 0.0 : 2.0, second[i], 0.0, "element " + i);
        }
        // two layers sharing one generator draw in turn, so their masks differ
        SplittableRandom shared = new SplittableRandom(6);
        assertFalse(java.util.Arrays.equals(new Dropout(0.5, shared).forward(x).toArray(),
                new Dropout(0.5, shared).forward(x).toArray()));
        // evaluation mode and p = 0 take nothing from the generator
        SplittableRandom untouched = new SplittableRandom(7);
        Dropout idle = new Dropout(0.5, untouched);
        idle.train(false);
        idle.forward(x);
        new Dropout(0.0, untouched).forward(x);
        assertEquals(new SplittableRandom(7).nextLong(), untouched.nextLong());
    }

    @Test
    void dropoutGradientFollowsTheMask() {
        Dropout dropout = new Dropout(0.5, new SplittableRandom(9));
        Tensor x = Tensor.ones(50).requiresGrad(true);
        Tensor y = dropout.forward(x);
        y.sum().backward();
        assertArrayEquals(y.toArray(), x.grad().toArray(), 0.0);
    }

    @Test
    void mlpBuildsLinearLayersWithActivationsBetween() {
        Sequential net = MLP.of(new int[] {2, 4, 4, 1}, Tanh::new, Init.xavierUniform(new SplittableRandom(1)));
        assertEquals("Sequential(Linear(2, 4), Tanh(), Linear(4, 4), Tanh(), Linear(4, 1))", net.toString());
        Linear first = (Linear) net.layers().get(2);
        assertNotEquals(first.weight().get(0, 0), ((Linear) net.layers().get(0)).weight().get(0, 0));
        Sequential seed = MLP.of(new int[] {2, 3, 3, 2}, Sigmoid::new, Sigmoid::new, Init.constant(1));
        assertEquals(6, seed.layers().size());
        assertEquals("Sigmoid()", seed.layers().get(5).toString());
        Sequential plain = MLP.of(3, 8, 2);
        assertEquals("Sequential(Linear(3, 8), ReLU(), Linear(8, 2))", plain.toString());
        assertThrows(IllegalArgumentException.class, () -> MLP.of(3));
        assertThrows(IllegalArgumentException.class, () -> MLP.of(3, 0, 2));
    }
}
