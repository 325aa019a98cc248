package dev.adjoint.core;

import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.Shapes;
import java.util.Arrays;

/**
 * The entry to reverse-mode differentiation: checks a backward or grad call, runs it as one
 * {@link BackwardPass}, and calls each op's backward under the op contract ({@link CustomOp}): one
 * gradient per input, of that input's shape. Every op, built in or not, is treated the same.
 */
final class Engine {
    private Engine() {
    }

    /**
     * Back-propagates {@code gradOutput} from {@code root}. With {@code targets == null} gradients
     * are accumulated into the leaves' {@code grad()}; otherwise they are returned, one per target.
     */
    static Tensor[] backward(Tensor root, Tensor gradOutput, boolean createGraph, Tensor[] targets) {
        // gradOutput's value read checked: one a MemoryScope took back must not reach a leaf
        if (!root.requiresGrad() || gradOutput == null || !Shapes.same(gradOutput.value().shapeView(), root.array().shapeView())
                || gradOutput.array().isFloat32() != root.array().isFloat32()) {
            throw refusal(root, gradOutput, targets == null ? "backward" : "grad");
        }
        Autograd.ThreadState state = Autograd.state();
        StepTrace.checkNotRecording(state, targets == null ? "backward()" : "Autograd.grad");
        BackwardPass pass = state.spare != null ? state.spare : new BackwardPass();
        state.spare = null;
        state.passDepth++;
        if (!createGraph) {
            state.noGrad++;
        }
        try {
            return pass.run(root, gradOutput, createGraph, targets, state);
        } finally {
            if (!createGraph) {
                state.noGrad--;
            }
            state.passDepth--;
            if (pass.clear()) {
                state.spare = pass;
            }
        }
    }

    private static RuntimeException refusal(Tensor root, Tensor gradOutput, String what) {
        if (!root.requiresGrad()) {
            return new IllegalStateException(what + ": the output of shape " + Arrays.toString(root.shape())
                    + " does not require grad: no input of the computation had requiresGrad(true), or it ran under noGrad()");
        }
        if (gradOutput == null) {
            return new IllegalArgumentException(what + ": gradOutput is null");
        }
        return new IllegalArgumentException(what + ": gradOutput is " + gradOutput.dtype() + Arrays.toString(gradOutput.shape())
                + " but the output is " + root.dtype() + Arrays.toString(root.shape()) + " (shape and dtype must match)");
    }

    /**
     * Runs {@code node}'s backward and checks what it returned against the op contract.
     *
     * <p>NOTE: the same as the general form below, written out rather than delegating: the extra
     * call level keeps the sweep from inlining it, which a tiny graph's backward pass feels.
     */
    static Tensor[] callBackward(Node node, Tensor g, Autograd.ThreadState state) {
        Tensor[] grads;
        state.inBackward++;
        try {
            grads = node.op.backward(node, g);
        } finally {
            state.inBackward--;
        }
        Tensor[] inputs = node.inputs;
        if (grads == null || grads.length != inputs.length) {
            throw wrongCount(node.op, inputs, g, grads);
        }
        for (int k = 0; k < grads.length; k++) {
            if (grads[k] != null && (!sameShape(grads[k], inputs[k]) || state.anomaly > 0
                    || grads[k].array().isFloat32() != inputs[k].array().isFloat32())) {
                check(node.op, inputs, node, k, grads[k], state);
            }
        }
        return grads;
    }

    /**
     * Runs {@code op}'s backward with its context and inputs, and checks what it returned against
     * the op contract; {@code node}, when there is one, names where the op was created.
     */
    static Tensor[] callBackward(CustomOp op, Context ctx, Tensor[] inputs, Node node, Tensor g, Autograd.ThreadState state) {
        Tensor[] grads;
        state.inBackward++;
        try {
            grads = op.backward(ctx, g);
        } finally {
            state.inBackward--;
        }
        if (grads == null || grads.length != inputs.length) {
            throw wrongCount(op, inputs, g, grads);
        }
        for (int k = 0; k < grads.length; k++) {
            // most gradients share their input's shape array, which makes the check one comparison
            if (grads[k] != null && (!sameShape(grads[k], inputs[k]) || state.anomaly > 0
                    || grads[k].array().isFloat32() != inputs[k].array().isFloat32())) {
                check(op, inputs, node, k, grads[k], state);
            }
        }
        return grads;
    }

    private static boolean sameShape(Tensor a, Tensor b) {
        int[] x = a.array().shapeView();
        int[] y = b.array().shapeView();
        return x == y || Shapes.same(x, y);
    }

    private static IllegalStateException wrongCount(CustomOp op, Tensor[] inputs, Tensor g, Tensor[] grads) {
        return new IllegalStateException(op.name() + " (" + op.getClass().getName() + "): backward returned "
                + (grads == null ? "null" : grads.length + " gradients") + " for " + inputs.length + " inputs of shapes "
                + shapes(inputs) + " (output gradient of shape " + Arrays.toString(g.shape()) + ")");
    }

    /** Throws for a gradient of the wrong shape, or (in anomaly mode) one that holds NaN or infinity. */
    private static void check(CustomOp op, Tensor[] inputs, Node node, int k, Tensor gradient, Autograd.ThreadState state) {
        if (!sameShape(gradient, inputs[k])) {
            throw new BackwardShapeException(op, k, inputs[k], gradient.shape(), inputs[k].shape());
        }
        if (gradient.array().isFloat32() != inputs[k].array().isFloat32()) {
            throw new IllegalStateException(op.name() + " (" + op.getClass().getName() + "): backward returned a "
                    + gradient.dtype() + " gradient for input " + k + ", which is " + inputs[k].dtype() + Arrays.toString(
                    inputs[k].shape()) + " (a gradient has its input's dtype; if setDtype changed the input after this graph was"
                    + " recorded, record it again)");
        }
        if (state.anomaly > 0 && !Elementwise.allFinite(gradient.value())) {
            throw new ArithmeticException(op.name() + ": backward produced NaN or infinity in the gradient for input " + k
                    + " (shape " + Arrays.toString(inputs[k].shape()) + "); op created at "
                    + (node == null || node.site == null ? "unknown location (enable detectAnomaly() before the forward pass)" : node.site));
        }
    }

    private static String shapes(Tensor[] ts) {
        StringBuilder sb = new StringBuilder();
        for (Tensor t : ts) {
            sb.append(sb.length() == 0 ? "" : ", ").append(Arrays.toString(t.shape()));
        }
        return sb.toString();
    }
}
