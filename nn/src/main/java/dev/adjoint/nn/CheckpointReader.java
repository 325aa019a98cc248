package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Reads one checkpoint file (format in {@link Checkpoint}) against a model, comparing the parameter
 * count and every shape with the model's as they are read. Nothing is allocated in proportion to
 * what the file claims: values are read only into arrays the size of the model's parameters, and
 * at most the file's size or the size of a checkpoint of the model, whichever is smaller, is read.
 *
 * <p>A file no larger than the model's checkpoint is read whole and its checksum verified before
 * anything else is reported, so damage is named as damage. A larger file cannot fit the model; its
 * structure is walked without reading the values (so without a checksum) only to say why.
 */
final class CheckpointReader {
    static final byte[] MAGIC = {(byte) 0x89, 'A', 'D', 'J', 'C', 'K', 'P', '\n'};
    static final int HEADER = 20;
    static final int CHECKSUM = 4;
    private static final int MAX_RANK = 64;

    private final FileChannel channel;
    private final String where;
    /** The file's length when it was opened; nothing beyond it is read. */
    private final long size;
    /** Null when walking a file too large to fit the model: values are then skipped, not read. */
    private final CRC32 crc;
    private final ByteBuffer buf;
    /** The file offset just past the last byte read into {@link #buf}. */
    private long filled;

    private CheckpointReader(FileChannel channel, String where, long size, boolean whole) {
        this.channel = channel;
        this.where = where;
        this.size = size;
        this.crc = whole ? new CRC32() : null;
        // a skipping walk reads one parameter's rank and shape at a time
        int capacity = whole ? (int) Math.min(1 << 16, Math.max(64, size)) : 8 + 4 * MAX_RANK;
        this.buf = ByteBuffer.allocate(capacity).order(ByteOrder.BIG_ENDIAN).limit(0);
    }

    /**
     * The format version a file declares, or -1 if it does not start like a checkpoint (the
     * reader of version 1 then says what is wrong). Reads the first 12 bytes only.
     */
    static int version(FileChannel channel, long size) throws IOException {
        if (size < MAGIC.length + 4) {
            return -1;
        }
        ByteBuffer head = ByteBuffer.allocate(MAGIC.length + 4);
        while (head.hasRemaining() && channel.read(head, head.position()) > 0) {
            // reads until the header is complete or the file ends
        }
        if (head.hasRemaining() || !Arrays.equals(Arrays.copyOf(head.array(), MAGIC.length), MAGIC)) {
            return -1;
        }
        return head.getInt(MAGIC.length);
    }

    /**
     * The whole file of {@code size} bytes (already bounded by the caller), after checking that the
     * header's declared length matches it.
     */
    static byte[] readAll(FileChannel channel, long size, String where) throws IOException {
        if (size < HEADER + 4 + CHECKSUM) {
            throw new IOException(where + "truncated: " + size + " bytes, but even an empty checkpoint has " + (HEADER + 4 + CHECKSUM));
        }
        ByteBuffer all = ByteBuffer.allocate((int) size);
        while (all.hasRemaining()) {
            if (channel.read(all, all.position()) <= 0) {
                throw new IOException(where + "truncated: the file ended at byte " + all.position() + " while being read (it had "
                        + size + " bytes when opened)");
            }
        }
        long body = all.getLong(MAGIC.length + 4);
        if (body < 4 || HEADER + body + CHECKSUM != size) {
            throw new IOException(where + (body >= 4 && size < HEADER + body + CHECKSUM ? "truncated" : "corrupted")
                    + ": the header declares " + (body >= 4 && body < Long.MAX_VALUE / 2 ? (HEADER + body + CHECKSUM) + " bytes"
                    : "an impossible size") + " but the file has " + size);
        }
        return all.array();
    }

    /** The number of bytes a checkpoint of {@code params} has. */
    static long fileLength(List<Tensor> params) {
        return HEADER + bodyLength(params) + CHECKSUM;
    }

    static long bodyLength(List<Tensor> params) {
        long body = 4;
        for (Tensor p : params) {
            body += 4 + 4L * p.rank() + 8L * p.size();
        }
        return body;
    }

    /**
     * Validates the file (of {@code size} bytes, a regular file) against {@code params} and returns
     * the values per parameter; throws, naming the problem, before anything is changed.
     */
    static double[][] read(FileChannel channel, long size, List<Tensor> params, String where) throws IOException {
        if (size == 0) {
            throw new IOException(where + "file is empty");
        }
        boolean whole = size <= fileLength(params);
        return new CheckpointReader(channel, where, size, whole).read(params);
    }

