package dev.adjoint.bench;

import dev.adjoint.core.DType;
import dev.adjoint.core.MemoryScope;
import dev.adjoint.core.RecordedStep;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.BatchNorm1d;
import dev.adjoint.nn.BatchNorm2d;
import dev.adjoint.nn.LayerNorm;
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
 * Elementwise work, forward and backward, as in bench/pytorch_training.py: a broadcast bias add
 * and ReLU on [256, 512] ({@code biasRelu}), and softmax over the last axis of [256, 1000]
 * ({@code softmax}; log-softmax the same way, {@code logSoftmaxScoped}), and over the channels (axis 1) of [32, 10, 28, 28] ({@code softmaxChannelsScoped}:
 * ten classes per pixel, as a segmentation head's; log-softmax the same way, {@code logSoftmaxChannelsScoped}), each with a backward pass into the inputs, and tanh, sigmoid, log, log1p,
 * softplus and gelu of [256, 1000], forward only ({@code tanhScoped}, ...), and gelu and silu forward and
 * backward ({@code geluGrad}, {@code siluGrad}), and nn's {@code LayerNorm(1000)} of [256, 1000], weighted, summed,
 * backward into the input, the weight and the bias ({@code layerNormScoped}), and nn's {@code BatchNorm2d(32)} in
 * training mode on [64, 32, 14, 14] (conv2d's shape), the same way ({@code batchNormScoped}), and
 * {@code BatchNorm1d(512)} on [256, 512], whose channels are columns ({@code batchNorm1dScoped}), and
 * {@code BatchNorm2d(32)} in evaluation mode, forward only ({@code batchNormEvalScoped}), and
 * tanh and sigmoid of [128, 256] forward and backward ({@code tanhGradScoped}, {@code sigmoidGradScoped}), and
 * sqrt and negation of [128, 256], forward only ({@code sqrtScoped}, {@code negScoped}); in float64 and float32
 * ({@code -p dtype=float32}); each eager, in a {@link MemoryScope} ({@code ...Scoped}) and
 * replayed from a {@link RecordedStep} ({@code ...Replayed}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ElementwiseBenchmark {
    /** The dtype of every tensor: float64 or float32. */
    @Param({"float64", "float32"})
    public String dtype;

    Tensor h;
    Tensor bias;
    Tensor logits;
    Tensor weight;
    Tensor channelLogits;
    Tensor channelWeight;
    /** Uniform in [0.001, 1.001): log's argument. */
    Tensor positive;
    LayerNorm layerNorm;
    BatchNorm2d batchNorm;
    BatchNorm1d batchNorm1d;
    Tensor hWeight;
    /** BatchNorm2d(32) in evaluation mode, and an input that needs no gradient (inference). */
    BatchNorm2d evalBatchNorm;
    Tensor imageValues;
    /** [128, 256]: a hidden layer's activations (the Fashion-MNIST MLP's batch and width), in cache. */
    Tensor hidden;
    Tensor hiddenWeight;
    /** Uniform in [0, 1), [128, 256], no gradient: sqrt's argument. */
    Tensor hiddenPositive;
    Tensor images;
    Tensor imageWeight;

    /** Random inputs. */
    @Setup
    public void setUp() {
        SplittableRandom rng = new SplittableRandom(3);
        DType d = "float32".equals(dtype) ? DType.FLOAT32 : DType.FLOAT64;
        h = Tensor.randn(d, rng, 256, 512).requiresGrad(true);
        bias = Tensor.randn(d, rng, 512).requiresGrad(true);
        logits = Tensor.randn(d, rng, 256, 1000).requiresGrad(true);
        weight = Tensor.randn(d, rng, 256, 1000);
        positive = Tensor.rand(d, rng, 256, 1000).add(1e-3);
        channelLogits = Tensor.randn(d, rng, 32, 10, 28, 28).requiresGrad(true);
        channelWeight = Tensor.randn(d, rng, 32, 10, 28, 28);
        layerNorm = new LayerNorm(1000);
        layerNorm.to(d);
        batchNorm = new BatchNorm2d(32);
        batchNorm.to(d);
        batchNorm1d = new BatchNorm1d(512);
        batchNorm1d.to(d);
        hWeight = Tensor.randn(d, rng, 256, 512);
        evalBatchNorm = new BatchNorm2d(32);
        evalBatchNorm.to(d);
        evalBatchNorm.train(false);
        imageValues = Tensor.randn(d, rng, 64, 32, 14, 14);
        hidden = Tensor.randn(d, rng, 128, 256).requiresGrad(true);
        hiddenWeight = Tensor.randn(d, rng, 128, 256);
        hiddenPositive = Tensor.rand(d, rng, 128, 256);
        images = Tensor.randn(d, rng, 64, 32, 14, 14).requiresGrad(true);
        imageWeight = Tensor.randn(d, rng, 64, 32, 14, 14);
        biasReluStep = RecordedStep.record(in -> h.add(bias).relu().sum());
        softmaxStep = RecordedStep.record(in -> logits.softmax(-1).mul(weight).sum());
    }

    RecordedStep biasReluStep;
    RecordedStep softmaxStep;

    /** relu(h + b), then backward of its sum into h and b. */
    @Benchmark
    public Tensor biasRelu() {
        h.zeroGrad();
        bias.zeroGrad();
        h.add(bias).relu().sum().backward();
        return bias.grad();
    }

    /** {@link #biasRelu} in a {@link MemoryScope}: the step's arrays come back for the next call. */
    @Benchmark
    public Tensor biasReluScoped() {
        h.zeroGrad();
        bias.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            h.add(bias).relu().sum().backward();
        }
        return bias.grad();
    }

    /** {@link #biasRelu} replayed from a {@link RecordedStep}. */
    @Benchmark
    public Tensor biasReluReplayed() {
        h.zeroGrad();
        bias.zeroGrad();
        biasReluStep.replay();
        return bias.grad();
    }

    /** {@link #softmax} replayed from a {@link RecordedStep}. */
    @Benchmark
    public Tensor softmaxReplayed() {
        logits.zeroGrad();
        softmaxStep.replay();
        return logits.grad();
    }

    /** {@link #softmax} in a {@link MemoryScope}. */
    @Benchmark
    public Tensor softmaxScoped() {
        logits.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            logits.softmax(-1).mul(weight).sum().backward();
        }
        return logits.grad();
    }

    /** log-softmax over the last axis of [256, 1000], times a weight, summed, backward; in a {@link MemoryScope}. */
    @Benchmark
    public Tensor logSoftmaxScoped() {
        logits.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            logits.logSoftmax(-1).mul(weight).sum().backward();
        }
        return logits.grad();
    }

    /** softmax over axis 1 of [32, 10, 28, 28], times a weight, summed, backward; in a {@link MemoryScope}. */
    @Benchmark
    public Tensor softmaxChannelsScoped() {
        channelLogits.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            channelLogits.softmax(1).mul(channelWeight).sum().backward();
        }
        return channelLogits.grad();
    }

    /** log-softmax over axis 1 of [32, 10, 28, 28], times a weight, summed, backward; in a {@link MemoryScope}. */
    @Benchmark
    public Tensor logSoftmaxChannelsScoped() {
        channelLogits.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            channelLogits.logSoftmax(1).mul(channelWeight).sum().backward();
        }
        return channelLogits.grad();
    }

    /**
     * tanh of a [256, 1000] tensor that needs no gradient, forward only, in a {@link MemoryScope}
     * (the math kernel's loop, not fresh memory). The returned tensor is released; JMH only keeps
     * the reference.
     */
    @Benchmark
    public Tensor tanhScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return weight.tanh();
        }
    }

    /** sigmoid of a [256, 1000] tensor that needs no gradient, forward only, in a {@link MemoryScope}. */
    @Benchmark
    public Tensor sigmoidScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return weight.sigmoid();
        }
    }

    /** log of a positive [256, 1000] tensor that needs no gradient, forward only, in a {@link MemoryScope}. */
    @Benchmark
    public Tensor logScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return positive.log();
        }
    }

    /** log1p of a [256, 1000] tensor (uniform in [0.001, 1.001)) that needs no gradient, forward only, in a {@link MemoryScope}. */
    @Benchmark
    public Tensor log1pScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return positive.log1p();
        }
    }

    /** softplus of a [256, 1000] tensor that needs no gradient, forward only, in a {@link MemoryScope}. */
    @Benchmark
    public Tensor softplusScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return weight.softplus();
        }
    }

    /** gelu (the exact erf form) of a [256, 1000] tensor that needs no gradient, forward only, in a {@link MemoryScope}. */
    @Benchmark
    public Tensor geluScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return weight.gelu();
        }
    }

    /** gelu(x) weighted and summed, then backward into x ([256, 1000]): gelu's forward and its fused backward. */
    @Benchmark
    public Tensor geluGrad() {
        logits.zeroGrad();
        logits.gelu().mul(weight).sum().backward();
        return logits.grad();
    }

    /** nn's LayerNorm over the rows of [256, 1000], weighted and summed, then backward into x, the weight and the bias; scoped. */
    @Benchmark
    public Tensor layerNormScoped() {
        logits.zeroGrad();
        for (Tensor p : layerNorm.parameters()) {
            p.zeroGrad();
        }
        try (MemoryScope scope = MemoryScope.open()) {
            layerNorm.forward(logits).mul(weight).sum().backward();
        }
        return logits.grad();
    }

    /** nn's BatchNorm2d(32) in training mode on [64, 32, 14, 14], weighted and summed, then backward; scoped. */
    @Benchmark
    public Tensor batchNormScoped() {
        images.zeroGrad();
        for (Tensor p : batchNorm.parameters()) {
            p.zeroGrad();
        }
        try (MemoryScope scope = MemoryScope.open()) {
            batchNorm.forward(images).mul(imageWeight).sum().backward();
        }
        return images.grad();
    }

    /** nn's BatchNorm1d(512) in training mode on [256, 512] (a channel is a column), weighted and summed, then backward; scoped. */
    @Benchmark
    public Tensor batchNorm1dScoped() {
        h.zeroGrad();
        for (Tensor p : batchNorm1d.parameters()) {
            p.zeroGrad();
        }
        try (MemoryScope scope = MemoryScope.open()) {
            batchNorm1d.forward(h).mul(hWeight).sum().backward();
        }
        return h.grad();
    }

    /** nn's BatchNorm2d(32) in evaluation mode on [64, 32, 14, 14], forward only (inference); scoped. */
    @Benchmark
    public Tensor batchNormEvalScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return evalBatchNorm.forward(imageValues).detach();
        }
    }

    /** sqrt of [128, 256] (in cache), forward only; scoped. */
    @Benchmark
    public Tensor sqrtScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return hiddenPositive.sqrt().detach();
        }
    }

    /** -x of [128, 256] (in cache), forward only (what a difference's backward runs); scoped. */
    @Benchmark
    public Tensor negScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return hiddenPositive.neg().detach();
        }
    }

    /** tanh of [128, 256] (in cache), weighted and summed, then backward into x: tanh's fused backward; scoped. */
    @Benchmark
    public Tensor tanhGradScoped() {
        hidden.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            hidden.tanh().mul(hiddenWeight).sum().backward();
        }
        return hidden.grad();
    }

    /** sigmoid of [128, 256], as {@link #tanhGradScoped}. */
    @Benchmark
    public Tensor sigmoidGradScoped() {
        hidden.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            hidden.sigmoid().mul(hiddenWeight).sum().backward();
        }
        return hidden.grad();
    }

    /** {@link #geluGrad} in a {@link MemoryScope}. */
    @Benchmark
    public Tensor geluGradScoped() {
        logits.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            logits.gelu().mul(weight).sum().backward();
        }
        return logits.grad();
    }

    /** silu(x) weighted and summed, then backward into x ([256, 1000]): silu's forward and its fused backward. */
    @Benchmark
    public Tensor siluGrad() {
        logits.zeroGrad();
        logits.silu().mul(weight).sum().backward();
        return logits.grad();
    }

    /** {@link #siluGrad} in a {@link MemoryScope}. */
    @Benchmark
    public Tensor siluGradScoped() {
        logits.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            logits.silu().mul(weight).sum().backward();
        }
        return logits.grad();
    }

    /** softmax(x) weighted and summed, then backward into x. */
    @Benchmark
    public Tensor softmax() {
        logits.zeroGrad();
        logits.softmax(-1).mul(weight).sum().backward();
        return logits.grad();
    }
}
