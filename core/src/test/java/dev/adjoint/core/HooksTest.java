package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Tensor hooks and retained gradients, with PyTorch's semantics. */
class HooksTest {

    private static Tensor vec(double... v) {
        return Tensor.of(v, v.length).requiresGrad(true);
    }

    @Test
    void hooksRunInTheOrderRegisteredEachOnThePreviousResult() {
        Tensor x = vec(1, 2);
        Tensor y = x.mul(3.0);
        List<String> calls = new ArrayList<>();
        List<double[]> seen = new ArrayList<>();
        y.registerHook(g -> {
            calls.add("first");
            seen.add(g.toArray());
            return g.mul(2.0);
        });
        y.registerHook(g -> {
            calls.add("second");
            seen.add(g.toArray());
            return g.add(1.0);
        });
        y.sum().backward();
        assertEquals(List.of("first", "second"), calls);
        assertArrayEquals(new double[] {1, 1}, seen.get(0));
        assertArrayEquals(new double[] {2, 2}, seen.get(1));
        // dy/dx = 3 applied to the replaced gradient 2 * 1 + 1
        assertArrayEquals(new double[] {9, 9}, x.grad().toArray());
    }

    @Test
    void anInteriorHookSeesTheGradientSummedOverItsUsesOnce() {
        Tensor x = vec(1, 2);
        Tensor y = x.mul(2.0);
        AtomicInteger calls = new AtomicInteger();
        List<double[]> seen = new ArrayList<>();
        y.registerHook(g -> {
            calls.incrementAndGet();
            seen.add(g.toArray());
            return null;
        });
        y.mul(y).add(y).sum().backward(); // d/dy (y^2 + y) = 2y + 1 = [5, 9]
        assertEquals(1, calls.get());
        assertArrayEquals(new double[] {5, 9}, seen.get(0));
        assertArrayEquals(new double[] {10, 18}, x.grad().toArray(), "null keeps the gradient");
    }

    @Test
    void aLeafHookSeesItsWholeGradientBeforeAccumulationAndMayReplaceIt() {
        Tensor x = vec(1, 2);
        x.mul(x).sum().backward(); // grad 2x, accumulated before the hook exists
        AtomicInteger calls = new AtomicInteger();
        List<double[]> seen = new ArrayList<>();
        x.registerHook(g -> {
            calls.incrementAndGet();
            seen.add(g.toArray());
            return g.neg();
        });
        x.mul(x).add(x.mul(5.0)).sum().backward(); // three uses of x: 2x + 5
        assertEquals(1, calls.get(), "one call per pass, on the summed gradient");
        assertArrayEquals(new double[] {7, 9}, seen.get(0));
        assertArrayEquals(new double[] {2 - 7, 4 - 9}, x.grad().toArray());
    }

    @Test
    void hooksApplyToAutogradGradOnLeavesAndInteriorTensors() {
        Tensor x = vec(1, 2);
        Tensor y = x.mul(x);
        y.registerHook(g -> g.mul(10.0));
        x.registerHook(g -> g.add(1.0));
        Tensor out = y.sum();
        List<Tensor> g = Autograd.grad(out, List.of(x, y), false);
        assertArrayEquals(new double[] {21, 41}, g.get(0).toArray()); // 10 * 2x, then + 1
        assertArrayEquals(new double[] {10, 10}, g.get(1).toArray());
        assertNull(x.grad());
    }

    @Test
    void aRemovedHookNoLongerRuns() {
        Tensor x = vec(1, 2);
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        Registration r1 = x.registerHook(g -> {
            first.incrementAndGet();
            return g.mul(100.0);
        });
        x.registerHook(g -> {
            second.incrementAndGet();
            return null;
        });
        r1.remove();
        r1.remove(); // idempotent
        x.sum().backward();
        assertEquals(0, first.get());
        assertEquals(1, second.get());
        assertArrayEquals(new double[] {1, 1}, x.grad().toArray());

        Tensor y = x.mul(2.0);
        AtomicInteger interior = new AtomicInteger();
        Registration r = y.registerHook(g -> {
            interior.incrementAndGet();
            return g.mul(0.0);
        });
        r.remove();
        x.zeroGrad();
        y.sum().backward();
        assertEquals(0, interior.get());
        assertArrayEquals(new double[] {2, 2}, x.grad().toArray());
    }

    @Test
    void aHookReturningAnotherShapeIsRefusedNamingTheTensorAndBothShapes() {
        Tensor x = Tensor.ones(2, 3).requiresGrad(true);
        Tensor y = x.matmul(Tensor.ones(3, 4));
        y.registerHook(g -> g.sum(1, false));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertTrue(e.getMessage().contains("hook 0 of the tensor of shape [2, 4]"), e.getMessage());
        assertTrue(e.getMessage().contains("matmul"), e.getMessage());
        assertTrue(e.getMessage().contains("returned a gradient of shape [2]"), e.getMessage());
        assertNull(x.grad(), "a refused pass accumulates nothing");

        Tensor leaf = vec(1, 2, 3);
        leaf.registerHook(g -> Tensor.zeros(1, 3));
        IllegalStateException f = assertThrows(IllegalStateException.class, () -> leaf.mul(2.0).sum().backward());
        assertTrue(f.getMessage().contains("tensor of shape [3] (a leaf)"), f.getMessage());
        assertTrue(f.getMessage().contains("[1, 3]"), f.getMessage());
        assertNull(leaf.grad());
    }

