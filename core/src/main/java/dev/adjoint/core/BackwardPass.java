package dev.adjoint.core;

import dev.adjoint.core.kernel.Buffers;
import dev.adjoint.core.kernel.NDArray;
import java.util.Arrays;

/**
 * Everything one {@code backward} or {@code grad} call needs, made for that call (PyTorch's
 * {@code GraphTask}, tinygrad's call-local gradients): the interior nodes behind the output and
 * how often each is used, the gradient pending for each, and the leaf gradients to apply once the
 * sweep has succeeded. Nothing of it lives on the graph, so a pass is reentrant (an op's backward may run
 * a pass of its own) and any number of passes may run through shared nodes at once. The one thing
 * a pass reads from a node besides its op and inputs is the hooks of the tensor it produced
 * ({@link TensorHooks}), an immutable value: a tensor without hooks costs one null check.
 *
 * <p>Nodes are numbered in the order the discovery meets them (their <em>slots</em>). The sweep
 * visits a node once every node that uses it has delivered its gradient (a count of dependencies
 * per slot, as PyTorch's engine does), so no recursion and no sorted order are needed. A thread
 * keeps one finished pass for its next call ({@link Engine}), so a backward through a tiny graph
 * allocates nothing here.
 *
 * <p>Finding a node's slot is the one place that touches the graph, and only as a hint that is never
 * trusted: each node carries the stamp (pass serial and slot) of the last pass that numbered it
 * ({@link Node#visit()}). A stamp of this pass is checked against this pass's own slots before it
 * is used; a node with any other stamp is new unless this pass's bit set on node hashes says it may
 * already be here, and then (another pass overwrote the stamp, or two hashes met) the discovery
 * starts again with an exact hash table, which never looks at stamps. So concurrent passes through
 * shared nodes cost speed, never correctness.
 */
final class BackwardPass {
    /** A pass that grew past this many nodes is not kept for reuse (its arrays would stay large). */
    private static final int KEEP_LIMIT = 1 << 12;

    private Node[] nodes = new Node[16];
    private Tensor[] pending = new Tensor[16];
    /** Per slot: where its inputs' slots start in {@link #edgeSlots}. */
    private int[] firstEdge = new int[16];
    /** Per input of every node: the input's slot, or -1 for a leaf. */
    private int[] edgeSlots = new int[32];
    /** Per slot: how many uses of it (edges from nodes of this pass) have not delivered yet. */
    private int[] dependencies = new int[16];
    /** The sweep's stack of slots whose every use has delivered. */
    private int[] ready = new int[16];
    /** Bits of the stamp that hold the slot; the rest hold the pass serial. */
    private static final int SLOT_BITS = 24;
    private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
    /** This run's serial, as it appears in stamps. */
    private long serial;
    /** One bit per node hash (modulo its size) of every node numbered in this run. */
    private long[] seen = new long[2];
    /**
     * The exact fallback: open addressing on the node's hash, the node ({@code null} when empty)
     * and its slot; null until a run needs it, and then used for the whole run.
     */
    private Node[] tableKeys;
    private int[] tableSlots;
    private int count;
    private int edgeCount;
    /** Leaf and gradient pairs, applied only once the whole sweep has succeeded. */
    private Tensor[] leaves = new Tensor[16];
    private int leafCount;
    /** Whether a leaf with hooks received a gradient (its contributions are then summed into one pair). */
    private boolean hookedLeaves;

    private Tensor[] targets;
    private Tensor[] results;

    /** Whether this pass may write a leaf's gradient straight into its zeroed buffer (a plain backward that recycles). */
    private boolean claiming;
    /** The leaf whose zeroed gradient buffer this pass claimed ({@link #backwardLast}), and that buffer; null for none. */
    private Tensor claimedLeaf;
    private NDArray claimed;

