package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX and CSV files the tests write themselves, good and corrupt; splitting; metrics. */
class DataFilesTest {
    @TempDir
    Path dir;

    private static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(data).array();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(raw);
        }
        return out.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static final byte[] PIXELS = {0, (byte) 255, (byte) 128, 51, 0, 0, (byte) 255, (byte) 255, 1, 2, 3, 4};

    @Test
    void idxImagesAndLabelsReadPlainAndGzipped() throws IOException {
        byte[] images = idx(0x803, new int[] {3, 2, 2}, PIXELS);
        byte[] labels = idx(0x801, new int[] {3}, new byte[] {7, 0, 9});
        for (boolean compressed : new boolean[] {false, true}) {
            Path im = write("images" + compressed, compressed ? gzip(images) : images);
            Path lb = write("labels" + compressed, compressed ? gzip(labels) : labels);
            Dataset d = Dataset.readIdx(im, lb);
            assertEquals(3, d.size());
            assertEquals(4, d.inputWidth());
            assertArrayEquals(new int[] {7, 0, 9}, d.labels());
            Batch all = d.all();
            assertArrayEquals(new int[] {3, 4}, all.inputs().shape());
            assertEquals(1.0, all.inputs().get(0, 1));
            assertEquals(128 / 255.0, all.inputs().get(0, 2));
            assertEquals(0.2, all.inputs().get(0, 3), 1e-15);
        }
    }

    private void assertIdxRefused(byte[] images, byte[] labels, String... words) throws IOException {
        Path im = write("bad-images", images);
        Path lb = write("bad-labels", labels);
        IOException e = assertThrows(IOException.class, () -> Dataset.readIdx(im, lb));
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "expected '" + w + "' in: " + e.getMessage());
        }
    }

    @Test
    void corruptIdxFilesAreRefusedNamingTheProblem() throws IOException {
        byte[] labels = idx(0x801, new int[] {3}, new byte[] {1, 2, 3});
        byte[] images = idx(0x803, new int[] {3, 2, 2}, PIXELS);
        assertIdxRefused(idx(0x801, new int[] {3, 2, 2}, PIXELS), labels, "magic", "0x00000801", "0x00000803");
        assertIdxRefused(Arrays.copyOf(images, images.length - 1), labels, "truncated", "12", "11");
        assertIdxRefused(Arrays.copyOf(images, images.length + 1), labels, "longer than its header");
        assertIdxRefused(images, idx(0x801, new int[] {4}, new byte[] {1, 2, 3, 4}), "3 images", "4 labels");
        assertIdxRefused(Arrays.copyOf(images, 6), labels, "truncated");
        assertIdxRefused(new byte[] {1}, labels, "truncated");
        // a header that claims two billion images is refused without allocating for them
        assertIdxRefused(idx(0x803, new int[] {Integer.MAX_VALUE, 28, 28}, new byte[10]), labels, "declares");
        assertIdxRefused(idx(0x803, new int[] {1_000_000, 1, 1}, new byte[10]), labels, "truncated", "1000000");
        byte[] gz = gzip(images);
        assertIdxRefused(Arrays.copyOf(gz, gz.length - 12), labels, "images");
        assertIdxRefused(images, idx(0x801, new int[] {3}, new byte[] {1, (byte) 255, 3}), "label 255");
    }

    @Test
    void csvColumnsBecomeFeaturesAndLabelsBecomeClasses() throws IOException {
        Path csv = write("iris.csv", ("sepal,\"petal, width\",species\n"
                + "5.1,0.2,setosa\n"
                + "7.0,1.4,versicolor\n"
                + "\n"
                + "6.3,2.5,\"virginica\"\n"
                + "4.9,0.1,setosa\n").getBytes());
        Dataset d = Dataset.readCsv(csv, "species");
        assertEquals(4, d.size());
        assertEquals(2, d.inputWidth());
        assertEquals(List.of("setosa", "versicolor", "virginica"), d.classNames());
        assertArrayEquals(new int[] {0, 1, 2, 0}, d.labels());
        assertEquals(2.5, d.all().inputs().get(2, 1));
        Path numeric = write("numeric.csv", "label,x\n10,1\n9,2\n10,3\n".getBytes());
        Dataset n = Dataset.readCsv(numeric, "label");
        assertEquals(List.of("9", "10"), n.classNames(), "numeric labels sort as numbers");
        assertArrayEquals(new int[] {1, 0, 1}, n.labels());
    }

    @Test
    void badCsvFilesNameTheLineColumnAndValue() throws IOException {
        IOException e = assertThrows(IOException.class, () -> Dataset.readCsv(write("a.csv", "x,y,label\n1,2,a\n3,oops,b\n".getBytes()), "label"));
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("column y") && e.getMessage().contains("oops"), e.getMessage());
        e = assertThrows(IOException.class, () -> Dataset.readCsv(write("b.csv", "x,y,label\n1,2\n".getBytes()), "label"));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("2 fields") && e.getMessage().contains("3"), e.getMessage());
        e = assertThrows(IOException.class, () -> Dataset.readCsv(write("c.csv", "x,y\n1,2\n".getBytes()), "label"));
        assertTrue(e.getMessage().contains("no column named label"), e.getMessage());
        e = assertThrows(IOException.class, () -> Dataset.readCsv(write("d.csv", "x,label\n\"1,a\n".getBytes()), "label"));
        assertTrue(e.getMessage().contains("quoted"), e.getMessage());
        assertThrows(IOException.class, () -> Dataset.readCsv(write("e.csv", new byte[0]), "label"));
        assertThrows(IOException.class, () -> Dataset.readCsv(dir.resolve("missing.csv"), "label"));
    }

    @Test
    void splitPartitionsTheExamplesAtRandom() {
        double[][] x = new double[10][1];
        int[] y = new int[10];
        for (int i = 0; i < 10; i++) {
            x[i][0] = i;
            y[i] = i % 3;
        }
        Dataset[] parts = Dataset.of(x, y).split(0.7, new SplittableRandom(5));
        assertEquals(7, parts[0].size());
        assertEquals(3, parts[1].size());
        Set<Double> seen = new HashSet<>();
        for (Dataset p : parts) {
            Batch b = p.all();
            for (int i = 0; i < p.size(); i++) {
                double v = b.inputs().get(i, 0);
                assertTrue(seen.add(v), "example " + v + " is in both parts");
                assertEquals((int) v % 3, p.labels()[i], "labels travel with their inputs");
            }
        }
        assertEquals(10, seen.size());
        double[] firstOrder = parts[0].all().inputs().toArray();
        assertTrue(!Arrays.equals(firstOrder, new double[] {0, 1, 2, 3, 4, 5, 6}), "the split is shuffled");
        assertThrows(IllegalArgumentException.class, () -> Dataset.of(x, y).split(1.0, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> Dataset.of(x, y).split(0.01, new SplittableRandom(1)));
    }

    @Test
    void accuracyAndConfusionMatrixUseTheFirstHighestScore() {
        Tensor logits = Tensor.of(new double[] {
            0.1, 0.9, 0.0,   // predicts 1
            2.0, 2.0, 1.0,   // a tie: the first wins, 0
            0.0, 0.0, 5.0,   // predicts 2
            Double.NaN, 1.0, 9.0}, 4, 3); // NaN counts as highest, as PyTorch's argmax
        int[] labels = {1, 1, 2, 2};
        assertEquals(0.5, Metrics.accuracy(logits, labels));
        int[][] m = Metrics.confusionMatrix(logits, labels, 3);
        assertArrayEquals(new int[] {0, 0, 0}, m[0]);
        assertArrayEquals(new int[] {1, 1, 0}, m[1]);
        assertArrayEquals(new int[] {1, 0, 1}, m[2]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Metrics.accuracy(logits, new int[] {1, 1, 3, 0}));
        assertTrue(e.getMessage().contains("label 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Metrics.accuracy(logits, new int[] {1}));
        assertThrows(IllegalArgumentException.class, () -> Metrics.confusionMatrix(logits, labels, 4));
    }
}
