package dev.adjoint.nn;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
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
 * the new one, never half of one. It works for any file name the file system accepts, removes no
 * file but its own temporary one, and throws only {@link IOException}.
 *
 * <p>{@link #load} treats the file as untrusted. It refuses anything but a regular file (a device
 * such as {@code /dev/zero}, a FIFO or a socket is refused before it is opened), reads at most as
 * many bytes as a checkpoint of the model has, compares the parameter count and each shape with
 * the model's as they are read, and allocates nothing in proportion to what the file claims, so a
 * file of any claimed size is refused at once. A file no larger than the model's checkpoint is
 * validated whole (magic, length, checksum, version, structure, then the parameter count and every
 * shape against the model) before the model is touched; a larger one cannot fit the model and is
 * refused with what does not fit, its values unread. On any problem {@code load} throws
 * {@link IOException} saying what is wrong, and the model is unchanged.
 *
 * <h2>Dtypes</h2>
 * A checkpoint stores each tensor in its dtype (format version 3; see {@link #FORMAT_VERSION}), so a
 * float32 model's file is about half the size. Loading converts to the model as it is: a float64
 * checkpoint loaded into a float32 model (after {@code model.to(DType.FLOAT32)}) is rounded to
 * float, and a float32 checkpoint loaded into a float64 model is widened exactly; optimizer state
 * is converted to its parameter's dtype. The model's dtype never changes on load.
 */
public final class Checkpoint {
    /**
     * The format version of a checkpoint of float64 parameters only, which this class writes for a
     * float64 model without buffers and no optimizer; version 3 (named entries: parameters, buffers
     * and optimizer state, each stored in its dtype, float32 or float64) is written otherwise.
     * Versions 1, 2 (named entries, float64 only) and 3 are read.
     */
    public static final int FORMAT_VERSION = 1;

    private static final long MAX_FILE = Integer.MAX_VALUE - 16;
    /** Linux's limit on symbolic links followed in one lookup. */
    private static final int MAX_LINKS = 40;
    /** The most characters of the checkpoint's name a temporary file's name borrows. */
    private static final int TEMPORARY_PREFIX = 16;

    private Checkpoint() {
    }

    /**
     * Writes {@code model}'s parameters to {@code file}, replacing it atomically.
     *
     * <p>If {@code file} is a symbolic link (or a chain of them), the link is followed: the file it
     * points to is replaced, in that file's directory, and the link is left as it is, as writing to
     * the path would do; a dangling link gets the file it names created.
     *
     * <p>While saving, a temporary file named {@code .<up to 16 letters, digits, '-', '_' or '.'
     * from the start of the name>.<16 hex digits>.tmp} lives next to the target. It is removed when
     * the save ends, whether it succeeds or fails; only a process killed mid-save leaves one behind.
     * Temporary files of other saves are never touched, even ones that look abandoned (a writer in
     * another container or on another host cannot be told from a dead one), so such a leftover is
     * the user's to delete when no save is running.
     *
     * @param model the model
     * @param file the checkpoint file; its directory must exist
     * @throws IOException if writing fails (the previous file, if any, is then left as it was)
     */
    public static void save(Layer model, Path file) throws IOException {
        if (model == null || file == null) {
            throw new IllegalArgumentException("Checkpoint.save: " + (model == null ? "model" : "file") + " is null");
        }
        write(model.namedBuffers().isEmpty() && float64(model.parameters()) ? encode(model.parameters())
                : CheckpointEntries.encode(CheckpointEntries.entries(model, null), MAX_FILE), file);
    }

    /**
     * Writes {@code model}'s parameters and buffers and {@code optimizer}'s state (its name, learning
     * rate and per-parameter state such as Adam's moments and step counts, by parameter name) to
     * {@code file}, replacing it atomically as {@link #save(Layer, Path)} does. Loading it with
     * {@link #load(Layer, Optimizer, Path)} into a fresh model and optimizer of the same kind lets
     * training continue bit for bit as if it had never stopped. The optimizer's hyper-parameters
     * other than the learning rate (momentum, betas, weight decay) are not saved: build the
     * optimizer with the same ones.
     *
     * @param model the model
     * @param optimizer the optimizer, whose parameters must all be parameters of {@code model}
     * @param file the checkpoint file; its directory must exist
     * @throws IOException if writing fails (the previous file, if any, is then left as it was)
     * @throws IllegalArgumentException if an argument is null or the optimizer has a parameter the
     *     model does not
     */
    public static void save(Layer model, Optimizer optimizer, Path file) throws IOException {
        if (model == null || optimizer == null || file == null) {
            throw new IllegalArgumentException("Checkpoint.save: " + (model == null ? "model" : optimizer == null ? "optimizer" : "file")
                    + " is null");
        }
        write(CheckpointEntries.encode(CheckpointEntries.entries(model, optimizer), MAX_FILE), file);
    }

    /** Saves as {@link #save(Layer, Optimizer, Path)}, with a trainer's position ({@code extras}) as well. */
    static void save(Layer model, Optimizer optimizer, Map<String, double[]> extras, Path file) throws IOException {
        write(CheckpointEntries.encode(CheckpointEntries.entries(model, optimizer, extras), MAX_FILE), file);
    }

    /**
     * Loads as {@link #load(Layer, Optimizer, Path)} and returns the trainer entries the file holds
     * (empty if none); nothing is changed if the file is refused.
     */
    static Map<String, double[]> loadWithExtras(Layer model, Optimizer optimizer, Path file) throws IOException {
        return load(model, optimizer, file, "Checkpoint " + file + ": ");
    }

    /**
     * The most bytes a trainer's entries may add to a checkpoint (a loss history of 8 million
     * steps): any load accepts them, so a trainer's checkpoint also loads into a model alone.
     */
    private static final long TRAINER_ALLOWANCE = 1L << 26;

    private static void write(ByteBuffer bytes, Path file) throws IOException {
        writeAtomically(bytes, file, "Checkpoint");
    }

    /**
     * Writes {@code bytes} to {@code file} by way of a temporary file in its directory and an atomic
     * rename (see {@link #save(Layer, Path)}); {@code what} starts the error messages.
     */
    static void writeAtomically(ByteBuffer bytes, Path file, String what) throws IOException {
        Path target = followLinks(file);
        Path dir = target.getParent();
        if (dir == null || target.getFileName() == null) {
            throw new IOException(what + " " + file + ": not a file path (it has no parent directory)");
        }
        if (Files.isDirectory(target)) {
            throw new IOException(what + " " + file + ": is a directory");
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException(what + " " + file + ": directory " + dir + " does not exist");
        }
        String prefix = temporaryPrefix(target.getFileName().toString());
        Path tmp = null;
        boolean moved = false;
        try {
            FileChannel ch = null;
            while (ch == null) {
                tmp = dir.resolve("." + prefix + "." + String.format("%016x", ThreadLocalRandom.current().nextLong()) + ".tmp");
                try {
                    // NOTE: not Files.createTempFile: it creates owner-only files, and the rename would carry
                    // those permissions over to the checkpoint. CREATE_NEW gives the usual umask permissions.
                    ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
                } catch (FileAlreadyExistsException e) {
                    tmp = null; // another save's name: never ours to remove
                }
            }
            try (FileChannel out = ch) {
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                out.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved && tmp != null) {
                Files.deleteIfExists(tmp);
            }
        }
        forceDirectory(dir);
    }

    /** The file {@code file} finally names, following symbolic links on its last component. */
    private static Path followLinks(Path file) throws IOException {
        Path target = file.toAbsolutePath();
        for (int hops = 0; Files.isSymbolicLink(target); hops++) {
            if (hops == MAX_LINKS) {
                throw new IOException("Checkpoint " + file + ": too many levels of symbolic links");
            }
            // a relative link is relative to the link's directory; resolve keeps an absolute one as it is
            target = target.getParent().resolve(Files.readSymbolicLink(target));
        }
        return target;
    }

    /**
     * The start of a temporary file's name: characters every file system accepts and no shell or
     * glob treats specially, few enough that the temporary name is never near a length limit.
     */
    private static String temporaryPrefix(String name) {
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < name.length() && prefix.length() < TEMPORARY_PREFIX; i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')) {
                break;
            }
            prefix.append(c);
        }
        return prefix.length() == 0 ? "checkpoint" : prefix.toString();
    }

    /**
     * Replaces {@code model}'s parameter values with those in {@code file}, after validating the
     * file against the model (see the class description for what is refused and how).
     *
     * @param model the model, whose parameters must match the checkpoint's in number and shape
     * @param file the checkpoint file, a regular file or a symbolic link to one
     * @throws IOException if the file cannot be read, is not a regular file, is not a valid
     *     checkpoint, or does not fit the model; the message says which, and the model is left
     *     unchanged
     */
    public static void load(Layer model, Path file) throws IOException {
        if (model == null || file == null) {
            throw new IllegalArgumentException("Checkpoint.load: " + (model == null ? "model" : "file") + " is null");
        }
        load(model, null, file, "Checkpoint " + file + ": ");
    }

    /**
     * Replaces {@code model}'s parameters and buffers and {@code optimizer}'s state with those in
     * {@code file}, written by {@link #save(Layer, Optimizer, Path)}, after validating all of it:
     * the file is refused (an {@link IOException} naming the problem, with the model and the
     * optimizer unchanged) if it is damaged, holds no optimizer state or the state of another kind
     * of optimizer ("holds the state of a Adam optimizer, not of SGD"), or if a parameter or a
     * state array has another shape than in the model (naming the parameter and both shapes).
     *
     * @param model the model
     * @param optimizer the optimizer, whose parameters must all be parameters of {@code model}
     * @param file the checkpoint file
     * @throws IOException if the file cannot be read or does not fit; nothing is changed then
     */
    public static void load(Layer model, Optimizer optimizer, Path file) throws IOException {
        if (model == null || optimizer == null || file == null) {
            throw new IllegalArgumentException("Checkpoint.load: " + (model == null ? "model" : optimizer == null ? "optimizer" : "file")
                    + " is null");
        }
        load(model, optimizer, file, "Checkpoint " + file + ": ");
    }

    private static Map<String, double[]> load(Layer model, Optimizer optimizer, Path file, String where) throws IOException {
        List<Tensor> params = model.parameters();
        BasicFileAttributes attributes;
        FileChannel ch;
        try {
            // NOTE: the type is checked on the path before opening: opening a FIFO with no writer blocks
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (attributes.isDirectory()) {
                throw new IOException(where + "is a directory, not a checkpoint file");
            }
            if (!attributes.isRegularFile()) {
                throw new IOException(where + "not a regular file (a device, FIFO or socket), so not a checkpoint; refused unread");
            }
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new IOException(where + "file does not exist", e);
        } catch (IOException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(where) ? e
                    : new IOException(where + "cannot be read (" + e.getMessage() + ")", e);
        }
        double[][] values;
        try (ch) {
            if (CheckpointEntries.reads(CheckpointReader.version(ch, attributes.size()))) {
                long max = CheckpointEntries.maxLength(model, optimizer) + TRAINER_ALLOWANCE;
                if (attributes.size() > max) {
                    throw new IOException(where + "does not fit the model: " + attributes.size()
                            + " bytes, more than any checkpoint of the model" + (optimizer == null ? "" : " and its optimizer")
                            + " can have (" + max + ")");
                }
                byte[] bytes = CheckpointReader.readAll(ch, attributes.size(), where);
                CheckpointEntries.Restore restore = CheckpointEntries.check(CheckpointEntries.decode(bytes, where), model, optimizer, where);
                restore.apply(optimizer);
                return restore.extras;
            }
            if (optimizer != null) {
                throw new IOException(where + "holds no optimizer state (it is a format version " + Checkpoint.FORMAT_VERSION
                        + " checkpoint, saved without an optimizer)");
            }
            values = CheckpointReader.read(ch, attributes.size(), params, where);
        }
        for (int i = 0; i < values.length; i++) {
            double[] v = values[i];
            params.get(i).modify(buffer -> System.arraycopy(v, 0, buffer, 0, v.length));
        }
        return Map.of();
    }

    private static boolean float64(List<Tensor> tensors) {
        for (Tensor t : tensors) {
            if (t.dtype() != DType.FLOAT64) {
                return false;
            }
        }
        return true;
    }

    static ByteBuffer encode(List<Tensor> params) throws IOException {
        long body = CheckpointReader.bodyLength(params);
        long total = CheckpointReader.HEADER + body + CheckpointReader.CHECKSUM;
        if (total > MAX_FILE) {
            throw new IOException("Checkpoint: " + total + " bytes of parameters are too many for one checkpoint file");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.BIG_ENDIAN);
        buf.put(CheckpointReader.MAGIC).putInt(FORMAT_VERSION).putLong(body).putInt(params.size());
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

    /** Makes the rename durable where the platform allows opening a directory; elsewhere a no-op. */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // NOTE: some platforms (Windows) cannot open a directory; the rename itself has happened.
        }
    }
}
