package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.AxisKernels;
import dev.adjoint.core.kernel.Shapes;
import java.util.Arrays;

/**
 * Reading and writing at positions given by indices: indexSelect and its adjoint indexAdd, gather
 * and its adjoint scatter (zeros with values added at positions). Each pair is linear and each is
 * the other's backward, so every order of derivative is exact. Index tensors hold whole numbers
 * and get no gradient.
 */
public final class Gathering {
    private Gathering() {
    }

    /**
     * @param x the tensor
     * @param axis the axis; negative counts from the end
     * @param indices positions along it, in [0, size); repeats allowed
     * @return the slabs at those positions, in that order
     */
    public static Tensor indexSelect(Tensor x, int axis, int[] indices) {
        int[] shape = x.shape();
        int a = Shapes.axis("indexSelect", axis, shape.length);
        if (indices == null) {
            throw new IllegalArgumentException("indexSelect: indices are null");
        }
        for (int i : indices) {
            if (i < 0 || i >= shape[a]) {
                throw new IllegalArgumentException("indexSelect: index " + i + " out of range for axis " + axis + " of size " + shape[a]);
            }
        }
        return new IndexSelect(a, indices.clone(), shape[a]).apply(x);
    }

    private static final class IndexSelect extends Primitive {
        private final int axis;
        private final int[] indices;
        private final int length;

        IndexSelect(int axis, int[] indices, int length) {
            super("indexSelect");
            this.axis = axis;
            this.indices = indices;
            this.length = length;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(AxisKernels.indexSelect(value(in[0]), axis, indices));
        }

        // linear: each slab's gradient is added back at its position (repeats accumulate)
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {new IndexAdd(axis, indices, length).apply(g)};
        }

