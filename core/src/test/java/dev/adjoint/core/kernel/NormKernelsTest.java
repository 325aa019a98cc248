package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link NormKernels}: the same bits on any number of threads, short rows and long, rows and channels. */
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
                    // the same arrays as [3, 100, cols]: 100 channels of 3 runs
                    Parallel.forceParts(1);
                    int inner = cols;
                    NormKernels.Normalized ch = NormKernels.normalizeChannels(xa, 100, inner, 1e-5);
                    double[] cy = ch.y().toArray();
                    double[] cdx = NormKernels.backwardChannels(ga, xa, ch.stats(), 100, inner).toArray();
                    for (int parts : new int[] {2, 3, 8}) {
                        Parallel.forceParts(parts);
                        NormKernels.Normalized split = NormKernels.normalizeChannels(xa, 100, inner, 1e-5);
                        assertArrayEquals(cy, split.y().toArray(), 0, "channels, " + parts + " parts");
                        assertArrayEquals(cdx, NormKernels.backwardChannels(ga, xa, split.stats(), 100, inner).toArray(), 0,
                                "channels, " + parts + " parts");
                    }
                } finally {
                    Parallel.forceParts(previous);
                }
            }
        }
    }
}
