package dev.adjoint.nn;

import dev.adjoint.core.DType;
import dev.adjoint.core.ParallelLoops;
import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Base of the optimizers: holds the parameters and the learning rate, and runs the update of each
 * parameter in place through {@link Tensor#modify} (or {@link Tensor#modifyFloats} for a float32
 * one), the version-counted mutators, so a graph built before {@link #step()} can no longer be
 * back-propagated (core refuses, naming "modified").
 *
 * <p>A step reads each gradient with {@link Tensor#copyTo} into one reusable scratch array and
 * calls {@link #update} once per parameter with the parameter's buffer: no allocation per step
 * after the first (which creates the optimizer state, as PyTorch does lazily). Parameters whose
 * {@code grad()} is {@code null} are skipped, and their state does not advance (as in PyTorch).
 *
 * <p><b>Dtypes.</b> Each parameter's state ({@link State}) has the parameter's dtype: {@code float[]}
 * for a float32 parameter, half the bytes. A rule is written on {@code double} arrays
 * ({@link #update}), which a float64 parameter's buffer and state are handed to whole. A float32
 * parameter goes to {@link #updateFloats} with its float buffer, its float state and its gradient
 * read as floats. The built-in optimizers override it with the same rule generated for float
 * arrays ({@code FloatUpdateRules}), computed in float32 as PyTorch computes a float32 parameter's
 * update: each result is within a few float32 rounding errors of the float64 rule's on the same
 * inputs. Its default runs {@link #update} on chunks of {@value #CHUNK} elements widened to double
 * (parameter, gradient, state) and rounds them back, so a rule written only for doubles is
 * computed in float64 and stored in float32. A rule must therefore be elementwise: element
 * {@code i}'s update reads only element {@code i} of each array and the scalars {@link #begin}
 * computed.
 *
 * <p><b>Threads.</b> A rule that says so ({@link #updatesInParts()}: SGD, Adam, AdamW, RMSprop)
 * updates a large parameter in ranges on the threads of the large matrix products
 * ({@link ParallelLoops}; a few small task objects per such parameter and step). Each element is
 * computed as on one thread, so the thread count changes no bit.
 */
public abstract class Optimizer {
    private final String name;
    private final List<Tensor> parameters;
    /** The same parameters as an array: the per-step loops read it (no list wrapper, no bounds-check call). */
    private final Tensor[] params;
    private final Slot[] slots;
    /** The length of the largest parameter: the size of the gradient scratch. */
    private final int largest;
    /** The gradient of the parameter being updated, as doubles (float64 parameters), made on first use. */
    private double[] gradient;
    /** The gradient of the parameter being updated, as floats (float32 parameters), made on first use. */
    private float[] floatGradient;
    private final Map<String, State> states = new LinkedHashMap<>();
    private double learningRate;

    /** The length of the chunks a float32 parameter is widened in. */
    static final int CHUNK = 512;
    /** Per thread, the chunks of a float32 parameter's range updated in parts: parameter, gradient, states. */
    private static final ThreadLocal<double[][]> FLOAT_SCRATCH = ThreadLocal.withInitial(() -> new double[0][]);

    /**
     * @param name the optimizer's name, for error messages
     * @param parameters the tensors to optimize: leaves that require grad, each at most once
     * @param learningRate the learning rate, finite and non-negative
     */
    protected Optimizer(String name, List<Tensor> parameters, double learningRate) {
        this.name = name;
        if (parameters == null) {
            throw new IllegalArgumentException(name + ": parameter list is null");
        }
        List<Tensor> copy = new ArrayList<>(parameters.size());
        Map<Tensor, Integer> positions = new IdentityHashMap<>();
        int largest = 0;
        for (int i = 0; i < parameters.size(); i++) {
            Tensor p = parameters.get(i);
            if (p == null) {
                throw new IllegalArgumentException(name + ": parameter " + i + " is null");
            }
            if (!p.isLeaf() || !p.requiresGrad()) {
                throw new IllegalArgumentException(name + ": parameter " + i + " of shape " + Arrays.toString(p.shape())
                        + " must be a leaf that requires grad");
            }
            Integer earlier = positions.putIfAbsent(p, i);
            if (earlier != null) {
                throw new IllegalArgumentException(name + ": parameter " + i + " is the same tensor as parameter " + earlier
                        + "; list each parameter once");
            }
            copy.add(p);
            largest = Math.max(largest, p.size());
        }
        this.parameters = Collections.unmodifiableList(copy);
        this.params = copy.toArray(new Tensor[0]);
        this.slots = new Slot[copy.size()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(i);
        }
        this.largest = largest;
        setLearningRate(learningRate);
    }

    /**
     * The parameters, in order; unmodifiable.
     * @return the parameters
     */
    public final List<Tensor> parameters() {
        return parameters;
    }

    /**
     * The current learning rate.
     *
     * @return the current learning rate
     */
    public final double learningRate() {
        return learningRate;
    }

    /**
     * Changes the learning rate (learning-rate schedules use this).
     *
     * @param learningRate the new rate, finite and non-negative
     */
    public final void setLearningRate(double learningRate) {
        this.learningRate = nonNegative("learning rate", learningRate);
    }

    /** Zeroes every parameter's gradient (in place; parameters without one are left alone). */
    public final void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }

    /**
     * Updates every parameter that has a gradient, once. Everything that can be refused (the
     * hyper-parameters, the gradients' shapes) is checked before the first parameter changes, so a
     * refused step changes nothing.
     *
     * <p>The gradients' values are not checked: a NaN or infinite gradient is applied as it is (as
     * in PyTorch) and spoils the parameters and the optimizer's state. {@link Trainer} refuses such
     * a step before calling this; a hand-written loop can do the same with
     * {@link GradientClipping#globalNorm}, one read of the gradients.
     *
     * @throws IllegalStateException if the hyper-parameters conflict or a gradient's shape does not
     *     match its parameter's (then no parameter is changed)
     */
    public final void step() {
        validate();
        for (int i = 0; i < slots.length; i++) {
            Tensor p = params[i];
            Tensor g = p.grad();
            if (g != null && g.size() != p.size()) {
                throw new IllegalStateException(name + ": gradient of shape " + Arrays.toString(g.shape())
                        + " does not match parameter " + i + " of shape " + Arrays.toString(p.shape())
                        + "; no parameter was changed");
            }
        }
        for (int i = 0; i < slots.length; i++) {
            Tensor p = params[i];
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            if (p.dtype() == DType.FLOAT32) {
                if (floatGradient == null) {
                    floatGradient = new float[largest];
                }
                g.copyTo(floatGradient);
                p.modifyFloats(slots[i].floats);
            } else {
                if (gradient == null) {
                    gradient = new double[largest];
                }
                g.copyTo(gradient);
                p.modify(slots[i]);
            }
        }
    }

    /**
     * Checks that the hyper-parameters are consistent with each other, before each step; the
     * default accepts everything.
     *
     * @throws IllegalStateException naming the optimizer and the conflict
     */
    protected void validate() {
    }

    /**
     * Starts one parameter's update, once per step before {@link #update}: advance its counters and
     * compute the step's scalars here (a float32 parameter's {@code update} runs once per chunk).
     * The default uses no state.
     *
     * @param index the parameter's position in {@link #parameters()}
     * @return the states {@code update} reads and writes, in the order it receives them; an entry
     *     may be {@code null} (then so is the array {@code update} gets). A state the parameter has
     *     not got yet is created, zero-filled, in the parameter's dtype.
     */
    protected State[] begin(int index) {
        return NO_STATES;
    }

    /**
     * The update rule, elementwise: updates {@code param[0..n)} in place from {@code grad[0..n)}
     * and the state arrays. For a float64 parameter the arrays are its whole buffer and state; for a
     * float32 one they are widened chunks, rounded back afterwards (see the class comment).
     *
     * @param index the parameter's position in {@link #parameters()}
     * @param param the parameter's elements, to overwrite
     * @param grad the gradient's elements; only the first {@code n} are meaningful
     * @param state the arrays of the states {@link #begin} returned, in its order
     * @param n the number of elements
     */
    protected abstract void update(int index, double[] param, double[] grad, double[][] state, int n);

    /**
     * Whether the rule may run on parts of a parameter at once, on several threads: then a large
     * parameter's elements are split into ranges ({@link ParallelLoops}) and each range goes to
     * {@link #update(int, double[], double[], double[][], int, int)}. Only for a rule that is
     * elementwise and writes nothing but element i of its arrays (no fields): the result is then
     * the same for any thread count. The default is false: one call per parameter, on the calling
     * thread.
     *
     * @return whether {@code update} may run on ranges, concurrently
     */
    protected boolean updatesInParts() {
        return false;
    }

    /**
     * The update rule on the elements [from, to) of the arrays, for a rule that {@link #updatesInParts()};
     * concurrent calls get disjoint ranges. The default, for rules that do not, takes the whole
     * array only: {@code update(index, param, grad, state, to)} with from 0.
     *
     * @param index the parameter's position in {@link #parameters()}
     * @param param the parameter's elements (or a float32 parameter's widened chunk)
     * @param grad the gradient's elements
     * @param state the arrays of the states {@link #begin} returned, in its order
     * @param from the first element to update
     * @param to one past the last
     * @throws IllegalStateException if the rule does not update in parts and the range is not from 0
     */
    protected void update(int index, double[] param, double[] grad, double[][] state, int from, int to) {
        if (from != 0) {
            throw new IllegalStateException(name + ": the update rule takes whole arrays only (updatesInParts() is false), got the range ["
                    + from + ", " + to + ")");
        }
        update(index, param, grad, state, to);
    }

    /**
     * The update rule for a float32 parameter, on the elements [from, to) of its float arrays
     * (the whole arrays, from 0, unless the rule {@link #updatesInParts()}; then concurrent calls
     * get disjoint ranges). The default widens chunks of {@value #CHUNK} elements (parameter,
     * gradient, states) to double, runs {@link #update(int, double[], double[], double[][], int)}
     * on each, and rounds the results back: the rule computed in float64, stored in float32. A
     * rule may override it to compute in float32 directly (the built-in optimizers do).
     *
     * @param index the parameter's position in {@link #parameters()}
     * @param param the parameter's float32 buffer, to overwrite
     * @param grad the gradient's elements as floats
     * @param state the float arrays of the states {@link #begin} returned, in its order (entries may be null)
     * @param from the first element to update
     * @param to one past the last
     */
    protected void updateFloats(int index, float[] param, float[] grad, float[][] state, int from, int to) {
        double[][] scratch = FLOAT_SCRATCH.get();
        if (scratch.length < 2 + state.length) {
            scratch = new double[2 + state.length][CHUNK];
            FLOAT_SCRATCH.set(scratch);
        }
        double[][] chunks = new double[state.length][];
        for (int k = 0; k < state.length; k++) {
            chunks[k] = state[k] == null ? null : scratch[2 + k];
        }
        double[] paramChunk = scratch[0];
        double[] gradChunk = scratch[1];
        for (int start = from; start < to; start += CHUNK) {
            int len = Math.min(CHUNK, to - start);
            DType.widen(param, start, paramChunk, 0, len);
            DType.widen(grad, start, gradChunk, 0, len);
            for (int k = 0; k < state.length; k++) {
                if (state[k] != null) {
                    DType.widen(state[k], start, chunks[k], 0, len);
                }
            }
            update(index, paramChunk, gradChunk, chunks, len);
            DType.narrow(paramChunk, 0, param, start, len);
            for (int k = 0; k < state.length; k++) {
                if (state[k] != null) {
                    DType.narrow(chunks[k], 0, state[k], start, len);
                }
            }
        }
    }

    /**
     * Registers a per-parameter state under PyTorch's name ({@code "exp_avg"}, {@code "momentum_buffer"}),
     * for subclass constructors: what {@link Checkpoint} saves and restores.
     *
     * @param stateName the state's name
     * @return the state, empty for every parameter
     */
    protected final State state(String stateName) {
        State s = new State(stateName, params.length);
        if (states.putIfAbsent(stateName, s) != null) {
            throw new IllegalArgumentException(name + ": state " + stateName + " registered twice");
        }
        return s;
    }

    /**
     * The optimizer's per-parameter states by PyTorch's name, in registration order: what a
     * {@link Checkpoint} saves (the entries a parameter has) and restores.
     *
     * @return the live states, unmodifiable
     */
    final Map<String, State> stateArrays() {
        return Collections.unmodifiableMap(states);
    }

    /**
     * The bytes the optimizer's state takes (its arrays' elements, 4 or 8 bytes each by dtype), not
     * counting the fixed scratch: half as much for a float32 model as for a float64 one.
     *
     * @return the bytes of state
     */
    public final long stateBytes() {
        long bytes = 0;
        for (State s : states.values()) {
            for (int i = 0; i < params.length; i++) {
                bytes += s.bytes(i);
            }
        }
        return bytes;
    }

    /**
     * The optimizer's per-parameter step counters by PyTorch's names ({@code "step"}), for
     * {@link Checkpoint}; live arrays indexed by parameter position. The default is none.
     *
     * @return the counters by name
     */
    protected Map<String, int[]> stateCounters() {
        return Map.of();
    }

    /**
     * Checks that a hyper-parameter is a finite number {@code >= 0}, for subclasses.
     *
     * @param what the hyper-parameter's name
     * @param value its value
     * @return {@code value}
     * @throws IllegalArgumentException naming the optimizer, the hyper-parameter and the value
     */
    protected final double nonNegative(String what, double value) {
        if (!(value >= 0 && value < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(name + ": " + what + " must be a finite number >= 0, got " + value);
        }
        return value;
    }

    /**
     * Checks that a hyper-parameter lies in {@code [0, 1)} (momentum-like decay factors), for
     * subclasses.
     *
     * @param what the hyper-parameter's name
     * @param value its value
     * @return {@code value}
     * @throws IllegalArgumentException naming the optimizer, the hyper-parameter and the value
     */
    protected final double unitInterval(String what, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(name + ": " + what + " must be in [0, 1), got " + value);
        }
        return value;
    }

    /**
     * The optimizer's name ({@code "Adam"}, {@code "SGD"}): what a {@link Checkpoint} records to
     * refuse loading one optimizer's state into another.
     *
     * @return the optimizer's name
     */
    public final String name() {
        return name;
    }

    private static final State[] NO_STATES = new State[0];

    /** Calls {@link #update} for one parameter; one per parameter, made once, so a step allocates nothing. */
    private final class Slot implements Consumer<double[]> {
        private final int index;
        /** The arrays handed to the rule, reused from step to step (a step allocates nothing). */
        private double[][] arrays = new double[0][];
        private float[][] stored = new float[0][];
        /** The float32 path as a consumer, made once. */
        final Consumer<float[]> floats = this::acceptFloats;

        Slot(int index) {
            this.index = index;
        }

        @Override
        public void accept(double[] param) {
            State[] used = begin(index);
            if (arrays.length != used.length) {
                arrays = new double[used.length][];
            }
            for (int k = 0; k < used.length; k++) {
                arrays[k] = used[k] == null ? null : used[k].doubles(index, param.length);
            }
            // the length test first: a short parameter's step allocates no lambda
            if (param.length >= ParallelLoops.MIN_LENGTH && updatesInParts()) {
                double[][] states = arrays;
                ParallelLoops.forRange(param.length, (from, to) -> update(index, param, gradient, states, from, to));
            } else {
                update(index, param, gradient, arrays, param.length);
            }
        }

        void acceptFloats(float[] param) {
            State[] used = begin(index);
            int n = param.length;
            if (stored.length != used.length) {
                stored = new float[used.length][];
            }
            for (int k = 0; k < used.length; k++) {
                stored[k] = used[k] == null ? null : used[k].floats(index, n);
            }
            float[] grad = floatGradient;
            if (n >= ParallelLoops.MIN_LENGTH && updatesInParts()) {
                float[][] kept = stored;
                ParallelLoops.forRange(n, (from, to) -> updateFloats(index, param, grad, kept, from, to));
            } else {
                updateFloats(index, param, grad, stored, 0, n);
            }
        }
    }

    /**
     * One per-parameter state of an optimizer ({@code exp_avg}, {@code momentum_buffer}): for each
     * parameter, nothing yet, or an array of the parameter's size in the parameter's dtype
     * ({@code double[]} or {@code float[]}).
     */
    protected static final class State {
        private final String name;
        private final Object[] arrays;

        State(String name, int parameters) {
            this.name = name;
            this.arrays = new Object[parameters];
        }

        /**
         * The state's name.
         *
         * @return the PyTorch name
         */
        public String name() {
            return name;
        }

        /**
         * Whether parameter {@code index} has this state yet (it is made on the first step that uses it).
         *
         * @param index the parameter's position
         * @return whether it has the state
         */
        public boolean has(int index) {
            return arrays[index] != null;
        }

        /** The float64 array of parameter {@code index}, made zero-filled if absent (or widened, if float32). */
        double[] doubles(int index, int n) {
            Object a = arrays[index];
            if (a instanceof double[] d) {
                return d;
            }
            double[] d = new double[n];
            if (a instanceof float[] f) {
                for (int i = 0; i < n; i++) {
                    d[i] = f[i];
                }
            }
            arrays[index] = d;
            return d;
        }

        /** The float32 array of parameter {@code index}, made zero-filled if absent (or rounded, if float64). */
        float[] floats(int index, int n) {
            Object a = arrays[index];
            if (a instanceof float[] f) {
                return f;
            }
            float[] f = new float[n];
            if (a instanceof double[] d) {
                DType.narrow(d, 0, f, 0, n);
            }
            arrays[index] = f;
            return f;
        }

        /** The values of parameter {@code index} widened to double (a copy), or null if it has none. */
        double[] values(int index) {
            Object a = arrays[index];
            if (a instanceof float[] f) {
                double[] d = new double[f.length];
                DType.widen(f, 0, d, 0, f.length);
                return d;
            }
            return a == null ? null : ((double[]) a).clone();
        }

        /** The dtype of parameter {@code index}'s array, or null if it has none. */
        DType dtype(int index) {
            Object a = arrays[index];
            return a == null ? null : a instanceof float[] ? DType.FLOAT32 : DType.FLOAT64;
        }

        /** Sets parameter {@code index}'s values, stored in {@code dtype} (rounded to float for float32). */
        void set(int index, double[] values, DType dtype) {
            if (dtype == DType.FLOAT32) {
                float[] f = new float[values.length];
                DType.narrow(values, 0, f, 0, f.length);
                arrays[index] = f;
            } else {
                arrays[index] = values.clone();
            }
        }

        void clear() {
            Arrays.fill(arrays, null);
        }

        /** The bytes of parameter {@code index}'s array: its length times 4 or 8. */
        long bytes(int index) {
            Object a = arrays[index];
            if (a instanceof float[] f) {
                return 4L * f.length;
            }
            return a == null ? 0 : 8L * ((double[]) a).length;
        }
    }
}
