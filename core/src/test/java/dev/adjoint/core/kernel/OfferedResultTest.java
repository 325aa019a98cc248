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

    @Test
    void clampsMaskIsATemporary() {
        NDArray x = random(4);
        double[] offered = new double[ROWS * COLUMNS];
        Buffers.offer(offered);
        assertFalse(offered == Elementwise.strictlyInside(x, -0.5, 0.5).data, "the mask took the offered array");
        // still offered: the next result of that length takes it
        assertTrue(offered == Buffers.uninitialized(ROWS * COLUMNS), "the offer did not outlast the mask");
    }

    @Test
    void leakyRelusSlopesAreATemporary() {
        NDArray x = random(5);
        double[] offered = new double[ROWS * COLUMNS];
        Buffers.offer(offered);
        assertFalse(offered == Elementwise.scalarMask(Elementwise.Binary.LEAKY_RELU_SLOPE, x, 0.1).data, "the slopes took the offered array");
        assertTrue(offered == Buffers.uninitialized(ROWS * COLUMNS), "the offer did not outlast the slopes");
    }

    @Test
    void absSignMaskIsATemporary() {
        NDArray x = random(6);
        double[] offered = new double[ROWS * COLUMNS];
        Buffers.offer(offered);
        assertFalse(offered == Elementwise.signMask(x).data, "the sign mask took the offered array");
        assertTrue(offered == Buffers.uninitialized(ROWS * COLUMNS), "the offer did not outlast the sign mask");
        float[] offeredFloats = new float[ROWS * COLUMNS];
        Buffers.offer(offeredFloats);
        assertFalse(offeredFloats == Elementwise.signMask(x.toFloat32()).floats, "the float32 sign mask took the offered array");
        assertTrue(offeredFloats == Buffers.uninitializedFloats(ROWS * COLUMNS), "the offer did not outlast the float32 sign mask");
    }
}
