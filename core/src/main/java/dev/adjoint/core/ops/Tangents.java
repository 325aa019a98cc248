package dev.adjoint.core.ops;

import dev.adjoint.core.Tensor;
import java.util.Arrays;

/**
 * Helpers of the tangent rules. A tangent has its tensor's shape behind {@code k} leading batch
 * axes ({@code k = tangent.rank() - tensor.rank()}, usually 0 or 1); elementwise rules broadcast
 * over them, and rules that name axes shift them by k.
 */
final class Tangents {
    private Tangents() {
    }

    /** The batch rank of tangent {@code t} of tensor {@code x}. */
    static int batch(Tensor t, Tensor x) {
        return t.rank() - x.rank();
    }

    /** {@code x} broadcast to its tangent's shape (itself when there are no batch axes). */
    static Tensor like(Tensor x, Tensor t) {
        return t.rank() == x.rank() ? x : x.expand(t.shape());
    }

    /** The sum of two tangents, either of which may be null (zero). */
    static Tensor sum(Tensor a, Tensor b) {
        return a == null ? b : b == null ? a : a.add(b);
    }

    /** The first k axes of t's shape, then {@code shape}. */
    static int[] shape(Tensor t, int k, int[] shape) {
        int[] s = new int[k + shape.length];
        System.arraycopy(t.shape(), 0, s, 0, k);
        System.arraycopy(shape, 0, s, k, shape.length);
        return s;
    }

    /** The first k axes of t's shape, then ones up to {@code rank} axes in all behind them, then {@code shape}. */
    static int[] padded(Tensor t, int k, int rank, int[] shape) {
        int[] s = new int[k + rank];
        Arrays.fill(s, 1);
        System.arraycopy(t.shape(), 0, s, 0, k);
        System.arraycopy(shape, 0, s, k + rank - shape.length, shape.length);
        return s;
    }

    /** Zeros shaped like tangent {@code like}'s batch axes followed by x's shape. */
    static Tensor zeros(Tensor like, int k, Tensor x) {
        return Tensor.zeros(shape(like, k, x.shape()));
    }

    /** The sum over all but the k batch axes: a scalar per direction. */
    static Tensor sumAll(Tensor t, int k) {
        if (k == 0) {
            return t.sum();
        }
        int[] s = Arrays.copyOf(t.shape(), k + 1);
        s[k] = -1;
        if (t.size() == 0) {
            return Tensor.zeros(Arrays.copyOf(t.shape(), k));
        }
        return t.reshape(s).sum(k, false);
    }

    /** A per-direction scalar tangent (batch axes only) shaped to broadcast against tensors of rank {@code rank}. */
    static Tensor aligned(Tensor t, int k, int rank) {
        return k == 0 ? t : t.reshape(padded(t, k, rank, new int[0]));
    }
}
