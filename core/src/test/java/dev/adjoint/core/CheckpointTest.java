package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.kernel.NDArray;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Autograd.checkpoint: the same gradients as the plain function, fewer tensors kept. */
class CheckpointTest {
    private static final int DEPTH = 12;
    private static final int WIDTH = 32;
    private static final int BATCH = 16;

    private final List<Tensor> weights = new ArrayList<>();
    private final List<Tensor> biases = new ArrayList<>();
    private final Tensor input;

    CheckpointTest() {
        Random rng = new Random(7);
        for (int i = 0; i < DEPTH; i++) {
            weights.add(Tensor.randn(rng, WIDTH, WIDTH).mul(1.0 / Math.sqrt(WIDTH)).detach().requiresGrad(true));
            biases.add(Tensor.randn(rng, WIDTH).mul(0.1).detach().requiresGrad(true));
        }
        input = Tensor.randn(rng, BATCH, WIDTH);
    }

    private static Tensor layer(List<Tensor> in) {
        return in.get(0).matmul(in.get(1)).add(in.get(2)).tanh();
    }

    /** The MLP's loss; with {@code segment > 0} every run of that many layers is one checkpoint. */
    private Tensor loss(Tensor x, int segment) {
        Tensor h = x;
        for (int i = 0; i < DEPTH; ) {
            int from = i;
            int to = segment > 0 ? Math.min(DEPTH, i + segment) : i + 1;
            List<Tensor> in = new ArrayList<>();
            in.add(h);
            for (int k = from; k < to; k++) {
                in.add(weights.get(k));
                in.add(biases.get(k));
            }
            Function<List<Tensor>, Tensor> block = t -> {
                Tensor y = t.get(0);
                for (int k = 0; k < to - from; k++) {
                    y = layer(List.of(y, t.get(1 + 2 * k), t.get(2 + 2 * k)));
                }
                return y;
            };
            h = segment > 0 ? Autograd.checkpoint(block, in) : block.apply(in);
            i = to;
        }
        return h.mul(h).mean();
    }

    private List<Tensor> params() {
        List<Tensor> p = new ArrayList<>(weights);
        p.addAll(biases);
        return p;
    }

    @Test
    void gradientsAreBitwiseThoseOfThePlainFunction() {
        Tensor x = input.detach().requiresGrad(true);
        List<Tensor> targets = new ArrayList<>(params());
        targets.add(x);
        List<Tensor> plain = Autograd.grad(loss(x, 0), targets, false);
        for (int segment : new int[] {1, 3, DEPTH}) {
            Tensor l = loss(x, segment);
            assertEquals(loss(x, 0).item(), l.item(), 0.0);
            List<Tensor> checked = Autograd.grad(l, targets, false);
            for (int i = 0; i < targets.size(); i++) {
                assertArrayEquals(plain.get(i).toArray(), checked.get(i).toArray(), 0.0, "segment " + segment + ", target " + i);
            }
        }
        // and through backward() into grad()
        loss(x, 2).backward();
        for (int i = 0; i < DEPTH; i++) {
            assertArrayEquals(plain.get(i).toArray(), weights.get(i).grad().toArray(), 0.0);
        }
    }

    @Test
    void secondAndThirdOrderGradientsWorkThroughACheckpoint() {
        Random rng = new Random(3);
        Tensor w = Tensor.randn(rng, 3, 3).detach().requiresGrad(true);
        Tensor x = Tensor.randn(rng, 2, 3).detach().requiresGrad(true);
        Tensor v = Tensor.randn(rng, 3, 3);
        Function<List<Tensor>, Tensor> f = in -> in.get(0).matmul(in.get(1)).tanh().mul(in.get(0).sum()).sin();
        for (boolean checkpointed : new boolean[] {false, true}) {
            Tensor y = checkpointed ? Autograd.checkpoint(f, List.of(x, w)) : f.apply(List.of(x, w));
            Tensor gw = Autograd.grad(y.exp().sum(), List.of(w), true).get(0);
            Tensor hv = Autograd.grad(gw.mul(v).sum(), List.of(w, x), true).get(0);
            Tensor third = Autograd.grad(hv.sum(), List.of(x), false).get(0);
            if (!checkpointed) {
                reference = new double[][] {gw.toArray(), hv.toArray(), third.toArray()};
            } else {
                assertArrayEquals(reference[0], gw.toArray(), 0.0, "first order is bitwise");
                assertArrayEquals(reference[1], hv.toArray(), 1e-12);
                assertArrayEquals(reference[2], third.toArray(), 1e-12);
            }
        }
    }

    private double[][] reference;

    @Test
    void theBackwardRecomputesTheFunctionOnce() {
        AtomicInteger calls = new AtomicInteger();
        Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor y = Autograd.checkpoint(in -> {
            calls.incrementAndGet();
            return in.get(0).exp();
        }, List.of(x));
        assertEquals(1, calls.get());
        y.sum().backward();
        assertEquals(2, calls.get());
        assertArrayEquals(new double[] {Math.exp(1), Math.exp(2)}, x.grad().toArray(), 0.0);
    }

