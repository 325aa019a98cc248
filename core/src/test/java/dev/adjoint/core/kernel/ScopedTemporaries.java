package dev.adjoint.core.kernel;

import dev.adjoint.core.DType;
import dev.adjoint.core.MemoryScope;
import dev.adjoint.core.Tensor;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The arrays an op makes only to read once inside its backward pass come from the pool in a
 * {@link MemoryScope}, as its results do: clamp's mask, where's selection against a broadcast
 * zero, and the contiguous copy of a gradient broadcast from a sum that batch normalization reads.
 * A fresh array each step would be memory no cache holds (bench/RESULTS.md). Counted on the
 * calling thread, the median of 21 steps: with the pool, a step allocates the graph's small
 * objects only, far below one array of the input's size. The child JVM of
 * {@link ScopedTemporariesTest}: the pool holds its arrays softly, and in a test JVM whose heap is
 * full of other tests' garbage a collection may clear them every step. Prints a {@code fresh:} line
 * per case that took fresh arrays, then {@code done}; exits 1 if there was one, 2 where it cannot
 * count allocations.
 */
final class ScopedTemporaries {
    private static final int ROWS = 256;
    private static final int COLUMNS = 1000;

    private static final List<String> FRESH = new ArrayList<>();

    private ScopedTemporaries() {
    }

    public static void main(String[] args) {
        for (DType dtype : DType.values()) {
            clampsMaskComesFromThePool(dtype);
            wheresSelectionAgainstZeroComesFromThePool(dtype);
            batchNormsBroadcastGradientIsCopiedIntoThePool(dtype);
        }
        for (String f : FRESH) {
            System.out.println("fresh: " + f);
        }
        System.out.println("done");
        System.exit(FRESH.isEmpty() ? 0 : 1);
    }

    static void clampsMaskComesFromThePool(DType dtype) {
        SplittableRandom rng = new SplittableRandom(7);
        Tensor x = Tensor.randn(dtype, rng, ROWS, COLUMNS).requiresGrad(true);
        Tensor w = Tensor.randn(dtype, rng, ROWS, COLUMNS);
        assertAllocatesLessThanAnArray("clamp " + dtype, dtype, () -> {
            x.zeroGrad();
            try (MemoryScope scope = MemoryScope.open()) {
                x.clamp(-0.5, 0.5).mul(w).sum().backward();
            }
            return x.grad();
        });
    }

    static void wheresSelectionAgainstZeroComesFromThePool(DType dtype) {
        SplittableRandom rng = new SplittableRandom(8);
        Tensor mask = Tensor.randn(dtype, rng, ROWS, COLUMNS).gt(0.0);
        Tensor x = Tensor.randn(dtype, rng, ROWS, COLUMNS).requiresGrad(true);
        Tensor y = Tensor.randn(dtype, rng, ROWS, COLUMNS).requiresGrad(true);
        Tensor w = Tensor.randn(dtype, rng, ROWS, COLUMNS);
        assertAllocatesLessThanAnArray("where " + dtype, dtype, () -> {
            x.zeroGrad();
            y.zeroGrad();
            try (MemoryScope scope = MemoryScope.open()) {
                Tensor.where(mask, x, y).mul(w).sum().backward();
            }
            return x.grad();
        });
    }

    static void batchNormsBroadcastGradientIsCopiedIntoThePool(DType dtype) {
        SplittableRandom rng = new SplittableRandom(9);
        // [8, 32, 25, 40]: as many elements as [256, 1000]; the sum's gradient reaches it as a broadcast view
        Tensor images = Tensor.randn(dtype, rng, 8, 32, 25, 40).requiresGrad(true);
        Tensor weight = Tensor.ones(dtype, 32).requiresGrad(true);
        Tensor bias = Tensor.zeros(dtype, 32).requiresGrad(true);
        assertAllocatesLessThanAnArray("batchNorm " + dtype, dtype, () -> {
            images.zeroGrad();
            weight.zeroGrad();
            bias.zeroGrad();
            try (MemoryScope scope = MemoryScope.open()) {
                images.batchNorm(weight, bias, 1e-5).sum().backward();
            }
            return images.grad();
        });
    }

    private static void assertAllocatesLessThanAnArray(String what, DType dtype, Supplier<Tensor> step) {
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads)
                || !threads.isThreadAllocatedMemorySupported() || !threads.isThreadAllocatedMemoryEnabled()) {
            System.out.println("skip: no per-thread allocation counts in this JVM");
            System.exit(2);
            return;
        }
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
        if (perCall >= arrayBytes / 4) {
            FRESH.add(what + ": the median step allocated " + perCall + " bytes, an array is " + arrayBytes
                    + " (steps: " + java.util.Arrays.toString(steps) + ")");
        }
    }
}
