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
        String what = targets == null ? "backward" : "grad";
        if (!root.requiresGrad()) {
            throw new IllegalStateException(what + ": the output of shape " + Arrays.toString(root.shape())
                    + " does not require grad: no input of the computation had requiresGrad(true), or it ran under noGrad()");
        }
        if (gradOutput == null) {
            throw new IllegalArgumentException(what + ": gradOutput is null");
        }
        if (!Shapes.same(gradOutput.value().shapeView(), root.value().shapeView())) {
            throw new IllegalArgumentException(what + ": gradOutput has shape " + Arrays.toString(gradOutput.shape())
                    + " but the output has shape " + Arrays.toString(root.shape()));
        }
        Autograd.ThreadState state = Autograd.state();
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

    /** Runs {@code node}'s backward and checks what it returned against the op contract. */
    static Tensor[] callBackward(Node node, Tensor g, Autograd.ThreadState state) {
        CustomOp op = node.op;
        Tensor[] grads;
        state.inBackward++;
        try {
            grads = op.backward(node, g);
        } finally {
            state.inBackward--;
        }
        if (grads == null || grads.length != node.inputs.length) {
            throw new IllegalStateException(op.name() + " (" + op.getClass().getName() + "): backward returned "
                    + (grads == null ? "null" : grads.length + " gradients") + " for " + node.inputs.length + " inputs of shapes "
                    + shapes(node.inputs) + " (output gradient of shape " + Arrays.toString(g.shape()) + ")");
        }
        for (int k = 0; k < grads.length; k++) {
            if (grads[k] == null) {
                continue;
            }
            // most gradients share their input's shape array, which makes the check one comparison
            int[] got = grads[k].value().shapeView();
            int[] want = node.inputs[k].value().shapeView();
            if (got != want && !Shapes.same(got, want)) {
                throw new BackwardShapeException(op, k, node.inputs[k], grads[k].shape(), node.inputs[k].shape());
            }
            if (state.anomaly > 0 && !Elementwise.allFinite(grads[k].value())) {
                throw new ArithmeticException(op.name() + ": backward produced NaN or infinity in the gradient for input " + k
                        + " (shape " + Arrays.toString(node.inputs[k].shape()) + "); op created at "
                        + (node.site == null ? "unknown location (enable detectAnomaly() before the forward pass)" : node.site));
            }
        }
        return grads;
    }

    private static String shapes(Tensor[] ts) {
        StringBuilder sb = new StringBuilder();
        for (Tensor t : ts) {
            sb.append(sb.length() == 0 ? "" : ", ").append(Arrays.toString(t.shape()));
        }
        return sb.toString();
    }
}
