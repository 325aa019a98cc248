package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A small in-memory data set: rows of input features with either target rows (regression, binary
 * targets) or class labels (classification). Immutable: the arrays are copied in.
 *
 * <pre>{@code
 * Dataset data = Dataset.of(inputs, labels);
 * for (Batch b : data.batches(32, new SplittableRandom(7))) { ... }   // one shuffled epoch
 * }</pre>
 */
public final class Dataset {
    private final int size;
    private final int inputWidth;
    private final int targetWidth;
    private final double[] inputs;
    private final double[] targets;
    private final int[] labels;

    private Dataset(int size, int inputWidth, int targetWidth, double[] inputs, double[] targets, int[] labels) {
        this.size = size;
        this.inputWidth = inputWidth;
        this.targetWidth = targetWidth;
        this.inputs = inputs;
        this.targets = targets;
        this.labels = labels;
    }

    /**
     * Inputs with target rows.
     *
     * @param inputs one row of features per example, all of the same positive width
     * @param targets one target row per example, all of the same positive width
     * @return the data set
     */
    public static Dataset of(double[][] inputs, double[][] targets) {
        int n = rows("inputs", inputs);
        if (targets == null || targets.length != n) {
            throw new IllegalArgumentException("Dataset: " + (targets == null ? "targets is null" : targets.length
                    + " target rows for " + n + " input rows"));
        }
        return new Dataset(n, inputs[0].length, width("targets", targets), flatten("inputs", inputs),
                flatten("targets", targets), null);
    }

    /**
     * Inputs with class labels.
     *
     * @param inputs one row of features per example, all of the same positive width
     * @param labels one class label (&gt;= 0) per example
     * @return the data set
     */
    public static Dataset of(double[][] inputs, int[] labels) {
        int n = rows("inputs", inputs);
        if (labels == null || labels.length != n) {
            throw new IllegalArgumentException("Dataset: " + (labels == null ? "labels is null" : labels.length
                    + " labels for " + n + " input rows"));
        }
        double[] asNumbers = new double[n];
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("Dataset: label " + labels[i] + " at row " + i + " is negative");
            }
            asNumbers[i] = labels[i];
        }
        return new Dataset(n, inputs[0].length, 0, flatten("inputs", inputs), asNumbers, labels.clone());
    }

    private static int rows(String what, double[][] rows) {
        if (rows == null || rows.length == 0) {
            throw new IllegalArgumentException("Dataset: " + what + " must hold at least one row");
        }
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] == null) {
                throw new IllegalArgumentException("Dataset: " + what + " row " + i + " is null");
            }
        }
        return rows.length;
    }

    private static int width(String what, double[][] rows) {
        if (rows[0] == null || rows[0].length == 0) {
            throw new IllegalArgumentException("Dataset: " + what + " rows must not be empty");
        }
        return rows[0].length;
    }

    private static double[] flatten(String what, double[][] rows) {
        int w = width(what, rows);
        long cells = (long) rows.length * w;
        if (cells > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Dataset: " + rows.length + " rows of " + w + " " + what
                    + " are more values than a Java array holds");
        }
        double[] flat = new double[(int) cells];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] == null || rows[i].length != w) {
                throw new IllegalArgumentException("Dataset: " + what + " row " + i + " has "
                        + (rows[i] == null ? "no values" : rows[i].length + " values") + " but row 0 has " + w);
            }
            System.arraycopy(rows[i], 0, flat, i * w, w);
        }
        return flat;
    }

    /**
     * The number of examples.
     *
     * @return the number of examples
     */
    public int size() {
        return size;
    }

    /**
     * The number of input features.
     *
     * @return the number of input features
     */
    public int inputWidth() {
        return inputWidth;
    }

    /**
     * Whether the data set holds class labels.
     *
     * @return whether the data set holds class labels
     */
    public boolean hasLabels() {
        return labels != null;
    }

    /**
     * The examples at {@code indices}, in that order.
     *
     * @param indices row numbers, each in {@code [0, size())}
     * @return the batch
     */
    public Batch batch(int[] indices) {
        if (indices == null || indices.length == 0) {
            throw new IllegalArgumentException("Dataset: a batch needs at least one index");
        }
        int b = indices.length;
        int[] rows = indices.clone();
        double[] x = new double[b * inputWidth];
        int tw = labels == null ? targetWidth : 1;
        double[] y = new double[b * tw];
        int[] l = labels == null ? null : new int[b];
        for (int k = 0; k < b; k++) {
            int i = rows[k];
            if (i < 0 || i >= size) {
                throw new IllegalArgumentException("Dataset: index " + i + " is out of range for " + size + " examples");
            }
            System.arraycopy(inputs, i * inputWidth, x, k * inputWidth, inputWidth);
            System.arraycopy(targets, i * tw, y, k * tw, tw);
            if (l != null) {
                l[k] = labels[i];
            }
        }
        Tensor targetTensor = labels == null ? Tensor.of(y, b, targetWidth) : Tensor.of(y, b);
        return new Batch(Tensor.of(x, b, inputWidth), targetTensor, l, rows);
    }

    /**
     * The whole data set as one batch.
     *
     * @return every example, in order, as one batch
     */
    public Batch all() {
        int[] all = new int[size];
        for (int i = 0; i < size; i++) {
            all[i] = i;
        }
        return batch(all);
    }

    /**
     * One epoch of mini-batches, using a {@link Batcher}.
     *
     * @param batchSize the batch size (the last batch may be smaller), positive
     * @param rng the shuffling source, or {@code null} to keep the order
     * @return the batches, covering every example exactly once
     */
    public List<Batch> batches(int batchSize, RandomGenerator rng) {
        int[][] epoch = new Batcher(size, batchSize, rng).nextEpoch();
        List<Batch> out = new ArrayList<>(epoch.length);
        for (int[] indices : epoch) {
            out.add(batch(indices));
        }
        return out;
    }
}
