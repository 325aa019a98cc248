package dev.adjoint.core.ops;

import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.NDArray;

/** Base of the built-in ops: a fixed name, and helpers for one-input ops. */
abstract class Primitive implements CustomOp {
    private final String name;

    Primitive(String name) {
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    static Tensor wrap(NDArray v) {
        return Tensor.of(v);
    }

    /**
     * A fused backward formula {@code f(g, y)} of an activation, as one differentiable op: one pass
     * instead of several ops when training, with its own derivative so higher orders stay exact.
     */
    abstract static class FusedGradient extends Primitive {
        private final dev.adjoint.core.kernel.Elementwise.Binary kernel;

        FusedGradient(String name, dev.adjoint.core.kernel.Elementwise.Binary kernel) {
            super(name);
            this.kernel = kernel;
        }

        @Override
        public final Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return wrap(dev.adjoint.core.kernel.Elementwise.zip(kernel, in[0].value(), in[1].value()));
        }

        @Override
        public final Tensor[] backward(Context ctx, Tensor gOut) {
            Tensor g = ctx.saved(0);
            Tensor y = ctx.saved(1);
            return new Tensor[] {
                ctx.needsInputGrad(0) ? apply(gOut, y) : null,
                ctx.needsInputGrad(1) ? gradientOfSecond(gOut, g, y) : null};
        }

        /**
         * The gradient with respect to the second input; the first input's is the op itself (it is
         * linear in g).
         */
        abstract Tensor gradientOfSecond(Tensor gOut, Tensor g, Tensor y);
    }

    /** A one-input op whose backward needs its input x. */
    abstract static class OfInput extends Primitive {
        OfInput(String name) {
            super(name);
        }

        @Override
        public final Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0]);
            return wrap(compute(in[0].value()));
        }

        @Override
        public final Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {gradient(g, ctx.saved(0))};
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
            Tensor y = wrap(compute(in[0].value()));
            ctx.save(y);
            return y;
        }

        @Override
        public final Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {gradient(g, ctx.saved(0))};
        }

        abstract NDArray compute(NDArray x);

        abstract Tensor gradient(Tensor g, Tensor y);
    }
}
