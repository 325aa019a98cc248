package dev.adjoint.core;

import dev.adjoint.core.kernel.Elementwise;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Entry points of the autodiff engine: gradients of an output with respect to chosen inputs,
 * gradient checkpointing, and the per-thread grad and anomaly modes.
 *
 * <p>Both modes are per thread: a {@link #noGrad()} scope on one thread never affects another, and
 * independent graphs built on different threads never interfere.
 *
 * <p><b>Derivatives of functions</b> ({@link #jacobian}, {@link #hessian}, {@link #hvp},
 * {@link #jvp}, {@link #vjp}, as {@code torch.autograd.functional}): each runs the function on
 * tensors of its own that share the inputs' values, with recording switched on inside (so they
 * work under {@link #noGrad()}, and on functions that call {@link #grad} themselves); an input the
 * function ignores gets zeros. {@link #jvp} is forward mode: one pass that carries tangents next
 * to the values, with no graph and no backward pass; every built-in op has a tangent rule
 * ({@link CustomOp#jvp}). {@link #jacobian} takes forward mode when the inputs have fewer elements
 * than the value (all directions as one batch of tangents in one pass) and reverse mode otherwise:
 * one recorded forward and one backward pass through it, run inside a forward-mode pass whose
 * cotangent carries all unit directions as one batch (the backward formulas are linear in the
 * cotangent), or one backward pass per element of the value when an input requires grad (so that
 * the rows stay differentiable) or inside another forward-mode pass.
 * {@link #hessian} and {@link #hvp} are forward over reverse: the gradient's backward pass run
 * inside a forward-mode pass, with all n directions as one batch (the Hessian) or one direction
 * (the product); no n-by-n loop of backward passes. Inside another forward-mode pass they (and
 * {@code jvp}) take reverse passes instead, whose ops carry the outer pass's tangents, so nesting
 * works.
 */
public final class Autograd {
    private Autograd() {
    }

    /** A mode switched on until {@link #close()}; use with try-with-resources. */
    public interface Scope extends AutoCloseable {
        /** Leaves the mode (idempotent). */
        @Override
        void close();
    }

    static final class ThreadState {
        int noGrad;
        int anomaly;
        /** Inside an op's backward formula: anomalies are attributed to that op, not to its pieces. */
        int inBackward;
        /** Backward passes running on this thread now (an op's backward may run one of its own). */
        int passDepth;
        /** How many backward passes on this thread met an op that may retain its gradients. */
        long retainingBackwards;
        /** A finished backward pass, kept for this thread's next call. */
        BackwardPass spare;
        /** The level of the forward-mode pass running on this thread, or 0 for none. */
        long forwardLevel;
        /** Inside a tangent rule or an op's forward: forward mode does not propagate. */
        int tangentRule;
        /** Counts the nodes this thread records, for their hash. */
        int nodes;
        /** This thread's next backward-pass serial, and the end of its block of them. */
        long passSerial;
        long passSerialEnd;
        /** The step being recorded on this thread ({@link RecordedStep}), or null. */
        StepTrace trace;

        /** A serial no other backward pass has had (threads take them in blocks: no atomic per pass). */
        long nextPassSerial() {
            if (passSerial == passSerialEnd) {
                passSerial = PASS_SERIALS.getAndAdd(PASS_SERIAL_BLOCK);
                passSerialEnd = passSerial + PASS_SERIAL_BLOCK;
            }
            return passSerial++;
        }
    }

    private static final java.util.concurrent.atomic.AtomicLong PASS_SERIALS = new java.util.concurrent.atomic.AtomicLong(1);
    private static final int PASS_SERIAL_BLOCK = 1024;

    private static final ThreadLocal<ThreadState> STATE = ThreadLocal.withInitial(ThreadState::new);

    /** A thread and its state; immutable, so it is safely published through a plain field. */
    private record Owned(Thread thread, ThreadState state) {
    }

    /**
     * The last thread to look up its state: every op reads the state, and a ThreadLocal lookup costs
     * more than a tiny op's arithmetic. A thread that finds another thread here takes the
     * ThreadLocal path and puts itself here; the check on the owner keeps every thread on its own state.
     */
    private static Owned last = new Owned(null, null);

    static ThreadState state() {
        Owned o = last;
        Thread t = Thread.currentThread();
        if (o.thread() == t) {
            return o.state();
        }
        ThreadState s = STATE.get();
        last = new Owned(t, s);
        return s;
    }

    /**
     * Gradients of a scalar {@code output} with respect to {@code inputs}, returned rather than
     * accumulated: no tensor's {@link Tensor#grad()} is touched. An input that {@code output} does
     * not depend on gets zeros. With {@code createGraph} the backward pass is itself recorded, so the
     * returned gradients can be differentiated again (Hessian-vector products, gradient penalties);
     * without it the pass runs unrecorded.
     *
     * @param output a scalar that requires grad
     * @param inputs tensors that require grad (leaves or intermediate results)
     * @param createGraph whether to record the backward pass for higher-order gradients
     * @return one gradient per input, each of that input's shape
     */
    public static List<Tensor> grad(Tensor output, List<Tensor> inputs, boolean createGraph) {
        if (output == null) {
            throw new IllegalArgumentException("grad: output is null");
        }
        if (output.size() != 1) {
            throw new IllegalStateException("grad: output has shape " + Arrays.toString(output.shape())
                    + "; gradients can only be created implicitly for a scalar output (use grad(output, gradOutput, inputs, createGraph))");
        }
        return grad(output, Tensor.ones(output.dtype(), output.shape()), inputs, createGraph);
    }

    /**
     * Vector-Jacobian products {@code gradOutput^T d output / d input} for each input.
     *
     * @param output any tensor that requires grad
     * @param gradOutput the vector, of {@code output}'s shape
     * @param inputs tensors that require grad
     * @param createGraph whether to record the backward pass
     * @return one gradient per input
     */
    public static List<Tensor> grad(Tensor output, Tensor gradOutput, List<Tensor> inputs, boolean createGraph) {
        if (output == null) {
            throw new IllegalArgumentException("grad: output is null");
        }
        if (inputs == null) {
            throw new IllegalArgumentException("grad: inputs is null");
        }
        Tensor[] targets = inputs.toArray(new Tensor[0]);
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] == null) {
                throw new IllegalArgumentException("grad: input " + i + " is null");
            }
            if (!targets[i].requiresGrad()) {
                throw new IllegalStateException("grad: input " + i + " of shape " + Arrays.toString(targets[i].shape())
                        + " does not require grad; call requiresGrad(true) on it before building the graph");
            }
        }
        Tensor[] results = Engine.backward(output, gradOutput, createGraph, targets);
        List<Tensor> out = new ArrayList<>(targets.length);
        for (int i = 0; i < targets.length; i++) {
            out.add(results[i] != null ? results[i] : Tensor.zeros(targets[i].dtype(), targets[i].shape()));
        }
        return out;
    }

    /**
     * Gradient checkpointing (rematerialization): computes {@code f(inputs)} keeping only the
     * inputs, not the graph inside {@code f}, and runs {@code f} again during the backward pass to
     * get its gradients. It trades a second forward computation of {@code f} for the memory of its
     * intermediate results; checkpointing each block of a deep network keeps one activation per
     * block instead of every intermediate one.
     *
     * <p>The forward runs {@code f} under {@link #noGrad()}. The backward runs it again with
     * recording on, on detached copies of the inputs, and back-propagates the output's gradient
     * through that fresh graph, which is dropped when it is done. For deterministic ops the
     * gradients are bitwise those of calling {@code f} directly. When the outer pass records
     * ({@code createGraph}), the gradients are themselves recomputing ops, so second and higher
     * derivatives work through a checkpoint too (each order recomputes {@code f} once more).
     *
     * <p>{@code f} must be a pure function of its inputs: every tensor that needs a gradient,
     * parameters included, must come in through {@code inputs} (the backward refuses, naming its
     * shape, a tensor that requires grad which {@code f} reached another way), and it must compute
     * the same thing every time (random dropout masks must come from a generator in the same
     * state, or from an input). It may run on any thread that runs the backward pass. When grad
     * mode is off, or no input requires grad, {@code f} simply runs as it is.
     *
     * <pre>{@code
     * Tensor h = x;
     * for (int i = 0; i < depth; i++) {
     *     h = Autograd.checkpoint(in -> in.get(0).matmul(in.get(1)).add(in.get(2)).tanh(), List.of(h, w[i], b[i]));
     * }
     * }</pre>
     *
     * @param f the function to checkpoint; its result's gradient flows back to the inputs
     * @param inputs the tensors {@code f} reads (the list is copied)
     * @return {@code f(inputs)}, recorded as one op whose backward recomputes {@code f}
     * @throws IllegalArgumentException if {@code f}, {@code inputs} or an input is null
     */
    public static Tensor checkpoint(java.util.function.Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        if (f == null) {
            throw new IllegalArgumentException("checkpoint: f is null");
        }
        if (inputs == null) {
            throw new IllegalArgumentException("checkpoint: inputs is null");
        }
        Tensor[] in = new Tensor[inputs.size()];
        boolean anyGrad = false;
        for (int i = 0; i < in.length; i++) {
            in[i] = inputs.get(i);
            if (in[i] == null) {
                throw new IllegalArgumentException("checkpoint: input " + i + " is null");
            }
            anyGrad |= in[i].requiresGrad();
        }
        if (!anyGrad || !isGradEnabled()) {
            return f.apply(List.of(in));
        }
        return new Recompute(f, in.length).apply(in);
    }

    /**
     * The value of a function and its directional derivative (a Jacobian-vector product).
     *
     * @param value f(x)
     * @param tangent J(x) t, of the value's shape
     */
    public record Jvp(Tensor value, Tensor tangent) {
    }

    /**
     * The value of a function of one input and its vector-Jacobian product.
     *
     * @param value f(x)
     * @param gradient c^T J(x), of the input's shape
     */
    public record Vjp(Tensor value, Tensor gradient) {
    }

    /**
     * The value of a function of several inputs and its vector-Jacobian products, one per input.
     *
     * @param value f(x_1, ..., x_k)
     * @param gradients c^T d f / d x_i for each input, of that input's shape
     */
    public record Vjps(Tensor value, List<Tensor> gradients) {
    }

    /**
     * The Jacobian of {@code f} at {@code x}: entry {@code [i..., j...]} is
     * {@code d f(x)[i...] / d x[j...]}. Forward mode (one pass with a batch of x.size() tangents)
     * when x has fewer elements than f(x), else reverse mode (one backward pass through one
     * recorded forward, carrying all f(x).size() cotangent directions as a batch; one pass per
     * element of f(x) when x requires grad); either way f runs once or twice.
     *
     * @param f the function
     * @param x the point
     * @return a tensor of shape {@code f(x).shape ++ x.shape}
     */
    public static Tensor jacobian(Function<Tensor, Tensor> f, Tensor x) {
        return Functional.jacobian("jacobian", one(f), List.of(nonNull("jacobian", x))).get(0);
    }

    /**
     * The Jacobians of a function of several inputs, one per input.
     *
     * @param f the function, given the inputs in order
     * @param xs the point
     * @return for each input i, a tensor of shape {@code f(xs).shape ++ xs[i].shape}
     */
    public static List<Tensor> jacobian(Function<List<Tensor>, Tensor> f, List<Tensor> xs) {
        return Functional.jacobian("jacobian", f, xs);
    }

    /**
     * The Hessian of a scalar function at {@code x}, forward over reverse: the gradient's backward
     * pass runs once, inside one forward-mode pass that carries all x.size() directions as a batch.
     *
     * @param f a function returning a single element
     * @param x the point
     * @return the second derivatives, of shape {@code x.shape ++ x.shape}
     */
    public static Tensor hessian(Function<Tensor, Tensor> f, Tensor x) {
        return Functional.hessian("hessian", one(f), List.of(nonNull("hessian", x))).get(0).get(0);
    }

    /**
     * The Hessian blocks of a scalar function of several inputs.
     *
     * @param f a function returning a single element
     * @param xs the point
     * @return block {@code [i][j]} of shape {@code xs[i].shape ++ xs[j].shape}
     */
    public static List<List<Tensor>> hessian(Function<List<Tensor>, Tensor> f, List<Tensor> xs) {
        return Functional.hessian("hessian", f, xs);
    }

    /**
     * The Hessian-vector product {@code H(x) v} of a scalar function, without forming H: one
     * forward and one backward pass carrying one tangent (forward over reverse).
     *
     * @param f a function returning a single element
     * @param x the point
     * @param v the vector, of x's shape
     * @return H(x) v, of x's shape
     */
    public static Tensor hvp(Function<Tensor, Tensor> f, Tensor x, Tensor v) {
        return Functional.hvp("hvp", one(f), List.of(nonNull("hvp", x)), List.of(nonNull("hvp", v))).get(0);
    }

    /**
     * The Hessian-vector product of a scalar function of several inputs: for each input i,
     * {@code sum_j H_ij v_j}.
     *
     * @param f a function returning a single element
     * @param xs the point
     * @param vs one vector per input, of its shape
     * @return one product per input, of its shape
     */
    public static List<Tensor> hvp(Function<List<Tensor>, Tensor> f, List<Tensor> xs, List<Tensor> vs) {
        return Functional.hvp("hvp", f, xs, vs);
    }

    /**
     * The value and the directional derivative {@code J(x) t}, in forward mode: one pass that
     * carries the tangent next to the value through every op's tangent rule; no graph is kept and
     * no backward pass runs (ops without a tangent rule of their own take two reverse passes).
     *
     * @param f the function
     * @param x the point
     * @param tangent the direction, of x's shape
     * @return f(x) and J(x) t
     */
    public static Jvp jvp(Function<Tensor, Tensor> f, Tensor x, Tensor tangent) {
        return Functional.jvp("jvp", one(f), List.of(nonNull("jvp", x)), List.of(nonNull("jvp", tangent)));
    }

    /**
     * The value and {@code sum_i J_i t_i} of a function of several inputs, in forward mode.
     *
     * @param f the function
     * @param xs the point
     * @param tangents one direction per input, of its shape
     * @return the value and the directional derivative
     */
    public static Jvp jvp(Function<List<Tensor>, Tensor> f, List<Tensor> xs, List<Tensor> tangents) {
        return Functional.jvp("jvp", f, xs, tangents);
    }

    /**
     * The value and the vector-Jacobian product {@code c^T J(x)}: one recorded forward and one
     * backward pass.
     *
     * @param f the function
     * @param x the point
     * @param cotangent the vector, of f(x)'s shape
     * @return f(x) and c^T J(x), of x's shape
     */
    public static Vjp vjp(Function<Tensor, Tensor> f, Tensor x, Tensor cotangent) {
        Vjps r = Functional.vjp("vjp", one(f), List.of(nonNull("vjp", x)), cotangent);
        return new Vjp(r.value(), r.gradients().get(0));
    }

    /**
     * The value and the vector-Jacobian products of a function of several inputs.
     *
     * @param f the function
     * @param xs the point
     * @param cotangent the vector, of the value's shape
     * @return the value and one product per input
     */
    public static Vjps vjp(Function<List<Tensor>, Tensor> f, List<Tensor> xs, Tensor cotangent) {
        return Functional.vjp("vjp", f, xs, cotangent);
    }

    private static Function<List<Tensor>, Tensor> one(Function<Tensor, Tensor> f) {
        if (f == null) {
            throw new IllegalArgumentException("function is null");
        }
        return xs -> f.apply(xs.get(0));
    }

    private static Tensor nonNull(String op, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": tensor is null");
        }
        return t;
    }

    /**
     * Switches recording off on this thread until the scope closes: ops still compute, but build no
     * graph and their results do not require grad. Scopes nest.
     *
     * @return the scope to close
     */
    public static Scope noGrad() {
        ThreadState s = state();
        s.noGrad++;
        return scope(s, () -> s.noGrad--);
    }

    /**
     * Switches recording back on on this thread until the scope closes, inside a {@link #noGrad()}
     * scope or an op's forward or backward (which run unrecorded): for example a custom op whose
     * backward differentiates a graph of its own with {@link #grad}. When the scope closes, the
     * mode before it returns.
     *
     * @return the scope to close
     */
    public static Scope enableGrad() {
        ThreadState s = state();
        int saved = s.noGrad;
        s.noGrad = 0;
        return scope(s, () -> s.noGrad = saved);
    }

    /**
     * Anomaly detection on this thread until the scope closes: the first op whose forward output or
     * backward gradient holds NaN or infinity throws {@link ArithmeticException} naming the op and
     * the line of user code that created it. Slower (it captures a call site per op).
     *
     * @return the scope to close
     */
    public static Scope detectAnomaly() {
        ThreadState s = state();
        s.anomaly++;
        return scope(s, () -> s.anomaly--);
    }

    /** Whether ops on this thread are being recorded now. */
    public static boolean isGradEnabled() {
        return state().noGrad == 0;
    }

    private static Scope scope(ThreadState s, Runnable exit) {
        Thread owner = Thread.currentThread();
        return new Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (closed) {
                    return;
                }
                if (Thread.currentThread() != owner) {
                    throw new IllegalStateException("Autograd.Scope: closed on thread " + Thread.currentThread().getName()
                            + " but opened on " + owner.getName() + "; modes are per thread");
                }
                closed = true;
                exit.run();
            }
        };
    }

    /**
     * Runs an op's forward and records it when grad mode is on and some input requires grad.
     * {@code owned} says the caller made {@code inputs} for this call alone (the varargs array of a
     * built-in op); another array is copied, since its owner may change it afterwards.
     *
     * <p>NOTE: kept under C2's hot-method inlining limit (FreqInlineSize, 325 bytecodes) so that it
     * inlines into each op's call site, where {@code op.forward} then has one receiver and inlines
     * too; the checks that throw live in the methods below.
     */
    static Tensor apply(CustomOp op, Tensor[] inputs, boolean owned) {
        ThreadState s = state();
        if (s.trace != null) {
            return StepTrace.traced(op, inputs, owned, s);
        }
        boolean anyGrad = checkInputs(op, inputs);
        // Fibonacci hashing: consecutive nodes of a thread land on distinct bits of a pass's bit set
        Node node = anyGrad && s.noGrad == 0 ? new Node(op, owned ? inputs : inputs.clone(), ++s.nodes * 0x9E3779B9) : null;
        if (s.forwardLevel != 0 && s.tangentRule == 0) {
            return ForwardMode.apply(op, owned ? inputs : inputs.clone(), node, s);
        }
        Tensor out;
        s.noGrad++;
        try {
            out = op.forward(node != null ? node : Node.DISCARD, inputs);
        } finally {
            s.noGrad--;
        }
        if (out == null || s.anomaly > 0) {
            checkForward(op, out, s);
        }
        return node == null ? out : record(out, node, inputs, s);
    }

    /**
     * Refuses a null op, input array or input.
     *
     * @return whether any input requires grad
     */
    private static boolean checkInputs(CustomOp op, Tensor[] inputs) {
        if (op == null) {
            throw new IllegalArgumentException("apply: op is null");
        }
        if (inputs == null) {
            throw new IllegalArgumentException(op.name() + ": inputs array is null");
        }
        boolean anyGrad = false;
        boolean float32 = false;
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = inputs[i];
            if (t == null) {
                throw new IllegalArgumentException(op.name() + ": input " + i + " is null");
            }
            anyGrad |= t.requiresGrad();
            boolean f = t.array().isFloat32();
            if (i == 0) {
                float32 = f;
            } else if (f != float32) {
                throw mixedDtypes(op, inputs);
            }
        }
        return anyGrad;
    }

    private static IllegalArgumentException mixedDtypes(CustomOp op, Tensor[] inputs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < inputs.length; i++) {
            sb.append(i == 0 ? "" : ", ").append("input ").append(i).append(' ').append(inputs[i].dtype())
                    .append(Arrays.toString(inputs[i].shape()));
        }
        return new IllegalArgumentException(op.name() + ": cannot mix float32 and float64 tensors (" + sb
                + "); convert one with to(DType.FLOAT32) or to(DType.FLOAT64)");
    }

    static void checkForward(CustomOp op, Tensor out, ThreadState s) {
        if (out == null) {
            throw new IllegalStateException(op.name() + ": forward returned null");
        }
        if (s.anomaly > 0 && s.inBackward == 0 && !Elementwise.allFinite(out.value())) {
            throw new ArithmeticException(op.name() + ": forward produced NaN or infinity (output shape "
                    + Arrays.toString(out.shape()) + ") at " + callSite());
        }
    }

    /** Attaches {@code node} to the forward's result (to a fresh tensor if the result is not a new, unrecorded one). */
    static Tensor record(Tensor out, Node node, Tensor[] inputs, ThreadState s) {
        if (out.node() != null || out.requiresGrad() || isOneOf(out, inputs)) {
            out = Tensor.over(out.value());
        }
        if (s.anomaly > 0) {
            node.site = callSite();
        }
        out.attach(node);
        return out;
    }

    private static boolean isOneOf(Tensor t, Tensor[] ts) {
        for (Tensor x : ts) {
            if (x == t) {
                return true;
            }
        }
        return false;
    }

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static final java.net.URL CORE_LOCATION = location(Autograd.class);

    private static java.net.URL location(Class<?> c) {
        java.security.CodeSource cs = c.getProtectionDomain().getCodeSource();
        return cs == null ? null : cs.getLocation();
    }

    /** The first stack frame outside Adjoint's core classes: the user's line that created an op. */
    static String callSite() {
        return WALKER.walk(frames -> frames
                .filter(f -> CORE_LOCATION == null
                        ? !f.getClassName().startsWith("dev.adjoint.core.")
                        : !CORE_LOCATION.equals(location(f.getDeclaringClass())))
                .findFirst()
                .map(StackWalker.StackFrame::toStackTraceElement)
                .map(StackTraceElement::toString)
                .orElse("unknown location"));
    }
}
