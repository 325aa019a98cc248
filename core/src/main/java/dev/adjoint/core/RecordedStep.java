package dev.adjoint.core;

import dev.adjoint.core.kernel.Buffers;
import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.Shapes;
import java.lang.ref.SoftReference;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A loss function's forward and backward pass, recorded once and replayed on new inputs, as JAX's
 * {@code jit} or tinygrad's {@code TinyJit} replay a traced step: the Java code that built the
 * graph, the graph itself and the backward pass's discovery of it are paid once, not on every
 * step.
 *
 * <pre>{@code
 * RecordedStep step = RecordedStep.record(in -> Losses.sumSquaredError(net.forward(in[0]), target), x);
 * for (int i = 0; i < 10_000; i++) {
 *     sgd.zeroGrad();
 *     Tensor loss = step.replay(x);   // the same as loss(x).backward(), bit for bit
 *     sgd.step();
 * }
 * }</pre>
 *
 * <p><b>What a replay does.</b> {@code replay(inputs)} has the effect of
 * {@code loss.apply(inputs).backward()}: it runs every recorded op's forward on the current
 * values (parameters updated in place by an optimizer are read as they are now), then every op's
 * backward in the order a {@code backward()} would take, and accumulates the gradients into the
 * leaves' {@link Tensor#grad()}. The results are bitwise those of the eager step: the same ops run
 * the same kernels in the same order, so a recorded training loop and an eager one stay equal
 * step for step. It returns the loss, a plain tensor outside any graph.
 *
 * <p><b>Forward-only steps.</b> Recorded under {@link Autograd#noGrad()}, a step has no backward
 * pass: its function may return a tensor of any shape (a batch's logits), and a replay returns
 * that result, computed afresh, and changes no gradient: an evaluation loop's forward pass
 * without the Java code and with the same arrays each time.
 *
 * <p><b>What is recorded.</b> {@link #record} runs the function twice (with grad mode on) and
 * keeps the ops it applies, in order, with where each input came from: an input of the step, an
 * earlier op's result, or a tensor made outside the function (a parameter, a captured constant).
 * Tensors the function makes afresh (a {@code Tensor.of} inside it) are kept as constants when
 * both runs made the same values, and refused when they differ (random numbers drawn in Java):
 * randomness belongs in an op's forward, which each replay runs again, as {@code nn}'s
 * {@code Dropout} draws its masks (recording, which runs the function twice, advances Dropout's
 * generator by two masks). Numbers and {@code int[]} arguments in the function
 * ({@code x.mul(0.5)}, a crop's offsets, a list of rows) are fixed when recorded; ones drawn anew
 * on each call are refused, since the two runs' ops then compute different values from the same
 * inputs. Java code in the function does not run again: a branch on something other than a
 * tensor's value takes the same arm on every replay, and an array of labels the function reads
 * keeps its recorded contents (pass labels as a tensor input). The function may read a constant it captured (a tensor
 * made outside it that does not require grad); a replay refuses to run after that constant
 * changed.
 *
 * <p><b>What is refused</b>, with an {@link IllegalStateException} that says which call: reading a
 * value the step computes or a parameter ({@code item()}, {@code toArray()}, {@code get},
 * {@code copyTo}, {@code grad()}) while recording, since a replay would not read it again; changing
 * a tensor ({@code modify}, {@code setDtype}, {@code requiresGrad(boolean)}, {@code zeroGrad()},
 * which rules out {@code BatchNorm} in training mode); a {@code backward()}, {@code grad} or
 * forward-mode call inside the function; hooks and {@code retainGrad()} on the step's tensors;
 * an input that is the result of an op run outside the function, or the same tensor as two inputs.
 * A replay refuses inputs of other shapes or dtypes than the recorded ones, parameters whose shape,
 * dtype, {@code requiresGrad} or hooks changed since (record the step again then), and a parameter
 * modified while it runs.
 *
 * <p>Between replays a step keeps only working arrays for the next one (and, when every op makes
 * the buffer promise of {@link CustomOp#retainsGradients()}, the large arrays of its values,
 * softly held); a replay on another thread at the same time makes its own, so threads may replay
 * one step at once (their gradients accumulate as concurrent {@code backward()} calls do) when its
 * ops are safe to run on several threads at once (Dropout's generator is not). Replays are not
 * checked for anomalies by op ({@link Autograd#detectAnomaly()} still refuses NaN gradients,
 * without the line of user code).
 */
public final class RecordedStep {
    /** The shapes of the step's inputs, their dtypes and whether each requires grad. */
    private final int[][] inputShapes;
    private final boolean[] inputFloat32;
    private final boolean[] inputRequiresGrad;
    /** Tensors made outside the function (parameters, constants), read as they are at each replay. */
    private final Tensor[] externals;
    /** Each external tensor's value when recorded (its shape and dtype then; while it is the same object, now too). */
    private final NDArray[] externalValues;
    private final boolean[] externalRequiresGrad;
    /** Constants whose values Java code in the function read, with their arrays and versions then. */
    private final StepTrace.Read[] reads;
    private final StepTrace.Entry[] entries;
    /** The entry that computes the loss. */
    private final int lossEntry;
    /** Whether a replay runs the backward pass (false: recorded under noGrad, forward only). */
    private final boolean backward;
    /** The entries with a backward, in the order a backward pass visits them. */
    private final int[] order;
    /** Whether a replay may recycle the arrays of its values and gradients (no op keeps any: {@link CustomOp#retainsGradients()}). */
    private final boolean recycle;
    /** The gradient of the loss with respect to itself, ones; shared by the replays, which never change it. */
    private final Tensor seed;
    /** How many gradients of the backward pass go to leaves (inputs, parameters). */
    private final int deliveries;

    /**
     * Records {@code loss} on example inputs of the shapes and dtypes the replays will use. Nothing
     * is back-propagated and no gradient changes; the function runs twice.
     *
     * @param loss the step's loss as a function of its inputs; it must return a one-element tensor
     *     that requires grad (under {@link Autograd#noGrad()}: any result of an op, for a
     *     forward-only step)
     * @param exampleInputs one tensor per input of the step, as {@link #replay} will receive them
     * @return the recorded step
     * @throws IllegalStateException if the function does something a replay cannot repeat (see the
     *     class comment), or its result is not the result of an op, or (with grad mode on) not a
     *     one-element tensor that requires grad
     * @throws IllegalArgumentException if {@code loss} or an input is null, an input is the result
     *     of an op, or two inputs are the same tensor
     */
    public static RecordedStep record(Function<Tensor[], Tensor> loss, Tensor... exampleInputs) {
        if (loss == null) {
            throw new IllegalArgumentException("RecordedStep.record: loss function is null");
        }
        if (exampleInputs == null) {
            throw new IllegalArgumentException("RecordedStep.record: inputs array is null");
        }
        for (int i = 0; i < exampleInputs.length; i++) {
            if (exampleInputs[i] == null) {
                throw new IllegalArgumentException("RecordedStep.record: input " + i + " is null");
            }
        }
        Autograd.ThreadState state = Autograd.state();
        if (state.trace != null) {
            throw new IllegalStateException("RecordedStep.record: already recording a step on this thread (the loss function called record)");
        }
        if (state.forwardLevel != 0) {
            throw new IllegalStateException("RecordedStep.record: a forward-mode pass is running on this thread; record outside jvp");
        }
        boolean forwardOnly = state.noGrad != 0;
        StepTrace first = StepTrace.run(loss, exampleInputs, state, forwardOnly);
        StepTrace second = StepTrace.run(loss, exampleInputs, state, forwardOnly);
        first.requireSame(second);
        return new RecordedStep(first, exampleInputs);
    }

    private RecordedStep(StepTrace t, Tensor[] inputs) {
        int n = inputs.length;
        inputShapes = new int[n][];
        inputFloat32 = new boolean[n];
        inputRequiresGrad = new boolean[n];
        for (int i = 0; i < n; i++) {
            inputShapes[i] = inputs[i].shape();
            inputFloat32[i] = inputs[i].value().isFloat32();
            inputRequiresGrad[i] = inputs[i].requiresGrad();
        }
        externals = t.externals.toArray(new Tensor[0]);
        externalValues = new NDArray[externals.length];
        externalRequiresGrad = new boolean[externals.length];
        for (int k = 0; k < externals.length; k++) {
            externalValues[k] = externals[k].value(); // modify keeps it; setDtype replaces it
            externalRequiresGrad[k] = externals[k].requiresGrad();
        }
        reads = t.reads.toArray(new StepTrace.Read[0]);
        entries = t.entries.toArray(new StepTrace.Entry[0]);
        lossEntry = t.lossEntry;
        backward = entries[lossEntry].differentiable;
        order = backward ? backwardOrder() : new int[0];
        boolean retains = false;
        for (StepTrace.Entry e : entries) {
            retains |= e.op.retainsGradients();
        }
        recycle = !retains;
        seed = backward ? Tensor.over(NDArray.fullLike(1.0, t.outputs.get(lossEntry).value())) : null;
        int leafEdges = 0;
        for (int e : order) {
            for (int k = 0; k < entries[e].sources.length; k++) {
                leafEdges += entries[e].needs[k] && entries[e].sources[k] < n ? 1 : 0;
            }
        }
        deliveries = leafEdges;
    }

    /**
     * The order in which a backward pass from the loss visits the recorded ops: the order
     * {@link BackwardPass} takes (breadth-first numbering, then a node as soon as every use of its
     * result has delivered, last ready first), so that gradients are summed in the same order and
     * a replay gives the eager step's bits.
     */
    private int[] backwardOrder() {
        int inputs = inputShapes.length;
        int[] numbered = new int[entries.length];
        int[] uses = new int[entries.length];
        int count = 0;
        numbered[count++] = lossEntry;
        boolean[] seen = new boolean[entries.length];
        seen[lossEntry] = true;
        for (int i = 0; i < count; i++) {
            for (int s : entries[numbered[i]].sources) {
                int e = s - inputs;
                if (s >= inputs && entries[e].differentiable) {
                    if (!seen[e]) {
                        seen[e] = true;
                        numbered[count++] = e;
                    }
                    uses[e]++;
                }
            }
        }
        int[] result = new int[count];
        int[] ready = new int[count];
        int done = 0;
        ready[0] = lossEntry;
        for (int top = 1; top > 0; ) {
            int e = ready[--top];
            result[done++] = e;
            for (int s : entries[e].sources) {
                int in = s - inputs;
                if (s >= inputs && entries[in].differentiable && --uses[in] == 0) {
                    ready[top++] = in;
                }
            }
        }
        return result;
    }

    /**
     * Runs the recorded step on {@code inputs}: every op's forward, then the backward pass, whose
     * gradients are accumulated into the leaves' {@link Tensor#grad()} as {@code backward()} would.
     *
     * @param inputs one tensor per input of the step, of the recorded shapes and dtypes
     * @return the loss (a forward-only step's result), a tensor outside any graph
     * @throws IllegalArgumentException if the inputs do not match the recorded ones
     * @throws IllegalStateException if a parameter or constant the step reads changed shape, dtype,
     *     {@code requiresGrad} or hooks since it was recorded, or an op's result changed shape
     */
    public Tensor replay(Tensor... inputs) {
        checkInputs(inputs);
        Autograd.ThreadState state = Autograd.state();
        if (state.trace != null) {
            throw new IllegalStateException("RecordedStep.replay: cannot replay a step inside a function being recorded");
        }
        Run run = spare.getAndSet(null);
        if (run == null) {
            run = new Run();
        }
        // Nothing a replay computes outlives it but the loss (copied out) and the leaves' gradients
        // (copied into their grad()), so the large arrays of its values and gradients are kept for
        // the next replay, which takes the same arrays in the same order and writes warm memory.
        Buffers.Arena arena = recycle && state.forwardLevel == 0 ? run.arena() : null;
        boolean entered = arena != null && Buffers.enter(arena);
        long retainingBefore = state.retainingBackwards;
        boolean succeeded = false;
        try {
            int leafCount;
            long versions = externalVersions();
            try {
                System.arraycopy(inputs, 0, run.values, 0, inputs.length);
                // a backward pass that an op's forward runs counts as nested: it reports an op that keeps gradients
                state.noGrad++;
                state.passDepth++;
                try {
                    forward(run);
                } finally {
                    state.passDepth--;
                    state.noGrad--;
                }
                leafCount = backward ? sweep(run, state) : 0;
            } finally {
                if (entered) {
                    Buffers.leave(arena);
                }
            }
            if (externalVersions() != versions) {
                throw new IllegalStateException("RecordedStep.replay: a parameter or constant the step reads was modified while the"
                        + " replay ran, so its results may mix old and new values; parameters must not be updated during a replay"
                        + " that uses them (the gradients of this replay were not applied)");
            }
            // outside the arena: these arrays are the user's
            Tensor[] leaves = run.leaves;
            for (int i = 0; i < leafCount; i += 2) {
                leaves[i].accumulator().accumulate(leaves[i + 1], false, null);
            }
            Tensor loss = Tensor.over(run.values[inputs.length + lossEntry].value().copy());
            succeeded = true;
            return loss;
        } finally {
            if (!succeeded || state.retainingBackwards != retainingBefore) {
                run.arena = null; // something may still hold one of its arrays
            }
            run.clear();
            spare.set(run);
        }
    }

    /**
     * The working arrays of one replay, kept for the next one (a replay of a tiny step would
     * otherwise spend a good part of its time allocating them); a replay on another thread at the
     * same time makes its own.
     */
    private final AtomicReference<Run> spare = new AtomicReference<>();

    /** One replay's values, saved tensors, pending gradients and leaf gradients. */
    private final class Run {
        final Tensor[] values = new Tensor[inputShapes.length + entries.length];
        final Saved[] saved = new Saved[entries.length];
        final Tensor[] pending = new Tensor[entries.length];
        final Tensor[] leaves = new Tensor[2 * deliveries];
        /** The large arrays of the last replay, softly held: the GC may take them under memory pressure. */
        SoftReference<Buffers.Arena> arena;

        Run() {
            for (int e = 0; e < entries.length; e++) {
                saved[e] = new Saved(entries[e]);
            }
        }

        Buffers.Arena arena() {
            Buffers.Arena a = arena == null ? null : arena.get();
            if (a == null) {
                a = new Buffers.Arena();
                arena = new SoftReference<>(a);
            }
            return a;
        }

        /** Drops every reference, so that nothing of a replay outlives it. */
        void clear() {
            Arrays.fill(values, null);
            Arrays.fill(pending, null);
            Arrays.fill(leaves, null);
            for (Saved ctx : saved) {
                ctx.reset(null);
            }

        }
    }

    private void forward(Run run) {
        Tensor[] values = run.values;
        int n = inputShapes.length;
        for (int e = 0; e < entries.length; e++) {
            StepTrace.Entry entry = entries[e];
            Tensor[] in = new Tensor[entry.sources.length];
            for (int k = 0; k < in.length; k++) {
                int s = entry.sources[k];
                in[k] = s >= 0 ? values[s] : externals[-1 - s];
            }
            Saved ctx = run.saved[e];
            ctx.reset(in);
            Tensor out = entry.op.forward(ctx, in);
            if (out == null || !Shapes.same(out.value().shapeView(), entry.outputShape) || out.value().isFloat32() != entry.outputFloat32) {
                throw new IllegalStateException("RecordedStep.replay: " + entry.op.name() + " returned "
                        + (out == null ? "null" : out.dtype() + Arrays.toString(out.shape())) + " where the recording had "
                        + (entry.outputFloat32 ? DType.FLOAT32 : DType.FLOAT64) + Arrays.toString(entry.outputShape)
                        + "; the step no longer computes what was recorded: record it again");
            }
            values[n + e] = out;
        }
    }

    /**
     * The sweep of {@link BackwardPass}, over a fixed order and with nothing to discover; the
     * leaves' gradients are left in {@code run.leaves}, in pairs.
     *
     * @return how many entries of {@code run.leaves} it filled
     */
    private int sweep(Run run, Autograd.ThreadState state) {
        Tensor[] values = run.values;
        Tensor[] pending = run.pending;
        Tensor[] leaves = run.leaves;
        int n = inputShapes.length;
        int leafCount = 0;
        pending[lossEntry] = seed;
        state.passDepth++;
        state.noGrad++;
        try {
            for (int e : order) {
                Tensor g = pending[e];
                pending[e] = null;
                if (g == null) {
                    continue;
                }
                StepTrace.Entry entry = entries[e];
                Saved ctx = run.saved[e];
                Tensor[] grads = Engine.callBackward(entry.op, ctx, ctx.inputs, null, g, state);
                for (int k = 0; k < grads.length; k++) {
                    Tensor gk = grads[k];
                    if (gk == null || !entry.needs[k]) {
                        continue;
                    }
                    int s = entry.sources[k];
                    if (s >= n) {
                        pending[s - n] = pending[s - n] == null ? gk : pending[s - n].add(gk);
                    } else {
                        leaves[leafCount++] = s >= 0 ? values[s] : externals[-1 - s];
                        leaves[leafCount++] = gk;
                    }
                }
            }
            return leafCount;
        } finally {
            state.noGrad--;
            state.passDepth--;
        }
    }

    /**
     * The sum of the external tensors' buffer versions (as a node's check of its inputs): refuses
     * one being modified now, and a change of the sum across a replay shows one was modified
     * during it.
     */
    private long externalVersions() {
        long sum = 0;
        for (Tensor x : externals) {
            long v = x.value().version();
            if ((v & 1) != 0) {
                throw new IllegalStateException("RecordedStep.replay: " + StepTrace.describe(x) + ", which the step reads, is being"
                        + " modified in place now; parameters must not be updated during a replay that uses them");
            }
            sum += v;
        }
        return sum;
    }

    private void checkInputs(Tensor[] inputs) {
        if (inputs == null || inputs.length != inputShapes.length) {
            throw new IllegalArgumentException("RecordedStep.replay: expected " + inputShapes.length + " inputs, got "
                    + (inputs == null ? "null" : inputs.length));
        }
        for (int i = 0; i < inputs.length; i++) {
            Tensor x = inputs[i];
            if (x == null) {
                throw new IllegalArgumentException("RecordedStep.replay: input " + i + " is null");
            }
            if (!Shapes.same(x.value().shapeView(), inputShapes[i]) || x.value().isFloat32() != inputFloat32[i]
                    || x.requiresGrad() != inputRequiresGrad[i] || x.node() != null || x.hooks() != null) {
                throw new IllegalArgumentException("RecordedStep.replay: input " + i + " is " + StepTrace.describe(x) + " but the step was recorded with "
                        + (inputFloat32[i] ? DType.FLOAT32 : DType.FLOAT64) + Arrays.toString(inputShapes[i])
                        + (inputRequiresGrad[i] ? " requiring grad" : "") + " (inputs are leaves without hooks; record the step again for others)");
            }
        }
        for (int k = 0; k < externals.length; k++) {
            Tensor x = externals[k];
            NDArray v = x.value();
            NDArray then = externalValues[k];
            if (v != then && (!Shapes.same(v.shapeView(), then.shapeView()) || v.isFloat32() != then.isFloat32())
                    || x.requiresGrad() != externalRequiresGrad[k] || x.hooks() != null) {
                throw new IllegalStateException("RecordedStep.replay: a tensor the step reads (a parameter or constant, now "
                        + StepTrace.describe(x) + ") was " + (then.isFloat32() ? DType.FLOAT32 : DType.FLOAT64) + Arrays.toString(then.shapeView())
                        + (externalRequiresGrad[k] ? " requiring grad" : "") + " without hooks when recorded; record the step again");
            }
        }
        for (StepTrace.Read r : reads) {
            if (r.tensor().value() != r.value() || r.tensor().version() != r.version()) {
                throw new IllegalStateException("RecordedStep.replay: the loss function's Java code read " + StepTrace.describe(r.tensor())
                        + " when the step was recorded, and it has changed since; a replay would use the old values: record the step"
                        + " again (or compute with it in tensor ops)");
            }
        }
    }

    /**
     * How many op applications the step replays (its forward; the backward runs one formula for
     * each of them that gradients reach).
     *
     * @return the number of recorded ops
     */
    public int size() {
        return entries.length;
    }

    /** What one op's forward saved in one replay, for its backward in the same replay. */
    private static final class Saved implements Context {
        final StepTrace.Entry entry;
        Tensor[] inputs;
        /** The first two saved tensors inline (most ops save one or two), the rest in {@link #more}. */
        private Tensor first;
        private Tensor second;
        private Tensor[] more;
        private int count;

        Saved(StepTrace.Entry entry) {
            this.entry = entry;
        }

        /** Starts a replay of the op on {@code in} (null: forgets the last one). */
        void reset(Tensor[] in) {
            inputs = in;
            first = null;
            second = null;
            if (more != null) {
                Arrays.fill(more, null);
            }
            count = 0;
        }

        @Override
        public void save(Tensor... ts) {
            if (ts == null) {
                throw new IllegalArgumentException(entry.op.name() + ": save was given a null array");
            }
            for (Tensor t : ts) {
                save(t);
            }
        }

        @Override
        public void save(Tensor tensor) {
            if (tensor == null) {
                throw new IllegalArgumentException(entry.op.name() + ": cannot save a null tensor");
            }
            if (count == 0) {
                first = tensor;
            } else if (count == 1) {
                second = tensor;
            } else {
                more = more == null ? new Tensor[4] : count - 2 < more.length ? more : Arrays.copyOf(more, 2 * more.length);
                more[count - 2] = tensor;
            }
            count++;
        }

        @Override
        public void save(Tensor a, Tensor b) {
            save(a);
            save(b);
        }

        @Override
        public Tensor saved(int index) {
            if (index < 0 || index >= count) {
                throw new IllegalArgumentException(entry.op.name() + ": saved index " + index + " out of range; " + count + " saved");
            }
            return index == 0 ? first : index == 1 ? second : more[index - 2];
        }

        @Override
        public boolean needsInputGrad(int index) {
            if (index < 0 || index >= entry.needs.length) {
                throw new IllegalArgumentException(entry.op.name() + ": needsInputGrad index " + index + " out of range; the op has "
                        + entry.needs.length + " inputs");
            }
            return entry.needs[index];
        }
    }

}
