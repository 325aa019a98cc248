package dev.adjoint.core.ops;

import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.Elementwise.Unary;
import dev.adjoint.core.kernel.NDArray;

/**
 * sigmoid, relu and abs. The kinks of relu and abs take gradient 0 at 0 (as PyTorch); their masks
 * are constants, so second derivatives are 0 almost everywhere, as they should be.
 */
public final class Activations {
    private Activations() {
    }

    public static final CustomOp SIGMOID = new Primitive.OfOutput("sigmoid") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.SIGMOID, x);
        }

        // d/dx s(x) = s(x) (1 - s(x)) = y (1 - y)
        @Override
        Tensor gradient(Tensor g, Tensor y) {
            return g.mul(y.neg().add(1.0)).mul(y);
        }
    };

    public static final CustomOp RELU = new Primitive.OfInput("relu") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.RELU, x);
        }

        // d/dx max(x, 0) = [x > 0]
        @Override
        Tensor gradient(Tensor g, Tensor x) {
            return g.mul(wrap(Elementwise.map(Unary.STEP, x.value())));
        }
    };

    public static final CustomOp ABS = new Primitive.OfInput("abs") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.ABS, x);
        }

        // d/dx |x| = sign x
        @Override
        Tensor gradient(Tensor g, Tensor x) {
            return g.mul(wrap(Elementwise.map(Unary.SIGN, x.value())));
        }
    };
}
