package dev.adjoint.spark;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Layer;
import dev.adjoint.nn.Optimizer;
import dev.adjoint.nn.TrainingStoppedException;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

/**
 * Data-parallel mini-batch training on Apache Spark, in the pattern of Spark MLlib's trainers.
 * Every step:
 *
 * <ol>
 *   <li>broadcasts the driver model's parameter values;</li>
 *   <li>each partition finds its share of the step's global batch, loads the values into a model its
 *       executor keeps for this trainer, and computes the gradient of its share's loss with
 *       {@link Autograd#grad} (no {@code grad()} on the executor is touched), weighted by the share's
 *       size over the global batch's size (the {@link LossFunction} is a mean over rows);</li>
 *   <li>an ordered tree sum (partition order at every level, so a run is bitwise repeatable for a
 *       given partitioning) brings the gradient and the loss of the whole global batch to the driver;</li>
 *   <li>the driver refuses a non-finite loss or gradient ({@link TrainingStoppedException}, nothing
 *       applied), sets its model's gradients and calls its optimizer's {@link Optimizer#step()};</li>
 *   <li>the broadcast is destroyed.</li>
 * </ol>
 *
 * <p>So the driver's optimizer sees exactly the gradient of the global batch, as on one machine: the
 * run equals a single-machine {@code Trainer} run over the same batches (see
 * {@link #globalBatches}) up to the order of floating-point additions, whatever the partitioning.
 * A step's global batch comes from the seed, the epoch and each sample's global position in the
 * RDD ({@code zipWithIndex}), never from the partitioning. Executors limit the threads of their
 * matrix products to {@code spark.task.cpus} per task.
 *
 * <p>Models with buffers (batch normalization's running statistics) are refused: their batch
 * statistics would be per partition. Layers that draw random numbers (dropout) draw them on the
 * executors from each executor model's own generator, so such runs are not repeatable. Models are
 * float64: one with float32 parameters is refused.
 */
public final class SparkTrainer {
    private final JavaSparkContext sc;
    private final ModelFactory modelFactory;
    private final LossFunction loss;
    private final Layer model;
    private final List<Tensor> parameters;
    private final Optimizer optimizer;
    private final int parameterCount;
    private final String id = UUID.randomUUID().toString();
    private int treeDepth = 2;
    private long[] stepNanos = new long[0];

    /**
     * Builds the driver's model and optimizer, and checks that the model factory and the loss
     * function can be shipped to executors.
     *
     * @param sc the Spark context
     * @param model builds the model (on the driver now, on each executor once)
     * @param loss the loss: a mean over the rows of its batch
     * @param optimizer builds the optimizer over the driver model's parameters
     * @throws IllegalArgumentException if an argument is null, the model factory or the loss
     *     function cannot be serialized (naming its class), or the model has buffers or float32
     *     parameters
     */
    public SparkTrainer(JavaSparkContext sc, ModelFactory model, LossFunction loss, OptimizerFactory optimizer) {
        if (sc == null || model == null || loss == null || optimizer == null) {
            throw new IllegalArgumentException("SparkTrainer: " + (sc == null ? "Spark context" : model == null ? "model factory"
                    : loss == null ? "loss function" : "optimizer factory") + " is null");
        }
        requireSerializable("model factory", model);
        requireSerializable("loss function", loss);
        this.sc = sc;
        this.modelFactory = model;
        this.loss = loss;
        this.model = model.create();
        if (this.model == null) {
            throw new IllegalArgumentException("SparkTrainer: the model factory " + model.getClass().getName() + " returned null");
        }
        if (!this.model.namedBuffers().isEmpty()) {
            throw new IllegalArgumentException("SparkTrainer: the model has buffers " + this.model.namedBuffers().keySet()
                    + " (batch normalization?), whose batch statistics would be per partition; use a model without them");
        }
        this.parameters = this.model.parameters();
        long count = 0;
        for (Tensor p : parameters) {
            if (p.dtype() != DType.FLOAT64) {
                throw new IllegalArgumentException("SparkTrainer: the model has " + p.dtype() + " parameters; it trains float64 models"
                        + " (its batches and parameter sums are float64), so build the model without to(DType.FLOAT32)");
            }
            count += p.size();
        }
        if (count + 1 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("SparkTrainer: the model has " + count + " parameter values, more than one array holds");
        }
        this.parameterCount = (int) count;
        this.optimizer = optimizer.create(parameters);
        if (this.optimizer == null) {
            throw new IllegalArgumentException("SparkTrainer: the optimizer factory " + optimizer.getClass().getName()
                    + " returned null");
        }
    }

