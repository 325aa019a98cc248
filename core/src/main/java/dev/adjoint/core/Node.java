package dev.adjoint.core;

import java.util.Arrays;

/**
 * The record of one op application in the graph: the op, its inputs and what its forward saved.
 * A tensor produced by a recorded op points at its node; leaves have none.
 */
final class Node implements Context {
    /** A context that keeps nothing, for ops run while nothing is recorded. */
    static final Context DISCARD = new Context() {
        @Override
        public void save(Tensor... tensors) {
        }

        @Override
        public Tensor saved(int index) {
            throw new IllegalStateException("saved: nothing is saved when an op is not recorded");
        }
    };

    private static final Tensor[] NONE = new Tensor[0];

    final CustomOp op;
    final Tensor[] inputs;
    private Tensor[] saved = NONE;
    /** Versions of the saved tensors when saved: the first two inline (most ops save one or two), the rest in an array. */
    private int version0;
    private int version1;
    private int[] moreVersions;
    /** Where the user created this op; captured only in anomaly mode. */
    String site;

    // Scratch state of the backward pass that is currently walking this node.
    int mark;
    Tensor pending;

    Node(CustomOp op, Tensor[] inputs) {
        this.op = op;
        this.inputs = inputs;
    }

    @Override
    public void save(Tensor... tensors) {
        if (tensors == null) {
            throw new IllegalArgumentException(op.name() + ": save was given a null array");
        }
        for (int i = 0; i < tensors.length; i++) {
            if (tensors[i] == null) {
                throw new IllegalArgumentException(op.name() + ": cannot save a null tensor (argument " + i + ")");
            }
        }
        int n = saved.length;
        // NOTE: the first array passed is kept, not copied (a varargs array is the caller's own).
        saved = n == 0 ? tensors : Arrays.copyOf(saved, n + tensors.length);
        for (int i = 0; i < tensors.length; i++) {
            saved[n + i] = tensors[i];
            setVersion(n + i, tensors[i].value().version());
        }
    }

    private void setVersion(int index, int version) {
        if (index == 0) {
            version0 = version;
        } else if (index == 1) {
            version1 = version;
        } else {
            if (moreVersions == null || moreVersions.length < index - 1) {
                moreVersions = moreVersions == null ? new int[Math.max(2, index - 1)] : Arrays.copyOf(moreVersions, 2 * (index - 1));
            }
            moreVersions[index - 2] = version;
        }
    }

    private int versionWhenSaved(int index) {
        return index == 0 ? version0 : index == 1 ? version1 : moreVersions[index - 2];
    }

    @Override
    public Tensor saved(int index) {
        if (index < 0 || index >= saved.length) {
            throw new IllegalArgumentException(op.name() + ": saved index " + index + " out of range; " + saved.length + " saved");
        }
        Tensor t = saved[index];
        int now = t.value().version();
        int then = versionWhenSaved(index);
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
