package dev.adjoint.core.ops;

import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Ops that pass for built-in ones (they extend {@link Primitive}), for the tests of a backward
 * pass lending a leaf's zeroed gradient buffer to the last node, which it does for built-in ops
 * only: they let a test see the gradient the op returned and run code while the buffer is lent.
 */
public final class ClaimProbes {
    private ClaimProbes() {
    }

    /**
     * {@code 2 x}, whose backward computes {@code 2 g}, puts it in {@code returned}, then runs
     * {@code duringBackward}.
     *
     * @param duringBackward code to run inside the backward, after the gradient is computed
     * @param returned where the backward puts the gradient it returns
     * @return the op
     */
    public static CustomOp doubling(Runnable duringBackward, AtomicReference<Tensor> returned) {
        return new Primitive("doubling") {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(2.0);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                Tensor r = g.mul(2.0);
                returned.set(r);
                duringBackward.run();
                return new Tensor[] {r};
            }

            @Override
            public Tensor jvp(Context ctx, Tensor[] inputs, Tensor[] tangents, Tensor output) {
                return tangents[0].mul(2.0);
            }
        };
    }
}
