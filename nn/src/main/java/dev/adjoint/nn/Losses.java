package dev.adjoint.nn;

import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.Arrays;

/**
 * Loss functions. Each returns a scalar tensor; the "mean" losses average over every element (or,
 * for {@link #crossEntropy}, over the batch), as PyTorch's {@code reduction="mean"}.
 */
public final class Losses {
    private Losses() {
    }

    /**
     * {@code sum((pred - target)^2)} over every element.
     *
     * @param pred the prediction
     * @param target the target, of the same shape
     * @return the scalar loss
     */
    public static Tensor sumSquaredError(Tensor pred, Tensor target) {
        requireSameShape("sumSquaredError", pred, target);
        return pred.sumSquaredDifference(target);
    }

    /**
     * Mean squared error: {@code mean((pred - target)^2)} over every element.
     *
     * @param pred the prediction
     * @param target the target, of the same shape
     * @return the scalar loss
     */
    public static Tensor mse(Tensor pred, Tensor target) {
        requireSameShape("mse", pred, target);
        if (pred.size() == 0) {
            throw new IllegalArgumentException("mse: tensors of shape " + Arrays.toString(pred.shape()) + " are empty");
        }
        return pred.sumSquaredDifference(target).div(pred.size());
    }

    /**
     * Binary cross-entropy of probabilities:
     * {@code mean(-(t log p + (1 - t) log(1 - p)))}, with each log clamped at -100 as PyTorch's
     * {@code BCELoss} does, so {@code p} of exactly 0 or 1 gives a finite loss.
     *
     * @param prob probabilities in [0, 1]
     * @param target targets (usually 0 or 1), of the same shape
     * @return the scalar loss
     * @throws IllegalArgumentException if the shapes differ or a probability is outside [0, 1]
     */
    public static Tensor binaryCrossEntropy(Tensor prob, Tensor target) {
        requireSameShape("binaryCrossEntropy", prob, target);
        double[] p = prob.toArray();
        for (int i = 0; i < p.length; i++) {
            if (!(p[i] >= 0 && p[i] <= 1)) {
                throw new IllegalArgumentException("binaryCrossEntropy: probabilities must be in [0, 1], got " + p[i]
                        + " at flat index " + i + " (pass logits to binaryCrossEntropyWithLogits instead)");
            }
        }
        Tensor logP = CLAMPED_LOG.apply(prob);
        Tensor logNotP = CLAMPED_LOG.apply(prob.neg().add(1.0));
        return target.mul(logP).add(target.neg().add(1.0).mul(logNotP)).mean().neg();
    }

    /**
     * Binary cross-entropy of logits, {@code mean(-(t log s(x) + (1 - t) log(1 - s(x))))} with
     * {@code s} the sigmoid, computed stably as {@code softplus(x) - x t} (softplus never overflows and
     * its derivative is exactly the sigmoid, so the gradient is {@code s(x) - t} everywhere).
     *
     * @param logits raw scores
     * @param target targets (usually 0 or 1), of the same shape
     * @return the scalar loss
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor target) {
        requireSameShape("binaryCrossEntropyWithLogits", logits, target);
        return logits.softplus().sub(logits.mul(target)).mean();
    }

    /**
     * Softmax cross-entropy averaged over the batch: {@code mean_i(logSumExp(x_i) - x_i[c_i])},
     * computed with the stable log-softmax, as one op ({@link Tensor#softmaxCrossEntropy}): the
     * same bits as {@link #crossEntropy(Tensor, Tensor)} against the one-hot rows.
     *
     * @param logits raw scores, shape {@code [batch, classes]}
     * @param classes the true class of each row, each in {@code [0, classes)}
     * @return the scalar loss
     */
    public static Tensor crossEntropy(Tensor logits, int[] classes) {
        if (logits == null || classes == null) {
            throw new IllegalArgumentException("crossEntropy: " + (logits == null ? "logits" : "classes") + " is null");
        }
        int[] shape = logits.shape();
        if (shape.length != 2) {
            throw new IllegalArgumentException("crossEntropy: logits must have shape [batch, classes], got "
                    + Arrays.toString(shape));
        }
        int n = shape[0];
        int c = shape[1];
        if (classes.length != n) {
            throw new IllegalArgumentException("crossEntropy: " + classes.length + " class labels for a batch of " + n
                    + " (logits shape " + Arrays.toString(shape) + ")");
        }
        if (n == 0) {
            throw new IllegalArgumentException("crossEntropy: empty batch (logits shape " + Arrays.toString(shape) + ")");
        }
        checkClasses("crossEntropy", classes, c);
        if (c > 1 << 24 && logits.dtype() == DType.FLOAT32) {
            // float32 no longer holds every class number beyond 2^24: the one-hot rows (the same bits)
            return logits.softmaxCrossEntropy(oneHot(classes, c).to(DType.FLOAT32));
        }
        double[] numbers = new double[n];
        for (int i = 0; i < n; i++) {
            numbers[i] = classes[i];
        }
        return logits.softmaxCrossEntropy(Tensor.of(numbers, n).to(logits.dtype()));
    }

