package dev.adjoint.nn;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Format versions 2 and 3 of {@link Checkpoint}: named entries, so that a checkpoint can hold a model's
 * buffers and an optimizer's state next to the parameters, each found by name rather than
 * position. Encoding, and decoding against what a model and an optimizer can hold.
 *
 * <p>Entry names: {@code param.<name>} and {@code buffer.<name>} (the model's
 * {@link Layer#namedParameters()} and {@link Layer#namedBuffers()}), {@code optimizer} (a text: the
 * optimizer's name), {@code optimizer.lr}, and {@code optimizer.<parameter name>.<state name>} (a
 * state array of the parameter's shape, or a counter of shape []).
 *
 * <p>Version 3 (written now) adds a second tensor kind, float32 values (4 bytes each, big-endian),
 * so each entry keeps its tensor's dtype: a float32 model's checkpoint is half the size. Version 2
 * files (float64 tensors only) are still read. Loading converts each value to the dtype of the
 * model's tensor it goes into (rounding float64 to float32, or widening exactly), and optimizer
 * state to its parameter's dtype.
 *
 * <p>Decoding reads a file no longer than the largest checkpoint the model and optimizer could have
 * (so nothing is allocated in proportion to what the file claims), verifies the checksum before it
 * believes anything, then checks every entry's name and shape against the model and the optimizer.
 */
final class CheckpointEntries {
    static final int VERSION = 3;
    /** The oldest named-entries version still read. */
    static final int OLDEST_VERSION = 2;
    private static final int MAX_NAME = 1024;
    private static final int MAX_TEXT = 1 << 16;
    private static final int MAX_RANK = 64;
    private static final byte TENSOR = 0;
    private static final byte TEXT = 1;
    private static final byte TENSOR32 = 2;

    private CheckpointEntries() {
    }

    /** A decoded entry: a tensor's values (widened to double), shape and stored dtype, or a text. */
    record Entry(int[] shape, double[] values, String text, DType dtype) {
        Entry(int[] shape, double[] values, String text) {
            this(shape, values, text, DType.FLOAT64);
        }
    }

    /** Whether this class reads a file of format {@code version}. */
    static boolean reads(int version) {
        return version >= OLDEST_VERSION && version <= VERSION;
    }

    /**
     * The entries of a checkpoint of {@code model} (and {@code optimizer}, if not null), in order,
     * with {@code extras} (named {@code trainer.<key>}, rank 1) after them.
     */
    static Map<String, Entry> entries(Layer model, Optimizer optimizer, Map<String, double[]> extras) {
        Map<String, Entry> out = entries(model, optimizer);
        extras.forEach((k, v) -> out.put("trainer." + k, new Entry(new int[] {v.length}, v.clone(), null)));
        return out;
    }

    /** The entries of a checkpoint of {@code model} (and {@code optimizer}, if not null), in order. */
    static Map<String, Entry> entries(Layer model, Optimizer optimizer) {
        Map<String, Entry> out = new LinkedHashMap<>();
        Map<String, Tensor> params = model.namedParameters();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            out.put("param." + e.getKey(), new Entry(e.getValue().shape(), e.getValue().toArray(), null, e.getValue().dtype()));
        }
        for (Map.Entry<String, Tensor> e : model.namedBuffers().entrySet()) {
            out.put("buffer." + e.getKey(), new Entry(e.getValue().shape(), e.getValue().toArray(), null, e.getValue().dtype()));
        }
        if (optimizer != null) {
            String[] names = parameterNames(model, optimizer);
            out.put("optimizer", new Entry(null, null, optimizer.name()));
            out.put("optimizer.lr", new Entry(new int[0], new double[] {optimizer.learningRate()}, null));
            for (Map.Entry<String, Optimizer.State> state : optimizer.stateArrays().entrySet()) {
                Optimizer.State s = state.getValue();
                for (int i = 0; i < names.length; i++) {
                    if (s.has(i)) {
                        out.put("optimizer." + names[i] + "." + state.getKey(),
                                new Entry(optimizer.parameters().get(i).shape(), s.values(i), null, s.dtype(i)));
                    }
                }
            }
            for (Map.Entry<String, int[]> counter : optimizer.stateCounters().entrySet()) {
                for (int i = 0; i < names.length; i++) {
                    out.put("optimizer." + names[i] + "." + counter.getKey(),
                            new Entry(new int[0], new double[] {counter.getValue()[i]}, null));
                }
            }
        }
        return out;
    }

    /** The model's name of each of the optimizer's parameters. */
    static String[] parameterNames(Layer model, Optimizer optimizer) {
        Map<Tensor, String> byTensor = new IdentityHashMap<>();
        model.namedParameters().forEach((name, t) -> byTensor.putIfAbsent(t, name));
        List<Tensor> ps = optimizer.parameters();
        String[] names = new String[ps.size()];
        for (int i = 0; i < names.length; i++) {
            names[i] = byTensor.get(ps.get(i));
            if (names[i] == null) {
                throw new IllegalArgumentException("Checkpoint: the optimizer's parameter " + i + " of shape "
                        + Arrays.toString(ps.get(i).shape()) + " is not a parameter of the model");
            }
        }
        return names;
    }

    static ByteBuffer encode(Map<String, Entry> entries, long maxFile) throws IOException {
        long body = 4;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            body += 2 + utf8(e.getKey()).length + 1;
            Entry x = e.getValue();
            body += x.text() != null ? 4 + utf8(x.text()).length
                    : 4 + 4L * x.shape().length + (long) x.dtype().bytes() * x.values().length;
        }
        long total = CheckpointReader.HEADER + body + CheckpointReader.CHECKSUM;
        if (total > maxFile) {
            throw new IOException("Checkpoint: " + total + " bytes are too many for one checkpoint file");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.BIG_ENDIAN);
        buf.put(CheckpointReader.MAGIC).putInt(VERSION).putLong(body).putInt(entries.size());
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            byte[] name = utf8(e.getKey());
            buf.putShort((short) name.length).put(name);
            Entry x = e.getValue();
            if (x.text() != null) {
                byte[] text = utf8(x.text());
                buf.put(TEXT).putInt(text.length).put(text);
            } else {
                boolean float32 = x.dtype() == DType.FLOAT32;
                buf.put(float32 ? TENSOR32 : TENSOR).putInt(x.shape().length);
                for (int d : x.shape()) {
                    buf.putInt(d);
                }
                for (double v : x.values()) {
                    if (float32) {
                        buf.putFloat((float) v);
                    } else {
                        buf.putDouble(v);
                    }
                }
            }
        }
        CRC32 crc = new CRC32();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        buf.flip();
        return buf;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The most bytes a version-2 checkpoint of {@code model} and {@code optimizer} can have: every
     * parameter and buffer, and per parameter every state array and counter, each with a name of
     * the longest allowed length, plus the texts.
     */
    static long maxLength(Layer model, Optimizer optimizer) {
        long entryOverhead = 2 + MAX_NAME + 1 + 4 + 4L * MAX_RANK;
        long bytes = CheckpointReader.HEADER + 4 + CheckpointReader.CHECKSUM;
        int states = optimizer == null ? 0 : optimizer.stateArrays().size();
        int counters = optimizer == null ? 0 : optimizer.stateCounters().size();
        for (Tensor p : model.namedParameters().values()) {
            bytes += (1 + states) * (entryOverhead + 8L * p.size()) + counters * (entryOverhead + 8);
        }
        for (Tensor b : model.namedBuffers().values()) {
            bytes += entryOverhead + 8L * b.size();
        }
        if (optimizer != null) {
            bytes += 2 * (entryOverhead + 4 + MAX_TEXT);
        }
        return bytes;
    }

    /**
     * Decodes a whole version-2 or version-3 file (its bytes, checksum not yet verified) into entries, refusing
     * anything malformed; {@code where} starts each message.
     */
    static Map<String, Entry> decode(byte[] file, String where) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.BIG_ENDIAN);
        int end = file.length - CheckpointReader.CHECKSUM;
        CRC32 crc = new CRC32();
        crc.update(file, 0, end);
        int stored = b.getInt(end);
        if ((int) crc.getValue() != stored) {
            throw new IOException(where + "corrupted: checksum mismatch (stored " + String.format("0x%08x", stored) + ", computed "
                    + String.format("0x%08x", (int) crc.getValue()) + ")");
        }
        int version = b.getInt(CheckpointReader.MAGIC.length);
        b.position(CheckpointReader.HEADER).limit(end);
        try {
            int count = b.getInt();
            if (count < 0 || count > b.remaining() / 7) {
                throw new IOException(where + "corrupted: impossible entry count " + count);
            }
            Map<String, Entry> out = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                int nameLength = Short.toUnsignedInt(b.getShort());
                if (nameLength == 0 || nameLength > MAX_NAME || nameLength > b.remaining()) {
                    throw new IOException(where + "corrupted: impossible name length " + nameLength + " of entry " + i);
                }
                String name = text(b, nameLength, where);
                if (out.containsKey(name)) {
                    throw new IOException(where + "corrupted: entry " + name + " appears twice");
                }
                byte kind = b.get();
                if (kind == TEXT) {
                    int length = b.getInt();
                    if (length < 0 || length > MAX_TEXT || length > b.remaining()) {
                        throw new IOException(where + "corrupted: impossible text length " + length + " of entry " + name);
                    }
                    out.put(name, new Entry(null, null, text(b, length, where)));
                } else if (kind == TENSOR || kind == TENSOR32 && version >= 3) {
                    int width = kind == TENSOR32 ? 4 : 8;
                    int rank = b.getInt();
                    if (rank < 0 || rank > MAX_RANK || 4L * rank > b.remaining()) {
                        throw new IOException(where + "corrupted: impossible rank " + rank + " of entry " + name);
                    }
                    int[] shape = new int[rank];
                    long elements = 1;
                    for (int k = 0; k < rank; k++) {
                        shape[k] = b.getInt();
                        if (shape[k] < 0) {
                            throw new IOException(where + "corrupted: negative dimension in shape " + Arrays.toString(shape)
                                    + " of entry " + name);
                        }
                        elements *= shape[k];
                        if (elements > b.remaining() / width) {
                            throw new IOException(where + "corrupted: entry " + name + " needs more than the " + b.remaining()
                                    + " bytes that remain");
                        }
                    }
                    double[] values = new double[(int) elements];
                    if (kind == TENSOR32) {
                        for (int k = 0; k < values.length; k++) {
                            values[k] = b.getFloat();
                        }
                    } else {
                        b.asDoubleBuffer().get(values);
                        b.position(b.position() + 8 * values.length);
                    }
                    out.put(name, new Entry(shape, values, null, kind == TENSOR32 ? DType.FLOAT32 : DType.FLOAT64));
                } else {
                    throw new IOException(where + "corrupted: unknown kind " + kind + " of entry " + name);
                }
            }
            if (b.hasRemaining()) {
                throw new IOException(where + "corrupted: " + b.remaining() + " unexpected bytes after the last entry");
            }
            return out;
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException(where + "corrupted: the body ends inside an entry", e);
        }
    }

    private static String text(ByteBuffer b, int length, String where) throws IOException {
        ByteBuffer slice = b.slice().limit(length);
        b.position(b.position() + length);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(where + "corrupted: a name or text is not UTF-8", e);
        }
    }

    /**
     * Checks decoded entries against the model (and the optimizer, if not null) and returns the
     * values to apply, in the order of {@code targets}: every model parameter and buffer must be
     * present with its shape; optimizer entries must name a parameter and a state of this optimizer
     * with the right shape. Nothing is changed here.
     */
    static Restore check(Map<String, Entry> entries, Layer model, Optimizer optimizer, String where) throws IOException {
        Restore r = new Restore();
        entries.forEach((name, e) -> {
            if (name.startsWith("trainer.") && e.values() != null) {
                r.extras.put(name.substring("trainer.".length()), e.values());
            }
        });
        Map<String, Tensor> params = model.namedParameters();
        Map<String, Tensor> buffers = model.namedBuffers();
        int expected = 0;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            r.tensor(entries, "param." + e.getKey(), "parameter " + e.getKey(), e.getValue(), where);
            expected++;
        }
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
            r.tensor(entries, "buffer." + e.getKey(), "buffer " + e.getKey(), e.getValue(), where);
            expected++;
        }
        for (String name : entries.keySet()) {
            boolean known = name.startsWith("param.") && params.containsKey(name.substring(6))
                    || name.startsWith("buffer.") && buffers.containsKey(name.substring(7)) || name.startsWith("optimizer")
                    || name.startsWith("trainer.");
            if (!known) {
                throw new IOException(where + "does not fit the model: the checkpoint has " + name.replaceFirst("\\.", " ")
                        + ", which the model does not have");
            }
        }
        Entry type = entries.get("optimizer");
        if (optimizer == null) {
            return r;
        }
        if (type == null || type.text() == null) {
            throw new IOException(where + "holds no optimizer state (it was saved without an optimizer)");
        }
        if (!type.text().equals(optimizer.name())) {
            throw new IOException(where + "holds the state of a " + type.text() + " optimizer, not of " + optimizer.name());
        }
        Entry lr = entries.get("optimizer.lr");
        if (lr == null || lr.shape() == null || lr.shape().length != 0 || !(lr.values()[0] >= 0 && lr.values()[0] < Double.POSITIVE_INFINITY)) {
            throw new IOException(where + "corrupted: the optimizer's learning rate is missing or not a finite number >= 0");
        }
        r.learningRate = lr.values()[0];
        String[] names = parameterNames(model, optimizer);
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            index.put(names[i], i);
        }
        Map<String, Optimizer.State> arrays = optimizer.stateArrays();
        Map<String, int[]> counters = optimizer.stateCounters();
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith("optimizer.") || name.equals("optimizer.lr")) {
                continue;
            }
            int dot = name.lastIndexOf('.');
            String param = name.substring("optimizer.".length(), Math.max(dot, "optimizer.".length()));
            String state = name.substring(dot + 1);
            Integer i = index.get(param);
            if (i == null) {
                throw new IOException(where + "does not fit the optimizer: it has state " + state + " for " + param
                        + ", which is not one of the optimizer's parameters");
            }
            Entry x = e.getValue();
            Tensor p = optimizer.parameters().get(i);
            if (arrays.containsKey(state)) {
                if (x.shape() == null || !Arrays.equals(x.shape(), p.shape())) {
                    throw new IOException(where + "does not fit the optimizer: state " + state + " of parameter " + param + " has shape "
                            + (x.shape() == null ? "(a text)" : Arrays.toString(x.shape())) + " in the checkpoint but the parameter has "
                            + Arrays.toString(p.shape()));
                }
                r.states.add(new Restore.StateValue(arrays.get(state), i, x.values(), p.dtype()));
            } else if (counters.containsKey(state)) {
                double v = x.shape() != null && x.shape().length == 0 ? x.values()[0] : -1;
                if (!(v >= 0 && v <= Integer.MAX_VALUE && v == Math.rint(v))) {
                    throw new IOException(where + "corrupted: counter " + state + " of parameter " + param + " is not a whole number >= 0");
                }
                r.counters.add(new Restore.CounterValue(counters.get(state), i, (int) v));
            } else {
                throw new IOException(where + "does not fit the optimizer: " + optimizer.name() + " has no state named " + state
                        + " (the checkpoint has it for parameter " + param + ")");
            }
        }
        return r;
    }

    /** What a checked checkpoint changes, applied only after every check has passed. */
    static final class Restore {
        private record TensorValue(Tensor tensor, double[] values) {
        }

        private record StateValue(Optimizer.State state, int index, double[] values, DType dtype) {
        }

        private record CounterValue(int[] counters, int index, int value) {
        }

        private final List<TensorValue> tensors = new ArrayList<>();
        private final List<StateValue> states = new ArrayList<>();
        private final List<CounterValue> counters = new ArrayList<>();
        private double learningRate = -1;
        /** The {@code trainer.*} entries, by key (without the prefix). */
        final Map<String, double[]> extras = new LinkedHashMap<>();

        private void tensor(Map<String, Entry> entries, String key, String what, Tensor t, String where) throws IOException {
            Entry x = entries.get(key);
            if (x == null) {
                throw new IOException(where + "does not fit the model: the checkpoint has no " + what);
            }
            if (x.shape() == null || !Arrays.equals(x.shape(), t.shape())) {
                throw new IOException(where + "does not fit the model: " + what + " has shape "
                        + (x.shape() == null ? "(a text)" : Arrays.toString(x.shape())) + " in the checkpoint but "
                        + Arrays.toString(t.shape()) + " in the model");
            }
            tensors.add(new TensorValue(t, x.values()));
        }

        /** Applies the values; cannot fail. */
        void apply(Optimizer optimizer) {
            for (TensorValue t : tensors) {
                t.tensor().modify(buffer -> System.arraycopy(t.values(), 0, buffer, 0, t.values().length));
            }
            if (optimizer == null) {
                return;
            }
            // a fresh start: state the checkpoint does not have is cleared, as a loaded optimizer
            // must continue exactly as the saved one would have
            for (Optimizer.State s : optimizer.stateArrays().values()) {
                s.clear();
            }
            for (int[] c : optimizer.stateCounters().values()) {
                Arrays.fill(c, 0);
            }
            for (StateValue s : states) {
                s.state().set(s.index(), s.values(), s.dtype());
            }
            for (CounterValue c : counters) {
                c.counters()[c.index()] = c.value();
            }
            optimizer.setLearningRate(learningRate);
        }
    }
}
