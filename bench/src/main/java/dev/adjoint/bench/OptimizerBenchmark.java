package dev.adjoint.bench;

import dev.adjoint.core.DType;
import dev.adjoint.nn.Losses;
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
 * Adam's step alone on the 784-512-512-10 MLP's 670,000 parameters, float64 against float32: the
 * same rule (nn's {@code UpdateRules}) on double arrays and, generated, on float arrays in float32
 * arithmetic, so float32 reads and writes half the bytes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class OptimizerBenchmark {

    /** The MLP with gradients from one batch, in the dtype of the parameter. */
    @State(Scope.Thread)
    public static class Model extends TrainingBenchmark.Mlp {
        /** The parameters' dtype. */
        @Param({"float64", "float32"})
        public String dtype;

        @Override
        @Setup
        public void setUp() {
            TrainingBenchmark.build(this, dtype.equals("float32") ? DType.FLOAT32 : DType.FLOAT64);
            Losses.crossEntropy(net.forward(x), classes).backward();
        }
    }

    /** One Adam step over every parameter (the gradients stay as they are). */
    @Benchmark
    public void adamStep(Model m) {
        m.adam.step();
    }
}
