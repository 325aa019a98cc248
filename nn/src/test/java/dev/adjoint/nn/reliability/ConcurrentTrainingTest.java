package dev.adjoint.nn.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.Batch;
import dev.adjoint.nn.Dataset;
import dev.adjoint.nn.Dropout;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Layer;
import dev.adjoint.nn.Linear;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.ReLU;
import dev.adjoint.nn.SGD;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Tanh;
import dev.adjoint.nn.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Training on several threads at once must be indistinguishable from training one model after
 * another: grad and anomaly modes are per thread, graphs built on different threads never share
 * scratch state, and a leaf shared by graphs back-propagated concurrently receives every
 * contribution exactly once.
 */
class ConcurrentTrainingTest {
    private static final int THREADS = 8;
    private static final int STEPS = 300;

    /** Model and data of one worker, all derived from its seed. */
    private static Trainer trainer(int seed) {
        SplittableRandom rng = new SplittableRandom(1000 + seed);
        Sequential model = new Sequential(new Linear(4, 16, Init.xavierUniform(rng)), new Tanh(), new Dropout(0.1, rng.split()),
                new Linear(16, 16, Init.xavierUniform(rng)), new Tanh(), new Linear(16, 3, Init.xavierUniform(rng)));
        Adam adam = new Adam(model.parameters(), 0.01).weightDecay(1e-4).amsgrad(seed % 2 == 0);
        return new Trainer(model, adam, (prediction, batch) -> Losses.crossEntropy(prediction, batch.labels()));
    }

