package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A recorded step replays as the eager step would run: after changing the parameters and the
 * inputs, the replay's loss and gradients have the bits of {@code loss(inputs).backward()}.
 */
class RecordedStepTest {
    private final SplittableRandom rng = new SplittableRandom(5);

    /** Sets a parameter to new random values, as an optimizer step would. */
    private void perturb(Tensor p) {
        p.modify(v -> {
            for (int i = 0; i < v.length; i++) {
                v[i] = rng.nextDouble(-2, 2);
            }
        });
    }

    /**
     * Replays {@code loss} on {@code later} inputs after the parameters moved, and requires the
     * eager step's loss and gradients, bit for bit.
     */
    private void assertReplayIsEager(Function<Tensor[], Tensor> loss, List<Tensor> params, Tensor[] example, Tensor[] later) {
        RecordedStep step = RecordedStep.record(loss, example);
        for (Tensor p : params) {
            assertNull(p.grad(), "recording leaves gradients alone");
            perturb(p);
        }
        Tensor replayed = step.replay(later);
        List<double[]> replayedGrads = new ArrayList<>();
        for (Tensor p : params) {
            replayedGrads.add(p.grad() == null ? null : p.grad().toArray());
            p.zeroGrad();
        }
        Tensor eager = loss.apply(later);
        eager.backward();
        assertEquals(Double.doubleToLongBits(eager.item()), Double.doubleToLongBits(replayed.item()), "loss");
        assertTrue(!replayed.requiresGrad(), "the replay's loss is outside any graph");
        for (int i = 0; i < params.size(); i++) {
            assertArrayEquals(params.get(i).grad().toArray(), replayedGrads.get(i), "gradient of parameter " + i);
        }
    }

    @Test
    void sharedIntermediatesBroadcastingAndReductionsReplayAsEager() {
        Tensor w = Tensor.randn(rng, 3, 4).requiresGrad(true);
        Tensor b = Tensor.randn(rng, 4).requiresGrad(true);
        Function<Tensor[], Tensor> loss = in -> {
            Tensor h = in[0].matmul(w).add(b).tanh();
            Tensor shared = h.mul(h).add(h.exp()); // h used three times
            return shared.logSumExp(1, false).sum().add(h.abs().mean()).add(h.max(0, false).sum());
        };
        assertReplayIsEager(loss, List.of(w, b), new Tensor[] {Tensor.randn(rng, 5, 3)}, new Tensor[] {Tensor.randn(rng, 5, 3)});
    }

    @Test
    void comparisonsArgmaxAndDetachAreRecordedAsOps() {
        Tensor w = Tensor.randn(rng, 6).requiresGrad(true);
        Function<Tensor[], Tensor> loss = in -> {
            Tensor y = w.mul(in[0]);
            Tensor positive = y.gt(0.0);                      // a mask of this step's values
            Tensor larger = y.ge(in[0]);
            Tensor where = y.argmax(0, false);                // a position of this step's values
            // w.detach() of a parameter reads the parameter as it is at each replay
            return y.mul(positive).sum().add(y.mul(larger).sum()).add(y.mul(y.detach()).sum()).add(where.mul(0.5).sum())
                    .add(y.mul(w.detach()).sum());
        };
        assertReplayIsEager(loss, List.of(w), new Tensor[] {Tensor.randn(rng, 6)}, new Tensor[] {Tensor.randn(rng, 6)});
    }

