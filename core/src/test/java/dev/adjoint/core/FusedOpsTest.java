package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.gradcheck.GradCheck;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fused ops ({@code affine}, {@code sumSquaredDifference}, {@code softmax}, {@code logSoftmax}) give the values and gradients of
 * the composites they replace, on contiguous operands and on views, and name themselves in errors.
 */
class FusedOpsTest {
    private static final double TOL = 1e-12;

    private static void assertClose(Tensor expected, Tensor actual) {
        assertArrayEquals(expected.shape(), actual.shape());
        assertArrayEquals(expected.toArray(), actual.toArray(), TOL);
    }

    @Test
    void affineEqualsMatmulPlusBiasInValueAndGradients() {
        SplittableRandom rng = new SplittableRandom(3);
        Tensor x = Tensor.randn(rng, 5, 4).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 4, 3).requiresGrad(true);
        Tensor b = Tensor.randn(rng, 3).requiresGrad(true);
        Tensor fused = x.affine(w, b);
        Tensor composite = x.matmul(w).add(b);
        assertClose(composite, fused);
        List<Tensor> gf = Autograd.grad(fused.sin().sum(), List.of(x, w, b), false);
        List<Tensor> gc = Autograd.grad(composite.sin().sum(), List.of(x, w, b), false);
        for (int i = 0; i < 3; i++) {
            assertClose(gc.get(i), gf.get(i));
        }
    }

    @Test
    void affineReadsTransposedAndStridedViews() {
        SplittableRandom rng = new SplittableRandom(4);
        Tensor x = Tensor.randn(rng, 3, 6).transpose();               // [6, 3], column-major
        Tensor w = Tensor.randn(rng, 3, 7).narrow(1, 2, 4);           // [3, 4], row stride 7
        Tensor b = Tensor.randn(rng, 2, 4).select(0, 1);              // [4], offset 4
        assertClose(x.matmul(w).add(b), x.affine(w, b));
        // large enough for the blocked kernel
        Tensor xl = Tensor.randn(rng, 70, 65);
        Tensor wl = Tensor.randn(rng, 33, 65).transpose();
        Tensor bl = Tensor.randn(rng, 33);
        assertClose(xl.matmul(wl).add(bl), xl.affine(wl, bl));
    }

    @Test
    void affineWithoutBiasOrWithOtherShapesIsTheComposite() {
        SplittableRandom rng = new SplittableRandom(5);
        Tensor x = Tensor.randn(rng, 2, 5, 4);
        Tensor w = Tensor.randn(rng, 4, 3);
        Tensor b = Tensor.randn(rng, 1, 3);
        assertClose(x.matmul(w).add(b), x.affine(w, b));
        assertClose(x.matmul(w), x.affine(w, null));
        Tensor v = Tensor.randn(rng, 4);
        assertClose(v.matmul(w).add(b), v.affine(w, b));
    }

    @Test
    void affineErrorsNameTheOpAndTheShapes() {
        Tensor x = Tensor.zeros(2, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> x.affine(Tensor.zeros(4, 3), Tensor.zeros(5)));
        assertTrue(e.getMessage().startsWith("affine:") && e.getMessage().contains("[5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.affine(Tensor.zeros(3, 3), Tensor.zeros(3)));
        assertTrue(e.getMessage().startsWith("affine:") && e.getMessage().contains("[2, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.affine(null, Tensor.zeros(3)));
        assertTrue(e.getMessage().contains("affine") && e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void affineIsOneNodeAndSkipsGradientsNobodyNeeds() {
        Tensor x = Tensor.of(new double[] {1, 2}, 1, 2);
        Tensor w = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {10, 20, 30}, 3);
        Tensor y = x.affine(w, b);
        assertArrayEquals(new double[] {1 + 8 + 10, 2 + 10 + 20, 3 + 12 + 30}, y.toArray());
        y.sum().backward();
        assertArrayEquals(new double[] {1, 1, 1, 2, 2, 2}, w.grad().toArray());
        assertNull(x.grad());
        assertNull(b.grad());
        assertTrue(GraphExport.toDot(y).contains("affine"), "the graph shows one affine node");
    }

    @Test
    void sumSquaredDifferenceEqualsTheCompositeInValueAndGradients() {
        SplittableRandom rng = new SplittableRandom(6);
        Tensor a = Tensor.randn(rng, 3, 4).requiresGrad(true);
        Tensor b = Tensor.randn(rng, 3, 4).requiresGrad(true);
        Tensor fused = a.sumSquaredDifference(b);
        Tensor d = a.sub(b);
        Tensor composite = d.mul(d).sum();
        assertEquals(composite.item(), fused.item(), TOL);
        List<Tensor> gf = Autograd.grad(fused, List.of(a, b), false);
        List<Tensor> gc = Autograd.grad(composite, List.of(a, b), false);
        assertClose(gc.get(0), gf.get(0));
        assertClose(gc.get(1), gf.get(1));
        // views are read in place
        Tensor t = Tensor.randn(rng, 4, 3).transpose();
        Tensor u = a.sub(t);
        assertEquals(u.mul(u).sum().item(), a.sumSquaredDifference(t).item(), TOL);
    }

    @Test
    void sumSquaredDifferenceBroadcastsAndNamesItselfInErrors() {
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
        Tensor b = Tensor.of(new double[] {1, 1}, 2);
        assertEquals(0 + 1 + 4 + 9, a.sumSquaredDifference(b).item(), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.sumSquaredDifference(Tensor.zeros(3)));
        assertTrue(e.getMessage().startsWith("sumSquaredDifference:") && e.getMessage().contains("[3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.sumSquaredDifference(null));
        assertTrue(e.getMessage().contains("sumSquaredDifference") && e.getMessage().contains("null"), e.getMessage());
    }

    /** The composite softmax the fused op replaced: exp(x - max) / sum, along an axis. */
    private static Tensor compositeSoftmax(Tensor x, int axis) {
        Tensor e = x.sub(x.max(axis, true).detach()).exp();
        return e.div(e.sum(axis, true));
    }

    @Test
    void softmaxAndLogSoftmaxEqualTheCompositeAlongEveryAxisAndOnViews() {
        SplittableRandom rng = new SplittableRandom(7);
        Tensor x = Tensor.randn(rng, 3, 4, 5).mul(3).requiresGrad(true);
        Tensor view = Tensor.randn(rng, 5, 4).transpose();
        for (int axis = -3; axis < 3; axis++) {
            Tensor expected = compositeSoftmax(x, axis);
            assertClose(expected, x.softmax(axis));
            assertClose(expected.log(), x.logSoftmax(axis));
            Tensor w = Tensor.randn(rng, 3, 4, 5);
            List<Tensor> gf = Autograd.grad(x.softmax(axis).mul(w).sum(), List.of(x), false);
            List<Tensor> gc = Autograd.grad(expected.mul(w).sum(), List.of(x), false);
            assertClose(gc.get(0), gf.get(0));
            List<Tensor> lf = Autograd.grad(x.logSoftmax(axis).mul(w).sum(), List.of(x), false);
            List<Tensor> lc = Autograd.grad(expected.log().mul(w).sum(), List.of(x), false);
            assertClose(lc.get(0), lf.get(0));
        }
        assertClose(compositeSoftmax(view, 1), view.softmax(1));
        assertClose(compositeSoftmax(view, 0), view.softmax(0));
    }

    @Test
    void softmaxOnLongRowsMatchesTheCompositeToo() {
        // rows of 130 and 67 take the math kernel's exp and the contiguous backward loops
        SplittableRandom rng = new SplittableRandom(11);
        for (int[] shape : new int[][] {{3, 130}, {2, 67}, {130, 2}}) {
            Tensor x = Tensor.randn(rng, shape).mul(4).requiresGrad(true);
            Tensor w = Tensor.randn(rng, shape);
            for (int axis : new int[] {0, 1}) {
                Tensor expected = compositeSoftmax(x, axis);
                assertClose(expected, x.softmax(axis));
                assertClose(expected.log(), x.logSoftmax(axis));
                assertClose(Autograd.grad(expected.mul(w).sum(), List.of(x), false).get(0),
                        Autograd.grad(x.softmax(axis).mul(w).sum(), List.of(x), false).get(0));
                assertClose(Autograd.grad(expected.log().mul(w).sum(), List.of(x), false).get(0),
                        Autograd.grad(x.logSoftmax(axis).mul(w).sum(), List.of(x), false).get(0));
            }
        }
    }

    @Test
    void softmaxIsStableForHugeLogitsAndMaskedEntries() {
        Tensor x = Tensor.of(new double[] {1000, 1001, 999, Double.NEGATIVE_INFINITY, 0, 1}, 2, 3);
        double[] y = x.softmax(1).toArray();
        double z = 1 + Math.E + Math.exp(-1);
        assertArrayEquals(new double[] {1 / z, Math.E / z, Math.exp(-1) / z, 0, 1 / (1 + Math.E), Math.E / (1 + Math.E)}, y, 1e-15);
        double[] l = x.logSoftmax(1).toArray();
        assertEquals(-1 - Math.log(z) + 1, l[0], 1e-12);
        assertEquals(Double.NEGATIVE_INFINITY, l[3]);
        for (double v : Tensor.full(-1e300, 4).logSoftmax(0).toArray()) {
            assertEquals(-Math.log(4), v, 1e-12);
        }
    }

    @Test
    void softmaxGradientsCheckToSecondOrder() {
        SplittableRandom rng = new SplittableRandom(8);
        Tensor x = Tensor.randn(rng, 2, 3, 4).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 2, 3, 4);
        for (int axis = 0; axis < 3; axis++) {
            int a = axis;
            GradCheck.Report s = GradCheck.checkSecondOrder(in -> in.get(0).softmax(a).mul(w).sum().sin(), List.of(x));
            assertTrue(s.passed(), s::toString);
            GradCheck.Report l = GradCheck.checkSecondOrder(in -> in.get(0).logSoftmax(a).mul(w).sum().sin(), List.of(x));
            assertTrue(l.passed(), l::toString);
        }
    }
}
