package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.CrossEntropyKernels;
import dev.adjoint.core.kernel.NDArray;
import java.util.Arrays;

/**
 * Softmax cross-entropy as one op: {@code L = -(1/n) sum_ij t_ij y_ij}, {@code y = logSoftmax(x)}
 * along the rows of {@code [n, classes]} logits, against target probabilities {@code t} (one-hot
 * rows or soft labels) or one class number a row (the one-hot rows, bit for bit). One pass forward
 * and one backward, instead of log-softmax, product, sum and their gradients; the numbers are
 * {@link CrossEntropyKernels}'.
 */
public final class CrossEntropy {
    private CrossEntropy() {
    }

    /**
     * The mean softmax cross-entropy of {@code logits} against {@code targets}.
     *
     * @param logits raw scores, [batch, classes] with batch and classes above 0
     * @param targets target probabilities, of the logits' shape and dtype, or class numbers
     *     ([batch], whole numbers in [0, classes), in the logits' dtype)
     * @return the scalar loss, in the logits' dtype
     */
    public static Tensor softmaxCrossEntropy(Tensor logits, Tensor targets) {
        if (targets == null) {
            throw new IllegalArgumentException("softmaxCrossEntropy: targets is null");
        }
        int[] shape = logits.shape();
        if (shape.length != 2 || shape[0] == 0 || shape[1] == 0) {
            throw new IllegalArgumentException("softmaxCrossEntropy: logits must have shape [batch, classes] with batch and classes"
                    + " above 0, got " + Arrays.toString(shape));
        }
        boolean classes = targets.rank() == 1 && targets.dim(0) == shape[0];
        if (!classes && !Arrays.equals(shape, targets.shape())) {
            throw new IllegalArgumentException("softmaxCrossEntropy: logits of shape " + Arrays.toString(shape)
                    + " but targets of shape " + Arrays.toString(targets.shape()) + " (expected " + Arrays.toString(shape)
                    + " for probabilities or [" + shape[0] + "] for class numbers)");
        }
        if (logits.dtype() != targets.dtype()) {
            throw new IllegalArgumentException("softmaxCrossEntropy: logits are " + logits.dtype() + " but targets are "
                    + targets.dtype() + " (convert one with to(dtype))");
        }
        return LOSS.apply(logits, targets);
    }

    /** Class numbers ([batch]) as their one-hot rows in x's dtype; probabilities as they are. */
    private static Tensor dense(Tensor x, Tensor t) {
        if (t.rank() == 2) {
            return t;
        }
        int k = x.dim(1);
        // compared in float64, where every column number is exact (float32 is not beyond 2^24)
        return t.detach().to(DType.FLOAT64).reshape(t.dim(0), 1).eq(Tensor.arange(0, k, 1).reshape(1, k)).to(x.dtype());
    }

    // L = -(1/n) sum(t y): dL/dx = (p T - t) / n (p = softmax(x), T = the row sums of t), dL/dt = -y / n
    private static final Primitive LOSS = new Primitive("softmaxCrossEntropy") {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            CrossEntropyKernels.Forward f = CrossEntropyKernels.forward(value(in[0]), value(in[1]));
            // the rows' exps and sums, for the gradient without a second exp
            ctx.save(in[0], in[1], wrap(f.exps()), wrap(f.stats()));
            return wrap(NDArray.scalarLike(f.loss(), value(in[0])));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            Tensor t = ctx.saved(1);
            Tensor gx = null;
            if (ctx.needsInputGrad(0)) {
                // when nothing records, the kernel alone on the forward pass's exps (the same bits as
                // the gradient op's forward, which computes them again)
                gx = Access.unrecorded()
                        ? wrap(CrossEntropyKernels.gradient(g.item() / x.dim(0), value(ctx.saved(2)), value(ctx.saved(3)), value(t)))
                        : GRADIENT.apply(g, x, t);
            }
            // class numbers have no gradient
            Tensor gt = ctx.needsInputGrad(1) && t.rank() == 2 ? x.logSoftmax(1).mul(g).div(-x.dim(0)) : null;
            return new Tensor[] {gx, gt};
        }