        // linear: the op itself, along the shifted axis
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return new IndexSelect(axis + Tangents.batch(t[0], in[0]), indices, length).apply(t[0]);
        }
    }

    private static final class IndexAdd extends Primitive {
        private final int axis;
        private final int[] indices;
        private final int length;

        IndexAdd(int axis, int[] indices, int length) {
            super("indexAdd");
            this.axis = axis;
            this.indices = indices;
            this.length = length;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(AxisKernels.indexAdd(value(in[0]), axis, indices, length));
        }

        // linear; its adjoint reads the positions back out
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {new IndexSelect(axis, indices, length).apply(g)};
        }

        // linear: the op itself, along the shifted axis
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return new IndexAdd(axis + Tangents.batch(t[0], in[0]), indices, length).apply(t[0]);
        }
    }

    /**
     * @param x the tensor
     * @param axis the axis; negative counts from the end
     * @param index x's rank, no larger than x along the other axes, whole numbers in [0, x.dim(axis))
     * @return {@code out[p] = x[p with p[axis] = index[p]]}, of the index's shape
     */
    public static Tensor gather(Tensor x, int axis, Tensor index) {
        int[] shape = x.shape();
        int[] indexShape = indexShape("gather", index, "input", shape);
        int a = Shapes.axis("gather", axis, shape.length);
        fits("gather", indexShape, "input", shape, a);
        int[] positions = positions("gather", index, axis, shape[a]);
        return new Gather(a, positions, indexShape, shape).apply(x);
    }

    /**
     * @param self the tensor added to
     * @param axis the axis; negative counts from the end
     * @param index self's rank, no larger than source anywhere nor than self along the other axes,
     *     whole numbers in [0, self.dim(axis))
     * @param source the values; only its leading block of the index's shape is read
     * @return a copy of self with {@code source[p]} added at {@code p with p[axis] = index[p]}
     */
    public static Tensor scatterAdd(Tensor self, int axis, Tensor index, Tensor source) {
        int[] shape = self.shape();
        int[] indexShape = indexShape("scatterAdd", index, "input", shape);
        if (source == null) {
            throw new IllegalArgumentException("scatterAdd: source is null");
        }
        int[] sourceShape = source.shape();
        int a = Shapes.axis("scatterAdd", axis, shape.length);
        if (sourceShape.length != shape.length) {
            throw new IllegalArgumentException("scatterAdd: source has shape " + Arrays.toString(sourceShape) + " but the input has "
                    + Arrays.toString(shape) + "; their ranks must agree");
        }
        fits("scatterAdd", indexShape, "input", shape, a);
        fits("scatterAdd", indexShape, "source", sourceShape, -1);
        int[] positions = positions("scatterAdd", index, axis, shape[a]);
        Tensor block = source;
        for (int d = 0; d < indexShape.length; d++) {
            block = block.narrow(d, 0, indexShape[d]);
        }
        return self.add(new Scatter(a, positions, indexShape, shape).apply(block));
    }

    private static int[] indexShape(String op, Tensor index, String what, int[] shape) {
        if (index == null) {
            throw new IllegalArgumentException(op + ": index is null");
        }
        int[] s = index.shape();
        if (s.length != shape.length) {
            throw new IllegalArgumentException(op + ": index has shape " + Arrays.toString(s) + " (rank " + s.length + ") but the "
                    + what + " has " + Arrays.toString(shape) + " (rank " + shape.length + "); their ranks must agree");
        }
        return s;
    }

    /** Throws unless the index is no larger than {@code shape} on every axis but {@code except}. */
    private static void fits(String op, int[] indexShape, String what, int[] shape, int except) {
        for (int d = 0; d < shape.length; d++) {
            if (d != except && indexShape[d] > shape[d]) {
                throw new IllegalArgumentException(op + ": index of shape " + Arrays.toString(indexShape) + " is larger than the " + what
                        + " of shape " + Arrays.toString(shape) + " at axis " + d);
            }
        }
    }

    /** The index tensor's values as ints, each checked to be a whole number in [0, size). */
    private static int[] positions(String op, Tensor index, int axis, int size) {
        double[] v = index.toArray();
        int[] p = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            double d = v[i];
            if (d != Math.rint(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException(op + ": index " + d + " is not a whole number");
            }
            if (d < 0 || d >= size) {
                throw new IllegalArgumentException(op + ": index " + (long) d + " out of range for axis " + axis + " of size " + size);
            }
            p[i] = (int) d;
        }
        return p;
    }

    private static final class Gather extends Primitive {
        private final int axis;
        private final int[] positions;
        private final int[] indexShape;
        private final int[] shape;

        Gather(int axis, int[] positions, int[] indexShape, int[] shape) {
            super("gather");
            this.axis = axis;
            this.positions = positions;
            this.indexShape = indexShape;
            this.shape = shape;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(AxisKernels.gather(value(in[0]), axis, positions, indexShape));
        }

        // linear: each read element's gradient is added back where it was read from
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {new Scatter(axis, positions, indexShape, shape).apply(g)};
        }

        // linear: the op itself, its positions repeated for each direction of the batch
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], in[0]);
            if (k == 0) {
                return apply(t[0]);
            }
            return new Gather(axis + k, tiled(positions, t[0], k), Tangents.shape(t[0], k, indexShape),
                    Tangents.shape(t[0], k, shape)).apply(t[0]);
        }
    }

    private static final class Scatter extends Primitive {
        private final int axis;
        private final int[] positions;
        private final int[] indexShape;
        private final int[] shape;

        Scatter(int axis, int[] positions, int[] indexShape, int[] shape) {
            super("scatterAdd");
            this.axis = axis;
            this.positions = positions;
            this.indexShape = indexShape;
            this.shape = shape;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(AxisKernels.scatterAdd(value(in[0]), axis, positions, shape));
        }

        // linear; its adjoint gathers from the positions written
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {new Gather(axis, positions, indexShape, shape).apply(g)};
        }

        // linear: the op itself, its positions repeated for each direction of the batch
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], out);
            if (k == 0) {
                return apply(t[0]);
            }
            return new Scatter(axis + k, tiled(positions, t[0], k), Tangents.shape(t[0], k, indexShape),
                    Tangents.shape(t[0], k, shape)).apply(t[0]);
        }
    }

    /** The positions of an index, repeated once per direction of the first k axes of t. */
    private static int[] tiled(int[] positions, Tensor t, int k) {
        int copies = 1;
        for (int d = 0; d < k; d++) {
            copies *= t.shape()[d];
        }
        int[] p = new int[positions.length * copies];
        for (int c = 0; c < copies; c++) {
            System.arraycopy(positions, 0, p, c * positions.length, positions.length);
        }
        return p;
    }
}
