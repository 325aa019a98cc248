package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.NDArray;

/** Conversion between dtypes, differentiable: the gradient goes back in the source's dtype. */
public final class Conversion {
    private Conversion() {
    }

    /**
     * {@code x} in {@code dtype}: x itself when it already has that dtype, else a converted copy
     * (float32 to float64 is exact; float64 to float32 rounds to nearest).
     *
     * @param x the tensor
     * @param dtype the target dtype
     * @return the converted tensor
     */
    public static Tensor to(Tensor x, DType dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException("to: dtype is null");
        }
        if (x.dtype() == dtype) {
            return x;
        }
        return (dtype == DType.FLOAT32 ? TO_FLOAT32 : TO_FLOAT64).apply(x);
    }

    private static final Primitive TO_FLOAT32 = new Cast("toFloat32", DType.FLOAT32, DType.FLOAT64);
    private static final Primitive TO_FLOAT64 = new Cast("toFloat64", DType.FLOAT64, DType.FLOAT32);

    private static final class Cast extends Primitive {
        private final DType target;
        private final DType source;

        Cast(String name, DType target, DType source) {
            super(name);
            this.target = target;
            this.source = source;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            NDArray v = value(in[0]);
            return wrap(target == DType.FLOAT32 ? v.toFloat32() : v.toFloat64());
        }

        // d to(x) = to(dx); the gradient returns to the source's dtype
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {to(g, source)};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return to(t[0], target);
        }
    }
}
