package dev.adjoint.spark;

import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Batch;
import java.io.Serializable;

/**
 * The loss of a prediction for a batch: a <b>mean</b> over the batch's rows of a per-row loss, as
 * every loss of {@link dev.adjoint.nn.Losses} is ({@code Losses.crossEntropy}, {@code Losses.mse}).
 *
 * <p>{@link SparkTrainer} calls it on each partition's share of a step's global batch and weights
 * the result by that share's size over the global batch's size, so the weighted losses (and their
 * gradients) add up to the loss of the whole global batch. A loss that is a sum over rows, or that
 * couples rows (a batch-level statistic), does not add up that way.
 */
@FunctionalInterface
public interface LossFunction extends Serializable {
    /**
     * @param prediction the model's output for {@code batch.inputs()}
     * @param batch the rows, with their targets or labels; {@code indices()} are global positions
     *     in the data set
     * @return a scalar loss: the mean over the batch's rows
     */
    Tensor loss(Tensor prediction, Batch batch);
}
