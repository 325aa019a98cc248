package dev.adjoint.core.ops;

import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.Elementwise.Binary;

/**
 * add, sub, mul, div on operands of equal shape (Tensor broadcasts them first with an explicit
 * expand, whose backward does the summing), and neg.
 */
public final class Arithmetic {
    private Arithmetic() {
    }

    /** Base of the two-input ops: both inputs are saved when a backward needs them. */
    private abstract static class BinaryOp extends Primitive {
        private final Binary kernel;

        BinaryOp(String name, Binary kernel) {
            super(name);
            this.kernel = kernel;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return wrap(Elementwise.zip(kernel, in[0].value(), in[1].value()));
        }
    }

    public static final CustomOp ADD = new BinaryOp("add", Binary.ADD) {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(Elementwise.zip(Binary.ADD, in[0].value(), in[1].value()));
        }

        // d(a + b) = da + db
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g, g};
        }
    };

    public static final CustomOp SUB = new BinaryOp("sub", Binary.SUB) {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(Elementwise.zip(Binary.SUB, in[0].value(), in[1].value()));
        }

        // d(a - b) = da - db
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g, ctx.needsInputGrad(1) ? g.neg() : null};
        }
    };

    public static final CustomOp MUL = new BinaryOp("mul", Binary.MUL) {
        // d(a b) = b da + a db
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {
                ctx.needsInputGrad(0) ? g.mul(ctx.saved(1)) : null,
                ctx.needsInputGrad(1) ? g.mul(ctx.saved(0)) : null};
        }
    };

    public static final CustomOp DIV = new BinaryOp("div", Binary.DIV) {
        // d(a / b) = da / b - a db / b^2
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor a = ctx.saved(0);
            Tensor b = ctx.saved(1);
            return new Tensor[] {
                ctx.needsInputGrad(0) ? g.div(b) : null,
                ctx.needsInputGrad(1) ? g.neg().mul(a).div(b.mul(b)) : null};
        }
    };

    public static final CustomOp NEG = new Primitive("neg") {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(Elementwise.map(Elementwise.Unary.NEG, in[0].value()));
        }

        // d(-x) = -dx
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.neg()};
        }
    };

    /**
     * {@code x + c}, {@code x * c} or {@code x / c} for a constant c: no scalar tensor, no broadcast.
     *
     * @param kernel ADD, MUL or DIV
     * @param c the constant
     * @return the op
     */
    public static CustomOp scalar(Binary kernel, double c) {
        return new ScalarOp(kernel, c);
    }

    private static final class ScalarOp extends Primitive {
        private final Binary kernel;
        private final double c;

        ScalarOp(Binary kernel, double c) {
            super(kernel.name().toLowerCase(java.util.Locale.ROOT));
            if (kernel != Binary.ADD && kernel != Binary.MUL && kernel != Binary.DIV) {
                throw new IllegalArgumentException("scalar: unsupported kernel " + kernel);
            }
            this.kernel = kernel;
            this.c = c;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(Elementwise.zipScalar(kernel, in[0].value(), c));
        }

        // d(x + c) = dx; d(x c) = c dx; d(x / c) = dx / c
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {kernel == Binary.ADD ? g : kernel == Binary.MUL ? g.mul(c) : g.div(c)};
        }
    }
}
