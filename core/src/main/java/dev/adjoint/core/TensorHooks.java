package dev.adjoint.core;

import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * The gradient hooks of one tensor and whether it retains its gradient: an immutable value that
 * registration replaces whole (copy on write, under the tensor's lock), so a backward pass reads
 * one field once and never sees a list half-changed. A leaf keeps it on the tensor, an interior
 * tensor on the node that produced it, where the reverse sweep finds it.
 *
 * <p>NOTE: those fields are plain, not volatile, so that a graph without hooks costs the sweep one
 * plain load and null check per node. That is safe because every field here is final (and the
 * entry array is filled before the constructor ends): a thread that reads the reference through a
 * race sees either null or a completely built value (JLS 17.5). What a race can cost is only
 * timeliness: a pass on another thread may run the hooks from just before a change.
 */
final class TensorHooks {
    private static final Entry[] NONE = new Entry[0];

    /** One registered hook; its identity is the registration. */
    private static final class Entry implements Registration {
        final UnaryOperator<Tensor> hook;
        final Tensor owner;

        Entry(UnaryOperator<Tensor> hook, Tensor owner) {
            this.hook = hook;
            this.owner = owner;
        }

        @Override
        public void remove() {
            owner.updateHooks(h -> h == null ? null : h.without(this));
        }
    }

    final Tensor owner;
    private final Entry[] entries;
    /** Whether the gradient that reaches an interior tensor is kept in its {@code grad()}. */
    final boolean retain;

    private TensorHooks(Tensor owner, Entry[] entries, boolean retain) {
        this.owner = owner;
        this.entries = entries;
        this.retain = retain;
    }

    /** The hooks {@code h} (null for none) with one more; {@code added[0]} receives its registration. */
    static TensorHooks with(TensorHooks h, Tensor owner, UnaryOperator<Tensor> hook, Registration[] added) {
        Entry e = new Entry(hook, owner);
        added[0] = e;
        Entry[] old = h == null ? NONE : h.entries;
        Entry[] more = Arrays.copyOf(old, old.length + 1);
        more[old.length] = e;
        return new TensorHooks(owner, more, h != null && h.retain);
    }

    /** The hooks {@code h} (null for none) with the gradient retained. */
    static TensorHooks retaining(TensorHooks h, Tensor owner) {
        return new TensorHooks(owner, h == null ? NONE : h.entries, true);
    }

    private TensorHooks without(Entry e) {
        int at = -1;
        for (int i = 0; i < entries.length; i++) {
            if (entries[i] == e) {
                at = i;
            }
        }
        if (at < 0) {
            return this;
        }
        if (entries.length == 1 && !retain) {
            return null;
        }
        Entry[] fewer = new Entry[entries.length - 1];
        System.arraycopy(entries, 0, fewer, 0, at);
        System.arraycopy(entries, at + 1, fewer, at, fewer.length - at);
        return new TensorHooks(owner, fewer, retain);
    }

    /**
     * Runs the hooks in the order registered, each on the previous one's result ({@code null}
     * keeps the gradient as it is).
     *
     * @throws IllegalStateException if a hook returns a gradient of another shape or dtype
     */
    Tensor run(Tensor gradient) {
        Tensor g = gradient;
        for (int i = 0; i < entries.length; i++) {
            Tensor replaced = entries[i].hook.apply(g);
            if (replaced == null) {
                continue;
            }
            if (!Arrays.equals(replaced.shape(), owner.shape())) {
                String producer = owner.isLeaf() ? "a leaf" : "produced by " + owner.gradFnName();
                throw new IllegalStateException("hook " + i + " of the tensor of shape " + Arrays.toString(owner.shape()) + " ("
                        + producer + ") returned a gradient of shape " + Arrays.toString(replaced.shape())
                        + "; it must return the gradient's shape " + Arrays.toString(g.shape()) + " (or null to keep it)");
            }
            if (replaced.dtype() != g.dtype()) {
                String producer = owner.isLeaf() ? "a leaf" : "produced by " + owner.gradFnName();
                throw new IllegalStateException("hook " + i + " of the " + g.dtype() + " tensor of shape " + Arrays.toString(owner.shape())
                        + " (" + producer + ") returned a " + replaced.dtype() + " gradient; it must return the gradient's dtype "
                        + g.dtype() + " (convert it with to(DType." + g.dtype() + "), or return null to keep it)");
            }
            g = replaced;
        }
        return g;
    }

    boolean hasHooks() {
        return entries.length > 0;
    }
}
