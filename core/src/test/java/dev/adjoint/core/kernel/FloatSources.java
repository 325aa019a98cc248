package dev.adjoint.core.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the float32 kernels from the float64 ones, as EJML generates its float classes from the
 * double ones: the float64 file is the one source of truth, and {@code FloatX.java} is
 * {@code X.java} put through {@link #toFloat}, in the same directory. Run {@code main} after
 * editing a float64 file listed in {@link #SOURCES} (core's kernels) or {@link #NN_SOURCES} (nn's
 * optimizer rules); {@code FloatSourcesTest} fails while a checked-in float file differs from what
 * this would write.
 *
 * <p>The transformation, line by line, in this order:
 * <ol>
 *   <li>class names of {@link #SOURCES}, whole words: {@code Packing} becomes {@code FloatPacking};
 *   <li>{@code DoubleVector} becomes {@code FloatVector}; the words {@code double}, {@code Double}
 *       and {@code doubles} become {@code float}, {@code Float} and {@code floats};
 *   <li>NDArray's float64 buffer field becomes its float32 one ({@code x.data} to {@code x.floats};
 *       a call {@code data()} stays), {@code toArray()} becomes {@code toFloatArray()},
 *       {@code KernelProvider.kernel()} becomes {@code KernelProvider.floatKernel()}, and
 *       {@code Buffers.uninitialized(n)} (float64 only) becomes {@code new float[n]};
 *   <li>on code lines (not comments), decimal literals get an {@code f}: {@code 0.0} to {@code 0.0f};
 *   <li>a line ending in {@code // float32: EXPR} takes EXPR as its initializer in the float file
 *       (a tile constant tuned per dtype); the comment itself is dropped;
 *   <li>a line ending in {@code // float64 in both dtypes} is copied unchanged, the comment dropped
 *       (an array of positions, which float32 would not count exactly).
 * </ol>
 * The marker comments apply to whole lines: put what must stay float64 on a line of its own.
 * The float file starts with a comment naming its source and this generator.
 */
public final class FloatSources {
    /** The float64 files, in {@code dev.adjoint.core.kernel}, that have float32 twins. */
    static final List<String> SOURCES = List.of(
            "Operand", "GemmKernel", "Packing", "VectorGemmKernel", "ScalarGemmKernel", "GemmLoops", "ConvLoops", "MaxPoolLoops");
    /** The float64 files, in nn's {@code dev.adjoint.nn}, that have float32 twins: the optimizers' update rules. */
    static final List<String> NN_SOURCES = List.of("UpdateRules");

    private static final Pattern NAMES = Pattern.compile(
            "\\b(" + String.join("|", SOURCES) + "|" + String.join("|", NN_SOURCES) + ")\\b");
    private static final Pattern LITERAL = Pattern.compile("(?<![\\w.])(\\d+\\.\\d+)(?![\\w.])");
    private static final Pattern UNINITIALIZED = Pattern.compile("Buffers\\.uninitialized\\((.*?)\\);");
    private static final Pattern KEEP = Pattern.compile("^(.*?)\\s*// float64 in both dtypes\\s*$");
    private static final Pattern OVERRIDE = Pattern.compile("^(.*?=\\s*)[^;]*(;)\\s*// float32: (.*?)\\s*$");

    private FloatSources() {
    }

    /**
     * Rewrites every float file from its float64 source.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        for (String name : all()) {
            Path dir = directory(name);
            String text = toFloat(name, read(dir.resolve(name + ".java")));
            try {
                Files.writeString(dir.resolve("Float" + name + ".java"), text, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            System.out.println("wrote Float" + name + ".java");
        }
    }

    /** Every float64 source with a float32 twin: {@link #SOURCES}, then {@link #NN_SOURCES}. */
    static List<String> all() {
        List<String> names = new ArrayList<>(SOURCES);
        names.addAll(NN_SOURCES);
        return names;
    }

    /** The kernel source directory, from the repository root or from the core module. */
    static Path directory() {
        Path inModule = Path.of("src/main/java/dev/adjoint/core/kernel");
        return Files.isDirectory(inModule) ? inModule : Path.of("core").resolve(inModule);
    }

    /** The directory of source {@code name}: the kernel directory, or nn's for {@link #NN_SOURCES}. */
    static Path directory(String name) {
        if (!NN_SOURCES.contains(name)) {
            return directory();
        }
        Path nn = Path.of("nn/src/main/java/dev/adjoint/nn");
        return Files.isDirectory(nn) ? nn : Path.of("..").resolve(nn);
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The float32 twin of the float64 source {@code text} of class {@code name}. */
    static String toFloat(String name, String text) {
        StringBuilder out = new StringBuilder();
        out.append("// GENERATED from ").append(name).append(".java by FloatSources (core/src/test/java/dev/adjoint/core/kernel):\n")
                .append("// edit ").append(name).append(".java and run FloatSources.main; do not edit this file.\n");
        for (String line : text.split("\n", -1)) {
            out.append(line(line)).append('\n');
        }
        out.setLength(out.length() - 1);
        return out.toString();
    }

    private static String line(String line) {
        Matcher keep = KEEP.matcher(line);
        if (keep.matches()) {
            return keep.group(1);
        }
        Matcher override = OVERRIDE.matcher(line);
        if (override.matches()) {
            line = override.group(1) + override.group(3) + override.group(2);
        }
        line = NAMES.matcher(line).replaceAll("Float$1");
        line = line.replace("DoubleVector", "FloatVector")
                .replaceAll("\\bdoubles\\b", "floats")
                .replaceAll("\\bdouble\\b", "float")
                .replaceAll("\\bDouble\\b", "Float")
                .replaceAll("\\.data\\b(?!\\()", ".floats")
                .replace(".toArray()", ".toFloatArray()")
                .replace("KernelProvider.kernel()", "KernelProvider.floatKernel()");
        line = UNINITIALIZED.matcher(line).replaceAll("new float[$1];");
        String trimmed = line.strip();
        if (!trimmed.startsWith("*") && !trimmed.startsWith("/*") && !trimmed.startsWith("//")) {
            int comment = line.indexOf("//");
            String code = comment < 0 ? line : line.substring(0, comment);
            line = LITERAL.matcher(code).replaceAll("$1f") + (comment < 0 ? "" : line.substring(comment));
        }
        return line;
    }
}
