package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.MemoryScope;
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
    void theArraysOfAReleasedScopeAreReusedAtTheirExactLength() {
        Buffers.Scope scope = Buffers.open();
        double[] a = Buffers.uninitialized(N);
        scope.stop();
        assertEquals(0, Buffers.pooled(), "stopped, not yet released: the owner may still read its arrays");
        assertNotSame(a, Buffers.uninitialized(N));
        scope.release();
        assertEquals(1, Buffers.pooled());
        assertNotSame(a, Buffers.uninitialized(N + 1), "another length is a new array");
        assertSame(a, Buffers.uninitialized(N));
        assertEquals(0, Buffers.pooled());
        assertNotSame(a, Buffers.uninitialized(N), "handed out once, not twice");
    }

    @Test
    void activationsOfAThousandImageBatchAreKeptAndLongerArraysAreNot() {
        // float32 [1000, 32, 26, 26]: the fashion-mnist CNN's first activation on an evaluation chunk
        int activation = 1000 * 32 * 26 * 26;
        assertTrue(activation <= Buffers.MAX_FLOATS, "a convolution's activations on a thousand images are kept");
        Buffers.Scope scope = Buffers.open();
        float[] a = Buffers.uninitializedFloats(activation);
        scope.release();
        assertSame(a, Buffers.uninitializedFloats(activation));
        a = null;

        scope = Buffers.open();
        double[] longest = Buffers.uninitialized(Buffers.MAX_LENGTH);
        scope.release();
        assertSame(longest, Buffers.uninitialized(Buffers.MAX_LENGTH), "the longest kept length");
        longest = null;

        scope = Buffers.open();
        Buffers.uninitialized(Buffers.MAX_LENGTH + 1);
        scope.release();
        assertEquals(0, Buffers.pooled(), "past the bound, arrays go to the garbage collector");
    }

    @Test
    void discardedNestedAndStoppedScopesGiveNothingBack() {
        Buffers.Scope discarded = Buffers.open();
        Buffers.uninitialized(N);
        discarded.discard();
        discarded.release();
        assertEquals(0, Buffers.pooled(), "a discarded scope stays discarded");

        Buffers.Scope outer = Buffers.open();
        assertNull(Buffers.open(), "scopes do not nest: the open one goes on remembering");
        Buffers.uninitialized(N);
        outer.stop();
        Buffers.uninitialized(N); // after stop: not the scope's
        outer.release();
        assertEquals(1, Buffers.pooled());

        Buffers.Scope twice = Buffers.open();
        Buffers.uninitialized(N + 2);
        twice.release();
        twice.release();
        assertEquals(2, Buffers.pooled(), "released once, however often asked");
        assertTrue(Buffers.open().isEmpty(), "a reused scope starts empty");
    }

    @Test
    void outsideAScopeNothingComesBack() {
        Buffers.uninitialized(N);
        Buffers.Scope next = Buffers.open();
        next.release();
        assertEquals(0, Buffers.pooled());
    }

    @Test
    void thePoolIsBounded() {
        Buffers.Scope scope = Buffers.open();
        for (int i = 0; i < 3 * Buffers.CAPACITY; i++) {
            Buffers.uninitialized(N + i);
        }
        scope.release();
        assertEquals(Buffers.CAPACITY, Buffers.pooled());
    }

    @Test
    void testModePoisonsReusedArrays() {
        assumeTrue(Buffers.TEST_MODE);
        Buffers.Scope scope = Buffers.open();
        double[] a = Buffers.uninitialized(N);
        java.util.Arrays.fill(a, 1.0);
        scope.release();
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

    /** One training step in a {@link MemoryScope}: {@code depth} tanh layers on x, the sum's backward pass. */
    private static void scopedTanhChainStep(Tensor x, int depth) {
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor h = x;
            for (int layer = 0; layer < depth; layer++) {
                h = h.tanh();
            }
            h.sum().backward();
        }
    }

    @Test
    void aMemoryScopesForwardArraysAndItsBackwardPassesArraysStayPooledForTheNextStep() {
        int depth = 2 * Buffers.CAPACITY;
        SplittableRandom rng = new SplittableRandom(9);
        Tensor x = Tensor.randn(rng, N).requiresGrad(true);
        double[] first = null;
        for (int step = 0; step < 3; step++) {
            x.zeroGrad();
            scopedTanhChainStep(x, depth);
            // the scope's tanh results, and the last CAPACITY gradients the backward pass gave back
            assertTrue(Buffers.pooled() >= depth + Buffers.CAPACITY, "pooled " + Buffers.pooled() + " arrays after a scope of "
                    + depth + " layers: the scope's arrays pushed the backward pass's out of the pool");
            double[] g = x.grad().toArray();
            if (first == null) {
                first = g;
            } else {
                assertArrayEquals(first, g, 0.0, "step " + step + ": recycled arrays changed the gradient");
            }
        }
    }

    @Test
    void aMemoryScopeAroundManyStepsDoesNotGrowThePoolsBound() {
        int depth = 2 * Buffers.CAPACITY;
        SplittableRandom rng = new SplittableRandom(13);
        try (MemoryScope outer = MemoryScope.open()) {
            Tensor x = Tensor.randn(rng, N).requiresGrad(true);
            for (int step = 0; step < 20; step++) {
                x.zeroGrad();
                scopedTanhChainStep(x, depth);
            }
        }
        // steps of other lengths, each leaving arrays no later step takes
        for (int step = 1; step <= 20; step++) {
            scopedTanhChainStep(Tensor.randn(rng, N + step).requiresGrad(true), depth);
            assertTrue(Buffers.pooled() <= depth + Buffers.CAPACITY, "pooled " + Buffers.pooled()
                    + " arrays: the bound grew with the steps an outer scope ran");
        }
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
    void aUsersOpThatPromisesToKeepNoGradientIsTreatedLikeABuiltIn() {
        CustomOp scaled = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(3.0);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor gradOutput) {
                return new Tensor[] {gradOutput.mul(3.0)};
            }

            @Override
            public boolean retainsGradients() {
                return false;
            }
        };
        SplittableRandom rng = new SplittableRandom(9);
        Tensor x = Tensor.randn(rng, 200, 200).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 200, 200);
        scaled.apply(x.tanh()).mul(w).sum().backward();
        assertTrue(Buffers.pooled() > 0, "the promise was not honoured: nothing recycled");
        double[] first = x.grad().toArray();
        x.zeroGrad();
        scaled.apply(x.tanh()).mul(w).sum().backward();
        assertArrayEquals(first, x.grad().toArray(), 0.0);
    }

    @Test
    void anOpThatKeepsItsGradientInsideANestedPassStopsTheOuterPassFromRecycling() {
        List<Tensor> seen = new ArrayList<>();
        CustomOp keeper = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(1.0);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor gradOutput) {
                Tensor kept = gradOutput.mul(1.0);
                seen.add(kept); // kept beyond the call: this op does not make the promise
                return new Tensor[] {kept};
            }
        };
        SplittableRandom rng = new SplittableRandom(10);
        Tensor inner = Tensor.randn(rng, 200, 200).requiresGrad(true);
        Tensor innerWeight = Tensor.randn(rng, 200, 200);
        CustomOp nesting = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(2.0);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor gradOutput) {
                try (Autograd.Scope recording = Autograd.enableGrad()) {
                    keeper.apply(inner.tanh()).mul(innerWeight).sum().backward();
                }
                return new Tensor[] {gradOutput.mul(2.0)};
            }

            @Override
            public boolean retainsGradients() {
                return false; // this op keeps nothing itself; the op in its nested pass does
            }
        };
        Tensor x = Tensor.randn(rng, 200, 200).requiresGrad(true);
        nesting.apply(x.tanh()).mul(innerWeight).sum().backward();
        assertEquals(0, Buffers.pooled(), "the outer pass recycled arrays that a nested pass's op may keep");
        double[] kept = seen.get(0).toArray();
        for (int step = 0; step < 3; step++) {
            loss(x, innerWeight).backward();
        }
        assertArrayEquals(kept, seen.get(0).toArray(), 0.0);
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

    @Test
    void floatArraysShareTheProtocolAndNeverComeBackAsDoubles() {
        int floats = Buffers.MIN_FLOATS + 8;
        Buffers.Scope scope = Buffers.open();
        float[] f = Buffers.uninitializedFloats(floats);
        double[] d = Buffers.uninitialized(floats);
        scope.release();
        assertEquals(2, Buffers.pooled());
        assertNotSame(f, Buffers.uninitializedFloats(floats + 1), "another length is a new array");
        assertSame(d, Buffers.uninitialized(floats), "a double array of that length is the double one");
        assertSame(f, Buffers.uninitializedFloats(floats));
        assertEquals(0, Buffers.pooled());
        assertNotSame(f, Buffers.uninitializedFloats(floats), "handed out once, not twice");
    }

    @Test
    void reusedFloatArraysArePoisonedWithNaNInTestMode() {
        assumeTrue(Buffers.TEST_MODE, "only the suite's test mode poisons");
        Buffers.Scope scope = Buffers.open();
        float[] f = Buffers.uninitializedFloats(Buffers.MIN_FLOATS);
        java.util.Arrays.fill(f, 1f);
        scope.release();
        float[] again = Buffers.uninitializedFloats(Buffers.MIN_FLOATS);
        assertSame(f, again);
        for (float v : again) {
            assertTrue(Float.isNaN(v), "a reused float array is poisoned");
        }
    }

    @Test
    void aFloat32BackwardPassRecyclesItsIntermediateGradients() {
        Tensor x = Tensor.randn(dev.adjoint.core.DType.FLOAT32, new SplittableRandom(3), 300, 300).requiresGrad(true);
        Tensor y = x.tanh().sigmoid().relu().sum();
        y.backward();
        float[] first = x.grad().toFloatArray();
        x.zeroGrad();
        x.tanh().sigmoid().relu().sum().backward();
        assertArrayEquals(first, x.grad().toFloatArray(), "recycled float buffers change no gradient bit");
        for (float v : first) {
            assertTrue(Float.isFinite(v), "no poisoned element reached the gradient");
        }
    }

    @Test
    void anArenaHandsOutItsArraysAgainInTheOrderTakenAndNothingElse() {
        Buffers.Arena arena = new Buffers.Arena();
        assertTrue(Buffers.enter(arena));
        assertFalse(Buffers.enter(new Buffers.Arena()), "one arena per thread at a time");
        assertNull(Buffers.open(), "no scope inside an arena: an array is never in both");
        double[] a = Buffers.uninitialized(N);
        float[] b = Buffers.uninitializedFloats(2 * N);
        double[] huge = Buffers.uninitialized(Buffers.MAX_LENGTH + 1);
        Buffers.leave(arena);
        assertNotSame(a, Buffers.uninitialized(N), "outside the arena, arrays come as before");
        assertEquals(0, Buffers.pooled());
        assertEquals(8L * N + 4L * 2 * N + 8L * (Buffers.MAX_LENGTH + 1), arena.bytes());

        assertTrue(Buffers.enter(arena));
        assertSame(a, Buffers.uninitialized(N));
        assertSame(b, Buffers.uninitializedFloats(2 * N));
        assertSame(huge, Buffers.uninitialized(Buffers.MAX_LENGTH + 1), "arenas keep arrays of any length");
        double[] extra = Buffers.uninitialized(N);
        assertNotSame(a, extra, "each place is handed out once a run");
        Buffers.leave(arena);

        assertTrue(Buffers.enter(arena));
        double[] other = Buffers.uninitialized(N + 1);
        assertNotSame(a, other, "another length at a place replaces its array");
        assertNotSame(b, Buffers.uninitializedFloats(N), "a float32 array is never a float64 one");
        Buffers.leave(arena);
        Buffers.leave(arena);
        assertTrue(Buffers.enter(arena));
        assertSame(other, Buffers.uninitialized(N + 1));
        Buffers.leave(arena);
    }
}
