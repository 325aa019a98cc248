package dev.adjoint.core;

import dev.adjoint.core.kernel.Buffers;
import java.util.Arrays;

/**
 * Gives the memory of the tensors computed inside it back for reuse when it closes, as PyTorch's
 * caching allocator takes a tensor's memory back when its last reference goes. Java cannot tell
 * when a result is no longer referenced, so the scope's owner says it: everything computed inside
 * is done with at {@link #close()}, except what {@link #keep} names.
 *
 * <pre>{@code
 * for (Batch batch : batches) {
 *     try (MemoryScope scope = MemoryScope.open()) {
 *         Tensor loss = Losses.crossEntropy(model.forward(batch.x()), batch.y());
 *         loss.backward();
 *         optimizer.step();
 *         total += loss.item();
 *     }   // the batch's activations and gradients go back; the next batch's ops reuse them
 * }
 * }</pre>
 *
 * <p><b>Why.</b> A fresh Java array is zeroed and lands in memory no cache has seen lately, so an op
 * on large tensors that writes its result into a fresh array is slower than the same op writing
 * into an array used a moment ago. Inside a scope, the ops of one step take the arrays the
 * previous step's scope gave back.
 *
 * <p><b>What belongs to the scope:</b> the results of ops run on this thread while it is open,
 * their views ({@code reshape}, {@code transpose}, {@code detach}, ...) and the graph recorded
 * meanwhile. After {@code close()}, reading such a tensor ({@code item()}, {@code toArray()}, an
 * op taking it as input, ...) throws {@link IllegalStateException} naming its shape, it prints as
 * released, and a {@code backward()} through that graph is refused: its memory may hold another
 * tensor's values by then, and Adjoint never computes with it. Call {@code backward()} and read
 * what you need before the scope closes, or {@link #keep} it. Which results are recycled is an
 * implementation detail (today, arrays from 32 KB to 128 MB; the tests recycle every size): code
 * must not read a result it did not keep after the close, whatever its size.
 *
 * <p><b>What does not belong to it:</b> tensors made before it opened (parameters, inputs, a data
 * set's batches), the gradients {@code backward()} accumulates into leaves (and into tensors that
 * {@link Tensor#retainGrad() retain} theirs), so that an optimizer reads them after the close and
 * the next step reuses their buffers, an optimizer's state, and the steps of a
 * {@link RecordedStep}, which keeps its own arrays. Gradients that {@link Autograd#grad} returns, and
 * those accumulated with {@code createGraph}, are results computed inside and belong to the scope.
 *
 * <p><b>Keep scopes short.</b> A scope holds the memory of everything computed inside it until it
 * closes, whether or not anything still refers to it: open one per step (or per batch of an
 * evaluation), not around a whole training run. The pool that takes the memory back keeps, per
 * thread, as many arrays as the largest scope gave back (with a few of the last backward pass
 * inside it), softly referenced (the garbage collector takes them when memory runs short).
 *
 * <p>A scope belongs to the thread that opened it: {@code keep} and {@code close} must run there,
 * and ops run on other threads meanwhile are not in it (a view that another thread makes of one
 * of its results is, like the result). Scopes nest: an inner scope's results go back when it
 * closes; one it keeps belongs to the enclosing scope from then on (and stays for good when there
 * is none). Closing a scope closes the scopes opened inside it that were left open, then
 * reports them with an {@link IllegalStateException}. With recycling turned off ({@code -Dadjoint.recycle=false}) a scope
 * recycles nothing and refuses nothing.
 */
public final class MemoryScope implements AutoCloseable {
    /** Null when recycling is off. */
    private final Buffers.Region region;
    private boolean closed;

    private MemoryScope(Buffers.Region region) {
        this.region = region;
    }

    /**
     * Opens a scope on this thread.
     *
     * @return the scope; close it on this thread (try-with-resources)
     */
    public static MemoryScope open() {
        return new MemoryScope(Buffers.openRegion());
    }

    /**
     * Keeps a tensor computed inside this scope (and its views, which share its memory) valid after
     * the scope closes; it then belongs to the enclosing scope, if one is open. Its graph is not
     * kept: a {@code backward()} from it after the close is refused. A tensor that does not belong
     * to this scope is returned as it is.
     *
     * @param tensor a tensor
     * @return {@code tensor}
     * @throws IllegalArgumentException if {@code tensor} is null
     * @throws IllegalStateException if this scope is closed, if this is not the thread that opened
     *     it, or if {@code tensor}'s memory has already gone back with a scope that closed
     */
    public Tensor keep(Tensor tensor) {
        if (tensor == null) {
            throw new IllegalArgumentException("MemoryScope.keep: tensor is null");
        }
        if (closed) {
            throw new IllegalStateException("MemoryScope.keep: the scope is closed; keep a tensor before its scope closes");
        }
        tensor.live("MemoryScope.keep");
        if (region != null) {
            region.keep(tensor.lease());
        }
        return tensor;
    }

    /** The refusal of a read of {@code t}, whose memory went back with its scope; {@code what} is null for an op's read. */
    static IllegalStateException released(Tensor t, String what) {
        return new IllegalStateException((what == null ? "an op's input: " : what + ": ") + "tensor of shape "
                + Arrays.toString(t.shape()) + " (" + t.dtype() + ") was computed inside a MemoryScope that has closed, and its"
                + " memory now holds other values; keep it with MemoryScope.keep(tensor) before the scope closes, or read it"
                + " while the scope is open");
    }

    /**
     * Closes this scope: the memory of the tensors computed inside it, except those kept, goes back
     * for reuse, and those tensors and their graph can no longer be used. Closing again does nothing.
     *
     * @throws IllegalStateException if this is not the thread that opened it, or a scope opened
     *     inside it was still open (it is closed too)
     */
    @Override
    public void close() {
        if (region == null) {
            closed = true;
            return;
        }
        try {
            region.close();
        } finally {
            closed = region.isClosed();
        }
    }
}
