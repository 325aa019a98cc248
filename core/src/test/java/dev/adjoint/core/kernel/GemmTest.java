package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The public entry points: {@link Gemm#multiply} on raw arrays and batched {@link Gemm#matmul} on views. */
class GemmTest {

    static Stream<GemmKernel> kernels() {
        return GemmKernelTest.kernels().stream();
    }

    private static NDArray randomInts(long seed, int... shape) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] x = new double[Shapes.size(shape)];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextInt(-4, 5);
        }
        return NDArray.of(x, shape);
    }

    /** numpy.matmul on equal batch shapes, element by element through the views' strides. */
    private static double[] naiveMatmul(NDArray a, NDArray b) {
        int rank = a.rank();
        int m = a.dim(rank - 2);
        int k = a.dim(rank - 1);
        int n = b.dim(rank - 1);
        int batch = a.size() / Math.max(1, m * k);
        if (m * k == 0) {
            batch = 1;
            for (int d = 0; d < rank - 2; d++) {
                batch *= a.dim(d);
            }
        }
        double[] out = new double[batch * m * n];
        int[] index = new int[rank];
        for (int t = 0; t < batch; t++) {
            int rest = t;
            for (int d = rank - 3; d >= 0; d--) {
                index[d] = rest % a.dim(d);
                rest /= a.dim(d);
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        index[rank - 2] = i;
                        index[rank - 1] = p;
                        double av = a.get(index);
                        index[rank - 2] = p;
                        index[rank - 1] = j;
                        s += av * b.get(index);
                    }
                    out[(t * m + i) * n + j] = s;
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void batchedProductWithBroadcastBatchAxes(GemmKernel kernel) {
        // a is one [1, 37, 21] matrix broadcast over the batch (stride 0), b a real batch of 3
        NDArray a = randomInts(1, 1, 37, 21).expand(new int[] {3, 37, 21});
        NDArray b = randomInts(2, 3, 21, 45);
        NDArray c = Gemm.matmul(a, b, kernel);
        assertArrayEquals(new int[] {3, 37, 45}, c.shape());
        assertArrayEquals(naiveMatmul(a, b), c.toArray());
        NDArray d = Gemm.matmul(b.swapAxes(1, 2), randomInts(3, 21, 6).expand(new int[] {3, 21, 6}), kernel);
        assertArrayEquals(naiveMatmul(b.swapAxes(1, 2), randomInts(3, 21, 6).expand(new int[] {3, 21, 6})), d.toArray());
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void transposedViewsAreReadInPlace(GemmKernel kernel) {
        NDArray at = randomInts(4, 2, 33, 19).swapAxes(1, 2);
        NDArray bt = randomInts(5, 2, 40, 33).swapAxes(1, 2);
        assertArrayEquals(naiveMatmul(at, bt), Gemm.matmul(at, bt, kernel).toArray());
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void matricesWithNeitherUnitStrideAreCopied(GemmKernel kernel) {
        // [2, 3, 20] with axes 0 and 2 swapped: matrix strides (20, 60), neither row- nor column-major
        NDArray a = randomInts(6, 30, 3, 20).swapAxes(0, 2);
        NDArray b = randomInts(7, 20, 30, 15);
        assertArrayEquals(naiveMatmul(a, b), Gemm.matmul(a, b, kernel).toArray());
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void aBroadcastRowOrColumnHasStrideZero(GemmKernel kernel) {
        NDArray row = randomInts(8, 1, 70).expand(new int[] {50, 70});
        NDArray col = randomInts(9, 70, 1).expand(new int[] {70, 40});
        assertArrayEquals(naiveMatmul(row, col), Gemm.matmul(row, col, kernel).toArray());
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void productsStayRightWhenThePackingBuffersAreTakenBack(GemmKernel kernel) {
        // the per-thread packing buffers are softly held: the collector may drop them between
        // products, and a smaller product may leave buffers too short for the next one
        NDArray a = randomInts(30, 90, 70);
        NDArray b = randomInts(31, 70, 80);
        double[] expected = naiveMatmul(a, b);
        assertArrayEquals(expected, Gemm.matmul(a, b, kernel).toArray());
        Packing.releaseBuffers();
        assertArrayEquals(expected, Gemm.matmul(a, b, kernel).toArray());
        NDArray small = randomInts(32, 20, 30);
        NDArray smallB = randomInts(33, 30, 20);
        Packing.releaseBuffers();
        assertArrayEquals(naiveMatmul(small, smallB), Gemm.matmul(small, smallB, kernel).toArray());
        assertArrayEquals(expected, Gemm.matmul(a, b, kernel).toArray());
    }

    @Test
    void transposeFlagsMatchTransposedViewsForSmallAndLargeProducts() {
        // {m, k, n}: tiny (read in place with the flags), just over the direct-loop limit, and blocked
        int[][] sizes = {{1, 1, 1}, {2, 3, 2}, {3, 1, 4}, {1, 7, 1}, {16, 16, 16}, {17, 16, 16}, {40, 33, 21}};
        long seed = 20;
        for (int[] s : sizes) {
            for (int flags = 0; flags < 4; flags++) {
                boolean ta = (flags & 2) != 0;
                boolean tb = (flags & 1) != 0;
                NDArray a = ta ? randomInts(seed++, s[1], s[0]) : randomInts(seed++, s[0], s[1]);
                NDArray b = tb ? randomInts(seed++, s[2], s[1]) : randomInts(seed++, s[1], s[2]);
                NDArray opA = ta ? a.swapAxes(0, 1) : a;
                NDArray opB = tb ? b.swapAxes(0, 1) : b;
                NDArray c = Gemm.matmul(a, ta, b, tb);
                assertArrayEquals(new int[] {s[0], s[2]}, c.shape(), () -> java.util.Arrays.toString(s));
                assertArrayEquals(naiveMatmul(opA, opB), c.toArray(), () -> java.util.Arrays.toString(s) + " transA=" + ta + " transB=" + tb);
            }
        }
        // strided operands: a column slice of a wider matrix, read transposed
        NDArray wide = randomInts(99, 5, 9).narrow(1, 2, 3);
        NDArray b = randomInts(98, 5, 4);
        assertArrayEquals(naiveMatmul(wide.swapAxes(0, 1), b), Gemm.matmul(wide, true, b, false).toArray());
        assertThrows(IllegalArgumentException.class, () -> Gemm.matmul(randomInts(1, 2, 3), true, randomInts(2, 3, 3), false));
    }

    @Test
    void emptyAndZeroDepthProducts() {
        NDArray c = Gemm.matmul(NDArray.full(1, new int[] {2, 3, 0}), NDArray.full(1, new int[] {2, 0, 4}));
        assertArrayEquals(new int[] {2, 3, 4}, c.shape());
        assertArrayEquals(new double[24], c.toArray());
        assertEquals(0, Gemm.matmul(NDArray.full(1, new int[] {0, 3}), NDArray.full(1, new int[] {3, 4})).size());
    }

    @Test
    void matmulRejectsMisalignedShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.matmul(NDArray.full(1, new int[] {2, 3}), NDArray.full(1, new int[] {4, 2})));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 2]"), e.getMessage());
    }

    @Test
    void multiplyOverwritesCAndHonoursOffsetsAndTransposes() {
        SplittableRandom random = new SplittableRandom(11);
        int[][] sizes = {{2, 3, 4}, {1, 9, 1}, {40, 50, 60}, {130, 70, 90}};
        for (int[] s : sizes) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            for (int t = 0; t < 4; t++) {
                boolean transA = (t & 1) != 0;
                boolean transB = (t & 2) != 0;
                double[] a = new double[3 + m * k];
                double[] b = new double[1 + k * n];
                for (int i = 0; i < a.length; i++) {
                    a[i] = random.nextInt(-4, 5);
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = random.nextInt(-4, 5);
                }
                double[] c = new double[2 + m * n + 2];
                java.util.Arrays.fill(c, 99.0);
                Gemm.multiply(a, 3, transA, b, 1, transB, c, 2, m, n, k);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double expected = 0;
                        for (int p = 0; p < k; p++) {
                            expected += (transA ? a[3 + p * m + i] : a[3 + i * k + p])
                                    * (transB ? b[1 + j * k + p] : b[1 + p * n + j]);
                        }
                        assertEquals(expected, c[2 + i * n + j], 0.0);
                    }
                }
                assertEquals(99.0, c[0]);
                assertEquals(99.0, c[1]);
                assertEquals(99.0, c[c.length - 1]);
            }
        }
    }

    @Test
    void multiplyRejectsBadArguments() {
        double[] x = new double[6];
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> Gemm.multiply(x, 1, false, x, 0, false, new double[4], 0, 2, 2, 3));
        assertEquals("multiply: A needs 6 elements from offset 1 but its array has length 6", small.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> Gemm.multiply(x, 0, false, x, 0, false, x, 0, -1, 2, 3));
        assertEquals("multiply: negative size m=-1, n=2, k=3", negative.getMessage());
        IllegalArgumentException nullC = assertThrows(IllegalArgumentException.class,
                () -> Gemm.multiply(x, 0, false, x, 0, false, null, 0, 1, 1, 1));
        assertEquals("multiply: C is null", nullC.getMessage());
    }
}
