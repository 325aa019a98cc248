package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The float32 kernels are exactly what {@link FloatSources} makes of the float64 ones. */
class FloatSourcesTest {

    @Test
    void everyFloatFileIsTheTransformOfItsFloat64Source() {
        for (String name : FloatSources.all()) {
            String expected = FloatSources.toFloat(name, FloatSources.read(FloatSources.directory(name).resolve(name + ".java")));
            String actual = FloatSources.read(FloatSources.directory(name).resolve("Float" + name + ".java"));
            assertEquals(expected, actual, "Float" + name + ".java differs from " + name
                    + ".java put through FloatSources: edit " + name + ".java, not the float file, and run FloatSources.main to regenerate");
        }
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
                "            double[] where, int wo) { // float64 in both dtypes"));
        assertTrue(out.startsWith("// GENERATED from Packing.java"), out);
        assertTrue(out.contains("final class FloatPacking {"), out);
        assertTrue(out.contains("static final int KC = 512;\n"), out);
        assertTrue(out.contains("float[] x = new float[n * 2]; // 1.5 MB"), out);
        assertTrue(out.contains("FloatVector v = FloatVector.zero(SPECIES); VectorSpecies<Float> s;"), out);
        assertTrue(out.contains("void f(NDArray a, FloatOperand o) { a.floats[0] = 0.0f; o.data()[1] = 1.25f; new GemmKernelTest(); }"), out);
        assertTrue(out.contains("/** 2.0 floats */"), out);
        assertTrue(out.endsWith("    void g(float[] x,\n            double[] where, int wo) {"), out);
    }
}
