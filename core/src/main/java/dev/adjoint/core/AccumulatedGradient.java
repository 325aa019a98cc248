package dev.adjoint.core;

import dev.adjoint.core.kernel.Buffers;
import dev.adjoint.core.kernel.NDArray;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The gradient that backward passes accumulate into one tensor's {@link Tensor#grad()}: a leaf's,
 * or an interior tensor's that {@link Tensor#retainGrad() retains} it. It holds the gradient, the
 * flag {@link Tensor#zeroGrad()} sets instead of filling zeros, and the buffer a backward pass may
 * have claimed to write the next gradient straight into. A tensor makes its one instance on the
 * first accumulation ({@link Tensor#accumulator()}), so tensors that never receive a gradient
 * carry none.
 *
 * <p>This object's lock guards its state ({@link #zero()} and {@link #grad()} read without it).
 * {@link Tensor#setDtype} holds the tensor's lock while it takes this one; nothing done under this
 * lock takes a tensor's, so the two cannot deadlock.
 */
final class AccumulatedGradient {
    /** Written under this object's lock; volatile because {@link #zero()} and {@link #grad()} read it without. */
    private volatile Tensor grad;
    /**
     * Set by {@link #zero()} instead of filling the gradient buffer with zeros: the buffer reads as
     * zeros from then on, and the next backward overwrites it rather than adding to it (one pass
     * over the gradient per step instead of two). Read as a volatile, written with release ordering
     * through {@link #ZEROED} (no fence on the per-step path), like {@code NDArray}'s version:
     * {@code zero} sets it without taking the lock, and a thread that sees it set also sees
     * everything before the reset.
     */
    private volatile boolean zeroed;
    /**
     * The gradient buffer a backward pass has claimed to write the gradient straight into
     * ({@link #claimBuffer()}), or null; guarded by this object's lock, set and cleared only by
     * that pass.
     */
    private NDArray claim;
    private static final VarHandle ZEROED;

    static {
        try {
            ZEROED = MethodHandles.lookup().findVarHandle(AccumulatedGradient.class, "zeroed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The gradient for {@link Tensor#grad()}: zeros after a reset, null when there is none. */
    Tensor grad() {
        if (zeroed) {
            synchronized (this) {
                if (zeroed) {
                    ZEROED.setRelease(this, false);
                    if (unclaimedReusable()) {
                        grad.array().fillZero();
                    } else if (reusable(grad)) {
                        // a backward pass is writing into the buffer: zeros of its own
                        grad = Tensor.over(NDArray.fullLike(0.0, grad.array()));
                    } else {
                        grad = null;
                    }
                }
            }
        }
        return grad;
    }

    /** Whether a gradient is held (a reset one included), without consuming the reset as {@link #grad()} does. */
    boolean isSet() {
        return grad != null;
    }

    /** {@link Tensor#zeroGrad()}: the buffer kept and marked as reading zeros, or the gradient dropped. */
    void zero() {
        Tensor g = grad;
        if (g == null) {
            return;
        }
        if (reusable(g)) {
            // NOTE: no lock here: even uncontended, a lock costs two compare-and-swaps per
            // parameter per step, which shows in a tiny network's step. The flag is consumed under
            // the lock by accumulate and grad(), which check again that the buffer can be reused: a
            // backward racing with this reset lands either before or after it.
            ZEROED.setRelease(this, true);
        } else {
            synchronized (this) {
                if (grad == g) {
                    grad = null;
                }
            }
        }
    }

    /** Converts the gradient, if there is one, to {@code dtype}, for {@link Tensor#setDtype}. */
    synchronized void convert(DType dtype) {
        Tensor g = grad;
        if (g != null) {
            grad = Tensor.over(TensorFactories.in(dtype, g.array()));
        }
    }

    /** Whether the gradient buffer can be reused and no backward pass has claimed it. Under the lock. */
    private boolean unclaimedReusable() {
        return reusable(grad) && claim != grad.array();
    }

    /** Whether a gradient's buffer may be overwritten in place: our own contiguous copy, outside any graph. */
    private static boolean reusable(Tensor g) {
        return g != null && g.node() == null && g.array().isContiguous() && g.array().size() > 0;
    }

    /**
     * Adds a gradient contribution into the tensor's {@code grad()}, ending first the claim
     * {@code claimed} that {@link #claimBuffer()} returned to the caller (null for none): when
     * {@code g} is then the whole of the zeroed buffer (the op wrote the gradient straight into
     * it), nothing is copied. The arrays it takes are the tensor's for good, not an open
     * {@link MemoryScope}'s.
     */
    void accumulate(Tensor g, boolean createGraph, NDArray claimed) {
        if (!Buffers.mute()) {
            add(g, createGraph, claimed);
            return;
        }
        try {
            add(g, createGraph, claimed);
        } finally {
            Buffers.unmute();
        }
    }

    /**
     * Claims the gradient buffer for one backward pass, if {@link #zero()} left it reading as zeros:
     * until the pass accumulates into this gradient or drops the claim, the buffer is the pass's to
     * write (its version odd; {@link #grad()} and other passes' accumulation take fresh memory
     * instead of it), and its contents are dead.
     *
     * @return the claimed buffer's array, or null when there is nothing to claim
     */
    NDArray claimBuffer() {
        if (!zeroed) {
            return null;
        }
        synchronized (this) {
            Tensor g = grad;
            if (!zeroed || claim != null || !reusable(g) || !g.array().beginExclusiveWrite()) {
                return null;
            }
            claim = g.array();
            return g.array();
        }
    }

    /**
     * Ends a claim without accumulating (the pass failed, or found a reason not to use it): the
     * buffer still reads as zeros, whatever it holds.
     *
     * @param written whether anything may have been written into it (its version then moves on)
     */
    synchronized void dropClaim(NDArray claimed, boolean written) {
        claim = null;
        claimed.endExclusiveWrite(written);
    }

    private synchronized void add(Tensor g, boolean createGraph, NDArray claimed) {
        if (claimed != null) {
            claim = null;
            claimed.endExclusiveWrite(true);
        }
        if (zeroed) {
            ZEROED.setRelease(this, false);
            if (createGraph) {
                grad = g;
            } else if (unclaimedReusable() && g.value().isWholeBufferOf(grad.array())) {
                grad.array().markWritten(); // computed in place: nothing to copy
            } else if (unclaimedReusable()) {
                grad.array().copyFrom(g.value());
            } else {
                grad = Tensor.over(g.value().copy());
            }
        } else if (grad == null) {
            grad = createGraph ? g : Tensor.over(g.value().copy());
        } else if (createGraph || grad.node() != null) {
            grad = grad.add(g);
        } else {
            grad.array().addInPlace(g.value());
        }
    }
}
