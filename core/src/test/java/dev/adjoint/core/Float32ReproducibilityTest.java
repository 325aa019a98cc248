package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * float32 results are reproducible bit for bit: a mid-size program (conv2d, max pooling, a matmul
 * of depth 1024, softmax, logSumExp and the reductions) gives the same value
 * and gradients, compared as float bits, when run again and when run on two threads at once.
 */
class Float32ReproducibilityTest {

    /** The value and every gradient of one run, as float bits. */
    private static List<int[]> run() {
        SplittableRandom rng = new SplittableRandom(32);
        Tensor x = Tensor.randn(DType.FLOAT32, rng, 8, 3, 16, 16).requiresGrad(true);
        Tensor kernel = Tensor.randn(DType.FLOAT32, rng, 16, 3, 3, 3).mul(0.2).detach().requiresGrad(true);
        Tensor bias = Tensor.randn(DType.FLOAT32, rng, 16).requiresGrad(true);
        Tensor weight = Tensor.randn(DType.FLOAT32, rng, 1024, 96).mul(0.03).detach().requiresGrad(true);
        Tensor h = x.conv2d(kernel, bias, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1).relu();
        Tensor p = h.maxPool2d(2, 2, 0).flatten(1);
        Tensor logits = p.matmul(weight);
        Tensor y = logits.softmax(1).mul(logits.logSumExp(1, true)).add(logits.var(1, true));
        Tensor loss = y.mean().add(y.max(0, false).sum()).add(p.norm());
        List<Tensor> inputs = List.of(x, kernel, bias, weight);
        List<Tensor> grads = Autograd.grad(loss, inputs, false);
        List<int[]> bits = new ArrayList<>();
        bits.add(bitsOf(loss));
        for (Tensor g : grads) {
            assertEquals(DType.FLOAT32, g.dtype());
            bits.add(bitsOf(g));
        }
        return bits;
    }

    private static int[] bitsOf(Tensor t) {
        assertEquals(DType.FLOAT32, t.dtype());
        float[] f = t.toFloatArray();
        int[] bits = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            bits[i] = Float.floatToRawIntBits(f[i]);
        }
        return bits;
    }

    private static void assertSameBits(List<int[]> expected, List<int[]> actual, String when) {
        assertEquals(expected.size(), actual.size());
        String[] names = {"value", "gradient of x", "gradient of the kernel", "gradient of the bias", "gradient of the weight"};
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), names[i] + " differs " + when);
        }
    }

    @Test
    void valuesAndGradientsAreBitwiseTheSameRunToRun() {
        List<int[]> first = run();
        for (int r = 0; r < 3; r++) {
            assertSameBits(first, run(), "on run " + (r + 2));
        }
    }

    @Test
    void valuesAndGradientsAreBitwiseTheSameOnTwoThreadsAtOnce() throws Exception {
        List<int[]> alone = run();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<List<int[]>> a = pool.submit(Float32ReproducibilityTest::run);
            Future<List<int[]>> b = pool.submit(Float32ReproducibilityTest::run);
            assertSameBits(alone, a.get(), "on the first of two concurrent runs");
            assertSameBits(alone, b.get(), "on the second of two concurrent runs");
        } finally {
            pool.shutdownNow();
        }
    }
}
