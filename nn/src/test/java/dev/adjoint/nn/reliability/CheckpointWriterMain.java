package dev.adjoint.nn.reliability;

import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Checkpoint;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Layer;
import dev.adjoint.nn.MLP;
import dev.adjoint.nn.Tanh;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The child process of {@link CheckpointCrashTest}: saves checkpoints of a model in an endless
 * loop, generation after generation, and prints {@code saved <generation>} after each save has
 * returned. The parent kills it with SIGKILL at a random moment.
 *
 * <p>Usage: {@code CheckpointWriterMain <file> <first generation> [in-place]}. With {@code in-place}
 * it writes the same bytes the naive way instead, straight over the target in small synced chunks,
 * as a control: the crash test must catch that.
 */
public final class CheckpointWriterMain {
    private CheckpointWriterMain() {
    }

    /** The model both processes use: 5,768 parameters, a 46 KB file, so a kill often lands mid-write. */
    static Layer model() {
        return MLP.of(new int[] {16, 64, 64, 8}, Tanh::new, Init.constant(0));
    }

    /** The known parameter set of a generation: element i of parameter k is {@code g * 1e6 + k * 1e4 + i}, exact in float64. */
    static double value(long generation, int parameter, int element) {
        return generation * 1e6 + parameter * 1e4 + element;
    }

    static void fill(Layer model, long generation) {
        List<Tensor> ps = model.parameters();
        for (int k = 0; k < ps.size(); k++) {
            int parameter = k;
            ps.get(k).modify(v -> {
                for (int i = 0; i < v.length; i++) {
                    v[i] = value(generation, parameter, i);
                }
            });
        }
    }

    /**
     * The generation whose known parameter set {@code model} holds exactly, or -1 if it holds none
     * (a mix of generations, or any other value: a corrupt load).
     */
    static long generationOf(Layer model) {
        List<Tensor> ps = model.parameters();
        long g = Math.round(ps.get(0).toArray()[0] / 1e6);
        for (int k = 0; k < ps.size(); k++) {
            double[] v = ps.get(k).toArray();
            for (int i = 0; i < v.length; i++) {
                if (Double.doubleToRawLongBits(v[i]) != Double.doubleToRawLongBits(value(g, k, i))) {
                    return -1;
                }
            }
        }
        return g;
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        long generation = Long.parseLong(args[1]);
        boolean inPlace = args.length > 2 && args[2].equals("in-place");
        Path side = file.resolveSibling(file.getFileName() + ".side");
        Layer model = model();
        PrintStream out = System.out;
        out.println("ready");
        out.flush();
        while (true) {
            fill(model, generation);
            if (inPlace) {
                Checkpoint.save(model, side);
                writeInPlace(Files.readAllBytes(side), file);
            } else {
                Checkpoint.save(model, file);
            }
            out.println("saved " + generation);
            out.flush();
            generation++;
        }
    }

    /** The non-atomic way: truncate the target, then write it 64 bytes at a time, syncing each piece. */
    private static void writeInPlace(byte[] bytes, Path file) throws java.io.IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int from = 0; from < bytes.length; from += 64) {
                ch.write(ByteBuffer.wrap(bytes, from, Math.min(64, bytes.length - from)));
                ch.force(false);
            }
        }
    }
}