    /**
     * Back-propagates {@code gradOutput} from {@code root}: into the leaves' {@code grad()} when
     * {@code targets} is null, otherwise into the returned array, one gradient per target.
     */
    Tensor[] run(Tensor root, Tensor gradOutput, boolean createGraph, Tensor[] targets, Autograd.ThreadState state) {
        this.targets = targets;
        this.results = targets == null ? null : new Tensor[targets.length];
        // A plain backward() may hand the large arrays of its intermediate gradients back to the
        // pool: none outlives the sweep, since leaf gradients are copied out of them. Not inside a
        // forward-mode pass, whose tangents of those gradients may outlive it.
        Buffers.Scope scope = targets == null && !createGraph && state.forwardLevel == 0 ? Buffers.open() : null;
        claiming = scope != null;
        long retainingBefore = state.retainingBackwards;
        boolean succeeded = false;
        try {
            if (root.node() == null) {
                deliver(root, gradOutput); // the output is itself a leaf
            } else {
                discover(root.node(), state);
                sweep(gradOutput, state);
            }
            if (scope != null) {
                scope.stop(); // what the leaves allocate below is the user's
            }
            if (hookedLeaves || targets != null) {
                runLeafHooks(state);
            }
            for (int i = 0; i < leafCount; i += 2) {
                NDArray claim = null;
                if (leaves[i] == claimedLeaf) {
                    claim = claimed; // ended by the accumulation, under its gradient's lock
                    claimed = null;
                    claimedLeaf = null;
                }
                leaves[i].accumulator().accumulate(leaves[i + 1], createGraph, claim);
            }
            succeeded = true;
            return results;
        } finally {
            if (claimed != null) {
                claimedLeaf.accumulatedGradient().dropClaim(claimed, true);
                claimed = null;
                claimedLeaf = null;
            }
            noteRetention(state, scope);
            if (scope != null) {
                if (succeeded && state.retainingBackwards == retainingBefore) {
                    scope.release();
                } else {
                    scope.discard();
                }
            }
        }
    }

    /** The reverse sweep: each node's backward, its gradients accumulated ({@code +=}) into its inputs. */
    private void sweep(Tensor gradOutput, Autograd.ThreadState state) {
        pending[0] = gradOutput; // the root's slot
        ready[0] = 0;
        for (int top = 1; top > 0; ) {
            int slot = ready[--top];
            Node node = nodes[slot];
            Tensor g = pending[slot];
            pending[slot] = null;
            TensorHooks hooks = node.hooks;
            if (hooks != null && g != null) {
                g = interiorHooks(hooks, g, state);
            }
            // null when no path from the root carries a gradient here: then only the counts move
            Tensor[] grads = g == null ? null : top == 0 && claiming ? backwardLast(node, slot, g, state) : backward(node, g, state);
            for (int k = 0, edge = firstEdge[slot]; k < node.inputs.length; k++) {
                Tensor gk = grads == null ? null : grads[k];
                int in = edgeSlots[edge + k];
                if (gk != null && node.inputs[k].requiresGrad()) {
                    if (in < 0) {
                        deliver(node.inputs[k], gk);
                    } else {
                        pending[in] = pending[in] == null ? gk : pending[in].add(gk);
                    }
                }
                if (in >= 0 && --dependencies[in] == 0) {
                    ready[top++] = in;
                }
            }
        }
    }

