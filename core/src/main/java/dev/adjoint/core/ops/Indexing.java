package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.Shapes;
import dev.adjoint.core.kernel.Slabs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * narrow (a slice along one axis, as a view), its adjoint pad, and concat. select is a composite:
 * a narrow of length 1 with the axis reshaped away; stack is a concat of unsqueezed tensors.
 */
public final class Indexing {
    private Indexing() {
    }

    /**
     * @param x the tensor
     * @param axis the axis; negative counts from the end
     * @param start the first position along it
     * @param length how many positions
     * @return the slice, a view
     */
    public static Tensor narrow(Tensor x, int axis, int start, int length) {
        int[] shape = x.shape();
        int a = Shapes.axis("narrow", axis, shape.length);
        if (start < 0 || length < 0 || (long) start + length > shape[a]) {
            throw new IllegalArgumentException("narrow: positions [" + start + ", " + ((long) start + length) + ") are out of range for axis "
                    + axis + " of shape " + Arrays.toString(shape));
        }
        if (start == 0 && length == shape[a]) {
            return x;
        }
        return new Narrow(a, start, length, shape).apply(x);
    }

    /**
     * @param x the tensor
     * @param axis the axis; negative counts from the end
     * @param index the position along it; negative counts from the end
     * @return the slice at that position, with the axis removed
     */
    public static Tensor select(Tensor x, int axis, int index) {
        int[] shape = x.shape();
        int a = Shapes.axis("select", axis, shape.length);
        if (index < -shape[a] || index >= shape[a]) {
            throw new IllegalArgumentException("select: index " + index + " is out of range for axis " + axis + " of shape "
                    + Arrays.toString(shape));
        }
        int i = index < 0 ? index + shape[a] : index;
        return narrow(x, a, i, 1).reshape(Shapes.reduced(shape, a, false));
    }

    private static final class Narrow extends Primitive {
        private final int axis;
        private final int start;
        private final int length;
        private final int[] from;

        Narrow(int axis, int start, int length, int[] from) {
            super("narrow");
            this.axis = axis;
            this.start = start;
            this.length = length;
            this.from = from;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(value(in[0]).narrow(axis, start, length));
        }

        // the slice's gradient goes back to its positions, zeros elsewhere
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {new Pad(axis, start, length, from).apply(g)};
        }

