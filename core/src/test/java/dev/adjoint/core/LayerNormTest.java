package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Tensor#layerNorm}: the definition on short and long rows and over two axes, NaN and
 * infinities confined to their row as in PyTorch 1.13, float32 as the float64 result rounded, a
 * recorded backward with the plain backward's bits, and bad arguments named.
 */
class LayerNormTest {

    /** (x - mean) / sqrt(var + eps) * w + b per row of n, in plain double loops. */
    private static double[] reference(double[] x, int n, double[] w, double[] b, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / n; r++) {
            double mean = 0;
            for (int j = 0; j < n; j++) {
                mean += x[r * n + j] / n;
            }
            double var = 0;
            for (int j = 0; j < n; j++) {
                var += (x[r * n + j] - mean) * (x[r * n + j] - mean) / n;
            }
            for (int j = 0; j < n; j++) {
                y[r * n + j] = (x[r * n + j] - mean) / Math.sqrt(var + eps) * w[j] + b[j];
            }
        }
        return y;
    }

    @Test
    void eachRowFollowsTheDefinition() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int[] normalized : new int[][] {{7}, {3, 4}, {100}}) {
            int n = 1;
            for (int d : normalized) {
                n *= d;
            }
            int[] shape = new int[normalized.length + 1];
            shape[0] = 9;
            System.arraycopy(normalized, 0, shape, 1, normalized.length);
            Tensor x = Tensor.randn(rng, shape).mul(3).add(1);
            Tensor w = Tensor.randn(rng, normalized);
            Tensor b = Tensor.randn(rng, normalized);
            double[] expected = reference(x.toArray(), n, w.toArray(), b.toArray(), 1e-5);
            assertArrayEquals(expected, x.layerNorm(normalized, w, b, 1e-5).toArray(), 1e-12);
            double[] ones = new double[n];
            java.util.Arrays.fill(ones, 1);
            assertArrayEquals(reference(x.toArray(), n, ones, new double[n], 0.5), x.layerNorm(normalized, null, null, 0.5).toArray(), 1e-12);
        }
    }

    @Test
    void nanAndInfinityStayInTheirRowAsInPyTorch() {
        double nan = Double.NaN;
        Tensor x = Tensor.of(new double[] {1, nan, 3, 1, Double.POSITIVE_INFINITY, 3, 2, 2, 2, 1, 2, 3}, 4, 3).requiresGrad(true);
        Tensor y = x.layerNorm(new int[] {3}, null, null, 1e-5);
        double[] v = y.toArray();
        for (int j = 0; j < 6; j++) {
            assertTrue(Double.isNaN(v[j]), "row with NaN or infinity: " + java.util.Arrays.toString(v));
        }
        // a constant row normalizes to zeros (its variance is 0; eps keeps the scale finite)
        assertArrayEquals(new double[] {0, 0, 0}, java.util.Arrays.copyOfRange(v, 6, 9), 0);
        assertEquals(-Math.sqrt(1.5 / (1 + 1.5e-5)), v[9], 1e-12);
        y.sum().backward();
        double[] g = x.grad().toArray();
        for (int j = 0; j < 6; j++) {
            assertTrue(Double.isNaN(g[j]), java.util.Arrays.toString(g));
        }
        for (int j = 6; j < 12; j++) {
            assertEquals(0, g[j], 1e-15, "the gradient of a sum of normalized values is 0");
        }
    }

    @Test
    void float32IsTheFloat64ResultRoundedOnce() {
        SplittableRandom rng = new SplittableRandom(2);
        Tensor x = Tensor.randn(rng, 6, 80).mul(5);
        Tensor x32 = x.to(DType.FLOAT32).requiresGrad(true);
        Tensor wide = x32.detach().to(DType.FLOAT64).requiresGrad(true);
        Tensor y32 = x32.layerNorm(new int[] {80}, null, null, 1e-5);
        Tensor y64 = wide.layerNorm(new int[] {80}, null, null, 1e-5);
        assertEquals(DType.FLOAT32, y32.dtype());
        assertArrayEquals(y64.to(DType.FLOAT32).toArray(), y32.toArray(), 0);
        Tensor g = Tensor.randn(rng, 6, 80).to(DType.FLOAT32);
        y32.backward(g);
        y64.backward(g.to(DType.FLOAT64));
        assertArrayEquals(wide.grad().to(DType.FLOAT32).toArray(), x32.grad().toArray(), 0);
    }

    @Test
    void aRecordedBackwardGivesThePlainBackwardsBits() {
        SplittableRandom rng = new SplittableRandom(3);
        Tensor x = Tensor.randn(rng, 5, 90).requiresGrad(true);
        Tensor g = Tensor.randn(rng, 5, 90);
        Tensor plain = Autograd.grad(x.layerNorm(new int[] {90}, null, null, 1e-5), g, List.of(x), false).get(0);
        Tensor recorded = Autograd.grad(x.layerNorm(new int[] {90}, null, null, 1e-5), g, List.of(x), true).get(0);
        assertArrayEquals(plain.toArray(), recorded.toArray(), 0);
        assertTrue(recorded.requiresGrad(), "a recorded gradient is differentiable again");
        // with a weight and a bias, either or both, in either dtype, over one axis or two
        for (DType dtype : DType.values()) {
            for (int[] normalized : new int[][] {{90}, {9, 10}}) {
                int[] shape = normalized.length == 1 ? new int[] {5, 90} : new int[] {5, 9, 10};
                Tensor xd = x.detach().reshape(shape).to(dtype).requiresGrad(true);
                Tensor w = Tensor.randn(rng, normalized).to(dtype).requiresGrad(true);
                Tensor b = Tensor.randn(rng, normalized).to(dtype).requiresGrad(true);
                Tensor gd = g.reshape(shape).to(dtype);
                for (int which = 0; which < 3; which++) {
                    Tensor wi = which == 1 ? null : w;
                    Tensor bi = which == 2 ? null : b;
                    List<Tensor> in = wi == null ? List.of(xd, bi) : bi == null ? List.of(xd, wi) : List.of(xd, wi, bi);
                    List<Tensor> p = Autograd.grad(xd.layerNorm(normalized, wi, bi, 1e-5), gd, in, false);
                    List<Tensor> r = Autograd.grad(xd.layerNorm(normalized, wi, bi, 1e-5), gd, in, true);
                    for (int i = 0; i < in.size(); i++) {
                        String what = dtype + " " + java.util.Arrays.toString(normalized) + " parameters " + which + " input " + i;
                        assertArrayEquals(p.get(i).shape(), r.get(i).shape(), what);
                        assertArrayEquals(p.get(i).toArray(), r.get(i).toArray(), 0, what);
                    }
                }
            }
        }
    }

    @Test
    void aTransposedInputGivesTheBitsOfItsCopy() {
        SplittableRandom rng = new SplittableRandom(5);
        Tensor stored = Tensor.randn(rng, 70, 4);
        Tensor copy = Tensor.of(stored.transpose().toArray(), 4, 70);
        Tensor w = Tensor.randn(rng, 70);
        assertArrayEquals(copy.layerNorm(new int[] {70}, w, null, 1e-5).toArray(),
                stored.transpose().layerNorm(new int[] {70}, w, null, 1e-5).toArray(), 0);
        Tensor a = stored.detach().requiresGrad(true);
        Tensor b = copy.detach().requiresGrad(true);
        Tensor g = Tensor.randn(rng, 4, 70);
        a.transpose().layerNorm(new int[] {70}, null, null, 1e-5).backward(g);
        b.layerNorm(new int[] {70}, null, null, 1e-5).backward(g);
        assertArrayEquals(b.grad().transpose().toArray(), a.grad().toArray(), 0);
    }

    @Test
    void anEmptyBatchNormalizesToAnEmptyTensor() {
        Tensor x = Tensor.zeros(0, 65536, 65536).requiresGrad(true);
        Tensor y = x.layerNorm(new int[] {65536, 65536}, null, null, 1e-5);
        assertArrayEquals(new int[] {0, 65536, 65536}, y.shape());
        y.sum().backward();
        assertEquals(0, x.grad().size());
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor x = Tensor.zeros(2, 3);
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> x.layerNorm(new int[] {4}, null, null, 1e-5));
        assertTrue(shape.getMessage().contains("layerNorm") && shape.getMessage().contains("[4]") && shape.getMessage().contains("[2, 3]"),
                shape.getMessage());
        IllegalArgumentException weight = assertThrows(IllegalArgumentException.class,
                () -> x.layerNorm(new int[] {3}, Tensor.zeros(2), null, 1e-5));
        assertTrue(weight.getMessage().contains("weight") && weight.getMessage().contains("[2]"), weight.getMessage());
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                () -> x.layerNorm(new int[] {3}, Tensor.ones(3).to(DType.FLOAT32), null, 1e-5));
        assertTrue(dtype.getMessage().contains("layerNorm") && dtype.getMessage().contains("weight"), dtype.getMessage());
        IllegalArgumentException eps = assertThrows(IllegalArgumentException.class, () -> x.layerNorm(new int[] {3}, null, null, -1));
        assertTrue(eps.getMessage().contains("eps"), eps.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> x.layerNorm(new int[0], null, null, 1e-5));
        assertTrue(none.getMessage().contains("layerNorm"), none.getMessage());
    }
}