    /**
     * The backward of a node that nothing is left to follow when every input is a leaf (none ready,
     * none pending: no other node reads anything after it). When the largest eligible leaf
     * ({@link #claimableLeaf}) has a gradient buffer that {@link Tensor#zeroGrad()} left reading
     * as zeros, and neither the node's inputs and saved tensors, nor its incoming gradient, nor a
     * gradient already queued for a leaf is a view of it, the buffer is claimed and
     * {@link Buffers#offer offered} to the op's first array of its dtype and length, so that the
     * gradient lands where it is kept (an embedding table's, a first layer's weights): no copy
     * after the sweep. The op may use the buffer for anything; any other gradient it returns on
     * that buffer is copied out, since the accumulation overwrites the buffer.
     */
    private Tensor[] backwardLast(Node node, int slot, Tensor g, Autograd.ThreadState state) {
        Tensor leaf = claimableLeaf(node, slot);
        AccumulatedGradient gradient = leaf == null ? null : leaf.accumulatedGradient();
        NDArray buffer = gradient == null ? null : gradient.claimBuffer();
        if (buffer == null) {
            return backward(node, g, state);
        }
        Object array = buffer.buffer();
        if (g.array().buffer() == array || node.reads(array) || pendingOn(array)) {
            gradient.dropClaim(buffer, false);
            return backward(node, g, state);
        }
        claimedLeaf = leaf;
        claimed = buffer;
        Tensor[] grads;
        Buffers.offer(array);
        try {
            grads = backward(node, g, state);
        } finally {
            Buffers.withdraw();
        }
        Tensor[] inputs = node.inputs;
        for (int k = 0; k < grads.length; k++) {
            if (grads[k] != null && inputs[k] != leaf && grads[k].array().buffer() == array) {
                grads[k] = Tensor.over(grads[k].array().copy());
            }
        }
        return grads;
    }

    /** Whether a gradient this pass has queued for a leaf (or a retaining tensor) is a view of {@code array}. */
    private boolean pendingOn(Object array) {
        for (int i = 1; i < leafCount; i += 2) {
            if (leaves[i].array().buffer() == array) {
                return true;
            }
        }
        return false;
    }

    /**
     * The leaf of {@code node} (the largest of a length the pool serves) whose gradient buffer
     * {@link #backwardLast} may claim, or null: every input must be a leaf, the op must keep none
     * of its gradients and read nothing but its own arguments ({@link CustomOp#readsOnlyItsArguments()}),
     * and the leaf must appear once among the inputs, have no hooks (a hook may keep its gradient)
     * and no contribution yet in this pass.
     */
    private Tensor claimableLeaf(Node node, int slot) {
        Tensor[] inputs = node.inputs;
        int first = firstEdge[slot];
        Tensor best = null;
        for (int k = 0; k < inputs.length; k++) {
            if (edgeSlots[first + k] >= 0) {
                return null; // an interior input: its node is still to come
            }
            NDArray v = inputs[k].array();
            if (inputs[k].requiresGrad() && inputs[k].hooks() == null && Buffers.recycles(v.size(), v.isFloat32())
                    && (best == null || v.size() > best.array().size())) {
                best = inputs[k];
            }
        }
        if (best == null || node.op.retainsGradients() || !node.op.readsOnlyItsArguments()) {
            return null;
        }
        int uses = 0;
        for (Tensor in : inputs) {
            uses += in == best ? 1 : 0;
        }
        for (int i = 0; i < leafCount && uses == 1; i += 2) {
            uses += leaves[i] == best ? 1 : 0;
        }
        return uses == 1 ? best : null;
    }

    private Tensor[] backward(Node node, Tensor g, Autograd.ThreadState state) {
        if (targets != null) {
            collectInterior(node, g);
        }
        return Engine.callBackward(node, g, state);
    }

    /**
     * Numbers the nodes reachable from {@code root} (slot 0), breadth first (the node array is the
     * queue), and counts each one's uses: no recursion, so a 100,000-node chain needs no call stack.
     */
    /** Whether every run numbers exactly, with the hash table (for tests of that path). */
    private final boolean exactOnly;

    BackwardPass() {
        this(false);
    }

    BackwardPass(boolean exactOnly) {
        this.exactOnly = exactOnly;
    }

    private void discover(Node root, Autograd.ThreadState state) {
        // 40 bits, so serials repeat only after 2^40 passes; an old stamp with an equal serial
        // still has to name this pass's own node at its slot before it is used
        serial = state.nextPassSerial() & (-1L >>> SLOT_BITS);
        if (exactOnly || !numberNodes(root)) {
            forgetNodes();
            tableKeys = new Node[2 * nodes.length];
            tableSlots = new int[2 * nodes.length];
            numberNodes(root);
        }
    }

