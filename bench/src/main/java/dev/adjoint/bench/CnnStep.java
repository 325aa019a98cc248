package dev.adjoint.bench;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Forward and backward of a CNN of the {@code fashion-mnist} example's shape (conv 32 3x3, ReLU,
 * max-pool 2, conv 64 3x3, ReLU, max-pool 2, fc 128, ReLU, fc 10; built from raw ops, so the fully
 * connected layers have no biases and the loss is the sum of log-softmax) on one random batch of 128,
 * repeated for a number of seconds, in float64 or float32; prints the time per step. Run it under
 * Java Flight Recorder to see where a training step's time goes:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -XX:StartFlightRecording=filename=cnn.jfr,settings=profile \
 *   -cp bench/target/benchmarks.jar dev.adjoint.bench.CnnStep float32 25
 * </pre>
 */
public final class CnnStep {
    private static final int BATCH = 128;

    private CnnStep() {
    }

    /**
     * Runs the steps.
     *
     * @param args the dtype ({@code float64} or {@code float32}) and the seconds to run
     */
    public static void main(String[] args) {
        DType dtype = args.length > 0 && args[0].equals("float32") ? DType.FLOAT32 : DType.FLOAT64;
        long seconds = args.length > 1 ? Long.parseLong(args[1]) : 20;
        SplittableRandom rng = new SplittableRandom(1);
        Tensor x = Tensor.randn(dtype, rng, BATCH, 1, 28, 28);
        Tensor w1 = Tensor.randn(dtype, rng, 32, 1, 3, 3).mul(0.3).detach().requiresGrad(true);
        Tensor b1 = Tensor.zeros(dtype, 32).requiresGrad(true);
        Tensor w2 = Tensor.randn(dtype, rng, 64, 32, 3, 3).mul(0.06).detach().requiresGrad(true);
        Tensor b2 = Tensor.zeros(dtype, 64).requiresGrad(true);
        Tensor f1 = Tensor.randn(dtype, rng, 1600, 128).mul(0.03).detach().requiresGrad(true);
        Tensor f2 = Tensor.randn(dtype, rng, 128, 10).mul(0.1).detach().requiresGrad(true);
        Tensor[] parameters = {w1, b1, w2, b2, f1, f2};
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        int steps = 0;
        while (System.nanoTime() < end) {
            for (Tensor p : parameters) {
                p.zeroGrad();
            }
            x.conv2d(w1, b1, 1, 0).relu().maxPool2d(2, 2, 0).conv2d(w2, b2, 1, 0).relu().maxPool2d(2, 2, 0)
                    .reshape(BATCH, 1600).matmul(f1).relu().matmul(f2).logSoftmax(1).sum().backward();
            steps++;
        }
        System.out.printf(Locale.ROOT, "CNN step, %s, batch %d: %d steps, %.1f ms a step%n", dtype, BATCH, steps,
                (System.nanoTime() - start) / 1e6 / steps);
    }
}
