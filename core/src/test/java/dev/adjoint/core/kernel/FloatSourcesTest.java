package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The float32 kernels are exactly what {@link FloatSources} makes of the float64 ones. */
class FloatSourcesTest {

    @Test
    void everyFloatFileIsTheTransformOfItsFloat64Source() {
        assertEquals(List.of(), FloatSources.stale(FloatSources.directory(), FloatSources.SOURCES));
    }

    @Test
    void aFloatFileThatDiffersFromItsSourceIsReported(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("Rules.java"), "final class Rules { double x = 1.0; }");
        assertEquals(1, FloatSources.stale(dir, List.of("Rules")).size(), "a missing float file is stale");
        Files.writeString(dir.resolve("FloatRules.java"), FloatSources.toFloat("Rules", "final class Rules { double x = 1.0; }", List.of("Rules")));
        assertEquals(List.of(), FloatSources.stale(dir, List.of("Rules")));
        assertTrue(Files.readString(dir.resolve("FloatRules.java")).contains("final class FloatRules { float x = 1.0f; }"));
        Files.writeString(dir.resolve("FloatRules.java"), "final class FloatRules { float x = 2.0f; }");
        List<String> stale = FloatSources.stale(dir, List.of("Rules"));
        assertEquals(1, stale.size());
        assertTrue(stale.get(0).contains("FloatSources.java " + dir.toAbsolutePath().normalize() + " Rules"), stale.get(0));
    }

    @Test
    void theTransformRenamesTypesLiteralsAndBuffers() {
        String out = FloatSources.toFloat("Packing", String.join("\n",
                "final class Packing {",
                "    static final int KC = 256; // float32: 512",
                "    double[] x = Buffers.uninitialized(n * 2); // 1.5 MB",
                "    DoubleVector v = DoubleVector.zero(SPECIES); VectorSpecies<Double> s;",
                "    void f(NDArray a, Operand o) { a.data[0] = 0.0; o.data()[1] = 1.25; new GemmKernelTest(); }",
                "    /** 2.0 doubles */",
                "    void g(double[] x,",
                "            double[] where, int wo) { // float64 in both dtypes"), FloatSources.SOURCES);
        assertTrue(out.startsWith("// GENERATED from Packing.java"), out);
        assertTrue(out.contains("final class FloatPacking {"), out);
        assertTrue(out.contains("static final int KC = 512;\n"), out);
        assertTrue(out.contains("float[] x = Buffers.uninitializedFloats(n * 2); // 1.5 MB"), out);
        assertTrue(out.contains("FloatVector v = FloatVector.zero(SPECIES); VectorSpecies<Float> s;"), out);
        assertTrue(out.contains("void f(NDArray a, FloatOperand o) { a.floats[0] = 0.0f; o.data()[1] = 1.25f; new GemmKernelTest(); }"), out);
        assertTrue(out.contains("/** 2.0 floats */"), out);
        assertTrue(out.endsWith("    void g(float[] x,\n            double[] where, int wo) {"), out);
    }
}
