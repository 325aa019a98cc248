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
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 random damages of a valid checkpoint (fixed seed): truncations at random lengths,
 * multi-bit flips at random positions, overwritten and zeroed runs of bytes (a torn sector),
 * appended junk, and truncation plus flips together. Each must be refused with an
 * {@link IOException} naming the checkpoint, and the model must be untouched: same values, same
 * version counters. {@code CheckpointTest} already tries every single-bit flip and every
 * truncation of a small file; this one damages a larger file in the ways real disks and copies do.
 *
 * <p>Then hostile files, each of which must be refused with an {@link IOException} within
 * {@value #QUICK_MILLIS} ms without allocating what it claims: character devices that never end,
 * a FIFO without a writer (opening it would block for ever), a sparse 1 GB file and a file with a
 * valid checksum that declares a million empty parameters.
 */
class CheckpointCorruptionTest {
    private static final int DAMAGES = 1000;
    /** A refusal's time limit: generous for a loaded machine, far below reading what the files claim. */
    static final long QUICK_MILLIS = 2000;
    /** A refusal's allocation limit: the buffers of a load, not the file. */
    private static final long FEW_BYTES = 1 << 20;

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

    @Test
    @Timeout(60)
    void devicesAndLinksToThemAreRefusedQuicklyWithoutBeingOpened() throws Exception {
        Layer model = MLP.of(new int[] {5, 12, 7, 3}, Tanh::new, Init.constant(0));
        List<Path> devices = new ArrayList<>();
        for (String name : List.of("/dev/zero", "/dev/urandom")) {
            if (Files.exists(Path.of(name))) {
                devices.add(Path.of(name));
            }
        }
        Assumptions.assumeFalse(devices.isEmpty(), "no /dev/zero or /dev/urandom here");
        try {
            devices.add(Files.createSymbolicLink(dir.resolve("zero-link.ckpt"), devices.get(0)));
        } catch (UnsupportedOperationException | IOException e) {
            // no symbolic links here: the devices themselves are still tried
        }
        for (Path device : devices) {
            IOException e = refusedQuickly(model, device, false);
            assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        }
    }

    @Test
    @Timeout(60)
    void aFifoWithoutAWriterIsRefusedQuicklyWithoutBeingOpened() throws Exception {
        Path fifo = dir.resolve("fifo.ckpt");
        boolean made;
        try {
            made = new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0;
        } catch (IOException e) {
            made = false;
        }
        Assumptions.assumeTrue(made, "mkfifo is not available here");
        IOException e = refusedQuickly(MLP.of(new int[] {5, 12, 7, 3}, Tanh::new, Init.constant(0)), fifo, true);
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    @Timeout(60)
    void aSparseGigabyteFileIsRefusedWithoutReadingIt() throws IOException {
        Layer model = MLP.of(new int[] {5, 12, 7, 3}, Tanh::new, Init.normal(0, 1, new SplittableRandom(3)));
        Path good = dir.resolve("good.ckpt");
        Checkpoint.save(model, good);
        byte[] bytes = Files.readAllBytes(good);
        long gigabyte = 1L << 30;
        // a real checkpoint's header and parameters, then a hole up to 1 GB the header accounts for
        ByteBuffer.wrap(bytes).putLong(12, gigabyte - 24);
        Path sparse = Files.write(dir.resolve("sparse.ckpt"), bytes);
        try (RandomAccessFile f = new RandomAccessFile(sparse.toFile(), "rw")) {
            f.setLength(gigabyte);
        }
        IOException e = refusedWithFewBytes(model, sparse);
        assertTrue(e.getMessage().contains((gigabyte - bytes.length) + " unexpected bytes after the last parameter"), e.getMessage());
        Files.delete(sparse);
    }

    @Test
    @Timeout(60)
    void aValidChecksumFileDeclaringAMillionEmptyParametersIsRefusedWithoutAllocatingThem() throws IOException {
        int count = 1_000_000;
        ByteBuffer body = ByteBuffer.allocate(4 + 8 * count).putInt(count);
        for (int i = 0; i < count; i++) {
            body.putInt(1).putInt(0); // rank 1, shape [0]
        }
        Path file = Files.write(dir.resolve("million.ckpt"), withValidChecksum(body.array()));
        IOException e = refusedWithFewBytes(MLP.of(new int[] {5, 12, 7, 3}, Tanh::new, Init.constant(0)), file);
        assertTrue(e.getMessage().contains("has 1000000 parameters but the model has 6"), e.getMessage());
    }

    @Test
    void aBadShapeIsShownAsTheFileHoldsIt() throws IOException {
        ByteBuffer body = ByteBuffer.allocate(4 + 4 + 12).putInt(2).putInt(3).putInt(2).putInt(-5).putInt(7);
        Path file = Files.write(dir.resolve("shape.ckpt"), withValidChecksum(body.array()));
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(new dev.adjoint.nn.Linear(2, 3), file));
        assertTrue(e.getMessage().contains("negative dimension in shape [2, -5, 7] of parameter 0"), e.getMessage());
    }

    /** A checkpoint of format version 1 around {@code body} (parameter count first), with a valid checksum. */
    private static byte[] withValidChecksum(byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(20 + body.length + 4);
        b.put(new byte[] {(byte) 0x89, 'A', 'D', 'J', 'C', 'K', 'P', '\n'}).putInt(Checkpoint.FORMAT_VERSION).putLong(body.length).put(body);
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.position());
        return b.putInt((int) crc.getValue()).array();
    }

    /** Loads on this thread, measuring: the refusal must be quick and allocate under {@link #FEW_BYTES}. */
    private static IOException refusedWithFewBytes(Layer model, Path file) {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        double[] before = model.parameters().get(0).toArray();
        long start = System.nanoTime();
        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(model, file));
        long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(allocated < FEW_BYTES, "refusing " + file.getFileName() + " allocated " + allocated + " bytes");
        assertTrue(millis < QUICK_MILLIS, "refusing " + file.getFileName() + " took " + millis + " ms");
        assertTrue(e.getMessage().startsWith("Checkpoint " + file), e.getMessage());
        assertArrayEquals(before, model.parameters().get(0).toArray(), 0.0);
        return e;
    }

    /**
     * Loads on a daemon thread, which a hang cannot hold; the refusal must come within
     * {@link #QUICK_MILLIS}. If it does not, the loader is interrupted (a read stops) and, for a FIFO,
     * given a writer (an open waiting for one returns) before the test fails.
     */
    private static IOException refusedQuickly(Layer model, Path file, boolean fifo) throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread loader = new Thread(() -> {
            try {
                Checkpoint.load(model, file);
            } catch (Throwable t) {
                thrown.set(t);
            }
        }, "checkpoint-loader");
        loader.setDaemon(true);
        long start = System.nanoTime();
        loader.start();
        loader.join(QUICK_MILLIS);
        if (loader.isAlive()) {
            loader.interrupt();
            if (fifo) {
                Thread writer = new Thread(() -> {
                    try (FileOutputStream out = new FileOutputStream(file.toFile())) {
                        out.flush();
                    } catch (IOException ignored) {
                        // the loader is gone already
                    }
                }, "fifo-writer");
                writer.setDaemon(true);
                writer.start();
            }
            loader.join(TimeUnit.SECONDS.toMillis(10));
            throw new AssertionError("loading " + file + " was still running after " + QUICK_MILLIS + " ms (then: " + thrown.get() + ")");
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        Throwable t = thrown.get();
        if (!(t instanceof IOException)) {
            throw new AssertionError("loading " + file + " gave " + t + " instead of an IOException", t);
        }
        assertTrue(t.getMessage().startsWith("Checkpoint " + file), t.getMessage());
        System.out.printf(Locale.ROOT, "  %s refused in %d ms: %s%n", file, millis, t.getMessage());
        return (IOException) t;
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
