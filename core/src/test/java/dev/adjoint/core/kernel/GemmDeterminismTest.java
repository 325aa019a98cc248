package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.core.Tensor;
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
 * The determinism contract of the matrix multiply: which bits stay the same when the thread count,
 * the tile height or the number of rows in a batch changes. Random doubles throughout, so any
 * change of arithmetic (another grouping, fused or not) shows in the last bits.
 */
class GemmDeterminismTest {

    /** Thread counts compared: the 1, 2 and 8, and 3 for parts of uneven size. */
    private static final int[] THREAD_COUNTS = {1, 2, 3, 8};

    /**
     * m, n, k: split by rows (m &gt;= n) and by columns, odd sizes that are multiples of neither 16
     * nor a tile, depths within one block and across several blocks of either kernel (unequal ones
     * included), all with work for at least eight parts.
     */
    static final int[][] SHAPES = {
        {203, 97, 331}, {90, 251, 300}, {517, 61, 149}, {67, 389, 777}, {161, 131, 257}, {401, 33, 513},
    };

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (GemmKernel kernel : GemmKernelTest.kernels()) {
            for (int[] s : SHAPES) {
                for (int t = 0; t < 4; t++) {
                    out.add(Arguments.of(kernel, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
                }
            }
        }
        return out.stream();
    }

    /** Counts the blocks a product is split into. */
    private static final class Counting implements GemmKernel {
        final GemmKernel kernel;
        final AtomicInteger parts = new AtomicInteger();

        Counting(GemmKernel kernel) {
            this.kernel = kernel;
        }

        @Override
        public String description() {
            return kernel.description();
        }

        @Override
        public void multiply(Operand a, Operand b, double[] c, int cOff, int ldc, int m, int n, int k) {
            parts.incrementAndGet();
            kernel.multiply(a, b, c, cOff, ldc, m, n, k);
        }
    }

    /** C of the problem computed on up to {@code threads} threads, checking that it was split so. */
    private static double[] product(GemmKernelTest.Problem p, GemmKernel kernel, int threads) {
        double[] c = p.c.clone();
        Counting counting = new Counting(kernel);
        ParallelGemm.multiply(threads, counting, p.a, p.b, c, p.cOff, p.ldc, p.m, p.n, p.k);
        assertEquals(ParallelGemm.parts(threads, p.m, p.n, p.k), counting.parts.get(), "parts run");
        return c;
    }

    @ParameterizedTest(name = "{0}: {1}x{2}x{3} transA={4} transB={5}")
    @MethodSource("cases")
    void everyThreadCountGivesTheSameBits(GemmKernel kernel, int m, int n, int k, boolean transA, boolean transB) {
        int eight = ParallelGemm.parts(8, m, n, k);
        assertTrue(eight >= 6, "the case must split into at least six parts, not " + eight);
        assertTrue(ParallelGemm.parts(2, m, n, k) >= 2, "two threads must split the case");
        GemmKernelTest.Problem p = new GemmKernelTest.Problem(m, n, k, transA, transB, m + 7L * n + 31L * k, false);
        double[] one = product(p, kernel, 1);
        for (int threads : THREAD_COUNTS) {
            assertSameBits(one, product(p, kernel, threads), threads + " threads against 1");
        }
    }

    /** The same, through the default entry: whatever this JVM's thread count is, it agrees with one thread. */
    @ParameterizedTest(name = "{0}: {1}x{2}x{3} transA={4} transB={5}")
    @MethodSource("cases")
    void theDefaultThreadCountGivesTheBitsOfOneThread(GemmKernel kernel, int m, int n, int k, boolean transA,
                                                     boolean transB) {
        GemmKernelTest.Problem p = new GemmKernelTest.Problem(m, n, k, transA, transB, 3L * m + n + k, false);
        double[] c = p.c.clone();
        Gemm.multiply(kernel, p.a, p.b, c, p.cOff, p.ldc, m, n, k);
        assertSameBits(product(p, kernel, 1), c, ParallelGemm.threads() + " threads (the default) against 1");
    }

    /** The tile height (8 rows with AVX-512's 32 registers, else 6) does not change a bit either. */
    @Test
    void bothTileHeightsOfTheVectorKernelGiveTheSameBits() {
        if (KernelProvider.vectorKernelOrNull() == null) {
            return; // the Maven build always has the vector kernel (GemmKernelTest checks)
        }
        for (int[] s : SHAPES) {
            for (int t = 0; t < 4; t++) {
                GemmKernelTest.Problem p = new GemmKernelTest.Problem(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, t, false);
                assertSameBits(product(p, new VectorGemmKernel(VectorGemmKernel.MR_WIDE), 2),
                        product(p, new VectorGemmKernel(VectorGemmKernel.MR_NARROW), 8), Arrays.toString(s) + " t=" + t);
            }
        }
    }

    @Test
    void theThreadCountPropertyTakesPositiveWholeNumbers() {
        assertEquals(12, ParallelGemm.parseThreads(null, 12));
        assertEquals(1, ParallelGemm.parseThreads("1", 12));
        assertEquals(8, ParallelGemm.parseThreads("8", 2));
        assertEquals(3, ParallelGemm.parseThreads(" 3 ", 2));
        assertEquals(ParallelGemm.MAX_THREADS, ParallelGemm.parseThreads(Integer.toString(ParallelGemm.MAX_THREADS), 2));
        assertTrue(ParallelGemm.threads() >= 1);
    }

    @Test
    void anInvalidThreadCountIsRefusedNamingThePropertyAndTheValue() {
        for (String value : new String[] {"0", "-2", "", "four", "2.5", "32768", "99999999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ParallelGemm.parseThreads(value, 4), value);
            assertTrue(e.getMessage().contains("-Dadjoint.threads=" + value + " "), e.getMessage());
        }
    }

    /** Runs {@link GemmThreadsProbe} in a child JVM with {@code -Dadjoint.threads=value}; its exit code and output. */
    private static String[] probe(String value) throws Exception {
        ChildJvm.Result child = ChildJvm.run(GemmThreadsProbe.class, true, "--add-modules", "jdk.incubator.vector",
                "-D" + ParallelGemm.PROPERTY + "=" + value);
        return new String[] {Integer.toString(child.exitCode()), child.output()};
    }

    /** The products' lines of a probe's output (without the pool line and the JVM's warnings). */
    private static List<String> products(String out) {
        return out.lines().filter(l -> l.startsWith("small ") || l.startsWith("[")).toList();
    }

    /**
     * End to end through the property: child JVMs with {@code -Dadjoint.threads} 1, 2 and 8 give the
     * same bits for large products through {@link Tensor#matmul}; with 1 no pool thread starts, with
     * N at most N - 1 (the caller computes a part itself).
     */
    @Test
    void childJvmsWithOneTwoAndEightThreadsGiveTheSameBits() throws Exception {
        String[] one = probe("1");
        assertEquals("0", one[0], one[1]);
        assertTrue(one[1].contains("pool threads 0"), one[1]);
        List<String> expected = products(one[1]);
        assertEquals(4, expected.size(), one[1]);
        for (String threads : new String[] {"2", "8"}) {
            String[] run = probe(threads);
            assertEquals("0", run[0], run[1]);
            assertEquals(expected, products(run[1]), threads + " threads against 1");
            long pool = Long.parseLong(run[1].lines().filter(l -> l.startsWith("pool threads ")).findFirst()
                    .orElseThrow().substring("pool threads ".length()));
            // the caller computes a part itself: at most threads - 1 pool threads
            assertTrue(pool >= 1 && pool <= Integer.parseInt(threads) - 1, "pool threads with " + threads + ": " + pool);
        }
    }

    /** An invalid value fails the first large product (not a small one) with a message naming it. */
    @Test
    void anInvalidThreadCountFailsTheFirstLargeProductInAChildJvm() throws Exception {
        String[] run = probe("zero");
        assertTrue(!"0".equals(run[0]), run[1]);
        assertTrue(run[1].contains("small "), "a small product does not read the property: " + run[1]);
        assertTrue(run[1].contains("IllegalArgumentException: matmul: -Dadjoint.threads=zero is not a thread count"),
                run[1]);
    }

    static Stream<Arguments> batchCases() {
        List<Arguments> out = new ArrayList<>();
        // depth within one block, across two, and deep enough (with enough rows) for a parallel split
        for (int k : new int[] {37, 300, 777}) {
            out.add(Arguments.of(k, false));
            out.add(Arguments.of(k, true));
        }
        return out.stream();
    }

    /**
     * Through the public {@link Tensor#matmul}: row r of x w has the same bits in a batch of every
     * size from 2 to 12 and of 63, 64 and 65 rows (even and odd, whole register tiles or not, one
     * part or several), as the first row, a middle one or the last. All of these take the blocked
     * path (m and n at least 2, more than {@value Gemm#SMALL_WORK} multiply-adds). A row alone
     * (m = 1) takes the direct loops instead: it gets exactly the sum in order of p of unfused
     * products, which the blocked kernels do not promise (see {@link Gemm}).
     */
    @ParameterizedTest(name = "depth {0} transposed w={1}")
    @MethodSource("batchCases")
    void aRowHasTheSameBitsInBatchesOfEverySizeThroughTensorMatmul(int k, boolean transposedWeight) {
        int n = 70;
        int rows = 65;
        SplittableRandom random = new SplittableRandom(k);
        double[] x = random.doubles((long) rows * k, -1, 1).toArray();
        double[] wData = random.doubles((long) k * n, -1, 1).toArray();
        Tensor w = transposedWeight ? Tensor.of(wData, n, k).transpose() : Tensor.of(wData, k, n);
        assertTrue(2L * n * k > Gemm.SMALL_WORK, "two rows must take the blocked path");

        double[] reference = Tensor.of(x, rows, k).matmul(w).toArray();
        List<Integer> sizes = new ArrayList<>(List.of(63, 64));
        for (int m = 2; m <= 12; m++) {
            sizes.add(m);
        }
        for (int m : sizes) {
            double[] c = Tensor.of(Arrays.copyOf(x, m * k), m, k).matmul(w).toArray();
            for (int r : new int[] {0, m / 2, m - 1}) {
                assertSameBits(Arrays.copyOfRange(reference, r * n, r * n + n), Arrays.copyOfRange(c, r * n, r * n + n),
                        "row " + r + " of a batch of " + m + " against a batch of " + rows);
            }
        }

        // a row alone: the direct loops' sum in order of p, to the bit
        for (int r : new int[] {0, rows - 1}) {
            double[] alone = Tensor.of(Arrays.copyOfRange(x, r * k, r * k + k), 1, k).matmul(w).toArray();
            double[] wt = w.toArray(); // [k, n] row-major, whatever w's layout
            for (int j = 0; j < n; j++) {
                double s = 0.0;
                for (int p = 0; p < k; p++) {
                    s += x[r * k + p] * wt[p * n + j];
                }
                assertEquals(Double.doubleToLongBits(s), Double.doubleToLongBits(alone[j]), "row " + r + " alone, column " + j);
            }
        }
    }

    private static void assertSameBits(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Double.doubleToRawLongBits(expected[i]) != Double.doubleToRawLongBits(actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " to the bit");
            }
        }
    }
}
