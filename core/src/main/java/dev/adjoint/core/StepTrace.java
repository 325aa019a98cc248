package dev.adjoint.core;

import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What one run of a loss function applied while it was recorded for a {@link RecordedStep}: the
 * ops in order, each with where its inputs came from (an input of the step, an earlier op's
 * result, or a tensor made outside the function), and the refusals of what a replay could not
 * repeat (reads of computed values, changes, backward passes, raw values made outside any op).
 * A thread records while its {@code Autograd.ThreadState.trace} is set; {@code Autograd.apply}
 * hands each op to {@link #traced}, and the checks in {@code Tensor} run only while
 * {@link #recording} is not 0.
 */
final class StepTrace {
    /**
     * How many threads are recording now: the reading and changing methods of Tensor check only
     * when it is not 0. NOTE: plain, not volatile: only the recording thread needs to see its own
     * count (program order does that), and a volatile read in every op's result costs the eager
     * step; another thread that sees a stale count only looks up its own state, which has no trace.
     */
    static int recording;

    /** One recorded op application. */
    static final class Entry {
        final CustomOp op;
        /**
         * Per input: its slot (the step's input i is slot i, entry e's result slot
         * {@code inputs + e}) if not negative, else {@code -1 - k} for external tensor k.
         */
        final int[] sources;
        /** Per input: whether it required grad when recorded ({@link Context#needsInputGrad}). */
        final boolean[] needs;
        final int[] outputShape;
        final boolean outputFloat32;
        /** Whether the op was recorded for the backward pass (some input required grad). */
        final boolean differentiable;

        Entry(CustomOp op, int[] sources, boolean[] needs, int[] outputShape, boolean outputFloat32, boolean differentiable) {
            this.op = op;
            this.sources = sources;
            this.needs = needs;
            this.outputShape = outputShape;
            this.outputFloat32 = outputFloat32;
            this.differentiable = differentiable;
        }
    }

    final Tensor[] inputs;
    /** The slot of each tensor the step computes (and of its inputs). */
    final Map<Tensor, Integer> slots = new IdentityHashMap<>();
    final List<Tensor> externals = new ArrayList<>();
    private final Map<Tensor, Integer> externalIndex = new IdentityHashMap<>();
    final List<Entry> entries = new ArrayList<>();
    final List<Tensor> outputs = new ArrayList<>();
    /** What Java code in the function read (constants only: anything else is refused). */
    final List<Read> reads = new ArrayList<>();

    /** A constant whose value Java code read while recording, with its array and version then. */
    record Read(Tensor tensor, NDArray value, int version) {
    }
    int lossEntry = -1;

    StepTrace(Tensor[] inputs) {
        this.inputs = inputs;
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].node() != null) {
                throw new IllegalArgumentException("RecordedStep.record: input " + i + " is " + describe(inputs[i])
                        + "; inputs are leaves (detach() it)");
            }
            Integer earlier = slots.put(inputs[i], i);
            if (earlier != null) {
                throw new IllegalArgumentException("RecordedStep.record: inputs " + earlier + " and " + i
                        + " are the same tensor; pass distinct tensors (a replay may give them different values)");
            }
        }
    }

    void add(CustomOp op, Tensor[] in, Tensor out) {
        add(op, in, out, false);
    }

    /**
     * Notes an op application; {@code recorded} says the op made a node for the backward pass
     * (then {@code out} is its result on that node).
     */
    void add(CustomOp op, Tensor[] in, Tensor out, boolean recorded) {
        int[] sources = new int[in.length];
        boolean[] needs = new boolean[in.length];
        for (int k = 0; k < in.length; k++) {
            Tensor x = in[k];
            Integer slot = slots.get(x);
            if (slot != null) {
                sources[k] = slot;
            } else {
                if (x.node() != null) {
                    throw new IllegalStateException("RecordedStep.record: input " + k + " of " + op.name() + " is " + describe(x)
                            + ", the result of an op run outside the loss function; pass it as an input of the step, or detach() it");
                }
                Integer e = externalIndex.get(x);
                if (e == null) {
                    e = externals.size();
                    externals.add(x);
                    externalIndex.put(x, e);
                }
                sources[k] = -1 - e;
            }
            needs[k] = x.requiresGrad();
        }
        // an op that returned a tensor the step already has (its input, unrecorded) leaves that slot as it was
        slots.putIfAbsent(out, inputs.length + entries.size());
        entries.add(new Entry(op, sources, needs, out.shape(), out.value().isFloat32(), recorded));
        outputs.add(out);
    }

    /** Checks the function's result and what it left behind; {@code forwardOnly}: recorded under noGrad. */
    void finish(Tensor loss, boolean forwardOnly) {
        Integer slot = loss == null ? null : slots.get(loss);
        if (slot == null || slot < inputs.length) {
            throw new IllegalStateException("RecordedStep.record: the loss function returned "
                    + (loss == null ? "null" : describe(loss)) + ", not the result of an op it applied");
        }
        lossEntry = slot - inputs.length;
        if (!forwardOnly && (loss.size() != 1 || !loss.requiresGrad())) {
            throw new IllegalStateException("RecordedStep.record: the loss is " + describe(loss)
                    + "; it must have one element and require grad (some parameter it depends on requires grad), or record under"
                    + " Autograd.noGrad() for a forward-only step");
        }
        for (Tensor t : outputs) {
            if ((t.node() != null ? t.node().hooks : t.hooks()) != null) {
                throw new IllegalStateException("RecordedStep.record: " + describe(t) + " has hooks or retainGrad(); a replay does not run"
                        + " them, so they are refused");
            }
        }
        for (Tensor t : externals) {
            if (t.hooks() != null) {
                throw new IllegalStateException("RecordedStep.record: a parameter the step reads, " + describe(t)
                        + ", has hooks; a replay does not run them, so they are refused");
            }
        }
    }

    /**
     * Requires that another run of the function applied the same ops to the same tensors, a
     * tensor made afresh in each run holding the same values in both, and an op made afresh in
     * each run computing the same values from the same values (else it holds numbers drawn anew
     * in Java, which a replay would not draw again).
     */
    void requireSame(StepTrace other) {
        if (other.entries.size() != entries.size() || other.lossEntry != lossEntry) {
            throw new IllegalStateException("RecordedStep.record: the loss function applied " + entries.size() + " ops the first time and "
                    + other.entries.size() + " the second; a recorded step must apply the same ops on every call");
        }
        // per slot: whether the two runs had the same values there (the inputs are the same tensors)
        boolean[] equal = new boolean[inputs.length + entries.size()];
        Arrays.fill(equal, 0, inputs.length, true);
        for (int e = 0; e < entries.size(); e++) {
            Entry a = entries.get(e);
            Entry b = other.entries.get(e);
            boolean inputsEqual = true;
            if (a.op.getClass() != b.op.getClass() || !a.op.name().equals(b.op.name()) || !Shapes.same(a.outputShape, b.outputShape)) {
                throw new IllegalStateException("RecordedStep.record: op " + e + " was " + a.op.name() + Arrays.toString(a.outputShape)
                        + " the first time the loss function ran and " + b.op.name() + Arrays.toString(b.outputShape)
                        + " the second; a recorded step must apply the same ops on every call");
            }
            for (int k = 0; k < a.sources.length; k++) {
                int sa = a.sources[k];
                int sb = b.sources[k];
                if (sa >= 0 || sb >= 0) {
                    if (sa != sb) {
                        throw new IllegalStateException("RecordedStep.record: input " + k + " of " + a.op.name() + " (op " + e
                                + ") came from different places in two runs of the loss function");
                    }
                    inputsEqual &= equal[sa];
                    continue;
                }
                Tensor x = externals.get(-1 - sa);
                Tensor y = other.externals.get(-1 - sb);
                if (x != y && !sameConstant(x, y)) {
                    throw new IllegalStateException("RecordedStep.record: input " + k + " of " + a.op.name() + " (op " + e + ") is "
                            + describe(x) + ", made afresh by the loss function with different values on each call (random numbers"
                            + " drawn in Java?); a replay would reuse one of them: make it an input of the step, or draw it in an op's"
                            + " forward, which a replay runs again (as nn's Dropout does)");
                }
            }
            Tensor x = outputs.get(e);
            Tensor y = other.outputs.get(e);
            boolean outputsEqual = x == y || sameValues(x.value(), y.value());
            if (inputsEqual && !outputsEqual && a.op != b.op) {
                throw new IllegalStateException("RecordedStep.record: " + a.op.name() + " (op " + e + ") computed different values from"
                        + " the same inputs in two runs of the loss function: it holds numbers drawn anew in Java on each call (a random"
                        + " scale, offset or index?), which a replay would not draw again; draw them in an op's forward, and keep that op"
                        + " one object across calls (as nn's Dropout keeps its mask op)");
            }
            equal[inputs.length + e] = inputsEqual && outputsEqual;
        }
    }

    private static boolean sameValues(NDArray a, NDArray b) {
        if (a.isFloat32() != b.isFloat32() || !Shapes.same(a.shapeView(), b.shapeView())) {
            return false;
        }
        return a.isFloat32() ? Arrays.equals(a.toFloatArray(), b.toFloatArray()) : Arrays.equals(a.toArray(), b.toArray());
    }

    private static boolean sameConstant(Tensor x, Tensor y) {
        return !x.requiresGrad() && !y.requiresGrad() && sameValues(x.value(), y.value());
    }

    /** Runs {@code loss} once on {@code inputs} with this thread recording, and returns what it applied. */
    static StepTrace run(Function<Tensor[], Tensor> loss, Tensor[] inputs, Autograd.ThreadState state, boolean forwardOnly) {
        StepTrace t = new StepTrace(inputs);
        state.trace = t;
        synchronized (StepTrace.class) {
            recording++;
        }
        Tensor result;
        try {
            result = loss.apply(inputs.clone());
        } finally {
            state.trace = null;
            synchronized (StepTrace.class) {
                recording--;
            }
        }
        t.finish(result, forwardOnly);
        return t;
    }

    /** Refuses a read of {@code t}'s value while this thread records a step that computes it, or of a parameter. */
    static void checkRead(Tensor t, String what) {
        StepTrace trace = Autograd.state().trace;
        if (trace == null) {
            return;
        }
        if (trace.slots.containsKey(t) || t.requiresGrad() && t.node() == null) {
            throw new IllegalStateException("RecordedStep.record: " + what + " reads the value of " + describe(t)
                    + " while the step is recorded; a replay runs only the recorded ops, so Java code that uses the value would not"
                    + " run again (compute with tensor ops, or read the loss that replay returns)");
        }
        // a constant's value may be read: a replay refuses to run if it has changed since
        trace.reads.add(new Read(t, t.value(), t.version()));
    }

    /** Refuses a change to a tensor while this thread records a step. */
    static void checkChange(String what) {
        if (Autograd.state().trace != null) {
            throw new IllegalStateException("RecordedStep.record: " + what + " changes a tensor or its hooks while the step is recorded; a replay"
                    + " would not change it again (BatchNorm in training mode updates its running statistics so: use train(false),"
                    + " or an eager step)");
        }
    }

    /** Refuses a backward pass or forward-mode pass inside a function being recorded. */
    static void checkNotRecording(Autograd.ThreadState state, String what) {
        if (state.trace != null) {
            throw new IllegalStateException("RecordedStep.record: the loss function calls " + what + "; a recorded step records the"
                    + " forward pass only, and each replay runs the backward pass itself");
        }
    }

    /** Applies an op while this thread records: runs it as usual, then notes it, unless it runs inside another op. */
    static Tensor traced(CustomOp op, Tensor[] inputs, boolean owned, Autograd.ThreadState state) {
        StepTrace trace = state.trace;
        if (state.forwardLevel != 0) {
            checkNotRecording(state, "a forward-mode function (jvp, hvp, jacobian)");
        }
        state.trace = null; // ops inside this op's forward are its own business
        int nodes = state.nodes;
        Tensor out;
        try {
            out = Autograd.apply(op, inputs, owned);
        } finally {
            state.trace = trace;
        }
        // the thread's node count moves exactly when this op made a node (ops inside a forward make none)
        boolean recorded = state.nodes != nodes && out.node() != null;
        trace.add(op, recorded ? out.node().inputs : inputs, out, recorded);
        return out;
    }

    /** A detached tensor of a value the step computes: recorded as an op without a gradient. */
    static Tensor detached(Tensor t) {
        Autograd.ThreadState state = Autograd.state();
        StepTrace trace = state.trace;
        if (trace == null || !trace.slots.containsKey(t) && t.node() != null) {
            return null; // a tensor computed outside the function: a constant, compared between the runs
        }
        // a step value, or a leaf (a parameter) a replay must read as it is then
        return constant(DETACH, new Tensor[] {t});
    }

    /** Runs an op without a derivative, recording it when this thread records a step. */
    static Tensor constant(CustomOp op, Tensor[] inputs) {
        Autograd.ThreadState state = recording != 0 ? Autograd.state() : null;
        StepTrace trace = state == null ? null : state.trace;
        if (trace == null) {
            return op.forward(Node.DISCARD, inputs);
        }
        state.trace = null;
        Tensor out;
        try {
            out = op.forward(Node.DISCARD, inputs);
        } finally {
            state.trace = trace;
        }
        trace.add(op, inputs, out);
        return out;
    }

    /**
     * Refuses a value an op family computes outside its ops while this thread records: a replay,
     * which runs only ops, would keep the recorded value. No built-in op family does that (their
     * values without a derivative are {@code Primitive.Constant} ops); this is the net for one
     * added later.
     */
    static void checkWrap() {
        if (Autograd.state().trace != null) {
            throw new IllegalStateException("RecordedStep.record: the loss function uses an operation that computes its result outside"
                    + " any op, which a replay cannot repeat; record a step without it (and please report it: every built-in"
                    + " operation should be recordable)");
        }
    }

    /** {@code detach()} as a recorded op: the value, cut from the graph. */
    private static final CustomOp DETACH = new CustomOp() {
        @Override
        public String name() {
            return "detach";
        }

        @Override
        public Tensor forward(Context ctx, Tensor... inputs) {
            return Tensor.over(inputs[0].value());
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor gradOutput) {
            return new Tensor[] {null};
        }

        @Override
        public boolean retainsGradients() {
            return false;
        }
    };

    /** A tensor as messages show it: dtype, shape, and what it is. */
    static String describe(Tensor x) {
        return x.dtype() + Arrays.toString(x.shape()) + (x.requiresGrad() ? " requiring grad" : "")
                + (x.node() != null ? " computed by " + x.node().op.name() : "") + (x.hooks() != null ? " with hooks" : "");
    }
}
