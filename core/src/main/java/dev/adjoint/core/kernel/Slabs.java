package dev.adjoint.core.kernel;

import java.util.List;

/**
 * Copies along one axis: concatenation and its adjoint, padding a slab into zeros. An array of shape
 * [..., n, ...] is seen as [outer, n, inner] around the axis, so every copy is a run of n * inner
 * contiguous elements per outer index.
 */
public final class Slabs {
    private Slabs() {
    }

    /**
     * Concatenates arrays whose shapes agree except along {@code axis}.
     *
     * @param parts the arrays (shapes checked by the caller)
     * @param axis the axis, non-negative
     * @return a new contiguous array
     */
    public static NDArray concat(List<NDArray> parts, int axis) {
        if (Widening.any(parts) && !Widening.all(parts)) {
            List<NDArray> wide = new java.util.ArrayList<>(parts.size());
            for (NDArray p : parts) {
                wide.add(p.toFloat64());
            }
            return concat(wide, axis).toFloat32();
        }
        int[] shape = parts.get(0).shape.clone();
        int total = 0;
        for (NDArray p : parts) {
            total = Math.addExact(total, p.shape[axis]); // the op refuses what does not fit: never wrap
        }
        shape[axis] = total;
        int outer = outer(shape, axis);
        int inner = inner(shape, axis);
        // copies in the parts' own dtype, into a buffer a memory scope recycles (every element is
        // written); typed, as an arraycopy between arrays of types unknown to the JIT checks them per call
        boolean floats = parts.get(0).floats != null;
        float[] fout = floats ? Buffers.uninitializedFloats(Shapes.size(shape)) : null;
        double[] out = floats ? null : Buffers.uninitialized(Shapes.size(shape));
        int at = 0;
        for (NDArray p : parts) {
            NDArray c = p.contiguous();
            int run = p.shape[axis] * inner;
            for (int o = 0; o < outer; o++) {
                if (floats) {
                    System.arraycopy(c.floats, c.offset + o * run, fout, (o * total + at) * inner, run);
                } else {
                    System.arraycopy(c.data, c.offset + o * run, out, (o * total + at) * inner, run);
                }
            }
            at += p.shape[axis];
        }
        return floats ? NDArray.wrap(fout, shape) : NDArray.wrap(out, shape);
    }

    /**
     * Zeros of {@code shape} with {@code slab} placed at positions [start, start + slab's length)
     * along {@code axis}: the adjoint of narrowing.
     *
     * @param slab the values to place
     * @param shape the full shape
     * @param axis the axis, non-negative
     * @param start where the slab begins along the axis
     * @return a new contiguous array
     */
    public static NDArray pad(NDArray slab, int[] shape, int axis, int start) {
        int outer = outer(shape, axis);
        int inner = inner(shape, axis);
        int total = shape[axis];
        NDArray c = slab.contiguous();
        int run = slab.shape[axis] * inner;
        if (c.floats != null) {
            float[] out = new float[Shapes.size(shape)];
            for (int o = 0; o < outer; o++) {
                System.arraycopy(c.floats, c.offset + o * run, out, (o * total + start) * inner, run);
            }
            return NDArray.wrap(out, shape.clone());
        }
        double[] out = new double[Shapes.size(shape)];
        for (int o = 0; o < outer; o++) {
            System.arraycopy(c.data, c.offset + o * run, out, (o * total + start) * inner, run);
        }
        return NDArray.wrap(out, shape.clone());
    }

    private static int outer(int[] shape, int axis) {
        int n = 1;
        for (int i = 0; i < axis; i++) {
            n *= shape[i];
        }
        return n;
    }

    private static int inner(int[] shape, int axis) {
        int n = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            n *= shape[i];
        }
        return n;
    }
}
