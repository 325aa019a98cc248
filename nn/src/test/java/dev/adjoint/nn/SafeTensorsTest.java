package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weights to and from PyTorch: the fixtures were written from a PyTorch model (src/test/python). */
class SafeTensorsTest {
    @TempDir
    Path dir;

    private static Sequential model(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return new Sequential(new Linear(3, 4, rng), new Tanh(), new Linear(4, 2, rng));
    }

    private Path fixture(String name) throws IOException {
        Path p = dir.resolve(name);
        try (InputStream in = getClass().getResourceAsStream("/safetensors/" + name)) {
            Files.copy(in, p);
        }
        return p;
    }

    private static double[][] io() throws IOException {
        try (InputStream in = SafeTensorsTest.class.getResourceAsStream("/safetensors/mlp-io.txt")) {
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("#")).toList();
            return lines.stream().map(l -> Arrays.stream(l.split(" ")).skip(1).mapToDouble(Double::parseDouble).toArray())
                    .toArray(double[][]::new);
        }
    }

    @Test
    void aPyTorchModelGivesPyTorchsOutputs() throws IOException {
        double[][] io = io();
        for (String file : new String[] {"mlp-f64.safetensors", "mlp-f32.safetensors"}) {
            Sequential m = model(1);
            SafeTensors.load(m, fixture(file));
            double[] out = m.forward(Tensor.of(io[0], 5, 3)).toArray();
            assertEquals(io[1].length, out.length);
            for (int i = 0; i < out.length; i++) {
                assertEquals(io[1][i], out[i], 1e-12 * Math.max(1, Math.abs(io[1][i])), file + " output " + i);
            }
        }
    }

    @Test
    void saveWritesPyTorchsNamesAndLayoutsAndLoadsBack() throws IOException {
        Sequential m = model(5);
        Path file = dir.resolve("m.safetensors");
        SafeTensors.save(m, file);
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + headerLength) % 8, "data starts 8-byte aligned");
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"0.weight\":{\"dtype\":\"F64\",\"shape\":[4,3]"), header);
        assertTrue(header.contains("\"2.bias\":{\"dtype\":\"F64\",\"shape\":[2]"), header);
        Sequential back = model(9);
        SafeTensors.load(back, file);
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(m.parameters().get(i).toArray(), back.parameters().get(i).toArray(), 0.0);
        }
        // the stored weight is the transpose: its first row is the first output unit's weights
        ByteBuffer data = ByteBuffer.wrap(bytes, (int) (8 + headerLength), 8 * 12).slice().order(ByteOrder.LITTLE_ENDIAN);
        Tensor w = m.parameters().get(0);
        assertEquals(w.get(1, 0), data.getDouble(8), 0.0, "PyTorch's weight[0][1] is Adjoint's weight[1][0]");
    }

    private void assertRefused(Path file, String... words) {
        Sequential target = model(2);
        double[] before = target.parameters().get(0).toArray();
        IOException e = assertThrows(IOException.class, () -> SafeTensors.load(target, file));
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "expected '" + w + "' in: " + e.getMessage());
        }
        assertArrayEquals(before, target.parameters().get(0).toArray(), 0.0, "a refused load changed the model");
    }

    private Path withHeader(String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = dir.resolve("bad-" + Math.abs(json.hashCode()) + ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    @Test
    void badFilesAreRefusedNamingTheTensorAndTheProblem() throws IOException {
        String ok = "\"0.bias\":{\"dtype\":\"F64\",\"shape\":[4],\"data_offsets\":[96,128]},"
                + "\"2.weight\":{\"dtype\":\"F64\",\"shape\":[2,4],\"data_offsets\":[128,192]},"
                + "\"2.bias\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[192,208]}";
        assertRefused(withHeader("{\"0.weight\":{\"dtype\":\"F64\",\"shape\":[3,4],\"data_offsets\":[0,96]}," + ok + "}", 208),
                "0.weight", "[3, 4]", "[4, 3]");
        assertRefused(withHeader("{" + ok + "}", 208), "0.weight", "missing");
        assertRefused(withHeader("{\"0.weight\":{\"dtype\":\"BOOL\",\"shape\":[4,3],\"data_offsets\":[0,96]}," + ok + "}", 208),
                "0.weight", "BOOL");
        assertRefused(withHeader("{\"0.weight\":{\"dtype\":\"F64\",\"shape\":[4,3],\"data_offsets\":[0,900]}," + ok + "}", 208),
                "0.weight", "offsets");
        assertRefused(withHeader("{\"0.weight\":{\"dtype\":\"F64\",\"shape\":[4,3],\"data_offsets\":[0,88]}," + ok + "}", 208),
                "0.weight", "96 bytes");
        assertRefused(withHeader("{\"0.weight\":{\"dtype\":\"F64\",\"shape\":[4,3],\"data_offsets\":[0,96]}," + ok
                + ",\"9.weight\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 208), "9.weight", "not in the model");
        assertRefused(withHeader("{\"0.weight\":{\"dtype\":\"F64\",\"shape\":[4,3]", 10), "JSON");
        assertRefused(withHeader("[" + "[".repeat(100) + "]".repeat(100) + "]", 0), "JSON");
        // a header length past the end of the file, and a file shorter than the length field
        Path longHeader = dir.resolve("long.safetensors");
        Files.write(longHeader, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1_000_000).array());
        assertRefused(longHeader, "header length", "1000000");
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertRefused(tiny, "truncated");
        // truncated data of a real file
        Path good = dir.resolve("good.safetensors");
        SafeTensors.save(model(3), good);
        byte[] bytes = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 8));
        assertRefused(cut, "2.bias");
    }

    @Test
    void halfPrecisionWidensExactly() {
        assertEquals(1.0f, SafeTensors.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, SafeTensors.halfToFloat((short) 0xc000));
        assertEquals(65504f, SafeTensors.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, SafeTensors.halfToFloat((short) 0x0001));
        assertEquals(Float.POSITIVE_INFINITY, SafeTensors.halfToFloat((short) 0x7c00));
        assertTrue(Float.isNaN(SafeTensors.halfToFloat((short) 0x7e00)));
    }
}
