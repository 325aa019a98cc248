package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The elementwise, reduction, softmax and convolution kernels split long loops over threads ({@link Parallel}):
 * 1, 2, 3 and 8 parts must give the same bits, in float64 and float32, on contiguous, broadcast and
 * transposed operands (of maps and scalar ops too), with odd lengths so that parts end mid-row and mid-block.
 */
class ParallelKernelsTest {
    private static final int[] PARTS = {1, 2, 3, 8};
    /** The part counts compared against one part. */
    private static final int[] SPLIT = {2, 3, 8};
    private static final int[] SHAPE = {131, 1003};

    @AfterEach
    void followThreads() {
        Parallel.forceParts(0);
    }

    private static NDArray random(long seed, int... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] d = new double[Shapes.size(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = rng.nextDouble(-4, 4);
        }
        return NDArray.of(d, shape);
    }

    /** The result's bits under each forced part count, all equal to those of one part. */
    private static void sameBitsForAnyParts(String what, Supplier<NDArray> kernel) {
        Parallel.forceParts(1);
        NDArray one = kernel.get();
        for (int parts : SPLIT) {
            Parallel.forceParts(parts);
            NDArray r = kernel.get();
            assertEquals(one.floats == null, r.floats == null, what + ": dtype");
            assertArrayEquals(bits(one), bits(r), what + ", " + parts + " parts");
        }
    }

    private static String name(NDArray x) {
        return x.floats != null ? "float32" : "float64";
    }

