package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Base of the optimizers: holds the parameters and the learning rate, and runs the update of each
 * parameter in place through {@link Tensor#modify}, the version-counted mutator, so a graph built
 * before {@link #step()} can no longer be back-propagated (core refuses, naming "modified").
 *
 * <p>A step reads each gradient with {@link Tensor#copyTo} into one reusable scratch array and
 * calls {@link #update} once per parameter with the parameter's buffer: no allocation per step
 * after the first (which creates the optimizer state, as PyTorch does lazily). Parameters whose
 * {@code grad()} is {@code null} are skipped, and their state does not advance (as in PyTorch).
 */
public abstract class Optimizer {
    private final String name;
    private final List<Tensor> parameters;
    /** The same parameters as an array: the per-step loops read it (no list wrapper, no bounds-check call). */
    private final Tensor[] params;
    private final Slot[] slots;
    private final double[] gradient;
    private double learningRate;

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
        this.gradient = new double[largest];
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
            g.copyTo(gradient);
            p.modify(slots[i]);
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
     * Updates one parameter in place.
     *
     * @param index the parameter's position in {@link #parameters()}
     * @param param the parameter's row-major buffer, exactly {@code size} long, to overwrite
     * @param grad the gradient, row-major; only the first {@code size} elements are meaningful
     * @param size the number of elements
     */
    protected abstract void update(int index, double[] param, double[] grad, int size);

    /**
     * The optimizer's per-parameter state, for {@link Checkpoint}: by PyTorch's state names
     * ({@code "exp_avg"}, {@code "momentum_buffer"}), the live array of arrays indexed by parameter
     * position, whose entry stays {@code null} until the first step that creates it. The default
     * is none (plain SGD).
     *
     * @return the state arrays by name; a checkpoint saves the non-null entries and restores them
     */
    protected Map<String, double[][]> stateArrays() {
        return Map.of();
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

    /** Calls {@link #update} for one parameter; one per parameter, made once, so a step allocates nothing. */
    private final class Slot implements Consumer<double[]> {
        private final int index;

        Slot(int index) {
            this.index = index;
        }

        @Override
        public void accept(double[] param) {
            update(index, param, gradient, param.length);
        }
    }
}
