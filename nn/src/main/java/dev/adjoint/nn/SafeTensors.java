package dev.adjoint.nn;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes a model's weights in the <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * format with PyTorch's names and layouts, so that weights move between Adjoint and PyTorch:
 * {@code torch.nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))} and
 * {@code new Sequential(new Linear(2, 3, rng), new Tanh(), new Linear(3, 1, rng))} share the names
 * {@code 0.weight}, {@code 0.bias}, {@code 2.weight}, {@code 2.bias}.
 *
 * <p>The format: an 8-byte little-endian header length, a JSON header mapping each name to its
 * {@code dtype}, {@code shape} and {@code data_offsets}, then the raw little-endian data. Adjoint
 * writes each tensor in its dtype, {@code F64} or {@code F32} (as PyTorch writes a float64 or a
 * float32 model); it reads {@code F64}, {@code F32}, {@code F16} and {@code BF16} (PyTorch saves
 * float32 by default), and {@code I64} and {@code I32} (batch normalization's
 * {@code num_batches_tracked} counter). Loading converts each tensor to the dtype of the model's
 * tensor it goes into: a float64 file into a float32 model is rounded to float, a float32 file into
 * a float64 model widened exactly; the model's dtype never changes on load.
 *
 * <p>Layouts: a {@link Linear}'s weight is {@code [in, out]} in Adjoint and {@code [out, in]} in
 * PyTorch, so it is transposed on the way out and on the way in; every other tensor keeps its
 * layout. Buffers ({@link Layer#namedBuffers()}) are saved and loaded with the parameters.
 *
 * <p>{@link #load} treats the file as untrusted and checks all of it (header length, JSON, every
 * name, dtype, shape and byte range against the model) before it changes anything; every problem is
 * an {@link IOException} naming the tensor and what is wrong. {@link #save} replaces the file
 * atomically, as {@link Checkpoint#save(Layer, java.nio.file.Path)} does.
 */
public final class SafeTensors {
    /** The largest JSON header accepted, as the reference implementation limits it (100 MB). */
    private static final long MAX_HEADER = 100_000_000L;

    private SafeTensors() {
    }

    /**
     * Writes the model's parameters and buffers, in PyTorch's names and layouts, each in its dtype
     * ({@code F32} for a float32 tensor, {@code F64} for a float64 one).
     *
     * @param model the model
     * @param file the file to write; its directory must exist
     * @throws IOException if writing fails (a previous file is then left as it was)
     */
    public static void save(Layer model, Path file) throws IOException {
        if (model == null || file == null) {
            throw new IllegalArgumentException("SafeTensors.save: " + (model == null ? "model" : "file") + " is null");
        }
        Map<String, Stored> tensors = pytorchView(model);
        StringBuilder json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\",\"writer\":\"adjoint\"}");
        long offset = 0;
        for (Map.Entry<String, Stored> e : tensors.entrySet()) {
            int[] shape = e.getValue().shape();
            boolean float32 = e.getValue().tensor().dtype() == DType.FLOAT32;
            long bytes = (float32 ? 4L : 8L) * e.getValue().size();
            json.append(",\"").append(escape(e.getKey())).append("\":{\"dtype\":\"").append(float32 ? "F32" : "F64")
                    .append("\",\"shape\":[");
            for (int i = 0; i < shape.length; i++) {
                json.append(i == 0 ? "" : ",").append(shape[i]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        json.append('}');
        byte[] header = json.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8; // the data starts 8-byte aligned, as the reference writer does
        long total = 8 + padded + offset;
        if (total > Integer.MAX_VALUE - 16) {
            throw new IOException("SafeTensors: " + total + " bytes are too many for one file");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded).put(header);
        for (int i = header.length; i < padded; i++) {
            buf.put((byte) ' ');
        }
        for (Stored s : tensors.values()) {
            boolean float32 = s.tensor().dtype() == DType.FLOAT32;
            for (double v : s.values()) {
                if (float32) {
                    buf.putFloat((float) v);
                } else {
                    buf.putDouble(v);
                }
            }
        }
        buf.flip();
        Checkpoint.writeAtomically(buf, file, "SafeTensors");
    }

    /**
     * Replaces the model's parameters and buffers with the tensors of a safetensors file, by
     * PyTorch's names, after checking the whole file against the model: the file must hold exactly
     * the model's tensors (none missing, none unexpected), each with the shape PyTorch gives it and
     * a float dtype.
     *
     * @param model the model
     * @param file a safetensors file, for instance from PyTorch's {@code safetensors.torch.save_file(model.state_dict(), ...)}
     * @throws IOException if the file cannot be read or does not fit the model, naming the tensor
     *     and the problem; the model is then unchanged
     */
    public static void load(Layer model, Path file) throws IOException {
        if (model == null || file == null) {
            throw new IllegalArgumentException("SafeTensors.load: " + (model == null ? "model" : "file") + " is null");
        }
        String where = "SafeTensors " + file + ": ";
        Map<String, Stored> expected = pytorchView(model);
        long maxData = 0;
        for (Stored s : expected.values()) {
            maxData += 8L * s.size();
        }
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new IOException(where + "file does not exist", e);
        }
        if (!attributes.isRegularFile()) {
            throw new IOException(where + "not a regular file; refused unread");
        }
        long size = attributes.size();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (size < 8) {
                throw new IOException(where + "truncated: " + size + " bytes, but the header length alone takes 8");
            }
            ByteBuffer lengthBytes = read(ch, 0, 8, where).order(ByteOrder.LITTLE_ENDIAN);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > size - 8) {
                throw new IOException(where + "corrupted: the header length is " + Long.toUnsignedString(headerLength)
                        + " bytes but the file has " + size + (headerLength > MAX_HEADER ? " (and the limit is 100 MB)" : ""));
            }
            if (size - 8 - headerLength > maxData) {
                throw new IOException(where + "does not fit the model: " + (size - 8 - headerLength)
                        + " bytes of data, more than the model's " + maxData + " bytes as float64");
            }
            ByteBuffer headerBytes = read(ch, 8, (int) headerLength, where);
            Object parsed = new Json(new String(headerBytes.array(), java.nio.charset.StandardCharsets.UTF_8), where).parse();
            if (!(parsed instanceof Map<?, ?> header)) {
                throw new IOException(where + "corrupted: the header is not a JSON object");
            }
            long dataLength = size - 8 - headerLength;
            ByteBuffer data = read(ch, 8 + headerLength, (int) dataLength, where).order(ByteOrder.LITTLE_ENDIAN);
            Map<String, double[]> values = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : header.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) {
                    continue;
                }
                Stored want = expected.get(name);
                if (want == null) {
                    throw new IOException(where + "does not fit the model: tensor " + name + " is not in the model (it has "
                            + expected.keySet() + ")");
                }
                values.put(name, decode(name, e.getValue(), want, data, where));
            }
            for (String name : expected.keySet()) {
                if (!values.containsKey(name)) {
                    throw new IOException(where + "does not fit the model: tensor " + name + " is missing");
                }
            }
            for (Map.Entry<String, Stored> e : expected.entrySet()) {
                e.getValue().set(values.get(e.getKey()));
            }
        }
    }

    private static ByteBuffer read(FileChannel ch, long position, int length, String where) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) <= 0) {
                throw new IOException(where + "truncated: the file ended at byte " + (position + b.position()));
            }
        }
        return b.flip();
    }

    private static double[] decode(String name, Object info, Stored want, ByteBuffer data, String where) throws IOException {
        if (!(info instanceof Map<?, ?> m) || !(m.get("dtype") instanceof String dtype) || !(m.get("shape") instanceof List<?> shapeList)
                || !(m.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2) {
            throw new IOException(where + "corrupted: tensor " + name + " lacks a dtype, a shape or two data offsets");
        }
        int[] shape = new int[shapeList.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw new IOException(where + "corrupted: tensor " + name + " has an impossible shape " + shapeList);
            }
            shape[i] = (int) (long) d;
        }
        if (!Arrays.equals(shape, want.shape())) {
            throw new IOException(where + "does not fit the model: tensor " + name + " has shape " + Arrays.toString(shape)
                    + " in the file but " + Arrays.toString(want.shape()) + " in the model (in PyTorch's layout)");
        }
        int width = switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new IOException(where + "tensor " + name + " has dtype " + dtype
                    + "; only F64, F32, F16, BF16, I64 and I32 load");
        };
        if (!(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end) || begin < 0 || end < begin
                || end > data.limit()) {
            throw new IOException(where + "corrupted: tensor " + name + " has data offsets " + offsets + " outside the "
                    + data.limit() + " bytes of data");
        }
        long n = want.size();
        if (end - begin != n * width) {
            throw new IOException(where + "corrupted: tensor " + name + " of shape " + Arrays.toString(shape) + " and dtype " + dtype
                    + " needs " + n * width + " bytes but its offsets span " + (end - begin));
        }
        double[] v = new double[(int) n];
        int at = (int) (long) begin;
        for (int i = 0; i < v.length; i++, at += width) {
            v[i] = switch (dtype) {
                case "F64" -> data.getDouble(at);
                case "F32" -> data.getFloat(at);
                case "I64" -> data.getLong(at); // counters such as num_batches_tracked
                case "I32" -> data.getInt(at);
                case "BF16" -> Float.intBitsToFloat((data.getShort(at) & 0xffff) << 16);
                default -> halfToFloat(data.getShort(at));
            };
        }
        return v;
    }

    /** IEEE 754 binary16 to float, exactly (every half is a float). */
    static float halfToFloat(short h) {
        int sign = (h >>> 15) & 1;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        float magnitude;
        if (exponent == 0) {
            magnitude = mantissa * 0x1p-24f; // zero and subnormals
        } else if (exponent == 31) {
            magnitude = mantissa == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            magnitude = Float.intBitsToFloat((exponent + 112) << 23 | mantissa << 13);
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    /** A tensor as PyTorch stores it: its shape, and how to read and write it from the model. */
    private record Stored(Tensor tensor, boolean transposed) {
        int[] shape() {
            int[] s = tensor.shape();
            return transposed ? new int[] {s[1], s[0]} : s;
        }

        int size() {
            return tensor.size();
        }

        double[] values() {
            return transposed ? tensor.transpose().toArray() : tensor.toArray();
        }

        void set(double[] v) {
            int[] s = tensor.shape();
            double[] own = transposed ? Tensor.of(v, s[1], s[0]).transpose().toArray() : v;
            tensor.modify(b -> System.arraycopy(own, 0, b, 0, own.length));
        }
    }

    /** The model's tensors by PyTorch's names, with a {@link Linear}'s weight marked for transposing. */
    private static Map<String, Stored> pytorchView(Layer model) {
        Map<String, Stored> out = new LinkedHashMap<>();
        collect(model, out);
        return out;
    }

    private static void collect(Layer model, Map<String, Stored> out) {
        Layers.forEachLeaf(model, "", (path, layer) -> {
            String prefix = path.isEmpty() ? "" : path + ".";
            List<Map.Entry<String, Tensor>> all = new ArrayList<>(layer.namedParameters().entrySet());
            all.addAll(layer.namedBuffers().entrySet());
            for (Map.Entry<String, Tensor> e : all) {
                boolean transposed = layer instanceof Linear && e.getKey().equals("weight");
                boolean shared = out.values().stream().anyMatch(st -> st.tensor() == e.getValue());
                if (!shared) {
                    out.put(prefix + e.getKey(), new Stored(e.getValue(), transposed));
                }
            }
        });
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * A strict JSON reader for the header: objects (keys in file order), arrays, strings, whole
     * numbers (as Long) and the literals; anything else is an IOException. Nesting is limited, so a
     * hostile header cannot exhaust the stack.
     */
    private static final class Json {
        private static final int MAX_DEPTH = 32;
        private final String s;
        private final String where;
        private int i;

        Json(String s, String where) {
            this.s = s;
            this.where = where;
        }

        Object parse() throws IOException {
            Object v = value(0);
            space();
            if (i != s.length()) {
                throw error("unexpected text after the header object");
            }
            return v;
        }

        private Object value(int depth) throws IOException {
            if (depth > MAX_DEPTH) {
                throw error("the header nests too deeply");
            }
            space();
            if (i >= s.length()) {
                throw error("the header ends early");
            }
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                space();
                if (peek('}')) {
                    return m;
                }
                do {
                    space();
                    String key = string();
                    space();
                    expect(':');
                    if (m.put(key, value(depth + 1)) != null) {
                        throw error("key " + key + " appears twice");
                    }
                    space();
                } while (peek(','));
                expect('}');
                return m;
            }
            if (c == '[') {
                i++;
                List<Object> a = new ArrayList<>();
                space();
                if (peek(']')) {
                    return a;
                }
                do {
                    a.add(value(depth + 1));
                    space();
                } while (peek(','));
                expect(']');
                return a;
            }
            if (c == '"') {
                return string();
            }
            if (c == '-' || c >= '0' && c <= '9') {
                int start = i;
                i++;
                while (i < s.length() && "0123456789.eE+-".indexOf(s.charAt(i)) >= 0) {
                    i++;
                }
                String number = s.substring(start, i);
                try {
                    return Long.parseLong(number);
                } catch (NumberFormatException e) {
                    return number; // not a whole number: kept as text, refused where a whole number is needed
                }
            }
            for (String literal : new String[] {"true", "false", "null"}) {
                if (s.startsWith(literal, i)) {
                    i += literal.length();
                    return literal;
                }
            }
            throw error("unexpected character '" + c + "'");
        }

        private String string() throws IOException {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw error("a string is not closed");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c == '\\') {
                    if (i >= s.length()) {
                        throw error("a string is not closed");
                    }
                    char e = s.charAt(i++);
                    switch (e) {
                        case '"', '\\', '/' -> b.append(e);
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'n' -> b.append('\n');
                        case 'r' -> b.append('\r');
                        case 't' -> b.append('\t');
                        case 'u' -> {
                            if (i + 4 > s.length()) {
                                throw error("a \\u escape is cut off");
                            }
                            try {
                                b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            } catch (NumberFormatException ex) {
                                throw error("a \\u escape is not hexadecimal");
                            }
                            i += 4;
                        }
                        default -> throw error("unknown escape \\" + e);
                    }
                } else {
                    b.append(c);
                }
            }
        }

        private void space() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) throws IOException {
            if (!peek(c)) {
                throw error("expected '" + c + "' at character " + i + " of the header");
            }
        }

        private IOException error(String what) {
            return new IOException(where + "corrupted: the JSON header is malformed: " + what);
        }
    }
}
