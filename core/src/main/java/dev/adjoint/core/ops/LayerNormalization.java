package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.LayerNormKernels;
import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.NormKernels;
import dev.adjoint.core.ops.Normalization.Normalize;
import dev.adjoint.core.ops.Normalization.NormalizeBackward;
import dev.adjoint.core.ops.Normalization.TrailingRows;

/**
 * Layer normalization with a weight or a bias: the primitive {@code layerNorm} normalizes each row
 * of the trailing axes, times the weight, plus the bias, in one pass forward and one backward
 * that gives all three gradients ({@link LayerNormKernels}); recorded, the same bits from
 * differentiable ops: {@link NormalizeBackward} of {@code g w}, and the weight's and bias's sums
 * over the rows, {@code S(g xhat)} and {@code S(g)}, by {@code layerNormSums}. Without either,
 * {@link Normalization}'s op alone.
 */
final class LayerNormalization {
    private LayerNormalization() {
    }

    /**
     * x normalized over its trailing axes of {@code normalized}, times weight, plus bias (one of them
     * not null; arguments checked by the caller).
     */
    static Tensor apply(Tensor x, int[] normalized, Tensor weight, Tensor bias, double eps) {
        // the parameters' size: the rows' length, also where x is empty
        int cols = (weight != null ? weight : bias).size();
        LayerNorm op = new LayerNorm(new TrailingRows(cols), normalized, eps, weight != null, bias != null);
        return op.apply(weight == null ? new Tensor[] {x, bias} : bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias});
    }

    /**
     * y = xhat w + b over the trailing axes, inputs x and, where given, w and b (of the normalized
     * shape). dx = h(g w, x), dw = S(g xhat), db = S(g), S the sum over the rows.
     */
    private static final class LayerNorm extends Primitive {
        private final TrailingRows layout;
        private final int[] normalized;
        private final double eps;
        private final boolean weighted;
        private final boolean biased;

        LayerNorm(TrailingRows layout, int[] normalized, double eps, boolean weighted, boolean biased) {
            super("layerNorm");
            this.layout = layout;
            this.normalized = normalized;
            this.eps = eps;
            this.weighted = weighted;
            this.biased = biased;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            NormKernels.Normalized n = LayerNormKernels.forward(value(in[0]), weighted ? value(in[1]) : null,
                    biased ? value(in[in.length - 1]) : null, layout.cols(), eps);
            Tensor stats = Access.wrap(n.stats());
            Normalization.saveAffine(ctx, in, stats, weighted);
            return Access.wrap(n.y());
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            Tensor w = weighted ? ctx.saved(2) : null;
            boolean inputGrad = ctx.needsInputGrad(0);
            boolean weightGrad = weighted && ctx.needsInputGrad(1);
            boolean biasGrad = Normalization.biasGrad(ctx, weighted, biased);
            Tensor gx;
            Tensor sums;
            if (Access.unrecorded()) {
                LayerNormKernels.Gradients r = LayerNormKernels.backward(value(g), value(x), w == null ? null : value(w),
                        value(ctx.saved(1)), layout.cols(), inputGrad);
                gx = inputGrad ? Access.wrap(r.input()) : null;
                sums = Access.wrap(r.sums());
            } else {
                gx = inputGrad ? new NormalizeBackward(layout, eps).apply(w == null ? g : g.mul(w), x) : null;
                sums = weightGrad || biasGrad ? new RowSums(layout, normalized, eps).apply(g, x) : null;
            }
            return Normalization.affineGradients(gx, sums, weighted, biased, weightGrad, biasGrad, p -> p.reshape(normalized));
        }

        // dy = h(dx, x) w + xhat dw + db
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor x = in[0];
            // the parameters' shape at x's rank: ones, then the normalized shape
            return Normalization.affineTangent(layout, eps, in, t, weighted, biased, Tangents.padded(x, 0, x.rank(), normalized));
        }
    }

    /**
     * A layer normalization's parameter sums as one differentiable op: for g and x whose trailing
     * axes are the normalized shape, [2, cols] holding S(g xhat) (the weight's gradient) and S(g)
     * (the bias's), S the sum over the rows. With v = gOut, d/dg = xhat v[0] + v[1] and d/dx =
     * h(g v[0], x) (h the normalization's gradient, its Jacobian symmetric).
     */
    private static final class RowSums extends Primitive {
        private final TrailingRows layout;
        private final int[] normalized;
        private final double eps;

        RowSums(TrailingRows layout, int[] normalized, double eps) {
            super("layerNormSums");
            this.layout = layout;
            this.normalized = normalized;
            this.eps = eps;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            NDArray x = value(in[1]);
            return Access.wrap(LayerNormKernels.backward(value(in[0]), x, null, layout.normalize(x, eps).stats(), layout.cols(), false)
                    .sums());
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor v) {
            Tensor g = ctx.saved(0);
            Tensor x = ctx.saved(1);
            Tensor vw = v.select(0, 0).reshape(normalized);
            Tensor gg = ctx.needsInputGrad(0) ? new Normalize(layout, eps).apply(x).mul(vw).add(v.select(0, 1).reshape(normalized)) : null;
            Tensor gx = ctx.needsInputGrad(1) ? new NormalizeBackward(layout, eps).apply(g.mul(vw), x) : null;
            return new Tensor[] {gg, gx};
        }

        // d S(g xhat) = S(dg xhat) + S(g h(dx, x)), d S(g) = S(dg); on the rows, summed over them
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return Normalization.sumsTangent(layout, eps, in[0], in[1], t, 0);
        }
    }
}
