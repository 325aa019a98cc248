package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.Elementwise.Unary;
import dev.adjoint.core.kernel.NDArray;

/** exp, log, log1p, sqrt and pow with a constant exponent. */
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
    }
}
