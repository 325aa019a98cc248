package dev.adjoint.core;

import dev.adjoint.core.kernel.Buffers;
import dev.adjoint.core.kernel.Elementwise;
import dev.adjoint.core.kernel.Shapes;
import dev.adjoint.core.ops.Builtins;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reverse sweep: an iterative topological sort of the graph behind an output, then one pass in
 * reverse order that calls each op's backward and accumulates ({@code +=}) the gradients of its
 * inputs, so a value used twice receives both contributions.
 *
 * <p>NOTE: a node's visit mark, pending gradient and links of the sort's stack and order live on
 * the node, so two threads must not run backward through the same intermediate nodes at once (nor
 * a backward through nodes of a sweep still running on the same thread); sharing leaves between
 * concurrently back-propagated graphs is fine (leaf accumulation is synchronised on the leaf).
 */
final class Engine {
    private Engine() {
    }

    /**
     * Visit marks of the topological sort: each sort uses a number no other sort has used (0 is
     * a new node's mark). Threads take them in blocks, so a backward costs no atomic operation.
     */
    private static final AtomicInteger EPOCHS = new AtomicInteger(1);
    private static final int EPOCH_BLOCK = 1024;

    /**
     * Whether the gradients of built-in ops are checked against their inputs' shapes, as those of
     * your own ops always are: with assertions on (-ea, as in the test suites, which check every
     * built-in's gradients), not in production, where the check was 2-5% of a tiny network's step.
     */
    private static final boolean CHECK_BUILTIN_SHAPES = Engine.class.desiredAssertionStatus();

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
        Tensor[] results = targets == null ? null : new Tensor[targets.length];
        // Leaf gradients are applied only once the whole sweep has succeeded, so a backward that
        // fails half way (a modified saved tensor, an anomaly, a bad custom op) leaves every grad() as it was.
        LeafGradients leaves = targets == null ? new LeafGradients() : null;
        Autograd.ThreadState state = Autograd.state();
        if (!createGraph) {
            state.noGrad++;
        }
        // A plain backward() recycles the large arrays of its intermediate gradients (Buffers): none
        // of them outlives the sweep, since leaf gradients are copied out of them afterwards.
        Object pass = targets == null && !createGraph ? Buffers.beginPass() : null;
        try {
            if (root.node() == null) {
                deliver(root, gradOutput, leaves, targets, results); // the output is itself a leaf
            } else {
                sweep(root, gradOutput, state, leaves, targets, results);
            }
            // closed before the leaves take their gradients (nothing they allocate is logged: it is
            // the user's), recycled after they have copied them out
            Buffers.endPass(pass, true);
            if (leaves != null) {
                leaves.apply(createGraph);
            }
            Buffers.recycle(pass);
            pass = null;
            return results;
        } finally {
            Buffers.endPass(pass, false);
            if (!createGraph) {
                state.noGrad--;
            }
        }
    }

    /** The reverse sweep over the interior nodes behind {@code root}, delivering leaf gradients. */
    private static void sweep(Tensor root, Tensor gradOutput, Autograd.ThreadState state, LeafGradients leaves,
                              Tensor[] targets, Tensor[] results) {
        root.node().pending = gradOutput;
        Tensor next = topologicalOrder(root, state);
        try {
            while (next != null) {
                Tensor t = next;
                Node node = t.node();
                next = node.sweepNext;
                node.sweepNext = null;
                Tensor g = node.pending;
                node.pending = null;
                if (g == null) {
                    continue;
                }
                if (targets != null) {
                    collect(t, g, targets, results);
                }
                Tensor[] grads = callBackward(node, g, state);
                for (int k = 0; k < grads.length; k++) {
                    Tensor input = node.inputs[k];
                    Tensor gk = grads[k];
                    if (gk == null || !input.requiresGrad()) {
                        continue;
                    }
                    Node in = input.node();
                    if (in != null) {
                        in.pending = in.pending == null ? gk : in.pending.add(gk);
                    } else {
                        deliver(input, gk, leaves, targets, results);
                    }
                }
            }
        } finally {
            // after a failure, gradients already delivered to nodes not yet reached must not stay
            // pending: a retried backward would count them twice
            for (Tensor t = next; t != null; ) {
                Node node = t.node();
                t = node.sweepNext;
                node.sweepNext = null;
                node.pending = null;
            }
        }
    }

    private static Tensor[] callBackward(Node node, Tensor g, Autograd.ThreadState state) {
        CustomOp op = node.op;
        boolean builtin = Builtins.isBuiltin(op);
        if (!builtin) {
            Buffers.taintPass(); // a user's backward may keep the gradient it is given
        }
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
        if (builtin && !CHECK_BUILTIN_SHAPES && state.anomaly == 0) {
            return grads;
        }
        for (int k = 0; k < grads.length; k++) {
            if (grads[k] != null && !Shapes.same(grads[k].value().shapeView(), node.inputs[k].value().shapeView())) {
                throw new BackwardShapeException(op, k, node.inputs[k], grads[k].shape(), node.inputs[k].shape());
            }
            if (state.anomaly > 0 && grads[k] != null && !Elementwise.allFinite(grads[k].value())) {
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

    private static void deliver(Tensor leaf, Tensor g, LeafGradients leaves, Tensor[] targets, Tensor[] results) {
        if (targets == null) {
            leaves.add(leaf, g);
        } else {
            collect(leaf, g, targets, results);
        }
    }

    private static void collect(Tensor t, Tensor g, Tensor[] targets, Tensor[] results) {
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] == t) {
                results[i] = results[i] == null ? g : results[i].add(g);
            }
        }
    }

    /** Gradient contributions for leaves, held until the sweep has finished. */
    private static final class LeafGradients {
        /** Leaf and gradient pairs: one array, not two, since every backward makes one. */
        private Tensor[] pairs = new Tensor[16];
        private int count;

        void add(Tensor leaf, Tensor g) {
            if (count == pairs.length) {
                pairs = Arrays.copyOf(pairs, count * 2);
            }
            pairs[count++] = leaf;
            pairs[count++] = g;
        }

        void apply(boolean createGraph) {
            for (int i = 0; i < count; i += 2) {
                pairs[i].accumulateGrad(pairs[i + 1], createGraph);
            }
        }
    }

    /**
     * Sorts the interior tensors reachable from {@code root} (root included) so that each comes
     * after everything it depends on, and returns the last: the sweep's first. Each tensor's node
     * links to the next one for the sweep ({@code sweepNext}). The depth-first stack runs through
     * the nodes too ({@code sortBelow}, {@code sortNext}), so the sort allocates nothing.
     */
    private static Tensor topologicalOrder(Tensor root, Autograd.ThreadState state) {
        if (state.epoch == state.epochEnd) {
            state.epoch = EPOCHS.getAndAdd(EPOCH_BLOCK);
            state.epochEnd = state.epoch + EPOCH_BLOCK;
        }
        int epoch = state.epoch++;
        Node rootNode = root.node();
        rootNode.mark = epoch;
        rootNode.sortNext = 0;
        rootNode.sortBelow = null;
        Tensor top = root;
        Tensor sweepFirst = null;
        while (top != null) {
            Node node = top.node();
            Tensor[] inputs = node.inputs;
            int i = node.sortNext;
            while (i < inputs.length) {
                Node n = inputs[i].node();
                if (n != null && n.mark != epoch) {
                    break;
                }
                i++;
            }
            if (i < inputs.length) {
                node.sortNext = i + 1;
                Tensor child = inputs[i];
                Node c = child.node();
                c.mark = epoch;
                c.sortNext = 0;
                c.sortBelow = top;
                top = child;
            } else {
                // all inputs done: this tensor comes before everything already in the sweep's list
                node.sweepNext = sweepFirst;
                sweepFirst = top;
                top = node.sortBelow;
                node.sortBelow = null;
            }
        }
        return sweepFirst;
    }
}
