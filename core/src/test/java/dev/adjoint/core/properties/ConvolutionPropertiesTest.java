package dev.adjoint.core.properties;

import static dev.adjoint.core.properties.OpGradientPropertiesTest.assertGradients;
import static dev.adjoint.core.properties.OpGradientPropertiesTest.assertTangents;
import static dev.adjoint.core.properties.OpGradientPropertiesTest.bend;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Convolution and pooling, first and second order, through GradCheck on small random geometries
 * (batch at most 2, at most 3 channels, sides at most 6): strides, padding, dilation, groups and
 * a missing bias, with padding narrower than the kernel so that few outputs see only padding. The
 * ops are bilinear or linear, so they are followed by {@code bend}, and the input of a
 * convolution goes through tanh first, so that every second derivative is non-zero. Max pooling
 * gets inputs without ties; ConvolutionTest checks its tie breaking exactly.
 *
 * <p>{@code assertGradients} also checks the tangent rules ({@code GradCheck.checkForward}) of each
 * function and of its gradient function, which reaches the backward ops (conv2dBackwardInput,
 * conv2dBackwardWeight, maxPool2dBackward, avgPool2dBackward), and compares the batched tangents of
 * the Hessian with one Hessian-vector product per direction. Max pooling's gradient is checked
 * once more, so that the tangent rule of its own backward, maxPool2dGather, is reached too.
 */
class ConvolutionPropertiesTest {

