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
        // rows of 3 and 12 make channel blocks of 6 and 2 (100 channels: the last block of 6 partial),
        // of 1 the columns' strips ([10, 300]: strips of 80, the last partial), of 1000 one channel a block
        for (int cols : new int[] {1, 3, 12, 1000}) {
            int rows = cols == 1 ? 3000 : 300;
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
                    // the same arrays as [3, 100, cols] (cols 1: [10, 300]), with a weight and bias
                    Parallel.forceParts(1);
                    int inner = cols;
                    int c = cols == 1 ? 300 : 100;
                    NDArray w = NDArray.of(java.util.Arrays.copyOf(x, c), new int[] {c});
                    NDArray b = NDArray.of(java.util.Arrays.copyOf(g, c), new int[] {c});
                    if (floats) {
                        w = w.toFloat32();
                        b = b.toFloat32();
                    }
                    NormKernels.Normalized ch = NormKernels.normalizeChannels(xa, w, b, c, inner, 1e-5);
                    double[] cy = ch.y().toArray();
                    NormKernels.ChannelGradients cg = NormKernels.backwardChannels(ga, xa, w, ch.stats(), c, inner);
                    for (int parts : new int[] {2, 3, 8}) {
                        Parallel.forceParts(parts);
                        NormKernels.Normalized split = NormKernels.normalizeChannels(xa, w, b, c, inner, 1e-5);
                        assertArrayEquals(cy, split.y().toArray(), 0, "channels, " + parts + " parts");
                        NormKernels.ChannelGradients sg = NormKernels.backwardChannels(ga, xa, w, split.stats(), c, inner);
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
        for (int inner : new int[] {2, 5, 7, 70}) {
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

    @Test
    void runsOfOneAreSummedDownTheirColumnsInOrder() {
        SplittableRandom rng = new SplittableRandom(11);
        // 200 channels: strips of 56 (a quarter, rounded up to 8), the last partial; 130 rows
        int rows = 130;
        int c = 200;
        double[] x = new double[rows * c];
        double[] g = new double[x.length];
        double[] w = new double[c];
        double[] b = new double[c];
        for (int i = 0; i < x.length; i++) {
            x[i] = 4 * rng.nextDouble() - 1;
            g[i] = rng.nextDouble() - 0.5;
        }
        for (int i = 0; i < c; i++) {
            w[i] = rng.nextDouble() + 0.5;
            b[i] = rng.nextDouble() - 0.5;
        }
        NDArray xa = NDArray.of(x, new int[] {rows, c});
        NDArray wa = NDArray.of(w, new int[] {c});
        NormKernels.Normalized n = NormKernels.normalizeChannels(xa, wa, NDArray.of(b, new int[] {c}), c, 1, 1e-5);
        NormKernels.ChannelGradients grads = NormKernels.backwardChannels(NDArray.of(g, new int[] {rows, c}), xa, wa, n.stats(), c, 1);
        double[] y = n.y().toArray();
        double[] dx = grads.input().toArray();
        double[] sums = grads.sums().toArray();
        for (int ch = 0; ch < c; ch++) {
            double s = 0;
            for (int k = 0; k < rows; k++) {
                s += x[k * c + ch];
            }
            double mean = s / rows;
            double q = 0;
            for (int k = 0; k < rows; k++) {
                double d = x[k * c + ch] - mean;
                q += d * d;
            }
            double rstd = 1 / Math.sqrt(q / rows + 1e-5);
            double sg = 0;
            double sgx = 0;
            for (int k = 0; k < rows; k++) {
                double gv = g[k * c + ch];
                sg += gv;
                sgx += gv * ((x[k * c + ch] - mean) * rstd);
            }
            assertEquals(sgx, sums[ch], 0, "sum of g xhat, channel " + ch);
            assertEquals(sg, sums[c + ch], 0, "sum of g, channel " + ch);
            for (int k = 0; k < rows; k++) {
                int at = k * c + ch;
                double xh = (x[at] - mean) * rstd;
                assertEquals(xh * w[ch] + b[ch], y[at], 0, "y at " + at);
                assertEquals(rstd * (g[at] - sg / rows - xh * (sgx / rows)) * w[ch], dx[at], 0, "dx at " + at);
            }
        }
    }
}
