package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Convolution and pooling where exact answers are known: max pooling's tie breaking (the first
 * maximum in row-major order receives the gradient, as PyTorch), NaN and infinity propagating
 * as in PyTorch 1.13 (the expected arrays are its outputs), and a third derivative through the
 * backward ops of the backward ops.
 */
class ConvolutionTest {
    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    @Test
    void tiesSendTheGradientToTheFirstMaximum() {
        Tensor x = Tensor.of(new double[] {1, 2, 2, 1, 2, 1, 0, 2}, 1, 1, 2, 4).requiresGrad(true);
        Tensor y = x.maxPool2d(2, 2, 0);
        assertArrayEquals(new double[] {2, 2}, y.toArray());
        y.sum().backward();
        assertArrayEquals(new double[] {0, 1, 1, 0, 0, 0, 0, 0}, x.grad().toArray());
        // overlapping windows over equal values, with padding: torch.max_pool2d(ones(1, 1, 2, 2), 2, 1, 1)
        // picks positions [[0, 0, 1], [0, 0, 1], [2, 2, 3]]
        Tensor ones = Tensor.ones(1, 1, 2, 2).requiresGrad(true);
        ones.maxPool2d(2, 1, 1).sum().backward();
        assertArrayEquals(new double[] {4, 2, 2, 1}, ones.grad().toArray());
    }

    @Test
    void maxPoolingPropagatesNanAsPyTorch() {
        Tensor x = Tensor.of(new double[] {1, NAN, 3, 2, 0, 1, 1, 1, 5, 5, 0, 0, 1, 2, 3, 4}, 1, 1, 4, 4).requiresGrad(true);
        Tensor y = x.maxPool2d(2, 2, 0);
        assertArrayEquals(new double[] {NAN, 3, 5, 4}, y.toArray());
        y.sum().backward();
        // the NaN, the 3, the first 5 and the 4 receive the gradient (torch's indices 1, 2, 8, 15)
        assertArrayEquals(new double[] {0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1}, x.grad().toArray());
        // the last NaN of a window wins: torch gives indices [0, 2, 2] and this gradient
        double m = Double.NEGATIVE_INFINITY;
        Tensor rows = Tensor.of(new double[] {NAN, 1, NAN, m, m, m, m, m}, 1, 1, 2, 4).requiresGrad(true);
        Tensor r = rows.maxPool2d(2, 1, 0);
        assertArrayEquals(new double[] {NAN, NAN, NAN}, r.toArray());
        r.sum().backward();
        assertArrayEquals(new double[] {1, 0, 2, 0, 0, 0, 0, 0}, rows.grad().toArray());
        assertArrayEquals(new double[] {Double.NEGATIVE_INFINITY},
                Tensor.full(Double.NEGATIVE_INFINITY, 1, 1, 2, 2).maxPool2d(2, 1, 0).toArray());
    }

    @Test
    void convolutionAndAveragePoolingPropagateNanAndInfinityAsPyTorch() {
        double[] nanCorner = new double[9];
        nanCorner[0] = NAN;
        Tensor x = Tensor.of(nanCorner, 1, 1, 3, 3);
        double[] expected = {NAN, NAN, 0, 0, NAN, NAN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertArrayEquals(expected, x.conv2d(Tensor.ones(1, 1, 2, 2), null, 1, 1).toArray());
        assertArrayEquals(expected, x.avgPool2d(2, 1, 1).toArray());
        // an infinite weight meets the zero padding: inf * 0 = NaN, as in PyTorch's im2col convolution
        Tensor w = Tensor.of(new double[] {INF, 1, 1, 1}, 1, 1, 2, 2);
        assertArrayEquals(new double[] {NAN, NAN, NAN, NAN, INF, INF, NAN, INF, INF},
                Tensor.ones(1, 1, 2, 2).conv2d(w, null, 1, 1).toArray());
    }

    @Test
    void viewsAndBroadcastGradientsAreReadLikeTheirCopies() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        Tensor base = Tensor.randn(rng, 2, 3, 5, 4);
        Tensor view = base.transpose(); // [2, 3, 4, 5], not contiguous
        Tensor copy = Tensor.of(view.toArray(), view.shape());
        Tensor w = Tensor.randn(rng, 2, 3, 2, 2);
        assertArrayEquals(copy.conv2d(w, null, 1, 1).toArray(), view.conv2d(w, null, 1, 1).toArray());
        assertArrayEquals(copy.maxPool2d(2, 1, 1).toArray(), view.maxPool2d(2, 1, 1).toArray());
        assertArrayEquals(copy.avgPool2d(3, 2, 1).toArray(), view.avgPool2d(3, 2, 1).toArray());
        // sum's gradient is a broadcast scalar (stride 0): every input position counted once per window
        Tensor x = Tensor.ones(1, 1, 3, 3).requiresGrad(true);
        x.avgPool2d(2, 1, 0).sum().backward();
        assertArrayEquals(new double[] {0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25}, x.grad().toArray());
    }

    @Test
    void thirdDerivativesReachThroughTheBackwardOps() {
        // with 1x1 maps, f(x, w) = sum(conv(x, w)^2) = (x w)^2: df/dx = 2 x w^2, d2f/dx dw = 4 x w = 24
        // and d3f/dx dw dw = 4 x = 12 at x = 3, w = 2
        Tensor x = Tensor.of(new double[] {3}, 1, 1, 1, 1).requiresGrad(true);
        Tensor w = Tensor.of(new double[] {2}, 1, 1, 1, 1).requiresGrad(true);
        Tensor f = x.conv2d(w, null, 1, 0).pow(2).sum();
        Tensor dx = Autograd.grad(f, List.of(x), true).get(0).sum();
        Tensor dxdw = Autograd.grad(dx, List.of(w), true).get(0).sum();
        assertEquals(24, dxdw.item(), 1e-12);
        Tensor dxdww = Autograd.grad(dxdw, List.of(w), false).get(0);
        assertEquals(12, dxdww.item(), 1e-12);
    }
}
