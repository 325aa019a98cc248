package dev.adjoint.core;

/**
 * What a {@link CustomOp}'s forward leaves for its backward: the tensors it saved. A saved tensor
 * that is modified in place before the backward pass makes {@link #saved} throw
 * {@link IllegalStateException} (its message says "modified"), so a stale value is never used.
 *
 * <p>With another thread updating a tensor ({@link Tensor#modify}) while a recorded op reads it,
 * the op never yields a result built from a half-updated buffer: an input already being modified
 * when the op starts, or modified before its forward returns, makes the op throw
 * {@link IllegalStateException} ("modified"), and a tensor that was being modified when it was
 * saved (one the forward reached other than through its inputs) makes {@link #saved} throw. A
 * backward that calls {@code saved} after the forward sees the tensor as it was during the forward
 * or is refused; it should read a saved tensor's values right after {@code saved} returns it, since
 * an update that starts after that check is not detected.
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
     * @throws IllegalStateException if it was modified in place since it was saved, or was being
     *     modified when it was saved
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
