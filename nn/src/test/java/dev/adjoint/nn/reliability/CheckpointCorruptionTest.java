package dev.adjoint.nn.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Checkpoint;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Layer;
import dev.adjoint.nn.MLP;
import dev.adjoint.nn.Tanh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 random damages of a valid checkpoint (fixed seed): truncations at random lengths,
 * multi-bit flips at random positions, overwritten and zeroed runs of bytes (a torn sector),
 * appended junk, and truncation plus flips together. Each must be refused with an
 * {@link IOException} naming the checkpoint, and the model must be untouched: same values, same
 * version counters. {@code CheckpointTest} already tries every single-bit flip and every
 * truncation of a small file; this one damages a larger file in the ways real disks and copies do.
 */
class CheckpointCorruptionTest {
    private static final int DAMAGES = 1000;

    @TempDir
    Path dir;

    @Test
    void aThousandRandomTruncationsAndBitFlipsAreEachRefusedWithTheModelUntouched() throws IOException {
        Layer saved = MLP.of(new int[] {5, 12, 7, 3}, Tanh::new, Init.normal(0, 1, new SplittableRandom(1)));
        Path good = dir.resolve("good.ckpt");
        Checkpoint.save(saved, good);
        byte[] bytes = Files.readAllBytes(good);

        Layer target = MLP.of(new int[] {5, 12, 7, 3}, Tanh::new, Init.normal(0, 1, new SplittableRandom(2)));
        double[][] values = target.parameters().stream().map(Tensor::toArray).toArray(double[][]::new);
        int[] versions = target.parameters().stream().mapToInt(Tensor::version).toArray();

        SplittableRandom rng = new SplittableRandom(4242);
        TreeMap<String, Integer> kinds = new TreeMap<>();
        Path bad = dir.resolve("bad.ckpt");
        for (int trial = 0; trial < DAMAGES; trial++) {
            byte[] damaged;
            String kind;
            do {
                kind = switch (rng.nextInt(6)) {
                    case 0 -> "truncation";
                    case 1 -> "bit flips";
                    case 2 -> "overwritten run";
                    case 3 -> "zeroed run";
                    case 4 -> "appended bytes";
                    default -> "truncation and bit flips";
                };
                damaged = damage(bytes, kind, rng);
            } while (Arrays.equals(damaged, bytes));
            kinds.merge(kind, 1, Integer::sum);
            Files.write(bad, damaged);
            String what = "trial " + trial + " (" + kind + ", " + damaged.length + " of " + bytes.length + " bytes)";
            IOException e = assertThrows(IOException.class, () -> Checkpoint.load(target, bad), what + " was accepted");
            assertTrue(e.getMessage() != null && e.getMessage().contains("Checkpoint"), what + ": message " + e.getMessage());
            List<Tensor> ps = target.parameters();
            for (int i = 0; i < ps.size(); i++) {
                assertArrayEquals(values[i], ps.get(i).toArray(), 0.0, what + " changed parameter " + i);
                assertEquals(versions[i], ps.get(i).version(), what + " bumped the version of parameter " + i);
            }
        }
        System.out.printf(Locale.ROOT, "checkpoint corruption: %d damaged copies of a %d-byte file, all refused: %s%n", DAMAGES,
                bytes.length, kinds);
        assertEquals(6, kinds.size());

        // The undamaged file still loads, so the refusals above were about the damage.
        Checkpoint.load(target, good);
        assertArrayEquals(saved.parameters().get(0).toArray(), target.parameters().get(0).toArray(), 0.0);
    }

    private static byte[] damage(byte[] bytes, String kind, SplittableRandom rng) {
        int n = bytes.length;
        switch (kind) {
            case "truncation":
                return Arrays.copyOf(bytes, rng.nextInt(n));
            case "bit flips":
                return flip(bytes.clone(), 1 + rng.nextInt(16), rng);
            case "overwritten run": {
                byte[] d = bytes.clone();
                int from = rng.nextInt(n);
                int len = 1 + rng.nextInt(Math.min(512, n - from));
                for (int i = from; i < from + len; i++) {
                    d[i] = (byte) rng.nextInt(256);
                }
                return d;
            }
            case "zeroed run": {
                byte[] d = bytes.clone();
                int from = rng.nextInt(n);
                Arrays.fill(d, from, from + 1 + rng.nextInt(Math.min(512, n - from)), (byte) 0);
                return d;
            }
            case "appended bytes": {
                byte[] d = Arrays.copyOf(bytes, n + 1 + rng.nextInt(64));
                for (int i = n; i < d.length; i++) {
                    d[i] = (byte) rng.nextInt(256);
                }
                return d;
            }
            default:
                return flip(Arrays.copyOf(bytes, 1 + rng.nextInt(n - 1)), 1 + rng.nextInt(4), rng);
        }
    }

    private static byte[] flip(byte[] d, int bits, SplittableRandom rng) {
        for (int b = 0; b < bits; b++) {
            int bit = rng.nextInt(8 * d.length);
            d[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        return d;
    }
}
