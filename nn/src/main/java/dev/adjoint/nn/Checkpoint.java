package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Saves and loads a model's parameters ({@link Layer#parameters()}, in order) in a small,
 * versioned binary format. No Java serialization: the file holds numbers only.
 *
 * <h2>Format, version 1</h2>
 * All integers are big-endian; values are IEEE 754 float64, big-endian.
 * <pre>
 * offset  size  field
 *      0     8  magic: 0x89 'A' 'D' 'J' 'C' 'K' 'P' 0x0A
 *      8     4  format version: 1
 *     12     8  body length L: the number of bytes from offset 20 up to the checksum
 *     20     L  body:
 *                 4  parameter count P
 *                 then P times:
 *                   4        rank r (0 for a scalar)
 *                   4 * r    dimensions, each &gt;= 0
 *                   8 * n    the n = product(dimensions) values, row-major
 *  20 + L     4  CRC-32 (java.util.zip.CRC32) of bytes [0, 20 + L)
 * </pre>
 * The file is exactly {@code 24 + L} bytes long. The magic's first byte has the high bit set and
 * its last is a newline, so text-mode transfers that mangle either are caught at once.
 *
 * <h2>Guarantees</h2>
 * {@link #save} writes a temporary file in the target's directory, forces it to disk, then
 * atomically renames it over the target (falling back to a plain replacing move where the file
 * system cannot rename atomically) and forces the directory: a crash leaves either the old file or
 * the new one, never half of one. {@link #load} reads the whole file and validates everything
 * (magic, length, checksum, version, structure, then the parameter count and every shape against
 * the model) before touching the model; on any problem it throws {@link IOException} saying what is
 * wrong and the model is unchanged.
 */
public final class Checkpoint {
    /** The format version this class writes and reads. */
    public static final int FORMAT_VERSION = 1;

    private static final byte[] MAGIC = {(byte) 0x89, 'A', 'D', 'J', 'C', 'K', 'P', '\n'};
    private static final int HEADER = 20;
    private static final int CHECKSUM = 4;
    private static final int MAX_RANK = 64;
    private static final long MAX_FILE = Integer.MAX_VALUE - 16;

    private Checkpoint() {
    }

    /**
     * Writes {@code model}'s parameters to {@code file}, replacing it atomically.
     *
     * @param model the model
     * @param file the checkpoint file; its directory must exist
     * @throws IOException if writing fails (the previous file, if any, is then left as it was)
     */
    public static void save(Layer model, Path file) throws IOException {
        if (model == null || file == null) {
            throw new IllegalArgumentException("Checkpoint.save: " + (model == null ? "model" : "file") + " is null");
        }
        ByteBuffer bytes = encode(model.parameters());
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || target.getFileName() == null) {
            throw new IOException("Checkpoint " + file + ": not a file path (it has no parent directory)");
        }
        if (Files.isDirectory(target)) {
            throw new IOException("Checkpoint " + file + ": is a directory");
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException("Checkpoint " + file + ": directory " + dir + " does not exist");
        }
        removeAbandonedTemporaries(dir, target.getFileName().toString());
        // NOTE: not Files.createTempFile: it creates owner-only files, and the rename would carry
        // those permissions over to the checkpoint. CREATE_NEW gives the usual umask permissions.
        Path tmp = dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
        forceDirectory(dir);
    }

    /**
     * Deletes temporary files of earlier saves of this checkpoint whose writing process is gone (a
     * save killed mid-way leaves one behind). Temporaries of live processes are left alone.
     */
    private static void removeAbandonedTemporaries(Path dir, String name) {
        String prefix = "." + name + ".";
        try (java.nio.file.DirectoryStream<Path> stream = Files.newDirectoryStream(dir, prefix + "*.tmp")) {
            for (Path p : stream) {
                String rest = p.getFileName().toString().substring(prefix.length());
                int dot = rest.indexOf('.');
                long pid;
                try {
                    pid = Long.parseLong(dot < 0 ? rest : rest.substring(0, dot));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            // Cleaning up is a courtesy: a directory we cannot list must not stop the save.
        }
    }

    /**
     * Replaces {@code model}'s parameter values with those in {@code file}, after validating the
     * whole file against the model.
     *
     * @param model the model, whose parameters must match the checkpoint's in number and shape
     * @param file the checkpoint file
     * @throws IOException if the file cannot be read, is not a valid checkpoint, or does not fit
     *     the model; the message says which, and the model is left unchanged
     */
    public static void load(Layer model, Path file) throws IOException {
        if (model == null || file == null) {
            throw new IllegalArgumentException("Checkpoint.load: " + (model == null ? "model" : "file") + " is null");
        }
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE) {
                throw new IOException("Checkpoint " + file + ": " + size + " bytes is too large to be a checkpoint");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("Checkpoint " + file + ": file does not exist", e);
        } catch (IOException e) {
            throw e.getMessage() != null && e.getMessage().startsWith("Checkpoint ") ? e
                    : new IOException("Checkpoint " + file + ": cannot be read (" + e.getMessage() + ")", e);
        }
        double[][] values = decode(bytes, model.parameters(), file);
        List<Tensor> params = model.parameters();
        for (int i = 0; i < values.length; i++) {
            double[] v = values[i];
            params.get(i).modify(buffer -> System.arraycopy(v, 0, buffer, 0, v.length));
        }
    }

    static ByteBuffer encode(List<Tensor> params) throws IOException {
        long body = 4;
        for (Tensor p : params) {
            body += 4 + 4L * p.rank() + 8L * p.size();
        }
        long total = HEADER + body + CHECKSUM;
        if (total > MAX_FILE) {
            throw new IOException("Checkpoint: " + total + " bytes of parameters are too many for one checkpoint file");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.BIG_ENDIAN);
        buf.put(MAGIC).putInt(FORMAT_VERSION).putLong(body).putInt(params.size());
        for (Tensor p : params) {
            int[] shape = p.shape();
            buf.putInt(shape.length);
            for (int d : shape) {
                buf.putInt(d);
            }
            double[] v = p.toArray();
            for (double x : v) {
                buf.putDouble(x);
            }
        }
        CRC32 crc = new CRC32();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        buf.flip();
        return buf;
    }

    /** Validates everything and returns the values per parameter; throws before anything is changed. */
    private static double[][] decode(byte[] bytes, List<Tensor> params, Path file) throws IOException {
        String where = "Checkpoint " + file + ": ";
        if (bytes.length == 0) {
            throw new IOException(where + "file is empty");
        }
        if (bytes.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
            throw new IOException(where + "not an Adjoint checkpoint (the file does not start with the checkpoint magic bytes)");
        }
        if (bytes.length < HEADER + 4 + CHECKSUM) {
            throw new IOException(where + "truncated: " + bytes.length + " bytes, but even an empty checkpoint has "
                    + (HEADER + 4 + CHECKSUM));
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        int version = buf.getInt(MAGIC.length);
        long body = buf.getLong(12);
        long expected = HEADER + body + CHECKSUM;
        if (body < 4 || expected != bytes.length) {
            throw new IOException(where + (body >= 4 && bytes.length < expected ? "truncated" : "corrupted") + ": the header declares "
                    + (body < 0 || body > Integer.MAX_VALUE ? "an impossible size" : expected + " bytes") + " but the file has "
                    + bytes.length);
        }
        int end = bytes.length - CHECKSUM;
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, end);
        int stored = buf.getInt(end);
        if ((int) crc.getValue() != stored) {
            throw new IOException(where + "corrupted: checksum mismatch (stored " + hex(stored) + ", computed "
                    + hex((int) crc.getValue()) + ")");
        }
        if (version != FORMAT_VERSION) {
            throw new IOException(where + "unsupported format version " + version + " (this library reads version "
                    + FORMAT_VERSION + ")");
        }
        buf.position(HEADER).limit(end);
        int count = buf.getInt();
        if (count < 0 || count > buf.remaining() / 4) {
            throw new IOException(where + "corrupted: impossible parameter count " + count);
        }
        int[][] shapes = new int[count][];
        double[][] values = new double[count][];
        for (int i = 0; i < count; i++) {
            if (buf.remaining() < 4) {
                throw new IOException(where + "corrupted: body ends inside parameter " + i);
            }
            int rank = buf.getInt();
            if (rank < 0 || rank > MAX_RANK || buf.remaining() < 4L * rank) {
                throw new IOException(where + "corrupted: impossible rank " + rank + " for parameter " + i);
            }
            int[] shape = new int[rank];
            long size = 1;
            for (int k = 0; k < rank; k++) {
                shape[k] = buf.getInt();
                if (shape[k] < 0) {
                    throw new IOException(where + "corrupted: negative dimension in shape " + Arrays.toString(shape)
                            + " of parameter " + i);
                }
                size *= shape[k];
                if (size > buf.remaining()) {
                    throw new IOException(where + "corrupted: shape of parameter " + i + " is larger than the file");
                }
            }
            if (8 * size > buf.remaining()) {
                throw new IOException(where + "corrupted: parameter " + i + " of shape " + Arrays.toString(shape)
                        + " needs " + 8 * size + " bytes but only " + buf.remaining() + " remain");
            }
            double[] v = new double[(int) size];
            buf.asDoubleBuffer().get(v);
            buf.position(buf.position() + 8 * v.length);
            shapes[i] = shape;
            values[i] = v;
        }
        if (buf.hasRemaining()) {
            throw new IOException(where + "corrupted: " + buf.remaining() + " unexpected bytes after the last parameter");
        }
        if (count != params.size()) {
            throw new IOException(where + "does not fit the model: the checkpoint has " + count
                    + " parameters but the model has " + params.size());
        }
        for (int i = 0; i < count; i++) {
            int[] modelShape = params.get(i).shape();
            if (!Arrays.equals(shapes[i], modelShape)) {
                throw new IOException(where + "does not fit the model: parameter " + i + " has shape "
                        + Arrays.toString(shapes[i]) + " in the checkpoint but " + Arrays.toString(modelShape) + " in the model");
            }
        }
        return values;
    }

    private static String hex(int v) {
        return String.format("0x%08x", v);
    }

    /** Makes the rename durable where the platform allows opening a directory; elsewhere a no-op. */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // NOTE: some platforms (Windows) cannot open a directory; the rename itself has happened.
        }
    }
}
