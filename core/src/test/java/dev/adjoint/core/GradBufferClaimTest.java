package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A plain backward whose last node has only leaves for inputs writes a leaf's gradient straight
 * into the buffer {@code zeroGrad} left reading as zeros ({@code BackwardPass.backwardLast}): the
 * same bits as a fresh gradient, no copy, and none of the buffer's other readers disturbed. The
 * suite runs with {@code adjoint.recycle.test}, so every length takes part and a lent buffer
 * arrives filled with NaN.
 */
class GradBufferClaimTest {

    /** The last node (indexSelect, matmul with a constant, a product of two leaves, conv2d's weight), zeroed buffers, any dtype: a fresh gradient's bits. */
    @Property(tries = 60)
    void aGradientWrittenIntoTheZeroedBufferHasTheBitsOfAFreshOne(@ForAll @IntRange(min = 0, max = 3) int op,
            @ForAll @IntRange(min = 1, max = 9) int rows, @ForAll @IntRange(min = 1, max = 7) int cols,
            @ForAll boolean float32, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        DType d = float32 ? DType.FLOAT32 : DType.FLOAT64;
        Tensor p = (op == 3 ? Tensor.randn(d, rng, 1, 1, rows, cols) : Tensor.randn(d, rng, rows, cols)).requiresGrad(true);
        Tensor q = Tensor.randn(d, rng, rows, cols).requiresGrad(true);
        Tensor x = Tensor.randn(d, rng, 3, rows);
        Tensor image = Tensor.randn(d, rng, 2, 1, rows + 2, cols + 2);
        int[] picks = rng.ints(5, 0, rows).toArray();
        Function<Tensor, Tensor> last = switch (op) {
            case 0 -> t -> t.indexSelect(0, picks);
            case 1 -> x::matmul;
            case 2 -> t -> t.mul(q);
            default -> t -> image.conv2d(t, null, 1, 0);
        };
        Tensor shape = last.apply(p.detach());
        last.apply(p).mul(Tensor.randn(d, rng, shape.shape())).sum().backward(); // the first gradient: a buffer of the leaf's own
        Tensor buffer = p.grad();
        for (int step = 0; step < 3; step++) {
            // a new weighting after the last node each step, so that no buffer holds this step's answer already
            Tensor weights = Tensor.randn(d, rng, shape.shape());
            List<Tensor> expected = Autograd.grad(last.apply(p).mul(weights).sum(), List.of(p, q), false);
            p.zeroGrad();
            q.zeroGrad();
            last.apply(p).mul(weights).sum().backward();
            assertSame(buffer, p.grad(), "the buffer is kept");
            assertBits(expected.get(0), p.grad());
            if (op == 2) {
                assertBits(expected.get(1), q.grad());
            }
        }
    }

    /**
     * The built-in ops a model starts with (an embedding's lookup, a linear layer) are lent the
     * buffer: the claim shows as one more completed update of it (claim, then the accumulation)
     * than the copy into it that a pass without the claim makes.
     */
    @Test
    void aLookupAndALinearLayerAreLentTheirTablesBuffer() {
        SplittableRandom rng = new SplittableRandom(3);
        Tensor table = Tensor.randn(rng, 40, 8).requiresGrad(true);
        Tensor x = Tensor.randn(rng, 5, 8);
        Tensor bias = Tensor.randn(rng, 3).requiresGrad(true);
        Tensor weight = Tensor.randn(rng, 8, 3).requiresGrad(true);
        List<Runnable> passes = List.of(
                () -> table.indexSelect(0, 3, 7, 3).sum().backward(),
                () -> x.affine(weight, bias).sum().backward());
        List<Tensor> leaves = List.of(table, weight);
        for (int i = 0; i < passes.size(); i++) {
            Tensor leaf = leaves.get(i);
            String name = i == 0 ? "the table" : "the weight";
            passes.get(i).run();
            leaf.zeroGrad();
            leaf.grad(); // reads the zeros (one update): nothing left to claim
            int before = leaf.grad().version();
            passes.get(i).run(); // adds into the buffer
            int added = leaf.grad().version();
            assertEquals(1, added - before, name + ": an addition is one update");
            leaf.zeroGrad();
            passes.get(i).run();
            assertEquals(2, leaf.grad().version() - added, name + ": the claim and the accumulation");
        }
    }

