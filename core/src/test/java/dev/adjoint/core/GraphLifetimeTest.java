package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GraphLifetimeTest {

    @Test
    void graphWithSkipConnectionsOf100kNodesBackPropagatesWithoutStackOverflow() {
        // h[i] = 0.5 h[i-1] + 0.5 h[i-7] (+ a shared leaf every 1000 steps): a deep DAG with long skips.
        int n = 100_000;
        Tensor x = Tensor.of(new double[] {0.3}, 1).requiresGrad(true);
        Tensor[] h = new Tensor[n];
        double[] dh = new double[n];
        for (int i = 0; i < n; i++) {
            if (i < 7) {
                h[i] = x.mul(1.0 + i);
                dh[i] = 1.0 + i;
            } else {
                h[i] = h[i - 1].mul(0.5).add(h[i - 7].mul(0.5));
                dh[i] = 0.5 * dh[i - 1] + 0.5 * dh[i - 7];
            }
        }
        h[n - 1].sum().backward();
        assertEquals(dh[n - 1], x.grad().item(), 1e-9 * Math.abs(dh[n - 1]));
    }

    @Test
    void aGraphBecomesUnreachableAfterBackward() throws InterruptedException {
        Tensor w = Tensor.ones(4, 4).requiresGrad(true);
        List<WeakReference<Tensor>> intermediates = new ArrayList<>();
        build(w, intermediates);
        assertTrue(w.grad() != null);
        for (int attempt = 0; attempt < 50 && intermediates.stream().anyMatch(r -> r.get() != null); attempt++) {
            System.gc();
            Thread.sleep(10);
        }
        for (WeakReference<Tensor> r : intermediates) {
            assertNull(r.get(), "an intermediate tensor is still reachable after backward");
        }
        assertTrue(w.grad().isLeaf());
    }

    private static void build(Tensor w, List<WeakReference<Tensor>> refs) {
        Tensor x = Tensor.ones(2, 4);
        Tensor h = x.matmul(w).tanh();
        Tensor y = h.matmul(w).sigmoid().sum();
        refs.add(new WeakReference<>(h));
        refs.add(new WeakReference<>(y));
        y.backward();
    }
}
