package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link NormKernels}: the same bits on any number of threads, short rows and long, rows and channels
 * (with a weight and bias); a channel gives the bits of its values laid out as a row.
 */
class NormKernelsTest {

    @Test
    void theThreadCountChangesNoBit() {
        SplittableRandom rng = new SplittableRandom(9);
        for (int cols : new int[] {12, 1000}) {
            int rows = 300;
            double[] x = new double[rows * cols];
            double[] g = new double[rows * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = 3 * rng.nextDouble() - 1;
                g[i] = rng.nextDouble() - 0.5;
            }
            for (boolean floats : new boolean[] {false, true}) {
                NDArray xa = NDArray.of(x, new int[] {rows, cols});
                NDArray ga = NDArray.of(g, new int[] {rows, cols});
                if (floats) {
                    xa = xa.toFloat32();
                    ga = ga.toFloat32();
                }
                int previous = Parallel.forceParts(1);
                try {
                    NormKernels.Normalized one = NormKernels.normalize(xa, cols, 1e-5);
                    double[] y = one.y().toArray();
                    double[] dx = NormKernels.backward(ga, xa, one.stats(), cols).toArray();
                    for (int parts : new int[] {2, 3, 8}) {
                        Parallel.forceParts(parts);
                        NormKernels.Normalized split = NormKernels.normalize(xa, cols, 1e-5);
                        assertArrayEquals(y, split.y().toArray(), 0, parts + " parts");
                        assertArrayEquals(one.stats().toArray(), split.stats().toArray(), 0, parts + " parts");
                        assertArrayEquals(dx, NormKernels.backward(ga, xa, split.stats(), cols).toArray(), 0, parts + " parts");
                    }
                    // the same arrays as [3, 100, cols]: 100 channels of 3 runs, with a weight and bias
                    Parallel.forceParts(1);
                    int inner = cols;
                    NDArray w = floats ? NDArray.of(x, new int[] {100}).toFloat32() : NDArray.of(java.util.Arrays.copyOf(x, 100), new int[] {100});
                    NDArray b = floats ? NDArray.of(g, new int[] {100}).toFloat32() : NDArray.of(java.util.Arrays.copyOf(g, 100), new int[] {100});
                    NormKernels.Normalized ch = NormKernels.normalizeChannels(xa, w, b, 100, inner, 1e-5);
                    double[] cy = ch.y().toArray();
                    NormKernels.ChannelGradients cg = NormKernels.backwardChannels(ga, xa, w, ch.stats(), 100, inner);
                    for (int parts : new int[] {2, 3, 8}) {
                        Parallel.forceParts(parts);
                        NormKernels.Normalized split = NormKernels.normalizeChannels(xa, w, b, 100, inner, 1e-5);
                        assertArrayEquals(cy, split.y().toArray(), 0, "channels, " + parts + " parts");
                        NormKernels.ChannelGradients sg = NormKernels.backwardChannels(ga, xa, w, split.stats(), 100, inner);
                        assertArrayEquals(cg.input().toArray(), sg.input().toArray(), 0, "channels, " + parts + " parts");
                        assertArrayEquals(cg.sums().toArray(), sg.sums().toArray(), 0, "channel sums, " + parts + " parts");
                    }
                } finally {
                    Parallel.forceParts(previous);
                }
            }
        }
    }

    @Test
    void aChannelGivesTheBitsOfItsValuesAsARow() {
        SplittableRandom rng = new SplittableRandom(10);
        for (int inner : new int[] {1, 7, 70}) {
            int n = 5;
            int c = 3;
            double[] x = new double[n * c * inner];
            double[] g = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = 4 * rng.nextDouble() - 1;
                g[i] = rng.nextDouble() - 0.5;
            }
            // channel ch's values in order as row ch of [c, n inner]
            double[] rx = new double[x.length];
            double[] rg = new double[x.length];
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < n; k++) {
                    System.arraycopy(x, (k * c + ch) * inner, rx, (ch * n + k) * inner, inner);
                    System.arraycopy(g, (k * c + ch) * inner, rg, (ch * n + k) * inner, inner);
                }
            }
            for (boolean floats : new boolean[] {false, true}) {
                NDArray xa = NDArray.of(x, new int[] {n, c, inner});
                NDArray ga = NDArray.of(g, new int[] {n, c, inner});
                NDArray rxa = NDArray.of(rx, new int[] {c, n * inner});
                NDArray rga = NDArray.of(rg, new int[] {c, n * inner});
                if (floats) {
                    xa = xa.toFloat32();
                    ga = ga.toFloat32();
                    rxa = rxa.toFloat32();
                    rga = rga.toFloat32();
                }
                NormKernels.Normalized rows = NormKernels.normalize(rxa, n * inner, 1e-5);
                NormKernels.Normalized channels = NormKernels.normalizeChannels(xa, null, null, c, inner, 1e-5);
                double[] ry = rows.y().toArray();
                double[] cy = channels.y().toArray();
                double[] rdx = NormKernels.backward(rga, rxa, rows.stats(), n * inner).toArray();
                double[] cdx = NormKernels.backwardChannels(ga, xa, null, channels.stats(), c, inner).input().toArray();
                for (int ch = 0; ch < c; ch++) {
                    assertEquals(rows.stats().toArray()[2 * ch], channels.stats().toArray()[3 * ch], 0, "mean");
                    assertEquals(rows.stats().toArray()[2 * ch + 1], channels.stats().toArray()[3 * ch + 1], 0, "rstd");
                    for (int k = 0; k < n; k++) {
                        for (int j = 0; j < inner; j++) {
                            int at = (k * c + ch) * inner + j;
                            int rat = (ch * n + k) * inner + j;
                            assertEquals(ry[rat], cy[at], 0, "y, inner " + inner + ", floats " + floats);
                            assertEquals(rdx[rat], cdx[at], 0, "dx, inner " + inner + ", floats " + floats);
                        }
                    }
                }
            }
        }
    }
}
