package dev.adjoint.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Builds multi-layer perceptrons: {@link Linear} layers of the given sizes with an activation
 * between them, as a {@link Sequential}.
 *
 * <pre>{@code
 * Sequential classifier = MLP.of(new int[] {2, 16, 16, 2}, ReLU::new, Init.heUniform(new SplittableRandom(1)));
 * Sequential seed = MLP.of(new int[] {2, 3, 3, 2}, Sigmoid::new, Sigmoid::new, Init.constant(1));
 * }</pre>
 */
public final class MLP {
    private MLP() {
    }

    /**
     * {@code Linear(sizes[0], sizes[1]), ReLU, ..., Linear(sizes[n-2], sizes[n-1])} with PyTorch's
     * default initialization, the output left linear (logits). <b>Deterministic:</b> every layer
     * draws in turn from one generator made afresh for this call,
     * {@code new SplittableRandom(0x5DEECE66DL)}, so the same sizes always give the same network
     * (in every run; no global state is read or changed) and its layers differ from each other.
     * It is exactly
     * <pre>{@code
     * MLP.of(sizes, ReLU::new, Init.fanInUniform(new SplittableRandom(0x5DEECE66DL)))
     * }</pre>
     * Pass your own generator that way to choose the randomness.
     *
     * @param sizes the layer widths, input first, at least two
     * @return the network
     */
    public static Sequential of(int... sizes) {
        return build(sizes, ReLU::new, null, Init.fanInUniform(new SplittableRandom(Linear.DEFAULT_SEED)));
    }

    /**
     * Linear layers filled by {@code init}, with a fresh {@code activation} after every layer but
     * the last; the output is left linear (logits).
     *
     * @param sizes the layer widths, input first, at least two
     * @param activation makes the activation layer between two Linear layers
     * @param init fills every Linear layer's weight and bias (a seeded generator inside it gives
     *     different, reproducible values per layer)
     * @return the network
     */
    public static Sequential of(int[] sizes, Supplier<? extends Layer> activation, Init init) {
        return of(sizes, activation, null, init);
    }

    /**
     * Like {@link #of(int[], Supplier, Init)}, with {@code outputActivation} after the last layer.
     *
     * @param sizes the layer widths, input first, at least two
     * @param activation makes the activation layer between two Linear layers
     * @param outputActivation makes the layer after the last Linear, or {@code null} for none
     * @param init fills every Linear layer's weight and bias
     * @return the network
     */
    public static Sequential of(int[] sizes, Supplier<? extends Layer> activation, Supplier<? extends Layer> outputActivation,
            Init init) {
        if (init == null) {
            throw new IllegalArgumentException("MLP: init is null");
        }
        return build(sizes, activation, outputActivation, init);
    }

    private static Sequential build(int[] sizes, Supplier<? extends Layer> activation, Supplier<? extends Layer> outputActivation,
            Init init) {
        if (sizes == null || sizes.length < 2) {
            throw new IllegalArgumentException("MLP: needs at least an input and an output size, got "
                    + Arrays.toString(sizes));
        }
        if (activation == null) {
            throw new IllegalArgumentException("MLP: activation is null");
        }
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i + 1 < sizes.length; i++) {
            if (sizes[i] <= 0 || sizes[i + 1] <= 0) {
                throw new IllegalArgumentException("MLP: sizes must be positive, got " + Arrays.toString(sizes));
            }
            layers.add(new Linear(sizes[i], sizes[i + 1], init));
            boolean last = i + 2 == sizes.length;
            Supplier<? extends Layer> next = last ? outputActivation : activation;
            if (next != null) {
                Layer a = next.get();
                if (a == null) {
                    throw new IllegalArgumentException("MLP: the activation supplier returned null");
                }
                layers.add(a);
            }
        }
        return new Sequential(layers.toArray(new Layer[0]));
    }
}
