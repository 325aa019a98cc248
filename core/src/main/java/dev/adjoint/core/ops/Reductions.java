package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.Shapes;
import java.util.Arrays;

/**
 * Reductions along an axis. sum and mean are composites of sumTo; max and min are primitives; logSumExp is
 * a composite that subtracts the (detached) max for stability (0 where the max is infinite): the max's gradient contributions
 * cancel exactly, so detaching it changes no derivative. softmax and logSoftmax are fused
 * primitives (max-subtracted too), forward and backward each one pass over the data.
 */
public final class Reductions {
    private Reductions() {
    }

    /**
     * Returns the sum.
     *
     * @param x the tensor
     * @param axis the axis
     * @param keepDim keep it as size 1
     * @return the sum
     */
    public static Tensor sum(Tensor x, int axis, boolean keepDim) {
        int[] shape = x.shape();
        int a = Shapes.axis("sum", axis, shape.length);
        Tensor s = x.sumTo(Shapes.reduced(shape, a, true));
        return keepDim ? s : s.reshape(Shapes.reduced(shape, a, false));
    }

    /**
     * Returns the mean of all elements.
     *
     * @param x the tensor
     * @return the mean of all elements
     */
    public static Tensor mean(Tensor x) {
        if (x.size() == 0) {
            throw new IllegalArgumentException("mean: tensor of shape " + Arrays.toString(x.shape()) + " is empty");
        }
        return x.sum().div(x.size());
    }

    /**
     * Returns the mean.
     *
     * @param x the tensor
     * @param axis the axis
     * @param keepDim keep it as size 1
     * @return the mean
     */
    public static Tensor mean(Tensor x, int axis, boolean keepDim) {
        int[] shape = x.shape();
        int a = Shapes.axis("mean", axis, shape.length);
        if (shape[a] == 0) {
            throw new IllegalArgumentException("mean: axis " + axis + " of shape " + Arrays.toString(shape) + " is empty");
        }
        return sum(x, a, keepDim).div(shape[a]);
    }

    /**
     * Returns the maximum along an axis; the gradient goes to the first maximal element of each
     * slice (the one PyTorch's {@code max(dim)} returns), and a NaN in a slice is its maximum.
     *
     * @param x the tensor
     * @param axis the axis
     * @param keepDim keep it as size 1
     * @return the maximum
     */
    public static Tensor max(Tensor x, int axis, boolean keepDim) {
        return extreme("max", x, axis, keepDim);
    }

    /**
     * Returns the minimum along an axis; the gradient goes to the first minimal element of each
     * slice, and a NaN in a slice is its minimum.
     *
     * @param x the tensor
     * @param axis the axis
     * @param keepDim keep it as size 1
     * @return the minimum
     */
    public static Tensor min(Tensor x, int axis, boolean keepDim) {
        return extreme("min", x, axis, keepDim);
    }

    private static Tensor extreme(String op, Tensor x, int axis, boolean keepDim) {
        int[] shape = x.shape();
        int a = nonEmptyAxis(op, axis, shape);
        Tensor m = new Extreme(op, a, shape[a]).apply(x);
        return keepDim ? m : m.reshape(Shapes.reduced(shape, a, false));
    }

    private static final class Extreme extends Primitive {
        private final int axis;
        private final int length;
        private final boolean min;

        Extreme(String name, int axis, int length) {
            super(name);
            this.axis = axis;
            this.length = length;
            this.min = name.equals("min");
        }

        // saves each slice's position only (one double a slice): the one-hot mask of the input's
        // size is built when a recorded gradient or a tangent asks for it, not by an eager max
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            NDArray[] extremeAndPositions = dev.adjoint.core.kernel.AxisKernels.extremeWithPositions(value(in[0]), axis, min);
            ctx.save(wrap(extremeAndPositions[1]));
            return wrap(extremeAndPositions[0]);
        }

        /** The input's shape: the positions' with the axis as long as it was. */
        private int[] inputShape(NDArray positions) {
            int[] shape = positions.shapeView().clone();
            shape[axis] = length;
            return shape;
        }

        /** 1 at each slice's (first) extreme along the axis, 0 elsewhere: the input's shape, like's dtype. */
        private Tensor mask(Context ctx, Tensor like) {
            NDArray positions = value(ctx.saved(0));
            return wrap(dev.adjoint.core.kernel.AxisKernels.oneAt(positions, inputShape(positions), axis, value(like).isFloat32()));
        }

