package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;

/**
 * Activation layer: softmax along one axis (the last by default), computed stably. No parameters.
 * For training a classifier prefer raw logits with {@link Losses#crossEntropy}, which is more
 * accurate than a softmax followed by a log.
 */
public final class Softmax implements Layer {
    private final int axis;

    /** Softmax along the last axis. */
    public Softmax() {
        this(-1);
    }

    /**
     * Softmax along {@code axis}.
     *
     * @param axis the axis to normalise over; negative counts from the end
     */
    public Softmax(int axis) {
        this.axis = axis;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("Softmax: input is null");
        }
        return x.softmax(axis);
    }

    /**
     * No parameters: this layer has none.
     *
     * @return an empty list
     */
    @Override
    public List<Tensor> parameters() {
        return List.of();
    }

    @Override
    public String toString() {
        return "Softmax(" + axis + ")";
    }
}
