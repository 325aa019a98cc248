package dev.adjoint.bench;

import dev.adjoint.core.DType;
import dev.adjoint.core.MemoryScope;
import dev.adjoint.core.RecordedStep;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Linear;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.MLP;
import dev.adjoint.nn.ReLU;
import dev.adjoint.nn.SGD;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Sigmoid;
import java.util.Locale;
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
 * Whole training iterations (zeroGrad, forward, loss, backward, optimizer step), the same as
 * bench/pytorch_training.py runs in PyTorch:
 * <ul>
 *   <li>{@code seedStep}: the seed's 2-3-3-2 sigmoid network, batch 2, sum of squared errors, SGD
 *       lr 0.5 (per-op overhead dominates: about 30 ops forward and backward);</li>
 *   <li>{@code mlpStep}: a 784-512-512-10 ReLU MLP, batch 256, softmax cross-entropy, Adam
 *       (matmul dominates: about 1 GFLOP per step);</li>
 *   <li>{@code mlpStepFloat32}: the same MLP step in float32 ({@code model.to(DType.FLOAT32)}, a
 *       float32 batch; Adam's state in float32), next to PyTorch's float32 step;</li>
 *   <li>{@code seedStepReplayed}, {@code mlpStepReplayed}: the same steps replayed from a
 *       {@link RecordedStep} (the same bits; the graph is not built again);</li>
 *   <li>{@code fashionMlpStep}: the Fashion-MNIST example's step (784-256-128-10 ReLU, batch 128, cross-entropy
 *       on class labels, Adam, the forward and backward pass in a {@link MemoryScope}), in either dtype.</li>
 * </ul>
 * Run with {@code -prof gc} for bytes allocated per step.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TrainingBenchmark {

    /** The seed network and its data. */
    @State(Scope.Thread)
    public static class Seed {
        Sequential net;
        SGD sgd;
        Tensor x;
        Tensor target;

        /** Builds the all-ones seed network. */
        @Setup
        public void setUp() {
            net = new Sequential(new Linear(2, 3, Init.constant(1)), new Sigmoid(), new Linear(3, 3, Init.constant(1)),
                    new Sigmoid(), new Linear(3, 2, Init.constant(1)), new Sigmoid());
            sgd = new SGD(net.parameters(), 0.5);
            x = Tensor.of(new double[] {0.8, 0.4, 0.3, 0.3}, 2, 2);
            target = Tensor.of(new double[] {0.2, 0.4, 1, 0}, 2, 2);
            recorded = RecordedStep.record(in -> Losses.sumSquaredError(net.forward(in[0]), target), x);
        }

        RecordedStep recorded;
    }

    /** The MLP and a fixed batch, in float64. */
    @State(Scope.Thread)
    public static class Mlp {
        Sequential net;
        Adam adam;
        Tensor x;
        int[] classes;
        Tensor targets;
        RecordedStep recorded;

        /** He-initialised 784-512-512-10 ReLU network, a random batch of 256. */
        @Setup
        public void setUp() {
            build(this, DType.FLOAT64);
        }
    }

    /** The same MLP and batch in float32 (the same initial values, rounded). */
    @State(Scope.Thread)
    public static class Mlp32 extends Mlp {
        /** The float64 MLP converted to float32. */
        @Override
        @Setup
        public void setUp() {
            build(this, DType.FLOAT32);
        }
    }

    /** The Fashion-MNIST example's MLP and a random batch of 128, in the {@code dtype} parameter's dtype. */
    @State(Scope.Thread)
    public static class FashionMlp {
        /** float64 or float32. */
        @Param({"float64", "float32"})
        public String dtype;

        Sequential net;
        Adam adam;
        Tensor x;
        int[] classes;

        /** He-initialised 784-256-128-10 ReLU network (as the example's), a random batch of 128. */
        @Setup
        public void setUp() {
            SplittableRandom rng = new SplittableRandom(1);
            DType d = DType.valueOf(dtype.toUpperCase(Locale.ROOT));
            net = MLP.of(new int[] {784, 256, 128, 10}, ReLU::new, Init.heUniform(rng)).to(d);
            adam = new Adam(net.parameters(), 1e-3);
            x = Tensor.randn(rng, 128, 784).to(d);
            classes = new int[128];
            for (int i = 0; i < classes.length; i++) {
                classes[i] = rng.nextInt(10);
            }
        }
    }

    static void build(Mlp s, DType dtype) {
        build(s, dtype, true);
    }

    /** The MLP and batch of {@link #build(Mlp, DType)}; {@code record} false leaves the step unrecorded (no step run). */
    static void build(Mlp s, DType dtype, boolean record) {
        SplittableRandom rng = new SplittableRandom(1);
        s.net = MLP.of(new int[] {784, 512, 512, 10}, ReLU::new, Init.heUniform(rng)).to(dtype);
        s.adam = new Adam(s.net.parameters(), 1e-3);
        s.x = Tensor.randn(rng, 256, 784).to(dtype);
        s.classes = new int[256];
        double[] oneHot = new double[256 * 10];
        for (int i = 0; i < s.classes.length; i++) {
            s.classes[i] = rng.nextInt(10);
            oneHot[10 * i + s.classes[i]] = 1;
        }
        s.targets = Tensor.of(oneHot, 256, 10).to(dtype);
        Sequential net = s.net;
        if (record) {
            s.recorded = RecordedStep.record(in -> Losses.crossEntropy(net.forward(in[0]), in[1]), s.x, s.targets);
        }
    }

    /** One SGD iteration of the seed network; returns the loss. */
    @Benchmark
    public double seedStep(Seed s) {
        s.sgd.zeroGrad();
        Tensor loss = Losses.sumSquaredError(s.net.forward(s.x), s.target);
        loss.backward();
        s.sgd.step();
        return loss.item();
    }

    /** {@link #seedStep} as a replay of the recorded step: the same bits, without building the graph. */
    @Benchmark
    public double seedStepReplayed(Seed s) {
        s.sgd.zeroGrad();
        Tensor loss = s.recorded.replay(s.x);
        s.sgd.step();
        return loss.item();
    }

    /** {@link #mlpStep} as a replay of the recorded step. */
    @Benchmark
    public double mlpStepReplayed(Mlp s) {
        s.adam.zeroGrad();
        Tensor loss = s.recorded.replay(s.x, s.targets);
        s.adam.step();
        return loss.item();
    }

    /** One Adam iteration of the float32 MLP; returns the loss. */
    @Benchmark
    public double mlpStepFloat32(Mlp32 s) {
        return mlpStep(s);
    }

    /** One step of the Fashion-MNIST example's MLP, as the example runs it; returns the loss. */
    @Benchmark
    public double fashionMlpStep(FashionMlp s) {
        s.adam.zeroGrad();
        Tensor loss;
        try (MemoryScope scope = MemoryScope.open()) {
            loss = scope.keep(Losses.crossEntropy(s.net.forward(s.x), s.classes));
            loss.backward();
        }
        s.adam.step();
        return loss.item();
    }

    /** One Adam iteration of the MLP; returns the loss. */
    @Benchmark
    public double mlpStep(Mlp s) {
        s.adam.zeroGrad();
        Tensor loss = Losses.crossEntropy(s.net.forward(s.x), s.classes);
        loss.backward();
        s.adam.step();
        return loss.item();
    }
}
