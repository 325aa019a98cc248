package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.NormKernels;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * Layer normalization: the primitive {@code layerNorm} normalizes each row of the trailing
 * {@code cols} elements, {@code xhat = (x - mean) / sqrt(var + eps)} with the biased variance, in
 * one pass forward and one backward (instead of mean, sub, mul, mean, add, sqrt, div and their
 * gradients); with a weight or a bias, {@link LayerNormalization}'s op, which applies them in the
 * same passes. The normalization and its gradient
 * op are written over a {@link Layout} of rows, which {@link BatchNormalization} shares (the
 * channels of [N, C, ...] as rows); their second-order and tangent rules hold for both. The
 * numbers are {@link NormKernels}'.
 */
public final class Normalization {
    private Normalization() {
    }

    /**
     * PyTorch's {@code layer_norm}: x normalized over its trailing axes of {@code normalizedShape},
     * times weight, plus bias.
     *
     * @param x the input, whose last axes are {@code normalizedShape}
     * @param normalizedShape the trailing axes' sizes, one or more, each above 0
     * @param weight the scale, of {@code normalizedShape}, or null for none
     * @param bias the shift, of {@code normalizedShape}, or null for none
     * @param eps added to the variance, 0 or more
     * @return the normalized tensor, of x's shape
     */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        if (normalizedShape == null || normalizedShape.length == 0 || Arrays.stream(normalizedShape).anyMatch(d -> d <= 0)) {
            throw new IllegalArgumentException("layerNorm: normalized shape must be one or more sizes above 0, got "
                    + Arrays.toString(normalizedShape));
        }
        int[] s = x.shape();
        int k = normalizedShape.length;
        if (s.length < k || !Arrays.equals(Arrays.copyOfRange(s, s.length - k, s.length), normalizedShape)) {
            throw new IllegalArgumentException("layerNorm: expected input whose last axes are " + Arrays.toString(normalizedShape)
                    + ", got shape " + Arrays.toString(s));
        }
        for (Tensor p : new Tensor[] {weight, bias}) {
            if (p != null && !Arrays.equals(p.shape(), normalizedShape)) {
                throw new IllegalArgumentException("layerNorm: " + (p == weight ? "weight" : "bias") + " of shape "
                        + Arrays.toString(p.shape()) + " does not match the normalized shape " + Arrays.toString(normalizedShape));
            }
            if (p != null && p.dtype() != x.dtype()) {
                throw new IllegalArgumentException("layerNorm: " + (p == weight ? "weight" : "bias") + " is " + p.dtype()
                        + " but the input is " + x.dtype() + " (convert one with to(dtype))");
            }
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("layerNorm: eps must be a finite number of 0 or more, got " + eps);
        }
        if (weight != null || bias != null) {
            return LayerNormalization.apply(x, normalizedShape.clone(), weight, bias, eps);
        }
        // the rows' length; an empty x has no rows (its trailing sizes' product may not fit an int)
        int cols = 1;
        for (int d = 0; d < k && x.size() > 0; d++) {
            cols *= normalizedShape[d];
        }
        return new Normalize(new TrailingRows(cols), eps).apply(x);
    }

    /**
     * Where a normalization's rows lie: the kernels that normalize them and take the gradient, its
     * op names, and the rows as a [K..., rows, length] tensor (a view or a copy) for the recorded
     * formulas of its gradient's own derivatives.
     */
    interface Layout {
        String name();

        NormKernels.Normalized normalize(NDArray x, double eps);

        NDArray backward(NDArray g, NDArray x, NDArray stats);

        /** t, x's shape behind k batch axes, as [K..., rows, length]. */
        Tensor rows(Tensor t, int k);

        /** The inverse of {@link #rows}: [K..., rows, length] back to [K..., shape]. */
        Tensor unrows(Tensor r, int k, int[] shape);
    }

    /** Rows of the trailing {@code cols} elements (layer normalization). */
    record TrailingRows(int cols) implements Layout {
        @Override
        public String name() {
            return "layerNorm";
        }

        @Override
        public NormKernels.Normalized normalize(NDArray x, double eps) {
            return NormKernels.normalize(x, cols, eps);
        }

        @Override
        public NDArray backward(NDArray g, NDArray x, NDArray stats) {
            return NormKernels.backward(g, x, stats, cols);
        }

        @Override
        public Tensor rows(Tensor t, int k) {
            int size = 1;
            for (int d = k; d < t.rank(); d++) {
                size *= t.dim(d);
            }
            return t.reshape(Tangents.shape(t, k, new int[] {size / cols, cols}));
        }

        @Override
        public Tensor unrows(Tensor r, int k, int[] shape) {
            return r.reshape(Tangents.shape(r, k, shape));
        }
    }

    /** The channels of an [N, C, inner...] tensor, each one row of its N runs (batch normalization). */
    record Channels(int n, int c, int inner) implements Layout {
        @Override
        public String name() {
            return "batchNorm";
        }

        @Override
        public NormKernels.Normalized normalize(NDArray x, double eps) {
            return NormKernels.normalizeChannels(x, null, null, c, inner, eps);
        }

        @Override
        public NDArray backward(NDArray g, NDArray x, NDArray stats) {
            return NormKernels.backwardChannels(g, x, null, stats, c, inner).input();
        }

        /** Each channel's values as one row: [K..., C, N inner], a copy. */
        @Override
        public Tensor rows(Tensor t, int k) {
            return t.reshape(Tangents.shape(t, k, new int[] {n, c, inner})).permute(swap(k)).reshape(Tangents.shape(t, k, new int[] {c, n * inner}));
        }

        @Override
        public Tensor unrows(Tensor r, int k, int[] shape) {
            return r.reshape(Tangents.shape(r, k, new int[] {c, n, inner})).permute(swap(k)).reshape(Tangents.shape(r, k, shape));
        }

        /** The permutation that swaps axes k and k + 1 of a rank k + 3 tensor. */
        private static int[] swap(int k) {
            int[] p = new int[k + 3];
            for (int i = 0; i < p.length; i++) {
                p[i] = i;
            }
            p[k] = k + 1;
            p[k + 1] = k;
            return p;
        }
    }

    // xhat = (x - mean) rstd per row: dx = rstd (g - mean(g) - xhat mean(g xhat)), its Jacobian symmetric
    static final class Normalize extends Primitive {
        private final Layout layout;
        private final double eps;

        Normalize(Layout layout, double eps) {
            super(layout.name());
            this.layout = layout;
            this.eps = eps;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            NormKernels.Normalized n = layout.normalize(value(in[0]), eps);
            ctx.save(in[0], Access.wrap(n.stats()));
            return Access.wrap(n.y());
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            // when nothing records, the kernel alone on the forward pass's statistics (the same bits
            // as the gradient op's forward, which computes them again)
            Tensor gx = Access.unrecorded()
                    ? Access.wrap(layout.backward(value(g), value(x), value(ctx.saved(1))))
                    : new NormalizeBackward(layout, eps).apply(g, x);
            return new Tensor[] {gx};
        }

        // dy = the backward formula applied to dx (the Jacobian is symmetric), per row and direction
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], in[0]);
            return layout.unrows(normalizedTangent(new RowStatistics(layout.rows(in[0], 0), eps), layout.rows(t[0], k), k), k,
                    in[0].shape());
        }
    }

    /**
     * h(g, x) = rstd (g - M(g) - xhat M(g xhat)), M the row mean (kept), as one differentiable op.
     * Linear in g with a symmetric Jacobian: dh/dg^T v = h(v, x); its derivatives in x are
     * {@link #gradientOfInput} and {@link #tangentOfInput}, on the layout's rows.
     */
    static final class NormalizeBackward extends Primitive {
        private final Layout layout;
        private final double eps;

        NormalizeBackward(Layout layout, double eps) {
            super(layout.name() + "Backward");
            this.layout = layout;
            this.eps = eps;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            NDArray x = value(in[1]);
            return Access.wrap(layout.backward(value(in[0]), x, layout.normalize(x, eps).stats()));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor v) {
            Tensor g = ctx.saved(0);
            Tensor x = ctx.saved(1);
            Tensor gg = ctx.needsInputGrad(0) ? apply(v, x) : null;
            Tensor gx = ctx.needsInputGrad(1)
                    ? layout.unrows(gradientOfInput(layout.rows(x, 0), layout.rows(g, 0), layout.rows(v, 0), eps), 0, x.shape())
                    : null;
            return new Tensor[] {gg, gx};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor g = in[0];
            Tensor x = in[1];
            Tensor dg = null;
            if (t[0] != null) {
                int k = Tangents.batch(t[0], g);
                dg = layout.unrows(normalizedTangent(new RowStatistics(layout.rows(x, 0), eps), layout.rows(t[0], k), k), k, x.shape());
            }
            Tensor dx = null;
            if (t[1] != null) {
                int k = Tangents.batch(t[1], x);
                dx = layout.unrows(tangentOfInput(layout.rows(x, 0), layout.rows(g, 0), layout.rows(t[1], k), k, eps), k, x.shape());
            }
            return Tangents.sum(dg, dx);
        }
    }

    /** Saves an affine normalization's x, its statistics and, where there is one, its weight (inputs x, [w], [b]). */
    static void saveAffine(Context ctx, Tensor[] in, Tensor stats, boolean weighted) {
        if (weighted) {
            ctx.save(in[0], stats, in[1]);
        } else {
            ctx.save(in[0], stats);
        }
    }

    /** Whether an affine normalization's bias (its input after x and the weight where there is one) needs a gradient. */
    static boolean biasGrad(Context ctx, boolean weighted, boolean biased) {
        return biased && ctx.needsInputGrad(weighted ? 2 : 1);
    }

    /**
     * An affine normalization's gradients of its inputs x, [w], [b]: gx, then rows 0 (S(g xhat), the
     * weight's) and 1 (S(g), the bias's) of {@code sums}, each shaped by {@code shape}, where asked for.
     */
    static Tensor[] affineGradients(Tensor gx, Tensor sums, boolean weighted, boolean biased, boolean weightGrad, boolean biasGrad,
            UnaryOperator<Tensor> shape) {
        Tensor[] grads = new Tensor[1 + (weighted ? 1 : 0) + (biased ? 1 : 0)];
        grads[0] = gx;
        if (weightGrad) {
            grads[1] = shape.apply(sums.select(0, 0));
        }
        if (biasGrad) {
            grads[grads.length - 1] = shape.apply(sums.select(0, 1));
        }
        return grads;
    }

    /**
     * The tangent of an affine normalization y = xhat w + b (inputs x, [w], [b], tangents t, any of
     * them null): dy = h(dx, x) w + xhat dw + db, the parameters and their tangents broadcast against
     * x as {@code parameter} (their shape at x's rank: ones but where they lie).
     */
    static Tensor affineTangent(Layout layout, double eps, Tensor[] in, Tensor[] t, boolean weighted, boolean biased, int[] parameter) {
        Tensor x = in[0];
        Tensor dx = t[0];
        Tensor dw = weighted ? t[1] : null;
        Tensor db = biased ? t[t.length - 1] : null;
        Tensor dy = null;
        int k = 0;
        if (dx != null) {
            k = Tangents.batch(dx, x);
            dy = layout.unrows(normalizedTangent(new RowStatistics(layout.rows(x, 0), eps), layout.rows(dx, k), k), k, x.shape());
            if (weighted) {
                dy = dy.mul(in[1].reshape(parameter));
            }
        }
        if (dw != null) {
            k = Tangents.batch(dw, in[1]);
            dy = Tangents.sum(dy, new Normalize(layout, eps).apply(x).mul(dw.reshape(Tangents.shape(dw, k, parameter))));
        }
        if (db != null) {
            k = Tangents.batch(db, in[t.length - 1]);
            dy = Tangents.sum(dy, db.reshape(Tangents.shape(db, k, parameter)));
        }
        int[] full = Tangents.shape(dy, k, x.shape());
        return Arrays.equals(dy.shape(), full) ? dy : dy.expand(full);
    }

    /**
     * The tangent of a normalization's parameter sums, [S(g xhat), S(g)] stacked behind the k batch
     * axes, from the tangents t of g and x (either may be null): d S(g xhat) = S(dg xhat) + S(g h(dx,
     * x)), d S(g) = S(dg), S the sum over axis {@code along} of the layout's rows (0 the rows, 1 each
     * row's elements), after the batch axes.
     */
    static Tensor sumsTangent(Layout layout, double eps, Tensor g, Tensor x, Tensor[] t, int along) {
        Tensor dw = null;
        Tensor db = null;
        int k = 0;
        if (t[0] != null) {
            k = Tangents.batch(t[0], g);
            Tensor rows = layout.rows(t[0], k);
            dw = rows.mul(layout.rows(new Normalize(layout, eps).apply(x), 0)).sum(k + along, false);
            db = rows.sum(k + along, false);
        }
        if (t[1] != null) {
            k = Tangents.batch(t[1], x);
            Tensor h = normalizedTangent(new RowStatistics(layout.rows(x, 0), eps), layout.rows(t[1], k), k);
            dw = Tangents.sum(dw, h.mul(layout.rows(g, 0)).sum(k + along, false));
        }
        if (db == null) {
            db = Tensor.zeros(dw.dtype(), dw.shape());
        }
        return Tensor.stack(java.util.List.of(dw, db), k);
    }

    /** h(d, x) on rows: rstd (d - M(d) - xhat M(d xhat)), d behind k batch axes, the means per row and direction. */
    static Tensor normalizedTangent(RowStatistics r, Tensor d, int k) {
        return d.sub(d.mean(1 + k, true)).sub(r.xhat.mul(d.mul(r.xhat).mean(1 + k, true))).mul(r.rstd);
    }

    /**
     * dh/dx^T v of h(g, x) = rstd (g - M(g) - xhat M(g xhat)), for x, g, v as [rows, cols] (rows
     * normalized): rstd^2 (xhat (A M(v) - M(v g) + 3 B M(v xhat)) - B v + B M(v) + A M(v xhat) - g M(v xhat))
     * with A = M(g), B = M(g xhat).
     */
    private static Tensor gradientOfInput(Tensor x, Tensor g, Tensor v, double eps) {
        RowStatistics r = new RowStatistics(x, eps);
        Tensor a = g.mean(1, true);
        Tensor b = g.mul(r.xhat).mean(1, true);
        Tensor mv = v.mean(1, true);
        Tensor mvx = v.mul(r.xhat).mean(1, true);
        Tensor inner = r.xhat.mul(a.mul(mv).sub(v.mul(g).mean(1, true)).add(b.mul(mvx).mul(3)))
                .sub(b.mul(v)).add(b.mul(mv).add(a.mul(mvx))).sub(g.mul(mvx));
        return inner.mul(r.rstd.mul(r.rstd));
    }

    /**
     * (dh/dx) d, d a tangent of the [rows, cols] x behind k batch axes:
     * rstd^2 (P (A - g) + 3 B P xhat - B d + B Q + xhat (A Q - M(g d))) with P = M(xhat d), Q = M(d).
     */
    private static Tensor tangentOfInput(Tensor x, Tensor g, Tensor d, int k, double eps) {
        RowStatistics r = new RowStatistics(x, eps);
        int axis = 1 + k;
        Tensor a = g.mean(1, true);
        Tensor b = g.mul(r.xhat).mean(1, true);
        Tensor p = d.mul(r.xhat).mean(axis, true);
        Tensor q = d.mean(axis, true);
        Tensor inner = p.mul(a.sub(g)).add(p.mul(r.xhat).mul(b.mul(3))).sub(d.mul(b)).add(q.mul(b))
                .add(r.xhat.mul(q.mul(a).sub(d.mul(g).mean(axis, true))));
        return inner.mul(r.rstd.mul(r.rstd));
    }

    /** A [rows, cols] tensor's normalized rows and their rstd ([rows, 1]), as recorded ops. */
    static final class RowStatistics {
        final Tensor xhat;
        final Tensor rstd;

        RowStatistics(Tensor x, double eps) {
            Tensor c = x.sub(x.mean(1, true));
            rstd = c.mul(c).mean(1, true).add(eps).pow(-0.5);
            xhat = c.mul(rstd);
        }
    }
}
