package dev.adjoint.nn;

import dev.adjoint.core.Tensor;

/**
 * One mini-batch: the input rows, their targets and, for a labelled data set, their class labels.
 *
 * @param inputs the inputs, shape {@code [batch, features]}
 * @param targets the targets, shape {@code [batch, targetWidth]}; for a labelled data set the labels
 *     as numbers, shape {@code [batch]}
 * @param labels the class labels, one per row, or {@code null} when the data set has none (shared:
 *     do not modify)
 * @param indices the rows of the data set this batch holds, in batch order (shared: do not modify)
 */
public record Batch(Tensor inputs, Tensor targets, int[] labels, int[] indices) {

    /**
     * The number of rows.
     *
     * @return the number of rows
     */
    public int size() {
        return indices.length;
    }
}
