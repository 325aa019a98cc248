package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Adam, exactly as PyTorch's {@code torch.optim.Adam} (defaults: betas 0.9 and 0.999, eps 1e-8,
 * weight decay 0, no AMSGrad). For each parameter {@code p} with gradient {@code g}, at its step
 * {@code t = 1, 2, ...}:
 * <pre>
 * g = g + weightDecay * p                                  (L2 penalty, if weightDecay != 0)
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g^2
 * vmax = max(vmax, v)                                      (AMSGrad only; then v = vmax below)
 * p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * i.e. {@code p - lr * mhat / (sqrt(vhat) + eps)} with the bias-corrected moments, eps added after
 * the square root. {@link AdamW} differs only in how weight decay is applied.
 */
public class Adam extends Optimizer {
    private final boolean decoupled;
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double eps = 1e-8;
    private double weightDecay;
    private boolean amsgrad;
    private final int[] steps;
    private final State firstMoments;
    private final State secondMoments;
    private final State maxSecondMoments;
    private final State[] moments;
    private final State[] momentsAndMax;
    /** The step's scalars, set by {@link #begin} for the parameter being updated. */
    private double stepSize;
    private double correction2Sqrt;
    /** Adam's penalty added to the gradient (0 for AdamW), and AdamW's decoupled factor (1 for Adam). */
    private double l2;
    private double shrink;

    /**
     * Adam with PyTorch's defaults.
     *
     * @param parameters the tensors to optimize
     * @param learningRate the learning rate, finite and non-negative (PyTorch's default is 1e-3)
     */
    public Adam(List<Tensor> parameters, double learningRate) {
        this("Adam", parameters, learningRate, 0.0, false);
    }

    Adam(String name, List<Tensor> parameters, double learningRate, double weightDecay, boolean decoupled) {
        super(name, parameters, learningRate);
        this.decoupled = decoupled;
        this.weightDecay = nonNegative("weight decay", weightDecay);
        int n = parameters.size();
        this.steps = new int[n];
        this.firstMoments = state("exp_avg");
        this.secondMoments = state("exp_avg_sq");
        this.maxSecondMoments = state("max_exp_avg_sq");
        this.moments = new State[] {firstMoments, secondMoments, null};
        this.momentsAndMax = new State[] {firstMoments, secondMoments, maxSecondMoments};
    }

    /**
     * @param beta1 decay of the first moment, in [0, 1) (default 0.9)
     * @param beta2 decay of the second moment, in [0, 1) (default 0.999)
     * @return this optimizer
     */
    public Adam betas(double beta1, double beta2) {
        this.beta1 = unitInterval("beta1", beta1);
        this.beta2 = unitInterval("beta2", beta2);
        return this;
    }

    /**
     * @param eps the term added to the denominator, finite and non-negative (default 1e-8)
     * @return this optimizer
     */
    public Adam eps(double eps) {
        this.eps = nonNegative("eps", eps);
        return this;
    }

    /**
     * @param weightDecay the weight decay, finite and non-negative (Adam: an L2 penalty added to the
     *     gradient, default 0; AdamW: decoupled, default 0.01)
     * @return this optimizer
     */
    public Adam weightDecay(double weightDecay) {
        this.weightDecay = nonNegative("weight decay", weightDecay);
        return this;
    }

    /**
     * @param amsgrad whether to use the AMSGrad variant (default false)
     * @return this optimizer
     */
    public Adam amsgrad(boolean amsgrad) {
        this.amsgrad = amsgrad;
        return this;
    }

    /**
     * The decay rate of the first-moment (mean) estimate.
     *
     * @return beta1
     */
    public double beta1() {
        return beta1;
    }

    /**
     * The decay rate of the second-moment (uncentered variance) estimate.
     *
     * @return beta2
     */
    public double beta2() {
        return beta2;
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
     * Whether AMSGrad is on.
     *
     * @return whether AMSGrad is on
     */
    public boolean amsgrad() {
        return amsgrad;
    }

    /**
     * The bias-correction step count per parameter, {@code step}.
     *
     * @return the live counters
     */
    @Override
    protected final Map<String, int[]> stateCounters() {
        return Map.of("step", steps);
    }

    /** The moments by PyTorch's names: {@code exp_avg}, {@code exp_avg_sq} and, with AMSGrad, {@code max_exp_avg_sq}. */
    @Override
    protected final State[] begin(int index) {
        int t = ++steps[index];
        stepSize = learningRate() / (1 - Math.pow(beta1, t));
        correction2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        l2 = decoupled ? 0.0 : weightDecay;
        shrink = decoupled ? 1 - learningRate() * weightDecay : 1.0;
        return amsgrad ? momentsAndMax : moments;
    }

    /** Elementwise, with no writes but to element i: large parameters split over threads. */
    @Override
    protected final boolean updatesInParts() {
        return true;
    }

    @Override
    protected final void update(int index, double[] p, double[] g, double[][] state, int n) {
        update(index, p, g, state, 0, n);
    }

    @Override
    protected final void update(int index, double[] p, double[] g, double[][] state, int from, int to) {
        UpdateRules.adam(p, g, state[0], state[1], state[2], l2, shrink,
                beta1, 1 - beta1, beta2, 1 - beta2, stepSize, correction2Sqrt, eps, from, to);
    }

    /** The same rule in float32 arithmetic ({@code FloatUpdateRules}), the scalars rounded to float. */
    @Override
    protected final void updateFloats(int index, float[] p, float[] g, float[][] state, int from, int to) {
        FloatUpdateRules.adam(p, g, state[0], state[1], state[2], (float) l2,
                (float) shrink, (float) beta1, (float) (1 - beta1), (float) beta2, (float) (1 - beta2), (float) stepSize,
                (float) correction2Sqrt, (float) eps, from, to);
    }
}