        // d max = dx at the (first) extreme element, 0 elsewhere
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            if (Access.unrecorded()) {
                // when nothing records, the kernel alone: the mask's product without the mask
                NDArray positions = value(ctx.saved(0));
                return new Tensor[] {wrap(dev.adjoint.core.kernel.AxisKernels.timesOneAt(value(g), positions, inputShape(positions), axis))};
            }
            Tensor mask = mask(ctx, g);
            return new Tensor[] {g.expand(mask.shape()).mul(mask)};
        }

        // d max = the tangent at the (first) extreme element
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return t[0].mul(mask(ctx, out)).sum(axis + Tangents.batch(t[0], in[0]), true);
        }
    }

    /**
     * {@code sum((a - b)^2)} as one op when the shapes are equal (the sum-of-squares loss): one
     * node forward and one fused node backward instead of sub, mul, sum and their gradients. Other
     * shapes broadcast through the composite.
     *
     * @param a one tensor
     * @param b the other
     * @return the scalar sum of squared differences
     */
    public static Tensor sumSquaredDifference(Tensor a, Tensor b) {
        if (b == null) {
            throw new IllegalArgumentException("sumSquaredDifference: other tensor is null");
        }
        if (Shapes.same(value(a).shapeView(), value(b).shapeView())) {
            return SUM_SQUARED_DIFFERENCE.apply(a, b);
        }
        try {
            Tensor d = a.sub(b);
            return d.mul(d).sum();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sumSquaredDifference: " + e.getMessage(), e);
        }
    }

    // d sum((a - b)^2) = sum(2 (a - b) (da - db))
    private static final Primitive SUM_SQUARED_DIFFERENCE = new Primitive("sumSquaredDifference") {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            // the kernel sums in float64; the result takes the inputs' dtype
            return wrap(NDArray.scalarLike(dev.adjoint.core.kernel.ReduceKernels.sumSquaredDifference(value(in[0]), value(in[1])),
                    value(in[0])));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor a = ctx.saved(0);
            Tensor b = ctx.saved(1);
            // when nothing records, the kernel alone (as the op's forward would run it)
            Tensor ga = Access.unrecorded() ? differenceGradient(g, a, b) : DIFFERENCE_GRADIENT.apply(g, a, b);
            return new Tensor[] {ctx.needsInputGrad(0) ? ga : null, ctx.needsInputGrad(1) ? ga.neg() : null};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor some = t[0] != null ? t[0] : t[1];
            Tensor d = t[1] == null ? t[0] : t[0] == null ? t[1].neg() : t[0].sub(t[1]);
            return Tangents.sumAll(d.mul(in[0].sub(in[1])), Tangents.batch(some, in[0])).mul(2.0);
        }
    };

    /** {@code 2 g (a - b)} for a scalar g, by the kernel alone. */
    private static Tensor differenceGradient(Tensor g, Tensor a, Tensor b) {
        return Access.wrap(dev.adjoint.core.kernel.ReduceKernels.scaledDifference(2 * g.item(), value(a), value(b)));
    }

    /** {@code 2 g (a - b)} for a scalar g, as one differentiable op (the gradient above). */
    private static final Primitive DIFFERENCE_GRADIENT = new Primitive("sumSquaredDifferenceBackward") {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1], in[2]);
            return differenceGradient(in[0], in[1], in[2]);
        }

        // linear in g, and in (a - b): d/dg = sum(gOut 2 (a - b)), d/da = 2 g gOut, d/db = -2 g gOut
        @Override
        public Tensor[] backward(Context ctx, Tensor gOut) {
            Tensor g = ctx.saved(0);
            Tensor a = ctx.saved(1);
            Tensor b = ctx.saved(2);
            Tensor da = ctx.needsInputGrad(1) || ctx.needsInputGrad(2) ? gOut.mul(g.mul(2)) : null;
            return new Tensor[] {
                ctx.needsInputGrad(0) ? gOut.mul(a.sub(b)).sum().mul(2) : null,
                ctx.needsInputGrad(1) ? da : null,
                ctx.needsInputGrad(2) ? da.neg() : null};
        }

        // d(2 g (a - b)) = 2 dg (a - b) + 2 g (da - db)
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor dg = null;
            if (t[0] != null) {
                int k = Tangents.batch(t[0], in[0]);
                dg = Tangents.aligned(t[0], k, in[1].rank()).mul(in[1].sub(in[2])).mul(2.0);
            }
            Tensor d = t[2] == null ? t[1] : t[1] == null ? t[2].neg() : t[1].sub(t[2]);
            return Tangents.sum(dg, d == null ? null : d.mul(in[0].mul(2.0)));
        }
    };

    private static int nonEmptyAxis(String op, int axis, int[] shape) {
        int a = Shapes.axis(op, axis, shape.length);
        if (shape[a] == 0) {
            throw new IllegalArgumentException(op + ": axis " + axis + " of shape " + Arrays.toString(shape) + " is empty");
        }
        return a;
    }

    /** logSumExp's shift: the maximum, or 0 where it is infinite; a constant of the graph. */
    private static final Primitive.Constant FINITE_SHIFT = new Primitive.Constant("logSumExpShift", 1) {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return Primitive.wrap(Elementwise.map(Elementwise.Unary.INFINITY_TO_ZERO, value(in[0])));
        }
    };

    /**
     * Returns log(sum(exp(x))).
     *
     * @param x the tensor
     * @param axis the axis
     * @param keepDim keep it as size 1
     * @return log(sum(exp(x)))
     */
    public static Tensor logSumExp(Tensor x, int axis, boolean keepDim) {
        int[] shape = x.shape();
        int a = nonEmptyAxis("logSumExp", axis, shape);
        // an infinite max shifts by 0 instead (as PyTorch): -inf - -inf would be NaN where the
        // answer is -inf (all -inf) or +inf (any +inf)
        Tensor m = FINITE_SHIFT.of(x.max(a, true));
        Tensor r = x.sub(m).exp().sum(a, true).log().add(m);
        return keepDim ? r : r.reshape(Shapes.reduced(shape, a, false));
    }

    /**
     * Returns the softmax along it.
     *
     * @param x the tensor
     * @param axis the axis
     * @return the softmax along it
     */
    public static Tensor softmax(Tensor x, int axis) {
        int a = nonEmptyAxis("softmax", axis, x.shape());
        return new Softmax(a, false).apply(x);
    }

    /**
     * Returns the log-softmax along it.
     *
     * @param x the tensor
     * @param axis the axis
     * @return the log-softmax along it
     */
    public static Tensor logSoftmax(Tensor x, int axis) {
        int a = nonEmptyAxis("logSoftmax", axis, x.shape());
        return new Softmax(a, true).apply(x);
    }

    /**
     * Softmax or log-softmax along an axis as one fused op, max-subtracted for stability; its
     * gradient is one fused op too ({@link SoftmaxBackward}).
     */
    private static final class Softmax extends Primitive {
        private final int axis;
        private final boolean log;

        Softmax(int axis, boolean log) {
            super(log ? "logSoftmax" : "softmax");
            this.axis = axis;
            this.log = log;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Tensor y = wrap(dev.adjoint.core.kernel.SoftmaxKernels.softmax(value(in[0]), axis, log));
            ctx.save(y);
            return y;
        }

        // softmax: dx = y (g - sum(g y)); log-softmax: dx = g - exp(y) sum(g), sums along the axis
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {new SoftmaxBackward(axis, log).apply(g, ctx.saved(0))};
        }

        // softmax: dy = y (dx - sum(dx y)), the backward formula (its Jacobian is symmetric);
        // log-softmax: dy = dx - sum(exp(y) dx), the transpose of its backward formula
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], in[0]);
            if (log) {
                return t[0].sub(t[0].mul(out.exp()).sum(axis + k, true));
            }
            return new SoftmaxBackward(axis + k, false).apply(t[0], Tangents.like(out, t[0]));
        }
    }

    /**
     * h(g, y) = y (g - S(g y)) for softmax, g - exp(y) S(g) for log-softmax, S the sum along the
     * axis (kept). Its own gradient, for higher orders, is built from recorded ops.
     */
    private static final class SoftmaxBackward extends Primitive {
        private final int axis;
        private final boolean log;

        SoftmaxBackward(int axis, boolean log) {
            super(log ? "logSoftmaxBackward" : "softmaxBackward");
            this.axis = axis;
            this.log = log;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return wrap(dev.adjoint.core.kernel.SoftmaxKernels.softmaxBackward(value(in[0]), value(in[1]), axis, log));
        }

        // With v = gOut:
        //   softmax:     dh/dg^T v = y (v - S(v y));           dh/dy^T v = v (g - S(g y)) - g S(v y)
        //   log-softmax: dh/dg^T v = v - S(v exp(y));          dh/dy^T v = -v exp(y) S(g)
        @Override
        public Tensor[] backward(Context ctx, Tensor v) {
            Tensor g = ctx.saved(0);
            Tensor y = ctx.saved(1);
            Tensor gg = null;
            Tensor gy = null;
            if (log) {
                Tensor e = y.exp();
                if (ctx.needsInputGrad(0)) {
                    gg = v.sub(v.mul(e).sum(axis, true));
                }
                if (ctx.needsInputGrad(1)) {
                    gy = v.mul(e).mul(g.sum(axis, true)).neg();
                }
            } else {
                Tensor vy = v.mul(y).sum(axis, true);
                if (ctx.needsInputGrad(0)) {
                    gg = y.mul(v.sub(vy));
                }
                if (ctx.needsInputGrad(1)) {
                    gy = v.mul(g.sub(g.mul(y).sum(axis, true))).sub(g.mul(vy));
                }
            }
            return new Tensor[] {gg, gy};
        }

        // linear in g: d h = h(dg, y) + (dh/dy) dy, with
        //   softmax:     (dh/dy) dy = dy (g - S(g y)) - y S(g dy)
        //   log-softmax: (dh/dy) dy = -dy exp(y) S(g)
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor g = in[0];
            Tensor y = in[1];
            Tensor some = t[0] != null ? t[0] : t[1];
            int k = Tangents.batch(some, g);
            Tensor dg = t[0] == null ? null : new SoftmaxBackward(axis + k, log).apply(t[0], Tangents.like(y, t[0]));
            Tensor dy = null;
            if (t[1] != null) {
                if (log) {
                    dy = t[1].mul(y.exp()).mul(g.sum(axis, true)).neg();
                } else {
                    dy = t[1].mul(g.sub(g.mul(y).sum(axis, true))).sub(y.mul(g.mul(t[1]).sum(axis + k, true)));
                }
            }
            return Tangents.sum(dg, dy);
        }
    }
}
