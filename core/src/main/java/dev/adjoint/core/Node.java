package dev.adjoint.core;

import dev.adjoint.core.kernel.Buffers;
import java.util.Arrays;

/**
 * The record of one op application in the graph: the op, its inputs and what its forward saved.
 * A tensor produced by a recorded op points at its node; leaves have none. A node never changes
 * after its op's forward has returned: everything one backward pass needs lives in that pass's
 * {@link BackwardPass}, so any number of passes may run through a node at once.
 *
 * <p>A node is the reader side of the sequence lock on its inputs' buffers (see {@code NDArray}):
 * it reads their versions when it is made, before the forward reads them (refusing an odd one),
 * and again, after an acquire fence, when the forward's result is attached to it; a change means
 * the forward may have read a half-updated buffer, and the op is refused. Versions only grow, so
 * comparing their sums compares them all. A saved tensor's version, read when it is saved (after
 * the forward's reads, so inside that window for an input or a view of one), is compared again by
 * {@link #saved}; an odd one was being modified when saved and is refused there.
 */
final class Node implements Context {
    /** A context that keeps nothing, for ops run while nothing is recorded. */
    static final Context DISCARD = new Context() {
        @Override
        public void save(Tensor... tensors) {
        }

        @Override
        public void save(Tensor tensor) {
        }

        @Override
        public void save(Tensor first, Tensor second) {
        }

        @Override
        public Tensor saved(int index) {
            throw new IllegalStateException("saved: nothing is saved when an op is not recorded");
        }
    };

    final CustomOp op;
    final Tensor[] inputs;
    /**
     * The saved tensors and their versions when saved: the first two inline (most ops save one or
     * two, and then no array is made), the rest in arrays.
     */
    private Tensor saved0;
    private Tensor saved1;
    private Tensor[] moreSaved;
    private long version0;
    private long version1;
    private long[] moreVersions;
    /** The sum of the inputs' versions before the forward read them. */
    private final long inputVersions;
    private int savedCount;
    /**
     * The hooks of the tensor this node produced, null for none: read once per visit by a backward
     * pass. A plain field (see {@link TensorHooks} for why that is safe).
     */
    TensorHooks hooks;
    /**
     * The lease of the {@link MemoryScope} open when this op was recorded, or null: once it is
     * released, what the forward saved (arrays that scope lent) may hold other values, and no
     * backward pass may run through this node.
     */
    final Buffers.Lease regionLease;
    /** Where the user created this op; captured only in anomaly mode. */
    String site;

    /**
     * A well-mixed number for the hash tables of backward passes, fixed at creation: cheaper than
     * {@link System#identityHashCode}, which is slow the first time it is asked of an object.
     */
    final int hash;

    /**
     * The stamp of the last backward pass that numbered this node (its serial and this node's slot
     * there): a hint for that pass's discovery, which checks it against its own records before it
     * uses it, so that concurrent passes overwriting it cost speed, never correctness. Read and
     * written opaquely: atomically, without fences.
     */
    @SuppressWarnings("unused")
    private long visit;
    private static final java.lang.invoke.VarHandle VISIT;