    private static void requireSerializable(String what, Object o) {
        try (ObjectOutputStream out = new ObjectOutputStream(OutputStream.nullOutputStream())) {
            out.writeObject(o);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("SparkTrainer: the " + what + " " + o.getClass().getName()
                    + " is not serializable, so it cannot be shipped to executors (" + e + "); make it a class or lambda"
                    + " that captures only serializable values", e);
        }
    }

    /**
     * The driver's model, updated by every step.
     *
     * @return the model
     */
    public Layer model() {
        return model;
    }

    /**
     * The driver's optimizer.
     *
     * @return the optimizer
     */
    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * Sets the depth of the tree that sums the partitions' gradients (2 by default, as MLlib's
     * {@code treeAggregate}): with depth d and N partitions, each level adds about N^(1/d) partial
     * sums per task, and the driver receives about N^(1/d) of them. 1 sends every partition's
     * gradient straight to the driver.
     *
     * @param depth the depth, at least 1
     * @return this trainer
     */
    public SparkTrainer treeDepth(int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("SparkTrainer: tree depth must be at least 1, got " + depth);
        }
        this.treeDepth = depth;
        return this;
    }

    /**
     * The wall-clock time of every step of the last {@code fit}, in nanoseconds: from the broadcast
     * to the driver's update, so the checks and the caching before the first step are not in it.
     *
     * @return the times, one per step (a copy)
     */
    public long[] stepNanos() {
        return stepNanos.clone();
    }

    /**
     * The global batches of one epoch of {@link #fit}, by step: the positions in the RDD (as
     * {@code zipWithIndex} numbers them) of each batch's samples, in the order the loss function
     * sees them. For a single-machine run over the same batches.
     *
     * @param size the number of samples
     * @param globalBatchSize the batch size
     * @param seed the seed given to {@code fit}
     * @param epoch the epoch, from 0
     * @return one array of sample positions per step
     */
    public static int[][] globalBatches(int size, int globalBatchSize, long seed, int epoch) {
        if (size < 1 || globalBatchSize < 1) {
            throw new IllegalArgumentException("SparkTrainer.globalBatches: size and batch size must be positive, got " + size
                    + " and " + globalBatchSize);
        }
        return BatchOrder.batches(size, globalBatchSize, seed, epoch);
    }

    /**
     * Trains for {@code epochs} passes over {@code data} in global batches of {@code globalBatchSize}
     * samples (the last batch of an epoch may be smaller), shuffled by {@code seed}. The data are
     * checked first, in one pass that also caches them packed for the steps: every problem is
     * reported on the driver before the first step.
     *
     * @param data the samples; they may be spread over any number of partitions
     * @param epochs the number of epochs, at least 0
     * @param globalBatchSize the samples per step, over all partitions
     * @param seed the shuffle's seed
     * @return the loss of every step (the mean over its global batch, before its update)
     * @throws IllegalArgumentException if the data set is empty, has ragged inputs or targets, a
     *     null sample, a label below -1, labels on some samples only, a label the model has no output
     *     for, or inputs the model does not accept
     * @throws TrainingStoppedException if a step's loss or gradient is NaN or infinite (that step
     *     applies nothing; the exception carries the losses before it)
     */
    public double[] fit(JavaRDD<Sample> data, int epochs, int globalBatchSize, long seed) {
        return fit(data, 0, epochs, globalBatchSize, seed);
    }

    /**
     * Like {@link #fit(JavaRDD, int, int, long)}, for the epochs {@code firstEpoch} to
     * {@code firstEpoch + epochs - 1}: a run resumed from a {@link dev.adjoint.nn.Checkpoint} of the
     * driver's model and optimizer after epoch {@code firstEpoch - 1} trains on exactly the batches
     * the uninterrupted run would have, and ends with the same bits.
     *
     * @param data the samples
     * @param firstEpoch the first epoch's number, at least 0 (its shuffle depends on it)
     * @param epochs the number of epochs, at least 0
     * @param globalBatchSize the samples per step, over all partitions
     * @param seed the shuffle's seed
     * @return the loss of every step of these epochs
     * @throws IllegalArgumentException as {@link #fit(JavaRDD, int, int, long)} does
     * @throws TrainingStoppedException as {@link #fit(JavaRDD, int, int, long)} does
     */
    public double[] fit(JavaRDD<Sample> data, int firstEpoch, int epochs, int globalBatchSize, long seed) {
        if (firstEpoch < 0 || (long) firstEpoch + epochs > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("SparkTrainer.fit: the first epoch must be >= 0, got " + firstEpoch);
        }
        if (data == null) {
            throw new IllegalArgumentException("SparkTrainer.fit: data is null");
        }
        if (epochs < 0 || globalBatchSize < 1) {
            throw new IllegalArgumentException("SparkTrainer.fit: epochs must be >= 0 and the batch size positive, got "
                    + epochs + " and " + globalBatchSize);
        }
        int partitions = data.getNumPartitions();
        JavaRDD<Block> blocks = data.zipWithIndex()
                .mapPartitionsWithIndex((p, it) -> List.of(Block.pack(p, it)).iterator(), true)
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            long size = check(blocks.map(DataFacts::of).collect());
            int steps = BatchOrder.stepsPerEpoch(size, globalBatchSize);
            if ((long) epochs * steps > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("SparkTrainer.fit: " + epochs + " epochs of " + steps
                        + " steps are more than a loss history can hold");
            }
            double[] history = new double[epochs * steps];
            stepNanos = new long[epochs * steps];
            model.train(true);
            int done = 0;
            for (int epoch = firstEpoch; epoch < firstEpoch + epochs; epoch++) {
                for (int step = 0; step < steps; step++) {
                    long start = System.nanoTime();
                    // a fresh array each step: in local mode the tasks read the broadcast object itself
                    Broadcast<double[]> broadcast = sc.broadcast(flatten());
                    double[] total;
                    try {
                        StepTask task = new StepTask(id, modelFactory, loss, broadcast, size, globalBatchSize, seed, epoch, step);
                        total = OrderedSum.sum(blocks.mapPartitionsToPair(task), partitions, treeDepth);
                    } finally {
                        broadcast.destroy();
                    }
                    if (total == null) {
                        throw new IllegalStateException("SparkTrainer: no partition returned a gradient at step " + done
                                + "; the RDD changed since its samples were counted (make it deterministic, or cache it)");
                    }
                    history[done] = apply(total, done, epoch, history);
                    stepNanos[done] = System.nanoTime() - start;
                    done++;
                }
            }
            return history;
        } finally {
            blocks.unpersist(false);
        }
    }

    private double[] flatten() {
        double[] values = new double[parameterCount];
        int offset = 0;
        for (Tensor p : parameters) {
            double[] a = p.toArray();
            System.arraycopy(a, 0, values, offset, a.length);
            offset += a.length;
        }
        return values;
    }

    /** Checks the global batch's loss and gradient, sets the driver model's gradients and steps. */
    private double apply(double[] total, int step, int epoch, double[] history) {
        double value = total[parameterCount];
        String where = "step " + step + " (epoch " + epoch + ")";
        if (!Double.isFinite(value)) {
            throw new TrainingStoppedException("SparkTrainer: loss is " + value + " at " + where
                    + "; parameters left as they were. Try a smaller learning rate", step, value, Arrays.copyOf(history, step));
        }
        for (int i = 0; i < parameterCount; i++) {
            if (!Double.isFinite(total[i])) {
                throw new TrainingStoppedException("SparkTrainer: the gradient holds " + total[i] + " at " + where
                        + " although the loss " + value + " is finite; parameters left as they were", step, value,
                        Arrays.copyOf(history, step));
            }
        }
        int offset = 0;
        for (Tensor p : parameters) {
            double[] g = Arrays.copyOfRange(total, offset, offset + p.size());
            p.zeroGrad();
            p.backward(Tensor.of(g, p.shape())); // a leaf's backward accumulates gradOutput into its grad(): exactly g
            offset += p.size();
        }
        optimizer.step();
        return value;
    }

    /** Checks the facts of every partition, in partition order, and returns the number of samples. */
    private long check(List<DataFacts> facts) {
        long size = 0;
        DataFacts first = null;
        DataFacts labelled = null;
        DataFacts unlabelled = null;
        int maxLabel = -1;
        long maxLabelAt = -1;
        for (DataFacts f : facts) {
            if (f.problem() != null) {
                throw new IllegalArgumentException("SparkTrainer.fit: " + f.problem());
            }
            if (f.rows() == 0) {
                continue;
            }
            size += f.rows();
            if (first == null) {
                first = f;
            } else if (f.inputWidth() != first.inputWidth()) {
                throw new IllegalArgumentException("SparkTrainer.fit: ragged inputs: sample " + f.firstAt() + " has "
                        + f.inputWidth() + " input values, sample " + first.firstAt() + " has " + first.inputWidth());
            } else if (f.targetWidth() != first.targetWidth()) {
                throw new IllegalArgumentException("SparkTrainer.fit: ragged targets: sample " + f.firstAt() + " has "
                        + targetText(f.targetWidth()) + ", sample " + first.firstAt() + " has " + targetText(first.targetWidth()));
            }
            if (f.maxLabel() >= 0 && labelled == null) {
                labelled = f;
            }
            if (f.minLabel() == -1 && unlabelled == null) {
                unlabelled = f;
            }
            if (f.maxLabel() > maxLabel) {
                maxLabel = f.maxLabel();
                maxLabelAt = f.maxLabelAt();
            }
        }
        if (first == null) {
            throw new IllegalArgumentException("SparkTrainer.fit: the data set is empty (no samples in any of its "
                    + facts.size() + " partitions)");
        }
        if (labelled != null && unlabelled != null) {
            throw new IllegalArgumentException("SparkTrainer.fit: sample " + unlabelled.minLabelAt()
                    + " has no label (-1) but sample " + labelled.maxLabelAt() + " has label " + labelled.maxLabel()
                    + "; label every sample or none");
        }
        int outputs = outputWidth(first.inputWidth());
        if (labelled != null && maxLabel >= outputs) {
            throw new IllegalArgumentException("SparkTrainer.fit: label out of range: sample " + maxLabelAt + " has label "
                    + maxLabel + ", but the model has " + outputs + " outputs (labels 0 to " + (outputs - 1) + ")");
        }
        return size;
    }

    private static String targetText(int width) {
        return width < 0 ? "no target" : "a target of " + width + " values";
    }

    /** The width of the model's output for one input row of zeros. */
    @SuppressWarnings("try") // the scope is held for its effect on this thread
    private int outputWidth(int inputWidth) {
        Tensor out;
        try (Autograd.Scope s = Autograd.noGrad()) {
            model.train(false);
            out = model.forward(Tensor.zeros(1, inputWidth));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("SparkTrainer.fit: the model does not accept inputs of " + inputWidth
                    + " values: " + e.getMessage(), e);
        } finally {
            model.train(true);
        }
        int[] shape = out.shape();
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }
}
