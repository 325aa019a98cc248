package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.ConvKernels.Geometry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The float32 matrix multiply (generated from the float64 one, see {@link FloatSources}) and the
 * convolution on it: against a float64 product of the same float inputs within float32's error
 * bound, exactly on small integers, and bit for bit the same whatever the thread count or tile height.
 */
class Float32GemmTest {

    /** Unit roundoff of float32. */
    private static final double U = 0x1p-24;

    static List<FloatGemmKernel> kernels() {
        List<FloatGemmKernel> kernels = new ArrayList<>();
        kernels.add(new FloatScalarGemmKernel(true));
        kernels.add(new FloatScalarGemmKernel(false));
        if (KernelProvider.vectorKernelOrNull() != null) {
            kernels.add(new FloatVectorGemmKernel(FloatVectorGemmKernel.MR_WIDE));
            kernels.add(new FloatVectorGemmKernel(FloatVectorGemmKernel.MR_NARROW));
        }
        return kernels;
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (FloatGemmKernel kernel : kernels()) {
            for (int[] s : GemmKernelTest.SIZES) {
                for (int t = 0; t < 4; t++) {
                    out.add(Arguments.of(kernel, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
                }
            }
        }
        return out.stream();
    }

    /** Random floats in [-1, 1), or small integers (every product and sum then exact in float). */
    static float[] random(SplittableRandom random, int size, boolean integers) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = integers ? random.nextInt(-4, 5) : (float) random.nextDouble(-1, 1);
        }
        return x;
    }

    /** One product inside larger buffers: offsets, padded rows, and C's surroundings that must stay put. */
    static final class Problem {
        final int m;
        final int n;
        final int k;
        final FloatOperand a;
        final FloatOperand b;
        final float[] c;
        final int cOff = 2;
        final int ldc;

        Problem(int m, int n, int k, boolean transA, boolean transB, long seed, boolean integers) {
            SplittableRandom random = new SplittableRandom(seed);
            this.m = m;
            this.n = n;
            this.k = k;
            int lda = (transA ? m : k) + 3;
            int ldb = (transB ? k : n) + 2;
            a = new FloatOperand(random(random, 5 + lda * (transA ? k : m), integers), 5, lda, transA);
            b = new FloatOperand(random(random, 3 + ldb * (transB ? n : k), integers), 3, ldb, transB);
            ldc = n + 4;
            c = new float[cOff + ldc * m + 1];
            Arrays.fill(c, -12345f);
        }

        static double get(FloatOperand x, int r, int c) {
            return x.data()[x.transposed() ? x.offset() + c * x.stride() + r : x.offset() + r * x.stride() + c];
        }

