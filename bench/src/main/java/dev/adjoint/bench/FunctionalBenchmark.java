package dev.adjoint.bench;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Derivatives of functions, as in bench/pytorch_functional.py: the Hessian of the extended
 * Rosenbrock function of 100 variables ({@code rosenbrockHessian}, against
 * {@code torch.autograd.functional.hessian}), and forward mode against a plain forward pass of
 * the same function: Rosenbrock ({@code rosenbrockForward}, {@code rosenbrockJvp}) and a small
 * tanh network on a batch ({@code mlpForward}, {@code mlpJvp}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class FunctionalBenchmark {
    Tensor x;
    Tensor direction;
    Tensor batch;
    Tensor batchDirection;
    Tensor w1;
    Tensor b1;
    Tensor w2;
    Function<Tensor, Tensor> mlp;

    /** The extended Rosenbrock function: sum over pairs of 100 (x2 - x1^2)^2 + (1 - x1)^2. */
    static Tensor rosenbrock(Tensor x) {
        Tensor pairs = x.reshape(x.size() / 2, 2);
        Tensor odd = pairs.select(1, 0);
        Tensor even = pairs.select(1, 1);
        return even.sub(odd.mul(odd)).pow(2).mul(100).add(odd.neg().add(1).pow(2)).sum();
    }

    /** Random points and directions; the network's weights. */
    @Setup
    public void setUp() {
        SplittableRandom rng = new SplittableRandom(5);
        x = Tensor.randn(rng, 100);
        direction = Tensor.randn(rng, 100);
        batch = Tensor.randn(rng, 64, 100);
        batchDirection = Tensor.randn(rng, 64, 100);
        w1 = Tensor.randn(rng, 100, 100).mul(0.1);
        b1 = Tensor.randn(rng, 100);
        w2 = Tensor.randn(rng, 100, 10).mul(0.1);
        mlp = t -> t.matmul(w1).add(b1).tanh().matmul(w2).logSoftmax(-1);
    }

    /** The 100 x 100 Hessian, forward over reverse. */
    @Benchmark
    public Tensor rosenbrockHessian() {
        return Autograd.hessian(FunctionalBenchmark::rosenbrock, x);
    }

    /** One plain forward pass (unrecorded): the unit of the jvp's cost. */
    @Benchmark
    public Tensor rosenbrockForward() {
        return rosenbrock(x);
    }

    /** The value and one directional derivative in forward mode. */
    @Benchmark
    public Tensor rosenbrockJvp() {
        return Autograd.jvp(FunctionalBenchmark::rosenbrock, x, direction).tangent();
    }

    /** One plain forward pass of the network on a batch of 64. */
    @Benchmark
    public Tensor mlpForward() {
        return mlp.apply(batch);
    }

    /** The network's value and directional derivative in forward mode. */
    @Benchmark
    public Tensor mlpJvp() {
        return Autograd.jvp(mlp, batch, batchDirection).tangent();
    }
}
