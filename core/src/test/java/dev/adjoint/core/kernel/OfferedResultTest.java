package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The array a backward pass {@link Buffers#offer offers} for an op's result (a leaf's zeroed
 * gradient buffer) goes to that result, not to the op's temporaries: a mask, or a contiguous copy
 * of a broadcast operand ({@link NDArray#contiguousOperand()}, {@link Buffers#temporary}), taken
 * first, would otherwise take it, and the gradient would be copied into the buffer afterwards.
 */
class OfferedResultTest {
    private static final int ROWS = 64;
    private static final int COLUMNS = 200;

    @AfterEach
    void withdraw() {
        Buffers.withdraw();
    }

    private static NDArray random(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] d = new double[ROWS * COLUMNS];
        for (int i = 0; i < d.length; i++) {
            d[i] = rng.nextDouble(-1, 1);
        }
        return NDArray.wrap(d, new int[] {ROWS, COLUMNS});
    }

    @Test
    void whereAgainstABroadcastZeroWritesTheOfferedArray() {
        NDArray c = random(1);
        NDArray a = random(2);
        NDArray zero = NDArray.scalarLike(0.0, a).expand(new int[] {ROWS, COLUMNS});
        double[] offered = new double[ROWS * COLUMNS];
        Buffers.offer(offered);
        assertTrue(offered == Selection.where(c, a, zero).data, "where(c, a, 0) did not write the offered array");
        Buffers.offer(offered);
        assertTrue(offered == Selection.where(c, zero, a).data, "where(c, 0, a) did not write the offered array");
    }

    @Test
    void normalizationsBackwardOfABroadcastGradientWritesTheOfferedArray() {
        NDArray x = random(3);
        NormKernels.Normalized n = NormKernels.normalize(x, COLUMNS, 1e-5);
        NDArray g = NDArray.scalarLike(1.0, x).expand(new int[] {ROWS, COLUMNS});
        double[] offered = new double[ROWS * COLUMNS];
        Buffers.offer(offered);
        assertTrue(offered == NormKernels.backward(g, x, n.stats(), COLUMNS).data, "the backward did not write the offered array");
    }

    /**
     * The temporary {@code take} makes leaves the array offered before it (of the temporary's dtype
     * and length) on offer: the temporary is another array, and the next result of that length takes
     * the offered one.
     */
    private static void assertLeavesTheOffer(boolean floats, java.util.function.Supplier<NDArray> take, String what) {
        Object offered = floats ? new float[ROWS * COLUMNS] : new double[ROWS * COLUMNS];
        Buffers.offer(offered);
        NDArray t = take.get();
        assertFalse(offered == (floats ? t.floats : t.data), "the " + what + " took the offered array");
        Object next = floats ? Buffers.uninitializedFloats(ROWS * COLUMNS) : Buffers.uninitialized(ROWS * COLUMNS);
        assertTrue(offered == next, "the offer did not outlast the " + what);
    }

    @Test
    void clampsMaskIsATemporary() {
        NDArray x = random(4);
        assertLeavesTheOffer(false, () -> Elementwise.strictlyInside(x, -0.5, 0.5), "mask");
    }

    @Test
    void leakyRelusSlopesAreATemporary() {
        NDArray x = random(5);
        assertLeavesTheOffer(false, () -> Elementwise.scalarMask(Elementwise.Binary.LEAKY_RELU_SLOPE, x, 0.1), "slopes");
    }

    @Test
    void absSignMaskIsATemporary() {
        NDArray x = random(6);
        assertLeavesTheOffer(false, () -> Elementwise.signMask(x), "sign mask");
        NDArray xf = x.toFloat32();
        assertLeavesTheOffer(true, () -> Elementwise.signMask(xf), "float32 sign mask");
    }
}