    static {
        try {
            VISIT = java.lang.invoke.MethodHandles.lookup().findVarHandle(Node.class, "visit", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    long visit() {
        return (long) VISIT.getOpaque(this);
    }

    void visit(long stamp) {
        VISIT.setOpaque(this, stamp);
    }

    Node(CustomOp op, Tensor[] inputs, int hash) {
        this.op = op;
        this.inputs = inputs;
        this.hash = hash;
        this.regionLease = Buffers.regionsOpen() ? Buffers.regionLease() : null;
        long sum = 0;
        for (int i = 0; i < inputs.length; i++) {
            long v = inputs[i].array().version();
            if ((v & 1) != 0) {
                throw new IllegalStateException(op.name() + ": input " + i + " of shape " + Arrays.toString(inputs[i].shape())
                        + " is being modified in place while this op would read it; parameters must not be updated during a"
                        + " forward pass that uses them");
            }
            sum += v;
        }
        inputVersions = sum;
    }

    /**
     * Refuses the forward's result if an input was modified while the forward read it: called
     * after the forward, before its result joins the graph.
     */
    void checkInputsUnchanged() {
        // orders the forward's plain reads of the buffers before the version reads below
        java.lang.invoke.VarHandle.acquireFence();
        long sum = 0;
        for (Tensor t : inputs) {
            sum += t.array().version();
        }
        if (sum != inputVersions) {
            throw new IllegalStateException(op.name() + ": an input (shapes " + shapes(inputs)
                    + ") was modified in place while this op's forward read it, so its result may mix old and new values;"
                    + " parameters must not be updated during a forward pass that uses them");
        }
    }

    private static String shapes(Tensor[] ts) {
        StringBuilder b = new StringBuilder();
        for (Tensor t : ts) {
            b.append(b.length() == 0 ? "" : ", ").append(Arrays.toString(t.shape()));
        }
        return b.toString();
    }

    @Override
    public void save(Tensor... tensors) {
        if (tensors == null) {
            throw new IllegalArgumentException(op.name() + ": save was given a null array");
        }
        for (int i = 0; i < tensors.length; i++) {
            requireTensor(tensors[i], i);
        }
        for (Tensor t : tensors) {
            keep(t);
        }
    }

    @Override
    public void save(Tensor tensor) {
        requireTensor(tensor, 0);
        keep(tensor);
    }

    @Override
    public void save(Tensor first, Tensor second) {
        requireTensor(first, 0);
        requireTensor(second, 1);
        keep(first);
        keep(second);
    }

    private void requireTensor(Tensor t, int argument) {
        if (t == null) {
            throw new IllegalArgumentException(op.name() + ": cannot save a null tensor (argument " + argument + ")");
        }
    }

    private void keep(Tensor t) {
        int index = savedCount++;
        long version = t.array().version();
        if (index == 0) {
            saved0 = t;
            version0 = version;
        } else if (index == 1) {
            saved1 = t;
            version1 = version;
        } else {
            if (moreSaved == null || moreSaved.length < index - 1) {
                int length = Math.max(2, 2 * (index - 1));
                moreSaved = moreSaved == null ? new Tensor[length] : Arrays.copyOf(moreSaved, length);
                moreVersions = moreVersions == null ? new long[length] : Arrays.copyOf(moreVersions, length);
            }
            moreSaved[index - 2] = t;
            moreVersions[index - 2] = version;
        }
    }

    /**
     * Whether an input of this node or a tensor its forward saved is a view of {@code buffer} (a
     * double[] or float[]), so that its backward may read it.
     */
    boolean reads(Object buffer) {
        for (Tensor t : inputs) {
            if (t.array().buffer() == buffer) {
                return true;
            }
        }
        for (int i = 0; i < savedCount; i++) {
            Tensor t = i == 0 ? saved0 : i == 1 ? saved1 : moreSaved[i - 2];
            if (t.array().buffer() == buffer) {
                return true;
            }
        }
        return false;
    }

    /** How many tensors the forward saved. */
    int savedCount() {
        return savedCount;
    }

    @Override
    public Tensor saved(int index) {
        if (index < 0 || index >= savedCount) {
            throw new IllegalArgumentException(op.name() + ": saved index " + index + " out of range; " + savedCount + " saved");
        }
        Tensor t = index == 0 ? saved0 : index == 1 ? saved1 : moreSaved[index - 2];
        long then = index == 0 ? version0 : index == 1 ? version1 : moreVersions[index - 2];
        long now = t.array().version();
        if (now != then || (then & 1) != 0) {
            throw modified(t, then, now);
        }
        return t;
    }

    private IllegalStateException modified(Tensor t, long then, long now) {
        String where = site == null ? "" : " (op created at " + site + ")";
        if ((then & 1) != 0) {
            return new IllegalStateException(op.name() + ": a tensor of shape " + Arrays.toString(t.shape())
                    + " saved for backward was being modified in place when it was saved, so it may hold a mix of old and new"
                    + " values; parameters must not be updated during a forward pass that uses them" + where);
        }
        // versions count two per update (odd while one is in progress): report whole updates
        return new IllegalStateException(op.name() + ": a tensor of shape " + Arrays.toString(t.shape())
                + " saved for backward was modified in place (version " + (then >>> 1) + " when saved, "
                + (now >>> 1) + (now % 2 != 0 ? ", an update in progress" : "") + " now); recompute the forward pass after the update" + where);
    }

    @Override
    public boolean needsInputGrad(int index) {
        if (index < 0 || index >= inputs.length) {
            throw new IllegalArgumentException(op.name() + ": needsInputGrad index " + index + " out of range; the op has "
                    + inputs.length + " inputs");
        }
        return inputs[index].requiresGrad();
    }
}
