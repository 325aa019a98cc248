package dev.adjoint.bench;

import dev.adjoint.core.Tensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * Convolution and pooling, forward and backward, as in bench/pytorch_training.py:
 * <ul>
 *   <li>{@code conv2d}: x [64, 32, 14, 14] by a 3x3 weight [64, 32, 3, 3], padding 1, no bias;
 *       backward of the output's sum into x and the weight (about 0.23 GFLOP forward, twice that
 *       backward);</li>
 *   <li>{@code maxPool2d}: 2x2 windows, stride 2, on [64, 32, 28, 28]; backward of the sum into x.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ConvBenchmark {
    Tensor x;
    Tensor weight;
    Tensor pooled;

    /** Random inputs. */
    @Setup
    public void setUp() {
        SplittableRandom rng = new SplittableRandom(5);
        x = Tensor.randn(rng, 64, 32, 14, 14).requiresGrad(true);
        weight = Tensor.randn(rng, 64, 32, 3, 3).mul(0.06).detach().requiresGrad(true);
        pooled = Tensor.randn(rng, 64, 32, 28, 28).requiresGrad(true);
    }

    /** conv2d(x, weight, padding 1), then backward of its sum into x and the weight. */
    @Benchmark
    public Tensor conv2d() {
        x.zeroGrad();
        weight.zeroGrad();
        x.conv2d(weight, null, 1, 1).sum().backward();
        return weight.grad();
    }

    /** maxPool2d(2, 2, 0), then backward of its sum into the input. */
    @Benchmark
    public Tensor maxPool2d() {
        pooled.zeroGrad();
        pooled.maxPool2d(2, 2, 0).sum().backward();
        return pooled.grad();
    }
}
