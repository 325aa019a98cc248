package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.AxisKernels;
import dev.adjoint.core.kernel.Shapes;
import java.util.Arrays;
import java.util.List;

/**
 * Variance, standard deviation, the Euclidean norm, products, cumulative sums and the log-sum-exp
 * of a whole tensor. var, prod and logSumExp are composites; std and norm are primitives only so
 * that their gradient at a zero result is 0 (as PyTorch's) instead of 0/0; cumsum is a primitive
 * whose adjoint is the reversed cumulative sum.
 */
public final class Statistics {
    private Statistics() {
    }

    private static int nonEmptyAxis(String op, Tensor x, int axis) {
        int[] shape = x.shape();
        int a = Shapes.axis(op, axis, shape.length);
        if (shape[a] == 0) {
            throw new IllegalArgumentException(op + ": axis " + axis + " of shape " + Arrays.toString(shape) + " is empty");
        }
        return a;
    }

    /**
     * @param x the tensor
     * @param axis the axis; negative counts from the end
     * @param keepDim keep it as size 1
     * @return the unbiased variance {@code sum((x - mean)^2) / (n - 1)} along the axis (NaN for n = 1)
     */
    public static Tensor var(Tensor x, int axis, boolean keepDim) {
        int a = nonEmptyAxis("var", x, axis);
        return variance(x, a, keepDim);
    }

    private static Tensor variance(Tensor x, int a, boolean keepDim) {
        // two passes (mean first) keep the cancellation of sum(x^2) - n mean^2 out
        Tensor d = x.sub(x.mean(a, true));
        return d.mul(d).sum(a, keepDim).div(x.dim(a) - 1);
    }

    /**
     * @param x the tensor
     * @param axis the axis; negative counts from the end
     * @param keepDim keep it as size 1
     * @return the square root of the unbiased variance along the axis
     */
    public static Tensor std(Tensor x, int axis, boolean keepDim) {
        int a = nonEmptyAxis("std", x, axis);
        Tensor s = new Std(a).apply(x);
        return keepDim ? s : s.reshape(Shapes.reduced(x.shape(), a, false));
    }

    private static final class Std extends Primitive {
        private final int axis;

        Std(int axis) {
            super("std");
            this.axis = axis;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Tensor y = variance(in[0], axis, true).sqrt();
            ctx.save(in[0], y);
            return y;
        }

        // d std = (x - mean) dx / ((n - 1) std), taken as 0 where std = 0 (a constant slice)
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            Tensor y = ctx.saved(1);
            return new Tensor[] {x.sub(x.mean(axis, true)).mul(quotientOrZero(g, y)).div(x.dim(axis) - 1)};
        }

        // d std = sum((x - mean) dx) / ((n - 1) std), 0 where std = 0
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor x = in[0];
            int k = Tangents.batch(t[0], x);
            Tensor s = t[0].mul(x.sub(x.mean(axis, true))).sum(axis + k, true);
            return quotientOrZero(s, out).div(x.dim(axis) - 1);
        }
    }

    /**
     * {@code g / y} where y is not zero and 0 where it is, differentiable in both: the zeros come
     * from constant masks, so no 0/0 enters the graph.
     */
    private static Tensor quotientOrZero(Tensor g, Tensor y) {
        double[] v = y.toArray();
        double[] keep = new double[v.length];
        double[] shift = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            keep[i] = v[i] == 0 ? 0 : 1;
            shift[i] = v[i] == 0 ? 1 : 0;
        }
        int[] shape = y.shape();
        return g.mul(Tensor.of(keep, shape).to(g.dtype())).div(y.add(Tensor.of(shift, shape).to(y.dtype())));
    }

    /**
     * @param x the tensor
     * @return {@code sqrt(sum(x^2))} over all elements, a scalar (0 for an empty tensor)
     */
    public static Tensor norm(Tensor x) {
        return NORM.apply(x);
    }

    private static final Primitive NORM = new Primitive("norm") {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Tensor y = in[0].mul(in[0]).sum().sqrt();
            ctx.save(in[0], y);
            return y;
        }

        // d |x| = x . dx / |x|, taken as 0 at x = 0 (as PyTorch)
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            return new Tensor[] {x.mul(quotientOrZero(g, ctx.saved(1)))};
        }

        // d |x| = x . dx / |x|, 0 at x = 0
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return quotientOrZero(Tangents.sumAll(t[0].mul(in[0]), Tangents.batch(t[0], in[0])), out);
        }
    };

    /**
     * The product along an axis, as a composite of elementwise products of the axis's halves
     * (log2(n) steps): no division, so its gradient (the product of the other elements) and every
     * higher derivative are exact with zeros in the slice.
     *
     * @param x the tensor
     * @param axis the axis; negative counts from the end
     * @param keepDim keep it as size 1
     * @return the product along the axis (1 along an empty axis)
     */
    public static Tensor prod(Tensor x, int axis, boolean keepDim) {
        int[] shape = x.shape();
        int a = Shapes.axis("prod", axis, shape.length);
        if (shape[a] == 0) {
            return x.sum(a, keepDim).add(1);
        }
        Tensor p = x;
        for (int n = shape[a]; n > 1; n = (n + 1) / 2) {
            int half = n / 2;
            Tensor m = p.narrow(a, 0, half).mul(p.narrow(a, half, half));
            p = n % 2 == 0 ? m : Tensor.concat(List.of(m, p.narrow(a, n - 1, 1)), a);
        }
        return keepDim ? p : p.reshape(Shapes.reduced(shape, a, false));
    }

    /**
     * @param x the tensor
     * @param axis the axis; negative counts from the end
     * @return the running sums along the axis, of x's shape
     */
    public static Tensor cumsum(Tensor x, int axis) {
        int a = Shapes.axis("cumsum", axis, x.rank());
        return new CumSum(a, false).apply(x);
    }

    private static final class CumSum extends Primitive {
        private final int axis;
        private final boolean reverse;

        CumSum(int axis, boolean reverse) {
            super(reverse ? "reverseCumsum" : "cumsum");
            this.axis = axis;
            this.reverse = reverse;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(AxisKernels.cumsum(value(in[0]), axis, reverse));
        }

        // y_k = sum_{j <= k} x_j is linear: dx_j = sum_{k >= j} g_k, the cumulative sum from the end
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {new CumSum(axis, !reverse).apply(g)};
        }

        // linear: the running sums of the tangent
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return new CumSum(axis + Tangents.batch(t[0], in[0]), reverse).apply(t[0]);
        }
    }

    /**
     * @param x a non-empty tensor
     * @return {@code log(sum(exp(x)))} over all elements, a scalar, computed stably
     */
    public static Tensor logSumExp(Tensor x) {
        if (x.size() == 0) {
            throw new IllegalArgumentException("logSumExp: tensor of shape " + Arrays.toString(x.shape()) + " is empty");
        }
        return x.reshape(-1).logSumExp(0, false);
    }
}
