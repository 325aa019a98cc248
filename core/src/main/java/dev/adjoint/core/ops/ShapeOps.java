package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.ReduceKernels;
import dev.adjoint.core.kernel.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * reshape, transpose, permute, expand and its reverse sumTo; unsqueeze, squeeze and flatten are
 * reshapes. Expand is the one place broadcasting is
 * differentiated: its backward sums the gradient back to the input's shape.
 */
public final class ShapeOps {
    private ShapeOps() {
    }

    /**
     * @param x the tensor
     * @param shape the new shape, with at most one -1
     * @return x in the new shape
     */
    public static Tensor reshape(Tensor x, int[] shape) {
        int[] from = x.shape();
        int[] to = inferShape(from, shape);
        if (Arrays.equals(from, to)) {
            return x;
        }
        return new Reshape(from, to).apply(x);
    }

    private static int[] inferShape(int[] from, int[] shape) {
        if (shape == null) {
            throw new IllegalArgumentException("reshape: shape is null");
        }
        int[] to = shape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < to.length; i++) {
            if (to[i] == -1 && infer < 0) {
                infer = i;
            } else if (to[i] < 0) {
                throw new IllegalArgumentException("reshape: invalid dimension " + to[i] + " in " + Arrays.toString(shape)
                        + " (only one -1 is allowed)");
            } else {
                // saturate: no valid count exceeds Integer.MAX_VALUE, and a long must not wrap
                known = Math.min(known * to[i], (long) Integer.MAX_VALUE + 1);
            }
        }
        int n = Shapes.size(from);
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException("reshape: " + Arrays.toString(from) + " (" + n + " elements) cannot be viewed as "
                        + Arrays.toString(shape));
            }
            to[infer] = (int) (n / known);
            known = n;
        }
        if (known != n) {
            throw new IllegalArgumentException("reshape: " + Arrays.toString(from) + " (" + n + " elements) to "
                    + Arrays.toString(shape) + " (" + (known > Integer.MAX_VALUE ? "more than " + Integer.MAX_VALUE : known)
                    + " elements)");
        }
        return to;
    }

    private static final class Reshape extends Primitive {
        private final int[] from;
        private final int[] to;

        Reshape(int[] from, int[] to) {
            super("reshape");
            this.from = from;
            this.to = to;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(value(in[0]).reshape(to));
        }

        // the gradient is the output's, read back in the input's shape
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.reshape(from)};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], in[0]);
            return k == 0 ? apply(t[0]) : t[0].reshape(Tangents.shape(t[0], k, to));
        }
    }

    /**
     * Returns x with its last two axes swapped.
     *
     * @param x a tensor of rank >= 2
     * @return x with its last two axes swapped
     */
    public static Tensor transpose(Tensor x) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("transpose: needs rank >= 2 to swap the last two axes, got shape "
                    + Arrays.toString(x.shape()));
        }
        return TRANSPOSE.apply(x);
    }

    private static final Primitive TRANSPOSE = new Primitive("transpose") {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            int r = in[0].rank();
            return wrap(value(in[0]).swapAxes(r - 2, r - 1));
        }

        // the transpose of the gradient
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.transpose()};
        }

        // the last two axes are the last two behind any batch axes too
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return t[0].transpose();
        }
    };

    /**
     * @param x the tensor
     * @param axes a permutation of x's axes (negative ones count from the end)
     * @return the view whose axis i is x's axis {@code axes[i]}
     */
    public static Tensor permute(Tensor x, int[] axes) {
        int rank = x.rank();
        if (axes == null) {
            throw new IllegalArgumentException("permute: axes are null");
        }
        if (axes.length != rank) {
            throw new IllegalArgumentException("permute: axes " + Arrays.toString(axes) + " name " + axes.length + " axes but shape "
                    + Arrays.toString(x.shape()) + " has " + rank);
        }
        int[] order = new int[rank];
        int[] count = new int[rank];
        for (int i = 0; i < rank; i++) {
            order[i] = Shapes.axis("permute", axes[i], rank);
            count[order[i]]++;
        }
        List<Integer> repeated = new ArrayList<>();
        List<Integer> missing = new ArrayList<>();
        for (int k = 0; k < rank; k++) {
            if (count[k] > 1) {
                repeated.add(k);
            } else if (count[k] == 0) {
                missing.add(k);
            }
        }
        if (!repeated.isEmpty()) {
            throw new IllegalArgumentException("permute: axes " + Arrays.toString(axes) + " repeat axis " + repeated + " and miss axis "
                    + missing + " of shape " + Arrays.toString(x.shape()));
        }
        boolean identity = true;
        for (int i = 0; i < rank; i++) {
            identity &= order[i] == i;
        }
        return identity ? x : new Permute(order).apply(x);
    }

    private static final class Permute extends Primitive {
        private final int[] axes;

        Permute(int[] axes) {
            super("permute");
            this.axes = axes;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(value(in[0]).permute(axes));
        }

        // the gradient is permuted back by the inverse permutation
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            int[] inverse = new int[axes.length];
            for (int i = 0; i < axes.length; i++) {
                inverse[axes[i]] = i;
            }
            return new Tensor[] {permute(g, inverse)};
        }

        // the batch axes stay in front
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], in[0]);
            if (k == 0) {
                return apply(t[0]);
            }
            int[] order = new int[k + axes.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i < k ? i : axes[i - k] + k;
            }
            return permute(t[0], order);
        }
    }

    /**
     * @param x the tensor
     * @param axis where the new axis goes, in [-(rank + 1), rank]; negative counts from the end of the result
     * @return x with a new axis of size 1 there
     */
    public static Tensor unsqueeze(Tensor x, int axis) {
        int[] shape = x.shape();
        int a = Shapes.axis("unsqueeze", axis, shape.length + 1);
        int[] to = new int[shape.length + 1];
        for (int i = 0, j = 0; i < to.length; i++) {
            to[i] = i == a ? 1 : shape[j++];
        }
        return x.reshape(to);
    }

    /**
     * @param x the tensor
     * @param axis the axis; negative counts from the end (a scalar takes 0 or -1)
     * @return x without that axis if its size is 1, else x unchanged (as PyTorch)
     */
    public static Tensor squeeze(Tensor x, int axis) {
        int[] shape = x.shape();
        int a = Shapes.axis("squeeze", axis, Math.max(shape.length, 1));
        if (shape.length == 0 || shape[a] != 1) {
            return x;
        }
        return x.reshape(Shapes.reduced(shape, a, false));
    }

    /**
     * @param x the tensor
     * @param startAxis the first axis to merge; negative counts from the end (a scalar takes 0 or -1)
     * @return x with the axes from startAxis to the last merged into one
     */
    public static Tensor flatten(Tensor x, int startAxis) {
        int[] shape = x.shape();
        int a = Shapes.axis("flatten", startAxis, Math.max(shape.length, 1));
        if (shape.length == 0) {
            return x.reshape(1);
        }
        int[] to = Arrays.copyOf(shape, a + 1);
        long n = 1;
        for (int i = a; i < shape.length; i++) {
            n *= shape[i];
        }
        to[a] = (int) n;
        return x.reshape(to);
    }

    /**
     * @param x the tensor
     * @param shape a shape x broadcasts to
     * @return a broadcast view of x
     */
    public static Tensor expand(Tensor x, int[] shape) {
        Shapes.checkShape("expand", shape);
        int[] from = value(x).shapeView();
        if (Shapes.same(from, shape)) {
            return x;
        }
        if (!Shapes.canExpand(from, shape)) {
            throw new IllegalArgumentException("expand: cannot broadcast " + Arrays.toString(from) + " to " + Arrays.toString(shape));
        }
        return new Expand(from, shape.clone()).apply(x);
    }

    /**
     * {@link #expand} for a target shape already known to be a valid broadcast of x's shape and
     * owned by the caller (not copied): the broadcasting path of binary ops.
     *
     * @param x the tensor
     * @param shape the broadcast shape, which must not be modified afterwards
     * @return x, or a broadcast view of it
     */
    public static Tensor broadcastTo(Tensor x, int[] shape) {
        int[] from = value(x).shapeView();
        return Shapes.same(from, shape) ? x : new Expand(from, shape).apply(x);
    }

    private static final class Expand extends Primitive {
        private final int[] from;
        private final int[] to;

        Expand(int[] from, int[] to) {
            super("expand");
            this.from = from;
            this.to = to;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(value(in[0]).expand(to));
        }

        // every copy of an element contributes: sum the gradient back to the input's shape
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.sumTo(from)};
        }

        // the tangent expanded the same way, its batch axes kept in front
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], in[0]);
            if (k == 0) {
                return apply(t[0]);
            }
            return expand(t[0].reshape(Tangents.padded(t[0], k, to.length, from)), Tangents.shape(t[0], k, to));
        }
    }

    /**
     * @param x the tensor
     * @param shape a shape that broadcasts to x's shape
     * @return x summed down to that shape
     */
    public static Tensor sumTo(Tensor x, int[] shape) {
        Shapes.checkShape("sumTo", shape);
        int[] from = value(x).shapeView();
        if (Shapes.same(from, shape)) {
            return x;
        }
        if (!Shapes.canExpand(shape, from)) {
            throw new IllegalArgumentException("sumTo: cannot sum " + Arrays.toString(from) + " down to " + Arrays.toString(shape));
        }
        // a shape view is never modified: only the caller's array needs a copy
        return new SumTo(from, shape.clone()).apply(x);
    }

    private static final class SumTo extends Primitive {
        private final int[] from;
        private final int[] to;

        SumTo(int[] from, int[] to) {
            super("sumTo");
            this.from = from;
            this.to = to;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(ReduceKernels.sumTo(value(in[0]), to));
        }

        // each summed element receives the gradient of its sum
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.expand(from)};
        }

        // linear: the tangent summed the same way, its batch axes kept in front
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], in[0]);
            if (k == 0) {
                return apply(t[0]);
            }
            return sumTo(t[0], Tangents.padded(t[0], k, from.length, to)).reshape(Tangents.shape(t[0], k, to));
        }
    }
}