    @Test
    void aTensorThatNeedsAGradientMustBeAnInput() {
        Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor x = Tensor.of(new double[] {3, 4}).requiresGrad(true);
        Tensor y = Autograd.checkpoint(in -> in.get(0).mul(w), List.of(x));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertTrue(e.getMessage().contains("not one of its inputs"), e.getMessage());
        assertNull(x.grad());
        IllegalStateException recorded = assertThrows(IllegalStateException.class,
                () -> Autograd.grad(y.sum(), List.of(x), true));
        assertTrue(recorded.getMessage().contains("of shape [2] that requires grad"), recorded.getMessage());
    }

    @Test
    void withoutAnInputThatRequiresGradTheFunctionSimplyRuns() {
        Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor y = Autograd.checkpoint(in -> in.get(0).mul(w), List.of(Tensor.of(new double[] {3, 4})));
        y.sum().backward();
        assertArrayEquals(new double[] {3, 4}, w.grad().toArray(), 0.0);
        assertThrows(IllegalArgumentException.class, () -> Autograd.checkpoint(null, List.of()));
        assertThrows(IllegalArgumentException.class, () -> Autograd.checkpoint(in -> in.get(0), null));
    }

    @Test
    void anInputNotUsedGetsZerosAndTheOutputMayBeAnInput() {
        Tensor a = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {5}).requiresGrad(true);
        Autograd.checkpoint(in -> in.get(0), List.of(a, b)).sum().backward();
        assertArrayEquals(new double[] {1, 1}, a.grad().toArray(), 0.0);
        assertArrayEquals(new double[] {0}, b.grad().toArray(), 0.0, "zeros, as Autograd.grad gives");
    }

    @Test
    void underNoGradTheFunctionRunsUnrecorded() {
        Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        AtomicInteger calls = new AtomicInteger();
        try (Autograd.Scope off = Autograd.noGrad()) {
            Tensor y = Autograd.checkpoint(in -> {
                calls.incrementAndGet();
                return in.get(0).mul(3.0);
            }, List.of(x));
            assertArrayEquals(new double[] {3, 6}, y.toArray(), 0.0);
            assertFalse(y.requiresGrad());
        }
        assertEquals(1, calls.get());
    }

    @Test
    void concurrentBackwardPassesThroughOneCheckpointAgree() throws Exception {
        Tensor x = input.detach().requiresGrad(true);
        Tensor loss = loss(x, 3);
        List<Tensor> targets = params();
        List<Tensor> expected = Autograd.grad(loss, targets, false);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<List<Tensor>>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                runs.add(pool.submit(() -> Autograd.grad(loss, targets, false)));
            }
            for (java.util.concurrent.Future<List<Tensor>> run : runs) {
                List<Tensor> got = run.get();
                for (int i = 0; i < targets.size(); i++) {
                    assertArrayEquals(expected.get(i).toArray(), got.get(i).toArray(), 0.0);
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    /**
     * What a graph keeps alive: the distinct buffers referenced by its reachable nodes (their
     * inputs and saved tensors). Prints the numbers for the deep MLP.
     */
    @Test
    void aCheckpointedMlpKeepsFewerTensorsAlive() {
        Tensor x = input.detach().requiresGrad(true);
        long[] plain = retained(loss(x, 0));
        long[] perLayer = retained(loss(x, 1));
        long[] perFour = retained(loss(x, 4));
        System.out.printf("checkpoint, %d-layer MLP (width %d, batch %d): plain %d buffers / %d bytes;"
                + " checkpoint per layer %d / %d; per 4 layers %d / %d%n", DEPTH, WIDTH, BATCH, plain[0], plain[1],
                perLayer[0], perLayer[1], perFour[0], perFour[1]);
        long activation = 8L * BATCH * WIDTH;
        long parameters = 8L * DEPTH * (WIDTH * WIDTH + WIDTH);
        // plain keeps ~3 activations per layer (matmul, add, tanh results), a checkpoint one per
        // segment; the loss keeps a few more (its square, a scalar)
        assertTrue(plain[1] - parameters >= 3 * DEPTH * activation, "plain " + plain[1]);
        assertTrue(perLayer[1] - parameters <= (DEPTH + 3) * activation, "per layer " + perLayer[1]);
        assertTrue(perFour[1] - parameters <= (DEPTH / 4 + 3) * activation, "per 4 layers " + perFour[1]);
    }

    private static long[] retained(Tensor out) {
        Set<NDArray> buffers = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Node> todo = new ArrayDeque<>();
        todo.push(out.node());
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (!seen.add(n)) {
                continue;
            }
            for (Tensor in : n.inputs) {
                buffers.add(in.value());
                if (in.node() != null) {
                    todo.push(in.node());
                }
            }
            for (int i = 0; i < n.savedCount(); i++) {
                buffers.add(n.saved(i).value());
            }
        }
        long bytes = 0;
        for (NDArray b : buffers) {
            bytes += 8L * b.size();
        }
        return new long[] {buffers.size(), bytes};
    }
}
