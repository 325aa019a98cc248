package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

/**
 * Inverted dropout. In training mode (the default, as in PyTorch) each element is zeroed with
 * probability {@code p} and the survivors are scaled by {@code 1 / (1 - p)}, so the expected output
 * equals the input; in evaluation mode ({@code train(false)}) the layer is the identity. No
 * parameters.
 */
public final class Dropout implements Layer {
    /** Seed of the generators used when none is given; mixed with a construction counter. */
    static final long DEFAULT_SEED = 0x0D20_0A17L;
    private static final AtomicLong CREATED = new AtomicLong();

    private final double p;
    private final RandomGenerator rng;
    private boolean training = true;

    /**
     * Dropout drawing its masks from a {@link SplittableRandom} seeded from a fixed constant and
     * the number of {@code Dropout}s created before it in this JVM: two dropout layers never share
     * masks, and a program that builds its layers in the same order gets the same masks on every
     * run. Use {@link #Dropout(double, RandomGenerator)} to choose the generator.
     *
     * @param p the probability of zeroing an element, in [0, 1)
     */
    public Dropout(double p) {
        this(p, new SplittableRandom(DEFAULT_SEED + 0x9E3779B97F4A7C15L * CREATED.getAndIncrement()));
    }

    /**
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

    /** @return the drop probability */
    public double p() {
        return p;
    }

    /** @return whether the layer is in training mode */
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
        double keep = 1.0 / (1.0 - p);
        double[] mask = new double[x.size()];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = rng.nextDouble() < p ? 0.0 : keep;
        }
        return x.mul(Tensor.of(mask, x.shape()));
    }

    /** @return an empty list */
    @Override
    public List<Tensor> parameters() {
        return List.of();
    }

    @Override
    public String toString() {
        return "Dropout(" + p + ")";
    }
}
