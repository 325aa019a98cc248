package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * A fully connected layer: {@code y = x.matmul(W) + b}, with the weight {@code W} of shape
 * {@code [in, out]} and the bias {@code b} of shape {@code [out]}. The input may be a single example
 * {@code [in]} or any batch {@code [..., in]}; the output replaces the last axis with {@code out}.
 */
public final class Linear implements Layer {
    /** The fixed seed behind {@link #Linear(int, int)} and {@link MLP#of(int...)}. */
    static final long DEFAULT_SEED = 0x5DEECE66DL;

    private final int in;
    private final int out;
    private final Tensor weight;
    private final Tensor bias;

    /**
     * A layer whose weight and bias are both filled by {@code init} with fan-in {@code in} and
     * fan-out {@code out}; {@code Init.constant(1)} gives an all-ones layer.
     *
     * @param in the number of input features, positive
     * @param out the number of output features, positive
     * @param init the initializer for weight and bias
     */
    public Linear(int in, int out, Init init) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear: in and out features must be positive, got in " + in + ", out " + out);
        }
        if (init == null) {
            throw new IllegalArgumentException("Linear: init is null");
        }
        if ((long) in * out > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Linear: in " + in + " x out " + out + " = " + (long) in * out
                    + " weights, more than a Java array holds");
        }
        this.in = in;
        this.out = out;
        this.weight = init.parameter(in, out, in, out);
        this.bias = init.bias(in, out, out);
    }

    /**
     * A layer with PyTorch's default initialization, weight and bias uniform in
     * {@code [-1/sqrt(in), 1/sqrt(in))} ({@link Init#fanInUniform}), drawn from {@code rng}.
     *
     * @param in the number of input features, positive
     * @param out the number of output features, positive
     * @param rng the source of the initial weights and bias
     */
    public Linear(int in, int out, RandomGenerator rng) {
        this(in, out, Init.fanInUniform(requireRng(rng)));
    }

    /**
     * A layer with PyTorch's default initialization ({@link Init#fanInUniform}) drawn from a
     * <b>fixed seed derived from the shape</b>. It is exactly
     * <pre>{@code
     * new Linear(in, out, new SplittableRandom(0x5DEECE66DL ^ (31L * in + out) * 0x9E3779B97F4A7C15L))
     * }</pre>
     *
     * <p>So the weights depend on {@code (in, out)} alone: every {@code new Linear(in, out)} of the
     * same shape, in this program or any other run, starts with <b>identical</b> weights (two
     * {@code Linear(16, 16)} layers of one network are equal copies at the start). Nothing is
     * shared between calls and no global state is read or changed. Unlike PyTorch, the result does
     * not depend on a global seed or on how many layers were built before. For your own randomness
     * use {@link #Linear(int, int, RandomGenerator)} or {@link #Linear(int, int, Init)}.
     *
     * @param in the number of input features, positive
     * @param out the number of output features, positive
     */
    public Linear(int in, int out) {
        this(in, out, defaultGenerator(in, out));
    }

    /** The generator {@link #Linear(int, int)} draws from, made afresh for every call. */
    static RandomGenerator defaultGenerator(int in, int out) {
        return new SplittableRandom(DEFAULT_SEED ^ (31L * in + out) * 0x9E3779B97F4A7C15L);
    }

    private static RandomGenerator requireRng(RandomGenerator rng) {
        if (rng == null) {
            throw new IllegalArgumentException("Linear: random generator is null");
        }
        return rng;
    }

    /**
     * The weight, shape {@code [in, out]}.
     * @return the weight parameter
     */
    public Tensor weight() {
        return weight;
    }

    /**
     * The bias, shape {@code [out]}.
     * @return the bias parameter
     */
    public Tensor bias() {
        return bias;
    }

    /**
     * The number of input features.
     *
     * @return the number of input features
     */
    public int inFeatures() {
        return in;
    }

    /**
     * The number of output features.
     *
     * @return the number of output features
     */
    public int outFeatures() {
        return out;
    }

    /**
     * {@code x.matmul(weight).add(bias)}.
     *
     * @param x input of shape {@code [in]} or {@code [..., in]}
     * @return output of shape {@code [out]} or {@code [..., out]}
     * @throws IllegalArgumentException if the last axis of {@code x} is not {@code in}
     */
    @Override
    public Tensor forward(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("Linear: input is null");
        }
        if (x.rank() == 0 || x.dim(-1) != in) {
            throw new IllegalArgumentException("Linear: expected input with " + in + " features in its last axis, got shape "
                    + Arrays.toString(x.shape()));
        }
        return x.affine(weight, bias);
    }

    /**
     * The trainable tensors, in checkpoint order.
     *
     * @return weight, then bias
     */
    @Override
    public List<Tensor> parameters() {
        return List.of(weight, bias);
    }

    /**
     * The parameters by PyTorch's names.
     *
     * @return {@code "weight"} (shape [in, out]; PyTorch stores the transpose, see {@link SafeTensors})
     *     and {@code "bias"}
     */
    @Override
    public Map<String, Tensor> namedParameters() {
        return Layers.weightAndBias(weight, bias);
    }

    @Override
    public String toString() {
        return "Linear(" + in + ", " + out + ")";
    }
}
