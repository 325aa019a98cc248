package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exact values of the reductions, indexing and shape ops where the gradient checks cannot look:
 * ties, NaN and infinities (each expected value read from PyTorch 1.13, float64), zeros in
 * products, and the shapes of the shape ops.
 */
class ReductionsAndIndexingTest {
    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    private static Tensor leaf(double[] v, int... shape) {
        return Tensor.of(v, shape).requiresGrad(true);
    }

    /** The gradient of sum(f(x)) at x. */
    private static double[] gradient(java.util.function.UnaryOperator<Tensor> f, Tensor x) {
        return Autograd.grad(f.apply(x).sum(), List.of(x), false).get(0).toArray();
    }

    // ---------------------------------------------------------------- ties

    @Test
    void wholeMaxAndMinShareTheGradientEvenlyAmongTies() {
        Tensor x = leaf(new double[] {1, 3, 3, 2}, 4);
        assertEquals(3, x.max().item());
        assertArrayEquals(new double[] {0, 0.5, 0.5, 0}, gradient(Tensor::max, x));
        Tensor y = leaf(new double[] {2, -1, 5, -1, -1}, 5);
        assertEquals(-1, y.min().item());
        assertArrayEquals(new double[] {0, 1.0 / 3, 0, 1.0 / 3, 1.0 / 3}, gradient(Tensor::min, y));
        Tensor inf = leaf(new double[] {INF, 1, INF}, 3);
        assertEquals(INF, inf.max().item());
        assertArrayEquals(new double[] {0.5, 0, 0.5}, gradient(Tensor::max, inf));
    }

    @Test
    void maxAndMinAlongAnAxisSendTheGradientToTheFirstTie() {
        Tensor x = leaf(new double[] {1, 3, 3, 5, 5, 0}, 2, 3);
        assertArrayEquals(new double[] {3, 5}, x.max(1, false).toArray());
        assertArrayEquals(new double[] {0, 1, 0, 1, 0, 0}, gradient(t -> t.max(1, false), x));
        Tensor y = leaf(new double[] {1, 0, 0, 2, 2, 3}, 2, 3);
        assertArrayEquals(new double[] {0, 2}, y.min(-1, true).toArray());
        assertArrayEquals(new double[] {0, 1, 0, 1, 0, 0}, gradient(t -> t.min(-1, true), y));
    }

    @Test
    void argmaxAndArgminReturnTheFirstTieAndNeverRequireGrad() {
        Tensor x = leaf(new double[] {1, 3, 3, NAN, 5, NAN, 2, INF, INF, -INF, -INF, -INF}, 4, 3);
        Tensor am = x.argmax(1, false);
        assertArrayEquals(new double[] {1, 0, 1, 0}, am.toArray());
        assertFalse(am.requiresGrad());
        assertArrayEquals(new int[] {4, 1}, x.argmax(-1, true).shape());
        Tensor y = leaf(new double[] {1, 0, 0, 5, NAN, NAN, -INF, 2, -INF, INF, INF, INF}, 4, 3);
        Tensor an = y.argmin(1, false);
        assertArrayEquals(new double[] {1, 1, 0, 0}, an.toArray());
        assertFalse(an.requiresGrad());
        assertArrayEquals(new double[] {1, 0}, Tensor.of(new double[] {1, 3, 3, 3}, 2, 2).argmax(0, false).toArray());
        assertEquals(null, an.gradFnName());
    }

    // ---------------------------------------------------------------- NaN and infinities (PyTorch 1.13)

    @Test
    void maxAndMinPropagateNaNAndShareItsGradient() {
        Tensor x = leaf(new double[] {1, NAN, 3, NAN}, 4);
        assertEquals(NAN, x.max().item());
        assertArrayEquals(new double[] {0, 0.5, 0, 0.5}, gradient(Tensor::max, x));
        Tensor y = leaf(new double[] {1, NAN, 3}, 3);
        assertEquals(NAN, y.min().item());
        assertArrayEquals(new double[] {0, 1, 0}, gradient(Tensor::min, y));
        assertEquals(-INF, Tensor.of(new double[] {-INF, 1, 2}, 3).min().item());
        Tensor row = leaf(new double[] {1, NAN, 3, NAN}, 1, 4);
        assertEquals(NAN, row.max(1, false).item());
        assertArrayEquals(new double[] {0, 1, 0, 0}, gradient(t -> t.max(1, false), row));
        Tensor low = leaf(new double[] {1, NAN, -3, NAN}, 1, 4);
        assertEquals(NAN, low.min(1, false).item());
        assertArrayEquals(new double[] {0, 1, 0, 0}, gradient(t -> t.min(1, false), low));
    }

    @Test
    void prodOfSpecialValues() {
        Tensor x = Tensor.of(new double[] {2, NAN, 0, INF, 0, 1, INF, 2, -3}, 3, 3);
        assertArrayEquals(new double[] {NAN, NAN, -INF}, x.prod(1, false).toArray());
        assertEquals(1, Tensor.zeros(2, 0).prod(1, false).toArray()[0]);
        assertArrayEquals(new int[] {2, 1}, Tensor.zeros(2, 0).prod(1, true).shape());
    }

