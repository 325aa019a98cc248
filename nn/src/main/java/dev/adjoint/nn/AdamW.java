package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/**
 * Adam with decoupled weight decay, exactly as PyTorch's {@code torch.optim.AdamW} (defaults:
 * betas 0.9 and 0.999, eps 1e-8, weight decay 0.01). Each step first shrinks the parameter,
 * {@code p = p * (1 - lr * weightDecay)}, then applies the {@link Adam} update with the raw gradient
 * (no L2 term in the moments).
 */
public final class AdamW extends Adam {

    /**
     * AdamW with PyTorch's defaults (weight decay 0.01).
     *
     * @param parameters the tensors to optimize
     * @param learningRate the learning rate, finite and non-negative (PyTorch's default is 1e-3)
     */
    public AdamW(List<Tensor> parameters, double learningRate) {
        super("AdamW", parameters, learningRate, 0.01, true);
    }

    @Override
    public AdamW betas(double beta1, double beta2) {
        super.betas(beta1, beta2);
        return this;
    }

    @Override
    public AdamW eps(double eps) {
        super.eps(eps);
        return this;
    }

    /**
     * @param weightDecay the decoupled weight decay, finite and non-negative (default 0.01)
     * @return this optimizer
     */
    @Override
    public AdamW weightDecay(double weightDecay) {
        super.weightDecay(weightDecay);
        return this;
    }

    @Override
    public AdamW amsgrad(boolean amsgrad) {
        super.amsgrad(amsgrad);
        return this;
    }
}
