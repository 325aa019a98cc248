package dev.adjoint.core.ops;

import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.NDArray;
import java.lang.invoke.MethodHandles;

/**
 * The ops' way into what {@link Tensor} does not make public: a tensor's value, a new tensor over
 * a value, and the engine's apply for an input array made for the call. {@code Tensor} installs
 * the one {@link Bridge} when its class initializes (the JDK's "shared secrets" pattern); this
 * package is not exported, so nothing outside the core module reaches it.
 */
public final class Access {
    private Access() {
    }

    /** What the core package provides to the ops. */
    public interface Bridge {
        /**
         * The value behind a tensor, shared.
         *
         * @param t a tensor
         * @return its value
         */
        NDArray value(Tensor t);

        /**
         * A new leaf over a value, sharing it.
         *
         * @param v the value, which nobody may modify afterwards
         * @return the tensor
         */
        Tensor wrap(NDArray v);

        /**
         * Runs and records an op on an input array that nobody else holds.
         *
         * @param op the op
         * @param inputs its inputs, made for this call
         * @return the output
         */
        Tensor apply(CustomOp op, Tensor[] inputs);

        /**
         * Whether an op applied on this thread now would be recorded by neither mode (no graph is
         * being built and no tangents propagate): a backward formula may then compute its
         * gradients on arrays directly, as in a plain {@code backward()}.
         *
         * @return whether nothing would record an op now
         */
        boolean unrecorded();

        /**
         * Runs an op without a derivative: its forward alone, never recorded in the graph, but
         * recorded by a step being recorded ({@code RecordedStep}).
         *
         * @param op the op
         * @param inputs its inputs
         * @return the output, which does not require grad
         */
        Tensor constant(CustomOp op, Tensor[] inputs);
    }

    private static volatile Bridge installed;

    /**
     * Installs the bridge; called once, by {@code Tensor}'s class initializer.
     *
     * @param bridge the core package's implementation
     * @throws IllegalStateException if a bridge is installed already
     */
    public static void install(Bridge bridge) {
        if (installed != null) {
            throw new IllegalStateException("Access: the bridge is installed already");
        }
        installed = bridge;
    }

    // a constant once loaded, so the JIT inlines the bridge's methods into the ops
    private static final class Holder {
        static final Bridge BRIDGE = load();

        private static Bridge load() {
            try {
                MethodHandles.lookup().ensureInitialized(Tensor.class);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("Access: cannot initialize Tensor", e);
            }
            Bridge b = installed;
            if (b == null) {
                throw new IllegalStateException("Access: Tensor did not install its bridge");
            }
            return b;
        }
    }

    static NDArray value(Tensor t) {
        return Holder.BRIDGE.value(t);
    }

    static Tensor wrap(NDArray v) {
        return Holder.BRIDGE.wrap(v);
    }

    static Tensor apply(CustomOp op, Tensor[] inputs) {
        return Holder.BRIDGE.apply(op, inputs);
    }

    static Tensor constant(CustomOp op, Tensor[] inputs) {
        return Holder.BRIDGE.constant(op, inputs);
    }

    static boolean unrecorded() {
        return Holder.BRIDGE.unrecorded();
    }
}
