package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.NDArray;

/**
 * Base of the built-in ops: a fixed name, the op contract's promises that backward keeps none of
 * its gradients and reads nothing but its own arguments, and helpers for one-input ops. A built-in op is applied only through the
 * functions of its family, which check shapes first, never directly by users.
 */
abstract class Primitive implements CustomOp {
    private final String name;

    Primitive(String name) {
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final boolean retainsGradients() {
        return false;
    }

    /** A built-in backward reads its inputs, what it saved, its gradient and what its forward computed. */
    @Override
    public final boolean readsOnlyItsArguments() {
        return true;
    }

    /** Applies the op; the varargs array is made for this call, so the engine need not copy it. */
    @Override
    public final Tensor apply(Tensor... inputs) {
        return Access.apply(this, inputs);
    }

    /**
     * The contract's fallback (two reverse passes per direction), declared here so that
     * {@code TangentRuleCoverageTest} can tell a primitive without a rule of its own: every
     * built-in op overrides it.
     */
    @Override
    public Tensor jvp(Context ctx, Tensor[] inputs, Tensor[] tangents, Tensor output) {
        return CustomOp.super.jvp(ctx, inputs, tangents, output);
    }

    static Tensor wrap(NDArray v) {
        return Access.wrap(v);
    }

    /**
     * An op without a derivative (a comparison, argmax, logSumExp's shift): applied through
     * {@link #of}, its result never joins the graph and never requires grad, but a recorded step
     * (which replays ops, not the Java code around them) records and replays it like any op.
     */
    abstract static class Constant implements CustomOp {
        private final String name;
        private final int arity;

        Constant(String name, int arity) {
            this.name = name;
            this.arity = arity;
        }

        @Override
        public final String name() {
            return name;
        }

        /** Never called (the result is not recorded); no input gets a gradient. */
        @Override
        public final Tensor[] backward(Context ctx, Tensor gradOutput) {
            return new Tensor[arity];
        }

        @Override
        public final boolean retainsGradients() {
            return false;
        }

        /** No tangent: the result is piecewise constant. */
        @Override
        public final Tensor jvp(Context ctx, Tensor[] inputs, Tensor[] tangents, Tensor output) {
            return null;
        }

        final Tensor of(Tensor... inputs) {
            return Access.constant(this, inputs);
        }
    }

    /**
     * A fused backward formula {@code f(g, y)} of an activation, as one differentiable op: one pass
     * instead of several ops when training, with its own derivative so higher orders stay exact.
     */
    abstract static class FusedGradient extends Primitive {
        private final Elementwise.Binary kernel;

        FusedGradient(String name, Elementwise.Binary kernel) {
            super(name);
            this.kernel = kernel;
        }

        @Override
        public final Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return compute(in[0], in[1]);
        }

        private Tensor compute(Tensor g, Tensor y) {
            return wrap(Elementwise.zip(kernel, value(g), value(y)));
        }

        @Override
        public final Tensor[] backward(Context ctx, Tensor gOut) {
            Tensor g = ctx.saved(0);
            Tensor y = ctx.saved(1);
            return new Tensor[] {
                ctx.needsInputGrad(0) ? apply(gOut, y) : null,
                ctx.needsInputGrad(1) ? gradientOfSecond(gOut, g, y) : null};
        }

        // linear in g: d h(g, y) = h(dg, y) + (dh/dy) dy
        @Override
        public final Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor dg = t[0] == null ? null : apply(t[0], Tangents.like(in[1], t[0]));
            Tensor dy = t[1] == null ? null : gradientOfSecond(t[1], in[0], in[1]);
            return Tangents.sum(dg, dy);
        }

        /**
         * The gradient with respect to the second input; the first input's is the op itself (it is
         * linear in g).
         */
        abstract Tensor gradientOfSecond(Tensor gOut, Tensor g, Tensor y);

        /**
         * This op applied to a gradient {@code g} and the saved {@code y} (of g's shape and dtype,
         * as the engine guarantees): recorded when something records, otherwise the kernel alone,
         * without an op dispatch (a plain backward through a tiny graph is all dispatch).
         */
        final Tensor applyTo(Tensor g, Tensor y) {
            return Access.unrecorded() ? compute(g, y) : apply(g, y);
        }
    }

    /** A one-input op whose backward needs its input x. */
    abstract static class OfInput extends Primitive {
        OfInput(String name) {
            super(name);
        }

        @Override
        public final Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0]);
            return wrap(compute(value(in[0])));
        }

        @Override
        public final Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {gradient(g, ctx.saved(0))};
        }

        // elementwise, so the gradient formula applied to the tangent is the tangent rule
        @Override
        public final Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return gradient(t[0], Tangents.like(in[0], t[0]));
        }

        abstract NDArray compute(NDArray x);

        abstract Tensor gradient(Tensor g, Tensor x);
    }

    /** A one-input op whose backward is cheaper in terms of its output y. */
    abstract static class OfOutput extends Primitive {
        OfOutput(String name) {
            super(name);
        }

        @Override
        public final Tensor forward(Context ctx, Tensor... in) {
            Tensor y = wrap(compute(value(in[0])));
            ctx.save(y);
            return y;
        }

        @Override
        public final Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {gradient(g, ctx.saved(0))};
        }

        // elementwise, so the gradient formula applied to the tangent is the tangent rule
        @Override
        public final Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return gradient(t[0], Tangents.like(out, t[0]));
        }

        abstract NDArray compute(NDArray x);

        abstract Tensor gradient(Tensor g, Tensor y);
    }
}
