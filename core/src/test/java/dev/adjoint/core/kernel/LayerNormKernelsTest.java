package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link LayerNormKernels}: the bits of the normalization followed by the product and sum in x's
 * dtype; the input's gradient with the bits of {@link NormKernels#backward} on g w; the sums over
 * fixed blocks of rows added in order, whatever the thread count; short and long rows, either dtype,
 * with and without the weight and bias.
 */
class LayerNormKernelsTest {

    private static NDArray random(SplittableRandom rng, int[] shape, double scale, boolean floats) {
        double[] v = new double[Shapes.size(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = scale * (rng.nextDouble() - 0.3);
        }
        NDArray a = NDArray.of(v, shape);
        return floats ? a.toFloat32() : a;
    }

    /** Bits of each element (float32 and float64 both as their float64 values). */
    private static long[] bits(NDArray a) {
        double[] v = a.toArray();
        long[] r = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = Double.doubleToRawLongBits(v[i]);
        }
        return r;
    }

    /** a (op) b per element of a [rows, cols] against b's [cols], one IEEE operation in a's dtype. */
    private static NDArray perColumn(NDArray a, NDArray b, boolean add) {
        int cols = b.size;
        double[] av = a.toArray();
        double[] bv = b.toArray();
        double[] r = new double[av.length];
        for (int i = 0; i < r.length; i++) {
            if (a.floats != null) {
                float x = (float) av[i];
                float y = (float) bv[i % cols];
                r[i] = add ? x + y : x * y;
            } else {
                r[i] = add ? av[i] + bv[i % cols] : av[i] * bv[i % cols];
            }
        }
        NDArray out = NDArray.of(r, a.shape);
        return a.floats != null ? out.toFloat32() : out;
    }

    /** The sums' definition: blocks of rows, each from zero in row order, the blocks added in order from zero. */
    private static double[] sums(NDArray g, NDArray xhat, int rows, int cols) {
        double[] gv = g.toArray();
        double[] hv = xhat.toArray();
        int blocks = Math.min(rows, 16);
        int blockRows = blocks == 0 ? 1 : (rows + blocks - 1) / blocks;
        double[] total = new double[2 * cols];
        for (int from = 0; from < rows; from += blockRows) {
            double[] partial = new double[2 * cols];
            for (int i = from; i < Math.min(rows, from + blockRows); i++) {
                for (int j = 0; j < cols; j++) {
                    int p = i * cols + j;
                    double product = g.floats != null ? (float) gv[p] * (float) hv[p] : gv[p] * hv[p];
                    partial[j] += product;
                    partial[cols + j] += gv[p];
                }
            }
            for (int j = 0; j < 2 * cols; j++) {
                total[j] += partial[j];
            }
        }
        if (g.floats != null) {
            for (int j = 0; j < total.length; j++) {
                total[j] = (float) total[j];
            }
        }
        return total;
    }

    @Test
    void theKernelsGiveTheBitsOfTheirDefinitionOnAnyNumberOfThreads() {
        SplittableRandom rng = new SplittableRandom(31);
        for (int[] shape : new int[][] {{300, 3}, {300, 70}, {37, 1000}, {5, 64}, {1, 70}}) {
            int rows = shape[0];
            int cols = shape[1];
            for (boolean floats : new boolean[] {false, true}) {
                NDArray x = random(rng, shape, 4, floats);
                NDArray g = random(rng, shape, 1, floats);
                NDArray w = random(rng, new int[] {cols}, 2, floats);
                NDArray b = random(rng, new int[] {cols}, 1, floats);
                String what = java.util.Arrays.toString(shape) + (floats ? " float32" : " float64");
                NormKernels.Normalized plain = NormKernels.normalize(x, cols, 1e-5);
                NDArray gw = perColumn(g, w, false);
                long[] y = bits(perColumn(perColumn(plain.y(), w, false), b, true));
                long[] yWeight = bits(perColumn(plain.y(), w, false));
                long[] yBias = bits(perColumn(plain.y(), b, true));
                long[] dx = bits(NormKernels.backward(gw, x, plain.stats(), cols));
                long[] dxPlain = bits(NormKernels.backward(g, x, plain.stats(), cols));
                double[] s = sums(g, plain.y(), rows, cols);
                int previous = Parallel.forceParts(1);
                try {
                    for (int parts : new int[] {1, 2, 3, 8}) {
                        Parallel.forceParts(parts);
                        String at = what + ", " + parts + " parts";
                        NormKernels.Normalized n = LayerNormKernels.forward(x, w, b, cols, 1e-5);
                        assertArrayEquals(y, bits(n.y()), at + ": y");
                        assertEquals(floats, n.y().floats != null, at);
                        assertArrayEquals(plain.stats().toArray(), n.stats().toArray(), 0, at + ": statistics");
                        assertArrayEquals(yWeight, bits(LayerNormKernels.forward(x, w, null, cols, 1e-5).y()), at + ": weight alone");
                        assertArrayEquals(yBias, bits(LayerNormKernels.forward(x, null, b, cols, 1e-5).y()), at + ": bias alone");
                        LayerNormKernels.Gradients r = LayerNormKernels.backward(g, x, w, n.stats(), cols, true);
                        assertArrayEquals(dx, bits(r.input()), at + ": input gradient");
                        assertArrayEquals(new int[] {2, cols}, r.sums().shape, at);
                        assertEquals(floats, r.sums().floats != null, at);
                        assertArrayEquals(s, r.sums().toArray(), 0, at + ": sums");
                        LayerNormKernels.Gradients unweighted = LayerNormKernels.backward(g, x, null, n.stats(), cols, true);
                        assertArrayEquals(dxPlain, bits(unweighted.input()), at + ": without a weight");
                        LayerNormKernels.Gradients sumsOnly = LayerNormKernels.backward(g, x, w, n.stats(), cols, false);
                        assertNull(sumsOnly.input(), at);
                        assertArrayEquals(s, sumsOnly.sums().toArray(), 0, at + ": sums alone");
                    }
                } finally {
                    Parallel.forceParts(previous);
                }
            }
        }
    }

