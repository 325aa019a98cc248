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
 * {@link ConvBenchmark}'s convolution (x [64, 32, 14, 14] by [64, 32, 3, 3], padding 1, forward and
 * backward into x and the weight) and max pooling (2x2, stride 2, on [64, 32, 28, 28], forward and
 * backward into the input) in float64 and float32 side by side: im2col and its products run in the
 * tensors' dtype, so float32 convolution should take about half the time; max pooling reads and
 * writes float32 planes as they are. {@link #cnnConv} is the fashion-mnist CNN's second convolution
 * (no padding, short output rows), {@link #wideConv} a wide layer on larger planes, where float32
 * takes Winograd's F(2x2, 3x3) (so does {@link #conv2d}'s forward and input gradient).
 * Run: {@code java -jar bench/target/benchmarks.jar ConvDtypeBenchmark -bm sample}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ConvDtypeBenchmark {
    /** {@code float64} or {@code float32}. */
    @Param({"float64", "float32"})
    public String dtype;

    Tensor x;
    Tensor weight;
    Tensor pooled;
    Tensor cnnX;
    Tensor cnnWeight;
    Tensor cnnBias;
    Tensor wideX;
    Tensor wideWeight;

    /** Random inputs, converted to the dtype. */
    @Setup
    public void setUp() {
        DType d = DType.valueOf(dtype.toUpperCase(java.util.Locale.ROOT));
        SplittableRandom rng = new SplittableRandom(5);
        x = Tensor.randn(d, rng, 64, 32, 14, 14).requiresGrad(true);
        weight = Tensor.randn(d, rng, 64, 32, 3, 3).mul(0.06).detach().requiresGrad(true);
        pooled = Tensor.randn(d, rng, 64, 32, 28, 28).requiresGrad(true);
        cnnX = Tensor.randn(d, rng, 128, 32, 13, 13).requiresGrad(true);
        cnnWeight = Tensor.randn(d, rng, 64, 32, 3, 3).mul(0.06).detach().requiresGrad(true);
        cnnBias = Tensor.zeros(d, 64).requiresGrad(true);
        wideX = Tensor.randn(d, rng, 16, 128, 28, 28).requiresGrad(true);
        wideWeight = Tensor.randn(d, rng, 128, 128, 3, 3).mul(0.03).detach().requiresGrad(true);
    }

    /** conv2d(x, weight, padding 1), then backward of its sum into x and the weight. */
    @Benchmark
    public Tensor conv2d() {
        x.zeroGrad();
        weight.zeroGrad();
        x.conv2d(weight, null, 1, 1).sum().backward();
        return weight.grad();
    }

    /**
     * The fashion-mnist CNN's second convolution: conv2d(x [128, 32, 13, 13], weight [64, 32, 3, 3],
     * bias [64]), no padding (output rows of 11), then backward of its sum into x, the weight and the
     * bias.
     */
    @Benchmark
    public Tensor cnnConv() {
        cnnX.zeroGrad();
        cnnWeight.zeroGrad();
        cnnBias.zeroGrad();
        cnnX.conv2d(cnnWeight, cnnBias, 1, 0).sum().backward();
        return cnnWeight.grad();
    }

    /**
     * A wide 3x3 layer, as in ResNet-18's second stage: conv2d(x [16, 128, 28, 28], weight
     * [128, 128, 3, 3], padding 1), then backward of its sum into x and the weight. In float32
     * all three passes run Winograd's F(2x2, 3x3) (README, "Semantics in brief").
     */
    @Benchmark
    public Tensor wideConv() {
        wideX.zeroGrad();
        wideWeight.zeroGrad();
        wideX.conv2d(wideWeight, null, 1, 1).sum().backward();
        return wideWeight.grad();
    }

    /** maxPool2d(2, 2, 0), then backward of its sum into the input. */
    @Benchmark
    public Tensor maxPool2d() {
        pooled.zeroGrad();
        pooled.maxPool2d(2, 2, 0).sum().backward();
        return pooled.grad();
    }
}
