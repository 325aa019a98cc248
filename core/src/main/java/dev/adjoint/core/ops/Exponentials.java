package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.Elementwise.Unary;
import dev.adjoint.core.kernel.NDArray;

/** exp, log, log1p, sqrt, erf, and pow with a constant or a tensor exponent. */
public final class Exponentials {
    private Exponentials() {
    }

    /**
     * The exponential.
     *
     * @param x the input
     * @return e^x, elementwise
     */
    public static Tensor exp(Tensor x) {
        return EXP.apply(x);
    }

    /**
     * The natural logarithm.
     *
     * @param x the input
     * @return log x, elementwise
     */
    public static Tensor log(Tensor x) {
        return LOG.apply(x);
    }

    /**
     * log(1 + x), accurate near 0.
     *
     * @param x the input
     * @return log(1 + x), elementwise
     */
    public static Tensor log1p(Tensor x) {
        return LOG1P.apply(x);
    }

    /**
     * The square root.
     *
     * @param x the input
     * @return sqrt x, elementwise
     */
    public static Tensor sqrt(Tensor x) {
        return SQRT.apply(x);
    }

    /**
     * The error function.
     *
     * @param x the input
     * @return erf x, elementwise
     */
    public static Tensor erf(Tensor x) {
        return ERF.apply(x);
    }

    private static final Primitive EXP = new Primitive.OfOutput("exp") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.EXP, x);
        }

        // d/dx e^x = e^x = y
        @Override
        Tensor gradient(Tensor g, Tensor y) {
            return g.mul(y);
        }
    };

    private static final Primitive LOG = new Primitive.OfInput("log") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.LOG, x);
        }

        // d/dx log x = 1 / x
        @Override
        Tensor gradient(Tensor g, Tensor x) {
            return g.div(x);
        }
    };

    private static final Primitive LOG1P = new Primitive.OfInput("log1p") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.LOG1P, x);
        }

        // d/dx log(1 + x) = 1 / (1 + x)
        @Override
        Tensor gradient(Tensor g, Tensor x) {
            return g.div(x.add(1.0));
        }
    };

    private static final Primitive SQRT = new Primitive.OfOutput("sqrt") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.SQRT, x);
        }

        // d/dx sqrt x = 1 / (2 sqrt x) = 1 / (2 y)
        @Override
        Tensor gradient(Tensor g, Tensor y) {
            return g.div(y.mul(2.0));
        }
    };

    private static final Primitive ERF = new Primitive.OfInput("erf") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.ERF, x);
        }

        // d/dx erf x = 2/sqrt(pi) e^(-x^2)
        @Override
        Tensor gradient(Tensor g, Tensor x) {
            return g.mul(x.mul(x).neg().exp().mul(TWO_OVER_SQRT_PI));
        }
    };

    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);

    /**
     * A power with a tensor exponent, broadcasting; C99's pow, as PyTorch.
     *
     * @param x the base
     * @param exponent the exponent
     * @return x^exponent, elementwise
     */
    public static Tensor pow(Tensor x, Tensor exponent) {
        return Arithmetic.broadcasting(POW, x, exponent);
    }

    private static final Primitive POW = new Primitive("pow") {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Tensor y = wrap(Elementwise.zip(Elementwise.Binary.POW, value(in[0]), value(in[1])));
            ctx.save(in[0], in[1], y);
            return y;
        }

        // d/dx x^e = e x^(e-1), taken as 0 where e = 0 (even at x = 0);
        // d/de x^e = x^e log x, taken as 0 where x = 0 and e >= 0 (PyTorch's choices: 0^e is
        // constant in e there, from the right)
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            Tensor e = ctx.saved(1);
            Tensor zero = wrap(NDArray.scalarLike(0.0, value(g)));
            Tensor gx = null;
            if (ctx.needsInputGrad(0)) {
                gx = Comparison.where(e.eq(0.0), zero, g.mul(e.mul(x.pow(e.sub(1.0)))));
            }
            Tensor ge = null;
            if (ctx.needsInputGrad(1)) {
                ge = g.mul(Comparison.where(x.eq(0.0).mul(e.ge(0.0)), zero, ctx.saved(2).mul(x.log())));
            }
            return new Tensor[] {gx, ge};
        }

        // the backward formula is elementwise and linear in g: applied to the tangents it is the rule
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor x = in[0];
            Tensor e = in[1];
            Tensor zero = wrap(NDArray.scalarLike(0.0, value(out)));
            Tensor dx = t[0] == null ? null : Comparison.where(e.eq(0.0), zero, t[0].mul(e.mul(x.pow(e.sub(1.0)))));
            Tensor de = t[1] == null ? null : t[1].mul(Comparison.where(x.eq(0.0).mul(e.ge(0.0)), zero, out.mul(x.log())));
            return Tangents.sum(dx, de);
        }
    };

    /**
     * A constant power.
     *
     * @param x the input
     * @param p the exponent
     * @return x^p, elementwise
     */
    public static Tensor pow(Tensor x, double p) {
        return new Pow(p).apply(x);
    }

    private static final class Pow extends Primitive {
        private final double p;

        Pow(double p) {
            super("pow");
            this.p = p;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0]);
            return wrap(Elementwise.pow(value(in[0]), p));
        }

        // d/dx x^p = p x^(p-1); p = 0 gives 0 everywhere (even at x = 0)
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            if (p == 0.0) {
                return new Tensor[] {g.mul(0.0)};
            }
            if (p == 1.0) {
                return new Tensor[] {g};
            }
            // g (p x^(p-1)), in PyTorch's order: g x 2 underflows where g (2 x) does not
            if (p == 2.0) {
                return new Tensor[] {g.mul(x.mul(2.0))};
            }
            return new Tensor[] {g.mul(x.pow(p - 1.0).mul(p))};
        }

        // d x^p = p x^(p-1) dx, 0 for p = 0
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor x = in[0];
            if (p == 0.0) {
                return t[0].mul(0.0);
            }
            if (p == 1.0) {
                return t[0];
            }
            return Arithmetic.scaledProduct(t[0], p == 2.0 ? x : x.pow(p - 1.0), p);
        }
    }
}
