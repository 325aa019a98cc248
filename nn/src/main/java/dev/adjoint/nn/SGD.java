package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and (L2)
 * weight decay, exactly as PyTorch's {@code torch.optim.SGD}. For each parameter {@code p} with
 * gradient {@code g}, step {@code t}:
 * <pre>
 * g = g + weightDecay * p                      (if weightDecay != 0)
 * if momentum != 0:
 *     b = g                                    (t = 1)
 *     b = momentum * b + (1 - dampening) * g   (t > 1)
 *     g = nesterov ? g + momentum * b : b
 * p = p - lr * g
 * </pre>
 * Configure with the fluent setters: {@code new SGD(params, 0.1).momentum(0.9).nesterov(true)}.
 */
public final class SGD extends Optimizer {
    private double momentum;
    private double dampening;
    private double weightDecay;
    private boolean nesterov;
    private final State buffers;
    private final State[] withBuffer;
    private static final State[] WITHOUT_BUFFER = {null};
    /** Whether the parameter being updated has no momentum buffer yet (its first step), set by {@link #begin}. */
    private boolean first;

    /**
     * Plain SGD: {@code p = p - lr * g}.
     *
     * @param parameters the tensors to optimize
     * @param learningRate the learning rate, finite and non-negative
     */
    public SGD(List<Tensor> parameters, double learningRate) {
        super("SGD", parameters, learningRate);
        this.buffers = state("momentum_buffer");
        this.withBuffer = new State[] {buffers};
    }

    /**
     * SGD with momentum.
     *
     * @param parameters the tensors to optimize
     * @param learningRate the learning rate, finite and non-negative
     * @param momentum the momentum factor, finite and non-negative
     */
    public SGD(List<Tensor> parameters, double learningRate, double momentum) {
        this(parameters, learningRate);
        momentum(momentum);
    }

    /**
     * @param momentum the momentum factor, finite and non-negative (default 0)
     * @return this optimizer
     */
    public SGD momentum(double momentum) {
        this.momentum = nonNegative("momentum", momentum);
        return this;
    }

    /**
     * @param dampening the dampening of the momentum, finite and non-negative (default 0)
     * @return this optimizer
     */
    public SGD dampening(double dampening) {
        this.dampening = nonNegative("dampening", dampening);
        return this;
    }

    /**
     * @param weightDecay the L2 penalty factor, finite and non-negative (default 0)
     * @return this optimizer
     */
    public SGD weightDecay(double weightDecay) {
        this.weightDecay = nonNegative("weight decay", weightDecay);
        return this;
    }

    /**
     * @param nesterov whether to use Nesterov momentum (needs momentum &gt; 0 and dampening 0)
     * @return this optimizer
     */
    public SGD nesterov(boolean nesterov) {
        this.nesterov = nesterov;
        return this;
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
     * The dampening.
     *
     * @return the dampening
     */
    public double dampening() {
        return dampening;
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
     * Whether Nesterov momentum is on.
     *
     * @return whether Nesterov momentum is on
     */
    public boolean nesterov() {
        return nesterov;
    }

    @Override
    protected void validate() {
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalStateException("SGD: Nesterov momentum requires momentum > 0 and dampening = 0, got momentum "
                    + momentum + ", dampening " + dampening);
        }
    }

    /** The momentum buffer, PyTorch's {@code momentum_buffer}, when there is momentum; none otherwise. */
    @Override
    protected State[] begin(int index) {
        if (momentum == 0) {
            return WITHOUT_BUFFER;
        }
        first = !buffers.has(index);
        return withBuffer;
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
        if (state[0] == null) {
            UpdateRules.sgd(p, g, learningRate(), weightDecay, from, to);
        } else {
            UpdateRules.sgdMomentum(p, g, state[0], learningRate(), weightDecay, momentum, 1 - dampening, first, nesterov, from, to);
        }
    }

    /** The same rule in float32 arithmetic ({@code FloatUpdateRules}), the scalars rounded to float. */
    @Override
    protected void updateFloats(int index, float[] p, float[] g, float[][] state, int from, int to) {
        if (state[0] == null) {
            FloatUpdateRules.sgd(p, g, (float) learningRate(), (float) weightDecay, from, to);
        } else {
            FloatUpdateRules.sgdMomentum(p, g, state[0], (float) learningRate(), (float) weightDecay, (float) momentum,
                    (float) (1 - dampening), first, nesterov, from, to);
        }
    }
}