        // linear: the same slice of the tangent
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], in[0]);
            return k == 0 ? apply(t[0]) : new Narrow(axis + k, start, length, Tangents.shape(t[0], k, from)).apply(t[0]);
        }
    }

    private static final class Pad extends Primitive {
        private final int axis;
        private final int start;
        private final int length;
        private final int[] to;

        Pad(int axis, int start, int length, int[] to) {
            super("pad");
            this.axis = axis;
            this.start = start;
            this.length = length;
            this.to = to;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(Slabs.pad(value(in[0]), to, axis, start));
        }

        // pad is linear; its adjoint reads the slab back out
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {narrow(g, axis, start, length)};
        }

        // linear: the tangent padded the same way
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], in[0]);
            return k == 0 ? apply(t[0]) : new Pad(axis + k, start, length, Tangents.shape(t[0], k, to)).apply(t[0]);
        }
    }

    /**
     * @param parts tensors whose shapes agree except along {@code axis}
     * @param axis the axis; negative counts from the end
     * @return the tensors joined along the axis
     */
    public static Tensor concat(List<Tensor> parts, int axis) {
        if (parts == null || parts.isEmpty()) {
            throw new IllegalArgumentException("concat: needs at least one tensor");
        }
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i) == null) {
                throw new IllegalArgumentException("concat: tensor " + i + " is null");
            }
        }
        int[] first = parts.get(0).shape();
        int a = Shapes.axis("concat", axis, first.length);
        for (int i = 1; i < parts.size(); i++) {
            int[] s = parts.get(i).shape();
            boolean ok = s.length == first.length;
            for (int d = 0; ok && d < s.length; d++) {
                ok = d == a || s[d] == first[d];
            }
            if (!ok) {
                throw new IllegalArgumentException("concat: shape " + Arrays.toString(s) + " of tensor " + i + " does not match "
                        + Arrays.toString(first) + " except along axis " + axis);
            }
        }
        if (parts.size() == 1) {
            return parts.get(0);
        }
        int[] lengths = new int[parts.size()];
        long total = 0;
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = parts.get(i).shape()[a];
            total += lengths[i];
        }
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("concat: cannot join " + shapes(parts) + " along axis " + axis + ": its length would be "
                    + total + ", more than an int dimension holds");
        }
        int[] joined = first.clone();
        joined[a] = (int) total;
        if (!Shapes.fits(joined)) {
            throw new IllegalArgumentException("concat: cannot join " + shapes(parts) + " along axis " + axis + ": the result's "
                    + Shapes.tooLarge(joined));
        }
        return new Concat(a, lengths).apply(parts.toArray(new Tensor[0]));
    }

    /**
     * @param parts tensors of one shape (rank-0 ones too)
     * @param axis where the new axis goes, in [-(rank + 1), rank]; negative counts from the end of the result
     * @return the tensors joined along a new axis of length {@code parts.size()}
     */
    public static Tensor stack(List<Tensor> parts, int axis) {
        if (parts == null || parts.isEmpty()) {
            throw new IllegalArgumentException("stack: needs at least one tensor");
        }
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i) == null) {
                throw new IllegalArgumentException("stack: tensor " + i + " is null");
            }
        }
        int[] first = parts.get(0).shape();
        for (int i = 1; i < parts.size(); i++) {
            int[] s = parts.get(i).shape();
            if (!Arrays.equals(s, first)) {
                throw new IllegalArgumentException("stack: tensor " + i + " has shape " + Arrays.toString(s) + " but tensor 0 has "
                        + Arrays.toString(first));
            }
        }
        int a = Shapes.axis("stack", axis, first.length + 1);
        List<Tensor> pieces = new ArrayList<>(parts.size());
        for (Tensor t : parts) {
            pieces.add(t.unsqueeze(a));
        }
        return concat(pieces, a);
    }

    /** The shapes of the parts, for a message: all of them, or the first few and how many more. */
    private static String shapes(List<Tensor> parts) {
        StringBuilder b = new StringBuilder();
        int shown = Math.min(parts.size(), 8);
        for (int i = 0; i < shown; i++) {
            b.append(i == 0 ? "" : i == parts.size() - 1 ? " and " : ", ").append(Arrays.toString(parts.get(i).shape()));
        }
        if (shown < parts.size()) {
            b.append(" and ").append(parts.size() - shown).append(" more tensors");
        }
        return b.toString();
    }

    private static final class Concat extends Primitive {
        private final int axis;
        private final int[] lengths;

        Concat(int axis, int[] lengths) {
            super("concat");
            this.axis = axis;
            this.lengths = lengths;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            List<NDArray> values = new ArrayList<>(in.length);
            for (Tensor t : in) {
                values.add(value(t));
            }
            return wrap(Slabs.concat(values, axis));
        }

        // each input's gradient is its slab of the output's
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor[] grads = new Tensor[lengths.length];
            int at = 0;
            for (int i = 0; i < grads.length; i++) {
                grads[i] = ctx.needsInputGrad(i) ? narrow(g, axis, at, lengths[i]) : null;
                at += lengths[i];
            }
            return grads;
        }

        // linear: the tangents joined, zeros for inputs without one
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor some = null;
            int k = 0;
            for (int i = 0; i < t.length && some == null; i++) {
                if (t[i] != null) {
                    some = t[i];
                    k = Tangents.batch(t[i], in[i]);
                }
            }
            Tensor[] parts = new Tensor[t.length];
            for (int i = 0; i < t.length; i++) {
                parts[i] = t[i] != null ? t[i] : Tangents.zeros(some, k, in[i]);
            }
            return new Concat(axis + k, lengths).apply(parts);
        }
    }
}
