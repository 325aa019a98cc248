package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both kernels, and the parallel split over them, against a naive triple loop. Entries are small
 * integers, so every summation order gives the exact same doubles and results compare exactly;
 * the tests of rounding (the direct loops' summation order, a row's bits in batches of any size)
 * use random doubles instead.
 */
class GemmKernelTest {

    /** Set by the Maven build, which starts the test JVM with the vector module. */
    private static final boolean VECTOR_REQUIRED = Boolean.getBoolean("adjoint.test.requireVector");

    static List<GemmKernel> kernels() {
        List<GemmKernel> kernels = new ArrayList<>();
        kernels.add(new ScalarGemmKernel(true));
        kernels.add(new ScalarGemmKernel(false));
        if (KernelProvider.vectorKernelOrNull() != null) {
            // both tile heights: this CPU picks one, the next may pick the other
            kernels.add(new VectorGemmKernel(VectorGemmKernel.MR_WIDE));
            kernels.add(new VectorGemmKernel(VectorGemmKernel.MR_NARROW));
        }
        return kernels;
    }

    @Test
    void theMavenBuildExercisesTheVectorKernel() {
        if (VECTOR_REQUIRED) {
            assertNotNull(KernelProvider.vectorKernelOrNull(), "surefire must run with --add-modules jdk.incubator.vector");
            assertInstanceOf(VectorGemmKernel.class, KernelProvider.select(true, new StringBuilder()));
        }
    }

    @Test
    void thePropertyCanForceTheScalarKernel() {
        StringBuilder reason = new StringBuilder();
        assertInstanceOf(ScalarGemmKernel.class, KernelProvider.select(false, reason));
        assertTrue(reason.toString().contains("adjoint.vector=false"), reason.toString());
    }

