package dev.adjoint.bench;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
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
 * Reads of non-contiguous views: a scalar broadcast to [256, 1000] read by a scalar op
 * ({@code expandedAdd}), a transposed [512, 512] made contiguous ({@code transposeCopy}), and the
 * broadcast ones gradient of a sum accumulated into a [256, 1000] leaf ({@code sumBackward}); in
 * float64 and float32 ({@code -p dtype=float32}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class StridedBenchmark {
    /** The dtype of every tensor: float64 or float32. */
    @Param({"float64", "float32"})
    public String dtype;

    Tensor expanded;
    Tensor transposed;
    Tensor x;

    /** Random inputs and the views on them. */
    @Setup
    public void setUp() {
        SplittableRandom rng = new SplittableRandom(5);
        DType d = "float32".equals(dtype) ? DType.FLOAT32 : DType.FLOAT64;
        expanded = Tensor.randn(d, rng).expand(256, 1000);
        transposed = Tensor.randn(d, rng, 512, 512).transpose();
        x = Tensor.randn(d, rng, 256, 1000).requiresGrad(true);
    }

    /** A scalar expanded to [256, 1000], plus 0: one strided read and a contiguous result. */
    @Benchmark
    public Tensor expandedAdd() {
        return expanded.add(0.0);
    }

    /** A transposed [512, 512] reshaped to [262144]: a contiguous copy of the view. */
    @Benchmark
    public Tensor transposeCopy() {
        return transposed.reshape(512 * 512);
    }

    /** x.sum().backward() into a [256, 1000] leaf: its gradient is a broadcast of ones. */
    @Benchmark
    public Tensor sumBackward() {
        x.zeroGrad();
        x.sum().backward();
        return x.grad();
    }
}
