package dev.adjoint.core;

/**
 * A registered hook ({@link Tensor#registerHook}): {@link #remove()} unregisters it.
 */
public interface Registration {
    /**
     * Removes the hook, so that backward passes that start afterwards no longer run it (a pass
     * already running may still run it once). Removing it again does nothing.
     */
    void remove();
}
