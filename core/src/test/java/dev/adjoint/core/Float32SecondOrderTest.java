package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Gradients of gradients in float32: a gradient penalty through createGraph, and the functional
 * transforms (hessian, hvp, jacobian, jvp, vjp), on functions that pass through matmul, conv2d,
 * max pooling, softmax, the fused sum of squared differences and the reductions. Each result must
 * be float32 and agree with the same computation on the float64 copy of the inputs to 1e-5 of its
 * largest element (the float64 run is the exact answer at float32's resolution; the PyTorch
 * corpus checks Hessian-vector products elementwise, PyTorchFloat32AgreementTest).
 */
class Float32SecondOrderTest {

    private static final double TOLERANCE = 1e-5;

    /** A smooth function of x [2, 1, 5, 5] that reaches conv2d, maxPool2d, matmul, softmax and a fused loss. */
    private static Tensor network(Tensor x, Tensor kernel, Tensor weight, Tensor target) {
        Tensor h = x.conv2d(kernel, null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1).tanh();
        Tensor p = h.maxPool2d(2, 2, 0).flatten(1);
        Tensor y = p.matmul(weight).softmax(1);
        return y.sumSquaredDifference(target).add(p.var(1, false).sum()).add(y.logSumExp());
    }

    private record Net(Tensor kernel, Tensor weight, Tensor target) {
        Net to(DType dtype) {
            return new Net(kernel.to(dtype), weight.to(dtype), target.to(dtype));
        }

        Tensor apply(Tensor x) {
            return network(x, kernel, weight, target);
        }
    }

    private static Net net() {
        SplittableRandom rng = new SplittableRandom(7);
        return new Net(Tensor.randn(DType.FLOAT32, rng, 3, 1, 3, 3), Tensor.randn(DType.FLOAT32, rng, 12, 4),
                Tensor.rand(DType.FLOAT32, rng, 2, 4));
    }

    private static Tensor input() {
        return Tensor.randn(DType.FLOAT32, new SplittableRandom(8), 2, 1, 5, 5);
    }

    private static void assertAgrees(String what, Tensor float32, Tensor float64) {
        assertEquals(DType.FLOAT32, float32.dtype(), what + " dtype");
        assertEquals(DType.FLOAT64, float64.dtype(), what + " reference dtype");
        double[] a = float32.toArray();
        double[] b = float64.toArray();
        assertEquals(b.length, a.length, what + " size");
        double scale = 0;
        for (double v : b) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(scale > 0, what + " is all zeros: the check would be vacuous");
        for (int i = 0; i < a.length; i++) {
            assertTrue(Math.abs(a[i] - b[i]) <= TOLERANCE * scale,
                    what + "[" + i + "]: float32 " + a[i] + ", float64 " + b[i] + " (scale " + scale + ")");
        }
    }

    @Test
    void aGradientPenaltyThroughConvolutionPoolingAndSoftmaxIsFloat32AndAgreesWithFloat64() {
        Net n32 = net();
        Net n64 = n32.to(DType.FLOAT64);
        Tensor x32 = input().requiresGrad(true);
        Tensor x64 = x32.detach().to(DType.FLOAT64).requiresGrad(true);
        Tensor g32 = Autograd.grad(n32.apply(x32), List.of(x32), true).get(0);
        Tensor g64 = Autograd.grad(n64.apply(x64), List.of(x64), true).get(0);
        assertAgrees("gradient", g32, g64);
        Tensor penalty32 = g32.mul(g32).sum();
        Tensor penalty64 = g64.mul(g64).sum();
        assertEquals(DType.FLOAT32, penalty32.dtype());
        assertAgrees("gradient of the penalty", Autograd.grad(penalty32, List.of(x32), false).get(0),
                Autograd.grad(penalty64, List.of(x64), false).get(0));
    }

    @Test
    void hessianHvpJacobianJvpAndVjpAreFloat32AndAgreeWithFloat64() {
        Net n32 = net();
        Net n64 = n32.to(DType.FLOAT64);
        Tensor x32 = input();
        Tensor x64 = x32.to(DType.FLOAT64);
        Tensor v32 = Tensor.randn(DType.FLOAT32, new SplittableRandom(9), x32.shape());
        Tensor v64 = v32.to(DType.FLOAT64);
        Function<Tensor, Tensor> f32 = n32::apply;
        Function<Tensor, Tensor> f64 = n64::apply;
        assertAgrees("hessian", Autograd.hessian(f32, x32), Autograd.hessian(f64, x64));
        assertAgrees("hvp", Autograd.hvp(f32, x32, v32), Autograd.hvp(f64, x64, v64));
        assertAgrees("jacobian", Autograd.jacobian(x -> x.flatten(1).softmax(1).sum(0, false), x32),
                Autograd.jacobian(x -> x.flatten(1).softmax(1).sum(0, false), x64));
        Autograd.Jvp j32 = Autograd.jvp(f32, x32, v32);
        Autograd.Jvp j64 = Autograd.jvp(f64, x64, v64);
        assertAgrees("jvp value", j32.value(), j64.value());
        assertAgrees("jvp tangent", j32.tangent(), j64.tangent());
        Tensor c32 = Tensor.randn(DType.FLOAT32, new SplittableRandom(10), 2, 25);
        Autograd.Vjp p32 = Autograd.vjp(x -> x.flatten(1).gelu().cumsum(1), x32, c32);
        Autograd.Vjp p64 = Autograd.vjp(x -> x.flatten(1).gelu().cumsum(1), x64, c32.to(DType.FLOAT64));
        assertAgrees("vjp gradient", p32.gradient(), p64.gradient());
    }
}
