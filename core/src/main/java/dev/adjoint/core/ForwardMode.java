package dev.adjoint.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Forward-mode differentiation: dual tensors. While a forward-mode pass runs on a thread (it has a
 * level, a number no other pass has), every op applied to inputs of which some carry a tangent of
 * that level computes its output's tangent with its tangent rule ({@link CustomOp#jvp}) right after
 * its forward, and the output carries it. Nothing is recorded for it and nothing is kept: a tensor
 * the pass no longer uses is garbage together with its tangent.
 *
 * <p>A tangent has its tensor's shape, or that shape behind leading batch axes: a batch of
 * directions carried through one pass (the Jacobian and Hessian use it). Ops run inside a tangent
 * rule or inside an op's forward do not propagate tangents (their own tangents would be
 * derivatives of the rule). The backward pass's formulas are ops like any other, so a gradient
 * computed inside a forward-mode pass carries its tangent too: forward over reverse.
 */
final class ForwardMode {
    private ForwardMode() {
    }

    /** A tangent and the level of the pass it belongs to. */
    record Dual(long level, Tensor tangent) {
    }

    private static final AtomicLong LEVELS = new AtomicLong(1);

    /** Tangent-rule fallbacks taken on this thread: tests check that no built-in op takes one. */
    static final ThreadLocal<long[]> FALLBACKS = ThreadLocal.withInitial(() -> new long[1]);

    /** A forward-mode level entered on this thread until closed; the previous one returns then. */
    static final class Level implements Autograd.Scope {
        final long level;
        private final long previous;
        private final int previousTangentRule;
        private final Autograd.ThreadState state;
        private boolean closed;

        private Level(Autograd.ThreadState state) {
            this.state = state;
            this.previous = state.forwardLevel;
            this.previousTangentRule = state.tangentRule;
            this.level = LEVELS.getAndIncrement();
            state.forwardLevel = level;
            // a pass started inside a tangent rule (where the outer pass is suspended) propagates its own tangents
            state.tangentRule = 0;
        }

        /**
         * Gives {@code t} a tangent in this level: a new tensor sharing t's value (and, when t
         * requires grad and grad mode is on, connected to t's graph), so that t itself never changes.
         */
        Tensor dual(Tensor t, Tensor tangent) {
            Tensor d;
            state.tangentRule++;
            try {
                d = t.requiresGrad() && Autograd.isGradEnabled() ? ALIAS.apply(t) : Tensor.over(t.value());
            } finally {
                state.tangentRule--;
            }
            if (tangent != null) {
                d.dual = new Dual(level, tangent);
            }
            return d;
        }

        /** A leaf over t's value that requires grad and carries {@code tangent}. */
        Tensor leaf(Tensor t, Tensor tangent) {
            Tensor d = Tensor.over(t.value()).requiresGrad(true);
            if (tangent != null) {
                d.dual = new Dual(level, tangent);
            }
            return d;
        }

