package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.Gemm;
import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.Shapes;
import java.util.Arrays;

/**
 * Matrix multiplication. The primitive multiplies operands with equal batch shapes; {@link #matmul}
 * promotes 1-D operands and broadcasts batch axes with explicit expands first, as numpy.matmul.
 */
public final class MatMul {
    private MatMul() {
    }

    /**
     * Returns a @ b with numpy.matmul semantics.
     *
     * @param a left operand
     * @param b right operand
     * @return a @ b with numpy.matmul semantics
     */
    public static Tensor matmul(Tensor a, Tensor b) {
        if (b == null) {
            throw new IllegalArgumentException("matmul: other tensor is null");
        }
        int[] sa = value(a).shapeView();
        int[] sb = value(b).shapeView();
        if (sa.length == 2 && sb.length == 2 && sa[1] == sb[0]) {
            if ((long) sa[0] * sb[1] > Shapes.MAX_ELEMENTS) {
                throw tooLarge("matmul", sa, sb, "the product's", new int[] {sa[0], sb[1]});
            }
            return PRODUCT.apply(a, b);
        }
        if (sa.length == 0 || sb.length == 0) {
            throw new IllegalArgumentException("matmul: " + Arrays.toString(sa) + " and " + Arrays.toString(sb)
                    + ": scalars cannot be multiplied as matrices (use mul)");
        }
        boolean vecA = sa.length == 1;
        boolean vecB = sb.length == 1;
        Tensor a2 = vecA ? a.reshape(1, sa[0]) : a;
        Tensor b2 = vecB ? b.reshape(sb[0], 1) : b;
        int[] ma = a2.shape();
        int[] mb = b2.shape();
        int k = ma[ma.length - 1];
        if (k != mb[mb.length - 2]) {
            throw new IllegalArgumentException("matmul: " + Arrays.toString(sa) + " and " + Arrays.toString(sb)
                    + " are not aligned: " + k + " columns on the left, " + mb[mb.length - 2] + " rows on the right");
        }
        int[] batchA = Arrays.copyOf(ma, ma.length - 2);
        int[] batchB = Arrays.copyOf(mb, mb.length - 2);
        int[] batch;
        try {
            batch = Shapes.broadcastAxes("matmul", batchA, batchB);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: batch axes of " + Arrays.toString(sa) + " and " + Arrays.toString(sb)
                    + " cannot broadcast", e);
        }
        int[] left = withMatrix(batch, ma[ma.length - 2], k);
        int[] right = withMatrix(batch, k, mb[mb.length - 1]);
        int[] product = withMatrix(batch, ma[ma.length - 2], mb[mb.length - 1]);
        if (!Shapes.fits(product)) {
            throw tooLarge("matmul", sa, sb, "the product's", product);
        }
        // the operands broadcast to the batch are views, but their gradients have those shapes
        if (!Shapes.fits(left)) {
            throw tooLarge("matmul", sa, sb, "broadcast to the batch, the left operand's", left);
        }
        if (!Shapes.fits(right)) {
            throw tooLarge("matmul", sa, sb, "broadcast to the batch, the right operand's", right);
        }
        Tensor r = PRODUCT.apply(a2.expand(left), b2.expand(right));
        if (vecA || vecB) {
            int[] rs = r.shape();
            int[] out = Arrays.copyOf(rs, rs.length - (vecA ? 1 : 0) - (vecB ? 1 : 0));
            if (vecA && !vecB) {
                out[out.length - 1] = rs[rs.length - 1];
            }
            r = r.reshape(out);
        }
        return r;
    }

    /**
     * {@code x.matmul(w).add(b)} as one op when {@code x} and {@code w} are matrices and {@code b} a
     * vector (the shape of every dense layer): one node instead of three (product, expand, add), so
     * small networks pay less per layer. Other shapes fall back to the composite, with the same
     * result and errors.
     *
     * @param x the input
     * @param w the weight
     * @param b the bias, or null for none
     * @return x w + b
     */
    public static Tensor affine(Tensor x, Tensor w, Tensor b) {
        if (w == null) {
            throw new IllegalArgumentException("affine: weight is null");
        }
        if (b == null) {
            return matmul(x, w);
        }
        int[] sx = value(x).shapeView();
        int[] sw = value(w).shapeView();
        int[] sb = value(b).shapeView();
        if (sx.length == 2 && sw.length == 2 && sb.length == 1 && sx[1] == sw[0] && sb[0] == sw[1]) {
            if ((long) sx[0] * sw[1] > Shapes.MAX_ELEMENTS) {
                throw tooLarge("affine", sx, sw, "the product's", new int[] {sx[0], sw[1]});
            }
            return AFFINE.apply(x, w, b);
        }
        try {
            return matmul(x, w).add(b);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("affine: " + e.getMessage(), e);
        }
    }

    /**
     * {@code x w + b} for x [m, k], w [k, n], b [n].
     * d(x w + b) = dx w + x dw + db: with G = gradOutput, dx = G w^T, dw = x^T G, db = the column
     * sums of G. The three are recorded ops, so higher orders work.
     */
    private static final Primitive AFFINE = new Primitive("affine") {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return wrap(Gemm.affine(value(in[0]), value(in[1]), value(in[2])));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            Tensor w = ctx.saved(1);
            if (Access.unrecorded()) {
                // a plain backward records nothing: the same arrays, without three op dispatches
                // the gradients share their inputs' shape arrays, which makes the engine's shape check one comparison
                NDArray gv = value(g);
                return new Tensor[] {
                    ctx.needsInputGrad(0) ? wrap(Gemm.matmul(gv, false, value(w), true, value(x).shapeView())) : null,
                    ctx.needsInputGrad(1) ? wrap(Gemm.matmul(value(x), true, gv, false, value(w).shapeView())) : null,
                    ctx.needsInputGrad(2) ? wrap(dev.adjoint.core.kernel.ReduceKernels.sumTo(gv, new int[] {value(w).dim(1)})) : null};
            }
            return new Tensor[] {
                ctx.needsInputGrad(0) ? product(false, true, g, w) : null,
                ctx.needsInputGrad(1) ? product(true, false, x, g) : null,
                ctx.needsInputGrad(2) ? g.sumTo(value(w).dim(1)) : null};
        }

        // d(x w + b) = dx w + x dw + db
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor d = Tangents.sum(t[0] == null ? null : matmul(t[0], in[1]), t[1] == null ? null : matmul(in[0], t[1]));
            Tensor db = t[2] == null ? null : t[2].unsqueeze(-2);
            return d == null ? db.expand(Tangents.shape(db, Tangents.batch(t[2], in[2]), out.shape())) : Tangents.sum(d, db);
        }
    };

    private static int[] withMatrix(int[] batch, int rows, int columns) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = rows;
        s[batch.length + 1] = columns;
        return s;
    }

    /**
     * The refusal of a product, or of an operand broadcast to the batch, with more elements than an
     * array holds (the kernels' int arithmetic would wrap, to an empty or a negative buffer).
     */
    private static IllegalArgumentException tooLarge(String op, int[] sa, int[] sb, String what, int[] shape) {
        return new IllegalArgumentException(op + ": cannot multiply " + Arrays.toString(sa) + " by " + Arrays.toString(sb)
                + ": " + what + " " + Shapes.tooLarge(shape));
    }

    /** The four products {@code op(A) op(B)}, op = identity or transpose of the last two axes. */
    private static final Product[] PRODUCTS = {
        new Product(false, false), new Product(false, true), new Product(true, false), new Product(true, true)};
    private static final Product PRODUCT = PRODUCTS[0];

    private static Tensor product(boolean transA, boolean transB, Tensor a, Tensor b) {
        return PRODUCTS[(transA ? 2 : 0) + (transB ? 1 : 0)].apply(a, b);
    }

    /**
     * {@code op(A) op(B)} with operands of equal batch shape. Backward products read their operands
     * transposed in place instead of recording transpose ops.
     */
    private static final class Product extends Primitive {
        private final boolean transA;
        private final boolean transB;

        Product(boolean transA, boolean transB) {
            super("matmul");
            this.transA = transA;
            this.transB = transB;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            NDArray a = value(in[0]);
            NDArray b = value(in[1]);
            return wrap(Gemm.matmul(a, transA, b, transB));
        }

        // d(op(A) op(B)) = d op(A) op(B) + op(A) d op(B): with G = gradOutput,
        // d op(A) = G op(B)^T and d op(B) = op(A)^T G, transposed back where op is a transpose.
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor a = ctx.saved(0);
            Tensor b = ctx.saved(1);
            Tensor ga = null;
            Tensor gb = null;
            if (ctx.needsInputGrad(0)) {
                ga = transA ? product(transB, true, b, g) : product(false, !transB, g, b);
            }
            if (ctx.needsInputGrad(1)) {
                gb = transB ? product(true, transA, g, a) : product(!transA, false, a, g);
            }
            return new Tensor[] {ga, gb};
        }

        // d(op(A) op(B)) = op(dA) op(B) + op(A) op(dB)
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor some = t[0] != null ? t[0] : t[1];
            Tensor other = t[0] != null ? in[0] : in[1];
            if (some.rank() == other.rank()) {
                return Tangents.sum(t[0] == null ? null : apply(t[0], in[1]), t[1] == null ? null : apply(in[0], t[1]));
            }
            return Tangents.sum(
                    t[0] == null ? null : matmul(transA ? t[0].transpose() : t[0], transB ? in[1].transpose() : in[1]),
                    t[1] == null ? null : matmul(transA ? in[0].transpose() : in[0], transB ? t[1].transpose() : t[1]));
        }
    }
}
