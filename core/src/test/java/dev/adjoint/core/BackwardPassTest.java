package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * A backward pass is a value: concurrent passes through one shared graph, and passes started from
 * inside an op's backward, each see only their own pending gradients.
 */
class BackwardPassTest {
    private static final int THREADS = 8;

    /**
     * A graph whose interior is shared by everything built on it: a diamond (h used twice), a
     * broadcast, a matmul and a softmax, so that many nodes receive several contributions.
     */
    private static Tensor sharedInterior(Tensor x, Tensor w) {
        Tensor h = x.matmul(w).tanh();
        return h.mul(h.sigmoid()).add(h.softmax(-1)).sub(x.sum(0, true).matmul(w));
    }

    @Test
    void eightThreadsBackPropagatingThroughOneSharedGraphGetTheSequentialBits() throws Exception {
        SplittableRandom rng = new SplittableRandom(11);
        Tensor x = Tensor.randn(rng, 6, 5).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 5, 5).requiresGrad(true);
        Tensor interior = sharedInterior(x, w);
        // each thread differentiates its own weighting of the same recorded interior
        List<Tensor> weights = new ArrayList<>();
        List<double[][]> expected = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Tensor c = Tensor.randn(rng, 6, 5);
            weights.add(c);
            List<Tensor> g = Autograd.grad(interior.mul(c).sum(), List.of(x, w), false);
            expected.add(new double[][] {g.get(0).toArray(), g.get(1).toArray()});
        }
        onEightThreadsAtOnce(thread -> {
            Tensor loss = interior.mul(weights.get(thread)).sum();
            for (int i = 0; i < 300; i++) {
                List<Tensor> g = Autograd.grad(loss, List.of(x, w), false);
                assertArrayEquals(expected.get(thread)[0], g.get(0).toArray(), 0.0, "thread " + thread + ", pass " + i);
                assertArrayEquals(expected.get(thread)[1], g.get(1).toArray(), 0.0, "thread " + thread + ", pass " + i);
            }
        });
    }

    /** Work for one of the threads, given its number. */
    private interface ThreadBody {
        void run(int thread) throws Exception;
    }

    /** Runs {@code body} on eight threads released together, and rethrows the first failure. */
    private static void onEightThreadsAtOnce(ThreadBody body) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    body.run(thread);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void eightThreadsAccumulatingThroughOneSharedGraphGiveTheExactSum() throws Exception {
        // small whole numbers: every partial sum is exact, so the total must be exactly 8 x 250 x one pass
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        Tensor h = x.mul(x).add(x.mul(3.0));           // shared interior, x used three times
        Tensor loss = h.mul(h.sum(1, true)).sum();      // h used twice, through a broadcast
        loss.backward();
        double[] once = x.grad().toArray();
        x.zeroGrad();
        int passes = 250;
        onEightThreadsAtOnce(thread -> {
            for (int i = 0; i < passes; i++) {
                loss.backward();
            }
        });
        double[] total = x.grad().toArray();
        for (int i = 0; i < once.length; i++) {
            assertEquals(once[i] * THREADS * passes, total[i], 0.0, "element " + i);
        }
    }

    /** x^3, whose backward finds 3x^2 by differentiating a graph of its own. */
    private static final CustomOp CUBE_BY_INNER_GRAD = new CustomOp() {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0]);
            return in[0].mul(in[0]).mul(in[0]);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor gradOutput) {
            Tensor slope;
            try (Autograd.Scope recording = Autograd.enableGrad()) {
                Tensor inner = ctx.saved(0).detach().requiresGrad(true);
                slope = Autograd.grad(inner.mul(inner).mul(inner).sum(), List.of(inner), false).get(0);
            }
            return new Tensor[] {gradOutput.mul(slope)};
        }
    };

    @Test
    void aCustomOpWhoseBackwardCallsAutogradGradWorks() {
        Tensor x = Tensor.of(new double[] {1, -2, 0.5}, 3).requiresGrad(true);
        Tensor y = CUBE_BY_INNER_GRAD.apply(x.mul(2.0)).add(x).sum();
        y.backward();
        // d/dx sum((2x)^3 + x) = 24 x^2 + 1
        assertArrayEquals(new double[] {25, 97, 7}, x.grad().toArray(), 1e-12);

        // the same through Autograd.grad, which is itself then the outer pass
        List<Tensor> g = Autograd.grad(CUBE_BY_INNER_GRAD.apply(x).sum(), List.of(x), false);
        assertArrayEquals(new double[] {3, 12, 0.75}, g.get(0).toArray(), 1e-12);
    }

    @Test
    void aCustomOpWhoseBackwardRunsAPlainBackwardOfItsOwnLeavesTheOuterPassIntact() {
        Tensor inner = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        CustomOp sideEffect = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(5.0);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor gradOutput) {
                try (Autograd.Scope recording = Autograd.enableGrad()) {
                    inner.mul(inner).sum().backward();
                }
                return new Tensor[] {gradOutput.mul(5.0)};
            }
        };
        Tensor x = Tensor.of(new double[] {3}, 1).requiresGrad(true);
        Tensor h = x.mul(x);
        sideEffect.apply(h).add(h).sum().backward();
        // d/dx (5 x^2 + x^2) = 12 x
        assertArrayEquals(new double[] {36}, x.grad().toArray());
        assertArrayEquals(new double[] {2, 4}, inner.grad().toArray());
    }

    @Test
    void theExactNumberingGivesTheSameBitsAsTheStampedOne() {
        // the exact path is what a pass falls back to when another pass overwrote its stamps
        SplittableRandom rng = new SplittableRandom(12);
        Tensor x = Tensor.randn(rng, 6, 5).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 5, 5).requiresGrad(true);
        Tensor h = sharedInterior(x, w);
        Tensor loss = h.mul(h).sum().add(h.narrow(0, 1, 3).sum()).mul(x.tanh().sum());
        List<Tensor> stamped = Autograd.grad(loss, List.of(x, w, h), false);
        Tensor[] exact;
        try (Autograd.Scope off = Autograd.noGrad()) {
            BackwardPass pass = new BackwardPass(true);
            exact = pass.run(loss, Tensor.scalar(1.0), false, new Tensor[] {x, w, h}, Autograd.state());
        }
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(stamped.get(i).toArray(), exact[i].toArray(), 0.0, "target " + i);
        }
    }

    @Test
    void staleStampsThatCarryTheNextPassesSerialCannotMisleadIt() {
        // what 2^40 passes later would look like: every node stamped with the serial the next pass
        // gets, and slots that belong to other nodes
        Tensor x = Tensor.of(new double[] {0.5, -1, 2}, 3).requiresGrad(true);
        List<Tensor> interior = new ArrayList<>();
        Tensor y = x;
        for (int i = 0; i < 6; i++) {
            y = y.sin().mul(y).add(x);
            interior.add(y);
        }
        Tensor loss = y.sum();
        double[] expected = Autograd.grad(loss, List.of(x), false).get(0).toArray();
        Autograd.ThreadState state = Autograd.state();
        for (int pass = 0; pass < 3; pass++) {
            long next = state.passSerial == state.passSerialEnd ? -1 : state.passSerial & (-1L >>> 24);
            if (next < 0) {
                Autograd.grad(loss, List.of(x), false); // refills the block; the next one is predictable
                continue;
            }
            for (int i = 0; i < interior.size(); i++) {
                interior.get(i).node().visit(next << 24 | ((i + pass) % 3));
            }
            loss.node().visit(next << 24 | 1);
            assertArrayEquals(expected, Autograd.grad(loss, List.of(x), false).get(0).toArray(), 0.0, "pass " + pass);
        }
    }

    @Test
    void aLongChainIsNumberedAndSweptWithoutRecursion() {
        Tensor x = Tensor.of(new double[] {1}, 1).requiresGrad(true);
        Tensor y = x;
        for (int i = 0; i < 100_000; i++) {
            y = y.add(y.mul(1e-6)); // each node used twice
        }
        y.sum().backward();
        assertEquals(Math.pow(1 + 1e-6, 100_000), x.grad().item(), 1e-9);
    }

    @Test
    void enableGradRestoresTheModeItFound() {
        try (Autograd.Scope off = Autograd.noGrad()) {
            try (Autograd.Scope on = Autograd.enableGrad()) {
                assertEquals(true, Autograd.isGradEnabled());
            }
            assertEquals(false, Autograd.isGradEnabled());
        }
        assertEquals(true, Autograd.isGradEnabled());
    }
}
