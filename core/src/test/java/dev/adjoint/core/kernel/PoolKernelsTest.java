package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.kernel.PoolKernels.Pool;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/**
 * The pooling kernels held bit for bit to plain scalar loops over one whole contiguous float64
 * array ({@link Reference}: one window at a time, the scan that defines the tie and NaN rules), on
 * random geometries (every stride and padding the op accepts, odd sides, windows as wide as the
 * padded input) and values drawn from a handful so that windows tie, with NaN, infinities and
 * both zeros among them. Bits must match except within NaN, whose payload is no contract. Inputs also arrive as strided views (planes transposed, channels
 * interleaved, a broadcast gradient), in float64 and float32 storage, and float32 results must be
 * the reference on the widened input, rounded once, whether a kernel widens or runs float32 loops.
 * Large inputs are split across threads: the bits may not depend on it.
 */
class PoolKernelsTest {

    /** Values that tie often; NaN, infinities and signed zeros now and then. */
    private static double value(SplittableRandom rng) {
        int pick = rng.nextInt(40);
        return switch (pick) {
            case 0 -> Double.NaN;
            case 1 -> Double.NEGATIVE_INFINITY;
            case 2 -> Double.POSITIVE_INFINITY;
            case 3 -> -0.0;
            case 4 -> 0.0;
            default -> (rng.nextInt(7) - 3) * 0.375 + (rng.nextInt(8) == 0 ? rng.nextDouble() : 0.0);
        };
    }

