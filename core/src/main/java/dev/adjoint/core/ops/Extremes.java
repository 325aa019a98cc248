package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.AxisKernels;
import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.Shapes;
import java.util.Arrays;

/**
 * The extremes of a whole tensor (max and min, whose gradient is shared evenly among tied
 * elements, as PyTorch's full reductions share it) and the positions of the extremes along an axis
 * (argmax and argmin, which are not differentiable and never require grad). The extremes along an
 * axis are in {@link Reductions}.
 */
public final class Extremes {
    private Extremes() {
    }

    /**
     * @param x a non-empty tensor
     * @return its largest element, a scalar; NaN if any element is NaN
     */
    public static Tensor max(Tensor x) {
        return whole("max", x);
    }

    /**
     * @param x a non-empty tensor
     * @return its smallest element, a scalar; NaN if any element is NaN
     */
    public static Tensor min(Tensor x) {
        return whole("min", x);
    }

    private static Tensor whole(String op, Tensor x) {
        if (x.size() == 0) {
            throw new IllegalArgumentException(op + ": tensor of shape " + Arrays.toString(x.shape()) + " is empty");
        }
        return new WholeExtreme(op).apply(x);
    }

    private static final class WholeExtreme extends Primitive {
        private final boolean min;

        WholeExtreme(String name) {
            super(name);
            this.min = name.equals("min");
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            NDArray[] extremeAndShares = AxisKernels.extremeWithTies(value(in[0]), min);
            ctx.save(wrap(extremeAndShares[1]));
            return wrap(extremeAndShares[0]);
        }

        // d max = the mean of dx over the k tied extreme elements: dx_i = g / k there, 0 elsewhere
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor shares = ctx.saved(0);
            return new Tensor[] {g.expand(shares.shape()).mul(shares)};
        }

        // d max = sum(dx shares)
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return Tangents.sumAll(t[0].mul(ctx.saved(0)), Tangents.batch(t[0], in[0]));
        }
    }

    /**
     * @param x the tensor
     * @param axis the axis; negative counts from the end
     * @param keepDim keep it as size 1
     * @return the position of the first maximum of each slice (a NaN is the maximum), as doubles
     */
    public static Tensor argmax(Tensor x, int axis, boolean keepDim) {
        return position("argmax", x, axis, keepDim, false);
    }

    /**
     * @param x the tensor
     * @param axis the axis; negative counts from the end
     * @param keepDim keep it as size 1
     * @return the position of the first minimum of each slice (a NaN is the minimum), as doubles
     */
    public static Tensor argmin(Tensor x, int axis, boolean keepDim) {
        return position("argmin", x, axis, keepDim, true);
    }

    private static Tensor position(String op, Tensor x, int axis, boolean keepDim, boolean min) {
        int[] shape = x.shape();
        int a = Shapes.axis(op, axis, shape.length);
        if (shape[a] == 0) {
            throw new IllegalArgumentException(op + ": axis " + axis + " of shape " + Arrays.toString(shape) + " is empty");
        }
        return new Position(op, a, keepDim, min).of(x);
    }

    /** The position of each slice's extreme: a plain value, never recorded (positions have no gradient). */
    private static final class Position extends Primitive.Constant {
        private final int axis;
        private final boolean keepDim;
        private final boolean min;

        Position(String name, int axis, boolean keepDim, boolean min) {
            super(name, 1);
            this.axis = axis;
            this.keepDim = keepDim;
            this.min = min;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            NDArray x = value(in[0]);
            NDArray p = AxisKernels.argExtreme(x, axis, min);
            return Primitive.wrap(keepDim ? p : p.reshape(Shapes.reduced(x.shapeView(), axis, false)));
        }
    }
}