    /** Returns its input itself: applied under noGrad it records nothing, and its result is a value the step has. */
    static final class Identity implements CustomOp {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return in[0];
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g};
        }
    }

    @Test
    void anOpThatReturnsItsInputUnrecordedLeavesThatValueInPlace() {
        Tensor w = Tensor.randn(rng, 3).requiresGrad(true);
        CustomOp identity = new Identity();
        Function<Tensor[], Tensor> loss = in -> {
            Tensor h = in[0].mul(w);
            Tensor same;
            try (Autograd.Scope off = Autograd.noGrad()) {
                same = identity.apply(h);
            }
            return same.exp().sum();
        };
        assertReplayIsEager(loss, List.of(w), new Tensor[] {Tensor.randn(rng, 3)}, new Tensor[] {Tensor.randn(rng, 3)});
    }

    @Test
    void customOpsReplayTheirForwardAndBackward() {
        Tensor w = Tensor.randn(rng, 2, 3).requiresGrad(true);
        CustomOp times = new CustomOpTest.Times();
        CustomOp softsign = new CustomOpTest.Softsign();
        Function<Tensor[], Tensor> loss = in -> softsign.apply(times.apply(w, in[0])).sum();
        assertReplayIsEager(loss, List.of(w), new Tensor[] {Tensor.randn(rng, 2, 3)}, new Tensor[] {Tensor.randn(rng, 2, 3)});
    }

    /** A custom op whose backward differentiates a graph of its own: (x^3)' by Autograd.grad. */
    static final class CubeByGrad implements CustomOp {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0]);
            return in[0].mul(in[0]).mul(in[0]);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            try (Autograd.Scope on = Autograd.enableGrad()) {
                Tensor x = ctx.saved(0).detach().requiresGrad(true);
                Tensor dx = Autograd.grad(x.mul(x).mul(x).sum(), List.of(x), false).get(0);
                return new Tensor[] {g.mul(dx)};
            }
        }
    }

    @Test
    void aBackwardThatRunsAutogradGradWorksInAReplay() {
        Tensor w = Tensor.randn(rng, 4).requiresGrad(true);
        CustomOp cube = new CubeByGrad();
        Function<Tensor[], Tensor> loss = in -> cube.apply(w.add(in[0])).sum();
        assertReplayIsEager(loss, List.of(w), new Tensor[] {Tensor.randn(rng, 4)}, new Tensor[] {Tensor.randn(rng, 4)});
    }

    @Test
    void anInputThatRequiresGradReceivesItsGradient() {
        Tensor w = Tensor.randn(rng, 3).requiresGrad(true);
        RecordedStep step = RecordedStep.record(in -> in[0].mul(w).sin().sum(), Tensor.randn(rng, 3).requiresGrad(true));
        Tensor x = Tensor.randn(rng, 3).requiresGrad(true);
        step.replay(x);
        Tensor x2 = Tensor.of(x.toArray(), 3).requiresGrad(true);
        Tensor w2 = Tensor.of(w.toArray(), 3).requiresGrad(true);
        x2.mul(w2).sin().sum().backward();
        assertArrayEquals(x2.grad().toArray(), x.grad().toArray());
        assertArrayEquals(w2.grad().toArray(), w.grad().toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> step.replay(Tensor.randn(rng, 3)));
        assertTrue(e.getMessage().contains("requiring grad"), e.getMessage());
    }

    @Test
    void float32StepsReplayAsEager() {
        Tensor w = Tensor.randn(DType.FLOAT32, rng, 4, 3).requiresGrad(true);
        Function<Tensor[], Tensor> loss = in -> in[0].matmul(w).sigmoid().logSoftmax(1).sum();
        assertReplayIsEager(loss, List.of(w), new Tensor[] {Tensor.randn(DType.FLOAT32, rng, 2, 4)},
                new Tensor[] {Tensor.randn(DType.FLOAT32, rng, 2, 4)});
    }

    /**
     * A replay recycles the arrays of its values for the next one (the suite pools even tiny
     * arrays and poisons them with NaN when reused): what it returns must not be among them.
     */
    @Test
    void aLossKeepsItsValueThroughLaterReplays() {
        Tensor w = Tensor.randn(rng, 3, 3).requiresGrad(true);
        // exp of the sum: the loss itself comes from a kernel that takes pooled arrays
        RecordedStep step = RecordedStep.record(in -> in[0].matmul(w).sum().exp(), Tensor.randn(rng, 2, 3));
        Tensor x1 = Tensor.randn(rng, 2, 3);
        Tensor first = step.replay(x1);
        for (int i = 0; i < 20; i++) {
            step.replay(Tensor.randn(rng, 2, 3));
        }
        assertEquals(x1.matmul(w.detach()).sum().exp().item(), first.item());
    }

    @Test
    void threadsReplayingAtOnceSumTheirGradients() throws Exception {
        Tensor w = Tensor.randn(rng, 16, 8).requiresGrad(true);
        RecordedStep step = RecordedStep.record(in -> in[0].matmul(w).tanh().sum(), Tensor.randn(rng, 4, 16));
        List<Tensor> inputs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            inputs.add(Tensor.randn(rng, 4, 16));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Tensor>> losses = new ArrayList<>();
            for (Tensor x : inputs) {
                losses.add(pool.submit(() -> step.replay(x)));
            }
            for (int i = 0; i < inputs.size(); i++) {
                Tensor eager = inputs.get(i).matmul(w.detach()).tanh().sum();
                assertEquals(eager.item(), losses.get(i).get().item());
            }
        } finally {
            pool.shutdown();
        }
        double[] together = w.grad().toArray();
        w.zeroGrad();
        for (Tensor x : inputs) {
            x.matmul(w).tanh().sum().backward();
        }
        double[] oneByOne = w.grad().toArray();
        for (int i = 0; i < oneByOne.length; i++) {
            // the same eight gradients, summed in some order
            assertEquals(oneByOne[i], together[i], 1e-12 * (1 + Math.abs(oneByOne[i])));
        }
    }

    // ---------------------------------------------------------------- refusals

    private static IllegalStateException refusedRecording(Function<Tensor[], Tensor> loss, Tensor... inputs) {
        return assertThrows(IllegalStateException.class, () -> RecordedStep.record(loss, inputs));
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "expected \"" + p + "\" in: " + e.getMessage());
        }
    }

    @Test
    void readingAComputedValueWhileRecordingIsRefused() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        assertMentions(refusedRecording(in -> in[0].mul(w).sum().mul(in[0].mul(w).sum().item()), Tensor.ones(3)),
                "RecordedStep.record", "item()", "float64[]");
        assertMentions(refusedRecording(in -> in[0].mul(Tensor.of(w.toArray(), 3)).sum(), Tensor.ones(3)), "toArray()", "requiring grad");
        assertMentions(refusedRecording(in -> in[0].add(1.0).mul(w).sum().add(in[0].add(1.0).get(0)), Tensor.ones(3)), "get");
        assertMentions(refusedRecording(in -> in[0].mul(w).sum().add(w.grad() == null ? 0 : 1), Tensor.ones(3)), "grad()");
        float[] into = new float[3];
        assertMentions(refusedRecording(in -> {
            Tensor h = in[0].mul(w);
            h.copyTo(into);
            return h.sum();
        }, Tensor.ones(3)), "copyTo");
        // a constant made outside the function may be read; a replay refuses once it has changed
        Tensor constant = Tensor.of(new double[] {1, 2, 3}, 3);
        RecordedStep step = RecordedStep.record(in -> in[0].mul(w).mul(constant.get(1)).sum(), Tensor.ones(3));
        assertEquals(6.0, step.replay(Tensor.ones(3)).item());
        constant.modify(v -> v[1] = 5);
        assertMentions(assertThrows(IllegalStateException.class, () -> step.replay(Tensor.ones(3))), "read float64[3]", "changed since");
    }

    @Test
    void changesBackwardPassesAndHooksWhileRecordingAreRefused() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        Tensor buffer = Tensor.zeros(3);
        assertMentions(refusedRecording(in -> {
            buffer.modify(v -> v[0] = 1);
            return in[0].mul(w).sum();
        }, Tensor.ones(3)), "modify", "BatchNorm");
        assertMentions(refusedRecording(in -> {
            Tensor l = in[0].mul(w).sum();
            l.backward();
            return l;
        }, Tensor.ones(3)), "backward()", "each replay runs the backward pass");
        assertMentions(refusedRecording(in -> {
            Tensor h = in[0].mul(w);
            h.retainGrad();
            return h.sum();
        }, Tensor.ones(3)), "retainGrad()");
        assertMentions(refusedRecording(in -> {
            w.zeroGrad();
            return in[0].mul(w).sum();
        }, Tensor.ones(3)), "zeroGrad()");
        assertMentions(refusedRecording(in -> RecordedStep.record(x -> x[0].mul(w).sum(), in[0]).replay(in[0]), Tensor.ones(3)),
                "already recording");
        RecordedStep other = RecordedStep.record(x -> x[0].mul(w).sum(), Tensor.ones(3));
        assertMentions(refusedRecording(in -> other.replay(in[0]), Tensor.ones(3)), "cannot replay a step inside");
        assertMentions(refusedRecording(in -> {
            Tensor l = in[0].mul(w).sum();
            return l.add(Autograd.grad(l, List.of(w), false).get(0).sum());
        }, Tensor.ones(3)), "Autograd.grad");
        assertMentions(refusedRecording(in -> {
            Tensor h = in[0].mul(w);
            h.registerHook(g -> g);
            return h.sum();
        }, Tensor.ones(3)), "registerHook");
        Tensor leaf = Tensor.ones(3);
        assertMentions(refusedRecording(in -> {
            leaf.requiresGrad(true);
            return in[0].mul(w).sum();
        }, Tensor.ones(3)), "requiresGrad(boolean)");
        assertMentions(refusedRecording(in -> {
            leaf.setDtype(DType.FLOAT32);
            return in[0].mul(w).sum();
        }, Tensor.ones(3)), "setDtype");
    }

    @Test
    void freshRandomConstantsAreRefusedAndFreshEqualOnesKept() {
        Tensor w = Tensor.ones(4).requiresGrad(true);
        SplittableRandom drawn = new SplittableRandom(1);
        assertMentions(refusedRecording(in -> in[0].mul(w).mul(Tensor.randn(drawn, 4)).sum(), Tensor.ones(4)),
                "made afresh", "different values", "input 1 of mul");
        // numbers drawn in Java into an op (a random scale, a random crop) are refused too
        assertMentions(refusedRecording(in -> in[0].mul(w).mul(drawn.nextDouble()).sum(), Tensor.ones(4)),
                "mul (op 1) computed different values from the same inputs");
        int[] calls = {0};
        assertMentions(refusedRecording(in -> in[0].mul(w).add(Tensor.of(new double[] {1, 2, 3, 4}, 4)).narrow(0, calls[0]++ % 2, 2).sum(),
                Tensor.ones(4)), "narrow (op 2) computed different values from the same inputs");
        RecordedStep step = RecordedStep.record(in -> in[0].mul(w).mul(Tensor.of(new double[] {1, 2, 3, 4}, 4)).sum(), Tensor.ones(4));
        assertEquals(10.0, step.replay(Tensor.ones(4)).item());
        assertEquals(20.0, step.replay(Tensor.full(2.0, 4)).item());
    }

    @Test
    void lossesThatCannotBeReplayedAreRefused() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        assertMentions(refusedRecording(in -> in[0].mul(w), Tensor.ones(3)), "one element", "[3]");
        assertMentions(refusedRecording(in -> in[0].sum(), Tensor.ones(3)), "require grad");
        assertMentions(refusedRecording(in -> w, Tensor.ones(3)), "not the result of an op");
        Tensor outside = w.mul(2.0);
        assertMentions(refusedRecording(in -> in[0].mul(outside).sum(), Tensor.ones(3)), "outside the loss function", "mul");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> RecordedStep.record(in -> in[0].sum(), outside)), "detach()");
        w.registerHook(g -> g);
        assertMentions(refusedRecording(in -> in[0].mul(w).sum(), Tensor.ones(3)), "hooks");
    }

    @Test
    void aStepRecordedUnderNoGradReplaysItsForwardOnly() {
        Tensor w = Tensor.randn(rng, 4, 3).requiresGrad(true);
        Tensor b = Tensor.randn(rng, 3).requiresGrad(true);
        RecordedStep step;
        try (Autograd.Scope off = Autograd.noGrad()) {
            step = RecordedStep.record(in -> in[0].matmul(w).add(b).relu().softmax(-1), Tensor.randn(rng, 5, 4));
        }
        Tensor x1 = Tensor.randn(rng, 5, 4);
        Tensor first = step.replay(x1);
        for (int i = 0; i < 5; i++) {
            step.replay(Tensor.randn(rng, 5, 4));
        }
        Tensor eager;
        try (Autograd.Scope off = Autograd.noGrad()) {
            eager = x1.matmul(w).add(b).relu().softmax(-1);
        }
        assertArrayEquals(eager.toArray(), first.toArray(), "the result of an earlier replay keeps its values");
        assertArrayEquals(new int[] {5, 3}, first.shape());
        assertNull(w.grad(), "no backward pass");
        assertNull(b.grad());
        // with grad mode on, the same function is refused: its result is not a scalar loss
        assertMentions(refusedRecording(in -> in[0].matmul(w).add(b), Tensor.randn(rng, 5, 4)), "one element", "noGrad()");
    }

    @Test
    void theSameTensorAsTwoInputsIsRefused() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        Tensor x = Tensor.ones(3);
        assertMentions(assertThrows(IllegalArgumentException.class, () -> RecordedStep.record(in -> in[0].mul(in[1]).mul(w).sum(), x, x)),
                "inputs 0 and 1 are the same tensor");
    }

    /** Modifies a constant in its forward: what another thread updating a parameter during a replay looks like. */
    static final class Meddling implements CustomOp {
        private final Tensor victim;

        Meddling(Tensor victim) {
            this.victim = victim;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            victim.modify(v -> v[0] += 1);
            return in[0].mul(2.0);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.mul(2.0)};
        }
    }

    @Test
    void aParameterModifiedDuringAReplayIsRefusedAndNoGradientApplied() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        Tensor c = Tensor.ones(3);
        CustomOp meddling = new Meddling(c);
        RecordedStep step = RecordedStep.record(in -> meddling.apply(in[0].mul(w)).mul(c).sum(), Tensor.ones(3));
        assertMentions(assertThrows(IllegalStateException.class, () -> step.replay(Tensor.ones(3))), "modified while the replay ran");
        assertNull(w.grad(), "the failed replay applied no gradient");
    }

    @Test
    void replaysOfOtherShapesOrChangedParametersAreRefused() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        RecordedStep step = RecordedStep.record(in -> in[0].mul(w).sum(), Tensor.ones(3));
        assertEquals(2, step.size()); // mul and sum
        assertMentions(assertThrows(IllegalArgumentException.class, () -> step.replay(Tensor.ones(4))),
                "input 0 is float64[4]", "recorded with float64[3]");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> step.replay(Tensor.ones(3), Tensor.ones(3))),
                "expected 1 inputs, got 2");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> step.replay(Tensor.ones(DType.FLOAT32, 3))), "float32[3]");
        w.setDtype(DType.FLOAT32);
        assertMentions(assertThrows(IllegalStateException.class, () -> step.replay(Tensor.ones(3))),
                "now float32[3] requiring grad", "record the step again");
        w.setDtype(DType.FLOAT64);
        assertEquals(3.0, step.replay(Tensor.ones(3)).item());
        w.registerHook(g -> g);
        assertMentions(assertThrows(IllegalStateException.class, () -> step.replay(Tensor.ones(3))), "with hooks");
    }
}
