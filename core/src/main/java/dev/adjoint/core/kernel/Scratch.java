package dev.adjoint.core.kernel;

import java.lang.ref.SoftReference;
import java.util.Arrays;

/**
 * Per-thread scratch arrays, one per slot and dtype: the packed blocks of a matrix product and a
 * convolution's im2col columns and output slices. A kernel asks for at least n elements and gets
 * this thread's array of that slot (contents garbage), which stays in the slot for the next call:
 * a training step runs thousands of products and convolutions of the same shapes, and fresh
 * megabyte arrays per call would cost allocation and zeroing. Arrays are softly held, so that a
 * thread that once ran a big product and then sits idle (a pool thread, say) does not keep its
 * megabytes for good: the collector takes them back when memory runs short.
 *
 * <p>Two users of one slot on one thread at once would share its array: each slot has one user
 * (the names below; the math kernel's slot has a few, none of which calls another), and none of
 * them calls another of its own kind while it holds its array.
 * Results live elsewhere ({@link Buffers}), never here.
 */
final class Scratch {
    /** A matrix product's packed block of A ({@link Packing}). */
    static final int PACKED_A = 0;
    /** A matrix product's packed block of B. */
    static final int PACKED_B = 1;
    /** A matrix product's edge tile. */
    static final int TILE = 2;
    /** A convolution block's im2col columns ({@link ConvLoops}); a Winograd chunk's input transform ({@link FloatWinograd}). */
    static final int COLUMNS = 3;
    /** A convolution block's slice of the output or its gradient; a Winograd chunk's products, or its output gradient's transform. */
    static final int SLICE = 4;
    /** A convolution block's weight-gradient product; a Winograd chunk's parity planes and output rows. */
    static final int PRODUCT = 5;
    /** The math kernel's intermediate values (tanh's, sigmoid's, softplus's and erf's exponentials, log1p's sums and corrections, silu's float sigmoid, a float dot's widened operands). */
    static final int MATH = 6;
    /**
     * gelu's and silu's backward: blocks of erf's values and of the density's exponentials ({@link
     * VectorErf#geluGrad}), of the sigmoid (silu's, float64); in float32, g's and x's blocks where
     * they are views ({@link Float32Arithmetic#geluGrad}).
     */
    static final int GELU = 7;
    /** A Winograd chunk's weight-gradient products ({@link FloatWinograd#backwardWeight}). */
    static final int WINOGRAD = 8;
    /** A normalization's rows: a layer norm's, a batch norm's channels gathered into rows ({@link NormKernels}, {@link LayerNormKernels}). */
    static final int NORM = 9;
    /** The output gradient's rows beside them in a normalization's backward. */
    static final int NORM_GRADIENT = 10;
    /** A bias gradient's block sums ({@link BiasGradients#sum}), written by the pool's threads and added up by the caller. */
    static final int BLOCK_SUMS = 11;
    private static final int SLOTS = 12;

    @SuppressWarnings("unchecked")
    private static final ThreadLocal<SoftReference<double[]>[]> DOUBLES = ThreadLocal.withInitial(() -> new SoftReference[SLOTS]);
    @SuppressWarnings("unchecked")
    private static final ThreadLocal<SoftReference<float[]>[]> FLOATS = ThreadLocal.withInitial(() -> new SoftReference[SLOTS]);

    private Scratch() {
    }

    /** This thread's float64 array of {@code slot}, at least {@code n} long; contents are garbage. */
    static double[] doubles(int slot, int n) {
        SoftReference<double[]>[] held = DOUBLES.get();
        double[] a = held[slot] == null ? null : held[slot].get();
        if (a == null || a.length < n) {
            a = new double[n];
            held[slot] = new SoftReference<>(a);
        }
        return a;
    }

    /** This thread's float32 array of {@code slot}, at least {@code n} long; contents are garbage. */
    static float[] floats(int slot, int n) {
        SoftReference<float[]>[] held = FLOATS.get();
        float[] a = held[slot] == null ? null : held[slot].get();
        if (a == null || a.length < n) {
            a = new float[n];
            held[slot] = new SoftReference<>(a);
        }
        return a;
    }

    /** Drops this thread's arrays, as the collector may at any time (for tests). */
    static void release() {
        Arrays.fill(DOUBLES.get(), null);
        Arrays.fill(FLOATS.get(), null);
    }
}