    private static long[] bits(NDArray a) {
        double[] d = a.toArray();
        long[] b = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = Double.doubleToRawLongBits(d[i]);
        }
        return b;
    }

    private static List<NDArray> bothDtypes(NDArray x) {
        List<NDArray> out = new ArrayList<>();
        out.add(x);
        out.add(x.toFloat32());
        return out;
    }

    @Test
    void loopsSplitOverTheRequestedParts() {
        for (int parts : PARTS) {
            Parallel.forceParts(parts);
            AtomicInteger ranges = new AtomicInteger();
            long[] covered = new long[1];
            java.util.Set<Thread> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
            Parallel.forRange(1 << 20, FloatBlocks.BLOCK, (from, to) -> {
                assertEquals(0, from % FloatBlocks.BLOCK, "a part starts on a block");
                ranges.incrementAndGet();
                threads.add(Thread.currentThread());
                synchronized (covered) {
                    covered[0] += to - from;
                }
            });
            // each thread's share in PIECES parts, so a caller can take over a late thread's
            assertEquals(parts == 1 ? 1 : parts * Parallel.PIECES, ranges.get(), "parts");
            assertTrue(threads.size() <= parts, threads.size() + " threads for " + parts + " parts");
            assertEquals(1 << 20, covered[0], "every index once");
        }
        Parallel.forceParts(8);
        assertEquals(1, Parallel.parts(Parallel.MIN_PARALLEL - 1), "short loops stay on one thread");
    }

    /** {@link SplitLoopsProbe} here, and in a child JVM with a pool of seven threads. */
    @Test
    void backToBackLoopsFromSeveralThreadsRunEachIndexOnceOnAtMostTheirPartsThreads() throws Exception {
        List<String> failures = SplitLoopsProbe.run(4, 300);
        assertTrue(failures.isEmpty(), () -> "failures: " + failures);
        ChildJvm.Result child = ChildJvm.run(SplitLoopsProbe.class, true, "--add-modules", "jdk.incubator.vector",
                "-D" + ParallelGemm.PROPERTY + "=8");
        assertEquals(0, child.exitCode(), child.output());
        assertTrue(child.output().contains("ok"), child.output());
    }

    @Test
    void aFailingPartFailsTheCall() {
        Parallel.forceParts(3);
        RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () ->
                Parallel.forRange(1 << 20, 1, (from, to) -> {
                    if (from > 0) {
                        throw new IllegalStateException("part from " + from);
                    }
                }));
        assertTrue(e.getMessage().contains("part from"), e.getMessage());
    }

    /**
     * A caller whose interrupt flag is set parks while another thread runs the loop's last part
     * (an interrupted thread's park returns at once: waiting on it, the caller spun), and keeps
     * the flag.
     */
    @Test
    void anInterruptedCallerWaitsParkedAndStaysInterrupted() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isCurrentThreadCpuTimeSupported(), "no thread CPU time here");
        Parallel.forceParts(2);
        java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
        long busyNanos = 300_000_000L;
        Thread.currentThread().interrupt();
        long cpu0 = mx.getCurrentThreadCpuTime();
        try {
            Parallel.forRange(2, 1, Parallel.MIN_PARALLEL, (from, to) -> {
                if (from == 0) {
                    // the caller's part: wait (up to 10 s) until a pool thread has taken the other
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (!started.get() && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                } else {
                    started.set(true);
                    long end = System.nanoTime() + busyNanos;
                    while (System.nanoTime() < end) {
                        Thread.onSpinWait();
                    }
                }
            });
        } finally {
            long cpu = mx.getCurrentThreadCpuTime() - cpu0;
            boolean stillInterrupted = Thread.interrupted();
            assertTrue(started.get(), "a pool thread ran the second part");
            assertTrue(stillInterrupted, "the caller's interrupt flag survives the loop");
            assertTrue(cpu < busyNanos / 3, "the caller spent " + cpu / 1_000_000 + " ms of CPU waiting " + busyNanos / 1_000_000
                    + " ms for the other part");
        }
    }

    @Test
    void elementwiseMapsGiveTheSameBitsForAnyThreadCount() {
        List<NDArray> inputs = new ArrayList<>(bothDtypes(random(1, SHAPE)));
        // strided views: read run by run, the parts ending mid-run
        inputs.addAll(bothDtypes(random(9, SHAPE[1], SHAPE[0]).swapAxes(0, 1)));
        inputs.addAll(bothDtypes(random(10, SHAPE[1]).expand(SHAPE)));
        for (NDArray x : inputs) {
            String layout = " " + name(x) + (x.isContiguous() ? "" : " view " + java.util.Arrays.toString(x.strides));
            for (Elementwise.Unary f : Elementwise.Unary.values()) {
                sameBitsForAnyParts(f + layout, () -> Elementwise.map(f, x));
            }
            sameBitsForAnyParts("pow" + layout, () -> Elementwise.pow(x, 1.5));
            sameBitsForAnyParts("clamp" + layout, () -> Elementwise.clamp(x, -1, 2));
            for (Elementwise.Binary f : Elementwise.Binary.values()) {
                sameBitsForAnyParts(f + " scalar" + layout, () -> Elementwise.zipScalar(f, x, 0.75));
            }
        }
    }

    @Test
    void transposedCopiesGiveTheSameElementsForAnyThreadCount() {
        // tiles split by bands of rows: planes of a batch, and rows that end mid-band
        NDArray batch = random(12, 3, 200, 131).permute(new int[] {0, 2, 1});
        for (NDArray x : bothDtypes(batch)) {
            sameBitsForAnyParts("copy" + " " + name(x), x::copy);
            sameBitsForAnyParts("float copy" + " " + name(x), () -> NDArray.of(x.toFloatArray(), x.shape()));
            sameBitsForAnyParts("accumulation" + " " + name(x), () -> {
                NDArray sum = NDArray.full(0.5, x.shape());
                NDArray target = x.isFloat32() ? sum.toFloat32() : sum;
                target.addInPlace(x);
                return target;
            });
        }
    }

    @Test
    void indexSelectCopiesEverySlabForAnyThreadCount() {
        // 3 x 1,500 slabs of 24, indices repeated and out of order, read from a view at an offset
        // (blocks 1-3 of 4); the pieces of a two-part split cross the blocks' ends
        NDArray table = random(7, 4, 500, 24).narrow(0, 1, 3);
        int[] indices = new int[1500];
        for (int j = 0; j < indices.length; j++) {
            indices[j] = (j * 337 + 11) % 500;
        }
        for (NDArray x : bothDtypes(table)) {
            sameBitsForAnyParts("indexSelect " + name(x), () -> AxisKernels.indexSelect(x, 1, indices));
            Parallel.forceParts(2);
            double[] r = AxisKernels.indexSelect(x, 1, indices).toArray();
            double[] t = x.toArray();
            for (int o = 0; o < 3; o++) {
                for (int j = 0; j < indices.length; j++) {
                    for (int i = 0; i < 24; i++) {
                        assertEquals(t[(o * 500 + indices[j]) * 24 + i], r[(o * indices.length + j) * 24 + i], "slab " + o + ", " + j);
                    }
                }
            }
        }
        assertEquals(0, AxisKernels.indexSelect(table, 1, new int[0]).size(), "no indices");
    }

    @Test
    void affineAddsItsBiasWithTheSameBitsForAnyThreadCount() {
        NDArray x = random(6, 257, 40);
        NDArray w = random(7, 40, 131);
        NDArray bias = random(8, 131);
        NDArray offset = random(9, 140).narrow(0, 9, 131);
        for (NDArray b : List.of(bias, offset)) {
            for (int d = 0; d < 2; d++) {
                NDArray xd = d == 0 ? x : x.toFloat32();
                NDArray wd = d == 0 ? w : w.toFloat32();
                NDArray bd = d == 0 ? b : b.toFloat32();
                sameBitsForAnyParts("affine " + name(xd), () -> Gemm.affine(xd, wd, bd));
                Parallel.forceParts(8);
                NDArray expected = Elementwise.zip(Elementwise.Binary.ADD, Gemm.matmul(xd, wd), bd.expand(new int[] {257, 131}));
                assertArrayEquals(bits(expected), bits(Gemm.affine(xd, wd, bd)), "affine " + name(xd) + " against matmul and add");
            }
        }
    }

    @Test
    void elementwiseZipsGiveTheSameBitsForAnyThreadCount() {
        NDArray a = random(2, SHAPE);
        NDArray b = random(3, SHAPE);
        NDArray row = random(4, SHAPE[1]).expand(SHAPE);
        NDArray transposed = random(5, SHAPE[1], SHAPE[0]).swapAxes(0, 1);
        for (int d = 0; d < 2; d++) {
            NDArray x = d == 0 ? a : a.toFloat32();
            NDArray y = d == 0 ? b : b.toFloat32();
            NDArray r = d == 0 ? row : row.toFloat32();
            NDArray t = d == 0 ? transposed : transposed.toFloat32();
            for (Elementwise.Binary f : Elementwise.Binary.values()) {
                String what = f + " " + name(x);
                sameBitsForAnyParts(what, () -> Elementwise.zip(f, x, y));
                sameBitsForAnyParts(what + " row broadcast", () -> Elementwise.zip(f, x, r));
                sameBitsForAnyParts(what + " transposed", () -> Elementwise.zip(f, t, y));
                sameBitsForAnyParts(what + " scalar", () -> Elementwise.zipScalar(f, x, 0.75));
            }
        }
    }

    @Test
    void convolutionGivesTheSameBitsForAnyThreadCount() {
        ConvKernels.Geometry[] geometries = {
            new ConvKernels.Geometry(4, 8, 20, 21, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1),
            new ConvKernels.Geometry(3, 8, 19, 20, 4, 3, 2, 2, 2, 1, 0, 1, 1, 2),
            new ConvKernels.Geometry(3, 6, 20, 20, 6, 3, 3, 1, 1, 2, 2, 2, 2, 1)};
        for (ConvKernels.Geometry g : geometries) {
            NDArray x = random(11, g.inputShape());
            NDArray w = random(12, g.weightShape());
            NDArray bias = random(13, g.o());
            NDArray gy = random(14, g.outputShape());
            for (int d = 0; d < 2; d++) {
                NDArray xd = d == 0 ? x : x.toFloat32();
                NDArray wd = d == 0 ? w : w.toFloat32();
                NDArray bd = d == 0 ? bias : bias.toFloat32();
                NDArray gd = d == 0 ? gy : gy.toFloat32();
                String what = " " + g + " " + name(xd);
                // small budgets: blocks of one image each, and (15,000) images cut into chunks whose edges fall inside rows
                for (int budget : new int[] {40_000, 15_000}) {
                    sameBitsForAnyParts("conv2d" + what, () -> ConvKernels.conv2d(xd, wd, bd, g, budget));
                    sameBitsForAnyParts("conv2d input gradient" + what, () -> ConvKernels.backwardInput(gd, wd, g, budget));
                    sameBitsForAnyParts("conv2d weight gradient" + what, () -> ConvKernels.backwardWeight(xd, gd, g, budget));
                }
                sameBitsForAnyParts("conv2d whole" + what, () -> ConvKernels.backwardInput(gd, wd, g));
            }
        }
    }

    @Test
    void reductionsGiveTheSameBitsForAnyThreadCount() {
        NDArray a = random(6, SHAPE);
        NDArray b = random(7, SHAPE);
        for (int d = 0; d < 2; d++) {
            NDArray x = d == 0 ? a : a.toFloat32();
            NDArray y = d == 0 ? b : b.toFloat32();
            String dtype = " " + name(x);
            sameBitsForAnyParts("sum" + dtype, () -> ReduceKernels.sumTo(x, new int[0]));
            sameBitsForAnyParts("bias gradient" + dtype, () -> ReduceKernels.sumTo(x, new int[] {SHAPE[1]}));
            NDArray images = x.reshape(new int[] {17, 131, 59});
            sameBitsForAnyParts("channel sums" + dtype, () -> ReduceKernels.sumTo(images, new int[] {131, 1}));
            sameBitsForAnyParts("row sums" + dtype, () -> ReduceKernels.sumTo(x, new int[] {SHAPE[0], 1}));
            sameBitsForAnyParts("column sums" + dtype, () -> ReduceKernels.sumTo(x, new int[] {1, SHAPE[1]}));
            sameBitsForAnyParts("squared difference" + dtype,
                    () -> NDArray.of(new double[] {ReduceKernels.sumSquaredDifference(x, y)}, new int[0]));
            sameBitsForAnyParts("scaled difference" + dtype, () -> ReduceKernels.scaledDifference(0.3, x, y));
            for (boolean log : new boolean[] {false, true}) {
                for (int axis = 0; axis < 2; axis++) {
                    int ax = axis;
                    String what = (log ? "logSoftmax" : "softmax") + " axis " + axis + dtype;
                    NDArray s = SoftmaxKernels.softmax(x, ax, log);
                    sameBitsForAnyParts(what, () -> SoftmaxKernels.softmax(x, ax, log));
                    sameBitsForAnyParts(what + " backward", () -> SoftmaxKernels.softmaxBackward(y, s, ax, log));
                }
            }
        }
    }

    @Test
    void aWholeSumAddsFixedBlocksInOrder() {
        NDArray x = random(8, SHAPE);
        double[] d = x.toArray();
        double expected = 0;
        for (int from = 0; from < d.length; from += Parallel.SUM_BLOCK) {
            double block = ReduceKernels.sum(d, from, Math.min(Parallel.SUM_BLOCK, d.length - from));
            expected = from == 0 ? block : expected + block;
        }
        for (int parts : PARTS) {
            Parallel.forceParts(parts);
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(ReduceKernels.sumTo(x, new int[0]).item()),
                    parts + " parts");
        }
    }

    /**
     * A bias gradient ([m, n] to [n]) sums fixed blocks of rows, each from zero in row order, and
     * adds the blocks' sums in order; rows too long for such blocks, or too few rows for two
     * blocks, are summed in row order. float32 sums the widened elements in float64 and rounds
     * once; a view that starts past its array's first row sums its own rows. Kept as [1, n] (a
     * column sum with keepDim), or from leading axes that together hold the rows, the same bits.
     */
    @Test
    void aBiasGradientAddsFixedBlocksOfRowsInOrder() {
        for (int[] shape : new int[][] {{131, 1003}, {300, 64}, {512, 300}, {5, 1003}, {9, 4096}, {40, 3}}) {
            for (boolean float32 : new boolean[] {false, true}) {
                for (boolean view : new boolean[] {false, true}) {
                    int m = shape[0];
                    int n = shape[1];
                    NDArray base = random(9, m + 1, n);
                    if (float32) {
                        base = base.toFloat32();
                    }
                    NDArray x = view ? base.narrow(0, 1, m) : base.narrow(0, 0, m);
                    String what = java.util.Arrays.toString(shape) + (float32 ? " float32" : " float64") + (view ? " from row 1" : "");
                    double[] d = x.toArray();
                    int blockRows = BiasGradients.blockRows(n);
                    boolean blocked = m > blockRows && blockRows >= 8;
                    int rows = blocked ? blockRows : m;
                    long[] expected = new long[n];
                    for (int j = 0; j < n; j++) {
                        double total = 0;
                        for (int from = 0; from < m; from += rows) {
                            double block = 0;
                            for (int i = from; i < Math.min(m, from + rows); i++) {
                                block += d[i * n + j];
                            }
                            total += block;
                        }
                        expected[j] = float32 ? Float.floatToRawIntBits((float) total) : Double.doubleToRawLongBits(total);
                    }
                    // the same sums kept as [1, n] (sum(0) with keepDim), and from the rows cut into two leading axes
                    int d0 = 1;
                    while (d0 < m && (d0 == 1 || m % d0 != 0)) {
                        d0++;
                    }
                    d0 = d0 == m ? 1 : d0;
                    NDArray cube = x.reshape(new int[] {d0, m / d0, n});
                    for (int parts : PARTS) {
                        Parallel.forceParts(parts);
                        NDArray[] results = {ReduceKernels.sumTo(x, new int[] {n}), ReduceKernels.sumTo(x, new int[] {1, n}),
                            ReduceKernels.sumTo(cube, new int[] {n}), ReduceKernels.sumTo(cube, new int[] {1, 1, n})};
                        String[] targets = {"[n]", "[1, n]", "[" + d0 + ", " + m / d0 + ", n] to [n]", "[" + d0 + ", " + m / d0 + ", n] to [1, 1, n]"};
                        for (int t = 0; t < results.length; t++) {
                            NDArray r = results[t];
                            assertEquals(float32, r.floats != null, what + ": dtype");
                            for (int j = 0; j < n; j++) {
                                long bits = float32 ? Float.floatToRawIntBits(r.floats[j]) : Double.doubleToRawLongBits(r.data[j]);
                                assertEquals(expected[j], bits, what + " " + targets[t] + ", column " + j + ", " + parts + " parts");
                            }
                        }
                    }
                }
            }
        }
    }
}