    @Test
    void aHookReturningAnotherDtypeIsRefusedNamingBoth() {
        for (DType dtype : DType.values()) {
            DType other = dtype == DType.FLOAT32 ? DType.FLOAT64 : DType.FLOAT32;
            Tensor leaf = Tensor.of(new double[] {1, 2, 3}, 3).to(dtype).requiresGrad(true);
            leaf.registerHook(g -> g.to(other));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> leaf.mul(2.0).sum().backward());
            assertTrue(e.getMessage().contains("hook 0 of the " + dtype + " tensor of shape [3] (a leaf) returned a " + other + " gradient"),
                    e.getMessage());
            assertNull(leaf.grad(), "a refused pass accumulates nothing");

            Tensor y = Tensor.ones(2, 3).to(dtype).requiresGrad(true).mul(3.0);
            y.registerHook(g -> g.to(other));
            IllegalStateException f = assertThrows(IllegalStateException.class, () -> y.sum().backward());
            assertTrue(f.getMessage().contains("returned a " + other + " gradient; it must return the gradient's dtype " + dtype), f.getMessage());
        }
    }

    @Test
    void hooksNeedATensorThatRequiresGrad() {
        Tensor c = Tensor.ones(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.registerHook(g -> g));
        assertTrue(e.getMessage().contains("does not require grad"), e.getMessage());
        assertThrows(IllegalStateException.class, c::retainGrad);
        assertThrows(IllegalArgumentException.class, () -> vec(1).registerHook(null));
    }

    @Test
    void retainGradKeepsAnInteriorGradientAfterBackwardAndAccumulates() {
        Tensor x = vec(1, 2);
        Tensor y = x.mul(x);
        Tensor z = y.mul(3.0);
        assertSame(y, y.retainGrad());
        z.sum().backward();
        assertArrayEquals(new double[] {3, 3}, y.grad().toArray());
        assertNull(z.grad(), "not retained");
        z.sum().backward();
        assertArrayEquals(new double[] {6, 6}, y.grad().toArray());
        y.zeroGrad();
        assertArrayEquals(new double[] {0, 0}, y.grad().toArray());
        Autograd.grad(z.sum(), List.of(x), false);
        assertArrayEquals(new double[] {0, 0}, y.grad().toArray(), "Autograd.grad touches no grad()");
        assertSame(x, x.retainGrad(), "a no-op on a leaf");
    }

    @Test
    void aRetainedGradientIsTheHookedOne() {
        Tensor x = vec(1, 2);
        Tensor y = x.mul(2.0).retainGrad();
        y.registerHook(g -> g.mul(5.0));
        y.sum().backward();
        assertArrayEquals(new double[] {5, 5}, y.grad().toArray());
        assertArrayEquals(new double[] {10, 10}, x.grad().toArray());
    }

    @Test
    void hooksRunUnderRecordingWhenTheGraphIsCreated() {
        Tensor x = vec(1, 2);
        Tensor y = x.mul(x);
        Registration r = y.registerHook(g -> g.mul(y)); // the replacement depends on x: second order sees it
        Tensor gx = Autograd.grad(y.sum(), List.of(x), true).get(0); // 2x * x^2 = 2x^3
        assertArrayEquals(new double[] {2, 16}, gx.toArray());
        r.remove(); // it would run in the second pass too
        Tensor ggx = Autograd.grad(gx.sum(), List.of(x), false).get(0); // 6x^2
        assertArrayEquals(new double[] {6, 24}, ggx.toArray());
    }

    @Test
    void concurrentPassesRunEveryHookOncePerPass() throws Exception {
        Tensor x = vec(1, 2, 3);
        Tensor y = x.mul(x);
        AtomicInteger interior = new AtomicInteger();
        AtomicInteger leaf = new AtomicInteger();
        y.registerHook(g -> {
            interior.incrementAndGet();
            return g.mul(2.0);
        });
        x.registerHook(g -> {
            leaf.incrementAndGet();
            return null;
        });
        int threads = 8;
        int passes = 200;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<double[]> wrong = Collections.synchronizedList(new ArrayList<>());
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < passes; i++) {
                        double[] g = Autograd.grad(y.sum(), List.of(x), false).get(0).toArray();
                        if (g[0] != 4 || g[1] != 8 || g[2] != 12) {
                            wrong.add(g);
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertTrue(wrong.isEmpty());
        assertEquals(threads * passes, interior.get());
        assertEquals(threads * passes, leaf.get());
    }

    @Test
    void aHookMayKeepTheGradientsItSees() {
        // a plain backward recycles its intermediate gradients' memory unless a hook saw them
        Tensor x = Tensor.ones(64, 64).requiresGrad(true);
        List<Tensor> kept = new ArrayList<>();
        Tensor y = x.mul(2.0);
        y.registerHook(g -> {
            Tensor h = g.mul(3.0);
            kept.add(h);
            return h;
        });
        y.exp().sum().backward();
        double[] before = kept.get(0).toArray();
        for (int i = 0; i < 5; i++) {
            Tensor.ones(64, 64).requiresGrad(true).mul(7.0).exp().sum().backward();
        }
        assertArrayEquals(before, kept.get(0).toArray());
    }
}