    private double[][] read(List<Tensor> params) throws IOException {
        if (size < MAGIC.length) {
            throw new IOException(where + "not an Adjoint checkpoint (the file does not start with the checkpoint magic bytes)");
        }
        need(MAGIC.length);
        byte[] magic = new byte[MAGIC.length];
        buf.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException(where + "not an Adjoint checkpoint (the file does not start with the checkpoint magic bytes)");
        }
        if (size < HEADER + 4 + CHECKSUM) {
            throw new IOException(where + "truncated: " + size + " bytes, but even an empty checkpoint has " + (HEADER + 4 + CHECKSUM));
        }
        int version = getInt();
        long body = getLong();
        boolean possible = body >= 4 && body <= Long.MAX_VALUE - HEADER - CHECKSUM;
        if (!possible || HEADER + body + CHECKSUM != size) {
            throw new IOException(where + (possible && size < HEADER + body + CHECKSUM ? "truncated" : "corrupted")
                    + ": the header declares " + (possible ? (HEADER + body + CHECKSUM) + " bytes" : "an impossible size")
                    + " but the file has " + size);
        }
        if (crc == null && version != Checkpoint.FORMAT_VERSION) {
            throw unsupported(version);
        }
        double[][] values = new double[params.size()][];
        String problem = body(params, values);
        if (crc == null) {
            // a file larger than the model's checkpoint always has a problem; the fallback is for safety
            throw new IOException(problem != null ? problem : where + "does not fit the model: " + size + " bytes, but a checkpoint of"
                    + " the model has " + fileLength(params));
        }
        skip(size - CHECKSUM - position());
        int computed = (int) crc.getValue();
        int stored = getInt();
        if (computed != stored) {
            throw new IOException(where + "corrupted: checksum mismatch (stored " + hex(stored) + ", computed " + hex(computed) + ")");
        }
        if (version != Checkpoint.FORMAT_VERSION) {
            throw unsupported(version);
        }
        if (problem != null) {
            throw new IOException(problem);
        }
        return values;
    }

    /**
     * Walks the body, filling {@code values} (when reading whole); returns the first problem, or
     * null if the body matches the model exactly.
     */
    private String body(List<Tensor> params, double[][] values) throws IOException {
        long end = size - CHECKSUM;
        int count = getInt();
        if (count < 0 || count > (end - position()) / 4) {
            return where + "corrupted: impossible parameter count " + count;
        }
        if (count != params.size()) {
            return where + "does not fit the model: the checkpoint has " + count + " parameters but the model has " + params.size();
        }
        for (int i = 0; i < count; i++) {
            if (end - position() < 4) {
                return where + "corrupted: body ends inside parameter " + i;
            }
            int rank = getInt();
            if (rank < 0 || rank > MAX_RANK || end - position() < 4L * rank) {
                return where + "corrupted: impossible rank " + rank + " for parameter " + i;
            }
            int[] shape = new int[rank];
            for (int k = 0; k < rank; k++) {
                shape[k] = getInt();
            }
            long room = (end - position()) / 8;
            long elements = 1;
            for (int d : shape) {
                if (d < 0) {
                    return where + "corrupted: negative dimension in shape " + Arrays.toString(shape) + " of parameter " + i;
                }
                elements = d == 0 || elements == 0 ? 0 : elements > room / d ? room + 1 : elements * d;
            }
            if (elements > room) {
                return where + "corrupted: parameter " + i + " of shape " + Arrays.toString(shape) + " needs more than the "
                        + (end - position()) + " bytes that remain";
            }
            int[] modelShape = params.get(i).shape();
            if (!Arrays.equals(shape, modelShape)) {
                return where + "does not fit the model: parameter " + i + " has shape " + Arrays.toString(shape)
                        + " in the checkpoint but " + Arrays.toString(modelShape) + " in the model";
            }
            if (crc == null) {
                skip(8 * elements);
            } else {
                values[i] = new double[(int) elements];
                readDoubles(values[i]);
            }
        }
        if (position() < end) {
            return where + "corrupted: " + (end - position()) + " unexpected bytes after the last parameter";
        }
        return null;
    }

    private IOException unsupported(int version) {
        return new IOException(where + "unsupported format version " + version + " (this library reads versions "
                + Checkpoint.FORMAT_VERSION + " to " + CheckpointEntries.VERSION + ")");
    }

    /** The file offset of the next unread byte. */
    private long position() {
        return filled - buf.remaining();
    }

    /** Makes at least {@code n} bytes available in {@link #buf}, reading no further than {@link #size}. */
    private void need(int n) throws IOException {
        if (buf.remaining() >= n) {
            return;
        }
        buf.compact();
        while (buf.position() < n) {
            buf.limit((int) Math.min(buf.capacity(), buf.position() + (size - filled)));
            int start = buf.position();
            int read;
            try {
                read = buf.hasRemaining() ? channel.read(buf, filled) : -1;
            } catch (IOException e) {
                throw new IOException(where + "cannot be read (" + e.getMessage() + ")", e);
            }
            if (read <= 0) {
                throw new IOException(where + "truncated: the file ended at byte " + filled + " while being read (it had " + size
                        + " bytes when opened)");
            }
            if (crc != null) {
                // the checksum covers everything before itself
                long covered = Math.max(0, Math.min(read, size - CHECKSUM - filled));
                crc.update(buf.array(), start, (int) covered);
            }
            filled += read;
        }
        buf.flip();
    }

    private void skip(long n) throws IOException {
        if (n <= buf.remaining()) {
            buf.position(buf.position() + (int) n);
            return;
        }
        if (crc == null) {
            filled += n - buf.remaining();
            buf.position(buf.limit());
            return;
        }
        while (n > 0) {
            need(1);
            int step = (int) Math.min(n, buf.remaining());
            buf.position(buf.position() + step);
            n -= step;
        }
    }

    private int getInt() throws IOException {
        need(4);
        return buf.getInt();
    }

    private long getLong() throws IOException {
        need(8);
        return buf.getLong();
    }

    private void readDoubles(double[] into) throws IOException {
        int i = 0;
        while (i < into.length) {
            need(8);
            int n = Math.min(into.length - i, buf.remaining() / 8);
            buf.asDoubleBuffer().get(into, i, n);
            buf.position(buf.position() + 8 * n);
            i += n;
        }
    }

    private static String hex(int v) {
        return String.format("0x%08x", v);
    }
}
