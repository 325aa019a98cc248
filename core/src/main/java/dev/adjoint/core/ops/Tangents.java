package dev.adjoint.core.ops;

import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

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
        return Tensor.zeros(x.dtype(), shape(like, k, x.shape()));
    }

    /** The sum over all but the k batch axes: a scalar per direction. */
    static Tensor sumAll(Tensor t, int k) {
        if (k == 0) {
            return t.sum();
        }
        int[] s = Arrays.copyOf(t.shape(), k + 1);
        s[k] = -1;
        if (t.size() == 0) {
            return Tensor.zeros(t.dtype(), Arrays.copyOf(t.shape(), k));
        }
        return t.reshape(s).sum(k, false);
    }

    /** A per-direction scalar tangent (batch axes only) shaped to broadcast against tensors of rank {@code rank}. */
    static Tensor aligned(Tensor t, int k, int rank) {
        return k == 0 ? t : t.reshape(padded(t, k, rank, new int[0]));
    }

    /** The number of directions tangent {@code t} carries: the product of its first k axes (1 when k is 0). */
    static int directions(Tensor t, int k) {
        int b = 1;
        for (int i = 0; i < k; i++) {
            b *= t.shape()[i];
        }
        return b;
    }

    /**
     * Tangent {@code t} of shape [batch..., n, rest...] with its k batch axes folded into the
     * leading axis: [B n, rest...], B the number of directions (t itself when k is 0). For ops
     * that treat each entry of their leading axis (each image) on its own.
     */
    static Tensor fold(Tensor t, int k) {
        if (k == 0) {
            return t;
        }
        int[] s = t.shape();
        int[] f = Arrays.copyOfRange(s, k, s.length);
        f[0] *= directions(t, k);
        return t.reshape(f);
    }

    /**
     * A rule linear in one tangent applied to each of its directions on its own: t's k batch axes
     * flattened, each direction given to {@code rule}, the results stacked and the batch axes
     * restored. {@code shape} is the shape of one result.
     */
    static Tensor perDirection(Tensor t, int k, int[] shape, Function<Tensor, Tensor> rule) {
        if (k == 0) {
            return rule.apply(t);
        }
        int b = directions(t, k);
        int[] out = shape(t, k, shape);
        if (b == 0) {
            return Tensor.zeros(t.dtype(), out);
        }
        int[] s = t.shape();
        int[] flat = new int[s.length - k + 1];
        flat[0] = b;
        System.arraycopy(s, k, flat, 1, s.length - k);
        Tensor f = t.reshape(flat);
        List<Tensor> rows = new ArrayList<>(b);
        for (int d = 0; d < b; d++) {
            rows.add(rule.apply(f.select(0, d)));
        }
        return Tensor.stack(rows, 0).reshape(out);
    }
}
