package dev.adjoint.core.kernel;

import static dev.adjoint.core.kernel.PoolKernelsTest.floats;
import static dev.adjoint.core.kernel.PoolKernelsTest.values;
import static dev.adjoint.core.kernel.PoolKernelsTest.widened;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.kernel.PoolKernels.Pool;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The max pooling loops of one plane, below {@link PoolKernels} (whose whole ops
 * {@link PoolKernelsTest} checks): each math kernel's 2x2 loop, and the gradient's scatter over a
 * dirty array, against {@link PoolKernelsTest.Reference}'s scan, bit for bit.
 */
class MaxPoolLoopsTest {

    /**
     * The rows the vector loop takes: a row's chunks are a vector of pairs wide (half one for rows
     * narrower than that), and a chunk's float store writes the rest of its vector past its
     * windows, which must stay inside the plane's results.
     */
    private static int vectorRows(int oh, int ow) {
        int windows = VectorPoolLoops.WINDOWS;
        int n = ow >= windows ? windows : windows / 2;
        if (ow < n || n < 2) {
            return 0;
        }
        int spill = 2 * windows - n;
        return Math.max(0, oh - (spill + ow - 1) / ow);
    }

    /**
     * Each math kernel's 2x2 loop on one float32 plane against the scan, bit for bit, in the rows it
     * says it wrote: every row width from 1 window to past a few vectors, odd input widths, offsets,
     * and nothing written past the plane's results. The vector kernel must take every row whose
     * stores stay inside the plane (so that this reaches its loop on full and half vectors), and
     * the scalar kernel none.
     */
    @Test
    void eachMathKernelsTwoByTwoLoopGivesTheScansBits() {
        SplittableRandom rng = new SplittableRandom(20261205L);
        for (MathKernel k : MathKernelTest.kernels()) {
            boolean vector = k instanceof VectorMathKernel;
            for (int w = 2; w <= 41; w++) {
                for (int h = 2; h <= 11; h++) {
                    Pool pool = new Pool(1, 1, h, w, 2, 2, 0);
                    int oh = pool.outH();
                    int ow = pool.outW();
                    float[] plane = floats(values(rng, h * w));
                    float[] x = new float[3 + h * w + 2];
                    System.arraycopy(plane, 0, x, 3, plane.length);
                    float[] y = new float[oh * ow + 2];
                    double[] where = new double[oh * ow + 3];
                    java.util.Arrays.fill(y, 7f);
                    java.util.Arrays.fill(where, -1);
                    String what = k + ", " + h + " x " + w;
                    int rows = k.maxPool2x2(x, 3, y, 1, where, 2, w, oh, ow);
                    assertTrue(rows >= 0 && rows <= oh, what + ": " + rows + " rows");
                    assertEquals(vector ? vectorRows(oh, ow) : 0, rows, what + ": the rows on vectors");
                    double[][] expected = new PoolKernelsTest.Reference(pool).maxPool2d(widened(plane));
                    for (int q = 0; q < rows * ow; q++) {
                        assertEquals(Float.floatToRawIntBits((float) expected[0][q]), Float.floatToRawIntBits(y[1 + q]),
                                what + ": maximum " + q);
                        assertEquals(expected[1][q], where[2 + q], what + ": position " + q);
                    }
                    boolean untouched = y[0] == 7f && y[oh * ow + 1] == 7f && where[0] == -1 && where[1] == -1 && where[oh * ow + 2] == -1;
                    assertTrue(untouched, what + ": written outside the plane's results");
                    for (int q = 0; rows == 0 && q < oh * ow; q++) {
                        assertTrue(y[1 + q] == 7f && where[2 + q] == -1, what + ": no rows, but " + q + " written");
                    }
                }
            }
        }
    }

    /**
     * The gradient's scatter writes every element of its plane, whatever the array held before (its
     * arrays come from the pool, uninitialized), in both dtypes: an odd last row or column of a 2x2
     * pooling, in no window, must still be zeroed.
     */
    @Test
    void scatterWritesTheWholePlaneOverGarbage() {
        SplittableRandom rng = new SplittableRandom(5);
        for (int h = 2; h <= 9; h++) {
            for (int w = 2; w <= 9; w++) {
                for (Pool pool : new Pool[] {new Pool(1, 1, h, w, 2, 2, 0), new Pool(1, 1, h, w, 3, 2, 1)}) {
                    int hw = h * w;
                    int n = pool.outH() * pool.outW();
                    double[] x = values(rng, hw);
                    double[] g = values(rng, n);
                    PoolKernelsTest.Reference ref = new PoolKernelsTest.Reference(pool);
                    double[] where = ref.maxPool2d(x)[1];
                    double[] expected = ref.scatter(g, where);
                    double[] gx = new double[hw + 2];
                    java.util.Arrays.fill(gx, Double.NaN);
                    MaxPoolLoops.scatter(g, 0, where, 0, n, gx, 1, hw);
                    // the float32 loop runs where windows do not overlap (one term per element: exact)
                    boolean disjoint = pool.s() >= pool.k();
                    float[] gf = new float[hw + 2];
                    java.util.Arrays.fill(gf, Float.NaN);
                    if (disjoint) {
                        FloatMaxPoolLoops.scatter(floats(g), 0, where, 0, n, gf, 1, hw);
                    }
                    double[] expectedF = disjoint ? ref.scatter(widened(floats(g)), where) : null;
                    for (int i = 0; i < hw; i++) {
                        assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(gx[1 + i]),
                                pool + ": element " + i);
                        if (disjoint) {
                            assertEquals(Float.floatToRawIntBits((float) expectedF[i]), Float.floatToRawIntBits(gf[1 + i]),
                                    pool + ": float32 element " + i);
                        }
                    }
                    assertTrue(Double.isNaN(gx[0]) && Double.isNaN(gx[hw + 1]) && Float.isNaN(gf[0]) && Float.isNaN(gf[hw + 1]),
                            pool + ": written outside the plane");
                }
            }
        }
    }
}
