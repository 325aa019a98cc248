package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.Elementwise.Binary;
import dev.adjoint.core.kernel.Shapes;

/**
 * add, sub, mul, div and neg. The primitives take operands of equal shape: the functions here
 * broadcast them first with an explicit expand, whose backward does the summing. A constant
 * operand is folded into its op (ScalarOp) instead.
 */
public final class Arithmetic {
    private Arithmetic() {
    }

    /**
     * Elementwise sum, broadcasting.
     *
     * @param a one operand
     * @param b the other
     * @return a + b
     */
    public static Tensor add(Tensor a, Tensor b) {
        return broadcasting(ADD, a, b);
    }

    /**
     * Elementwise difference, broadcasting.
     *
     * @param a the minuend
     * @param b the subtrahend
     * @return a - b
     */
    public static Tensor sub(Tensor a, Tensor b) {
        return broadcasting(SUB, a, b);
    }

    /**
     * Elementwise product, broadcasting.
     *
     * @param a one factor
     * @param b the other
     * @return a b
     */
    public static Tensor mul(Tensor a, Tensor b) {
        return broadcasting(MUL, a, b);
    }

    /**
     * Elementwise quotient, broadcasting.
     *
     * @param a the dividend
     * @param b the divisor
     * @return a / b
     */
    public static Tensor div(Tensor a, Tensor b) {
        return broadcasting(DIV, a, b);
    }

    /**
     * Adds a constant: no scalar tensor, no broadcast.
     *
     * @param x the tensor
     * @param c the constant
     * @return x + c
     */
    public static Tensor add(Tensor x, double c) {
        return new ScalarOp(Binary.ADD, c).apply(x);
    }

    /**
     * Multiplies by a constant.
     *
     * @param x the tensor
     * @param c the constant
     * @return x c
     */
    public static Tensor mul(Tensor x, double c) {
        return new ScalarOp(Binary.MUL, c).apply(x);
    }

    /**
     * Divides by a constant.
     *
     * @param x the tensor
     * @param c the constant
     * @return x / c
     */
    public static Tensor div(Tensor x, double c) {
        return new ScalarOp(Binary.DIV, c).apply(x);
    }

    /**
     * Negation.
     *
     * @param x the tensor
     * @return -x
     */
    public static Tensor neg(Tensor x) {
        return NEG.apply(x);
    }

    /**
     * Applies a two-input op, first expanding both operands to their common broadcast shape (the
     * broadcasting path of every binary op, pow and maximum included).
     */
    static Tensor broadcasting(Primitive op, Tensor a, Tensor b) {
        if (b == null) {
            throw new IllegalArgumentException(op.name() + ": other tensor is null");
        }
        int[] sa = value(a).shapeView();
        int[] sb = value(b).shapeView();
        if (Shapes.same(sa, sb)) {
            return op.apply(a, b);
        }
        int[] out = Shapes.broadcast(op.name(), sa, sb);
        return op.apply(ShapeOps.broadcastTo(a, out), ShapeOps.broadcastTo(b, out));
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
            return wrap(Elementwise.zip(kernel, value(in[0]), value(in[1])));
        }
    }

    private static final Primitive ADD = new BinaryOp("add", Binary.ADD) {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(Elementwise.zip(Binary.ADD, value(in[0]), value(in[1])));
        }

        // d(a + b) = da + db
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g, g};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return Tangents.sum(t[0], t[1]);
        }
    };

    private static final Primitive SUB = new BinaryOp("sub", Binary.SUB) {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(Elementwise.zip(Binary.SUB, value(in[0]), value(in[1])));
        }

        // d(a - b) = da - db
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g, ctx.needsInputGrad(1) ? g.neg() : null};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return t[1] == null ? t[0] : t[0] == null ? t[1].neg() : t[0].sub(t[1]);
        }
    };

    private static final Primitive MUL = new BinaryOp("mul", Binary.MUL) {
        // d(a b) = b da + a db
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {
                ctx.needsInputGrad(0) ? g.mul(ctx.saved(1)) : null,
                ctx.needsInputGrad(1) ? g.mul(ctx.saved(0)) : null};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            if (in[0] == in[1]) {
                // d(a a) = 2 a da
                return scaledProduct(t[0], in[0], 2.0);
            }
            return Tangents.sum(t[0] == null ? null : t[0].mul(in[1]), t[1] == null ? null : t[1].mul(in[0]));
        }
    };

    private static final Primitive DIV = new BinaryOp("div", Binary.DIV) {
        // d(a / b) = da / b - (a / b) / b db; dividing twice, as PyTorch does, because b^2
        // overflows or underflows for |b| beyond 1e154 or below 1e-154 where the quotient does not
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor a = ctx.saved(0);
            Tensor b = ctx.saved(1);
            return new Tensor[] {
                ctx.needsInputGrad(0) ? g.div(b) : null,
                ctx.needsInputGrad(1) ? g.neg().mul(a.div(b).div(b)) : null};
        }

        // d(a / b) = (da - (a / b) db) / b
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor d = t[1] == null ? t[0] : t[0] == null ? t[1].mul(out).neg() : t[0].sub(t[1].mul(out));
            return d.div(in[1]);
        }
    };

    private static final Primitive NEG = new Primitive("neg") {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(Elementwise.map(Elementwise.Unary.NEG, value(in[0])));
        }

        // d(-x) = -dx
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.neg()};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return t[0].neg();
        }
    };

    /**
     * {@code c a b} for tensors of one shape and a constant c, as one op: the tangent rules of
     * {@code x^p} and {@code x x} in one dispatch instead of two (forward mode on small tensors
     * pays per op). Other shapes take the two ops.
     *
     * @param a one factor
     * @param b the other
     * @param c the constant
     * @return c a b
     */
    static Tensor scaledProduct(Tensor a, Tensor b, double c) {
        if (Shapes.same(value(a).shapeView(), value(b).shapeView())) {
            return new ScaledProduct(c).apply(a, b);
        }
        return a.mul(b).mul(c);
    }

    private static final class ScaledProduct extends Primitive {
        private final double c;

        ScaledProduct(double c) {
            super("scaledProduct");
            this.c = c;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return wrap(Elementwise.zipScalar(Binary.MUL, Elementwise.zip(Binary.MUL, value(in[0]), value(in[1])), c));
        }

        // d(c a b) = c b da + c a db
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {
                ctx.needsInputGrad(0) ? scaledProduct(g, ctx.saved(1), c) : null,
                ctx.needsInputGrad(1) ? scaledProduct(g, ctx.saved(0), c) : null};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return Tangents.sum(t[0] == null ? null : scaledProduct(t[0], in[1], c), t[1] == null ? null : scaledProduct(in[0], t[1], c));
        }
    }

    /** {@code x + c}, {@code x c} or {@code x / c} for a constant c (the kernel ADD, MUL or DIV). */
    private static final class ScalarOp extends Primitive {
        private final Binary kernel;
        private final double c;

        ScalarOp(Binary kernel, double c) {
            super(kernel.name().toLowerCase(java.util.Locale.ROOT));
            this.kernel = kernel;
            this.c = c;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(Elementwise.zipScalar(kernel, value(in[0]), c));
        }

        // d(x + c) = dx; d(x c) = c dx; d(x / c) = dx / c
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {kernel == Binary.ADD ? g : kernel == Binary.MUL ? g.mul(c) : g.div(c)};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return backward(ctx, t[0])[0];
        }
    }
}
