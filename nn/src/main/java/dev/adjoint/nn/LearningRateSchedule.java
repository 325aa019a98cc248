package dev.adjoint.nn;

/**
 * A learning rate as a function of the epoch: {@code rate(baseRate, epoch)} with {@code epoch}
 * counting from 0 and {@code baseRate} the optimizer's initial rate. The factories give PyTorch's
 * closed forms; {@link #apply} sets an optimizer's rate, and {@link Trainer} does so at the start
 * of every epoch.
 *
 * <pre>{@code
 * LearningRateSchedule schedule = LearningRateSchedule.cosine(100, 1e-4);
 * for (int epoch = 0; epoch < 100; epoch++) {
 *     schedule.apply(optimizer, 0.1, epoch);
 *     ... train one epoch ...
 * }
 * }</pre>
 */
@FunctionalInterface
public interface LearningRateSchedule {

    /**
     * The learning rate for an epoch.
     *
     * @param baseRate the initial learning rate
     * @param epoch the epoch, from 0
     * @return the learning rate for that epoch
     */
    double rate(double baseRate, int epoch);

    /**
     * Sets {@code optimizer}'s learning rate to {@code rate(baseRate, epoch)}.
     *
     * @param optimizer the optimizer
     * @param baseRate the initial learning rate
     * @param epoch the epoch, from 0
     */
    default void apply(Optimizer optimizer, double baseRate, int epoch) {
        if (optimizer == null) {
            throw new IllegalArgumentException("LearningRateSchedule: optimizer is null");
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("LearningRateSchedule: epoch must be >= 0, got " + epoch);
        }
        optimizer.setLearningRate(rate(baseRate, epoch));
    }

    /**
     * A schedule that never changes the rate.
     *
     * @return the schedule that keeps the base rate
     */
    static LearningRateSchedule constant() {
        return (baseRate, epoch) -> baseRate;
    }

    /**
     * Step decay (PyTorch's {@code StepLR}): {@code baseRate * gamma^floor(epoch / stepSize)}.
     *
     * @param stepSize how many epochs between decays, positive
     * @param gamma the factor per decay, finite and non-negative
     * @return the schedule
     */
    static LearningRateSchedule step(int stepSize, double gamma) {
        if (stepSize <= 0) {
            throw new IllegalArgumentException("LearningRateSchedule.step: step size must be positive, got " + stepSize);
        }
        requireFactor("step", gamma);
        return (baseRate, epoch) -> baseRate * Math.pow(gamma, epoch / stepSize);
    }

    /**
     * Exponential decay (PyTorch's {@code ExponentialLR}): {@code baseRate * gamma^epoch}.
     *
     * @param gamma the factor per epoch, finite and non-negative
     * @return the schedule
     */
    static LearningRateSchedule exponential(double gamma) {
        requireFactor("exponential", gamma);
        return (baseRate, epoch) -> baseRate * Math.pow(gamma, epoch);
    }

    /**
     * Cosine annealing (PyTorch's {@code CosineAnnealingLR} closed form):
     * {@code minRate + (baseRate - minRate) * (1 + cos(pi * epoch / maxEpochs)) / 2}, reaching
     * {@code minRate} at {@code maxEpochs}; unlike PyTorch it then stays at {@code minRate} instead
     * of rising again.
     *
     * @param maxEpochs the length of the half cosine, positive
     * @param minRate the final rate, finite and non-negative
     * @return the schedule
     */
    static LearningRateSchedule cosine(int maxEpochs, double minRate) {
        if (maxEpochs <= 0) {
            throw new IllegalArgumentException("LearningRateSchedule.cosine: maxEpochs must be positive, got " + maxEpochs);
        }
        if (!(minRate >= 0 && minRate < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("LearningRateSchedule.cosine: minRate must be a finite number >= 0, got " + minRate);
        }
        return (baseRate, epoch) -> {
            int e = Math.min(epoch, maxEpochs);
            return minRate + (baseRate - minRate) * (1 + Math.cos(Math.PI * e / maxEpochs)) / 2;
        };
    }

    private static void requireFactor(String name, double gamma) {
        if (!(gamma >= 0 && gamma < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("LearningRateSchedule." + name + ": gamma must be a finite number >= 0, got " + gamma);
        }
    }
}
