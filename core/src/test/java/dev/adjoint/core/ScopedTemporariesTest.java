package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The arrays an op makes only to read once inside its backward pass come from the pool in a
 * {@link MemoryScope}, as its results do: clamp's mask, where's selection against a broadcast
 * zero, and the contiguous copy of a gradient broadcast from a sum that batch normalization reads.
 * A fresh array each step would be memory no cache holds (bench/RESULTS.md). Counted on the
 * calling thread, the median of 21 steps: with the pool, a step allocates the graph's small
 * objects only, far below one array of the input's size.
 */
class ScopedTemporariesTest {
    private static final int ROWS = 256;
    private static final int COLUMNS = 1000;

    @ParameterizedTest
    @EnumSource(DType.class)
    void clampsMaskComesFromThePool(DType dtype) {
        SplittableRandom rng = new SplittableRandom(7);
        Tensor x = Tensor.randn(dtype, rng, ROWS, COLUMNS).requiresGrad(true);
        Tensor w = Tensor.randn(dtype, rng, ROWS, COLUMNS);
        assertAllocatesLessThanAnArray(dtype, () -> {
            x.zeroGrad();
            try (MemoryScope scope = MemoryScope.open()) {
                x.clamp(-0.5, 0.5).mul(w).sum().backward();
            }
            return x.grad();
        });
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void wheresSelectionAgainstZeroComesFromThePool(DType dtype) {
        SplittableRandom rng = new SplittableRandom(8);
        Tensor mask = Tensor.randn(dtype, rng, ROWS, COLUMNS).gt(0.0);
        Tensor x = Tensor.randn(dtype, rng, ROWS, COLUMNS).requiresGrad(true);
        Tensor y = Tensor.randn(dtype, rng, ROWS, COLUMNS).requiresGrad(true);
        Tensor w = Tensor.randn(dtype, rng, ROWS, COLUMNS);
        assertAllocatesLessThanAnArray(dtype, () -> {
            x.zeroGrad();
            y.zeroGrad();
            try (MemoryScope scope = MemoryScope.open()) {
                Tensor.where(mask, x, y).mul(w).sum().backward();
            }
            return x.grad();
        });
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void batchNormsBroadcastGradientIsCopiedIntoThePool(DType dtype) {
        SplittableRandom rng = new SplittableRandom(9);
        // [8, 32, 25, 40]: as many elements as [256, 1000]; the sum's gradient reaches it as a broadcast view
        Tensor images = Tensor.randn(dtype, rng, 8, 32, 25, 40).requiresGrad(true);
        Tensor weight = Tensor.ones(dtype, 32).requiresGrad(true);
        Tensor bias = Tensor.zeros(dtype, 32).requiresGrad(true);
        assertAllocatesLessThanAnArray(dtype, () -> {
            images.zeroGrad();
            weight.zeroGrad();
            bias.zeroGrad();
            try (MemoryScope scope = MemoryScope.open()) {
                images.batchNorm(weight, bias, 1e-5).sum().backward();
            }
            return images.grad();
        });
    }

    private static void assertAllocatesLessThanAnArray(DType dtype, Supplier<Tensor> step) {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled(), "no per-thread allocation counts");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long arrayBytes = (long) ROWS * COLUMNS * (dtype == DType.FLOAT32 ? Float.BYTES : Double.BYTES);
        for (int i = 0; i < 20; i++) {
            step.get();
        }
        // the median step: a step now and then may find the pool emptied (its arrays are softly
        // held, and a collection may take them), but a fresh temporary would be in every step
        long[] steps = new long[21];
        for (int i = 0; i < steps.length; i++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            step.get();
            steps[i] = threads.getCurrentThreadAllocatedBytes() - before;
        }
        java.util.Arrays.sort(steps);
        long perCall = steps[steps.length / 2];
        assertTrue(perCall < arrayBytes / 4, () -> dtype + ": the median step allocated " + perCall + " bytes, an array is "
                + arrayBytes + " (steps: " + java.util.Arrays.toString(steps) + ")");
    }
}