    /**
     * One row per label, 1 in the label's column and 0 elsewhere (float64): the targets of
     * {@link #crossEntropy(Tensor, Tensor)}.
     *
     * @param classes the class of each row, each in {@code [0, count)}
     * @param count the number of classes
     * @return a tensor of shape {@code [classes.length, count]}
     * @throws IllegalArgumentException if a class is out of range
     */
    public static Tensor oneHot(int[] classes, int count) {
        if (classes == null || count < 1) {
            throw new IllegalArgumentException("oneHot: " + (classes == null ? "classes is null" : "count " + count + " is below 1"));
        }
        return oneHot("oneHot", classes, count);
    }

    /** {@link #oneHot(int[], int)}, naming {@code op} when a class is out of range. */
    private static Tensor oneHot(String op, int[] classes, int count) {
        checkClasses(op, classes, count);
        double[] v = new double[classes.length * count];
        for (int i = 0; i < classes.length; i++) {
            v[i * count + classes[i]] = 1.0;
        }
        return Tensor.of(v, classes.length, count);
    }

    /** That each class is in {@code [0, count)}, naming {@code op} and the first that is not. */
    private static void checkClasses(String op, int[] classes, int count) {
        for (int i = 0; i < classes.length; i++) {
            if (classes[i] < 0 || classes[i] >= count) {
                throw new IllegalArgumentException(op + ": class " + classes[i] + " at index " + i + " is out of range for " + count
                        + " classes");
            }
        }
    }

    /**
     * Mean cross-entropy of softmax(logits) against target class probabilities (one-hot rows, or
     * soft labels): {@code -sum(targets * logSoftmax(logits)) / batch}, PyTorch's
     * {@code cross_entropy} with probability targets, as one op ({@link Tensor#softmaxCrossEntropy}):
     * a class whose target is 0 adds nothing, even where its logit is -inf. The targets may also be
     * one class number a row ({@code [batch]}), as PyTorch's may. With one-hot rows, or their class
     * numbers, it equals {@link #crossEntropy(Tensor, int[])} bit for bit; as a tensor the targets
     * can be an input of a {@link dev.adjoint.core.RecordedStep}, where an {@code int[]} would be
     * fixed when recorded.
     *
     * @param logits raw scores, shape {@code [batch, classes]}
     * @param targets class probabilities of the same shape and dtype, or class numbers {@code [batch]}
     *     of the logits' dtype
     * @return the scalar loss
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) {
        boolean classNumbers = logits != null && targets != null && logits.rank() == 2 && targets.rank() == 1;
        if (!classNumbers) {
            requireSameShape("crossEntropy", logits, targets);
        }
        int[] shape = logits.shape();
        if (shape.length != 2 || shape[0] == 0) {
            throw new IllegalArgumentException("crossEntropy: logits must have shape [batch, classes] with batch > 0, got "
                    + Arrays.toString(shape));
        }
        try {
            return logits.softmaxCrossEntropy(targets);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("crossEntropy: " + e.getMessage(), e);
        }
    }

    private static void requireSameShape(String loss, Tensor a, Tensor b) {
        if (a == null || b == null) {
            throw new IllegalArgumentException(loss + ": " + (a == null ? "prediction" : "target") + " is null");
        }
        boolean same = a.rank() == b.rank();
        for (int i = 0; same && i < a.rank(); i++) {
            same = a.dim(i) == b.dim(i);
        }
        if (!same) {
            throw new IllegalArgumentException(loss + ": prediction shape " + Arrays.toString(a.shape())
                    + " does not match target shape " + Arrays.toString(b.shape()));
        }
    }

    /** The smallest log value, as in PyTorch's BCELoss. */
    private static final double LOG_FLOOR = -100.0;

    /**
     * {@code max(log x, -100)}, elementwise; gradient {@code 1/x} where not clamped, 0 where
     * clamped. Its backward keeps nothing it computed, so it makes the
     * {@link CustomOp#retainsGradients()} promise.
     */
    static final CustomOp CLAMPED_LOG = new CustomOp() {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            double[] x = in[0].toArray();
            double[] y = new double[x.length];
            double[] clamped = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                double l = Math.log(x[i]);
                if (l > LOG_FLOOR) {
                    y[i] = l;
                } else {
                    y[i] = LOG_FLOOR;
                    clamped[i] = 1.0;
                }
            }
            int[] shape = in[0].shape();
            ctx.save(in[0], Tensor.of(clamped, shape).to(in[0].dtype()));
            return Tensor.of(y, shape).to(in[0].dtype());
        }

        // d/dx log x = 1/x where not clamped, 0 where clamped. The clamp mask is a constant; adding it
        // to x keeps the division finite where the gradient is then zeroed anyway.
        @Override
        public Tensor[] backward(Context ctx, Tensor gradOutput) {
            Tensor x = ctx.saved(0);
            Tensor clamped = ctx.saved(1);
            Tensor open = clamped.neg().add(1.0);
            return new Tensor[] {gradOutput.mul(open).div(x.add(clamped))};
        }

        @Override
        public boolean retainsGradients() {
            return false;
        }

        @Override
        public String name() {
            return "clampedLog";
        }
    };
}
