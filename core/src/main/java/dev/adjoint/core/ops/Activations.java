package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.Elementwise.Binary;
import dev.adjoint.core.kernel.Elementwise.Unary;
import dev.adjoint.core.kernel.NDArray;

/**
 * sigmoid, silu, gelu, softplus, relu, leakyRelu, clamp and abs. The kinks of relu and abs take
 * gradient 0 at 0 (as PyTorch), leakyRelu's takes its slope there, clamp's gradient is 0 at its bounds; their masks are constants, so second derivatives
 * are 0 almost everywhere, as they should be.
 */
public final class Activations {
    private Activations() {
    }

    /**
     * The logistic function.
     *
     * @param x the input
     * @return 1 / (1 + e^-x), elementwise
     */
    public static Tensor sigmoid(Tensor x) {
        return SIGMOID.apply(x);
    }

    /**
     * The rectifier.
     *
     * @param x the input
     * @return max(x, 0), elementwise
     */
    public static Tensor relu(Tensor x) {
        return RELU.apply(x);
    }

    /**
     * Limits every element to [min, max], exactly: the identity inside, NaN passes through.
     *
     * @param x the input
     * @param min the lower bound
     * @param max the upper bound, at least min
     * @return {@code x < min ? min : x > max ? max : x}, elementwise
     * @throws IllegalArgumentException if min exceeds max or either is NaN
     */
    public static Tensor clamp(Tensor x, double min, double max) {
        if (!(min <= max)) {
            throw new IllegalArgumentException("clamp: min " + min + " must not exceed max " + max);
        }
        return new Clamp(min, max).apply(x);
    }

    /**
     * The softplus function.
     *
     * @param x the input
     * @return log(1 + e^x), elementwise
     */
    public static Tensor softplus(Tensor x) {
        return SOFTPLUS.apply(x);
    }

    /**
     * The absolute value.
     *
     * @param x the input
     * @return |x|, elementwise
     */
    public static Tensor abs(Tensor x) {
        return ABS.apply(x);
    }

    /**
     * The leaky rectifier.
     *
     * @param x the input
     * @param slope the factor applied to non-positive inputs
     * @return {@code x > 0 ? x : slope x}, elementwise
     * @throws IllegalArgumentException if the slope is not finite
     */
    public static Tensor leakyRelu(Tensor x, double slope) {
        if (!Double.isFinite(slope)) {
            throw new IllegalArgumentException("leakyRelu: slope must be finite, got " + slope);
        }
        return new LeakyRelu(slope).apply(x);
    }

    /**
     * The Gaussian error linear unit in its exact form (PyTorch's default), one op over erf.
     *
     * @param x the input
     * @return {@code x/2 (1 + erf(x / sqrt 2))}, elementwise
     */
    public static Tensor gelu(Tensor x) {
        return GELU.apply(x);
    }

    /** 1 / sqrt(2 pi): the standard normal density's factor. */
    private static final double INVERSE_SQRT_TWO_PI = 1 / Math.sqrt(2 * Math.PI);

