package dev.adjoint.bench;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.MLP;
import dev.adjoint.nn.ReLU;
import dev.adjoint.nn.Sequential;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

/**
 * The bytes a model's training state takes in each dtype: the 784-512-512-10 MLP of the MLP step
 * with Adam after one step, counted two ways: from the arrays' lengths (parameters, gradients,
 * Adam's two moments), and as the heap that stays reachable after a full GC with the model, its
 * gradients and the optimizer alive (which also counts the objects around the arrays and the
 * optimizer's fixed scratch).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.adjoint.bench.TrainingMemory
 * </pre>
 */
public final class TrainingMemory {
    private TrainingMemory() {
    }

    private static long used() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * Runs the measurement.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        System.out.println("784-512-512-10 MLP, Adam, after one step on a batch of 256");
        long[] counted = new long[2];
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32, DType.FLOAT64, DType.FLOAT32}) {
            SplittableRandom rng = new SplittableRandom(1);
            Tensor x = Tensor.randn(rng, 256, 784).to(dtype);
            int[] classes = new int[256];
            for (int i = 0; i < classes.length; i++) {
                classes[i] = rng.nextInt(10);
            }
            long base = used();
            Sequential net = MLP.of(new int[] {784, 512, 512, 10}, ReLU::new, Init.heUniform(rng)).to(dtype);
            Adam adam = new Adam(net.parameters(), 1e-3);
            Losses.crossEntropy(net.forward(x), classes).backward();
            adam.step();
            long heap = used() - base;
            long parameters = 0;
            long gradients = 0;
            for (Tensor p : net.parameters()) {
                parameters += (long) p.size() * p.dtype().bytes();
                gradients += (long) p.grad().size() * p.grad().dtype().bytes();
            }
            long state = adam.stateBytes();
            long total = parameters + gradients + state;
            counted[dtype.ordinal()] = total;
            System.out.printf("%-8s parameters %6.2f MB, gradients %6.2f MB, Adam state %6.2f MB: %6.2f MB counted; heap held %6.2f MB%n",
                    dtype, parameters / 1e6, gradients / 1e6, state / 1e6, total / 1e6, heap / 1e6);
            if (net.parameters().isEmpty() || adam.parameters().isEmpty()) {
                throw new AssertionError("unreachable: keeps the model and optimizer alive through the measurement");
            }
        }
        System.out.printf("float32 / float64, counted: %.3f%n", (double) counted[1] / counted[0]);
    }
}
