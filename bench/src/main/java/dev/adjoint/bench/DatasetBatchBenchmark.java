package dev.adjoint.bench;

import dev.adjoint.core.DType;
import dev.adjoint.nn.Batch;
import dev.adjoint.nn.Dataset;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Building a batch from a data set the size of Fashion-MNIST's training images (60,000 examples of
 * 784 inputs, 10 classes): 128 random rows (a training step's batch) and 1,000 rows in order (an
 * evaluation chunk), float64 and float32.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class DatasetBatchBenchmark {
    /** The dtype of the batches: float64 or float32. */
    @Param({"float64", "float32"})
    public String dtype;

    Dataset data;
    int[] evaluation;
    int[][] shuffled;
    int next;

    /** A random data set and the rows of a shuffled epoch's batches. */
    @Setup
    public void setUp() {
        SplittableRandom rng = new SplittableRandom(3);
        double[][] x = new double[60_000][784];
        int[] labels = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] = rng.nextDouble();
            }
            labels[i] = rng.nextInt(10);
        }
        Dataset d = Dataset.of(x, labels);
        data = "float32".equals(dtype) ? d.to(DType.FLOAT32) : d;
        shuffled = new int[64][128];
        for (int[] rows : shuffled) {
            for (int k = 0; k < rows.length; k++) {
                rows[k] = rng.nextInt(x.length);
            }
        }
        evaluation = new int[1000];
        for (int k = 0; k < evaluation.length; k++) {
            evaluation[k] = 20_000 + k;
        }
    }

    /** 128 random rows, a different batch each call. */
    @Benchmark
    public Batch trainingBatch() {
        next = (next + 1) % shuffled.length;
        return data.batch(shuffled[next]);
    }

    /** 1,000 consecutive rows. */
    @Benchmark
    public Batch evaluationChunk() {
        return data.batch(evaluation);
    }
}
