package dev.adjoint.core;

import java.util.Arrays;

/**
 * The record of one op application in the graph: the op, its inputs and what its forward saved.
 * A tensor produced by a recorded op points at its node; leaves have none. A node never changes
 * after its op's forward has returned: everything one backward pass needs lives in that pass's
 * {@link BackwardPass}, so any number of passes may run through a node at once.
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
    private int version0;
    private int version1;
    private int[] moreVersions;
    private int savedCount;
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
        int version = t.value().version();
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
                moreVersions = moreVersions == null ? new int[length] : Arrays.copyOf(moreVersions, length);
            }
            moreSaved[index - 2] = t;
            moreVersions[index - 2] = version;
        }
    }

    @Override
    public Tensor saved(int index) {
        if (index < 0 || index >= savedCount) {
            throw new IllegalArgumentException(op.name() + ": saved index " + index + " out of range; " + savedCount + " saved");
        }
        Tensor t = index == 0 ? saved0 : index == 1 ? saved1 : moreSaved[index - 2];
        int then = index == 0 ? version0 : index == 1 ? version1 : moreVersions[index - 2];
        int now = t.value().version();
        if (now != then) {
            throw new IllegalStateException(op.name() + ": a tensor of shape " + Arrays.toString(t.shape())
                    + " saved for backward was modified in place (version " + then + " when saved, "
                    + now + " now); recompute the forward pass after the update" + (site == null ? "" : " (op created at " + site + ")"));
        }
        return t;
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