    private static void assertBits(Tensor expected, Tensor actual) {
        assertEquals(expected.dtype(), actual.dtype());
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(Double.doubleToLongBits(e[i]), Double.doubleToLongBits(a[i]), () -> "element mismatch: "
                    + Arrays.toString(e) + " against " + Arrays.toString(a));
        }
    }

    /**
     * An op that doubles its input, shows the gradient its backward returned and runs code inside
     * its backward; it makes both promises that let a pass lend it a leaf's buffer.
     */
    private static final class Doubling implements CustomOp {
        final AtomicReference<Tensor> returned = new AtomicReference<>();
        final Runnable duringBackward;

        Doubling(Runnable duringBackward) {
            this.duringBackward = duringBackward;
        }

        @Override
        public String name() {
            return "doubling";
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return in[0].mul(2.0);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor r = g.mul(2.0);
            returned.set(r);
            duringBackward.run();
            return new Tensor[] {r};
        }

        @Override
        public boolean retainsGradients() {
            return false;
        }

        @Override
        public boolean readsOnlyItsArguments() {
            return true;
        }
    }

    @Test
    void theGradientTheOpComputedIsTheBufferNotACopyOfIt() {
        Tensor p = Tensor.of(new double[] {1, 2, 3, 4}).requiresGrad(true);
        Doubling op = new Doubling(() -> { });
        op.apply(p).sum().backward();
        Tensor buffer = p.grad();
        p.zeroGrad();
        op.apply(p).mul(3.0).sum().backward();
        assertSame(buffer, p.grad());
        assertSame(p.grad().array().buffer(), op.returned.get().array().buffer(), "the op wrote into the kept buffer");
        assertArrayEquals(new double[] {6, 6, 6, 6}, p.grad().toArray());
        // not zeroed: the next pass adds, in memory of its own
        op.apply(p).sum().backward();
        assertArrayEquals(new double[] {8, 8, 8, 8}, p.grad().toArray());
        assertSame(buffer, p.grad());
    }

    /**
     * Two leaves of one length: sub's backward passes its gradient on to the first (no array) and
     * computes the second's into the lent buffer of the first, which must be copied out before the
     * first's gradient is written there.
     */
    @Test
    void anotherLeafsGradientOnTheLentBufferIsCopiedOut() {
        Tensor a = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {4, 5, 6}).requiresGrad(true);
        Tensor w = Tensor.of(new double[] {3, 5, 7});
        a.sub(b).mul(w).sum().backward();
        a.zeroGrad();
        b.zeroGrad();
        a.sub(b).mul(w).sum().backward();
        assertArrayEquals(new double[] {3, 5, 7}, a.grad().toArray());
        assertArrayEquals(new double[] {-3, -5, -7}, b.grad().toArray());
    }

    /** An op that does not promise to read only its arguments (the default) is not lent a buffer it may have captured. */
    @Test
    void anOpWithoutThePromiseIsNotLentABufferItMayRead() {
        Tensor p = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        p.mul(2.0).sum().backward();
        Tensor old = p.grad(); // 2, 2, 2
        p.zeroGrad();
        CustomOp capturing = new CustomOp() {
            @Override
            public String name() {
                return "capturing";
            }

            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(1.0);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                Tensor r = g.mul(3.0); // the op's first array of the leaf's length
                return new Tensor[] {r.mul(old).div(3.0)};
            }

            @Override
            public boolean retainsGradients() {
                return false;
            }
        };
        capturing.apply(p).sum().backward();
        assertArrayEquals(new double[] {2, 2, 2}, p.grad().toArray());
    }

    /** A gradient already queued for another leaf that is a view of the buffer keeps its values. */
    @Test
    void aQueuedGradientOnTheBufferKeepsItsValues() {
        Tensor w = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        Tensor a = Tensor.of(new double[] {0, 0, 0}).requiresGrad(true);
        w.mul(2.0).sum().backward();
        Tensor old = w.grad(); // 2, 2, 2
        w.zeroGrad();
        // add's backward queues old itself for a, then w * 2 is the last node
        a.add(w.mul(2.0).mul(3.0)).backward(old);
        assertArrayEquals(new double[] {2, 2, 2}, a.grad().toArray());
        assertArrayEquals(new double[] {12, 12, 12}, w.grad().toArray());
    }

    /** The gradient reaching the last node is a view of the buffer (backward given the old gradient). */
    @Test
    void aGradientOutputOnTheBufferKeepsItsValues() {
        Tensor w = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        w.mul(2.0).sum().backward();
        Tensor old = w.grad(); // 2, 2, 2
        w.zeroGrad();
        w.mul(5.0).backward(old);
        assertArrayEquals(new double[] {10, 10, 10}, w.grad().toArray());
    }

    /** A gradient taken before zeroGrad and read by the backward pass keeps its values while the pass reads it. */
    @Test
    void aBackwardThatReadsTheOldGradientIsNotLentItsBuffer() {
        Tensor p = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        p.mul(p).sum().backward();
        Tensor old = p.grad();
        double[] values = old.toArray(); // 2, 4, 6
        p.zeroGrad();
        p.mul(old).sum().backward(); // d/dp sum(p * old) = old
        assertSame(old, p.grad());
        assertArrayEquals(values, p.grad().toArray());
    }

    /** grad() while a pass writes into the buffer: zeros of its own, and the pass's gradient still arrives. */
    @Test
    void gradReadDuringTheBackwardSeesZeros() {
        Tensor p = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        AtomicReference<double[]> seen = new AtomicReference<>();
        Doubling op = new Doubling(() -> { });
        op.apply(p).sum().backward();
        Doubling reading = new Doubling(() -> seen.set(p.grad().toArray()));
        p.zeroGrad();
        reading.apply(p).sum().backward();
        assertArrayEquals(new double[] {0, 0, 0}, seen.get());
        assertArrayEquals(new double[] {2, 2, 2}, p.grad().toArray());
    }

    /** A pass that fails after the op wrote into the lent buffer: the gradient still reads as zeros, and can be written again. */
    @Test
    void aFailedBackwardLeavesTheBufferReadingZeros() {
        Tensor p = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        new Doubling(() -> { }).apply(p).sum().backward();
        Tensor buffer = p.grad();
        p.zeroGrad();
        Doubling failing = new Doubling(() -> {
            throw new IllegalStateException("boom");
        });
        Tensor loss = failing.apply(p).sum();
        assertThrows(IllegalStateException.class, loss::backward);
        assertSame(buffer, p.grad());
        assertArrayEquals(new double[] {0, 0, 0}, p.grad().toArray());
        p.grad().modify(v -> v[0] = 7); // not left locked
        p.zeroGrad();
        new Doubling(() -> { }).apply(p).sum().backward();
        assertArrayEquals(new double[] {2, 2, 2}, p.grad().toArray());
    }

    /**
     * While one thread's pass holds the claimed buffer (its op waits inside its backward), another
     * thread reads {@code grad()} (or not) and runs a pass of its own into the same leaf: the
     * reader sees zeros, the second pass takes fresh memory, and both contributions arrive.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aSecondPassWhileTheBufferIsClaimedAddsToIt(boolean readFirst) throws Exception {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}).requiresGrad(true);
        x.mul(1.0).sum().backward();
        Tensor buffer = x.grad();
        x.zeroGrad();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        Doubling holding = new Doubling(() -> {
            inside.countDown();
            try {
                resume.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Tensor loss = holding.apply(x).sum();
        Thread first = new Thread(loss::backward);
        first.start();
        try {
            assertTrue(inside.await(30, TimeUnit.SECONDS), "the first pass reached the op's backward");
            if (readFirst) {
                assertArrayEquals(new double[] {0, 0, 0, 0}, x.grad().toArray());
            }
            x.mul(5.0).sum().backward();
        } finally {
            resume.countDown();
            first.join(30_000);
        }
        assertTrue(!first.isAlive(), "the first pass ended");
        assertArrayEquals(new double[] {7, 7, 7, 7}, x.grad().toArray());
        assertEquals(0, buffer.array().version() % 2, "the claim ended");
    }
}
