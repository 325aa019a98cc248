package dev.adjoint.nn;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;

/** The readers behind {@link Dataset#readIdx} and {@link Dataset#readCsv}. */
final class DataFiles {
    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    private DataFiles() {
    }

    static Dataset readIdx(Path images, Path labels) throws IOException {
        if (images == null || labels == null) {
            throw new IllegalArgumentException("Dataset.readIdx: " + (images == null ? "images" : "labels") + " path is null");
        }
        Idx im = idx(images, IMAGES_MAGIC, 3);
        Idx lb = idx(labels, LABELS_MAGIC, 1);
        if (im.dims[0] != lb.dims[0]) {
            throw new IOException("Dataset.readIdx: " + images + " holds " + im.dims[0] + " images but " + labels + " holds "
                    + lb.dims[0] + " labels");
        }
        int n = im.dims[0];
        int width = im.dims[1] * im.dims[2];
        double[] x = new double[im.data.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (im.data[i] & 0xff) / 255.0;
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = lb.data[i] & 0xff;
            if (y[i] == 255) {
                throw new IOException("Dataset.readIdx: " + labels + ": label 255 at example " + i + " is not a class");
            }
        }
        return Dataset.labelled(n, width, x, y, null);
    }

    private record Idx(int[] dims, byte[] data) {
    }

    /** One IDX file of unsigned bytes with the given magic and rank, validated whole. */
    private static Idx idx(Path file, int magic, int rank) throws IOException {
        String where = "Dataset.readIdx: " + file + ": ";
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            InputStream in = gzip ? new GZIPInputStream(raw) : raw;
            byte[] head = in.readNBytes(4 + 4 * rank);
            if (head.length < 4) {
                throw new IOException(where + "truncated: " + head.length + " bytes, not even an IDX magic number");
            }
            int found = readInt(head, 0);
            if (found != magic) {
                throw new IOException(where + String.format("not an IDX file of %s (magic 0x%08x, expected 0x%08x)",
                        rank == 3 ? "images" : "labels", found, magic));
            }
            if (head.length < 4 + 4 * rank) {
                throw new IOException(where + "truncated inside the header");
            }
            int[] dims = new int[rank];
            long count = 1;
            for (int i = 0; i < rank; i++) {
                dims[i] = readInt(head, 4 + 4 * i);
                if (dims[i] < 0 || rank == 3 && i > 0 && dims[i] == 0) {
                    throw new IOException(where + "impossible dimension " + dims[i] + " in the header");
                }
                count *= dims[i];
            }
            if (count > Integer.MAX_VALUE - 8) {
                throw new IOException(where + "declares " + count + " values, more than one array holds");
            }
            // read what is there, growing with the data rather than allocating what the header claims
            ByteArrayOutputStream data = new ByteArrayOutputStream((int) Math.min(count, 1 << 20));
            byte[] chunk = new byte[1 << 16];
            long total = 0;
            for (int r; (r = in.read(chunk, 0, (int) Math.min(chunk.length, count + 1 - total))) > 0; ) {
                data.write(chunk, 0, r);
                total += r;
                if (total > count) {
                    throw new IOException(where + "longer than its header says: more than " + count + " values after the header");
                }
            }
            if (total < count) {
                throw new IOException(where + "truncated: the header declares " + count + " values but the file holds " + total);
            }
            return new Idx(dims, data.toByteArray());
        } catch (NoSuchFileException e) {
            throw new IOException(where + "file does not exist", e);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IOException(where + "damaged gzip data (" + e.getMessage() + ")", e);
        }
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
    }

    static Dataset readCsv(Path file, String labelColumn) throws IOException {
        if (file == null || labelColumn == null) {
            throw new IllegalArgumentException("Dataset.readCsv: " + (file == null ? "file" : "labelColumn") + " is null");
        }
        String where = "Dataset.readCsv: " + file + ": ";
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException(where + "file does not exist", e);
        }
        if (lines.isEmpty()) {
            throw new IOException(where + "empty (a header row is needed)");
        }
        List<String> header = fields(lines.get(0), 1, where);
        int labelAt = header.indexOf(labelColumn);
        if (labelAt < 0) {
            throw new IOException(where + "no column named " + labelColumn + " (the header has " + header + ")");
        }
        int width = header.size() - 1;
        if (width == 0) {
            throw new IOException(where + "no feature columns besides " + labelColumn);
        }
        List<double[]> rows = new ArrayList<>();
        List<String> labelTexts = new ArrayList<>();
        for (int li = 1; li < lines.size(); li++) {
            if (lines.get(li).isBlank()) {
                continue;
            }
            List<String> f = fields(lines.get(li), li + 1, where);
            if (f.size() != header.size()) {
                throw new IOException(where + "line " + (li + 1) + " has " + f.size() + " fields but the header has " + header.size());
            }
            double[] row = new double[width];
            for (int c = 0, k = 0; c < f.size(); c++) {
                if (c == labelAt) {
                    continue;
                }
                String v = f.get(c).trim();
                try {
                    row[k++] = Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw new IOException(where + "line " + (li + 1) + ", column " + header.get(c) + ": '" + v + "' is not a number");
                }
            }
            rows.add(row);
            labelTexts.add(f.get(labelAt).trim());
        }
        if (rows.isEmpty()) {
            throw new IOException(where + "no data rows after the header");
        }
        List<String> classes = classes(labelTexts);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < classes.size(); i++) {
            index.put(classes.get(i), i);
        }
        double[] x = new double[rows.size() * width];
        int[] y = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, x, i * width, width);
            y[i] = index.get(labelTexts.get(i));
        }
        return Dataset.labelled(rows.size(), width, x, y, classes);
    }

    /** The distinct labels, sorted: numerically if every one is a number, else as text. */
    private static List<String> classes(List<String> labels) {
        boolean numeric = labels.stream().allMatch(DataFiles::isNumber);
        Comparator<String> order = numeric ? Comparator.comparingDouble(Double::parseDouble) : Comparator.naturalOrder();
        TreeSet<String> distinct = new TreeSet<>(order.thenComparing(Comparator.naturalOrder()));
        distinct.addAll(labels);
        return List.copyOf(distinct);
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The fields of one CSV line: commas separate, double quotes enclose, {@code ""} is a quote. */
    private static List<String> fields(String line, int number, String where) throws IOException {
        List<String> out = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    f.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(f.toString());
                f.setLength(0);
            } else {
                f.append(c);
            }
        }
        if (quoted) {
            throw new IOException(where + "line " + number + " ends inside a quoted field");
        }
        out.add(f.toString());
        return out;
    }
}