    private static Dataset data(int seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] inputs = new double[24][4];
        int[] labels = new int[24];
        for (int i = 0; i < inputs.length; i++) {
            for (int k = 0; k < 4; k++) {
                inputs[i][k] = rng.nextDouble(-1, 1);
            }
            labels[i] = inputs[i][0] + inputs[i][1] > 0 ? (inputs[i][2] > 0 ? 2 : 1) : 0;
        }
        return Dataset.of(inputs, labels);
    }

    /** STEPS mini-batch steps (shuffled batches of 8), returning every parameter, flattened, plus the loss history. */
    private static double[][] run(int seed) {
        Trainer trainer = trainer(seed);
        Dataset data = data(seed);
        double[] history = trainer.fit(data, STEPS / 3, 8, new SplittableRandom(seed));
        List<Tensor> ps = trainer.model().parameters();
        double[][] out = new double[ps.size() + 1][];
        for (int i = 0; i < ps.size(); i++) {
            out[i] = ps.get(i).toArray();
        }
        out[ps.size()] = history;
        return out;
    }

    @Test
    void eightThreadsTrainingIndependentModelsGiveBitwiseTheSequentialParameters() throws Exception {
        double[][][] sequential = new double[THREADS][][];
        for (int t = 0; t < THREADS; t++) {
            sequential[t] = run(t);
        }
        List<double[][]> concurrent = runConcurrently(t -> () -> run(t));
        for (int t = 0; t < THREADS; t++) {
            assertEquals(STEPS, sequential[t][sequential[t].length - 1].length);
            for (int i = 0; i < sequential[t].length; i++) {
                // no tolerance: the same operations in the same order must give the same bits
                assertArrayEquals(sequential[t][i], concurrent.get(t)[i], "thread " + t + ", parameter " + i);
            }
        }
        // Different seeds really are different runs, so the comparison above is not vacuous.
        assertFalse(java.util.Arrays.equals(sequential[0][0], sequential[1][0]));
    }

    /**
     * Four roles run in lock step (a barrier per round), so every role's scope is open while the
     * others work: trainers must keep recording under a neighbour's noGrad, evaluators must stay
     * unrecorded while neighbours train, and anomaly mode must fire on its own thread only.
     */
    @Test
    void gradAndAnomalyScopesNeverLeakBetweenTrainingThreads() throws Exception {
        int rounds = 100;
        CyclicBarrier barrier = new CyclicBarrier(THREADS);
        List<String> results = runConcurrently(t -> () -> {
            Trainer trainer = trainer(t);
            Batch batch = data(t).all();
            int role = t % 4;
            Autograd.Scope held = role == 1 ? Autograd.noGrad() : role == 2 ? Autograd.detectAnomaly() : null;
            try {
                for (int r = 0; r < rounds; r++) {
                    barrier.await(30, TimeUnit.SECONDS);
                    switch (role) {
                        case 0 -> {
                            // training: every loss is recorded whatever the neighbours have switched on
                            assertTrue(Autograd.isGradEnabled(), "grad mode leaked into a training thread");
                            trainer.step(batch);
                            assertTrue(trainer.model().forward(batch.inputs()).requiresGrad());
                        }
                        case 1 -> {
                            // evaluation under a noGrad held for the whole run
                            assertFalse(Autograd.isGradEnabled(), "a neighbour's scope closed this thread's noGrad");
                            Tensor out = trainer.model().forward(batch.inputs());
                            assertFalse(out.requiresGrad(), "recorded under noGrad");
                            // a scope opened and closed inside a round nests and unwinds correctly
                            try (Autograd.Scope inner = Autograd.noGrad()) {
                                assertFalse(Autograd.isGradEnabled());
                            }
                            assertFalse(Autograd.isGradEnabled());
                        }
                        case 2 -> {
                            // anomaly mode: NaN is an error here, and ordinary training still works
                            assertThrows(ArithmeticException.class, () -> Tensor.of(new double[] {-1}, 1).log());
                            trainer.step(batch);
                        }
                        default -> {
                            // no anomaly mode: NaN is an ordinary value, and training is recorded
                            assertTrue(Double.isNaN(Tensor.of(new double[] {-1}, 1).log().item()), "anomaly mode leaked");
                            assertTrue(Autograd.isGradEnabled());
                            trainer.step(batch);
                        }
                    }
                    barrier.await(30, TimeUnit.SECONDS);
                }
            } finally {
                if (held != null) {
                    held.close();
                }
            }
            assertTrue(Autograd.isGradEnabled(), "scope not unwound on thread " + t);
            return "thread " + t + " role " + role + " ok";
        });
        assertEquals(THREADS, results.size());
        // Nothing leaked into this (the test's) thread either.
        assertTrue(Autograd.isGradEnabled());
    }

    /**
     * Every thread has its own head on top of one shared layer and back-propagates its own graphs
     * through it, concurrently. All values are small dyadic rationals, so floating-point sums are
     * exact in any order and the shared gradient must equal the sequential sum to the last bit.
     */
    @Test
    void aSharedLayerTrainedFromManyThreadsAccumulatesExactlyTheSumOfTheirGradients() throws Exception {
        int passes = 200;
        Linear shared = new Linear(4, 3, Init.constant(0.5));
        List<Layer> heads = new ArrayList<>();
        List<Tensor> inputs = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            heads.add(new Linear(3, 2, Init.constant(t + 1)));
            double[] x = new double[8];
            for (int i = 0; i < x.length; i++) {
                x[i] = ((i * 7 + t * 3) % 9) - 3; // integers in [-3, 5]: some ReLU units off, some on
            }
            inputs.add(Tensor.of(x, 2, 4));
        }
        // Expected: each thread's gradient, computed alone with Autograd.grad (which touches no grad()).
        double[][] expectedShared = new double[2][];
        double[][][] expectedHeads = new double[THREADS][][];
        for (int t = 0; t < THREADS; t++) {
            Sequential model = new Sequential(shared, new ReLU(), heads.get(t));
            List<Tensor> params = model.parameters();
            List<Tensor> g = Autograd.grad(model.forward(inputs.get(t)).sum(), params, false);
            for (int k = 0; k < 2; k++) {
                double[] gk = g.get(k).toArray();
                expectedShared[k] = expectedShared[k] == null ? new double[gk.length] : expectedShared[k];
                for (int i = 0; i < gk.length; i++) {
                    expectedShared[k][i] += passes * gk[i];
                }
            }
            expectedHeads[t] = new double[][] {scaled(g.get(2), passes), scaled(g.get(3), passes)};
        }
        runConcurrently(t -> () -> {
            Sequential model = new Sequential(shared, new ReLU(), heads.get(t));
            for (int p = 0; p < passes; p++) {
                model.forward(inputs.get(t)).sum().backward();
            }
            return null;
        });
        assertArrayEquals(expectedShared[0], shared.weight().grad().toArray(), "shared weight gradient");
        assertArrayEquals(expectedShared[1], shared.bias().grad().toArray(), "shared bias gradient");
        for (int t = 0; t < THREADS; t++) {
            Linear head = (Linear) heads.get(t);
            assertArrayEquals(expectedHeads[t][0], head.weight().grad().toArray(), "head " + t + " weight gradient");
            assertArrayEquals(expectedHeads[t][1], head.bias().grad().toArray(), "head " + t + " bias gradient");
        }
        // The shared gradient is not trivially zero (all ReLU units off would make the test vacuous).
        assertTrue(java.util.Arrays.stream(expectedShared[0]).anyMatch(v -> v != 0));

        // And a step on the accumulated gradient is a plain SGD step on the sum.
        double[] before = shared.weight().toArray();
        new SGD(shared.parameters(), 0.25).step();
        double[] after = shared.weight().toArray();
        for (int i = 0; i < before.length; i++) {
            assertEquals(before[i] - 0.25 * expectedShared[0][i], after[i], 0.0);
        }
    }

    private static double[] scaled(Tensor t, int factor) {
        double[] v = t.toArray();
        for (int i = 0; i < v.length; i++) {
            v[i] *= factor;
        }
        return v;
    }

    /** Runs one task per thread, all released at once, and returns their results in thread order. */
    private static <T> List<T> runConcurrently(java.util.function.IntFunction<Callable<T>> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                Callable<T> c = task.apply(t);
                futures.add(pool.submit(() -> {
                    go.await();
                    return c.call();
                }));
            }
            go.countDown();
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get(120, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