    /**
     * One op rather than the composite {@code x * 0.5 * (1 + erf(x / sqrt 2))}: one pass and one node
     * (the same forward bits in float64), and PyTorch's backward formula as one fused op.
     */
    private static final Primitive GELU = new Primitive.OfInput("gelu") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.gelu(x);
        }

        // d/dx x Phi(x) = Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, phi(x) = e^(-x^2 / 2) / sqrt(2 pi)
        @Override
        Tensor gradient(Tensor g, Tensor x) {
            return GELU_BACKWARD.applyTo(g, x);
        }
    };

    /**
     * {@code g (Phi(x) + x phi(x))} as one fused, differentiable op (PyTorch's gelu_backward): one
     * pass instead of eleven ops, and its own derivative keeps higher orders exact.
     */
    private static final Primitive.FusedGradient GELU_BACKWARD = new Primitive.FusedGradient("geluBackward", Binary.GELU_GRAD) {
        // d/dg = gOut (Phi(x) + x phi(x)); d/dx = gOut g (2 phi(x) + x phi'(x)) = gOut g phi(x) (2 - x^2)
        @Override
        Tensor gradientOfSecond(Tensor gOut, Tensor g, Tensor x) {
            Tensor pdf = x.mul(x).mul(-0.5).exp().mul(INVERSE_SQRT_TWO_PI);
            return gOut.mul(g).mul(pdf.mul(x.mul(x).neg().add(2.0)));
        }
    };

    /**
     * The sigmoid-weighted linear unit (swish).
     *
     * @param x the input
     * @return {@code x sigmoid(x)}, elementwise
     */
    public static Tensor silu(Tensor x) {
        return SILU.apply(x);
    }

    /**
     * One op rather than {@code x.mul(x.sigmoid())}: one node, and PyTorch's backward formula as one
     * fused op, whose signed zeros where the sigmoid underflows match PyTorch's.
     */
    private static final Primitive SILU = new Primitive.OfInput("silu") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.silu(x);
        }

        // d/dx x s(x) = s(x) (1 + x (1 - s(x)))
        @Override
        Tensor gradient(Tensor g, Tensor x) {
            return SILU_BACKWARD.applyTo(g, x);
        }
    };

    /**
     * {@code g s (1 + x (1 - s))}, s = sigmoid(x), as one fused, differentiable op (PyTorch's
     * silu_backward): one pass instead of seven ops, and its own derivative keeps higher orders exact.
     */
    private static final Primitive.FusedGradient SILU_BACKWARD = new Primitive.FusedGradient("siluBackward", Binary.SILU_GRAD) {
        // d/dx s (1 + x (1 - s)) = s (1 - s) (2 + x (1 - 2 s))
        @Override
        Tensor gradientOfSecond(Tensor gOut, Tensor g, Tensor x) {
            Tensor s = x.sigmoid();
            return gOut.mul(g).mul(s.mul(s.neg().add(1.0)).mul(x.mul(s.mul(-2.0).add(1.0)).add(2.0)));
        }
    };

    private static final Primitive SIGMOID = new Primitive.OfOutput("sigmoid") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.SIGMOID, x);
        }

        // d/dx s(x) = s(x) (1 - s(x)) = y (1 - y)
        @Override
        Tensor gradient(Tensor g, Tensor y) {
            return SIGMOID_BACKWARD.applyTo(g, y);
        }
    };

    /**
     * {@code g (1 - y) y} as one fused, differentiable op (PyTorch's sigmoid_backward): one loop
     * instead of four ops, and its own derivative keeps higher orders exact.
     */
    private static final Primitive.FusedGradient SIGMOID_BACKWARD = new Primitive.FusedGradient("sigmoidBackward", Binary.SIGMOID_GRAD) {
        // d/dg = gOut (1 - y) y; d/dy = gOut g (1 - 2y)
        @Override
        Tensor gradientOfSecond(Tensor gOut, Tensor g, Tensor y) {
            return gOut.mul(g).mul(y.mul(-2.0).add(1.0));
        }
    };

    private static final Primitive RELU = new Primitive.OfInput("relu") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.RELU, x);
        }

        // d/dx max(x, 0) = [x > 0]
        @Override
        Tensor gradient(Tensor g, Tensor x) {
            return RELU_BACKWARD.apply(g, x);
        }
    };

    private static final Primitive RELU_BACKWARD = new MaskedGradient("reluBackward");

    /**
     * {@code g [m > 0]} as one fused op: one pass, no mask array beyond m (relu's input, or clamp's
     * 0/1 mask). Linear in g with a constant mask, so its own derivative is itself for g and 0 for m.
     */
    private static final class MaskedGradient extends Primitive {
        MaskedGradient(String name) {
            super(name);
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[1]);
            return wrap(Elementwise.zip(Binary.RELU_GRAD, value(in[0]), value(in[1])));
        }

        // d/dg = gOut [m > 0]; d/dm = 0 almost everywhere
        @Override
        public Tensor[] backward(Context ctx, Tensor gOut) {
            return new Tensor[] {ctx.needsInputGrad(0) ? apply(gOut, ctx.saved(0)) : null, null};
        }

        // linear in g with a constant mask
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return t[0] == null ? null : apply(t[0], Tangents.like(in[1], t[0]));
        }
    }

    private static final Primitive CLAMP_BACKWARD = new MaskedGradient("clampBackward");

    /** clamp as one exact loop; a composite of shifted relus rounds ({@code (x - min) + min != x}). */
    private static final class Clamp extends Primitive {
        private final double min;
        private final double max;

        Clamp(double min, double max) {
            super("clamp");
            this.min = min;
            this.max = max;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0]);
            return wrap(Elementwise.clamp(value(in[0]), min, max));
        }

        // d/dx clamp(x, min, max) = [min < x < max], a constant mask (made only when a backward needs it)
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {CLAMP_BACKWARD.apply(g, wrap(Elementwise.strictlyInside(value(ctx.saved(0)), min, max)))};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return t[0].mul(wrap(Elementwise.strictlyInside(value(in[0]), min, max)));
        }
    }

    /** {@code x > 0 ? x : slope x} as one exact loop (a composite of relus rounds -0 and underflows). */
    private static final class LeakyRelu extends Primitive {
        private final double slope;

        LeakyRelu(double slope) {
            super("leakyRelu");
            this.slope = slope;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0]);
            return wrap(Elementwise.zipScalar(Binary.LEAKY_RELU, value(in[0]), slope));
        }

        // d/dx leakyRelu(x) = x > 0 ? 1 : slope, a constant mask (slope at 0 and at NaN, as PyTorch)
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.mul(wrap(Elementwise.scalarMask(Binary.LEAKY_RELU_SLOPE, value(ctx.saved(0)), slope)))};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return backward(ctx, t[0])[0];
        }
    }

    private static final Primitive SOFTPLUS = new Primitive.OfInput("softplus") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.SOFTPLUS, x);
        }

        // d/dx log(1 + e^x) = s(x), computed as max(x, 0) + log1p(e^-|x|) so it never overflows
        @Override
        Tensor gradient(Tensor g, Tensor x) {
            return g.mul(x.sigmoid());
        }
    };

    private static final Primitive ABS = new Primitive.OfInput("abs") {
        @Override
        NDArray compute(NDArray x) {
            return Elementwise.map(Unary.ABS, x);
        }

        // d/dx |x| = sign x
        @Override
        Tensor gradient(Tensor g, Tensor x) {
            return g.mul(wrap(Elementwise.signMask(value(x))));
        }
    };
}
