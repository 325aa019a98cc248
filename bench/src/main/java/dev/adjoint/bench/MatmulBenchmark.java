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
 * One matrix product per call, float64 or float32 ({@link #dtype}), {@code C = op(A) op(B)}, through the public API:
 * {@link Tensor#matmul} on tensors that do not require grad (so nothing is recorded), with a
 * transposed operand passed as a {@link Tensor#transpose} view of its stored layout, as
 * bench/pytorch_workloads.py passes {@code a.T}. Each call allocates its result, as PyTorch's
 * {@code a @ b} does. Time per product; GFLOP/s is {@code 2 m n k / time}
 * (bench/compare-pytorch.sh does the division).
 *
 * <p>The vector kernel needs the forked JVM to get {@code --add-modules jdk.incubator.vector}
 * (pass {@code -jvmArgsAppend "--add-modules jdk.incubator.vector"}); without it, or with
 * {@code -Dadjoint.vector=false}, the scalar kernel runs. With {@code -Dadjoint.logKernels=true} each fork logs which one.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MatmulBenchmark {
    /** A {@link Workload#id}. */
    @Param({"matmul_1024", "mlp1_forward", "mlp1_grad_input", "mlp1_grad_weight", "mlp2_forward", "mlp2_grad_input",
        "mlp2_grad_weight"})
    public String workload;

    /** {@code float64} (the default, as the PyTorch comparison has always run) or {@code float32}. */
    @Param({"float64"})
    public String dtype;

    private Tensor a;
    private Tensor b;

    /** Fills the operands, in their stored layouts, with uniform values in [-1, 1). */
    @Setup
    public void setUp() {
        Workload w = Workload.byId(workload);
        SplittableRandom random = new SplittableRandom(42);
        double[] aData = random.doubles((long) w.m * w.k, -1, 1).toArray();
        double[] bData = random.doubles((long) w.k * w.n, -1, 1).toArray();
        a = w.transA ? Tensor.of(aData, w.k, w.m) : Tensor.of(aData, w.m, w.k);
        b = w.transB ? Tensor.of(bData, w.n, w.k) : Tensor.of(bData, w.k, w.n);
        if ("float32".equals(dtype)) {
            a = a.to(DType.FLOAT32);
            b = b.to(DType.FLOAT32);
        } else if (!"float64".equals(dtype)) {
            throw new IllegalArgumentException("dtype must be float64 or float32, not " + dtype);
        }
        a = w.transA ? a.transpose() : a;
        b = w.transB ? b.transpose() : b;
    }

    /**
     * One product.
     *
     * @return C, so that the JIT cannot drop the work
     */
    @Benchmark
    public Tensor multiply() {
        return a.matmul(b);
    }
}
