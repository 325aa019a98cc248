package dev.adjoint.nn;

/**
 * Thrown by {@link Trainer} when a step's loss or gradient is NaN or infinite. The step is refused
 * before {@code optimizer.step()}, so the parameters and the optimizer's state are exactly as the
 * previous step left them (the gradients of the refused step stay in {@code grad()} for
 * inspection). It carries the losses of the steps that did complete, so a caller of
 * {@link Trainer#fit} loses no history:
 *
 * <pre>{@code
 * double[] history;
 * try {
 *     history = trainer.fit(data, epochs, 32, rng);
 * } catch (TrainingStoppedException e) {
 *     history = e.history(); // the losses of steps 0 .. e.step() - 1
 * }
 * }</pre>
 *
 * <p>An {@link ArithmeticException}, as the trainer threw for a non-finite loss before this type
 * existed.
 */
public final class TrainingStoppedException extends ArithmeticException {
    private static final long serialVersionUID = 1L;

    /** The refused step, from 0. */
    private final int step;
    /** The refused step's loss. */
    private final double loss;
    /** The losses of the steps before it. */
    private final double[] history;

    /**
     * @param message what was not finite, where, and what to try
     * @param step the refused step, counted from 0 within the {@code fit} call
     * @param loss the refused step's loss (NaN or infinite when the loss itself was the problem)
     * @param history the losses of steps {@code 0 .. step - 1}; copied
     */
    public TrainingStoppedException(String message, int step, double loss, double[] history) {
        super(message);
        if (history == null || history.length != step) {
            throw new IllegalArgumentException("TrainingStoppedException: the history must hold the " + step
                    + " losses before step " + step + ", got " + (history == null ? "null" : history.length));
        }
        this.step = step;
        this.loss = loss;
        this.history = history.clone();
    }

    /**
     * The step that was refused, counted from 0 within the {@code fit} call ({@link Trainer#step}
     * on its own reports 0); equal to {@code history().length}.
     *
     * @return the step
     */
    public int step() {
        return step;
    }

    /**
     * The refused step's loss, computed before anything was updated: NaN or infinite when the loss
     * was the problem, finite when only a gradient was.
     *
     * @return the loss
     */
    public double loss() {
        return loss;
    }

    /**
     * The losses of the steps before the refused one; a copy.
     *
     * @return the losses of steps {@code 0 .. step() - 1}
     */
    public double[] history() {
        return history.clone();
    }
}
