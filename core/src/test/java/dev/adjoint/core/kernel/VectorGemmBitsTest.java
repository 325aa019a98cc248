package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector kernels' bits, float64 and float32, against a scalar reference that computes every
 * element of C in the kernels' own order: per depth block, a chain of fused multiply-adds from
 * +0.0 in order of p, added to what C holds (-0.0 in the first block, since C is overwritten).
 * Bits, not tolerances: the result must not depend on whether the micro-kernel runs interpreted,
 * C1-compiled, C2-compiled or primed, on the first product of a JVM or the millionth.
 */
class VectorGemmBitsTest {

    /**
     * m, n, k: edge tiles, depths of one block, of equal blocks (600 = 3 x 200, 1,100 = 5 x 220) and
     * past MC, and columns past {@code PACK_ROW_MAJOR_COLUMNS} for every dtype and vector width (260:
     * the six-row tile then packs a row-major A).
     */
    static final int[][] SIZES = {{19, 37, 600}, {8, 16, 256}, {23, 50, 257}, {530, 20, 30}, {64, 64, 520}, {13, 260, 1100}};

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int mr : new int[] {VectorGemmKernel.MR_WIDE, VectorGemmKernel.MR_NARROW}) {
            for (int[] s : SIZES) {
                for (int t = 0; t < 4; t++) {
                    out.add(Arguments.of(mr, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
                }
            }
        }
        return out.stream();
    }

    private static void assumeVector() {
        assumeTrue(KernelProvider.vectorKernelOrNull() != null, "needs --add-modules jdk.incubator.vector");
    }

    @ParameterizedTest(name = "float64 {0} rows: {1}x{2}x{3} transA={4} transB={5}")
    @MethodSource("cases")
    void float64GivesTheBitsOfTheFusedChainPerDepthBlock(int mr, int m, int n, int k, boolean transA, boolean transB) {
        assumeVector();
        SplittableRandom random = new SplittableRandom(m * 131L + n * 17L + k);
        double[] a = random.doubles((long) m * k, -1, 1).toArray();
        double[] b = random.doubles((long) k * n, -1, 1).toArray();
        double[] c = new double[m * n];
        new VectorGemmKernel(mr).multiply(new Operand(a, 0, transA ? m : k, transA), new Operand(b, 0, transB ? k : n, transB),
                c, 0, n, m, n, k);
        double[] expected = reference(a, transA, b, transB, m, n, k, VectorGemmKernel.KC);
        for (int i = 0; i < c.length; i++) {
            assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(c[i]), "element " + i);
        }
    }

    @ParameterizedTest(name = "float32 {0} rows: {1}x{2}x{3} transA={4} transB={5}")
    @MethodSource("cases")
    void float32GivesTheBitsOfTheFusedChainPerDepthBlock(int mr, int m, int n, int k, boolean transA, boolean transB) {
        assumeVector();
        SplittableRandom random = new SplittableRandom(m * 131L + n * 17L + k);
        float[] a = toFloats(random.doubles((long) m * k, -1, 1).toArray());
        float[] b = toFloats(random.doubles((long) k * n, -1, 1).toArray());
        float[] c = new float[m * n];
        new FloatVectorGemmKernel(mr).multiply(new FloatOperand(a, 0, transA ? m : k, transA),
                new FloatOperand(b, 0, transB ? k : n, transB), c, 0, n, m, n, k);
        float[] expected = referenceFloat(a, transA, b, transB, m, n, k, FloatVectorGemmKernel.KC);
        for (int i = 0; i < c.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(c[i]), "element " + i);
        }
    }

    @Test
    void aProductThatUnderflowsToNegativeZeroKeepsItsSign() {
        assumeVector();
        // each product is -1e-400 exactly: fma rounds it to -0.0, and -0.0 + -0.0 stays -0.0
        for (int k : new int[] {40, 600}) {
            int m = 16;
            int n = 32;
            double[] a = new double[m * k];
            double[] b = new double[k * n];
            java.util.Arrays.fill(a, -1e-200);
            java.util.Arrays.fill(b, 1e-200);
            double[] c = new double[m * n];
            new VectorGemmKernel().multiply(new Operand(a, 0, k, false), new Operand(b, 0, n, false), c, 0, n, m, n, k);
            for (double x : c) {
                assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(x), "k=" + k);
            }
        }
    }

    @Test
    void theFirstLargeProductGivesTheBitsOfLaterOnes() {
        assumeVector();
        // big enough to prime the micro-kernel (if no earlier test has): the first call may run
        // partly before C2 has compiled it, the later ones after
        int size = 256;
        SplittableRandom random = new SplittableRandom(7);
        double[] a = random.doubles((long) size * size, -1, 1).toArray();
        double[] b = random.doubles((long) size * size, -1, 1).toArray();
        assertEquals(true, (long) size * size * size >= VectorGemmKernel.PRIME_WORK);
        double[] expected = reference(a, false, b, false, size, size, size, VectorGemmKernel.KC);
        for (int call = 0; call < 5; call++) {
            double[] c = new double[size * size];
            new VectorGemmKernel().multiply(new Operand(a, 0, size, false), new Operand(b, 0, size, false), c, 0, size,
                    size, size, size);
            for (int i = 0; i < c.length; i++) {
                assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(c[i]),
                        "call " + call + ", element " + i);
            }
        }
    }

    /** Equal depth blocks of at most {@code kcMax}, as the kernels cut k. */
    private static int blockDepth(int k, int kcMax) {
        int blocks = (k + kcMax - 1) / kcMax;
        return (k + blocks - 1) / blocks;
    }

    private static double[] reference(double[] a, boolean transA, double[] b, boolean transB, int m, int n, int k, int kcMax) {
        int kc = blockDepth(k, kcMax);
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = -0.0;
                for (int p0 = 0; p0 < k; p0 += kc) {
                    double acc = 0.0;
                    for (int p = p0; p < Math.min(k, p0 + kc); p++) {
                        acc = Math.fma(transA ? a[p * m + i] : a[i * k + p], transB ? b[j * k + p] : b[p * n + j], acc);
                    }
                    sum = acc + sum;
                }
                c[i * n + j] = sum;
            }
        }
        return c;
    }

    private static float[] referenceFloat(float[] a, boolean transA, float[] b, boolean transB, int m, int n, int k, int kcMax) {
        int kc = blockDepth(k, kcMax);
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = -0.0f;
                for (int p0 = 0; p0 < k; p0 += kc) {
                    float acc = 0.0f;
                    for (int p = p0; p < Math.min(k, p0 + kc); p++) {
                        acc = Math.fma(transA ? a[p * m + i] : a[i * k + p], transB ? b[j * k + p] : b[p * n + j], acc);
                    }
                    sum = acc + sum;
                }
                c[i * n + j] = sum;
            }
        }
        return c;
    }

    private static float[] toFloats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }
}
