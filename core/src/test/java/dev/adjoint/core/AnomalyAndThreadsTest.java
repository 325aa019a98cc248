package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class AnomalyAndThreadsTest {

    @Test
    void anomalyModeNamesTheForwardOpAndTheUserLine() {
        Tensor x = Tensor.of(new double[] {4, -1}, 2).requiresGrad(true);
        try (Autograd.Scope s = Autograd.detectAnomaly()) {
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> x.sqrt());
            assertTrue(e.getMessage().startsWith("sqrt"), e.getMessage());
            assertTrue(e.getMessage().contains("AnomalyAndThreadsTest"), e.getMessage());
        }
    }

    @Test
    void anomalyInBackwardIsAttributedToTheOpWhoseFormulaProducedIt() {
        // sqrt(0) is fine forward, but its derivative 1 / (2 sqrt 0) is infinite.
        Tensor x = Tensor.of(new double[] {0, 4}, 2).requiresGrad(true);
        try (Autograd.Scope s = Autograd.detectAnomaly()) {
            Tensor y = x.sqrt().mul(3.0).sum();
            ArithmeticException e = assertThrows(ArithmeticException.class, y::backward);
            assertTrue(e.getMessage().startsWith("sqrt: backward"), e.getMessage());
            assertTrue(e.getMessage().contains("AnomalyAndThreadsTest"), e.getMessage());
        }
    }

    @Test
    void outsideAnomalyModeNaNIsAnOrdinaryValue() {
        Tensor x = Tensor.of(new double[] {-1}, 1).requiresGrad(true);
        Tensor y = x.sqrt().sum();
        assertTrue(Double.isNaN(y.item()));
        y.backward();
        assertTrue(Double.isNaN(x.grad().item()));
    }

    @Test
    void anomalyModeIsPerThread() throws Exception {
        try (Autograd.Scope s = Autograd.detectAnomaly()) {
            Thread t = new Thread(() -> Tensor.of(new double[] {-1}, 1).requiresGrad(true).log());
            List<Throwable> errors = new ArrayList<>();
            t.setUncaughtExceptionHandler((th, ex) -> errors.add(ex));
            t.start();
            t.join();
            assertTrue(errors.isEmpty(), "anomaly mode leaked into another thread: " + errors);
        }
    }

    @Test
    void noGradIsPerThread() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch checked = new CountDownLatch(1);
        boolean[] otherEnabled = new boolean[1];
        Thread t = new Thread(() -> {
            try {
                inside.await();
                otherEnabled[0] = Autograd.isGradEnabled()
                        && Tensor.ones(1).requiresGrad(true).mul(2.0).requiresGrad();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                checked.countDown();
            }
        });
        t.start();
        try (Autograd.Scope s = Autograd.noGrad()) {
            inside.countDown();
            checked.await();
        }
        t.join();
        assertTrue(otherEnabled[0]);
    }

    @Test
    void scopeClosedOnAnotherThreadIsRefused() throws Exception {
        Autograd.Scope s = Autograd.noGrad();
        try {
            Throwable[] seen = new Throwable[1];
            Thread t = new Thread(() -> {
                try {
                    s.close();
                } catch (Throwable e) {
                    seen[0] = e;
                }
            });
            t.start();
            t.join();
            assertTrue(seen[0] instanceof IllegalStateException, String.valueOf(seen[0]));
        } finally {
            s.close();
        }
        assertTrue(Autograd.isGradEnabled());
    }

    @Test
    void independentGraphsOnManyThreadsGiveTheSequentialResult() throws Exception {
        int threads = 8;
        double[][] expected = new double[threads][];
        for (int i = 0; i < threads; i++) {
            expected[i] = run(i);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<double[]>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int seed = i;
                results.add(pool.submit(() -> run(seed)));
            }
            for (int i = 0; i < threads; i++) {
                assertArrayEquals(expected[i], results.get(i).get());
            }
        } finally {
            pool.shutdown();
        }
    }

    private static double[] run(int seed) {
        java.util.random.RandomGenerator rng = new java.util.SplittableRandom(seed);
        Tensor w = Tensor.randn(rng, 4, 3).requiresGrad(true);
        Tensor x = Tensor.randn(rng, 5, 4);
        for (int step = 0; step < 200; step++) {
            Tensor loss = x.matmul(w).tanh().pow(2).mean();
            w.zeroGrad();
            loss.backward();
            double[] g = w.grad().toArray();
            w.modify(d -> {
                for (int i = 0; i < d.length; i++) {
                    d[i] -= 0.1 * g[i];
                }
            });
        }
        return w.toArray();
    }

    @Test
    void sharedLeafAccumulatesTheSumOfConcurrentBackwardPasses() throws Exception {
        Tensor shared = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        int threads = 8;
        int passes = 200;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < passes; i++) {
                        shared.mul(2.0).sum().backward();
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        double total = 2.0 * threads * passes;
        assertArrayEquals(new double[] {total, total, total}, shared.grad().toArray());
        assertEquals(3, shared.grad().size());
    }
}
