package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.Elementwise.Binary;
import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.Selection;
import dev.adjoint.core.kernel.Shapes;
import java.util.Arrays;

/**
 * Comparisons (gt, ge, lt, le, eq), where, maximum and minimum. A comparison's result is a 0/1 mask
 * that is never recorded (a step function has no useful gradient), so it can steer other ops'
 * backward formulas. where and maximum route the gradient to the picked operand; maximum and
 * minimum split it evenly at ties, as PyTorch does. Masks computed from saved inputs are constants
 * of the backward formula, so second derivatives are 0 almost everywhere, as they should be.
 */
public final class Comparison {
    private Comparison() {
    }

    /**
     * A comparison of two tensors, broadcasting; not recorded.
     *
     * @param name the op's name for error messages ({@code "gt"})
     * @param kernel GT, GE, LT, LE or EQ
     * @param a the left operand
     * @param b the right operand
     * @return 1 where the comparison holds, else 0 (NaN compares false)
     */
    public static Tensor compare(String name, Binary kernel, Tensor a, Tensor b) {
        if (b == null) {
            throw new IllegalArgumentException(name + ": other tensor is null");
        }
        return new Compare(name, kernel).of(a, b);
    }

    /**
     * A comparison with a constant; not recorded.
     *
     * @param kernel GT, GE, LT, LE or EQ
     * @param a the tensor
     * @param c the constant
     * @return 1 where the comparison holds, else 0 (NaN compares false)
     */
    public static Tensor compare(Binary kernel, Tensor a, double c) {
        return new CompareWith(kernel, c).of(a);
    }

    /** A comparison of two tensors, broadcasting. */
    private static final class Compare extends Primitive.Constant {
        private final Binary kernel;

        Compare(String name, Binary kernel) {
            super(name, 2);
            this.kernel = kernel;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            NDArray va = value(in[0]);
            NDArray vb = value(in[1]);
            if (!Shapes.same(va.shapeView(), vb.shapeView())) {
                int[] out = Shapes.broadcast(name(), va.shapeView(), vb.shapeView());
                va = va.expand(out);
                vb = vb.expand(out);
            }
            return Primitive.wrap(Elementwise.zip(kernel, va, vb));
        }
    }

    /** The comparison kernels' op names ({@code "gt"}), made once. */
    private static final java.util.Map<Binary, String> NAMES = new java.util.EnumMap<>(Binary.class);

    static {
        for (Binary b : Binary.values()) {
            NAMES.put(b, b.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** A comparison with a constant. */
    private static final class CompareWith extends Primitive.Constant {
        private final Binary kernel;
        private final double c;

        CompareWith(Binary kernel, double c) {
            super(NAMES.get(kernel), 1);
            this.kernel = kernel;
            this.c = c;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return Primitive.wrap(Elementwise.zipScalar(kernel, value(in[0]), c));
        }
    }

    /**
     * Picks from a where the condition is non-zero (NaN included) and from b elsewhere; all three
     * broadcast.
     *
     * @param condition the mask; it never receives a gradient
     * @param a the values where the condition holds
     * @param b the values elsewhere
     * @return the selection
     */
    public static Tensor where(Tensor condition, Tensor a, Tensor b) {
        if (condition == null || a == null || b == null) {
            throw new IllegalArgumentException("where: " + (condition == null ? "condition" : a == null ? "a" : "b") + " is null");
        }
        int[] sc = value(condition).shapeView();
        int[] sa = value(a).shapeView();
        int[] sb = value(b).shapeView();
        if (Shapes.same(sc, sa) && Shapes.same(sa, sb)) {
            return WHERE.apply(condition, a, b);
        }
        int[] out;
        try {
            out = Shapes.broadcastAxes("where", Shapes.broadcastAxes("where", sc, sa), sb);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("where: cannot broadcast condition " + Arrays.toString(sc) + ", a " + Arrays.toString(sa)
                    + " and b " + Arrays.toString(sb), e);
        }
        Shapes.checkShape("where", out);
        return WHERE.apply(ShapeOps.broadcastTo(condition, out), ShapeOps.broadcastTo(a, out), ShapeOps.broadcastTo(b, out));
    }

    /**
     * The elementwise maximum, broadcasting; NaN if either operand is NaN.
     *
     * @param a one operand
     * @param b the other
     * @return max(a, b)
     */
    public static Tensor maximum(Tensor a, Tensor b) {
        return Arithmetic.broadcasting(MAXIMUM, a, b);
    }

    /**
     * The elementwise minimum, broadcasting; NaN if either operand is NaN.
     *
     * @param a one operand
     * @param b the other
     * @return min(a, b)
     */
    public static Tensor minimum(Tensor a, Tensor b) {
        return Arithmetic.broadcasting(MINIMUM, a, b);
    }

    private static final Primitive WHERE = new Primitive("where") {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0]);
            return wrap(Selection.where(value(in[0]), value(in[1]), value(in[2])));
        }

        // d where(c, a, b) = where(c, da, 0) + where(c, 0, db); the condition is a constant
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor c = ctx.saved(0);
            Tensor zero = wrap(NDArray.scalarLike(0.0, value(g)));
            return new Tensor[] {
                null,
                ctx.needsInputGrad(1) ? where(c, g, zero) : null,
                ctx.needsInputGrad(2) ? where(c, zero, g) : null};
        }

        // d where(c, a, b) = where(c, da, db)
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor zero = wrap(NDArray.scalarLike(0.0, value(out)));
            if (t[1] == null && t[2] == null) {
                return null;
            }
            return where(in[0], t[1] == null ? zero : t[1], t[2] == null ? zero : t[2]);
        }
    };

    /** maximum or minimum of two equal-shaped inputs; the gradient goes to the larger (smaller) one. */
    private static final class Extremum extends Primitive {
        private final Binary kernel;

        Extremum(String name, Binary kernel) {
            super(name);
            this.kernel = kernel;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return wrap(Elementwise.zip(kernel, value(in[0]), value(in[1])));
        }

        // d max(a, b) = [a > b] da + [a < b] db, half each at a tie (min: the other way round);
        // the shares are constants of the backward, made from the saved inputs
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            NDArray a = value(ctx.saved(0));
            NDArray b = value(ctx.saved(1));
            boolean max = kernel == Binary.MAXIMUM;
            return new Tensor[] {
                ctx.needsInputGrad(0) ? g.mul(wrap(max ? share(a, b) : share(b, a))) : null,
                ctx.needsInputGrad(1) ? g.mul(wrap(max ? share(b, a) : share(a, b))) : null};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            NDArray a = value(in[0]);
            NDArray b = value(in[1]);
            boolean max = kernel == Binary.MAXIMUM;
            return Tangents.sum(
                    t[0] == null ? null : t[0].mul(wrap(max ? share(a, b) : share(b, a))),
                    t[1] == null ? null : t[1].mul(wrap(max ? share(b, a) : share(a, b))));
        }

        private static NDArray share(NDArray winner, NDArray other) {
            return Elementwise.zip(Binary.MAXIMUM_SHARE, winner, other);
        }
    }

    private static final Primitive MAXIMUM = new Extremum("maximum", Binary.MAXIMUM);
    private static final Primitive MINIMUM = new Extremum("minimum", Binary.MINIMUM);
}
