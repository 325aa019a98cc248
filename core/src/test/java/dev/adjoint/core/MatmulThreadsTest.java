package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class MatmulThreadsTest {

    @Test
    void aLimitHoldsOnItsThreadUntilTheScopeCloses() throws Exception {
        int all = MatmulThreads.current();
        try (Autograd.Scope outer = MatmulThreads.limit(2)) {
            assertEquals(Math.min(all, 2), MatmulThreads.current());
            try (Autograd.Scope inner = MatmulThreads.limit(1)) {
                assertEquals(1, MatmulThreads.current());
                ExecutorService other = Executors.newSingleThreadExecutor();
                try {
                    assertEquals(all, other.submit(MatmulThreads::current).get(), "another thread keeps its own count");
                } finally {
                    other.shutdown();
                }
            }
            assertEquals(Math.min(all, 2), MatmulThreads.current());
            outer.close();
            outer.close(); // idempotent
            assertEquals(all, MatmulThreads.current());
        }
        assertEquals(all, MatmulThreads.current());
    }

    @Test
    void aLimitNeverChangesABitOfTheProduct() {
        SplittableRandom rng = new SplittableRandom(3);
        double[] a = new double[300 * 200];
        double[] b = new double[200 * 260];
        for (int i = 0; i < a.length; i++) {
            a[i] = rng.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = rng.nextGaussian();
        }
        double[] free = Tensor.of(a, 300, 200).matmul(Tensor.of(b, 200, 260)).toArray();
        double[] capped;
        try (Autograd.Scope s = MatmulThreads.limit(1)) {
            capped = Tensor.of(a, 300, 200).matmul(Tensor.of(b, 200, 260)).toArray();
        }
        assertArrayEquals(free, capped, 0.0);
    }

    @Test
    void aLimitBelowOneIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MatmulThreads.limit(0));
        assertEquals("MatmulThreads.limit: threads must be at least 1, got 0", e.getMessage());
    }
}