    /** Refuses a node recorded inside a {@link MemoryScope} that has closed. */
    private static void refuseReleased(Node node) {
        if (node.regionLease.released()) {
            throw new IllegalStateException("backward: the graph reaches " + node.op.name() + ", recorded inside a"
                    + " MemoryScope that has closed (what it saved for the backward pass may hold other values now);"
                    + " call backward() before the scope closes");
        }
    }

    /** @return false if the stamps could not be trusted, and the numbering must start again exactly */
    private boolean numberNodes(Node root) {
        if (slotOf(root) < 0) {
            return false;
        }
        for (int slot = 0; slot < count; slot++) {
            if (nodes[slot].regionLease != null) {
                refuseReleased(nodes[slot]);
            }
            Tensor[] inputs = nodes[slot].inputs;
            int first = edgeCount;
            if (first + inputs.length > edgeSlots.length) {
                edgeSlots = Arrays.copyOf(edgeSlots, Math.max(2 * edgeSlots.length, first + inputs.length));
            }
            firstEdge[slot] = first;
            edgeCount = first + inputs.length;
            for (int i = 0; i < inputs.length; i++) {
                Node in = inputs[i].node();
                int found = -1;
                if (in != null && (found = slotOf(in)) < 0) {
                    return false;
                }
                edgeSlots[first + i] = found;
                if (found >= 0) {
                    dependencies[found]++;
                }
            }
        }
        return true;
    }

    /**
     * The slot of {@code n}, which is added (with no uses counted yet) if it has none; -1 when the
     * stamps cannot tell (see the class comment).
     */
    private int slotOf(Node n) {
        if (tableKeys != null) {
            return exactSlotOf(n);
        }
        long stamp = n.visit();
        if (stamp >>> SLOT_BITS == serial) {
            int s = (int) (stamp & SLOT_MASK);
            if (s < count && nodes[s] == n) {
                return s;
            }
        }
        int bit = n.hash & (64 * seen.length - 1);
        if ((seen[bit >>> 6] & (1L << bit)) != 0 || count > SLOT_MASK) {
            return -1;
        }
        seen[bit >>> 6] |= 1L << bit;
        int slot = append(n);
        n.visit(serial << SLOT_BITS | slot);
        return slot;
    }