        /** The tangent {@code t} carries in this level, or null. */
        Tensor tangent(Tensor t) {
            return ForwardMode.tangent(t, level);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                state.forwardLevel = previous;
                state.tangentRule = previousTangentRule;
            }
        }
    }

    /**
     * Enters a new level on this thread.
     *
     * @return the level, to close
     */
    static Level enter() {
        return new Level(Autograd.state());
    }

    /** Whether a forward-mode pass is running on this thread (outside tangent rules). */
    static boolean active() {
        Autograd.ThreadState s = Autograd.state();
        return s.forwardLevel != 0 && s.tangentRule == 0;
    }

    static Tensor tangent(Tensor t, long level) {
        Dual d = t.dual;
        return d != null && d.level() == level ? d.tangent() : null;
    }

    /**
     * A tensor of its own with t's value, on t's graph (and carrying t's tangent in a running
     * forward-mode pass).
     */
    static Tensor alias(Tensor t) {
        return ALIAS.apply(t);
    }

    /** The identity, recorded: a tensor of its own, on the graph of its input. */
    private static final CustomOp ALIAS = new CustomOp() {
        @Override
        public Tensor forward(Context ctx, Tensor... inputs) {
            return Tensor.over(inputs[0].value());
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor gradOutput) {
            return new Tensor[] {gradOutput};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] inputs, Tensor[] tangents, Tensor output) {
            return tangents[0];
        }

        @Override
        public boolean retainsGradients() {
            return false;
        }

        @Override
        public String name() {
            return "alias";
        }
    };

    /**
     * {@link Autograd#apply}'s path while a forward-mode pass runs: the forward (which propagates
     * nothing itself), the recording, then the tangent rule when an input carries a tangent.
     */
    static Tensor apply(CustomOp op, Tensor[] inputs, Node node, Autograd.ThreadState s) {
        Context ctx = node != null ? node : new SavedTensors(op);
        Tensor out;
        s.noGrad++;
        s.tangentRule++;
        try {
            out = op.forward(ctx, inputs);
        } finally {
            s.noGrad--;
            s.tangentRule--;
        }
        if (out == null || s.anomaly > 0) {
            Autograd.checkForward(op, out, s);
        }
        long level = s.forwardLevel;
        if (node != null) {
            out = Autograd.record(out, node, inputs, s);
        } else if (out.dual != null || out.requiresGrad() || isOneOf(out, inputs)) {
            out = Tensor.over(out.value());
        }
        Tensor[] tangents = null;
        Tensor first = null;
        int firstIndex = -1;
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = tangent(inputs[i], level);
            if (t != null) {
                if (tangents == null) {
                    tangents = new Tensor[inputs.length];
                    first = t;
                    firstIndex = i;
                }
                tangents[i] = t;
            }
        }
        if (tangents == null) {
            return out;
        }
        Tensor result;
        s.tangentRule++;
        try {
            result = op.jvp(ctx, inputs, tangents, out);
        } finally {
            s.tangentRule--;
        }
        if (result != null) {
            checkTangent(op, result, out, first, inputs[firstIndex]);
            out.dual = new Dual(level, result);
        }
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

    /** Refuses a tangent whose shape is not the output's behind the inputs' batch axes. */
    private static void checkTangent(CustomOp op, Tensor result, Tensor out, Tensor inputTangent, Tensor input) {
        int batch = inputTangent.value().rank() - input.value().rank();
        if (batch == 0 && Arrays.equals(result.value().shapeView(), out.value().shapeView())) {
            return;
        }
        int[] expected = batchShape(inputTangent, batch, out.shape());
        if (!Arrays.equals(result.shape(), expected)) {
            throw new IllegalStateException(op.name() + ": jvp returned a tangent of shape " + Arrays.toString(result.shape())
                    + " for an output of shape " + Arrays.toString(out.shape()) + "; expected " + Arrays.toString(expected)
                    + (batch > 0 ? " (the output's shape behind " + batch + " batch axes)" : ""));
        }
    }

    /** The first {@code batch} axes of {@code t}'s shape followed by {@code shape}. */
    static int[] batchShape(Tensor t, int batch, int[] shape) {
        int[] s = new int[batch + shape.length];
        System.arraycopy(t.shape(), 0, s, 0, batch);
        System.arraycopy(shape, 0, s, batch, shape.length);
        return s;
    }

    /**
     * The tangent rule of an op without one: {@code J t = d/du [(J^T u) . t]} at u = 0, two reverse
     * passes after a recorded forward; a batch of tangents takes one such round per direction.
     */
    static Tensor reverseJvp(CustomOp op, Tensor[] inputs, Tensor[] tangents) {
        FALLBACKS.get()[0]++;
        int batch = -1;
        for (int i = 0; i < inputs.length; i++) {
            if (tangents[i] != null) {
                batch = tangents[i].rank() - inputs[i].rank();
                break;
            }
        }
        if (batch < 0) {
            return null;
        }
        if (batch > 0) {
            int directions = -1;
            for (Tensor t : tangents) {
                if (t != null) {
                    directions = t.shape()[0];
                }
            }
            List<Tensor> rows = new ArrayList<>(directions);
            for (int d = 0; d < directions; d++) {
                Tensor[] row = new Tensor[tangents.length];
                for (int i = 0; i < row.length; i++) {
                    row[i] = tangents[i] == null ? null : tangents[i].select(0, d);
                }
                rows.add(reverseJvp(op, inputs, row));
            }
            return Tensor.stack(rows, 0);
        }
        try (Autograd.Scope on = Autograd.enableGrad()) {
            Tensor[] xs = new Tensor[inputs.length];
            List<Tensor> wrt = new ArrayList<>();
            List<Tensor> directions = new ArrayList<>();
            for (int i = 0; i < inputs.length; i++) {
                xs[i] = Tensor.over(inputs[i].value());
                if (tangents[i] != null) {
                    xs[i].requiresGrad(true);
                    wrt.add(xs[i]);
                    directions.add(tangents[i]);
                }
            }
            Tensor y = Autograd.apply(op, xs, true);
            Tensor u = Tensor.zeros(y.dtype(), y.shape()).requiresGrad(true);
            if (!y.requiresGrad()) {
                return Tensor.zeros(y.dtype(), y.shape());
            }
            List<Tensor> vjps = Autograd.grad(y, u, wrt, true);
            Tensor dot = null;
            for (int j = 0; j < vjps.size(); j++) {
                Tensor term = vjps.get(j).mul(directions.get(j)).sum();
                dot = dot == null ? term : dot.add(term);
            }
            if (!dot.requiresGrad()) {
                return Tensor.zeros(y.dtype(), y.shape());
            }
            return Autograd.grad(dot, List.of(u), false).get(0);
        }
    }

    /**
     * The context of an op run unrecorded in a forward-mode pass: its tangent rule may read what it
     * saved. The first two saved tensors are kept inline (most ops save one or two).
     */
    private static final class SavedTensors implements Context {
        private final CustomOp op;
        private Tensor first;
        private Tensor second;
        private List<Tensor> more;
        private int count;

        SavedTensors(CustomOp op) {
            this.op = op;
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
            for (Tensor t : tensors) {
                keep(t);
            }
        }

        @Override
        public void save(Tensor tensor) {
            save(new Tensor[] {tensor});
        }

        @Override
        public void save(Tensor a, Tensor b) {
            if (a == null || b == null) {
                throw new IllegalArgumentException(op.name() + ": cannot save a null tensor (argument " + (a == null ? 0 : 1) + ")");
            }
            keep(a);
            keep(b);
        }

        private void keep(Tensor t) {
            if (count == 0) {
                first = t;
            } else if (count == 1) {
                second = t;
            } else {
                if (more == null) {
                    more = new ArrayList<>(2);
                }
                more.add(t);
            }
            count++;
        }

        @Override
        public Tensor saved(int index) {
            if (index < 0 || index >= count) {
                throw new IllegalArgumentException(op.name() + ": saved index " + index + " out of range; " + count + " saved");
            }
            return index == 0 ? first : index == 1 ? second : more.get(index - 2);
        }
    }
}
