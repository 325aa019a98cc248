package dev.adjoint.core.ops;

import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.Elementwise.Unary;
import dev.adjoint.core.kernel.NDArray;

/** exp, log, log1p, sqrt and pow with a constant exponent. */
public final class Exponentials {
    private Exponentials() {
    }

    public static final CustomOp EXP = new Primitive.OfOutput("exp") {
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

    public static final CustomOp LOG = new Primitive.OfInput("log") {
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

    public static final CustomOp LOG1P = new Primitive.OfInput("log1p") {
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

    public static final CustomOp SQRT = new Primitive.OfOutput("sqrt") {
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
     * {@code x^p} for a constant p.
     *
     * @param p the exponent
     * @return the op
     */
    public static CustomOp pow(double p) {
        return new Pow(p);
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
            return wrap(Elementwise.pow(in[0].value(), p));
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
            if (p == 2.0) {
                return new Tensor[] {g.mul(x).mul(2.0)};
            }
            return new Tensor[] {g.mul(x.pow(p - 1.0)).mul(p)};
        }
    }
}