        // dL = sum((p T - t) / n dx) - sum(y dt) / n
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor x = in[0];
            Tensor dx = null;
            if (t[0] != null) {
                Tensor one = wrap(NDArray.scalarLike(1, value(x)));
                dx = Tangents.sumAll(t[0].mul(GRADIENT.apply(one, x, in[1])), Tangents.batch(t[0], x));
            }
            Tensor dt = null;
            if (t[1] != null && in[1].rank() == 2) {
                dt = Tangents.sumAll(t[1].mul(x.logSoftmax(1)), Tangents.batch(t[1], x)).div(-x.dim(0));
            }
            return Tangents.sum(dx, dt);
        }
    };

    /** {@code (g / n) (p T - t)} for a scalar g, by the kernel alone. */
    private static Tensor gradient(Tensor g, Tensor x, Tensor t) {
        return wrap(CrossEntropyKernels.gradient(g.item() / x.dim(0), value(x), value(t)));
    }

    private static Tensor wrap(NDArray v) {
        return Access.wrap(v);
    }

    /**
     * h(g, x, t) = (g / n) (p T - t), the loss's gradient, as one differentiable op: with v = gOut,
     * dh/dg^T v = sum(v (p T - t)) / n, dh/dx^T v = (g / n) T p (v - S(p v)),
     * dh/dt^T v = (g / n) (S(p v) - v), S the row sums (kept); t as one-hot rows where it holds
     * class numbers, which have no gradient.
     */
    private static final Primitive GRADIENT = new Primitive("softmaxCrossEntropyBackward") {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1], in[2]);
            return gradient(in[0], in[1], in[2]);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor v) {
            Tensor g = ctx.saved(0);
            Tensor x = ctx.saved(1);
            Tensor t = dense(x, ctx.saved(2));
            int n = x.dim(0);
            Tensor p = x.softmax(1);
            Tensor total = t.sum(1, true);
            Tensor pv = p.mul(v).sum(1, true);
            return new Tensor[] {
                ctx.needsInputGrad(0) ? v.mul(p.mul(total).sub(t)).sum().div(n) : null,
                ctx.needsInputGrad(1) ? p.mul(v.sub(pv)).mul(total).mul(g).div(n) : null,
                ctx.needsInputGrad(2) && ctx.saved(2).rank() == 2 ? pv.sub(v).mul(g).div(n) : null};
        }

        // linear in g: dh = dg (p T - t) / n + (g / n) (T p (dx - S(p dx)) + p S(dt) - dt)
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor g = in[0];
            Tensor x = in[1];
            int n = x.dim(0);
            Tensor[] tangents = {t[0], t[1], in[2].rank() == 2 ? t[2] : null};
            Tensor some = tangents[0] != null ? tangents[0] : tangents[1] != null ? tangents[1] : tangents[2];
            if (some == null) {
                return null;
            }
            int k = Tangents.batch(some, some == tangents[0] ? g : x);
            Tensor p = x.softmax(1);
            Tensor dg = null;
            if (tangents[0] != null) {
                Tensor one = wrap(NDArray.scalarLike(1, value(x)));
                dg = Tangents.aligned(tangents[0], k, x.rank()).mul(apply(one, x, in[2]));
            }
            Tensor rest = null;
            if (tangents[1] != null) {
                rest = p.mul(tangents[1].sub(p.mul(tangents[1]).sum(1 + k, true))).mul(dense(x, in[2]).sum(1, true));
            }
            if (tangents[2] != null) {
                rest = Tangents.sum(rest, p.mul(tangents[2].sum(1 + k, true)).sub(tangents[2]));
            }
            return Tangents.sum(dg, rest == null ? null : rest.mul(g).div(n));
        }
    };
}
