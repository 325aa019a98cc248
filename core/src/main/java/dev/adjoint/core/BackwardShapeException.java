package dev.adjoint.core;

import java.util.Arrays;

/**
 * Thrown by the engine when an op's backward returns a gradient whose shape differs from its
 * input's. It is an {@link IllegalStateException} like every other broken-backward report; the
 * type exists so that {@link GradCheck} can read the shapes and recognise a missing broadcast sum
 * without parsing the message.
 */
final class BackwardShapeException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** The op whose backward misbehaved. */
    final transient CustomOp op;
    /** The input whose gradient had the wrong shape. */
    final int input;
    /** That input itself, so a caller can tell which of its tensors it was. */
    final transient Tensor inputTensor;
    final int[] gradientShape;
    final int[] inputShape;

    BackwardShapeException(CustomOp op, int input, Tensor inputTensor, int[] gradientShape, int[] inputShape) {
        super(op.name() + " (" + op.getClass().getName() + "): backward returned a gradient of shape "
                + Arrays.toString(gradientShape) + " for input " + input + " of shape " + Arrays.toString(inputShape));
        this.op = op;
        this.input = input;
        this.inputTensor = inputTensor;
        this.gradientShape = gradientShape.clone();
        this.inputShape = inputShape.clone();
    }
}
