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
 * gradients); the weight and bias are a product and a sum after it. The numbers are
 * {@link NormKernels}'.
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
                Rows r = new Rows(x.reshape(rows, cols), eps, 1);
                Tensor gr = g.reshape(rows, cols);
                Tensor vr = v.reshape(rows, cols);
                Tensor a = gr.mean(1, true);
                Tensor b = gr.mul(r.xhat).mean(1, true);
                Tensor mv = vr.mean(1, true);
                Tensor mvx = vr.mul(r.xhat).mean(1, true);
                Tensor inner = r.xhat.mul(a.mul(mv).sub(vr.mul(gr).mean(1, true)).add(b.mul(mvx).mul(3)))
                        .sub(b.mul(vr)).add(b.mul(mv).add(a.mul(mvx))).sub(gr.mul(mvx));
                gx = inner.mul(r.rstd.mul(r.rstd)).reshape(x.shape());
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
                Rows r = new Rows(x.reshape(rows, cols), eps, 1);
                Tensor gr = g.reshape(rows, cols);
                Tensor d = t[1].reshape(Tangents.shape(t[1], k, new int[] {rows, cols}));
                int axis = 1 + k;
                Tensor a = gr.mean(1, true);
                Tensor b = gr.mul(r.xhat).mean(1, true);
                Tensor p = d.mul(r.xhat).mean(axis, true);
                Tensor q = d.mean(axis, true);
                Tensor inner = p.mul(a.sub(gr)).add(p.mul(r.xhat).mul(b.mul(3))).sub(d.mul(b)).add(q.mul(b))
                        .add(r.xhat.mul(q.mul(a).sub(d.mul(gr).mean(axis, true))));
                dx = inner.mul(r.rstd.mul(r.rstd)).reshape(Tangents.shape(t[1], k, x.shape()));
            }
            return Tangents.sum(dg, dx);
        }
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