    static double[] values(SplittableRandom rng, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = value(rng);
        }
        return a;
    }

    /** A random geometry the op accepts: padding at most half the window, the padded input at least one window. */
    private static Pool geometry(SplittableRandom rng) {
        int k = 1 + rng.nextInt(4);
        int s = 1 + rng.nextInt(4);
        int p = rng.nextInt(k / 2 + 1);
        int h = Math.max(1, k - 2 * p + rng.nextInt(8));
        int w = Math.max(1, k - 2 * p + rng.nextInt(8));
        if (rng.nextInt(3) == 0) {
            // the fast case: 2x2, stride 2, no padding
            k = 2;
            s = 2;
            p = 0;
            // wide rows and several of them: float32 planes run the math kernel's vector loop on full and half vectors
            boolean large = rng.nextBoolean();
            h = large ? 16 + rng.nextInt(25) : 2 + rng.nextInt(9);
            w = large ? 8 + rng.nextInt(33) : 2 + rng.nextInt(9);
        }
        return new Pool(1 + rng.nextInt(3), 1 + rng.nextInt(3), h, w, k, s, p);
    }

    @Property(tries = 300)
    void everyOpMatchesTheScalarScanBitForBit(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Pool pool = geometry(rng);
        double[] x = values(rng, Shapes.size(pool.inputShape()));
        double[] g = values(rng, Shapes.size(pool.outputShape()));
        Reference ref = new Reference(pool);
        double[][] expected = ref.maxPool2d(x);
        String where = pool.toString();

        NDArray[] max = PoolKernels.maxPool2d(NDArray.of(x, pool.inputShape()), pool);
        assertBits(expected[0], max[0].toArray(), "maxPool2d " + where);
        assertBits(expected[1], max[1].toArray(), "positions " + where);
        NDArray positions = max[1];
        assertBits(ref.gather(x, expected[1]), PoolKernels.gather(NDArray.of(x, pool.inputShape()), positions, pool).toArray(),
                "gather " + where);
        assertBits(ref.scatter(g, expected[1]), PoolKernels.scatter(NDArray.of(g, pool.outputShape()), positions, pool).toArray(),
                "scatter " + where);
        assertBits(ref.avgPool2d(x), PoolKernels.avgPool2d(NDArray.of(x, pool.inputShape()), pool).toArray(), "avgPool2d " + where);
        assertBits(ref.avgPool2dBackward(g), PoolKernels.avgPool2dBackward(NDArray.of(g, pool.outputShape()), pool).toArray(),
                "avgPool2dBackward " + where);

        // float32: the float64 result of the widened input, rounded once; positions the same
        float[] xf = floats(x);
        float[] gf = floats(g);
        double[] xw = widened(xf);
        double[] gw = widened(gf);
        double[][] expectedF = ref.maxPool2d(xw);
        NDArray[] maxF = PoolKernels.maxPool2d(NDArray.of(xf, pool.inputShape()), pool);
        assertBits(rounded(expectedF[0]), maxF[0].toArray(), "float32 maxPool2d " + where);
        assertBits(expectedF[1], maxF[1].toArray(), "float32 positions " + where);
        assertBits(rounded(ref.gather(xw, expectedF[1])), PoolKernels.gather(NDArray.of(xf, pool.inputShape()), maxF[1], pool).toArray(),
                "float32 gather " + where);
        assertBits(rounded(ref.scatter(gw, expectedF[1])),
                PoolKernels.scatter(NDArray.of(gf, pool.outputShape()), maxF[1], pool).toArray(), "float32 scatter " + where);
        assertBits(rounded(ref.avgPool2d(xw)), PoolKernels.avgPool2d(NDArray.of(xf, pool.inputShape()), pool).toArray(),
                "float32 avgPool2d " + where);
        assertBits(rounded(ref.avgPool2dBackward(gw)),
                PoolKernels.avgPool2dBackward(NDArray.of(gf, pool.outputShape()), pool).toArray(), "float32 avgPool2dBackward " + where);
    }

    @Property(tries = 100)
    void stridedViewsAreReadInPlace(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Pool pool = geometry(rng);
        Reference ref = new Reference(pool);
        // x stored as [n, c, w, h] and seen through swapped spatial axes
        double[] stored = values(rng, Shapes.size(pool.inputShape()));
        NDArray transposed = NDArray.of(stored, new int[] {pool.n(), pool.c(), pool.w(), pool.h()}).swapAxes(2, 3);
        // x stored as [c, n, h, w] and seen with its batch and channel axes swapped
        NDArray interleaved = NDArray.of(stored, new int[] {pool.c(), pool.n(), pool.h(), pool.w()}).swapAxes(0, 1);
        // the same views of float32 storage, which float32 loops read unwidened
        float[] storedF = floats(stored);
        NDArray transposedF = NDArray.of(storedF, new int[] {pool.n(), pool.c(), pool.w(), pool.h()}).swapAxes(2, 3);
        NDArray interleavedF = NDArray.of(storedF, new int[] {pool.c(), pool.n(), pool.h(), pool.w()}).swapAxes(0, 1);
        for (NDArray view : new NDArray[] {transposed, interleaved, transposedF, interleavedF, transposed.toFloat32()}) {
            double[] x = view.toArray();
            String where = pool + (view.isFloat32() ? " float32" : "") + (view.isContiguous() ? " contiguous" : " strided");
            double[][] expected = ref.maxPool2d(x);
            NDArray[] max = PoolKernels.maxPool2d(view, pool);
            assertBits(expected[0], max[0].toArray(), "maxPool2d " + where);
            assertBits(expected[1], max[1].toArray(), "positions " + where);
            assertBits(ref.gather(x, expected[1]), PoolKernels.gather(view, max[1], pool).toArray(), "gather " + where);
            double[] mean = ref.avgPool2d(x);
            assertBits(view.isFloat32() ? rounded(mean) : mean, PoolKernels.avgPool2d(view, pool).toArray(), "avgPool2d " + where);
        }
        // a broadcast gradient, as the backward of a sum delivers it
        double one = value(rng);
        NDArray broadcast = NDArray.of(new double[] {one}, new int[] {1, 1, 1, 1}).expand(pool.outputShape());
        double[] g = broadcast.toArray();
        NDArray positions = PoolKernels.maxPool2d(NDArray.of(values(rng, Shapes.size(pool.inputShape())), pool.inputShape()), pool)[1];
        assertBits(ref.scatter(g, positions.toArray()), PoolKernels.scatter(broadcast, positions, pool).toArray(), "scatter " + pool);
        assertBits(ref.avgPool2dBackward(g), PoolKernels.avgPool2dBackward(broadcast, pool).toArray(), "avgPool2dBackward " + pool);
        NDArray broadcastF = NDArray.of(new float[] {(float) one}, new int[] {1, 1, 1, 1}).expand(pool.outputShape());
        double[] gw = broadcastF.toArray();
        assertBits(rounded(ref.scatter(gw, positions.toArray())), PoolKernels.scatter(broadcastF, positions, pool).toArray(),
                "float32 scatter " + pool);
        assertBits(rounded(ref.avgPool2dBackward(gw)), PoolKernels.avgPool2dBackward(broadcastF, pool).toArray(),
                "float32 avgPool2dBackward " + pool);
    }

    @Test
    void overlappingWindowsAddFloat32GradientsInFloat64AndRoundOnce() {
        // 3x3 windows, stride 1, padding 1: all nine contain the centre, the plane's only maximum
        Pool pool = new Pool(1, 1, 3, 3, 3, 1, 1);
        float[] x = {0f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 0f};
        float tiny = 0x1p-24f;
        float[] g = {1f, tiny, tiny, 0f, 0f, 0f, 0f, 0f, 0f};
        NDArray[] max = PoolKernels.maxPool2d(NDArray.of(x, pool.inputShape()), pool);
        assertBits(new double[] {4, 4, 4, 4, 4, 4, 4, 4, 4}, max[1].toArray(), "positions");
        double centre = PoolKernels.scatter(NDArray.of(g, pool.outputShape()), max[1], pool).toArray()[4];
        // float32 accumulation would give 1 (each tiny addend rounds away); float64 keeps both
        assertEquals((double) (float) (1.0 + 0x1p-23), centre, "the centre's gradient");
        assertTrue(centre > 1.0, "float64 accumulation");
    }

    @org.junit.jupiter.api.AfterEach
    void followThreads() {
        Parallel.forceParts(0);
    }

    @Test
    void theThreadCountChangesNoBit() {
        // 2x2 and an overlapping 3x3 stride 2, both large enough to be split
        for (Pool pool : new Pool[] {new Pool(8, 64, 64, 64, 2, 2, 0), new Pool(8, 40, 61, 59, 3, 2, 1)}) {
            Parallel.forceParts(8);
            assertTrue(Parallel.parts((long) pool.planes() * pool.h() * pool.w()) >= 2, "the case is split");
            SplittableRandom rng = new SplittableRandom(pool.planes());
            NDArray x = NDArray.of(values(rng, Shapes.size(pool.inputShape())), pool.inputShape());
            NDArray g = NDArray.of(values(rng, Shapes.size(pool.outputShape())), pool.outputShape());
            for (NDArray[] pair : new NDArray[][] {{x, g}, {x.toFloat32(), g.toFloat32()}}) {
                Parallel.forceParts(1);
                double[][] one = run(pair[0], pair[1], pool);
                for (int parts : new int[] {2, 3, 8}) {
                    Parallel.forceParts(parts);
                    double[][] split = run(pair[0], pair[1], pool);
                    for (int i = 0; i < split.length; i++) {
                        assertBits(one[i], split[i], "result " + i + " of " + pool + (pair[0].isFloat32() ? " float32" : "") + ", " + parts
                                + " parts");
                    }
                }
            }
        }
    }

    /** Every kernel's result on x and g, as float64 arrays. */
    private static double[][] run(NDArray x, NDArray g, Pool pool) {
        NDArray[] max = PoolKernels.maxPool2d(x, pool);
        return new double[][] {max[0].toArray(), max[1].toArray(), PoolKernels.gather(x, max[1], pool).toArray(),
            PoolKernels.scatter(g, max[1], pool).toArray(), PoolKernels.avgPool2d(x, pool).toArray(),
            PoolKernels.avgPool2dBackward(g, pool).toArray()};
    }

    private static void assertBits(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            // a NaN's payload is not part of the contract: the JIT may swap the operands of an addition
            boolean same = Double.isNaN(expected[i]) ? Double.isNaN(actual[i])
                    : Double.doubleToRawLongBits(expected[i]) == Double.doubleToRawLongBits(actual[i]);
            if (!same) {
                assertEquals(expected[i], actual[i], what + ": element " + i + " (bits differ)");
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (bits differ)");
            }
        }
    }

    static float[] floats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    static double[] widened(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static double[] rounded(double[] a) {
        return widened(floats(a));
    }

    /** The pooling rules as whole-array scalar loops, one window at a time, on contiguous float64 arrays. */
    record Reference(Pool p) {
        private int h0(int i) {
            return Math.max(i * p.s() - p.p(), 0);
        }

        private int h1(int i) {
            return Math.min(i * p.s() - p.p() + p.k(), p.h());
        }

        private int w0(int j) {
            return Math.max(j * p.s() - p.p(), 0);
        }

        private int w1(int j) {
            return Math.min(j * p.s() - p.p() + p.k(), p.w());
        }

        /** The maxima and their positions: a value replaces the running maximum when greater or NaN. */
        double[][] maxPool2d(double[] x) {
            int size = Shapes.size(p.outputShape());
            double[] y = new double[size];
            double[] where = new double[size];
            int q = 0;
            for (int plane = 0; plane < p.planes(); plane++) {
                int base = plane * p.h() * p.w();
                for (int i = 0; i < p.outH(); i++) {
                    for (int j = 0; j < p.outW(); j++, q++) {
                        int best = h0(i) * p.w() + w0(j);
                        double max = Double.NEGATIVE_INFINITY;
                        for (int r = h0(i); r < h1(i); r++) {
                            for (int t = r * p.w() + w0(j); t < r * p.w() + w1(j); t++) {
                                if (x[base + t] > max || Double.isNaN(x[base + t])) {
                                    max = x[base + t];
                                    best = t;
                                }
                            }
                        }
                        y[q] = max;
                        where[q] = best;
                    }
                }
            }
            return new double[][] {y, where};
        }

        double[] gather(double[] x, double[] where) {
            int plane = p.outH() * p.outW();
            double[] y = new double[where.length];
            for (int q = 0; q < y.length; q++) {
                y[q] = x[q / plane * p.h() * p.w() + (int) where[q]];
            }
            return y;
        }

        double[] scatter(double[] g, double[] where) {
            int plane = p.outH() * p.outW();
            double[] gx = new double[Shapes.size(p.inputShape())];
            for (int q = 0; q < g.length; q++) {
                gx[q / plane * p.h() * p.w() + (int) where[q]] += g[q];
            }
            return gx;
        }

        double[] avgPool2d(double[] x) {
            double[] y = new double[Shapes.size(p.outputShape())];
            int q = 0;
            for (int plane = 0; plane < p.planes(); plane++) {
                int base = plane * p.h() * p.w();
                for (int i = 0; i < p.outH(); i++) {
                    for (int j = 0; j < p.outW(); j++, q++) {
                        double sum = 0.0;
                        for (int r = h0(i); r < h1(i); r++) {
                            for (int t = r * p.w() + w0(j); t < r * p.w() + w1(j); t++) {
                                sum += x[base + t];
                            }
                        }
                        y[q] = sum / ((double) p.k() * p.k());
                    }
                }
            }
            return y;
        }

        double[] avgPool2dBackward(double[] g) {
            double[] gx = new double[Shapes.size(p.inputShape())];
            int q = 0;
            for (int plane = 0; plane < p.planes(); plane++) {
                int base = plane * p.h() * p.w();
                for (int i = 0; i < p.outH(); i++) {
                    for (int j = 0; j < p.outW(); j++, q++) {
                        double v = g[q] / ((double) p.k() * p.k());
                        for (int r = h0(i); r < h1(i); r++) {
                            for (int t = r * p.w() + w0(j); t < r * p.w() + w1(j); t++) {
                                gx[base + t] += v;
                            }
                        }
                    }
                }
            }
            return gx;
        }
    }
}
