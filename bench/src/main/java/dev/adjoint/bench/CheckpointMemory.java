package dev.adjoint.bench;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * What {@link Autograd#checkpoint} saves: the heap a deep MLP's graph holds after the forward
 * pass, and the forward and backward times, plain and checkpointed per layer (alternating, twice
 * each; the first of each is a warm-up).
 *
 * <pre>
 * java -Xmx4g -XX:G1HeapRegionSize=32m --add-modules jdk.incubator.vector \
 *     -cp bench/target/benchmarks.jar dev.adjoint.bench.CheckpointMemory
 * </pre>
 *
 * <p>A [256, 512] activation is 1 MB, which G1 stores as a humongous object in a region of its own
 * when regions are 2 MB: the large regions make the heap count each activation once.
 */
public final class CheckpointMemory {
    private static final int DEPTH = 32;
    private static final int WIDTH = 512;
    private static final int BATCH = 256;

    private CheckpointMemory() {
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
        Random rng = new Random(1);
        List<Tensor> w = new ArrayList<>();
        List<Tensor> b = new ArrayList<>();
        for (int i = 0; i < DEPTH; i++) {
            w.add(Tensor.randn(rng, WIDTH, WIDTH).mul(1 / Math.sqrt(WIDTH)).detach().requiresGrad(true));
            b.add(Tensor.zeros(WIDTH).requiresGrad(true));
        }
        Tensor x = Tensor.randn(rng, BATCH, WIDTH);
        Function<List<Tensor>, Tensor> layer = t -> t.get(0).matmul(t.get(1)).add(t.get(2)).tanh();
        System.out.printf("%d-layer tanh MLP, width %d, batch %d (one activation %.2f MB)%n", DEPTH, WIDTH, BATCH,
                8.0 * BATCH * WIDTH / 1e6);
        for (String mode : new String[] {"plain", "checkpoint", "plain", "checkpoint"}) {
            long base = used();
            long t0 = System.nanoTime();
            Tensor h = x;
            for (int i = 0; i < DEPTH; i++) {
                List<Tensor> in = List.of(h, w.get(i), b.get(i));
                h = mode.equals("plain") ? layer.apply(in) : Autograd.checkpoint(layer, in);
            }
            Tensor loss = h.mul(h).mean();
            long t1 = System.nanoTime();
            long graph = used() - base;
            long t2 = System.nanoTime();
            loss.backward();
            long t3 = System.nanoTime();
            System.out.printf("%-10s heap held by the graph %6.1f MB; forward %5.0f ms, backward %5.0f ms%n", mode, graph / 1e6,
                    (t1 - t0) / 1e6, (t3 - t2) / 1e6);
            for (int i = 0; i < DEPTH; i++) {
                w.get(i).zeroGrad();
                b.get(i).zeroGrad();
            }
        }
    }
}
