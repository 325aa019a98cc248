package dev.adjoint.nn.reliability;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.MLP;
import dev.adjoint.nn.SGD;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Tanh;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Long training runs must not leak: every step builds a fresh graph, and once {@code backward()}
 * and {@code step()} are done nothing may keep it alive (not the parameters, not their gradients,
 * not the optimizer state, not a thread-local). A leak of a single byte per step shows up as
 * ~1 MB over a million steps, far above the 1% tolerance on a heap of a few MB.
 *
 * <p>The step count is {@value #DEFAULT_STEPS} by default and can be raised with
 * {@code -Dadjoint.soak.steps=N} (the {@code soak} Maven profile does that).
 */
class MemorySoakTest {
    static final int DEFAULT_STEPS = 1_000_000;
    /** Heap samples after warm-up; each is compared with the first. */
    private static final int CHECKPOINTS = 5;

    @Test
    void aMillionTrainingStepsOfASmallMlpKeepTheHeapFlat() throws InterruptedException {
        int steps = Integer.getInteger("adjoint.soak.steps", DEFAULT_STEPS);
        Sequential model = MLP.of(new int[] {2, 4, 1}, Tanh::new, Init.xavierUniform(new SplittableRandom(7)));
        SGD sgd = new SGD(model.parameters(), 0.05);
        Tensor x = Tensor.of(new double[] {0, 0, 0, 1, 1, 0, 1, 1}, 4, 2);
        Tensor y = Tensor.of(new double[] {0, 1, 1, 0}, 4, 1);
        double firstLoss = train(model, sgd, x, y, 1);

        // Warm-up: JIT compilation, optimizer state and lazily created thread-locals settle first.
        int warmUp = Math.max(1, steps / 10);
        train(model, sgd, x, y, warmUp);
        int per = (steps - warmUp) / CHECKPOINTS;
        long baseline = usedHeapAfterGc();
        List<Long> samples = new ArrayList<>();
        long start = System.nanoTime();
        double loss = Double.NaN;
        for (int c = 0; c < CHECKPOINTS; c++) {
            loss = train(model, sgd, x, y, per);
            samples.add(usedHeapAfterGc());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long worst = samples.stream().mapToLong(Long::longValue).max().orElseThrow();
        double growth = 100.0 * (worst - baseline) / baseline;
        System.out.printf(Locale.ROOT, "memory soak: %d steps (%d after warm-up) in %.1f s (%.2f us/step); heap after GC: baseline %d B,"
                + " samples %s, worst growth %.3f%%; loss %.4g -> %.4g%n", warmUp + 1 + per * CHECKPOINTS, per * CHECKPOINTS,
                seconds, 1e6 * seconds / (per * CHECKPOINTS), baseline, samples, growth, firstLoss, loss);
        assertTrue(growth < 1.0, "heap grew by " + growth + "% after warm-up: baseline " + baseline + " B, samples " + samples);
        // The run must really have trained, or a flat heap proves nothing about the training path.
        assertTrue(loss < firstLoss, "loss did not decrease: " + firstLoss + " -> " + loss);
    }

    private static double train(Sequential model, SGD sgd, Tensor x, Tensor y, int steps) {
        double last = Double.NaN;
        for (int s = 0; s < steps; s++) {
            sgd.zeroGrad();
            Tensor loss = Losses.mse(model.forward(x), y);
            loss.backward();
            sgd.step();
            if (s == steps - 1) {
                last = loss.item();
            }
        }
        return last;
    }

    /** The smallest of three post-GC heap readings, to shave off allocations by the JVM's own threads. */
    private static long usedHeapAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
            best = Math.min(best, memory.getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    @Test
    void theGraphOfATrainingStepBecomesUnreachableAfterBackwardAndStep() throws InterruptedException {
        Sequential model = MLP.of(new int[] {3, 5, 2}, Tanh::new, Init.xavierNormal(new SplittableRandom(3)));
        SGD sgd = new SGD(model.parameters(), 0.1).momentum(0.9);
        List<WeakReference<Tensor>> graph = new ArrayList<>();
        oneStep(model, sgd, graph);
        for (int attempt = 0; attempt < 50 && graph.stream().anyMatch(r -> r.get() != null); attempt++) {
            System.gc();
            Thread.sleep(10);
        }
        for (int i = 0; i < graph.size(); i++) {
            assertNull(graph.get(i).get(), "graph tensor " + i + " is still reachable after backward and step");
        }
        // The gradients themselves survive (they are leaves holding values, not graph pieces).
        for (Tensor p : model.parameters()) {
            assertNotNull(p.grad());
            assertTrue(p.grad().isLeaf());
        }
    }

    private static void oneStep(Sequential model, SGD sgd, List<WeakReference<Tensor>> graph) {
        Tensor x = Tensor.of(new double[] {0.1, -0.2, 0.3, 0.4, 0.5, -0.6}, 2, 3);
        Tensor prediction = model.forward(x);
        Tensor loss = Losses.mse(prediction, Tensor.zeros(2, 2));
        graph.add(new WeakReference<>(prediction));
        graph.add(new WeakReference<>(loss));
        loss.backward();
        sgd.step();
    }
}
