package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.DType;
import dev.adjoint.core.RecordedStep;
import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A recorded step trains exactly as the eager step: two copies of a network, one stepped eagerly
 * and one by replays, hold the same bits after every step.
 */
class RecordedStepTrainingTest {

    private static Sequential seedNet() {
        return new Sequential(new Linear(2, 3, Init.constant(1)), new Sigmoid(), new Linear(3, 3, Init.constant(1)),
                new Sigmoid(), new Linear(3, 2, Init.constant(1)), new Sigmoid());
    }

    @Test
    void theSeedNetworkTrainsBitForBitAsTheEagerStep() {
        Sequential eager = seedNet();
        Sequential replayed = seedNet();
        SGD eagerSgd = new SGD(eager.parameters(), 0.5);
        SGD replayedSgd = new SGD(replayed.parameters(), 0.5);
        Tensor x = Tensor.of(new double[] {0.8, 0.4, 0.3, 0.3}, 2, 2);
        Tensor target = Tensor.of(new double[] {0.2, 0.4, 1, 0}, 2, 2);
        RecordedStep step = RecordedStep.record(in -> Losses.sumSquaredError(replayed.forward(in[0]), target), x);
        assertTrue(step.size() > 0);
        // recording changes nothing the user sees
        for (Tensor p : replayed.parameters()) {
            assertEquals(null, p.grad());
        }
        for (int i = 0; i < 200; i++) {
            stepBoth(eager, eagerSgd, () -> Losses.sumSquaredError(eager.forward(x), target), replayed, replayedSgd, () -> step.replay(x),
                    "step " + i);
        }
    }

    @Test
    void anMlpWithAdamTrainsBitForBitOnChangingBatchesInBothDtypes() {
        for (DType dtype : DType.values()) {
            Sequential eager = mlp(dtype);
            Sequential replayed = mlp(dtype);
            Adam eagerAdam = new Adam(eager.parameters(), 1e-2);
            Adam replayedAdam = new Adam(replayed.parameters(), 1e-2);
            SplittableRandom rng = new SplittableRandom(7);
            Tensor x0 = Tensor.randn(rng, 16, 12).to(dtype);
            Tensor t0 = oneHot(rng, 16, 5, dtype);
            RecordedStep step = RecordedStep.record(in -> Losses.crossEntropy(replayed.forward(in[0]), in[1]), x0, t0);
            for (int i = 0; i < 20; i++) {
                Tensor x = Tensor.randn(rng, 16, 12).to(dtype);
                Tensor t = oneHot(rng, 16, 5, dtype);
                stepBoth(eager, eagerAdam, () -> Losses.crossEntropy(eager.forward(x), t), replayed, replayedAdam, () -> step.replay(x, t),
                        dtype + " step " + i);
            }
        }
    }

    @Test
    void crossEntropyOfOneHotTensorsEqualsTheClassIndexForm() {
        SplittableRandom rng = new SplittableRandom(3);
        Tensor logits = Tensor.randn(rng, 6, 4);
        int[] classes = {0, 3, 1, 1, 2, 0};
        double[] oneHot = new double[24];
        for (int i = 0; i < 6; i++) {
            oneHot[4 * i + classes[i]] = 1;
        }
        assertEquals(Double.doubleToLongBits(Losses.crossEntropy(logits, classes).item()),
                Double.doubleToLongBits(Losses.crossEntropy(logits, Tensor.of(oneHot, 6, 4)).item()));
        assertArrayEquals(oneHot, Losses.oneHot(classes, 4).toArray());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> Losses.oneHot(new int[] {0, 4}, 4));
        assertTrue(range.getMessage().startsWith("oneHot: class 4 at index 1"), range.getMessage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(logits, Tensor.zeros(6, 5)));
        assertTrue(e.getMessage().contains("crossEntropy") && e.getMessage().contains("[6, 5]"), e.getMessage());
    }

    @Test
    void dropoutDrawsANewMaskOnEveryReplayAsTheEagerStepDoes() {
        Sequential eager = dropoutNet();
        Sequential replayed = dropoutNet();
        SGD eagerSgd = new SGD(eager.parameters(), 0.1);
        SGD replayedSgd = new SGD(replayed.parameters(), 0.1);
        Tensor x = Tensor.randn(new SplittableRandom(2), 5, 6);
        RecordedStep step = RecordedStep.record(in -> replayed.forward(in[0]).tanh().sum(), x);
        // recording ran the function twice, drawing two masks: the eager network draws them too
        eager.forward(x);
        eager.forward(x);
        assertEquals(((Dropout) eager.layers().get(1)).draws(), ((Dropout) replayed.layers().get(1)).draws());
        for (int i = 0; i < 10; i++) {
            stepBoth(eager, eagerSgd, () -> eager.forward(x).tanh().sum(), replayed, replayedSgd, () -> step.replay(x), "step " + i);
        }
        // the count a resumed run replays moves with the replays
        assertEquals(((Dropout) eager.layers().get(1)).draws(), ((Dropout) replayed.layers().get(1)).draws());
    }

    private static Sequential dropoutNet() {
        return new Sequential(new Linear(6, 8, Init.heUniform(new SplittableRandom(4))), new Dropout(0.3, new SplittableRandom(9)),
                new Linear(8, 2, Init.heUniform(new SplittableRandom(5))));
    }

    @Test
    void batchNormInTrainingModeIsRefused() {
        BatchNorm1d norm = new BatchNorm1d(3);
        Linear linear = new Linear(3, 3, Init.constant(0.5));
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 7}, 2, 3);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RecordedStep.record(in -> norm.forward(linear.forward(in[0])).sum(), x));
        // the update of the running statistics, in place
        assertTrue(e.getMessage().startsWith("RecordedStep.record: modify changes a tensor") && e.getMessage().contains("BatchNorm"),
                e.getMessage());
    }

    private static Sequential mlp(DType dtype) {
        return (Sequential) MLP.of(new int[] {12, 10, 8, 5}, ReLU::new, Init.heUniform(new SplittableRandom(11))).to(dtype);
    }

    private static Tensor oneHot(SplittableRandom rng, int n, int c, DType dtype) {
        int[] classes = new int[n];
        for (int i = 0; i < n; i++) {
            classes[i] = rng.nextInt(c);
        }
        return Losses.oneHot(classes, c).to(dtype);
    }

    /**
     * One optimizer step of each network, the eager one through {@code eagerLoss}'s backward, the
     * other through a replay; then the losses, parameters and gradients must have the same bits.
     */
    private static void stepBoth(Layer eager, Optimizer eagerOptimizer, Supplier<Tensor> eagerLoss, Layer replayed,
                                 Optimizer replayedOptimizer, Supplier<Tensor> replay, String where) {
        eagerOptimizer.zeroGrad();
        Tensor expected = eagerLoss.get();
        expected.backward();
        eagerOptimizer.step();
        replayedOptimizer.zeroGrad();
        Tensor loss = replay.get();
        replayedOptimizer.step();
        assertEquals(Double.doubleToLongBits(expected.item()), Double.doubleToLongBits(loss.item()), "loss at " + where);
        assertSameParameters(eager.parameters(), replayed.parameters(), where);
    }

    private static void assertSameParameters(List<Tensor> expected, List<Tensor> actual, String where) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).toArray(), actual.get(i).toArray(), "parameter " + i + " at " + where);
            assertArrayEquals(expected.get(i).grad().toArray(), actual.get(i).grad().toArray(), "gradient " + i + " at " + where);
        }
    }
}