    /** m, n, k: degenerate, odd, not multiples of any tile or block, past KC, NC and MC, and depths that split unevenly. */
    static final int[][] SIZES = {
        {1, 1, 1}, {1, 17, 5}, {17, 1, 5}, {1, 1, 300}, {9, 11, 1}, {7, 13, 5}, {4, 16, 8}, {5, 17, 9},
        {17, 33, 19}, {37, 29, 41}, {3, 200, 7}, {200, 3, 7}, {31, 10, 300}, {65, 130, 33}, {20, 300, 40},
        {530, 70, 9}, {12, 270, 520}, {9, 40, 515}, {23, 35, 777}, {523, 40, 300},
    };

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (GemmKernel kernel : kernels()) {
            for (int[] s : SIZES) {
                for (int t = 0; t < 4; t++) {
                    out.add(Arguments.of(kernel, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1}x{2}x{3} transA={4} transB={5}")
    @MethodSource("cases")
    void kernelMatchesTheNaiveProduct(GemmKernel kernel, int m, int n, int k, boolean transA, boolean transB) {
        Problem p = new Problem(m, n, k, transA, transB, m * 31 + n * 7 + k);
        kernel.multiply(p.a, p.b, p.c, p.cOff, p.ldc, m, n, k);
        p.check();
    }

    static Stream<Arguments> parallelCases() {
        List<Arguments> out = new ArrayList<>();
        for (GemmKernel kernel : kernels()) {
            for (int t = 0; t < 4; t++) {
                // rows split (m >= n) and columns split, three uneven parts, sizes not multiples of 16
                out.add(Arguments.of(kernel, 203, 97, 331, (t & 1) != 0, (t & 2) != 0));
                out.add(Arguments.of(kernel, 90, 251, 300, (t & 1) != 0, (t & 2) != 0));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1}x{2}x{3} transA={4} transB={5}")
    @MethodSource("parallelCases")
    void parallelSplitMatchesTheNaiveProduct(GemmKernel kernel, int m, int n, int k, boolean transA, boolean transB) {
        assertTrue((long) m * n * k >= 3 * ParallelGemm.PARALLEL_THRESHOLD, "the case must be big enough for 3 parts");
        Problem p = new Problem(m, n, k, transA, transB, 42);
        ParallelGemm.multiply(3, kernel, p.a, p.b, p.c, p.cOff, p.ldc, m, n, k);
        p.check();
    }

    /** {m, n, k} of the tiny networks' layers: depths 2 and 3 take written-out sums. */
    static final int[][] SHALLOW_SIZES = {{2, 3, 2}, {2, 2, 3}, {3, 3, 3}, {1, 1, 2}, {5, 7, 3}, {4, 9, 2}, {3, 12, 3}};

    static Stream<Arguments> directCases() {
        List<Arguments> out = new ArrayList<>();
        for (int[] s : java.util.stream.Stream.concat(Arrays.stream(SIZES), Arrays.stream(SHALLOW_SIZES)).toList()) {
            for (int t = 0; t < 4; t++) {
                out.add(Arguments.of(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
            }
        }
        return out.stream();
    }

    /**
     * Random doubles round differently in every summation order, so this checks the promise of the
     * direct loops' Javadoc: whichever loop order B's layout picks, each element is the naive loop's
     * sum in order of p, to the bit.
     */
    @ParameterizedTest(name = "{0}x{1}x{2} transA={3} transB={4}")
    @MethodSource("directCases")
    void directLoopsGiveTheNaiveProductsBitsInEitherLoopOrder(int m, int n, int k, boolean transA, boolean transB) {
        Problem p = new Problem(m, n, k, transA, transB, 7, false);
        Gemm.direct(p.a.data(), p.a.offset(), p.a.rowStep(), p.a.columnStep(),
                p.b.data(), p.b.offset(), p.b.rowStep(), p.b.columnStep(), p.c, p.cOff, p.ldc, m, n, k);
        p.check();
    }

    /** A sum of products that are all -0.0 is 0.0, as the naive loop's sum from 0.0 gives, at every depth. */
    @Test
    void directSumsOfNegativeZeroProductsAreZero() {
        for (int k = 1; k <= 4; k++) {
            double[] a = new double[k];
            Arrays.fill(a, -1.0);
            double[] b = new double[k * 2]; // k x 2, zeros
            double[] c = {7, 7};
            Gemm.direct(a, 0, k, 1, b, 0, 2, 1, c, 0, 2, 1, 2, k);
            assertEquals(0L, Double.doubleToRawLongBits(c[0]), "depth " + k);
            assertEquals(0L, Double.doubleToRawLongBits(c[1]), "depth " + k);
        }
    }

    static Stream<Arguments> rowCases() {
        List<Arguments> out = new ArrayList<>();
        for (GemmKernel kernel : kernels()) {
            // shallower than ScalarGemmKernel.SHALLOW; groups of four and one left over; two depth
            // blocks of either kernel
            for (int k : new int[] {9, 37, 150, 300}) {
                for (int t = 0; t < 4; t++) {
                    out.add(Arguments.of(kernel, k, (t & 1) != 0, (t & 2) != 0));
                }
            }
        }
        return out.stream();
    }

    /**
     * Row r of A times B gives the same bits computed alone and as row r of every product of A's
     * first m rows, m = r+1 .. 10: in batches of even and odd size, first, last, paired or not, in a
     * whole register tile or in the padded last one. Random doubles, so any change of arithmetic
     * (fused or not, another grouping) between rows shows.
     */
    @ParameterizedTest(name = "{0}: depth {1} transA={2} transB={3}")
    @MethodSource("rowCases")
    void aRowHasTheSameBitsAloneAndInBatchesOfEitherParity(GemmKernel kernel, int k, boolean transA, boolean transB) {
        int rows = 10;
        int n = 70; // past ScalarGemmKernel.NC, and not a multiple of the vector kernel's tile width
        Problem p = new Problem(rows, n, k, transA, transB, k, false);
        double[][] alone = new double[rows][n];
        for (int r = 0; r < rows; r++) {
            kernel.multiply(p.a.fromRow(r), p.b, alone[r], 0, n, 1, n, k);
        }
        for (int m = 2; m <= rows; m++) {
            double[] c = new double[m * n];
            kernel.multiply(p.a, p.b, c, 0, n, m, n, k);
            for (int r = 0; r < m; r++) {
                assertArrayEquals(alone[r], Arrays.copyOfRange(c, r * n, r * n + n), "row " + r + " of a product of " + m + " rows");
            }
        }
    }

    /** A kernel whose first part (the one at C's offset 0) fails at once while the others run on. */
    private static final class FailingFirstPart implements GemmKernel {
        final AtomicInteger finished = new AtomicInteger();

        @Override
        public String description() {
            return "failing first part";
        }

        @Override
        public void multiply(Operand a, Operand b, double[] c, int cOff, int ldc, int m, int n, int k) {
            if (cOff == 0) {
                throw new IllegalStateException("part 0 failed");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            finished.incrementAndGet();
        }
    }

    /** A 300 x 100 x 200 product split by rows into three parts, at C offsets 0, 11200 and 22400. */
    private static void inThreeParts(GemmKernel kernel) {
        int m = 300;
        int n = 100;
        int k = 200;
        double[] data = new double[m * k + k * n];
        ParallelGemm.multiply(3, kernel, new Operand(data, 0, k, false), new Operand(data, 0, n, false),
                new double[m * n], 0, n, m, n, k);
    }

    @Test
    void aFailedPartIsReportedOnlyAfterEveryOtherPartHasFinished() {
        // the caller runs the first part itself: its failure must not return while a pool thread
        // may still be writing into C
        FailingFirstPart kernel = new FailingFirstPart();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> inThreeParts(kernel));
        assertEquals("part 0 failed", e.getMessage());
        assertEquals(2, kernel.finished.get(), "both other parts finished before multiply returned");
    }

    @Test
    void aPartFailingOnAPoolThreadReachesTheCaller() {
        GemmKernel kernel = new GemmKernel() {
            @Override
            public String description() {
                return "failing later part";
            }

            @Override
            public void multiply(Operand a, Operand b, double[] c, int cOff, int ldc, int m, int n, int k) {
                if (cOff != 0) {
                    throw new IllegalStateException("a later part failed");
                }
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> inThreeParts(kernel));
        // the fork/join pool rethrows it as an exception of the same type with the original as cause
        assertTrue(e.getMessage().contains("a later part failed"), e.getMessage());
    }

    @Test
    void anEmptySharedDimensionGivesZeros() {
        for (GemmKernel kernel : kernels()) {
            double[] c = {5, 5, 5, 5, 5, 5};
            Gemm.multiply(kernel, new Operand(new double[0], 0, 0, false), new Operand(new double[0], 0, 3, false),
                    c, 0, 3, 2, 3, 0);
            assertArrayEquals(new double[6], c);
        }
    }

    /**
     * One product with operands placed inside larger buffers (nonzero offsets, rows further apart
     * than the matrix is wide) and C inside a larger buffer whose other elements must stay put.
     */
    static final class Problem {
        static final double SENTINEL = -12345.0;
        final int m;
        final int n;
        final int k;
        final Operand a;
        final Operand b;
        final double[] c;
        final int cOff;
        final int ldc;

        Problem(int m, int n, int k, boolean transA, boolean transB, long seed) {
            this(m, n, k, transA, transB, seed, true);
        }

        /** With {@code integers} false the entries are random doubles in [-1, 1). */
        Problem(int m, int n, int k, boolean transA, boolean transB, long seed, boolean integers) {
            SplittableRandom random = new SplittableRandom(seed);
            this.m = m;
            this.n = n;
            this.k = k;
            int lda = (transA ? m : k) + 3;
            int ldb = (transB ? k : n) + 2;
            a = new Operand(random(random, 5 + lda * (transA ? k : m), integers), 5, lda, transA);
            b = new Operand(random(random, 3 + ldb * (transB ? n : k), integers), 3, ldb, transB);
            ldc = n + 4;
            cOff = 2;
            c = new double[cOff + ldc * m + 1];
            for (int i = 0; i < c.length; i++) {
                c[i] = SENTINEL + random.nextInt(100);
            }
        }

        private static double[] random(SplittableRandom random, int size, boolean integers) {
            double[] x = new double[size];
            for (int i = 0; i < size; i++) {
                x[i] = integers ? random.nextInt(-4, 5) : random.nextDouble(-1, 1);
            }
            return x;
        }

        /** Element (r, c) of the operand's logical matrix, as Operand's Javadoc defines it. */
        static double get(Operand x, int r, int c) {
            return x.data()[x.transposed() ? x.offset() + c * x.stride() + r : x.offset() + r * x.stride() + c];
        }

        void check() {
            boolean[] inside = new boolean[c.length];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double expected = 0;
                    for (int p = 0; p < k; p++) {
                        expected += get(a, i, p) * get(b, p, j);
                    }
                    int at = cOff + i * ldc + j;
                    inside[at] = true;
                    assertEquals(expected, c[at], 0.0, "C[" + i + ", " + j + "]");
                }
            }
            for (int i = 0; i < c.length; i++) {
                if (!inside[i]) {
                    assertTrue(c[i] <= SENTINEL + 100 && c[i] >= SENTINEL, "element " + i + " outside C was written");
                }
            }
        }
    }
}
