package dev.adjoint.core;

import java.util.Arrays;

/**
 * Thrown by the engine when an op's backward returns a gradient whose shape differs from its
 * input's. It is an {@link IllegalStateException} like every other broken-backward report; the
 * type exists so that a caller such as {@link dev.adjoint.core.gradcheck.GradCheck} can read the
 * shapes and recognise a missing broadcast sum without parsing the message.
 */
public final class BackwardShapeException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final transient CustomOp op;
    private final int input;
    private final transient Tensor inputTensor;
    private final int[] gradientShape;
    private final int[] inputShape;

    BackwardShapeException(CustomOp op, int input, Tensor inputTensor, int[] gradientShape, int[] inputShape) {
        super(op.name() + " (" + op.getClass().getName() + "): backward returned a gradient of shape "
                + Arrays.toString(gradientShape) + " for input " + input + " of shape " + Arrays.toString(inputShape));
        this.op = op;
        this.input = input;
        this.inputTensor = inputTensor;
        this.gradientShape = gradientShape.clone();
        this.inputShape = inputShape.clone();
    }

    /**
     * The op whose backward misbehaved.
     *
     * @return the op; {@code null} after deserialisation
     */
    public CustomOp op() {
        return op;
    }

    /**
     * The position, among the op's inputs, of the input whose gradient had the wrong shape.
     *
     * @return the input's index, from 0
     */
    public int input() {
        return input;
    }

    /**
     * That input itself, so that a caller can tell which of its tensors it was.
     *
     * @return the input tensor; {@code null} after deserialisation
     */
    public Tensor inputTensor() {
        return inputTensor;
    }

    /**
     * The shape of the gradient the backward returned.
     *
     * @return a copy of the shape
     */
    public int[] gradientShape() {
        return gradientShape.clone();
    }

    /**
     * The shape of the input, which the gradient should have had.
     *
     * @return a copy of the shape
     */
    public int[] inputShape() {
        return inputShape.clone();
    }
}