    @Test
    void prodGradientWithZerosInTheSliceIsTheProductOfTheOthers() {
        Tensor x = leaf(new double[] {2, 0, 3, 0, 0, 3, 0, 0, 0, 2, 3, 4}, 4, 3);
        assertArrayEquals(new double[] {0, 0, 0, 24}, x.prod(1, false).toArray());
        assertArrayEquals(new double[] {0, 6, 0, 0, 0, 0, 0, 0, 0, 12, 8, 6}, gradient(t -> t.prod(1, false), x));
        // second order with two zeros, as PyTorch: d2/dx0 dx1 prod(0, 0, 3) = 3
        Tensor y = leaf(new double[] {0, 0, 3}, 3);
        Tensor g = Autograd.grad(y.prod(0, false), List.of(y), true).get(0);
        assertArrayEquals(new double[] {0, 3, 0}, Autograd.grad(g.select(0, 0), List.of(y), false).get(0).toArray());
    }

    @Test
    void normOfSpecialValues() {
        double[][] inputs = {{3, 4}, {INF, 1}, {-INF, NAN}, {NAN, 1}, {1e200, 1e200}, {1e-200, 1e-200}};
        double[] expected = {5, INF, NAN, NAN, INF, 0};
        for (int i = 0; i < inputs.length; i++) {
            assertEquals(expected[i], Tensor.of(inputs[i], 2).norm().item(), java.util.Arrays.toString(inputs[i]));
        }
        assertArrayEquals(new double[] {0, 0}, gradient(Tensor::norm, leaf(new double[] {0, 0}, 2)));
        assertArrayEquals(new double[] {NAN, 0}, gradient(Tensor::norm, leaf(new double[] {INF, 1}, 2)));
        assertEquals(0, Tensor.zeros(0).norm().item());
    }

    @Test
    void cumsumOfSpecialValuesAndItsReversedGradient() {
        assertArrayEquals(new double[] {1, INF, NAN, NAN}, Tensor.of(new double[] {1, INF, -INF, 2}, 4).cumsum(0).toArray());
        assertArrayEquals(new double[] {1, NAN, NAN}, Tensor.of(new double[] {1, NAN, 2}, 3).cumsum(-1).toArray());
        assertArrayEquals(new double[] {1, 2, 4, 6}, Tensor.of(new double[] {1, 2, 3, 4}, 2, 2).cumsum(0).toArray());
        Tensor w = Tensor.of(new double[] {1, 10, 100}, 3);
        assertArrayEquals(new double[] {111, 110, 100}, gradient(t -> t.cumsum(0).mul(w), leaf(new double[] {1, 2, 3}, 3)));
    }

    @Test
    void varianceAndStandardDeviationAreUnbiased() {
        Tensor x = Tensor.of(new double[] {1, 2, 4}, 1, 3);
        assertEquals(2.333333333333333, x.var(1, false).item(), 1e-15);
        assertEquals(1.5275252316519465, x.std(-1, false).item(), 1e-15);
        assertEquals(NAN, Tensor.of(new double[] {7}, 1, 1).var(1, false).item());
        // a constant slice: std 0, gradient 0 (as PyTorch), not 0/0
        Tensor c = leaf(new double[] {2, 2, 2}, 1, 3);
        assertEquals(0, c.std(1, false).item());
        assertArrayEquals(new double[] {0, 0, 0}, gradient(t -> t.std(1, false), c));
    }

    @Test
    void wholeLogSumExp() {
        assertEquals(3.4076059644443806, Tensor.of(new double[] {1, 2, 3}, 3).logSumExp().item(), 1e-15);
        assertEquals(-INF, Tensor.of(new double[] {-INF, -INF}, 1, 2).logSumExp().item());
        assertEquals(INF, Tensor.of(new double[] {INF, 1}, 2).logSumExp().item());
        assertEquals(2.5, Tensor.scalar(2.5).logSumExp().item());
    }

    // ---------------------------------------------------------------- indexing

    @Test
    void indexSelectAccumulatesRepeatedPositions() {
        Tensor x = leaf(new double[] {1, 2, 3}, 3);
        assertArrayEquals(new double[] {2, 2, 1}, x.indexSelect(0, 1, 1, 0).toArray());
        assertArrayEquals(new double[] {1, 2, 0}, gradient(t -> t.indexSelect(0, 1, 1, 0), x));
        Tensor table = Tensor.of(new double[] {0, 1, 10, 11, 20, 21}, 3, 2);
        assertArrayEquals(new double[] {20, 21, 0, 1}, table.indexSelect(0, 2, 0).toArray());
        assertArrayEquals(new double[] {1, 0, 11, 10, 21, 20}, table.indexSelect(-1, 1, 0).toArray());
    }

