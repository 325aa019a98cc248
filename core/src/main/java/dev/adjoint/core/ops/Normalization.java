package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.NormKernels;
import java.util.Arrays;

/**
 * Layer normalization: the primitive {@code layerNorm} normalizes each row of the trailing
 * {@code cols} elements, {@code xhat = (x - mean) / sqrt(var + eps)} with the biased variance, in
 * one pass forward and one backward (instead of mean, sub, mul, mean, add, sqrt, div and their
 * gradients); {@code batchNorm} does the same over each channel's values of an [N, C, ...] tensor,
 * its second-order and tangent rules the layer norm's on the channels as rows. The weight and bias
 * are a product and a sum after either. The numbers are {@link NormKernels}'.
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
        // the rows' length; an empty x has no rows (its trailing sizes' product may not fit an int)
        int cols = 1;
        for (int d = 0; d < k && x.size() > 0; d++) {
            cols *= normalizedShape[d];
        }
        Tensor y = new LayerNorm(cols, eps).apply(x);
        if (weight != null) {
            y = y.mul(weight);
        }
        return bias == null ? y : y.add(bias);
    }

    /**
     * PyTorch's {@code batch_norm} with batch statistics (training mode): each channel (axis 1)
     * normalized over every other axis with its mean and biased variance, then times weight, plus
     * bias (each [C], either may be null).
     *
     * @param x the input, [N, C, ...]
     * @param weight the scale, [C], or null for none
     * @param bias the shift, [C], or null for none
     * @param eps added to the variance, 0 or more
     * @return the normalized tensor, of x's shape
     */
    public static Tensor batchNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        int[] s = x.shape();
        if (s.length < 2 || s[1] == 0 || x.size() / s[1] < 2) {
            throw new IllegalArgumentException("batchNorm: expected input [N, C, ...] with more than one value per channel, got shape "
                    + Arrays.toString(s));
        }
        int channels = s[1];
        for (Tensor p : new Tensor[] {weight, bias}) {
            if (p != null && (p.rank() != 1 || p.dim(0) != channels)) {
                throw new IllegalArgumentException("batchNorm: " + (p == weight ? "weight" : "bias") + " of shape "
                        + Arrays.toString(p.shape()) + " does not match the " + channels + " channels of input " + Arrays.toString(s));
            }
            if (p != null && p.dtype() != x.dtype()) {
                throw new IllegalArgumentException("batchNorm: " + (p == weight ? "weight" : "bias") + " is " + p.dtype()
                        + " but the input is " + x.dtype() + " (convert one with to(dtype))");
            }
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("batchNorm: eps must be a finite number of 0 or more, got " + eps);
        }
        int inner = x.size() / (s[0] * channels);
        Tensor y = new BatchNorm(new Channels(s[0], channels, inner), eps).apply(x);
        int[] statShape = new int[s.length];
        Arrays.fill(statShape, 1);
        statShape[1] = channels;
        if (weight != null) {
            y = y.mul(weight.reshape(statShape));
        }
        return bias == null ? y : y.add(bias.reshape(statShape));
    }

    /** The [N, C, inner] layout of a batch-normalized tensor, and its channels as rows ([C, N inner]) behind k batch axes. */
    private record Channels(int n, int c, int inner) {
        /** t ([K..., N, C, ...]) with each channel's values as one row: [K..., C, N inner], a copy. */
        Tensor rows(Tensor t, int k) {
            return t.reshape(Tangents.shape(t, k, new int[] {n, c, inner})).permute(swap(k)).reshape(Tangents.shape(t, k, new int[] {c, n * inner}));
        }

        /** The inverse of {@link #rows}: [K..., C, N inner] back to [K..., shape]. */
        Tensor unrows(Tensor r, int k, int[] shape) {
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

    // per channel, xhat = (x - mean) rstd over the channel's values: the layer norm's formulas on the channels as rows
    private static final class BatchNorm extends Primitive {
        private final Channels layout;
        private final double eps;

        BatchNorm(Channels layout, double eps) {
            super("batchNorm");
            this.layout = layout;
            this.eps = eps;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            NormKernels.Normalized n = NormKernels.normalizeChannels(value(in[0]), layout.c(), layout.inner(), eps);
            ctx.save(in[0], Access.wrap(n.stats()));
            return Access.wrap(n.y());
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            Tensor gx = Access.unrecorded()
                    ? Access.wrap(NormKernels.backwardChannels(value(g), value(x), value(ctx.saved(1)), layout.c(), layout.inner()))
                    : new BatchNormBackward(layout, eps).apply(g, x);
            return new Tensor[] {gx};
        }

        // dy = rstd (dx - M(dx) - xhat M(xhat dx)) per channel and direction (the Jacobian is symmetric)
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], in[0]);
            Rows r = new Rows(layout.rows(in[0], 0), eps, 1);
            Tensor d = layout.rows(t[0], k);
            Tensor dy = d.sub(d.mean(1 + k, true)).sub(r.xhat.mul(d.mul(r.xhat).mean(1 + k, true))).mul(r.rstd);
            return layout.unrows(dy, k, in[0].shape());
        }
    }

    /** {@link LayerNormBackward} over the channels of a batch-normalized tensor. */
    private static final class BatchNormBackward extends Primitive {
        private final Channels layout;
        private final double eps;

        BatchNormBackward(Channels layout, double eps) {
            super("batchNormBackward");
            this.layout = layout;
            this.eps = eps;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            NDArray x = value(in[1]);
            NDArray stats = NormKernels.normalizeChannels(x, layout.c(), layout.inner(), eps).stats();
            return Access.wrap(NormKernels.backwardChannels(value(in[0]), x, stats, layout.c(), layout.inner()));
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
            Rows r = new Rows(layout.rows(x, 0), eps, 1);
            Tensor dg = null;
            if (t[0] != null) {
                int k = Tangents.batch(t[0], g);
                Tensor d = layout.rows(t[0], k);
                dg = layout.unrows(d.sub(d.mean(1 + k, true)).sub(r.xhat.mul(d.mul(r.xhat).mean(1 + k, true))).mul(r.rstd), k, x.shape());
            }
            Tensor dx = null;
            if (t[1] != null) {
                int k = Tangents.batch(t[1], x);
                dx = layout.unrows(tangentOfInput(layout.rows(x, 0), layout.rows(g, 0), layout.rows(t[1], k), k, eps), k, x.shape());
            }
            return Tangents.sum(dg, dx);
        }
    }

    // xhat = (x - mean) rstd per row: dx = rstd (g - mean(g) - xhat mean(g xhat)), its Jacobian symmetric
    private static final class LayerNorm extends Primitive {
        private final int cols;
        private final double eps;

        LayerNorm(int cols, double eps) {
            super("layerNorm");
            this.cols = cols;
            this.eps = eps;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            NormKernels.Normalized n = NormKernels.normalize(value(in[0]), cols, eps);
            ctx.save(in[0], Access.wrap(n.stats()));
            return Access.wrap(n.y());
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            // when nothing records, the kernel alone on the forward pass's statistics (the same bits
            // as the gradient op's forward, which computes them again)
            Tensor gx = Access.unrecorded()
                    ? Access.wrap(NormKernels.backward(value(g), value(x), value(ctx.saved(1)), cols))
                    : new LayerNormBackward(cols, eps).apply(g, x);
            return new Tensor[] {gx};
        }

        // dy = the backward formula applied to dx (the Jacobian is symmetric)
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return new LayerNormBackward(cols, eps).apply(t[0], Tangents.like(in[0], t[0]));
        }
    }

    /**
     * h(g, x) = rstd (g - M(g) - xhat M(g xhat)), M the row mean (kept), as one differentiable op.
     * Linear in g with a symmetric Jacobian: dh/dg^T v = h(v, x). With A = M(g), B = M(g xhat):
     * dh/dx^T v = rstd^2 (xhat (A M(v) - M(v g) + 3 B M(v xhat)) - B v + B M(v) + A M(v xhat) - g M(v xhat)),
     * and the tangent (dh/dx) dx = rstd^2 (P (A - g) + 3 B P xhat - B dx + B Q + xhat (A Q - M(g dx)))
     * with P = M(xhat dx), Q = M(dx).
     */
    private static final class LayerNormBackward extends Primitive {
        private final int cols;
        private final double eps;

        LayerNormBackward(int cols, double eps) {
            super("layerNormBackward");
            this.cols = cols;
            this.eps = eps;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            NDArray x = value(in[1]);
            return Access.wrap(NormKernels.backward(value(in[0]), x, NormKernels.normalize(x, cols, eps).stats(), cols));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor v) {
            Tensor g = ctx.saved(0);
            Tensor x = ctx.saved(1);
            Tensor gg = ctx.needsInputGrad(0) ? apply(v, x) : null;
            Tensor gx = null;
            if (ctx.needsInputGrad(1)) {
                int rows = x.size() / cols;
                gx = gradientOfInput(x.reshape(rows, cols), g.reshape(rows, cols), v.reshape(rows, cols), eps).reshape(x.shape());
            }
            return new Tensor[] {gg, gx};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor g = in[0];
            Tensor x = in[1];
            Tensor dg = t[0] == null ? null : apply(t[0], Tangents.like(x, t[0]));
            Tensor dx = null;
            if (t[1] != null) {
                int k = Tangents.batch(t[1], x);
                int rows = x.size() / cols;
                Tensor d = t[1].reshape(Tangents.shape(t[1], k, new int[] {rows, cols}));
                dx = tangentOfInput(x.reshape(rows, cols), g.reshape(rows, cols), d, k, eps).reshape(Tangents.shape(t[1], k, x.shape()));
            }
            return Tangents.sum(dg, dx);
        }
    }

    /**
     * dh/dx^T v of h(g, x) = rstd (g - M(g) - xhat M(g xhat)), for x, g, v as [rows, cols] (rows
     * normalized): rstd^2 (xhat (A M(v) - M(v g) + 3 B M(v xhat)) - B v + B M(v) + A M(v xhat) - g M(v xhat))
     * with A = M(g), B = M(g xhat).
     */
    private static Tensor gradientOfInput(Tensor x, Tensor g, Tensor v, double eps) {
        Rows r = new Rows(x, eps, 1);
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
        Rows r = new Rows(x, eps, 1);
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
    private static final class Rows {
        final Tensor xhat;
        final Tensor rstd;

        Rows(Tensor x, double eps, int axis) {
            Tensor c = x.sub(x.mean(axis, true));
            rstd = c.mul(c).mean(axis, true).add(eps).pow(-0.5);
            xhat = c.mul(rstd);
        }
    }
}
