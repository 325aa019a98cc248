package dev.adjoint.core.ops;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.Shapes;
import java.util.Arrays;

/**
 * Reductions along an axis. sum and mean are composites of sumTo; max is a primitive; logSumExp,
 * softmax and logSoftmax are composites that subtract the (detached) max for stability: the max's
 * gradient contributions cancel exactly, so detaching it changes no derivative.
 */
public final class Reductions {
    private Reductions() {
    }

    /** @param x the tensor @param axis the axis @param keepDim keep it as size 1 @return the sum */
    public static Tensor sum(Tensor x, int axis, boolean keepDim) {
        int[] shape = x.shape();
        int a = Shapes.axis("sum", axis, shape.length);
        Tensor s = x.sumTo(Shapes.reduced(shape, a, true));
        return keepDim ? s : s.reshape(Shapes.reduced(shape, a, false));
    }

    /** @param x the tensor @return the mean of all elements */
    public static Tensor mean(Tensor x) {
        if (x.size() == 0) {
            throw new IllegalArgumentException("mean: tensor of shape " + Arrays.toString(x.shape()) + " is empty");
        }
        return x.sum().div(x.size());
    }

    /** @param x the tensor @param axis the axis @param keepDim keep it as size 1 @return the mean */
    public static Tensor mean(Tensor x, int axis, boolean keepDim) {
        int[] shape = x.shape();
        int a = Shapes.axis("mean", axis, shape.length);
        if (shape[a] == 0) {
            throw new IllegalArgumentException("mean: axis " + axis + " of shape " + Arrays.toString(shape) + " is empty");
        }
        return sum(x, a, keepDim).div(shape[a]);
    }

    /** @param x the tensor @param axis the axis @param keepDim keep it as size 1 @return the maximum */
    public static Tensor max(Tensor x, int axis, boolean keepDim) {
        int[] shape = x.shape();
        int a = Shapes.axis("max", axis, shape.length);
        if (shape[a] == 0) {
            throw new IllegalArgumentException("max: axis " + axis + " of shape " + Arrays.toString(shape) + " is empty");
        }
        Tensor m = new Max(a).apply(x);
        return keepDim ? m : m.reshape(Shapes.reduced(shape, a, false));
    }

    private static final class Max extends Primitive {
        private final int axis;

        Max(int axis) {
            super("max");
            this.axis = axis;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            NDArray[] maxAndMask = dev.adjoint.core.kernel.Reductions.maxWithMask(in[0].value(), axis);
            ctx.save(wrap(maxAndMask[1]));
            return wrap(maxAndMask[0]);
        }

        // d max = dx at the (first) maximal element, 0 elsewhere
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor mask = ctx.saved(0);
            return new Tensor[] {g.expand(mask.shape()).mul(mask)};
        }
    }

    private static int nonEmptyAxis(String op, int axis, int[] shape) {
        int a = Shapes.axis(op, axis, shape.length);
        if (shape[a] == 0) {
            throw new IllegalArgumentException(op + ": axis " + axis + " of shape " + Arrays.toString(shape) + " is empty");
        }
        return a;
    }

    /** @param x the tensor @param axis the axis @param keepDim keep it as size 1 @return log(sum(exp(x))) */
    public static Tensor logSumExp(Tensor x, int axis, boolean keepDim) {
        int[] shape = x.shape();
        int a = nonEmptyAxis("logSumExp", axis, shape);
        Tensor m = x.max(a, true).detach();
        Tensor r = x.sub(m).exp().sum(a, true).log().add(m);
        return keepDim ? r : r.reshape(Shapes.reduced(shape, a, false));
    }

    /** @param x the tensor @param axis the axis @return the softmax along it */
    public static Tensor softmax(Tensor x, int axis) {
        int a = nonEmptyAxis("softmax", axis, x.shape());
        Tensor e = x.sub(x.max(a, true).detach()).exp();
        return e.div(e.sum(a, true));
    }

    /** @param x the tensor @param axis the axis @return the log-softmax along it */
    public static Tensor logSoftmax(Tensor x, int axis) {
        int a = nonEmptyAxis("logSoftmax", axis, x.shape());
        return x.sub(logSumExp(x, a, true));
    }
}
