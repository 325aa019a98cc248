package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A lookup table of {@code count} vectors of size {@code dim}, as PyTorch's {@code Embedding}:
 * the input holds whole numbers (as doubles) in {@code [0, count)}, of any shape {@code S}, and the
 * output has shape {@code S ++ [dim]}. Looked up with {@link Tensor#indexSelect(int, int...)}, so
 * the weight's gradient accumulates over repeated indices. Parameter {@code weight [count, dim]}.
 */
public final class Embedding implements Layer {
    private final int count;
    private final int dim;
    private final Tensor weight;

    /**
     * @param count the number of vectors, positive
     * @param dim the size of each, positive
     * @param init fills the weight, with fan-in {@code count} and fan-out {@code dim} (PyTorch draws
     *     from a standard normal: {@code Init.normal(0, 1, rng)})
     */
    public Embedding(int count, int dim, Init init) {
        if (count <= 0 || dim <= 0) {
            throw new IllegalArgumentException("Embedding: count and dim must be positive, got count " + count + ", dim " + dim);
        }
        if (init == null) {
            throw new IllegalArgumentException("Embedding: init is null");
        }
        this.count = count;
        this.dim = dim;
        this.weight = init.parameter(count, dim, count, dim);
    }

    @Override
    public Tensor forward(Tensor indices) {
        double[] v = indices.toArray();
        int[] rows = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] >= 0 && v[i] < count) || v[i] != Math.rint(v[i])) {
                throw new IllegalArgumentException("Embedding: index " + v[i] + " at position " + i + " is not a whole number in [0, "
                        + count + ")");
            }
            rows[i] = (int) v[i];
        }
        int[] shape = Arrays.copyOf(indices.shape(), indices.rank() + 1);
        shape[indices.rank()] = dim;
        return weight.indexSelect(0, rows).reshape(shape);
    }

    /**
     * The table {@code [count, dim]}.
     *
     * @return the weight
     */
    public Tensor weight() {
        return weight;
    }

    @Override
    public List<Tensor> parameters() {
        return List.of(weight);
    }

    @Override
    public Map<String, Tensor> namedParameters() {
        return Map.of("weight", weight);
    }

    @Override
    public String toString() {
        return "Embedding(" + count + ", " + dim + ")";
    }
}
