package dev.adjoint.nn;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
    /** The inputs of a float64 data set, row after row; null for float32. */
    private final double[] inputs;
    /** The inputs of a float32 data set, row after row; null for float64. */
    private final float[] floatInputs;
    private final double[] targets;
    private final int[] labels;
    /** The name of each class, by label; null when the data set has none (or no labels). */
    private final List<String> classNames;

    private Dataset(int size, int inputWidth, int targetWidth, double[] inputs, double[] targets, int[] labels) {
        this(size, inputWidth, targetWidth, inputs, null, targets, labels, null);
    }

    /** Exactly one of {@code inputs} (float64) and {@code floatInputs} (float32) is non-null: the batches' dtype. */
    private Dataset(int size, int inputWidth, int targetWidth, double[] inputs, float[] floatInputs, double[] targets,
            int[] labels, List<String> classNames) {
        this.size = size;
        this.inputWidth = inputWidth;
        this.targetWidth = targetWidth;
        this.inputs = inputs;
        this.floatInputs = floatInputs;
        this.targets = targets;
        this.labels = labels;
        this.classNames = classNames;
    }

    /** A labelled data set over arrays this class owns (not copied). */
    static Dataset labelled(int size, int inputWidth, double[] inputs, int[] labels, List<String> classNames) {
        double[] asNumbers = new double[size];
        for (int i = 0; i < size; i++) {
            asNumbers[i] = labels[i];
        }
        return new Dataset(size, inputWidth, 0, inputs, null, asNumbers, labels,
                classNames == null ? null : List.copyOf(classNames));
    }

    /**
     * Reads images and labels in the IDX format of MNIST and Fashion-MNIST, gzip-compressed or
     * plain (told apart by their first bytes). Each image becomes one row of {@code rows * cols}
     * inputs scaled from 0..255 to [0, 1], so a batch is {@code [n, rows * cols]}; a convolutional
     * network reshapes it to {@code [n, 1, rows, cols]}. Labels become classes.
     *
     * <p>The files are untrusted: a wrong magic number, counts that disagree between the two files,
     * a truncated or over-long file and a label above 254 are each an {@link IOException} naming the
     * file and the problem. Memory grows with the data actually read, never with what a header claims.
     *
     * @param images an {@code idx3-ubyte} file (magic 0x00000803)
     * @param labels an {@code idx1-ubyte} file (magic 0x00000801)
     * @return the labelled data set
     * @throws IOException if a file cannot be read or is not valid IDX
     */
    public static Dataset readIdx(Path images, Path labels) throws IOException {
        return DataFiles.readIdx(images, labels);
    }

    /**
     * Reads a CSV file with a header row: every column but {@code labelColumn} must hold numbers
     * and becomes an input feature, in file order; the label column's distinct values become the
     * classes, in sorted order (numerically if they are all numbers), and {@link #classNames()}
     * keeps their text. Fields may be quoted ({@code "a, b"}, with {@code ""} for a quote).
     *
     * @param file the CSV file (UTF-8)
     * @param labelColumn the header name of the label column
     * @return the labelled data set
     * @throws IOException if the file cannot be read, has no such column, a row has another number
     *     of fields than the header, or a feature is not a number (naming the line, the column and
     *     the value)
     */
    public static Dataset readCsv(Path file, String labelColumn) throws IOException {
        return DataFiles.readCsv(file, labelColumn);
    }

    /**
     * Splits the examples at random into two data sets, as PyTorch's {@code random_split}.
     *
     * @param fraction the share of examples in the first (training) part, in (0, 1); the first part
     *     gets {@code round(fraction * size())} examples
     * @param rng the shuffling source
     * @return two data sets, {@code [train, validation]}, each non-empty, together holding every example once
     * @throws IllegalArgumentException if the fraction is outside (0, 1) or leaves a part empty
     */
    public Dataset[] split(double fraction, RandomGenerator rng) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("Dataset.split: fraction must be in (0, 1), got " + fraction);
        }
        if (rng == null) {
            throw new IllegalArgumentException("Dataset.split: rng is null");
        }
        int first = (int) Math.round(fraction * size);
        if (first == 0 || first == size) {
            throw new IllegalArgumentException("Dataset.split: a fraction of " + fraction + " of " + size
                    + " examples leaves one part empty");
        }
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        for (int i = size - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return new Dataset[] {subset(Arrays.copyOfRange(order, 0, first)), subset(Arrays.copyOfRange(order, first, size))};
    }

    private Dataset subset(int[] rows) {
        int tw = labels == null ? targetWidth : 1;
        double[] y = new double[rows.length * tw];
        int[] l = labels == null ? null : new int[rows.length];
        for (int k = 0; k < rows.length; k++) {
            System.arraycopy(targets, rows[k] * tw, y, k * tw, tw);
            if (l != null) {
                l[k] = labels[rows[k]];
            }
        }
        return new Dataset(rows.length, inputWidth, targetWidth, doubleRows(rows), floatRows(rows), y, l, classNames);
    }

    /**
     * This data set with batches in another dtype: the way to feed a float32 model
     * ({@code model.to(DType.FLOAT32)}), whose layers refuse float64 inputs (ops never mix dtypes).
     * A float32 data set holds its inputs only as float32, rounded once here (half their float64
     * size; the float64 data set is not kept alive by it), so that a batch is a plain copy of rows;
     * converted back to float64 it holds those float32 values, widened exactly. Targets and labels
     * are shared.
     * {@link Trainer} refuses a batch whose dtype differs from the model's parameters', naming this
     * method.
     *
     * @param dtype the dtype of the batches' inputs and targets
     * @return a data set with the same examples and batches in {@code dtype}
     */
    public Dataset to(DType dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException("Dataset.to: dtype is null");
        }
        if (dtype == dtype()) {
            return this;
        }
        return dtype == DType.FLOAT32
                ? new Dataset(size, inputWidth, targetWidth, null, rounded(inputs), targets, labels, classNames)
                : new Dataset(size, inputWidth, targetWidth, widened(floatInputs), null, targets, labels, classNames);
    }

    /**
     * The same examples with every input {@code x} replaced by {@code (x - mean) / std}, computed once
     * here in the batches' dtype (a float32 data set's inputs, rounded by {@link #to(DType)}, are
     * shifted and divided in float32, and the results kept as float32): each batch holds bit for bit
     * what {@code batch.inputs().sub(mean).div(std)} would give, without that work on every batch of
     * every epoch. Call it after {@link #to(DType)}: a standardized float32 data set keeps its
     * float32 values when converted back to float64.
     *
     * @param mean the value subtracted, finite
     * @param std the divisor, positive and finite
     * @return a data set with standardized inputs and the same targets, labels and class names
     * @throws IllegalArgumentException if {@code mean} is not finite or {@code std} is not positive and finite
     */
    public Dataset standardize(double mean, double std) {
        if (!Double.isFinite(mean) || !(std > 0 && std < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("Dataset.standardize: mean must be finite and std positive and finite, got mean "
                    + mean + ", std " + std);
        }
        if (floatInputs != null) {
            // Tensor.sub(c) adds -c, and a float32 op rounds its constant to float32 first
            float shift = (float) -mean;
            float divisor = (float) std;
            float[] x = new float[floatInputs.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = (floatInputs[i] + shift) / divisor;
            }
            return new Dataset(size, inputWidth, targetWidth, null, x, targets, labels, classNames);
        }
        double shift = -mean;
        double[] x = new double[inputs.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (inputs[i] + shift) / std;
        }
        return new Dataset(size, inputWidth, targetWidth, x, null, targets, labels, classNames);
    }

    /**
     * The dtype of the batches' tensors: {@link DType#FLOAT64} unless {@link #to(DType)} said otherwise.
     *
     * @return the batches' dtype
     */
    public DType dtype() {
        return floatInputs != null ? DType.FLOAT32 : DType.FLOAT64;
    }

    /**
     * The class names, by label, when the data set was read from a file that names them
     * ({@link #readCsv}); otherwise empty.
     *
     * @return the class names, unmodifiable
     */
    public List<String> classNames() {
        return classNames == null ? List.of() : classNames;
    }

    /**
     * The class label of each example, in order.
     *
     * @return a copy of the labels
     * @throws IllegalStateException if the data set holds targets, not labels
     */
    public int[] labels() {
        if (labels == null) {
            throw new IllegalStateException("Dataset: this data set holds target rows, not class labels");
        }
        return labels.clone();
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
        int tw = labels == null ? targetWidth : 1;
        double[] y = new double[b * tw];
        int[] l = labels == null ? null : new int[b];
        for (int k = 0; k < b; k++) {
            int i = rows[k];
            if (i < 0 || i >= size) {
                throw new IllegalArgumentException("Dataset: index " + i + " is out of range for " + size + " examples");
            }
            System.arraycopy(targets, i * tw, y, k * tw, tw);
            if (l != null) {
                l[k] = labels[i];
            }
        }
        int[] targetShape = labels == null ? new int[] {b, targetWidth} : new int[] {b};
        return new Batch(inputRows(rows), tensor(y, targetShape), l, rows);
    }

    /** The input rows at {@code rows} (checked), copied once, straight from the inputs in the batches' dtype. */
    private Tensor inputRows(int[] rows) {
        return floatInputs != null ? Tensor.ofRows(floatInputs, inputWidth, rows) : Tensor.ofRows(inputs, inputWidth, rows);
    }

    /** The float64 input rows at {@code rows}, one after another; null for a float32 data set. */
    private double[] doubleRows(int[] rows) {
        if (inputs == null) {
            return null;
        }
        double[] x = new double[rows.length * inputWidth];
        for (int k = 0; k < rows.length; k++) {
            System.arraycopy(inputs, rows[k] * inputWidth, x, k * inputWidth, inputWidth);
        }
        return x;
    }

    /** The float32 input rows at {@code rows}, one after another; null for a float64 data set. */
    private float[] floatRows(int[] rows) {
        if (floatInputs == null) {
            return null;
        }
        float[] x = new float[rows.length * inputWidth];
        for (int k = 0; k < rows.length; k++) {
            System.arraycopy(floatInputs, rows[k] * inputWidth, x, k * inputWidth, inputWidth);
        }
        return x;
    }

    private Tensor tensor(double[] values, int... shape) {
        return floatInputs == null ? Tensor.of(values, shape) : Tensor.of(rounded(values), shape);
    }

    private static float[] rounded(double[] values) {
        float[] r = new float[values.length];
        DType.narrow(values, 0, r, 0, values.length);
        return r;
    }

    private static double[] widened(float[] values) {
        double[] r = new double[values.length];
        DType.widen(values, 0, r, 0, values.length);
        return r;
    }

    /** The bytes of input values this data set holds: 8 a value in float64, 4 in float32. */
    long inputBytes() {
        return (inputs == null ? 0L : 8L * inputs.length) + (floatInputs == null ? 0L : 4L * floatInputs.length);
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
