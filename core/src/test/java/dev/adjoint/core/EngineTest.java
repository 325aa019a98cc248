package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class EngineTest {

    private static Tensor vec(double... v) {
        return Tensor.of(v, v.length).requiresGrad(true);
    }

    @Test
    void gradOfALeafWithRespectToItselfIsItsGradOutput() {
        // the output needs no sweep at all (it threw NullPointerException before)
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor y = Tensor.scalar(3).requiresGrad(true);
        List<Tensor> g = Autograd.grad(x, Tensor.of(new double[] {5, 7}, 2), List.of(x), false);
        assertArrayEquals(new double[] {5, 7}, g.get(0).toArray(), 0.0);
        assertEquals(1.0, Autograd.grad(y, List.of(y), false).get(0).item());
        assertNull(x.grad(), "grad() is left alone");
    }

    @Test
    void gradientsAccumulateAcrossBackwardPassesUntilZeroGrad() {
        Tensor x = vec(1, 2, 3);
        x.mul(x).sum().backward();
        assertArrayEquals(new double[] {2, 4, 6}, x.grad().toArray());
        x.mul(x).sum().backward();
        assertArrayEquals(new double[] {4, 8, 12}, x.grad().toArray());
        x.zeroGrad();
        assertArrayEquals(new double[] {0, 0, 0}, x.grad().toArray());
        x.mul(3.0).sum().backward();
        assertArrayEquals(new double[] {3, 3, 3}, x.grad().toArray());
    }

    @Test
    void zeroGradReusesTheBufferAndTheNextBackwardOverwritesIt() {
        Tensor x = vec(1, 2, 3);
        x.mul(x).sum().backward();
        Tensor g = x.grad();
        int version = g.version();
        // zeroGrad without reading: the next backward writes the new gradient into the same buffer
        x.zeroGrad();
        x.mul(5.0).sum().backward();
        assertSame(g, x.grad(), "the gradient buffer is reused across steps");
        assertArrayEquals(new double[] {5, 5, 5}, x.grad().toArray());
        assertTrue(g.version() > version, "overwriting bumps the version");
        // zeroed twice it reads as zeros; zeroed, then two backward passes: the second adds to the first
        x.zeroGrad();
        x.zeroGrad();
        assertArrayEquals(new double[] {0, 0, 0}, x.grad().toArray());
        x.zeroGrad();
        x.mul(x).sum().backward(Tensor.scalar(1.0));
        x.mul(2.0).sum().backward();
        assertArrayEquals(new double[] {4, 6, 8}, x.grad().toArray());
    }

    @Test
    void float32GradientsAccumulateInPlace() {
        // 37 elements: whole vectors and a tail; the second pass adds into the buffer the first left
        java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
        float[] x = new float[37];
        float[] w1 = new float[37];
        float[] w2 = new float[37];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
            w1[i] = (float) rng.nextGaussian();
            w2[i] = (float) rng.nextGaussian() * 1e-3f;
        }
        Tensor p = Tensor.of(x).requiresGrad(true);
        p.mul(Tensor.of(w1)).sum().backward();
        Tensor buffer = p.grad();
        p.mul(Tensor.of(w2)).sum().backward();
        assertSame(buffer, p.grad());
        float[] g = p.grad().toFloatArray();
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToIntBits(w1[i] + w2[i]), Float.floatToIntBits(g[i]), "element " + i);
        }
    }

    @Test
    void aValueUsedTwiceGetsBothContributions() {
        Tensor x = vec(2);
        Tensor y = x.exp();
        // z = y * y + y: dz/dx = (2y + 1) y
        Tensor z = y.mul(y).add(y).sum();
        z.backward();
        double e = Math.exp(2);
        assertEquals((2 * e + 1) * e, x.grad().item(), 1e-12);
    }

    @Test
    void onlyLeavesKeepGradients() {
        Tensor x = vec(1, 2);
        Tensor h = x.mul(2.0);
        h.sum().backward();
        assertNull(h.grad());
        assertTrue(h.requiresGrad());
        assertArrayEquals(new double[] {2, 2}, x.grad().toArray());
    }

    @Test
    void gradIsNullUntilBackwardReachesTheLeaf() {
        Tensor x = vec(1, 2);
        Tensor unused = vec(5);
        x.sum().backward();
        assertNull(unused.grad());
    }

    @Test
    void backwardOnNonScalarWithoutGradOutputFails() {
        Tensor x = vec(1, 2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.mul(2.0).backward());
        assertTrue(e.getMessage().contains("[2]"), e.getMessage());
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
    }

    @Test
    void backwardOnNonScalarWithGradOutputComputesVectorJacobianProduct() {
        Tensor x = vec(1, 2);
        x.mul(x).backward(Tensor.of(new double[] {10, 100}, 2));
        assertArrayEquals(new double[] {20, 400}, x.grad().toArray());
    }

    @Test
    void backwardOnOutputNotRequiringGradFails() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.sum().backward());
        assertTrue(e.getMessage().contains("does not require grad"), e.getMessage());
    }

    @Test
    void broadcastGradientsAreSummedBackToEachInputsShape() {
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {10, 20, 30}, 3).requiresGrad(true);
        Tensor c = Tensor.of(new double[] {7, 8}, 2, 1).requiresGrad(true);
        a.mul(b).add(c).sum().backward();
        assertArrayEquals(new double[] {5, 7, 9}, b.grad().toArray());
        assertArrayEquals(new int[] {3}, b.grad().shape());
        assertArrayEquals(new double[] {3, 3}, c.grad().toArray());
        assertArrayEquals(new int[] {2, 1}, c.grad().shape());
        assertArrayEquals(new double[] {10, 20, 30, 10, 20, 30}, a.grad().toArray());
    }

    @Test
    void secondDerivativeThroughCreateGraph() {
        Tensor x = vec(1.5);
        Tensor y = x.pow(3).sum();
        Tensor dy = Autograd.grad(y, List.of(x), true).get(0);
        assertEquals(3 * 1.5 * 1.5, dy.item(), 1e-12);
        Tensor d2y = Autograd.grad(dy.sum(), List.of(x), false).get(0);
        assertEquals(6 * 1.5, d2y.item(), 1e-12);
    }

    @Test
    void hessianVectorProduct() {
        // f(x) = sum(x_i^2 x_j) over i, j = (sum x^2)(sum x); H v computed by double backward
        Tensor x = vec(1, 2, 3);
        Tensor f = x.mul(x).sum().mul(x.sum());
        Tensor g = Autograd.grad(f, List.of(x), true).get(0);
        Tensor v = Tensor.of(new double[] {1, -1, 0.5}, 3);
        Tensor hv = Autograd.grad(g.mul(v).sum(), List.of(x), false).get(0);
        // H = 2 S I + 2 x 1^T + 2 1 x^T, S = sum x = 6
        double[] xs = {1, 2, 3};
        double[] vs = {1, -1, 0.5};
        double xv = 1 - 2 + 1.5;
        double sv = 0.5;
        double[] expected = new double[3];
        for (int i = 0; i < 3; i++) {
            expected[i] = 2 * 6 * vs[i] + 2 * xs[i] * sv + 2 * xv;
        }
        assertArrayEquals(expected, hv.toArray(), 1e-12);
    }

    @Test
    void gradWithoutCreateGraphIsNotRecordedAndDoesNotTouchGrad() {
        Tensor x = vec(2);
        Tensor g = Autograd.grad(x.mul(x).sum(), List.of(x), false).get(0);
        assertEquals(4, g.item(), 0);
        assertTrue(!g.requiresGrad());
        assertNull(x.grad());
    }

    @Test
    void gradOfUnusedInputIsZeros() {
        Tensor x = vec(2);
        Tensor unused = Tensor.zeros(2, 2).requiresGrad(true);
        List<Tensor> gs = Autograd.grad(x.mul(x).sum(), List.of(x, unused), false);
        assertArrayEquals(new double[4], gs.get(1).toArray());
    }

    @Test
    void gradWithRespectToAnIntermediateTensor() {
        Tensor x = vec(1, 2);
        Tensor h = x.mul(3.0);
        Tensor y = h.mul(h).sum();
        Tensor gh = Autograd.grad(y, List.of(h), false).get(0);
        assertArrayEquals(new double[] {6, 12}, gh.toArray());
    }

    @Test
    void longChainDoesNotOverflowTheStack() {
        Tensor x = vec(0.5);
        Tensor y = x;
        for (int i = 0; i < 200_000; i++) {
            y = y.mul(1.0);
        }
        y.sum().backward();
        assertEquals(1.0, x.grad().item(), 0);
    }

    @Test
    void modifyingASavedTensorMakesBackwardFail() {
        Tensor w = vec(1, 2);
        Tensor y = w.mul(w).sum();
        w.modify(d -> d[0] = 5);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("modified"), e.getMessage());
        assertTrue(e.getMessage().startsWith("mul"), e.getMessage());
    }

    @Test
    void modifyingAParameterSeenThroughATransposeViewIsCaught() {
        Tensor w = Tensor.ones(2, 2).requiresGrad(true);
        Tensor x = Tensor.ones(3, 2).requiresGrad(true);
        Tensor y = x.matmul(w.transpose()).sum();
        w.modify(d -> d[1] = 3);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("modified"), e.getMessage());
    }

    @Test
    void modifyBumpsVersionAndRefusesIntermediates() {
        Tensor w = vec(1, 2);
        int v = w.version();
        w.modify(d -> d[1] = 7);
        assertEquals(v + 1, w.version());
        assertEquals(7, w.get(1));
        Tensor h = w.mul(2.0);
        assertThrows(IllegalStateException.class, () -> h.modify(d -> d[0] = 1));
    }

    @Test
    void requiresGradOnANonLeafFails() {
        Tensor h = vec(1).exp();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> h.requiresGrad(false));
        assertTrue(e.getMessage().contains("exp"), e.getMessage());
    }

    @Test
    void noGradStopsRecording() {
        Tensor x = vec(1, 2);
        Tensor y;
        try (Autograd.Scope s = Autograd.noGrad()) {
            y = x.mul(x);
            assertTrue(!Autograd.isGradEnabled());
        }
        assertTrue(Autograd.isGradEnabled());
        assertTrue(!y.requiresGrad());
        assertTrue(y.isLeaf());
    }

    @Test
    void detachCutsTheGraph() {
        Tensor x = vec(3);
        Tensor y = x.mul(x).detach().mul(x).sum();
        y.backward();
        assertEquals(9, x.grad().item(), 0);
    }

    @Test
    void fusedActivationBackwardsHaveExactSecondAndThirdDerivatives() {
        double v = 0.3;
        Tensor x = vec(v);
        Tensor s1 = Autograd.grad(x.sigmoid().sum(), List.of(x), true).get(0);
        Tensor s2 = Autograd.grad(s1.sum(), List.of(x), true).get(0);
        Tensor s3 = Autograd.grad(s2.sum(), List.of(x), false).get(0);
        double s = 1 / (1 + Math.exp(-v));
        assertEquals(s * (1 - s), s1.item(), 1e-15);
        assertEquals(s * (1 - s) * (1 - 2 * s), s2.item(), 1e-15);
        assertEquals(s * (1 - s) * (1 - 6 * s + 6 * s * s), s3.item(), 1e-15);

        Tensor t1 = Autograd.grad(x.tanh().sum(), List.of(x), true).get(0);
        Tensor t2 = Autograd.grad(t1.sum(), List.of(x), true).get(0);
        Tensor t3 = Autograd.grad(t2.sum(), List.of(x), false).get(0);
        double t = Math.tanh(v);
        assertEquals(1 - t * t, t1.item(), 1e-15);
        assertEquals(-2 * t * (1 - t * t), t2.item(), 1e-15);
        assertEquals(-2 * (1 - t * t) * (1 - 3 * t * t), t3.item(), 1e-15);
    }

    @Test
    void scalarOverloadsMatchTensorOverloads() {
        Tensor x = vec(1.5, -2, 0.25);
        Tensor c = Tensor.scalar(0.7);
        assertArrayEquals(x.add(c).toArray(), x.add(0.7).toArray(), 0);
        assertArrayEquals(x.sub(c).toArray(), x.sub(0.7).toArray(), 0);
        assertArrayEquals(x.mul(c).toArray(), x.mul(0.7).toArray(), 0);
        assertArrayEquals(x.div(c).toArray(), x.div(0.7).toArray(), 0);
        x.div(0.7).mul(3.0).sub(1.0).add(2.0).sum().backward();
        assertArrayEquals(new double[] {3 / 0.7, 3 / 0.7, 3 / 0.7}, x.grad().toArray(), 1e-15);
    }

    @Test
    void aBackwardThatFailsHalfWayLeavesEveryGradientUntouched() {
        Tensor a = vec(1, 2);
        Tensor w = vec(3, 4);
        a.mul(2.0).sum().backward();
        double[] before = a.grad().toArray();
        // a's contribution through add is reached before the mul that saved w
        Tensor y = a.add(w.mul(w)).sum();
        w.modify(d -> d[0] = 9);
        assertThrows(IllegalStateException.class, y::backward);
        assertArrayEquals(before, a.grad().toArray());
        assertNull(w.grad());
    }

    @Test
    void aBackwardRetriedAfterAFailureCountsEachContributionOnce() {
        // a feeds both the op that fails and the add: the add delivers a's gradient before the
        // failure, and the retry must not find that gradient still pending on a's node
        boolean[] failNext = {true};
        CustomOp flaky = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(3.0);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                if (failNext[0]) {
                    failNext[0] = false;
                    throw new IllegalStateException("flaky: failing once");
                }
                return new Tensor[] {g.mul(3.0)};
            }
        };
        Tensor x = vec(1, 2);
        Tensor a = x.mul(2.0);
        Tensor y = flaky.apply(a).add(a).sum();
        assertThrows(IllegalStateException.class, y::backward);
        assertNull(x.grad());
        y.backward();
        // d/dx (3 (2x) + 2x) = 8
        assertArrayEquals(new double[] {8, 8}, x.grad().toArray());
    }
}