    @Test
    void gatherAndScatterAddFollowTorch() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
        Tensor index = Tensor.of(new double[] {0, 0, 1, 0}, 2, 2);
        // torch.gather(t, 1, [[0, 0], [1, 0]]) = [[1, 1], [4, 3]]
        assertArrayEquals(new double[] {1, 1, 4, 3}, x.gather(1, index).toArray());
        assertArrayEquals(new double[] {1, 2, 3, 2}, x.gather(0, index).toArray());
        Tensor src = Tensor.of(new double[] {10, 20, 30, 40}, 2, 2);
        // out[i][index[i][j]] += src[i][j]
        assertArrayEquals(new double[] {31, 2, 43, 34}, x.scatterAdd(1, index, src).toArray());
        Tensor leaf = leaf(new double[] {1, 2, 3, 4}, 2, 2);
        assertArrayEquals(new double[] {2, 0, 1, 1}, gradient(t -> t.gather(1, index), leaf));
        Tensor s = leaf(new double[] {10, 20, 30, 40, 50, 60}, 2, 3);
        Tensor w = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
        // the source's gradient is a gather of the output's; elements beyond the index get none
        assertArrayEquals(new double[] {1, 1, 0, 4, 3, 0}, gradient(t -> x.scatterAdd(1, index, t).mul(w), s));
    }

    @Test
    void negativeAxesCountFromTheEndInEveryAxisOp() {
        Tensor x = Tensor.of(java.util.stream.IntStream.range(0, 24).mapToDouble(i -> (i * 7) % 11 + 0.5 * i).toArray(), 2, 3, 4);
        List<java.util.function.IntFunction<Tensor>> ops = List.of(
                a -> x.sum(a, false), a -> x.mean(a, true), a -> x.max(a, false), a -> x.min(a, true),
                a -> x.logSumExp(a, false), a -> x.softmax(a), a -> x.logSoftmax(a), a -> x.narrow(a, 1, 1),
                a -> x.select(a, 0), a -> Tensor.concat(List.of(x, x), a), a -> x.argmax(a, false), a -> x.argmin(a, true),
                a -> x.var(a, false), a -> x.std(a, true), a -> x.cumsum(a), a -> x.prod(a, false), a -> x.indexSelect(a, 1, 0),
                a -> x.gather(a, Tensor.zeros(1, 1, 1)), a -> x.scatterAdd(a, Tensor.zeros(1, 1, 1), Tensor.ones(1, 1, 1)),
                a -> x.squeeze(a), a -> x.flatten(a));
        for (int k = 0; k < ops.size(); k++) {
            for (int axis = 0; axis < 3; axis++) {
                Tensor positive = ops.get(k).apply(axis);
                Tensor negative = ops.get(k).apply(axis - 3);
                assertArrayEquals(positive.shape(), negative.shape(), "op " + k + " axis " + axis);
                assertArrayEquals(positive.toArray(), negative.toArray(), "op " + k + " axis " + axis);
            }
        }
        for (int axis = 0; axis <= 3; axis++) {
            assertArrayEquals(x.unsqueeze(axis).shape(), x.unsqueeze(axis - 4).shape());
            assertArrayEquals(Tensor.stack(List.of(x, x), axis).toArray(), Tensor.stack(List.of(x, x), axis - 4).toArray());
        }
        assertArrayEquals(x.permute(2, 0, 1).toArray(), x.permute(-1, -3, -2).toArray());
    }

    // ---------------------------------------------------------------- shape

    @Test
    void shapeOps() {
        Tensor x = Tensor.of(new double[] {0, 1, 2, 3, 4, 5}, 1, 2, 3);
        Tensor p = x.permute(2, 0, -2);
        assertArrayEquals(new int[] {3, 1, 2}, p.shape());
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, p.toArray());
        assertSame(x, x.permute(0, 1, 2));
        assertArrayEquals(new int[] {1, 2, 3, 1}, x.unsqueeze(-1).shape());
        assertArrayEquals(new int[] {1, 1, 2, 3}, x.unsqueeze(0).shape());
        assertArrayEquals(new int[] {2, 3}, x.squeeze(0).shape());
        // a size that is not 1: unchanged, as PyTorch
        assertSame(x, x.squeeze(1));
        assertArrayEquals(new int[] {1, 6}, x.flatten(1).shape());
        assertArrayEquals(new int[] {6}, x.flatten(0).shape());
        assertArrayEquals(new int[] {1}, Tensor.scalar(2).flatten(0).shape());
        assertArrayEquals(new int[] {}, Tensor.scalar(2).squeeze(-1).shape());
        Tensor s = Tensor.stack(List.of(Tensor.scalar(1), Tensor.scalar(2), Tensor.scalar(3)), 0);
        assertArrayEquals(new int[] {3}, s.shape());
        Tensor a = Tensor.of(new double[] {1, 2}, 2);
        Tensor b = Tensor.of(new double[] {3, 4}, 2);
        assertArrayEquals(new double[] {1, 3, 2, 4}, Tensor.stack(List.of(a, b), -1).toArray());
        assertArrayEquals(new int[] {2, 2}, Tensor.stack(List.of(a, b), 1).shape());
    }
}
