package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/**
 * RMSprop, exactly as PyTorch's {@code torch.optim.RMSprop} (defaults: alpha 0.99, eps 1e-8, no
 * weight decay, no momentum, not centered). For each parameter {@code p} with gradient {@code g}:
 * <pre>
 * g = g + weightDecay * p                   (if weightDecay != 0)
 * v = alpha * v + (1 - alpha) * g^2
 * a = alpha * a + (1 - alpha) * g           (centered only)
 * d = sqrt(v - a^2) + eps                   (centered)  or  sqrt(v) + eps
 * b = momentum * b + g / d; p = p - lr * b  (momentum &gt; 0)
 * p = p - lr * g / d                        (otherwise)
 * </pre>
 * with {@code v}, {@code a} and {@code b} starting at zero.
 */
public final class RMSprop extends Optimizer {
    private double alpha = 0.99;
    private double eps = 1e-8;
    private double weightDecay;
    private double momentum;
    private boolean centered;
    private final State squareAverages;
    private final State gradientAverages;
    private final State buffers;
    /** The states the rule uses, {@code square_avg}, {@code grad_avg}, {@code momentum_buffer}, absent as null. */
    private final State[] used = new State[3];

    /**
     * RMSprop with PyTorch's defaults.
     *
     * @param parameters the tensors to optimize
     * @param learningRate the learning rate, finite and non-negative (PyTorch's default is 1e-2)
     */
    public RMSprop(List<Tensor> parameters, double learningRate) {
        super("RMSprop", parameters, learningRate);
        this.squareAverages = state("square_avg");
        this.gradientAverages = state("grad_avg");
        this.buffers = state("momentum_buffer");
    }

    /**
     * @param alpha the smoothing constant, finite and non-negative (default 0.99)
     * @return this optimizer
     */
    public RMSprop alpha(double alpha) {
        this.alpha = nonNegative("alpha", alpha);
        return this;
    }

    /**
     * @param eps the term added to the denominator, finite and non-negative (default 1e-8)
     * @return this optimizer
     */
    public RMSprop eps(double eps) {
        this.eps = nonNegative("eps", eps);
        return this;
    }

    /**
     * @param weightDecay the L2 penalty factor, finite and non-negative (default 0)
     * @return this optimizer
     */
    public RMSprop weightDecay(double weightDecay) {
        this.weightDecay = nonNegative("weight decay", weightDecay);
        return this;
    }

    /**
     * @param momentum the momentum factor, finite and non-negative (default 0)
     * @return this optimizer
     */
    public RMSprop momentum(double momentum) {
        this.momentum = nonNegative("momentum", momentum);
        return this;
    }

    /**
     * @param centered whether to normalise by the estimated variance instead of the raw second
     *     moment (default false)
     * @return this optimizer
     */
    public RMSprop centered(boolean centered) {
        this.centered = centered;
        return this;
    }

    /**
     * The smoothing constant of the squared-gradient average.
     *
     * @return alpha
     */
    public double alpha() {
        return alpha;
    }

    /**
     * The term added to the denominator for numerical stability.
     *
     * @return eps
     */
    public double eps() {
        return eps;
    }

    /**
     * The weight decay.
     *
     * @return the weight decay
     */
    public double weightDecay() {
        return weightDecay;
    }

    /**
     * The momentum factor.
     *
     * @return the momentum factor
     */
    public double momentum() {
        return momentum;
    }

    /**
     * Whether the centered variant is on.
     *
     * @return whether the centered variant is on
     */
    public boolean centered() {
        return centered;
    }

    /**
     * The averages by PyTorch's names: {@code square_avg}, {@code grad_avg} (centered) and
     * {@code momentum_buffer}.
     *
     * @return the states the rule reads and writes
     */
    @Override
    protected State[] begin(int index) {
        used[0] = squareAverages;
        used[1] = centered ? gradientAverages : null;
        used[2] = momentum > 0 ? buffers : null;
        return used;
    }

    /** Elementwise, with no writes but to element i: large parameters split over threads. */
    @Override
    protected boolean updatesInParts() {
        return true;
    }

    @Override
    protected void update(int index, double[] p, double[] g, double[][] state, int n) {
        update(index, p, g, state, 0, n);
    }

    @Override
    protected void update(int index, double[] p, double[] g, double[][] state, int from, int to) {
        UpdateRules.rmsprop(p, g, state[0], state[1], state[2], learningRate(), alpha, 1 - alpha, weightDecay, momentum, eps, from, to);
    }

    /** The same rule in float32 arithmetic ({@code FloatUpdateRules}), the scalars rounded to float. */
    @Override
    protected void updateFloats(int index, float[] p, float[] g, float[][] state, int from, int to) {
        FloatUpdateRules.rmsprop(p, g, state[0], state[1], state[2], (float) learningRate(), (float) alpha, (float) (1 - alpha), (float) weightDecay,
                (float) momentum, (float) eps, from, to);
    }
}