    /** A random conv2d geometry whose dilated kernel fits the padded input. */
    record ConvCase(int n, int c, int h, int w, int o, int kh, int kw, int[] stride, int[] padding, int[] dilation, int groups,
                    boolean bias) {
        static ConvCase random(SplittableRandom rng) {
            int groups = rng.nextInt(4) == 0 ? 1 + rng.nextInt(3) : 1;
            int c = groups * (1 + rng.nextInt(groups == 1 ? 3 : 1));
            int o = groups * (1 + rng.nextInt(2));
            int kh = 1 + rng.nextInt(3);
            int kw = 1 + rng.nextInt(3);
            int[] stride = {1 + rng.nextInt(2), 1 + rng.nextInt(2)};
            int[] dilation = {1 + rng.nextInt(2), 1 + rng.nextInt(2)};
            // less padding than the kernel spans, so that no window lies wholly in the padding
            int[] padding = {rng.nextInt(Math.min(2, dilation[0] * (kh - 1) + 1)), rng.nextInt(Math.min(2, dilation[1] * (kw - 1) + 1))};
            int h = Math.max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]) + rng.nextInt(3);
            int w = Math.max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]) + rng.nextInt(3);
            return new ConvCase(1 + rng.nextInt(2), c, Math.min(h, 6), Math.min(w, 6), o, kh, kw, stride, padding, dilation, groups,
                    rng.nextBoolean());
        }
    }

    @Property(tries = 25)
    @Covers("conv2d(Tensor,Tensor,int[],int[],int[],int)")
    void conv2dGeneral(@ForAll("seeds") long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        ConvCase k = ConvCase.random(rng);
        Tensor x = Tensor.randn(rng, k.n(), k.c(), k.h(), k.w()).requiresGrad(true);
        Tensor w = Tensor.randn(rng, k.o(), k.c() / k.groups(), k.kh(), k.kw()).requiresGrad(true);
        Tensor b = Tensor.randn(rng, k.o()).requiresGrad(true);
        // dilated taps can step over a small input into the padding on both sides, leaving every
        // output a constant (the bias): then there is nothing to compare
        boolean mayMiss = (k.padding()[0] > 0 && k.dilation()[0] > 1) || (k.padding()[1] > 0 && k.dilation()[1] > 1);
        if (k.bias()) {
            assertGradients(in -> bend(in.get(0).tanh().conv2d(in.get(1), in.get(2), k.stride(), k.padding(), k.dilation(),
                    k.groups())), mayMiss, x, w, b);
        } else {
            assertGradients(in -> bend(in.get(0).tanh().conv2d(in.get(1), null, k.stride(), k.padding(), k.dilation(),
                    k.groups())), mayMiss, x, w);
        }
    }

    @Property(tries = 15)
    @Covers("conv2d(Tensor,Tensor,int,int)")
    void conv2dSquare(@ForAll("seeds") long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int kernel = 1 + rng.nextInt(3);
        int stride = 1 + rng.nextInt(2);
        int padding = rng.nextInt(Math.min(2, kernel));
        int side = Math.max(1, kernel - 2 * padding) + rng.nextInt(3);
        Tensor x = Tensor.randn(rng, 1 + rng.nextInt(2), 1 + rng.nextInt(2), side, side).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 1 + rng.nextInt(2), x.dim(1), kernel, kernel).requiresGrad(true);
        Tensor b = Tensor.randn(rng, w.dim(0)).requiresGrad(true);
        assertGradients(in -> bend(in.get(0).tanh().conv2d(in.get(1), in.get(2), stride, padding)), x, w, b);
    }

    @Property(tries = 15)
    @Covers("conv1d(Tensor,Tensor,int,int)")
    void conv1d(@ForAll("seeds") long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int kernel = 1 + rng.nextInt(3);
        int stride = 1 + rng.nextInt(2);
        int padding = rng.nextInt(Math.min(2, kernel));
        int length = Math.max(1, kernel - 2 * padding) + rng.nextInt(4);
        Tensor x = Tensor.randn(rng, 1 + rng.nextInt(2), 1 + rng.nextInt(3), length).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 1 + rng.nextInt(3), x.dim(1), kernel).requiresGrad(true);
        Tensor b = Tensor.randn(rng, w.dim(0)).requiresGrad(true);
        assertGradients(in -> bend(in.get(0).tanh().conv1d(in.get(1), in.get(2), stride, padding)), x, w, b);
        assertGradients(in -> bend(in.get(0).tanh().conv1d(in.get(1), null, stride, padding)), x, w);
    }

    @Property(tries = 25)
    @Covers("maxPool2d(int,int,int)")
    void maxPool2d(@ForAll("seeds") long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int kernel = 1 + rng.nextInt(3);
        int stride = 1 + rng.nextInt(3);
        int padding = rng.nextInt(kernel / 2 + 1);
        Tensor x = distinct(rng, 1 + rng.nextInt(2), 1 + rng.nextInt(3), side(rng, kernel, padding), side(rng, kernel, padding));
        assertGradients(in -> bend(in.get(0).maxPool2d(kernel, stride, padding)), x);
        // the backward of the gradient gathers (maxPool2dGather); the sin makes what it gathers depend
        // on x, so that its tangent rule is reached (third order)
        Tensor v = Tensor.randn(rng, x.dim(0), x.dim(1), (x.dim(2) + 2 * padding - kernel) / stride + 1,
                (x.dim(3) + 2 * padding - kernel) / stride + 1);
        Tensor w = Tensor.randn(rng, x.shape());
        assertTangents(in -> {
            try (Autograd.Scope on = Autograd.enableGrad()) {
                Tensor y = bend(in.get(0).maxPool2d(kernel, stride, padding));
                if (!y.requiresGrad()) {
                    return Tensor.scalar(0);
                }
                return Autograd.grad(y, v, List.of(in.get(0)), true).get(0).sin().mul(w).sum();
            }
        }, List.of(x));
    }

    @Property(tries = 25)
    @Covers("avgPool2d(int,int,int)")
    void avgPool2d(@ForAll("seeds") long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int kernel = 1 + rng.nextInt(3);
        int stride = 1 + rng.nextInt(3);
        int padding = rng.nextInt(kernel / 2 + 1);
        Tensor x = Tensor.randn(rng, 1 + rng.nextInt(2), 1 + rng.nextInt(3), side(rng, kernel, padding), side(rng, kernel, padding))
                .requiresGrad(true);
        assertGradients(in -> bend(in.get(0).avgPool2d(kernel, stride, padding)), x);
    }

    private static int side(SplittableRandom rng, int kernel, int padding) {
        return Math.max(1, kernel - 2 * padding) + rng.nextInt(4);
    }

    /**
     * A tensor whose values are a shuffle of -1.5 .. 1.5 in steps far larger than the checker's
     * finite-difference step: no ties, so no window's maximum moves under the check.
     */
    private static Tensor distinct(SplittableRandom rng, int... shape) {
        int size = 1;
        for (int d : shape) {
            size *= d;
        }
        double[] v = new double[size];
        for (int i = 0; i < size; i++) {
            v[i] = -1.5 + 3.0 * i / Math.max(1, size - 1);
        }
        for (int i = size - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.of(v, shape).requiresGrad(true);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }
}
