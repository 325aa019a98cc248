package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    private static Sequential model(long seed) {
        return MLP.of(new int[] {3, 4, 2}, Tanh::new, Init.normal(0, 1, new SplittableRandom(seed)));
    }

    private static double[][] snapshot(Layer model) {
        List<Tensor> ps = model.parameters();
        double[][] out = new double[ps.size() + 1][];
        int[] versions = new int[ps.size()];
        for (int i = 0; i < ps.size(); i++) {
            out[i] = ps.get(i).toArray();
            versions[i] = ps.get(i).version();
        }
        out[ps.size()] = Arrays.stream(versions).asDoubleStream().toArray();
        return out;
    }

    /** Loading must fail with an IOException mentioning {@code expected} and leave the model as it was. */
    private static IOException assertRejected(Layer model, Path file, String expected) {
        double[][] before = snapshot(model);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(model, file));
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should mention '" + expected + "'");
        double[][] after = snapshot(model);
        for (int i = 0; i < before.length; i++) {
            assertArrayEquals(before[i], after[i], 0.0, "model changed by a failed load");
        }
        return e;
    }

    @Test
    void roundTripIsExact() throws IOException {
        Sequential saved = model(1);
        saved.parameters().get(0).modify(v -> {
            v[0] = Double.MIN_VALUE;
            v[1] = -0.0;
            v[2] = Math.PI * 1e300;
        });
        Path file = dir.resolve("model.ckpt");
        Checkpoint.save(saved, file);
        Sequential loaded = model(2);
        Checkpoint.load(loaded, file);
        for (int i = 0; i < saved.parameters().size(); i++) {
            double[] a = saved.parameters().get(i).toArray();
            double[] b = loaded.parameters().get(i).toArray();
            for (int k = 0; k < a.length; k++) {
                assertEquals(Double.doubleToRawLongBits(a[k]), Double.doubleToRawLongBits(b[k]));
            }
        }
        Tensor x = Tensor.of(new double[] {0.1, 0.2, 0.3}, 1, 3);
        assertArrayEquals(saved.forward(x).toArray(), loaded.forward(x).toArray(), 0.0);
    }

    @Test
    void fileLayoutIsTheDocumentedOne() throws IOException {
        Linear layer = new Linear(2, 1, Init.constant(0.5));
        Path file = dir.resolve("layout.ckpt");
        Checkpoint.save(layer, file);
        byte[] bytes = Files.readAllBytes(file);
        // header 20 + count 4 + (rank 4 + dims 8 + 2 values 16) + (rank 4 + dim 4 + 1 value 8) + crc 4
        assertEquals(20 + 4 + 28 + 16 + 4, bytes.length);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        assertEquals(0x89, b.get(0) & 0xFF);
        assertEquals("ADJCKP\n", new String(bytes, 1, 7, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(Checkpoint.FORMAT_VERSION, b.getInt(8));
        assertEquals(bytes.length - 24, b.getLong(12));
        assertEquals(2, b.getInt(20));
        assertEquals(2, b.getInt(24));
        assertEquals(2, b.getInt(28));
        assertEquals(1, b.getInt(32));
        assertEquals(0.5, b.getDouble(36));
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(bytes, 0, bytes.length - 4);
        assertEquals((int) crc.getValue(), b.getInt(bytes.length - 4));
    }

    @Test
    void saveReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        Path file = dir.resolve("model.ckpt");
        Checkpoint.save(model(1), file);
        Sequential second = model(2);
        Checkpoint.save(second, file);
        Sequential loaded = model(3);
        Checkpoint.load(loaded, file);
        assertArrayEquals(second.parameters().get(0).toArray(), loaded.parameters().get(0).toArray(), 0.0);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file.getFileName()), files.map(Path::getFileName).toList());
        }
    }

    @Test
    void savedFilesGetTheUsualPermissionsNotTemporaryFileOnes() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path file = dir.resolve("model.ckpt");
        Checkpoint.save(model(1), file);
        Path plain = Files.createFile(dir.resolve("plain"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file));
    }

    @Test
    void aFailedMoveLeavesTheTargetAloneAndNoTemporaryFiles() throws IOException {
        // the target name is taken by a non-empty directory, so the final rename must fail
        Path file = dir.resolve("model.ckpt");
        Files.createDirectory(file);
        Files.writeString(file.resolve("occupied"), "x");
        assertThrows(IOException.class, () -> Checkpoint.save(model(2), file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file.getFileName()), files.map(Path::getFileName).toList());
        }
        assertEquals("x", Files.readString(file.resolve("occupied")));
    }

    @Test
    void emptyFile() throws IOException {
        Path file = Files.write(dir.resolve("empty.ckpt"), new byte[0]);
        assertRejected(model(1), file, "empty");
    }

    @Test
    void missingFile() {
        assertRejected(model(1), dir.resolve("nope.ckpt"), "does not exist");
    }

    @Test
    void garbageFile() throws IOException {
        byte[] junk = new byte[500];
        new SplittableRandom(5).nextBytes(junk);
        assertRejected(model(1), Files.write(dir.resolve("junk.ckpt"), junk), "not an Adjoint checkpoint");
        assertRejected(model(1), Files.writeString(dir.resolve("text.ckpt"), "hello, world\n"), "not an Adjoint checkpoint");
        assertRejected(model(1), Files.write(dir.resolve("short.ckpt"), new byte[] {(byte) 0x89, 'A'}), "not an Adjoint checkpoint");
    }

    @Test
    void everyTruncationIsRejected() throws IOException {
        Path good = dir.resolve("good.ckpt");
        Checkpoint.save(model(1), good);
        byte[] bytes = Files.readAllBytes(good);
        Sequential target = model(2);
        Path cut = dir.resolve("cut.ckpt");
        for (int length = 1; length < bytes.length; length++) {
            Files.write(cut, Arrays.copyOf(bytes, length));
            String expected = length < 8 ? "not an Adjoint checkpoint" : "truncated";
            assertRejected(target, cut, expected);
        }
        Files.write(cut, Arrays.copyOf(bytes, bytes.length + 3));
        assertRejected(target, cut, "corrupted");
    }

    @Test
    void everySingleBitFlipIsRejected() throws IOException {
        Path good = dir.resolve("good.ckpt");
        Checkpoint.save(new Linear(2, 2, Init.constant(0.25)), good);
        byte[] bytes = Files.readAllBytes(good);
        Linear target = new Linear(2, 2, Init.constant(-1));
        Path flipped = dir.resolve("flipped.ckpt");
        for (int bit = 0; bit < 8 * bytes.length; bit++) {
            byte[] copy = bytes.clone();
            copy[bit / 8] ^= (byte) (1 << (bit % 8));
            Files.write(flipped, copy);
            String expected = bit < 64 ? "not an Adjoint checkpoint" : bit < 160 && bit >= 96 ? "header declares" : "checksum";
            assertRejected(target, flipped, expected);
        }
    }

    @Test
    void aFlippedValueBitNamesTheChecksum() throws IOException {
        Path file = dir.resolve("model.ckpt");
        Checkpoint.save(model(1), file);
        byte[] bytes = Files.readAllBytes(file);
        bytes[60] ^= 0x10;
        Files.write(file, bytes);
        assertRejected(model(2), file, "corrupted: checksum mismatch");
    }

    @Test
    void wrongArchitecture() throws IOException {
        Path file = dir.resolve("model.ckpt");
        Checkpoint.save(model(1), file);
        IOException shape = assertRejected(MLP.of(new int[] {3, 5, 2}, Tanh::new, Init.constant(0)), file, "shape");
        assertTrue(shape.getMessage().contains("[3, 4]") && shape.getMessage().contains("[3, 5]"), shape.getMessage());
        assertRejected(MLP.of(new int[] {3, 4, 4, 2}, Tanh::new, Init.constant(0)), file, "4 parameters but the model has 6");
        assertRejected(new Linear(3, 4, Init.constant(0)), file, "4 parameters but the model has 2");
    }

    @Test
    void aNewerFormatVersionIsNamed() throws IOException {
        Path file = dir.resolve("model.ckpt");
        Checkpoint.save(model(1), file);
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).putInt(8, CheckpointEntries.VERSION + 1);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());
        Files.write(file, bytes);
        assertRejected(model(2), file, "unsupported format version " + (CheckpointEntries.VERSION + 1));
    }

    @Test
    void aConsistentButMalformedBodyIsRejected() throws IOException {
        // a valid checksum over an impossible body: parameter count larger than the body can hold
        ByteBuffer b = ByteBuffer.allocate(28);
        b.put(new byte[] {(byte) 0x89, 'A', 'D', 'J', 'C', 'K', 'P', '\n'}).putInt(1).putLong(4).putInt(1000);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b.array(), 0, 24);
        b.putInt((int) crc.getValue());
        Path file = Files.write(dir.resolve("bad.ckpt"), b.array());
        assertRejected(model(1), file, "impossible parameter count");
    }

    @Test
    void saveNeverRemovesAnotherWritersTemporaryFile() throws Exception {
        Path file = dir.resolve("model.ckpt");
        // pid 999999999 is above Linux's pid_max: to this process its writer looks dead, as a live
        // writer in another PID namespace (container) or on another host does
        List<Path> others = List.of(dir.resolve(".model.ckpt.999999999.123.tmp"),
                dir.resolve(".model.ckpt." + ProcessHandle.current().pid() + ".456.tmp"),
                dir.resolve(".model.ckpt.0123456789abcdef.tmp"), dir.resolve(".other.ckpt.999999999.1.tmp"));
        for (Path p : others) {
            Files.write(p, new byte[] {1, 2, 3});
        }
        Checkpoint.save(model(1), file);
        Checkpoint.save(model(2), file);
        for (Path p : others) {
            assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(p), p + " was touched");
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(others.size() + 1, files.count(), "a save left its own temporary file behind");
        }
    }

    @Test
    void savingThroughASymbolicLinkReplacesTheFileItPointsToAndKeepsTheLink() throws IOException {
        Path real = Files.createDirectory(dir.resolve("real")).resolve("model.ckpt");
        Path link;
        try {
            link = Files.createSymbolicLink(dir.resolve("latest.ckpt"), Path.of("real", "model.ckpt"));
        } catch (UnsupportedOperationException | IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no symbolic links here: " + e);
            return;
        }
        Sequential first = model(1);
        Checkpoint.save(first, link); // dangling: the file it names is created
        assertTrue(Files.isSymbolicLink(link));
        assertTrue(Files.isRegularFile(real, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        Sequential second = model(2);
        Checkpoint.save(second, link);
        assertTrue(Files.isSymbolicLink(link));
        Sequential loaded = model(3);
        Checkpoint.load(loaded, real);
        assertArrayEquals(second.parameters().get(0).toArray(), loaded.parameters().get(0).toArray(), 0.0);
        try (Stream<Path> files = Files.list(real.getParent())) {
            assertEquals(List.of(real.getFileName()), files.map(Path::getFileName).toList());
        }
    }

    @Test
    void saveIntoAMissingDirectoryNamesTheCheckpoint() {
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> Checkpoint.save(model(1), dir.resolve("missing").resolve("model.ckpt")));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("Checkpoint ") && e.getMessage().contains("does not exist"),
                e.getMessage());
    }
}
