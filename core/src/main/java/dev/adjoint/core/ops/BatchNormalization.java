package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.NormKernels;
import dev.adjoint.core.ops.Normalization.Channels;
import dev.adjoint.core.ops.Normalization.Normalize;
import dev.adjoint.core.ops.Normalization.NormalizeBackward;
import java.util.Arrays;

/**
 * Batch normalization: the primitive {@code batchNorm} normalizes each channel of an [N, C, ...]
 * tensor over its values with their mean and biased variance, times a weight plus a bias per
 * channel, in one pass forward and one backward that gives all three gradients; recorded, the same
 * bits from differentiable ops ({@link Normalization}'s gradient op on the channels as rows, and
 * {@code batchNormSums}). The running statistics of PyTorch's functional {@code batch_norm} come
 * from the forward pass's; evaluation mode scales and shifts each channel in one op,
 * {@code batchNormScale}. The numbers are {@link NormKernels}'.
 */
public final class BatchNormalization {
    private BatchNormalization() {
    }

    /**
     * PyTorch's {@code batch_norm} with batch statistics (training mode): each channel (axis 1)
     * normalized over every other axis with its mean and biased variance, then times weight, plus
     * bias (each [C], either may be null), as one op.
     *
     * @param x the input, [N, C, ...]
     * @param weight the scale, [C], or null for none
     * @param bias the shift, [C], or null for none
     * @param eps added to the variance, 0 or more
     * @return the normalized tensor, of x's shape
     */
    public static Tensor batchNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        checkBatchNorm(x, weight, bias, eps);
        return normalizeChannels(x, weight, bias, eps).apply(inputs(x, weight, bias));
    }

    /**
     * PyTorch's {@code batch_norm} with running statistics: in training mode as
     * {@link #batchNorm(Tensor, Tensor, Tensor, double)}, the running statistics (if given) moved
     * toward the batch's by {@code momentum}, the variance unbiased; in evaluation mode normalized
     * with the running statistics.
     *
     * @param x the input, [N, C, ...]
     * @param runningMean the running mean, [C], or null (training mode only)
     * @param runningVar the running variance, [C], or null (training mode only)
     * @param weight the scale, [C], or null for none
     * @param bias the shift, [C], or null for none
     * @param training whether to use (and update) the batch's statistics
     * @param momentum the update's step, in [0, 1]
     * @param eps added to the variance, 0 or more
     * @return the normalized tensor, of x's shape
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, boolean training,
            double momentum, double eps) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("batchNorm: expected input [N, C, ...], got shape " + Arrays.toString(x.shape()));
        }
        if (!training || runningMean != null || runningVar != null) {
            if (runningMean == null || runningVar == null) {
                throw new IllegalArgumentException("batchNorm: " + (training ? "give both running statistics or neither"
                        : "evaluation mode needs the running mean and variance") + ", got running mean "
                        + (runningMean == null ? "null" : Arrays.toString(runningMean.shape())) + " and running variance "
                        + (runningVar == null ? "null" : Arrays.toString(runningVar.shape())));
            }
            checkParameter(x, runningMean, "running mean");
            checkParameter(x, runningVar, "running variance");
            // both are checked before either changes: never one updated and the other not
            if (training && (!runningMean.isLeaf() || !runningVar.isLeaf())) {
                throw new IllegalArgumentException("batchNorm: the running statistics must be leaves (training mode updates them in"
                        + " place), got results of " + runningMean.gradFnName() + " and " + runningVar.gradFnName());
            }
        }
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("batchNorm: momentum must be in [0, 1], got " + momentum);
        }
        if (!training) {
            checkEvaluation(x, weight, bias, eps);
            // x alpha + beta per channel, one op (as PyTorch's inference): alpha = w / sqrt(var + eps),
            // beta = b - mean alpha
            Tensor alpha = runningVar.add(eps).pow(-0.5);
            if (weight != null) {
                alpha = alpha.mul(weight);
            }
            Tensor shift = runningMean.mul(alpha);
            Tensor beta = bias == null ? shift.neg() : bias.sub(shift);
            return SCALE.apply(x, alpha, beta);
        }
        checkBatchNorm(x, weight, bias, eps);
        BatchNorm op = normalizeChannels(x, weight, bias, eps);
        Tensor y = op.apply(inputs(x, weight, bias));
        if (runningMean != null) {
            double[] st = op.statistics.toArray();
            double count = (double) x.size() / x.dim(1);
            runningMean.modify(r -> {
                for (int c = 0; c < r.length; c++) {
                    r[c] = (1 - momentum) * r[c] + momentum * st[3 * c];
                }
            });
            runningVar.modify(r -> {
                for (int c = 0; c < r.length; c++) {
                    r[c] = (1 - momentum) * r[c] + momentum * (st[3 * c + 2] * count / (count - 1));
                }
            });
        }
        return y;
    }

    private static BatchNorm normalizeChannels(Tensor x, Tensor weight, Tensor bias, double eps) {
        int[] s = x.shape();
        return new BatchNorm(new Channels(s[0], s[1], x.size() / (s[0] * s[1])), eps, weight != null, bias != null);
    }

    private static Tensor[] inputs(Tensor x, Tensor weight, Tensor bias) {
        return weight == null ? (bias == null ? new Tensor[] {x} : new Tensor[] {x, bias})
                : bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias};
    }

    private static void checkBatchNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        int[] s = x.shape();
        if (s.length < 2 || s[1] == 0 || x.size() / s[1] < 2) {
            throw new IllegalArgumentException("batchNorm: expected input [N, C, ...] with more than one value per channel, got shape "
                    + Arrays.toString(s));
        }
        checkEvaluation(x, weight, bias, eps);
    }

    /** The checks of evaluation mode, which normalizes even one value per channel (x's rank checked by the caller). */
    private static void checkEvaluation(Tensor x, Tensor weight, Tensor bias, double eps) {
        checkParameter(x, weight, "weight");
        checkParameter(x, bias, "bias");
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("batchNorm: eps must be a finite number of 0 or more, got " + eps);
        }
    }

    private static void checkParameter(Tensor x, Tensor p, String what) {
        int[] s = x.shape();
        if (p != null && (p.rank() != 1 || p.dim(0) != s[1])) {
            throw new IllegalArgumentException("batchNorm: " + what + " of shape " + Arrays.toString(p.shape()) + " does not match the "
                    + s[1] + " channels of input " + Arrays.toString(s));
        }
        if (p != null && p.dtype() != x.dtype()) {
            throw new IllegalArgumentException("batchNorm: " + what + " is " + p.dtype() + " but the input is " + x.dtype()
                    + " (convert one with to(dtype))");
        }
    }

    /** [1, C, 1...] of x's rank: a per-channel [C] tensor's shape against x. */
    private static int[] channelShape(Tensor x) {
        int[] s = new int[x.rank()];
        Arrays.fill(s, 1);
        s[1] = x.dim(1);
        return s;
    }

    /**
     * {@code x alpha + beta} per channel of an [N, C, ...] x (alpha and beta [C]), evaluation mode's
     * one pass: the bits of {@code x.mul(alpha).add(beta)} broadcast per channel, and their gradients.
     */
    private static final Primitive SCALE = new Primitive("batchNormScale") {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            Tensor x = in[0];
            // an empty x has no runs (the rest of its shape may not fit an int)
            int inner = x.size() == 0 ? 1 : x.size() / (x.dim(0) * x.dim(1));
            return Access.wrap(NormKernels.scaleChannels(value(x), value(in[1]), value(in[2]), x.dim(1), inner));
        }

        // dx = g alpha, dalpha = S(g x), dbeta = S(g), S the sum over a channel's values
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            Tensor alpha = ctx.saved(1);
            int[] s = channelShape(x);
            int c = x.dim(1);
            return new Tensor[] {
                ctx.needsInputGrad(0) ? g.mul(alpha.reshape(s)) : null,
                ctx.needsInputGrad(1) ? g.mul(x).sumTo(s).reshape(c) : null,
                ctx.needsInputGrad(2) ? g.sumTo(s).reshape(c) : null};
        }

        // dy = dx alpha + x dalpha + dbeta
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor x = in[0];
            int[] s = channelShape(x);
            Tensor dy = null;
            int k = 0;
            if (t[0] != null) {
                k = Tangents.batch(t[0], x);
                dy = t[0].mul(in[1].reshape(s));
            }
            if (t[1] != null) {
                k = Tangents.batch(t[1], in[1]);
                dy = Tangents.sum(dy, x.mul(t[1].reshape(Tangents.shape(t[1], k, s))));
            }
            if (t[2] != null) {
                k = Tangents.batch(t[2], in[2]);
                dy = Tangents.sum(dy, t[2].reshape(Tangents.shape(t[2], k, s)));
            }
            int[] full = Tangents.shape(dy, k, x.shape());
            return Arrays.equals(dy.shape(), full) ? dy : dy.expand(full);
        }
    };

    /**
     * batchNorm with its weight and bias: y = xhat w + b per channel, inputs x and, where given, w
     * and b ([C]). Its backward gives all three gradients from one kernel call; recorded, the same
     * bits from differentiable ops: {@code h(g, x) w} by {@link NormalizeBackward}, and the weight's
     * and bias's sums S(g xhat) and S(g) by {@link ChannelSums}. The forward's statistics stay in
     * {@link #statistics} for the running statistics' update (an instance is made per call).
     */
    private static final class BatchNorm extends Primitive {
        private final Channels layout;
        private final double eps;
        private final boolean weighted;
        private final boolean biased;
        /** Each channel's mean, rstd and biased variance ([C, 3]) from the last forward. */
        NDArray statistics;

        BatchNorm(Channels layout, double eps, boolean weighted, boolean biased) {
            super("batchNorm");
            this.layout = layout;
            this.eps = eps;
            this.weighted = weighted;
            this.biased = biased;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            NormKernels.Normalized n = NormKernels.normalizeChannels(value(in[0]), weighted ? value(in[1]) : null,
                    biased ? value(in[in.length - 1]) : null, layout.c(), layout.inner(), eps);
            statistics = n.stats();
            Tensor stats = Access.wrap(n.stats());
            Normalization.saveAffine(ctx, in, stats, weighted);
            return Access.wrap(n.y());
        }

        // dx = h(g, x) w, dw = S(g xhat), db = S(g), S the sum over a channel's values
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            Tensor w = weighted ? ctx.saved(2) : null;
            boolean weightGrad = weighted && ctx.needsInputGrad(1);
            boolean biasGrad = Normalization.biasGrad(ctx, weighted, biased);
            Tensor gx;
            Tensor sums;
            if (Access.unrecorded()) {
                NormKernels.ChannelGradients r = NormKernels.backwardChannels(value(g), value(x), w == null ? null : value(w),
                        value(ctx.saved(1)), layout.c(), layout.inner());
                gx = Access.wrap(r.input());
                sums = Access.wrap(r.sums());
            } else {
                gx = ctx.needsInputGrad(0) ? new NormalizeBackward(layout, eps).apply(g, x) : null;
                if (gx != null && w != null) {
                    gx = gx.mul(w.reshape(channelShape(x)));
                }
                sums = weightGrad || biasGrad ? new ChannelSums(layout, eps).apply(g, x) : null;
            }
            return Normalization.affineGradients(gx, sums, weighted, biased, weightGrad, biasGrad, p -> p);
        }

        // dy = h(dx, x) w + xhat dw + db
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return Normalization.affineTangent(layout, eps, in, t, weighted, biased, channelShape(in[0]));
        }
    }

    /**
     * A batch normalization's parameter sums as one differentiable op: for g and x of [N, C, ...],
     * [2, C] holding S(g xhat) (the weight's gradient) and S(g) (the bias's), S the sum over a
     * channel's values. With v = gOut, d/dg = xhat v[0] + v[1] and d/dx = h(g, x) v[0] (h the
     * normalization's gradient, as d S(g xhat) / dx is).
     */
    private static final class ChannelSums extends Primitive {
        private final Channels layout;
        private final double eps;

        ChannelSums(Channels layout, double eps) {
            super("batchNormSums");
            this.layout = layout;
            this.eps = eps;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            NDArray x = value(in[1]);
            return Access.wrap(NormKernels.backwardChannels(value(in[0]), x, null, layout.normalize(x, eps).stats(), layout.c(),
                    layout.inner()).sums());
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor v) {
            Tensor g = ctx.saved(0);
            Tensor x = ctx.saved(1);
            int[] s = channelShape(x);
            Tensor vw = v.select(0, 0).reshape(s);
            Tensor gg = ctx.needsInputGrad(0) ? new Normalize(layout, eps).apply(x).mul(vw).add(v.select(0, 1).reshape(s)) : null;
            Tensor gx = ctx.needsInputGrad(1) ? new NormalizeBackward(layout, eps).apply(g, x).mul(vw) : null;
            return new Tensor[] {gg, gx};
        }

        // d S(g xhat) = S(dg xhat) + S(g h(dx, x)), d S(g) = S(dg); on the channels as rows
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return Normalization.sumsTangent(layout, eps, in[0], in[1], t, 1);
        }
    }
}
