package dev.adjoint.core.ops;

import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.Elementwise.Binary;
import dev.adjoint.core.kernel.Elementwise.Unary;
import dev.adjoint.core.kernel.NDArray;

/** sin, cos and tanh. */
public final class Trigonometry {
    private Trigonometry() {
    }

    /**
     * The sine.
     *
     * @param x the input
     * @return sin x, elementwise
     */
    public static Tensor sin(Tensor x) {
        return SIN.apply(x);
    }

    /**
     * The cosine.
     *
     * @param x the input
     * @return cos x, elementwise
     */
    public static Tensor cos(Tensor x) {
        return COS.apply(x);
    }

    /**
     * The hyperbolic tangent.
     *
     * @param x the input
     * @return tanh x, elementwise
     */
    public static Tensor tanh(Tensor x) {
        return TANH.apply(x);
    }

    private static final Primitive SIN = new Primitive.OfInput("sin") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.SIN, x);
        }

        // d/dx sin x = cos x
        @Override
        Tensor gradient(Tensor g, Tensor x) {
            return g.mul(x.cos());
        }
    };

    private static final Primitive COS = new Primitive.OfInput("cos") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.COS, x);
        }

        // d/dx cos x = -sin x
        @Override
        Tensor gradient(Tensor g, Tensor x) {
            return g.mul(x.sin()).neg();
        }
    };

    private static final Primitive TANH = new Primitive.OfOutput("tanh") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.TANH, x);
        }

        // d/dx tanh x = 1 - tanh^2 x = 1 - y^2
        @Override
        Tensor gradient(Tensor g, Tensor y) {
            return TANH_BACKWARD.applyTo(g, y);
        }
    };

    /** {@code g (1 - y^2)} as one fused, differentiable op (PyTorch's tanh_backward). */
    private static final Primitive.FusedGradient TANH_BACKWARD = new Primitive.FusedGradient("tanhBackward", Binary.TANH_GRAD) {
        // d/dg = gOut (1 - y^2); d/dy = -2 gOut g y
        @Override
        Tensor gradientOfSecond(Tensor gOut, Tensor g, Tensor y) {
            return gOut.mul(g).mul(y).mul(-2.0);
        }
    };
}
