package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Recycling of a backward pass's intermediate gradient arrays: what is reused, what never is, and
 * that nothing a user can still reach changes. Lengths are above the recycling threshold so that
 * the tests mean the same with and without the suite's test mode ({@code adjoint.recycle.test}).
 */
class BuffersTest {
    private static final int N = 40_000;

    @BeforeEach
    void enabledAndEmpty() {
        assumeTrue(Buffers.ENABLED, "recycling is switched off with -Dadjoint.recycle=false");
        Buffers.reset();
    }

    @Test
    void theArraysOfAFinishedPassAreReusedAtTheirExactLength() {
        Object pass = Buffers.beginPass();
        double[] a = Buffers.uninitialized(N);
        Buffers.endPass(pass, true);
        assertEquals(0, Buffers.pooled(), "closed, not yet recycled: the caller may still read its arrays");
        assertNotSame(a, Buffers.uninitialized(N));
        Buffers.recycle(pass);
        assertEquals(1, Buffers.pooled());
        assertNotSame(a, Buffers.uninitialized(N + 1), "another length is a new array");
        assertSame(a, Buffers.uninitialized(N));
        assertEquals(0, Buffers.pooled());
        assertNotSame(a, Buffers.uninitialized(N), "handed out once, not twice");
    }

    @Test
    void failedTaintedAndNestedPassesRecycleNothing() {
        Object failed = Buffers.beginPass();
        Buffers.uninitialized(N);
        Buffers.endPass(failed, false);
        Buffers.recycle(failed);
        assertEquals(0, Buffers.pooled());

        // closed, then the caller failed before recycling: the engine's finally drops the arrays
        Object late = Buffers.beginPass();
        Buffers.uninitialized(N);
        Buffers.endPass(late, true);
        Buffers.endPass(late, false);
        Buffers.recycle(late);
        assertEquals(0, Buffers.pooled());

        Object tainted = Buffers.beginPass();
        Buffers.uninitialized(N);
        Buffers.taintPass();
        Buffers.uninitialized(N);
        Buffers.endPass(tainted, true);
        Buffers.recycle(tainted);
        assertEquals(0, Buffers.pooled());

        Object outer = Buffers.beginPass();
        Object inner = Buffers.beginPass();
        Buffers.uninitialized(N);
        Buffers.endPass(inner, true);
        Buffers.recycle(inner);
        Buffers.uninitialized(N);
        Buffers.endPass(outer, true);
        Buffers.recycle(outer);
        assertEquals(0, Buffers.pooled());

        // outside any pass nothing is logged, and a stray taint does not carry into the next pass
        Buffers.uninitialized(N);
        Buffers.taintPass();
        Object next = Buffers.beginPass();
        Buffers.uninitialized(N);
        Buffers.endPass(next, true);
        Buffers.recycle(next);
        assertEquals(1, Buffers.pooled());
    }

    @Test
    void thePoolIsBounded() {
        Object pass = Buffers.beginPass();
        for (int i = 0; i < 3 * Buffers.CAPACITY; i++) {
            Buffers.uninitialized(N + i);
        }
        Buffers.endPass(pass, true);
        Buffers.recycle(pass);
        assertEquals(Buffers.CAPACITY, Buffers.pooled());
    }

    @Test
    void testModePoisonsReusedArrays() {
        assumeTrue(Buffers.TEST_MODE);
        Object pass = Buffers.beginPass();
        double[] a = Buffers.uninitialized(N);
        java.util.Arrays.fill(a, 1.0);
        Buffers.endPass(pass, true);
        Buffers.recycle(pass);
        double[] b = Buffers.uninitialized(N);
        assertSame(a, b);
        assertTrue(Double.isNaN(b[0]) && Double.isNaN(b[N - 1]));
    }

    // ------------------------------------------------------------ through the engine

    /** Several large intermediates forward and backward; returns the loss. */
    private static Tensor loss(Tensor x, Tensor w) {
        return x.softmax(-1).mul(w).add(x.tanh().mul(x)).sum();
    }

    @Test
    void repeatedTrainingStepsGiveIdenticalGradientsAndKeepWhatTheUserHolds() {
        SplittableRandom rng = new SplittableRandom(5);
        Tensor x = Tensor.randn(rng, 200, 200).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 200, 200);
        List<double[]> grads = new ArrayList<>();
        Tensor keptForward = null;
        double[] keptValues = null;
        for (int step = 0; step < 4; step++) {
            x.zeroGrad();
            Tensor soft = x.softmax(-1);
            Tensor y = soft.mul(w).add(x.tanh().mul(x)).sum();
            y.backward();
            grads.add(x.grad().toArray());
            if (step == 0) {
                keptForward = soft;
                keptValues = soft.toArray();
            }
            assertTrue(Buffers.pooled() > 0, "the backward pass recycled nothing: the test would prove nothing");
        }
        // bit for bit: every kernel is deterministic, compiled or not (see MathKernelTest)
        for (int step = 1; step < grads.size(); step++) {
            assertArrayEquals(grads.get(0), grads.get(step), 0.0, "step " + step);
        }
        assertArrayEquals(keptValues, keptForward.toArray(), 0.0, "a forward result the user kept was overwritten");
    }

    @Test
    void aGradientGivenToAUsersOpIsNeverRecycled() {
        List<Tensor> seen = new ArrayList<>();
        CustomOp spy = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(1.0);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor gradOutput) {
                seen.add(gradOutput); // a user's op may keep what it is given
                return new Tensor[] {gradOutput};
            }
        };
        SplittableRandom rng = new SplittableRandom(6);
        Tensor x = Tensor.randn(rng, 200, 200).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 200, 200);
        spy.apply(x.tanh()).mul(w).sum().backward();
        double[] first = seen.get(0).toArray();
        for (int step = 0; step < 3; step++) {
            loss(x, w).backward();
        }
        assertArrayEquals(first, seen.get(0).toArray(), 0.0);
    }

    @Test
    void gradientsReturnedByAutogradGradAndTheUsersGradOutputKeepTheirValues() {
        SplittableRandom rng = new SplittableRandom(7);
        Tensor x = Tensor.randn(rng, 200, 200).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 200, 200);
        Tensor returned = Autograd.grad(loss(x, w), List.of(x), false).get(0);
        double[] returnedValues = returned.toArray();
        Tensor gradOutput = Tensor.randn(rng, 200, 200);
        double[] gradOutputValues = gradOutput.toArray();
        x.tanh().mul(w).backward(gradOutput);
        for (int step = 0; step < 3; step++) {
            x.zeroGrad();
            loss(x, w).backward();
        }
        assertArrayEquals(returnedValues, returned.toArray(), 0.0);
        assertArrayEquals(gradOutputValues, gradOutput.toArray(), 0.0);
    }

    @Test
    void aBackwardThatFailsRecyclesNothingAndClosesItsPass() {
        SplittableRandom rng = new SplittableRandom(8);
        Tensor x = Tensor.rand(rng, 200, 200).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 200, 200);
        // sqrt's derivative at 0 is infinite: anomaly mode stops the sweep there, after tanh's and
        // mul's backward have allocated their gradients
        Tensor atZero = x.mul(0.0);
        try (Autograd.Scope ignored = Autograd.detectAnomaly()) {
            Tensor y = atZero.sqrt().tanh().mul(w).sum();
            assertThrows(ArithmeticException.class, y::backward);
        }
        assertEquals(0, Buffers.pooled());
        loss(x, w).backward();
        assertTrue(Buffers.pooled() > 0, "the failed pass was left open, so the next one counted as nested");
    }
}
