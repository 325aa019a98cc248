package dev.adjoint.spark;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.MatmulThreads;
import dev.adjoint.core.MemoryScope;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Batch;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * One step on one partition, on an executor: the weighted gradient of the partition's share of the
 * global batch, flat, with the weighted loss after it. The weight is the share's size over the global
 * batch's size, so the partitions' results add up to the mean loss of the global batch and its
 * gradient. A pure function of the broadcast values and the batch: a retried or speculative task
 * returns the same bits. Keyed by partition, for the ordered sum.
 */
final class StepTask implements PairFlatMapFunction<Iterator<Block>, Integer, double[]> {
    private static final long serialVersionUID = 1L;

    private final String trainerId;
    private final ModelFactory factory;
    private final LossFunction loss;
    private final Broadcast<double[]> parameters;
    private final long size;
    private final int batchSize;
    private final long seed;
    private final int epoch;
    private final int step;

    StepTask(String trainerId, ModelFactory factory, LossFunction loss, Broadcast<double[]> parameters, long size,
             int batchSize, long seed, int epoch, int step) {
        this.trainerId = trainerId;
        this.factory = factory;
        this.loss = loss;
        this.parameters = parameters;
        this.size = size;
        this.batchSize = batchSize;
        this.seed = seed;
        this.epoch = epoch;
        this.step = step;
    }

    @SuppressWarnings("try") // the scope is held for its effect on this thread
    @Override
    public Iterator<Tuple2<Integer, double[]>> call(Iterator<Block> blocks) {
        if (!blocks.hasNext()) {
            return Collections.emptyIterator();
        }
        Block block = blocks.next();
        Batch batch = block.batch(size, batchSize, seed, epoch, step);
        if (batch == null) {
            return Collections.emptyIterator();
        }
        long globalRows = Math.min(batchSize, size - (long) step * batchSize);
        double weight = (double) batch.size() / globalRows;
        TaskContext task = TaskContext.get();
        int cpus = task == null ? 1 : Math.max(1, task.cpus());
        WorkerModels.Worker worker = WorkerModels.borrow(trainerId, factory);
        // the step's activations and gradients go back for the next task's ops on this thread:
        // everything the task returns is copied out below
        try (Autograd.Scope threads = MatmulThreads.limit(cpus); MemoryScope memory = MemoryScope.open()) {
            double[] values = parameters.value();
            worker.load(parameters.id(), values);
            Tensor value = loss.loss(worker.model.forward(batch.inputs()), batch);
            if (value == null || value.size() != 1) {
                throw new IllegalStateException("SparkTrainer: the loss function must return a scalar, got "
                        + (value == null ? "null" : "shape " + Arrays.toString(value.shape())));
            }
            List<Tensor> grads = Autograd.grad(value, worker.parameters, false);
            double[] out = new double[values.length + 1];
            int offset = 0;
            for (Tensor g : grads) {
                double[] a = g.toArray();
                for (int i = 0; i < a.length; i++) {
                    out[offset + i] = a[i] * weight;
                }
                offset += a.length;
            }
            out[values.length] = value.item() * weight;
            return Collections.singletonList(new Tuple2<>(block.partition, out)).iterator();
        } finally {
            WorkerModels.giveBack(trainerId, worker);
        }
    }
}
