package dev.adjoint.core;

/**
 * What a {@link CustomOp}'s forward leaves for its backward: the tensors it saved. A saved tensor
 * that is modified in place before the backward pass makes {@link #saved} throw
 * {@link IllegalStateException} (its message says "modified"), so a stale value is never used.
 */
public interface Context {

    /**
     * Saves tensors for the backward pass, appended in order.
     *
     * @param tensors the tensors to save
     */
    void save(Tensor... tensors);

    /**
     * Saves one tensor: the same as {@code save(new Tensor[] {tensor})}, without the array (most
     * ops save one or two tensors, and a recorded op pays for every allocation).
     *
     * @param tensor the tensor to save
     */
    default void save(Tensor tensor) {
        save(new Tensor[] {tensor});
    }

    /**
     * Saves two tensors, in order: the same as {@code save(new Tensor[] {first, second})}.
     *
     * @param first the first tensor to save
     * @param second the second
     */
    default void save(Tensor first, Tensor second) {
        save(new Tensor[] {first, second});
    }

    /**
     * A tensor saved by {@link #save}, counting from 0 across all calls.
     *
     * @param index the position
     * @return the saved tensor
     * @throws IllegalStateException if it was modified in place since it was saved
     */
    Tensor saved(int index);

    /**
     * Whether input {@code index} needs a gradient; a backward may return {@code null} where not,
     * skipping work. True by default.
     *
     * @param index the input's position
     * @return whether the gradient for that input is used
     */
    default boolean needsInputGrad(int index) {
        return true;
    }
}