    @Test
    void viewsGiveTheBitsOfTheirCopiesAndNoRowsGiveZeroSums() {
        SplittableRandom rng = new SplittableRandom(32);
        for (boolean floats : new boolean[] {false, true}) {
            NDArray x = random(rng, new int[] {70, 40}, 3, floats).permute(new int[] {1, 0});
            NDArray g = random(rng, new int[] {70, 40}, 1, floats).permute(new int[] {1, 0});
            NDArray w = random(rng, new int[] {70}, 2, floats);
            NDArray xc = x.contiguous();
            NDArray gc = g.contiguous();
            NormKernels.Normalized view = LayerNormKernels.forward(x, w, w, 70, 1e-5);
            NormKernels.Normalized copy = LayerNormKernels.forward(xc, w, w, 70, 1e-5);
            assertArrayEquals(bits(copy.y()), bits(view.y()), "transposed forward");
            LayerNormKernels.Gradients a = LayerNormKernels.backward(g, x, w, view.stats(), 70, true);
            LayerNormKernels.Gradients b = LayerNormKernels.backward(gc, xc, w, copy.stats(), 70, true);
            assertArrayEquals(bits(b.input()), bits(a.input()), "transposed backward");
            assertArrayEquals(bits(b.sums()), bits(a.sums()), "transposed sums");
            // contiguous views past their arrays' starts: the kernels read from x's, g's and w's offsets
            NDArray xo = random(rng, new int[] {80, 40}, 3, floats).narrow(0, 7, 70);
            NDArray go = random(rng, new int[] {75, 40}, 1, floats).narrow(0, 3, 70);
            NDArray wo = random(rng, new int[] {60}, 2, floats).narrow(0, 11, 40);
            NDArray bo = random(rng, new int[] {50}, 1, floats).narrow(0, 5, 40);
            NDArray xk = NDArray.of(xo.toArray(), new int[] {70, 40});
            NDArray gk = NDArray.of(go.toArray(), new int[] {70, 40});
            NDArray wk = NDArray.of(wo.toArray(), new int[] {40});
            NDArray bk = NDArray.of(bo.toArray(), new int[] {40});
            if (floats) {
                xk = xk.toFloat32();
                gk = gk.toFloat32();
                wk = wk.toFloat32();
                bk = bk.toFloat32();
            }
            NormKernels.Normalized shifted = LayerNormKernels.forward(xo, wo, bo, 40, 1e-5);
            NormKernels.Normalized copied = LayerNormKernels.forward(xk, wk, bk, 40, 1e-5);
            assertArrayEquals(bits(copied.y()), bits(shifted.y()), "forward at offsets");
            LayerNormKernels.Gradients sa = LayerNormKernels.backward(go, xo, wo, shifted.stats(), 40, true);
            LayerNormKernels.Gradients sb = LayerNormKernels.backward(gk, xk, wk, copied.stats(), 40, true);
            assertArrayEquals(bits(sb.input()), bits(sa.input()), "backward at offsets");
            assertArrayEquals(bits(sb.sums()), bits(sa.sums()), "sums at offsets");
            NDArray empty = random(rng, new int[] {0, 70}, 1, floats);
            NormKernels.Normalized none = LayerNormKernels.forward(empty, w, w, 70, 1e-5);
            assertEquals(0, none.y().size);
            LayerNormKernels.Gradients zero = LayerNormKernels.backward(empty, empty, w, none.stats(), 70, true);
            assertEquals(0, zero.input().size);
            assertArrayEquals(new double[140], zero.sums().toArray(), 0);
        }
    }
}