    private int exactSlotOf(Node n) {
        int mask = tableKeys.length - 1;
        int t = n.hash & mask;
        for (Node k; (k = tableKeys[t]) != null; t = (t + 1) & mask) {
            if (k == n) {
                return tableSlots[t];
            }
        }
        if (2 * (count + 1) > tableKeys.length) {
            Node[] keys = tableKeys;
            int[] slots = tableSlots;
            tableKeys = new Node[2 * keys.length];
            tableSlots = new int[2 * keys.length];
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] != null) {
                    int u = keys[i].hash & (tableKeys.length - 1);
                    while (tableKeys[u] != null) {
                        u = (u + 1) & (tableKeys.length - 1);
                    }
                    tableKeys[u] = keys[i];
                    tableSlots[u] = slots[i];
                }
            }
            return exactSlotOf(n);
        }
        int slot = append(n);
        tableKeys[t] = n;
        tableSlots[t] = slot;
        return slot;
    }

    private int append(Node n) {
        if (count == nodes.length) {
            grow();
        }
        int slot = count++;
        nodes[slot] = n;
        dependencies[slot] = 0;
        return slot;
    }

    private void grow() {
        int n = nodes.length * 2;
        nodes = Arrays.copyOf(nodes, n);
        pending = Arrays.copyOf(pending, n);
        firstEdge = Arrays.copyOf(firstEdge, n);
        dependencies = Arrays.copyOf(dependencies, n);
        ready = Arrays.copyOf(ready, n);
        // keep the bit set sparse: 8 bits per possible node; the nodes so far keep their bits
        long[] bits = new long[n / 8];
        for (int s = 0; s < count; s++) {
            int bit = nodes[s].hash & (64 * bits.length - 1);
            bits[bit >>> 6] |= 1L << bit;
        }
        seen = bits;
    }

    /**
     * Runs an interior tensor's hooks on the gradient summed over its uses, and keeps the result
     * for its {@code grad()} if it retains it (applied with the leaves' gradients, after the sweep).
     */
    private Tensor interiorHooks(TensorHooks hooks, Tensor g, Autograd.ThreadState state) {
        Tensor result = g;
        if (hooks.hasHooks()) {
            state.retainingBackwards++; // the hook may keep what it sees: recycle nothing of this pass
            result = hooks.run(g);
        }
        if (hooks.retain && targets == null) {
            keepLeafGradient(hooks.owner, result);
        }
        return result;
    }

    /** Runs leaves' hooks on their whole gradient of this pass, before any is accumulated or returned. */
    private void runLeafHooks(Autograd.ThreadState state) {
        if (targets == null) {
            for (int i = 0; i < leafCount; i += 2) {
                TensorHooks hooks = leaves[i].isLeaf() ? leaves[i].hooks() : null;
                if (hooks != null && hooks.hasHooks()) {
                    state.retainingBackwards++;
                    leaves[i + 1] = hooks.run(leaves[i + 1]);
                }
            }
            return;
        }
        for (int i = 0; i < targets.length; i++) {
            TensorHooks hooks = targets[i].isLeaf() ? targets[i].hooks() : null;
            if (hooks != null && hooks.hasHooks() && results[i] != null) {
                state.retainingBackwards++;
                results[i] = hooks.run(results[i]);
            }
        }
    }

    private void deliver(Tensor leaf, Tensor g) {
        if (targets == null) {
            if (leaf.hooks() != null) {
                // a hook sees the leaf's whole gradient once: sum its contributions into one pair
                hookedLeaves = true;
                for (int i = 0; i < leafCount; i += 2) {
                    if (leaves[i] == leaf) {
                        leaves[i + 1] = leaves[i + 1].add(g);
                        return;
                    }
                }
            }
            keepLeafGradient(leaf, g);
            return;
        }
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] == leaf) {
                results[i] = results[i] == null ? g : results[i].add(g);
            }
        }
    }

    /** Queues a gradient for a leaf's (or a retaining tensor's) {@code grad()}, applied after the sweep. */
    private void keepLeafGradient(Tensor leaf, Tensor g) {
        if (leafCount == leaves.length) {
            leaves = Arrays.copyOf(leaves, 2 * leafCount);
        }
        leaves[leafCount++] = leaf;
        leaves[leafCount++] = g;
    }

    private void collectInterior(Node node, Tensor g) {
        for (int i = 0; i < targets.length; i++) {
            if (targets[i].node() == node) {
                results[i] = results[i] == null ? g : results[i].add(g);
            }
        }
    }

    /** Empties the numbering: slots, pending gradients, edges and the bit set. */
    private void forgetNodes() {
        for (int s = 0; s < count; s++) {
            int bit = nodes[s].hash & (64 * seen.length - 1);
            seen[bit >>> 6] = 0;
            nodes[s] = null;
            pending[s] = null;
        }
        count = 0;
        edgeCount = 0;
    }

    /**
     * Counts, on this thread, the ops of this pass that may have kept a gradient, when someone may
     * recycle memory this pass allocated: its own scope if that took any array, or an enclosing
     * pass's scope (this pass runs inside another's sweep on this thread).
     */
    private void noteRetention(Autograd.ThreadState state, Buffers.Scope scope) {
        if (scope == null ? state.passDepth <= 1 : scope.isEmpty()) {
            return;
        }
        for (int s = 0; s < count; s++) {
            if (nodes[s].op.retainsGradients()) {
                state.retainingBackwards++;
                return;
            }
        }
    }

    /**
     * Forgets this call, so that the next one starts empty.
     *
     * @return whether the pass is worth keeping
     */
    boolean clear() {
        forgetNodes();
        tableKeys = null;
        tableSlots = null;
        Arrays.fill(leaves, 0, leafCount, null);
        leafCount = 0;
        hookedLeaves = false;
        targets = null;
        results = null;
        return nodes.length <= KEEP_LIMIT;
    }
}
