package dev.adjoint.nn;

/**
 * One problem the {@link Doctor} found in a network, or one part of it that it could not examine.
 *
 * @param kind what kind of problem
 * @param message one line naming the layer (index and type), the measured figure and what to do
 */
public record Finding(Kind kind, String message) {

    /** The kinds of problem the doctor recognises. */
    public enum Kind {
        /** Hidden units that are exact copies of each other and will stay so forever. */
        SYMMETRY,
        /** Most sigmoid/tanh outputs of a layer pinned near their limits, where the derivative is ~0. */
        SATURATION,
        /** Back-propagated gradients shrinking by orders of magnitude through the depth. */
        VANISHING_GRADIENT,
        /** Back-propagated gradients growing by orders of magnitude through the depth. */
        EXPLODING_GRADIENT,
        /** ReLU units that output 0 for every sample of the batch, so they get no gradient. */
        DEAD_UNITS,
        /** NaN or infinity in the input, a parameter, an activation or a gradient. */
        NON_FINITE,
        /**
         * Not a problem: a part of the network whose gradients the doctor could not examine, because
         * its parameters are frozen or no gradient reaches it (a layer before it runs under noGrad).
         */
        NOT_EXAMINED
    }

    /**
     * @param kind what kind of problem
     * @param message the explanation
     */
    public Finding {
        if (kind == null || message == null) {
            throw new IllegalArgumentException("Finding: kind and message are required");
        }
    }

    @Override
    public String toString() {
        return kind + ": " + message;
    }
}
