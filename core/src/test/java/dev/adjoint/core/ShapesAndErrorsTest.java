package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ShapesAndErrorsTest {

    private static String message(Executable call) {
        return assertThrows(IllegalArgumentException.class, call).getMessage();
    }

    @Test
    void broadcastFailureNamesOpAndBothShapes() {
        Tensor a = Tensor.zeros(2, 3);
        Tensor b = Tensor.zeros(4);
        assertEquals("add: cannot broadcast [2, 3] with [4]", message(() -> a.add(b)));
        assertTrue(message(() -> a.mul(b)).startsWith("mul: cannot broadcast [2, 3] with [4]"));
    }

    @Test
    void matmulMisalignmentNamesBothShapes() {
        String m = message(() -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)));
        assertTrue(m.startsWith("matmul: [2, 3] and [4, 5]"), m);
        String batch = message(() -> Tensor.zeros(2, 2, 3).matmul(Tensor.zeros(3, 3, 4)));
        assertTrue(batch.contains("[2, 2, 3]") && batch.contains("[3, 3, 4]"), batch);
        assertTrue(message(() -> Tensor.scalar(1).matmul(Tensor.zeros(1, 1))).startsWith("matmul"));
    }

    @Test
    void reshapeNamesBothSizes() {
        assertEquals("reshape: [2, 3] (6 elements) to [4, 2] (8 elements)", message(() -> Tensor.zeros(2, 3).reshape(4, 2)));
        assertTrue(message(() -> Tensor.zeros(2, 3).reshape(-1, -1)).contains("-1"));
        assertTrue(message(() -> Tensor.zeros(2, 3).reshape(4, -1)).contains("[4, -1]"));
    }

    @Test
    void badDataLengthNegativeDimensionsAndAxes() {
        String len = message(() -> Tensor.of(new double[5], 2, 3));
        assertTrue(len.startsWith("of:") && len.contains("5") && len.contains("[2, 3]"), len);
        String neg = message(() -> Tensor.zeros(2, -3));
        assertTrue(neg.contains("-3"), neg);
        String axis = message(() -> Tensor.zeros(2, 3).sum(2, false));
        assertTrue(axis.startsWith("sum: axis 2"), axis);
        assertTrue(message(() -> Tensor.zeros(2, 3).softmax(-3)).startsWith("softmax: axis -3"));
        assertTrue(message(() -> Tensor.zeros(2, 3).max(5, true)).startsWith("max: axis 5"));
        assertTrue(message(() -> Tensor.scalar(1).mean(0, true)).contains("scalar"));
    }

    @Test
    void getChecksIndexAndItemChecksSize() {
        Tensor t = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertEquals(6, t.get(1, 2));
        assertTrue(message(() -> t.get(2, 0)).contains("[2, 0]"));
        assertTrue(message(() -> t.get(0)).contains("[2, 3]"));
        IllegalStateException e = assertThrows(IllegalStateException.class, t::item);
        assertTrue(e.getMessage().contains("6 elements"));
    }

    @Test
    void negativeAxesCountFromTheEnd() {
        Tensor t = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new double[] {6, 15}, t.sum(-1, false).toArray());
        assertArrayEquals(new int[] {2, 1}, t.sum(-1, true).shape());
        assertArrayEquals(new double[] {2.5, 3.5, 4.5}, t.mean(0, false).toArray());
        assertArrayEquals(new double[] {3, 6}, t.max(1, false).toArray());
    }

    @Test
    void matmulLikeNumpy() {
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new double[] {1, 0, 0, 1, 1, 1}, 3, 2);
        assertArrayEquals(new double[] {4, 5, 10, 11}, a.matmul(b).toArray());
        Tensor v = Tensor.of(new double[] {1, 1, 1}, 3);
        assertArrayEquals(new int[] {2}, a.matmul(v).shape());
        assertArrayEquals(new double[] {6, 15}, a.matmul(v).toArray());
        assertArrayEquals(new int[] {3}, Tensor.of(new double[] {1, 1}, 2).matmul(a).shape());
        assertArrayEquals(new int[] {}, v.matmul(v).shape());
        // batch broadcasting: [4, 1, 2, 3] @ [5, 3, 2] -> [4, 5, 2, 2]
        Tensor ba = Tensor.randn(new SplittableRandom(1), 4, 1, 2, 3);
        Tensor bb = Tensor.randn(new SplittableRandom(2), 5, 3, 2);
        Tensor r = ba.matmul(bb);
        assertArrayEquals(new int[] {4, 5, 2, 2}, r.shape());
        double expected = 0;
        for (int k = 0; k < 3; k++) {
            expected += ba.get(3, 0, 1, k) * bb.get(4, k, 0);
        }
        assertEquals(expected, r.get(3, 4, 1, 0), 1e-12);
    }

    @Test
    void transposeAndReshapeAreConsistentViews() {
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor t = a.transpose();
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, t.toArray());
        assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, t.reshape(6).toArray());
        assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, t.add(0.0).toArray());
        assertArrayEquals(new int[] {3, 2}, a.reshape(3, -1).shape());
    }

    @Test
    void softmaxIsStableForLargeInputs() {
        Tensor x = Tensor.of(new double[] {1000, 1001, 1002}, 3);
        double[] p = x.softmax(0).toArray();
        double z = 1 + Math.exp(1) + Math.exp(2);
        assertArrayEquals(new double[] {1 / z, Math.exp(1) / z, Math.exp(2) / z}, p, 1e-15);
        double[] lp = x.logSoftmax(0).toArray();
        assertEquals(-Math.log(z) + 2, lp[2], 1e-12);
        assertEquals(1002 + Math.log(z / Math.exp(2)), x.logSumExp(0, false).item(), 1e-12);
    }

    @Test
    void toStringShowsValuesShapeAndGradState() {
        Tensor x = Tensor.of(new double[] {1.5, -2, 3, 4}, 2, 2).requiresGrad(true);
        String s = x.toString();
        assertTrue(s.contains("1.5000") && s.contains("-2.0000"), s);
        assertTrue(s.contains("shape=[2, 2]"), s);
        assertTrue(s.contains("requiresGrad=true, grad=none"), s);
        Tensor y = x.exp();
        assertTrue(y.toString().contains("gradFn=exp"), y.toString());
        String big = Tensor.zeros(100, 100).toString();
        assertTrue(big.contains("...") && big.length() < 2000, big);
        assertEquals("tensor(3., shape=[])", Tensor.scalar(3).toString());
    }

    @Test
    void nullsAreRejectedWithTheOpName() {
        Tensor a = Tensor.zeros(2);
        assertTrue(message(() -> a.add((Tensor) null)).startsWith("add"));
        assertTrue(message(() -> a.matmul(null)).startsWith("matmul"));
        assertTrue(message(() -> Tensor.of((double[]) null, 2)).startsWith("of"));
        assertTrue(message(() -> Tensor.rand(null, 2)).startsWith("rand"));
    }

    @Test
    void narrowSelectAndConcat() {
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new double[] {2, 3, 5, 6}, a.narrow(1, 1, 2).toArray());
        assertArrayEquals(new int[] {2, 2}, a.narrow(-1, 1, 2).shape());
        assertArrayEquals(new double[] {3, 6}, a.select(1, -1).toArray());
        assertArrayEquals(new double[] {4, 5, 6}, a.select(0, 1).toArray());
        Tensor c = Tensor.concat(java.util.List.of(a, Tensor.of(new double[] {7, 8}, 2, 1)), 1);
        assertArrayEquals(new int[] {2, 4}, c.shape());
        assertArrayEquals(new double[] {1, 2, 3, 7, 4, 5, 6, 8}, c.toArray());
        Tensor x = a.requiresGrad(true);
        x.narrow(1, 1, 2).mul(Tensor.of(new double[] {1, 2, 3, 4}, 2, 2)).sum().backward();
        assertArrayEquals(new double[] {0, 1, 2, 0, 3, 4}, x.grad().toArray());
        assertTrue(message(() -> a.narrow(1, 2, 2)).startsWith("narrow: positions [2, 4)"));
        assertTrue(message(() -> a.select(0, 2)).startsWith("select: index 2"));
        assertTrue(message(() -> Tensor.concat(java.util.List.of(a, Tensor.zeros(3, 3)), 1)).contains("[3, 3]"));
        assertTrue(message(() -> Tensor.concat(java.util.List.of(), 0)).startsWith("concat"));
    }

    @Test
    void clampLog1pAndSoftplus() {
        Tensor x = Tensor.of(new double[] {-2, -0.5, 0.3, 5}, 4).requiresGrad(true);
        assertArrayEquals(new double[] {-1, -0.5, 0.3, 1}, x.clamp(-1, 1).toArray(), 1e-15);
        x.clamp(-1, 1).sum().backward();
        assertArrayEquals(new double[] {0, 1, 1, 0}, x.grad().toArray(), 0.0);
        assertTrue(message(() -> x.clamp(1, 0)).startsWith("clamp: min 1.0"));
        assertEquals(1e-20, Tensor.scalar(1e-20).log1p().item(), 1e-35);
        assertEquals(1000, Tensor.scalar(1000).softplus().item(), 0);
        assertEquals(Math.log(2), Tensor.scalar(0).softplus().item(), 1e-15);
        assertEquals(Math.exp(-1000), Tensor.scalar(-1000).softplus().item(), 1e-300);
    }
}
