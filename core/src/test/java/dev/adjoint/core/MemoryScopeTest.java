package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link MemoryScope}: results go back when it closes and are refused afterwards, kept ones stay,
 * memory is reused, and a training loop inside scopes computes the same bits as one without. The
 * core suite recycles arrays of every length and fills reused ones with NaN
 * ({@code adjoint.recycle.test}), so a result read after its memory went back would show.
 */
class MemoryScopeTest {
    /** Large enough to be recycled outside the suite's test mode too. */
    private static final int KEPT = 40_000;

    @Test
    void gradientsThatAHookOrACustomOpKeepInsideAScopeStayReadableAfterItCloses() {
        SplittableRandom rng = new SplittableRandom(11);
        Tensor x = Tensor.randn(rng, KEPT).requiresGrad(true);
        Tensor w = Tensor.randn(rng, KEPT);
        java.util.ArrayList<Tensor> seen = new java.util.ArrayList<>();
        CustomOp keeper = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(1.0);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                seen.add(g); // the default retainsGradients(): true, so it may keep g
                return new Tensor[] {g};
            }
        };
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor h = x.tanh();
            h.registerHook(g -> {
                seen.add(g);
                return g;
            });
            keeper.apply(h).mul(w).sum().backward();
        }
        assertEquals(2, seen.size());
        for (Tensor g : seen) {
            assertArrayEquals(w.toArray(), g.toArray(), 0.0, "a gradient a hook or op kept was given back with the scope");
        }
    }


    private static Object buffer(Tensor t) {
        return t.value().buffer();
    }

    private static IllegalStateException refused(Runnable r) {
        IllegalStateException e = assertThrows(IllegalStateException.class, r::run);
        assertTrue(e.getMessage().contains("MemoryScope"), e.getMessage());
        return e;
    }

    @Test
    void aResultIsRefusedAfterItsScopeClosesAndPrintsAsReleased() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor y;
        try (MemoryScope scope = MemoryScope.open()) {
            y = x.mul(2);
            assertArrayEquals(new double[] {2, 4, 6, 8, 10, 12}, y.toArray());
        }
        IllegalStateException e = refused(y::toArray);
        assertTrue(e.getMessage().contains("toArray") && e.getMessage().contains("[2, 3]"), e.getMessage());
        refused(() -> y.get(0, 0));
        refused(() -> y.add(1));
        refused(() -> y.sum().item());
        refused(y::detach);
        refused(() -> y.copyTo(new double[6]));
        assertTrue(y.toString().contains("released"), y.toString());
        assertArrayEquals(new int[] {2, 3}, y.shape());
        // what was made outside is untouched
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, x.toArray());
    }

    @Test
    void theNextScopeReusesTheMemoryAndAKeptResultKeepsItsValues() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 4);
        Tensor kept;
        Tensor dropped;
        Object droppedBuffer;
        try (MemoryScope scope = MemoryScope.open()) {
            kept = scope.keep(x.mul(3));
            dropped = x.add(1);
            droppedBuffer = buffer(dropped);
        }
        Tensor reuser;
        try (MemoryScope scope = MemoryScope.open()) {
            reuser = scope.keep(x.mul(-1));
            Tensor more = x.sub(7);
            assertNotSame(buffer(kept), buffer(reuser));
            assertNotSame(buffer(kept), buffer(more));
        }
        assertSame(droppedBuffer, buffer(reuser), "the second scope's first result takes the memory the first gave back");
        assertArrayEquals(new double[] {3, 6, 9, 12}, kept.toArray());
        assertArrayEquals(new double[] {-1, -2, -3, -4}, reuser.toArray());
        refused(dropped::toArray);
    }

    @Test
    void viewsShareTheirResultsFate() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor view;
        Tensor keptView;
        try (MemoryScope scope = MemoryScope.open()) {
            view = x.exp().transpose();
            Tensor y = x.mul(2);
            keptView = y.reshape(3, 2);
            scope.keep(y);
        }
        refused(view::toArray);
        assertArrayEquals(new double[] {2, 4, 6, 8, 10, 12}, keptView.toArray());
    }

    @Test
    void leafGradientsOutliveTheScopeAndAreReusedByTheNextStep() {
        Tensor w = Tensor.of(new double[] {0.5, -1, 2}, 3).requiresGrad(true);
        Tensor x = Tensor.of(new double[] {1, 2, 3}, 3);
        for (int step = 0; step < 3; step++) {
            w.zeroGrad();
            try (MemoryScope scope = MemoryScope.open()) {
                w.mul(x).tanh().sum().backward();
            }
            double[] expected = new double[3];
            for (int i = 0; i < 3; i++) {
                double t = Math.tanh(w.get(i) * x.get(i));
                expected[i] = (1 - t * t) * x.get(i);
            }
            assertArrayEquals(expected, w.grad().toArray(), 1e-15);
        }
    }

    @Test
    void aBackwardPassThroughAClosedScopesGraphIsRefused() {
        Tensor w = Tensor.of(new double[] {0.5, -1, 2}, 3).requiresGrad(true);
        Tensor loss;
        try (MemoryScope scope = MemoryScope.open()) {
            loss = scope.keep(w.exp().mul(w).sum());
        }
        assertEquals(Math.exp(0.5) * 0.5 - Math.exp(-1) + Math.exp(2) * 2, loss.item(), 1e-12);
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("backward") && e.getMessage().contains("MemoryScope"), e.getMessage());
        assertEquals(null, w.grad());
    }

    @Test
    void aTrainingLoopInScopesComputesTheSameBitsAsOneWithout() {
        double[] plain = train(false);
        double[] scoped = train(true);
        assertArrayEquals(plain, scoped);
        for (double v : scoped) {
            assertTrue(Double.isFinite(v));
        }
    }

    /** Five SGD steps of a two-layer tanh network; the parameters afterwards, then the losses. */
    private static double[] train(boolean scoped) {
        SplittableRandom rng = new SplittableRandom(11);
        Tensor x = Tensor.randn(rng, 16, 8);
        Tensor target = Tensor.randn(rng, 16, 4);
        Tensor w1 = Tensor.randn(rng, 8, 12).mul(0.3).detach().requiresGrad(true);
        Tensor b1 = Tensor.zeros(12).requiresGrad(true);
        Tensor w2 = Tensor.randn(rng, 12, 4).mul(0.3).detach().requiresGrad(true);
        List<Tensor> params = List.of(w1, b1, w2);
        double[] losses = new double[5];
        for (int step = 0; step < 5; step++) {
            for (Tensor p : params) {
                p.zeroGrad();
            }
            Supplier<Double> body = () -> {
                Tensor loss = x.matmul(w1).add(b1).tanh().matmul(w2).sub(target).pow(2).mean();
                loss.backward();
                return loss.item();
            };
            if (scoped) {
                try (MemoryScope scope = MemoryScope.open()) {
                    losses[step] = body.get();
                }
            } else {
                losses[step] = body.get();
            }
            for (Tensor p : params) {
                double[] g = p.grad().toArray();
                p.modify(v -> {
                    for (int i = 0; i < v.length; i++) {
                        v[i] -= 0.1 * g[i];
                    }
                });
            }
        }
        double[] a = w1.toArray();
        double[] b = b1.toArray();
        double[] c = w2.toArray();
        double[] all = new double[a.length + b.length + c.length + losses.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        System.arraycopy(c, 0, all, a.length + b.length, c.length);
        System.arraycopy(losses, 0, all, a.length + b.length + c.length, losses.length);
        return all;
    }

    @Test
    void aResultKeptByAnInnerScopeBelongsToTheOuterOne() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2);
        Tensor inner;
        Tensor innerDropped;
        try (MemoryScope outer = MemoryScope.open()) {
            try (MemoryScope scope = MemoryScope.open()) {
                inner = scope.keep(x.mul(5));
                innerDropped = x.mul(6);
            }
            refused(innerDropped::toArray);
            assertArrayEquals(new double[] {5, 10}, inner.toArray());
            Tensor other = x.add(100);
            assertArrayEquals(new double[] {5, 10}, inner.toArray());
            assertArrayEquals(new double[] {101, 102}, other.toArray());
        }
        refused(inner::toArray);
    }

    @Test
    void closingAScopeClosesTheScopesLeftOpenInsideItAndSaysSo() throws Exception {
        Tensor x = Tensor.of(new double[] {1, 2}, 2);
        MemoryScope outer = MemoryScope.open();
        MemoryScope inner = MemoryScope.open();
        Tensor innerResult = x.mul(3);
        IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("still open"), e.getMessage());
        refused(innerResult::toArray);
        assertThrows(IllegalStateException.class, () -> inner.keep(x), "the inner scope is closed too");
        CompletableFuture<Throwable> other = CompletableFuture.supplyAsync(() -> {
            try {
                inner.close();
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        Throwable t = other.get();
        assertTrue(t instanceof IllegalStateException && t.getMessage().contains("thread"), String.valueOf(t));
        inner.close();
        outer.close();
        outer.close(); // again: nothing
    }

    @Test
    void aViewMadeOnAnotherThreadWhileTheScopeIsOpenIsRefusedAfterItCloses() throws Exception {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 4);
        Tensor view;
        Tensor detached;
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor y = x.mul(10);
            view = CompletableFuture.supplyAsync(() -> y.reshape(2, 2)).get();
            detached = CompletableFuture.supplyAsync(y::detach).get();
            assertArrayEquals(new double[] {10, 20, 30, 40}, view.toArray());
        }
        try (MemoryScope next = MemoryScope.open()) {
            x.mul(-3); // takes the memory back
        }
        refused(view::toArray);
        refused(detached::toArray);
    }

    @Test
    void aReleasedGradientIsRefusedAtTheLeaf() {
        Tensor a = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor stale;
        try (MemoryScope scope = MemoryScope.open()) {
            stale = a.detach().mul(2);
        }
        refused(() -> a.mul(3).backward(stale));
        refused(() -> a.backward(stale));
        assertEquals(null, a.grad());
    }

    @Test
    void keepRefusesNullAClosedScopeAndAReleasedTensor() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2);
        Tensor released;
        MemoryScope scope = MemoryScope.open();
        released = x.mul(2);
        assertThrows(IllegalArgumentException.class, () -> scope.keep(null));
        scope.close();
        assertThrows(IllegalStateException.class, () -> scope.keep(x));
        try (MemoryScope next = MemoryScope.open()) {
            refused(() -> next.keep(released));
            assertSame(x, next.keep(x), "a tensor from outside is returned as it is");
        }
        assertArrayEquals(new double[] {1, 2}, x.toArray());
    }

    @Test
    void anInPlaceUpdateOfAReleasedLeafIsRefused() {
        Tensor leaf;
        try (MemoryScope scope = MemoryScope.open()) {
            try (Autograd.Scope off = Autograd.noGrad()) {
                leaf = Tensor.of(new double[] {1, 2}, 2).mul(3);
            }
        }
        refused(() -> leaf.modify(v -> v[0] = 0));
    }

    @Test
    void aRecordedStepReplayedInsideAScopeLeavesUsableGradients() {
        SplittableRandom rng = new SplittableRandom(5);
        Tensor w = Tensor.randn(rng, 6, 3).requiresGrad(true);
        Tensor in = Tensor.randn(rng, 4, 6);
        RecordedStep step = RecordedStep.record(t -> t[0].matmul(w).tanh().sum(), in);
        w.zeroGrad();
        in.matmul(w).tanh().sum().backward();
        double[] eager = w.grad().toArray();
        double loss;
        try (MemoryScope scope = MemoryScope.open()) {
            w.zeroGrad();
            loss = step.replay(in).item();
        }
        assertArrayEquals(eager, w.grad().toArray());
        assertEquals(in.matmul(w).tanh().sum().item(), loss);
    }

    /** Chains of ops in scopes, each kept result read after later scopes reused the memory. */
    @Property(tries = 40)
    void keptResultsMatchTheSameOpsRunWithoutScopes(@ForAll @IntRange(min = 1, max = 40) int n,
            @ForAll @IntRange(min = 1, max = 6) int chain, @ForAll @IntRange(min = 0, max = 1000) int seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor x = Tensor.randn(rng, n);
        Tensor[] kept = new Tensor[chain];
        for (int i = 0; i < chain; i++) {
            try (MemoryScope scope = MemoryScope.open()) {
                Tensor y = x;
                for (int k = 0; k <= i; k++) {
                    y = y.mul(1.5).tanh().add(x);
                }
                kept[i] = scope.keep(y.exp());
                x.sub(3).abs(); // a dropped result
            }
        }
        for (int i = 0; i < chain; i++) {
            Tensor y = x;
            for (int k = 0; k <= i; k++) {
                y = y.mul(1.5).tanh().add(x);
            }
            assertArrayEquals(y.exp().toArray(), kept[i].toArray());
        }
    }
}
