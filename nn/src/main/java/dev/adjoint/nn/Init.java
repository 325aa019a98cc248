package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * A weight initializer: fills a tensor of a given shape from the fan-in and fan-out of the layer
 * it belongs to. {@link Linear} passes {@code fanIn = in} and {@code fanOut = out} for both its
 * weight and its bias ({@link #bias}); the He initializers keep biases at zero, as Keras's
 * {@code he_uniform} layers and most references do (PyTorch's {@code kaiming_*} functions touch
 * weights only).
 *
 * <p>The scaled schemes follow PyTorch's {@code torch.nn.init} (gain 1 for Xavier, gain
 * &radic;2 for He, i.e. {@code kaiming_*} with {@code a = 0}, {@code mode = "fan_in"}):
 * <ul>
 *   <li>{@link #xavierUniform}: U(-b, b), b = &radic;(6 / (fanIn + fanOut))</li>
 *   <li>{@link #xavierNormal}: N(0, s&sup2;), s = &radic;(2 / (fanIn + fanOut))</li>
 *   <li>{@link #heUniform}: U(-b, b), b = &radic;(6 / fanIn); biases zero</li>
 *   <li>{@link #heNormal}: N(0, s&sup2;), s = &radic;(2 / fanIn); biases zero</li>
 *   <li>{@link #fanInUniform}: U(-b, b), b = 1 / &radic;fanIn (PyTorch's default for Linear)</li>
 * </ul>
 * All randomness comes from the generator passed in, so a seeded generator gives reproducible
 * weights.
 */
@FunctionalInterface
public interface Init {

    /**
     * Overwrites {@code values} (the row-major elements of a tensor of {@code shape}).
     *
     * @param values the elements to fill, {@code values.length} = product of {@code shape}
     * @param shape the tensor's dimensions
     * @param fanIn the number of inputs of the layer
     * @param fanOut the number of outputs of the layer
     */
    void fill(double[] values, int[] shape, int fanIn, int fanOut);

    /**
     * A new leaf of {@code shape} filled by this initializer, requiring grad (a parameter).
     *
     * @param fanIn the number of inputs of the layer
     * @param fanOut the number of outputs of the layer
     * @param shape the dimensions
     * @return the parameter
     */
    default Tensor parameter(int fanIn, int fanOut, int... shape) {
        if (fanIn <= 0 || fanOut <= 0) {
            throw new IllegalArgumentException("Init: fan-in and fan-out must be positive, got " + fanIn + " and " + fanOut);
        }
        if (shape == null) {
            throw new IllegalArgumentException("Init: shape is null");
        }
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("Init: negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.min(n * d, (long) Integer.MAX_VALUE + 1);
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Init: shape " + Arrays.toString(shape) + " has more elements than a Java array holds");
        }
        double[] values = new double[(int) n];
        fill(values, shape.clone(), fanIn, fanOut);
        return Tensor.of(values, shape).requiresGrad(true);
    }

    /**
     * A layer's bias of {@code size} elements. By default filled like the weights
     * ({@link #parameter}); the He initializers leave biases at zero.
     *
     * @param fanIn the number of inputs of the layer
     * @param fanOut the number of outputs of the layer
     * @param size the number of bias elements
     * @return the bias parameter
     */
    default Tensor bias(int fanIn, int fanOut, int size) {
        return parameter(fanIn, fanOut, size);
    }

    /**
     * Every element {@code value}.
     *
     * @param value the constant
     * @return the initializer
     */
    static Init constant(double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("Init.constant: value must be finite, got " + value);
        }
        return (values, shape, fanIn, fanOut) -> Arrays.fill(values, value);
    }

    /**
     * Uniform samples in [low, high).
     *
     * @param low the lower bound
     * @param high the upper bound, above {@code low}
     * @param rng the source of randomness
     * @return the initializer
     */
    static Init uniform(double low, double high, RandomGenerator rng) {
        requireRng("uniform", rng);
        if (!Double.isFinite(low) || !Double.isFinite(high) || !(low < high) || !Double.isFinite(high - low)) {
            throw new IllegalArgumentException("Init.uniform: need finite low < high with a finite width high - low, got low "
                    + low + ", high " + high);
        }
        return (values, shape, fanIn, fanOut) -> fillUniform(values, low, high, rng);
    }

    /**
     * Normal samples with the given mean and standard deviation.
     *
     * @param mean the mean
     * @param std the standard deviation, at least 0
     * @param rng the source of randomness
     * @return the initializer
     */
    static Init normal(double mean, double std, RandomGenerator rng) {
        requireRng("normal", rng);
        if (!Double.isFinite(mean) || !Double.isFinite(std) || std < 0) {
            throw new IllegalArgumentException("Init.normal: need a finite mean and a finite std >= 0, got mean " + mean
                    + ", std " + std);
        }
        return (values, shape, fanIn, fanOut) -> fillNormal(values, mean, std, rng);
    }

    /**
     * Glorot/Xavier uniform: U(-b, b) with b = &radic;(6 / (fanIn + fanOut)).
     *
     * @param rng the source of randomness
     * @return the initializer
     */
    static Init xavierUniform(RandomGenerator rng) {
        requireRng("xavierUniform", rng);
        return (values, shape, fanIn, fanOut) -> {
            double b = Math.sqrt(6.0 / (fanIn + fanOut));
            fillUniform(values, -b, b, rng);
        };
    }

    /**
     * Glorot/Xavier normal: N(0, s&sup2;) with s = &radic;(2 / (fanIn + fanOut)).
     *
     * @param rng the source of randomness
     * @return the initializer
     */
    static Init xavierNormal(RandomGenerator rng) {
        requireRng("xavierNormal", rng);
        return (values, shape, fanIn, fanOut) -> fillNormal(values, 0, Math.sqrt(2.0 / (fanIn + fanOut)), rng);
    }

    /**
     * He/Kaiming uniform for ReLU networks: U(-b, b) with b = &radic;(6 / fanIn).
     *
     * @param rng the source of randomness
     * @return the initializer
     */
    static Init heUniform(RandomGenerator rng) {
        requireRng("heUniform", rng);
        return new ZeroBias((values, shape, fanIn, fanOut) -> {
            double b = Math.sqrt(6.0 / fanIn);
            fillUniform(values, -b, b, rng);
        });
    }

    /**
     * He/Kaiming normal for ReLU networks: N(0, s&sup2;) with s = &radic;(2 / fanIn).
     *
     * @param rng the source of randomness
     * @return the initializer
     */
    static Init heNormal(RandomGenerator rng) {
        requireRng("heNormal", rng);
        return new ZeroBias((values, shape, fanIn, fanOut) -> fillNormal(values, 0, Math.sqrt(2.0 / fanIn), rng));
    }

    /**
     * An initializer whose biases start at zero. He initialisation scales the weights so that a
     * ReLU layer keeps its input's variance; random biases of the same scale would switch whole
     * units off on every input before training starts (a bias below -|w.x| for all x).
     */
    record ZeroBias(Init weights) implements Init {
        @Override
        public void fill(double[] values, int[] shape, int fanIn, int fanOut) {
            weights.fill(values, shape, fanIn, fanOut);
        }

        @Override
        public Tensor bias(int fanIn, int fanOut, int size) {
            return Tensor.zeros(size).requiresGrad(true);
        }
    }

    /**
     * U(-b, b) with b = 1 / &radic;fanIn: what PyTorch's {@code nn.Linear} uses for its weight and
     * bias by default, and what {@link Linear#Linear(int, int)} uses.
     *
     * @param rng the source of randomness
     * @return the initializer
     */
    static Init fanInUniform(RandomGenerator rng) {
        requireRng("fanInUniform", rng);
        return (values, shape, fanIn, fanOut) -> {
            double b = 1.0 / Math.sqrt(fanIn);
            fillUniform(values, -b, b, rng);
        };
    }

    private static void requireRng(String name, RandomGenerator rng) {
        if (rng == null) {
            throw new IllegalArgumentException("Init." + name + ": random generator is null");
        }
    }

    private static void fillUniform(double[] values, double low, double high, RandomGenerator rng) {
        double width = high - low;
        for (int i = 0; i < values.length; i++) {
            // low + width * u rounds up to high for u close to 1: keep the interval half-open
            double v = low + width * rng.nextDouble();
            values[i] = v < high ? v : Math.nextDown(high);
        }
    }

    private static void fillNormal(double[] values, double mean, double std, RandomGenerator rng) {
        for (int i = 0; i < values.length; i++) {
            values[i] = mean + std * rng.nextGaussian();
        }
    }
}
