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
 * editing a float64 file listed in {@link #SOURCES} (core's kernels); a module with float64
 * sources of its own names its directory and sources to {@code main} and checks them with
 * {@link #stale} in its own tests (nn's optimizer rules: nn's {@code FloatUpdateRulesTest}, which
 * reaches this class through core's test jar). {@code FloatSourcesTest} fails while a checked-in
 * float file of core differs from what this would write.
 *
 * <p>The transformation, line by line, in this order:
 * <ol>
 *   <li>the names of the sources generated together, whole words: {@code Packing} becomes
 *       {@code FloatPacking};
 *   <li>{@code DoubleVector} becomes {@code FloatVector}; the words {@code double}, {@code Double}
 *       and {@code doubles} become {@code float}, {@code Float} and {@code floats};
 *   <li>NDArray's float64 buffer field becomes its float32 one ({@code x.data} to {@code x.floats};
 *       a call {@code data()} stays), {@code toArray()} becomes {@code toFloatArray()},
 *       {@code KernelProvider.kernel()} becomes {@code KernelProvider.floatKernel()}, and
 *       {@code Buffers.uninitialized(n)} becomes {@code Buffers.uninitializedFloats(n)};
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
            "Operand", "GemmKernel", "Packing", "VectorGemmKernel", "VectorTiles", "ScalarGemmKernel", "GemmLoops", "ConvLoops", "ColumnLoops", "MaxPoolLoops");
    private static final Pattern LITERAL = Pattern.compile("(?<![\\w.])(\\d+\\.\\d+)(?![\\w.])");
    private static final Pattern UNINITIALIZED = Pattern.compile("Buffers\\.uninitialized\\((.*?)\\);");
    private static final Pattern KEEP = Pattern.compile("^(.*?)\\s*// float64 in both dtypes\\s*$");
    private static final Pattern OVERRIDE = Pattern.compile("^(.*?=\\s*)[^;]*(;)\\s*// float32: (.*?)\\s*$");

    private FloatSources() {
    }

    /**
     * Rewrites float files from their float64 sources: core's kernels ({@link #SOURCES}) without
     * arguments, else the sources named after a directory, e.g.
     * {@code nn/src/main/java/dev/adjoint/nn UpdateRules}.
     *
     * @param args nothing, or a source directory followed by the names of its float64 sources
     */
    public static void main(String[] args) {
        Path dir = args.length == 0 ? directory() : Path.of(args[0]);
        List<String> names = args.length == 0 ? SOURCES : List.of(args).subList(1, args.length);
        for (String name : names) {
            String text = toFloat(name, read(dir.resolve(name + ".java")), names);
            try {
                Files.writeString(dir.resolve("Float" + name + ".java"), text, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            System.out.println("wrote " + dir.resolve("Float" + name + ".java"));
        }
    }

    /**
     * The float files in {@code dir} that differ from what {@link #main} would write for
     * {@code names}, each with the command that regenerates it; empty when all are current.
     *
     * @param dir the directory holding the float64 sources and their float twins
     * @param names the float64 sources generated together
     * @return one message per stale or missing float file
     */
    public static List<String> stale(Path dir, List<String> names) {
        List<String> problems = new ArrayList<>();
        for (String name : names) {
            String expected = toFloat(name, read(dir.resolve(name + ".java")), names);
            Path twin = dir.resolve("Float" + name + ".java");
            if (!Files.isRegularFile(twin) || !expected.equals(read(twin))) {
                problems.add(twin + " differs from " + name + ".java put through FloatSources: edit " + name
                        + ".java, not the float file, and regenerate (java core/src/test/java/dev/adjoint/core/kernel/FloatSources.java"
                        + (dir.equals(directory()) ? "" : " " + dir.toAbsolutePath().normalize() + " " + String.join(" ", names))
                        + ", from the repository root)");
            }
        }
        return problems;
    }

    /** The kernel source directory, from the repository root or from the core module. */
    static Path directory() {
        Path inModule = Path.of("src/main/java/dev/adjoint/core/kernel");
        return Files.isDirectory(inModule) ? inModule : Path.of("core").resolve(inModule);
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The float32 twin of the float64 source {@code text} of class {@code name}, generated together
     * with the sources {@code names} (whose class names it prefixes with {@code Float}).
     */
    static String toFloat(String name, String text, List<String> names) {
        Pattern renamed = Pattern.compile("\\b(" + String.join("|", names) + ")\\b");
        StringBuilder out = new StringBuilder();
        out.append("// GENERATED from ").append(name).append(".java by FloatSources (core/src/test/java/dev/adjoint/core/kernel):\n")
                .append("// edit ").append(name).append(".java and run FloatSources.main; do not edit this file.\n");
        for (String line : text.split("\n", -1)) {
            out.append(line(line, renamed)).append('\n');
        }
        out.setLength(out.length() - 1);
        return out.toString();
    }

    private static String line(String line, Pattern renamed) {
        Matcher keep = KEEP.matcher(line);
        if (keep.matches()) {
            return keep.group(1);
        }
        Matcher override = OVERRIDE.matcher(line);
        if (override.matches()) {
            line = override.group(1) + override.group(3) + override.group(2);
        }
        line = renamed.matcher(line).replaceAll("Float$1");
        line = line.replace("DoubleVector", "FloatVector")
                .replaceAll("\\bdoubles\\b", "floats")
                .replaceAll("\\bdouble\\b", "float")
                .replaceAll("\\bDouble\\b", "Float")
                .replaceAll("\\.data\\b(?!\\()", ".floats")
                .replace(".toArray()", ".toFloatArray()")
                .replace("KernelProvider.kernel()", "KernelProvider.floatKernel()");
        line = UNINITIALIZED.matcher(line).replaceAll("Buffers.uninitializedFloats($1);");
        String trimmed = line.strip();
        if (!trimmed.startsWith("*") && !trimmed.startsWith("/*") && !trimmed.startsWith("//")) {
            int comment = line.indexOf("//");
            String code = comment < 0 ? line : line.substring(0, comment);
            line = LITERAL.matcher(code).replaceAll("$1f") + (comment < 0 ? "" : line.substring(comment));
        }
        return line;
    }
}