        /** Each element within gamma_(k+1) sum |a| |b| of the float64 product; exact when {@code exact}; the rest untouched. */
        void check(float[] result, boolean exact, String what) {
            boolean[] inside = new boolean[result.length];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    double abs = 0;
                    for (int p = 0; p < k; p++) {
                        double t = get(a, i, p) * get(b, p, j);
                        sum += t;
                        abs += Math.abs(t);
                    }
                    int at = cOff + i * ldc + j;
                    inside[at] = true;
                    double bound = exact ? 0 : (k + 1) * U / (1 - (k + 1) * U) * abs;
                    if (Math.abs(result[at] - sum) > bound) {
                        fail(what + ": C[" + i + ", " + j + "] = " + result[at] + ", float64 product " + sum + ", bound " + bound);
                    }
                }
            }
            for (int i = 0; i < result.length; i++) {
                if (!inside[i] && result[i] != -12345f) {
                    fail(what + ": wrote outside C at " + i);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}: {1}x{2}x{3} transA={4} transB={5}")
    @MethodSource("cases")
    void kernelAgreesWithTheFloat64ProductWithinFloat32Roundoff(FloatGemmKernel kernel, int m, int n, int k,
                                                              boolean transA, boolean transB) {
        for (boolean integers : new boolean[] {true, false}) {
            Problem p = new Problem(m, n, k, transA, transB, 31L * m + n + 7L * k, integers);
            float[] c = p.c.clone();
            kernel.multiply(p.a, p.b, c, p.cOff, p.ldc, m, n, k);
            p.check(c, integers, kernel + (integers ? " integers" : " random"));
            float[] split = p.c.clone();
            ParallelGemm.multiply(3, kernel, p.a, p.b, split, p.cOff, p.ldc, m, n, k);
            assertArrayEquals(c, split, "three parts against one");
        }
    }

    /** m, n, k big enough for eight parts, odd sizes, depths across several blocks. */
    static final int[][] PARALLEL_SHAPES = {{203, 97, 331}, {90, 251, 300}, {517, 61, 149}, {67, 389, 777}};

    @Test
    void everyThreadCountAndTileHeightGivesTheSameBits() {
        for (FloatGemmKernel kernel : kernels()) {
            for (int[] s : PARALLEL_SHAPES) {
                for (int t = 0; t < 4; t++) {
                    Problem p = new Problem(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, t + 11L * s[0], false);
                    assertTrue(ParallelGemm.parts(8, p.m, p.n, p.k) >= 6, "the case must split");
                    float[] one = p.c.clone();
                    ParallelGemm.multiply(1, kernel, p.a, p.b, one, p.cOff, p.ldc, p.m, p.n, p.k);
                    p.check(one, false, kernel + " " + Arrays.toString(s));
                    for (int threads : new int[] {2, 3, 8}) {
                        float[] c = p.c.clone();
                        ParallelGemm.multiply(threads, kernel, p.a, p.b, c, p.cOff, p.ldc, p.m, p.n, p.k);
                        assertSameBits(one, c, kernel + " " + Arrays.toString(s) + " t=" + t + ": " + threads + " threads against 1");
                    }
                    if (kernel instanceof FloatVectorGemmKernel) {
                        float[] other = p.c.clone();
                        new FloatVectorGemmKernel(FloatVectorGemmKernel.MR_NARROW).multiply(p.a, p.b, other, p.cOff, p.ldc, p.m, p.n, p.k);
                        float[] wide = p.c.clone();
                        new FloatVectorGemmKernel(FloatVectorGemmKernel.MR_WIDE).multiply(p.a, p.b, wide, p.cOff, p.ldc, p.m, p.n, p.k);
                        assertSameBits(wide, other, "tile heights " + Arrays.toString(s));
                    }
                }
            }
        }
    }

    private static void assertSameBits(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + ", not " + expected[i]);
            }
        }
    }

    private static NDArray floats(SplittableRandom random, int... shape) {
        return NDArray.wrap(random(random, Shapes.size(shape), false), shape);
    }

    /** |float32 result - float64 product of the same inputs| within float32's bound for depth k. */
    private static void assertClose(NDArray float32, NDArray float64, NDArray absProduct, int k, String what) {
        assertTrue(float32.isFloat32(), what + ": the result must stay float32");
        assertArrayEquals(float64.shape, float32.shape, what + ": shape");
        double[] x = float32.toArray();
        double[] y = float64.toArray();
        double[] bound = absProduct.toArray();
        for (int i = 0; i < x.length; i++) {
            double tol = (k + 2) * U * bound[i] + Float.MIN_NORMAL;
            if (Math.abs(x[i] - y[i]) > tol) {
                fail(what + ": element " + i + " is " + x[i] + ", float64 product " + y[i] + ", tolerance " + tol);
            }
        }
    }

    private static NDArray abs(NDArray x) {
        double[] v = x.toArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.abs(v[i]);
        }
        return NDArray.wrap(v, x.shape.clone());
    }

    /**
     * The direct loops in float32, depths 1 to 4 (2 and 3 written out), either operand transposed:
     * each element the naive float loop's sum from 0.0f, to the bit, -0.0 products included.
     */
    @Test
    void tinyFloat32ProductsAreTheNaiveFloatSums() {
        SplittableRandom random = new SplittableRandom(11);
        int[][] shapes = {{2, 3, 2}, {2, 2, 3}, {3, 3, 3}, {1, 1, 2}, {5, 7, 3}, {4, 9, 2}, {3, 12, 3}, {2, 3, 1}, {3, 2, 4}};
        for (int[] s : shapes) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                float[] a = new float[m * k];
                float[] b = new float[k * n];
                for (int i = 0; i < a.length; i++) {
                    a[i] = random.nextInt(5) == 0 ? -1f : (float) random.nextGaussian();
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = random.nextInt(5) == 0 ? 0f : (float) random.nextGaussian();
                }
                NDArray x = NDArray.wrap(a, ta ? new int[] {k, m} : new int[] {m, k});
                NDArray y = NDArray.wrap(b, tb ? new int[] {n, k} : new int[] {k, n});
                float[] c = Gemm.matmul(x, ta, y, tb).toFloatArray();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        float sum = 0.0f;
                        for (int p = 0; p < k; p++) {
                            sum += a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
                        }
                        assertEquals(Float.floatToRawIntBits(sum), Float.floatToRawIntBits(c[i * n + j]),
                                Arrays.toString(s) + " t=" + t + " at " + i + ", " + j);
                    }
                }
            }
        }
        // every product -0.0: the sum from 0.0f is 0.0
        for (int k = 1; k <= 4; k++) {
            float[] minusOnes = new float[k];
            Arrays.fill(minusOnes, -1f);
            float[] c = Gemm.matmul(NDArray.wrap(minusOnes, new int[] {1, k}), false, NDArray.wrap(new float[2 * k], new int[] {k, 2}), false)
                    .toFloatArray();
            assertEquals(0, Float.floatToRawIntBits(c[0]), "depth " + k);
            assertEquals(0, Float.floatToRawIntBits(c[1]), "depth " + k);
        }
    }

    /** Through Gemm's public entries: tiny (direct loops), blocked, parallel, transposed in place, views, batched. */
    @Test
    void matmulOfFloat32ArraysRunsInFloat32() {
        SplittableRandom random = new SplittableRandom(5);
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {1, 300, 9}, {13, 1, 40}, {16, 16, 16}, {33, 65, 17}, {129, 70, 257},
            {300, 260, 270}, {64, 1024, 33}};
        for (int[] s : shapes) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            NDArray a = floats(random, m, k);
            NDArray b = floats(random, k, n);
            NDArray bound = Gemm.matmul(abs(a.toFloat64()), abs(b.toFloat64()));
            NDArray exact = Gemm.matmul(a.toFloat64(), b.toFloat64());
            assertClose(Gemm.matmul(a, b), exact, bound, k, Arrays.toString(s));
            NDArray at = floats(random, k, m);
            NDArray bt = floats(random, n, k);
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                NDArray x = ta ? at : a;
                NDArray y = tb ? bt : b;
                NDArray reference = Gemm.matmul(x.toFloat64(), ta, y.toFloat64(), tb);
                NDArray refBound = Gemm.matmul(abs(x.toFloat64()), ta, abs(y.toFloat64()), tb);
                assertClose(Gemm.matmul(x, ta, y, tb), reference, refBound, k, Arrays.toString(s) + " t=" + t);
                // the same product through transposed views
                NDArray xv = ta ? x.swapAxes(0, 1) : x;
                NDArray yv = tb ? y.swapAxes(0, 1) : y;
                assertClose(Gemm.matmul(xv, yv), reference, refBound, k, Arrays.toString(s) + " views t=" + t);
            }
            NDArray bias = floats(random, n);
            NDArray affine = Gemm.affine(a, b, bias);
            double[] withBias = exact.toArray();
            double[] bb = bias.toArray();
            for (int i = 0; i < withBias.length; i++) {
                withBias[i] += bb[i % n];
            }
            assertClose(affine, NDArray.wrap(withBias, new int[] {m, n}), bound, k + 1, Arrays.toString(s) + " affine");
        }
        // batched, with a broadcast (stride-0) batch axis on one side
        NDArray a = floats(random, 3, 21, 40);
        NDArray b = floats(random, 1, 40, 19).expand(new int[] {3, 40, 19});
        assertClose(Gemm.matmul(a, b), Gemm.matmul(a.toFloat64(), b.toFloat64()),
                Gemm.matmul(abs(a.toFloat64()), abs(b.toFloat64()).expand(new int[] {3, 40, 19})), 40, "batched");
    }

    @Test
    void float32ProductsAreReproducibleAndIndependentOfTheThreadLimit() {
        SplittableRandom random = new SplittableRandom(9);
        NDArray a = floats(random, 300, 257);
        NDArray b = floats(random, 257, 190);
        assertTrue(300L * 190 * 257 >= 8 * ParallelGemm.PARALLEL_THRESHOLD, "big enough for the parallel path");
        float[] first = Gemm.matmul(a, b).toFloatArray();
        assertArrayEquals(first, Gemm.matmul(a, b).toFloatArray(), "run to run");
        int previous = Gemm.limitThreads(1);
        try {
            assertArrayEquals(first, Gemm.matmul(a, b).toFloatArray(), "one thread against the default");
        } finally {
            Gemm.limitThreads(previous);
        }
        float[] c = new float[300 * 190];
        Gemm.multiply(a.toFloatArray(), 0, false, b.toFloatArray(), 0, false, c, 0, 300, 190, 257);
        assertArrayEquals(first, c, "Gemm.multiply on float[] against matmul");
    }

    @Test
    void theFloatKernelFollowsTheFloat64Choice() {
        if (KernelProvider.vectorKernelOrNull() != null) {
            assertInstanceOf(FloatVectorGemmKernel.class, KernelProvider.floatKernelFor(new VectorGemmKernel()));
        }
        assertInstanceOf(FloatScalarGemmKernel.class, KernelProvider.floatKernelFor(new ScalarGemmKernel()));
        assertEquals(2 * FloatVectorGemmKernel.lanes(), FloatVectorGemmKernel.NR);
    }

    /** Convolution of float32 arrays runs the float32 loops: close to the float64 convolution of the same inputs. */
    @Test
    void convolutionOfFloat32ArraysRunsInFloat32() {
        SplittableRandom random = new SplittableRandom(3);
        Geometry[] cases = {
            new Geometry(2, 3, 9, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),
            new Geometry(3, 4, 11, 7, 6, 3, 2, 2, 1, 0, 1, 1, 2, 2),
            new Geometry(8, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1),
        };
        for (Geometry g : cases) {
            NDArray x = floats(random, g.inputShape());
            NDArray w = floats(random, g.weightShape());
            NDArray bias = floats(random, g.o());
            NDArray gy = floats(random, g.outputShape());
            for (int budget : new int[] {97, ConvKernels.SCRATCH_BUDGET}) {
                NDArray y = ConvKernels.conv2d(x, w, bias, g, budget);
                int k = g.rows();
                assertClose(y, ConvKernels.conv2d(x.toFloat64(), w.toFloat64(), bias.toFloat64(), g, budget),
                        ConvKernels.conv2d(abs(x.toFloat64()), abs(w.toFloat64()), abs(bias.toFloat64()), g, budget), k + 1, g + " forward");
                assertClose(ConvKernels.backwardInput(gy, w, g, budget), ConvKernels.backwardInput(gy.toFloat64(), w.toFloat64(), g, budget),
                        ConvKernels.backwardInput(abs(gy.toFloat64()), abs(w.toFloat64()), g, budget), k + g.o(), g + " input gradient");
                int depth = g.n() * g.outH() * g.outW() + 1;
                assertClose(ConvKernels.backwardWeight(x, gy, g, budget), ConvKernels.backwardWeight(x.toFloat64(), gy.toFloat64(), g, budget),
                        ConvKernels.backwardWeight(abs(x.toFloat64()), abs(gy.toFloat64()), g, budget), depth, g + " weight gradient");
            }
        }
    }

    /** Through the public API: a float32 product and its gradients stay float32 and agree with float64. */
    @Test
    void tensorMatmulGradientsRunInFloat32() {
        java.util.Random random = new java.util.Random(7);
        Tensor x = Tensor.randn(DType.FLOAT32, random, 70, 90).requiresGrad(true);
        Tensor w = Tensor.randn(DType.FLOAT32, random, 90, 110).requiresGrad(true);
        Tensor x64 = x.detach().to(DType.FLOAT64).requiresGrad(true);
        Tensor w64 = w.detach().to(DType.FLOAT64).requiresGrad(true);
        Tensor y = x.matmul(w);
        y.mul(y).sum().backward();
        Tensor y64 = x64.matmul(w64);
        y64.mul(y64).sum().backward();
        assertEquals(DType.FLOAT32, y.dtype());
        assertEquals(DType.FLOAT32, x.grad().dtype());
        assertEquals(DType.FLOAT32, w.grad().dtype());
        assertRelative(y64.toArray(), y.toArray(), 1e-4, "product");
        assertRelative(x64.grad().toArray(), x.grad().toArray(), 1e-4, "gradient of x");
        assertRelative(w64.grad().toArray(), w.grad().toArray(), 1e-4, "gradient of w");
    }

    /** Norm-wise: |actual - expected| / |expected| at most {@code tol}. */
    private static void assertRelative(double[] expected, double[] actual, double tol, String what) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        assertTrue(Math.sqrt(diff / norm) <= tol, what + ": relative error " + Math.sqrt(diff / norm));
    }
}
