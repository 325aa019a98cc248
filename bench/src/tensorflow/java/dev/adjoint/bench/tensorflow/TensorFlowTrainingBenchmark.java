package dev.adjoint.bench.tensorflow;

import java.util.ArrayList;
import java.util.List;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat64;

/**
 * The training steps of {@code TrainingBenchmark} in TensorFlow Java (graph mode, float64), for
 * comparison next to PyTorch's. Each step is one {@code Session.run} of a graph built
 * once: forward, {@code tf.gradients}, and the optimizer's update ops.
 * <ul>
 *   <li>{@code seedStep}: the seed's 2-3-3-2 sigmoid network, every weight and bias 1, batch 2, sum
 *       of squared errors, SGD lr 0.5 ({@code ApplyGradientDescent}); one intra-op thread.</li>
 *   <li>{@code mlpStep}: a 784-512-512-10 ReLU MLP, batch 256, mean softmax cross-entropy, Adam lr
 *       1e-3 ({@code ApplyAdam}); {@code threads} intra-op threads (default 2).</li>
 * </ul>
 * The cross-entropy is written as {@code -mean(sum(onehot * logSoftmax(logits)))}: TensorFlow
 * Java 1.1's gradient of {@code SoftmaxCrossEntropyWithLogits} cannot be built for float64 (it
 * mixes in a float32 constant). Built only with {@code -Ptensorflow} (see bench/README.md).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1)
public class TensorFlowTrainingBenchmark {

    /** A graph, its session, and the step's feeds, target and loss. */
    abstract static class Step {
        Graph graph;
        Session session;
        TFloat64 x;
        TFloat64 y;
        Placeholder<TFloat64> xIn;
        Placeholder<TFloat64> yIn;
        Op train;
        Operand<TFloat64> loss;

        void open(int threads) {
            ConfigProto config = ConfigProto.newBuilder().setIntraOpParallelismThreads(threads)
                    .setInterOpParallelismThreads(1).build();
            session = new Session(graph, config);
            session.initialize();
        }

        double run() {
            try (Result r = session.runner().feed(xIn, x).feed(yIn, y).addTarget(train).fetch(loss).run()) {
                return ((TFloat64) r.get(0)).getDouble();
            }
        }

        @TearDown
        public void close() {
            x.close();
            y.close();
            session.close();
            graph.close();
        }
    }

    /** The seed network and its data. */
    @State(Scope.Thread)
    public static class Seed extends Step {
        /** Builds the all-ones seed network with plain SGD. */
        @Setup
        public void setUp() {
            graph = new Graph();
            Ops tf = Ops.create(graph);
            xIn = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(2, 2)));
            yIn = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(2, 2)));
            List<Operand<TFloat64>> params = new ArrayList<>();
            Operand<TFloat64> h = xIn;
            int[] widths = {2, 3, 3, 2};
            for (int l = 0; l + 1 < widths.length; l++) {
                Operand<TFloat64> w = tf.variable(tf.fill(tf.constant(new long[] {widths[l], widths[l + 1]}), tf.constant(1.0)));
                Operand<TFloat64> b = tf.variable(tf.fill(tf.constant(new long[] {widths[l + 1]}), tf.constant(1.0)));
                params.add(w);
                params.add(b);
                h = tf.math.sigmoid(tf.math.add(tf.linalg.matMul(h, w), b));
            }
            Operand<TFloat64> diff = tf.math.sub(h, yIn);
            loss = tf.sum(tf.math.mul(diff, diff), tf.constant(new int[] {0, 1}));
            Gradients grads = tf.gradients(loss, params);
            List<Op> updates = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                updates.add(tf.train.applyGradientDescent(params.get(i), tf.constant(0.5), float64(grads.dy(i))));
            }
            train = tf.withControlDependencies(updates).noOp();
            x = TFloat64.tensorOf(Shape.of(2, 2), DataBuffers.of(0.8, 0.4, 0.3, 0.3));
            y = TFloat64.tensorOf(Shape.of(2, 2), DataBuffers.of(0.2, 0.4, 1, 0));
            open(1);
        }
    }

    /** The MLP and a fixed batch. */
    @State(Scope.Thread)
    public static class Mlp extends Step {
        /** Intra-op threads. */
        @Param("2")
        public int threads;

        /** He-uniform 784-512-512-10 ReLU network (zero biases), a random batch of 256, Adam. */
        @Setup
        public void setUp() {
            graph = new Graph();
            Ops tf = Ops.create(graph);
            SplittableRandom rng = new SplittableRandom(1);
            xIn = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(256, 784)));
            yIn = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(256, 10)));
            List<Operand<TFloat64>> params = new ArrayList<>();
            Operand<TFloat64> h = xIn;
            int[] widths = {784, 512, 512, 10};
            for (int l = 0; l + 1 < widths.length; l++) {
                int in = widths[l];
                int out = widths[l + 1];
                double bound = Math.sqrt(6.0 / in);
                double[] w = new double[in * out];
                for (int i = 0; i < w.length; i++) {
                    w[i] = rng.nextDouble(-bound, bound);
                }
                Operand<TFloat64> wv = tf.variable(tf.constant(Shape.of(in, out), DataBuffers.of(w)));
                Operand<TFloat64> bv = tf.variable(tf.constant(Shape.of(out), DataBuffers.of(new double[out])));
                params.add(wv);
                params.add(bv);
                h = tf.math.add(tf.linalg.matMul(h, wv), bv);
                if (l + 2 < widths.length) {
                    h = tf.nn.relu(h);
                }
            }
            loss = tf.math.mul(tf.sum(tf.math.mul(yIn, tf.nn.logSoftmax(h)), tf.constant(new int[] {0, 1})),
                    tf.constant(-1.0 / 256));
            Gradients grads = tf.gradients(loss, params);
            Operand<TFloat64> beta1Power = tf.variable(tf.constant(0.9));
            Operand<TFloat64> beta2Power = tf.variable(tf.constant(0.999));
            List<Op> updates = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                Operand<TFloat64> p = params.get(i);
                updates.add(tf.train.applyAdam(p, tf.variable(tf.zerosLike(p)), tf.variable(tf.zerosLike(p)), beta1Power,
                        beta2Power, tf.constant(1e-3), tf.constant(0.9), tf.constant(0.999), tf.constant(1e-8),
                        float64(grads.dy(i))));
            }
            Ops after = tf.withControlDependencies(updates);
            train = tf.withControlDependencies(List.of(
                    after.assign(beta1Power, after.math.mul(beta1Power, after.constant(0.9))),
                    after.assign(beta2Power, after.math.mul(beta2Power, after.constant(0.999))))).noOp();
            double[] xs = new double[256 * 784];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = rng.nextDouble() * 2 - 1;
            }
            double[] onehot = new double[256 * 10];
            for (int i = 0; i < 256; i++) {
                onehot[i * 10 + rng.nextInt(10)] = 1;
            }
            x = TFloat64.tensorOf(Shape.of(256, 784), DataBuffers.of(xs));
            y = TFloat64.tensorOf(Shape.of(256, 10), DataBuffers.of(onehot));
            open(threads);
        }
    }

    @SuppressWarnings("unchecked")
    private static Operand<TFloat64> float64(Operand<?> gradient) {
        return (Operand<TFloat64>) gradient;
    }

    /** One SGD iteration of the seed network; returns the loss. */
    @Benchmark
    public double seedStep(Seed s) {
        return s.run();
    }

    /** One Adam iteration of the MLP; returns the loss. */
    @Benchmark
    public double mlpStep(Mlp s) {
        return s.run();
    }
}
