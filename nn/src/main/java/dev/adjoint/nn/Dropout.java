package dev.adjoint.nn;

import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Inverted dropout. In training mode (the default, as in PyTorch) each element is zeroed with
 * probability {@code p} and the survivors are scaled by {@code 1 / (1 - p)}, so the expected output
 * equals the input; in evaluation mode ({@code train(false)}) the layer is the identity. No
 * parameters.
 */
public final class Dropout implements Layer {
    private final double p;
    private final RandomGenerator rng;
    private boolean training = true;
    /** How many numbers this layer has drawn from its generator: what a resumed run replays. */
    private long draws;

    /**
     * Dropout drawing its masks from {@code rng}, and from nothing else: the layer keeps the
     * generator and takes {@code x.size()} doubles from it on every training-mode forward pass
     * with {@code p > 0}, so a seeded generator gives the same masks on every run. Layers may share
     * one generator (they then draw in turn; generators such as {@link java.util.SplittableRandom}
     * are not thread-safe) or each get their own, e.g. a {@code split()} of one: two layers with
     * equally seeded generators of their own drop the same positions.
     *
     * <p>There is deliberately no {@code Dropout(p)} without a generator: a hidden default would
     * either be shared mutable state or give every dropout layer the same masks.
     *
     * @param p the probability of zeroing an element, in [0, 1)
     * @param rng the source of the masks
     */
    public Dropout(double p, RandomGenerator rng) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        }
        if (rng == null) {
            throw new IllegalArgumentException("Dropout: random generator is null");
        }
        this.p = p;
        this.rng = rng;
    }

    /**
     * The drop probability.
     *
     * @return the drop probability
     */
    public double p() {
        return p;
    }

    /**
     * Whether the layer is in training mode.
     *
     * @return whether the layer is in training mode
     */
    public boolean isTraining() {
        return training;
    }

    @Override
    public void train(boolean training) {
        this.training = training;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("Dropout: input is null");
        }
        if (!training || p == 0) {
            return x;
        }
        // the mask is an op of its own (on a detached x: it has no gradient), so that a
        // RecordedStep draws a new one on every replay, as an eager step does
        return x.mul(mask.apply(x.detach()));
    }

    /** Draws a mask of its input's shape and dtype: 0 with probability p, else 1 / (1 - p). */
    private final CustomOp mask = new CustomOp() {
        @Override
        public String name() {
            return "dropoutMask";
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            double keep = 1.0 / (1.0 - p);
            double[] m = new double[in[0].size()];
            for (int i = 0; i < m.length; i++) {
                m[i] = rng.nextDouble() < p ? 0.0 : keep;
            }
            draws += m.length;
            return Tensor.of(m, in[0].shape()).to(in[0].dtype());
        }

        // never reached: the input does not require grad
        @Override
        public Tensor[] backward(Context ctx, Tensor gradOutput) {
            return new Tensor[] {null};
        }

        @Override
        public boolean retainsGradients() {
            return false;
        }
    };

    /**
     * How many numbers this layer has drawn from its generator so far.
     *
     * @return the count
     */
    public long draws() {
        return draws;
    }

    /**
     * Advances the generator until this layer has drawn {@code count} numbers in all, as it had at
     * a saved point of a run: a {@link Trainer} resuming a run calls this, so that a fresh layer with
     * an equally seeded generator goes on with the saved run's masks.
     *
     * @param count the saved count, at least {@link #draws()}
     * @throws IllegalStateException if this layer has drawn more already
     */
    public void replayTo(long count) {
        if (count < draws) {
            throw new IllegalStateException("Dropout: cannot replay to " + count + " draws; this layer has drawn " + draws
                    + " already (resume into a fresh layer with an equally seeded generator)");
        }
        for (; draws < count; draws++) {
            rng.nextDouble();
        }
    }

    /**
     * No parameters: this layer has none.
     *
     * @return an empty list
     */
    @Override
    public List<Tensor> parameters() {
        return List.of();
    }

    @Override
    public String toString() {
        return "Dropout(" + p + ")";
    }
}
