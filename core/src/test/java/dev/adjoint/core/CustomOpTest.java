package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.gradcheck.GradCheck;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** User-written ops: the same contract and the same checks as the built-ins. */
class CustomOpTest {

    /** softsign(x) = x / (1 + |x|), with its backward written in tensor ops (so it is differentiable). */
    static final class Softsign implements CustomOp {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0]);
            return in[0].div(in[0].abs().add(1));
        }

        // d/dx x / (1 + |x|) = 1 / (1 + |x|)^2
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.div(ctx.saved(0).abs().add(1).pow(2))};
        }
    }

    /** The elementwise product a * b. */
    static class Times implements CustomOp {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return in[0].mul(in[1]);
        }

        // d(a b) = da b + a db
        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.mul(ctx.saved(1)), g.mul(ctx.saved(0))};
        }
    }

    /** Returns a fixed gradient array, to provoke the engine's checks. */
    static final class Broken implements CustomOp {
        private final Tensor[] grads;

        Broken(Tensor... grads) {
            this.grads = grads;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return in[0].mul(in[1]);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return grads;
        }
    }

    private static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new SplittableRandom(seed), shape).requiresGrad(true);
    }

    @Test
    void aCustomOpPassesFirstAndSecondOrderChecks() {
        Tensor x = Tensor.of(new double[] {-2, -0.7, 0.4, 1.3, 2.5, -0.1}, 2, 3).requiresGrad(true);
        CustomOp softsign = new Softsign();
        GradCheck.Report first = GradCheck.check(in -> softsign.apply(in.get(0)), List.of(x));
        assertTrue(first.passed(), first::toString);
        GradCheck.Report second = GradCheck.checkSecondOrder(in -> softsign.apply(in.get(0)).mul(in.get(0)).sum(), List.of(x));
        assertTrue(second.passed(), second::toString);
        assertFalse(second.vacuous(), second::toString);
    }

    @Test
    void aCustomOpThatSavesItsOutputIsDifferentiableTwice() {
        // exp saves y = e^x and returns g * y: the second derivative flows back through y itself.
        CustomOp exp = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                Tensor y = in[0].exp();
                ctx.save(y);
                return y;
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {g.mul(ctx.saved(0))};
            }
        };
        Tensor x = randn(13, 2, 2);
        GradCheck.Report second = GradCheck.checkSecondOrder(in -> exp.apply(in.get(0)).sum(), List.of(x));
        assertTrue(second.passed(), second::toString);
        assertFalse(second.vacuous(), second::toString);
    }

    @Test
    void secondDerivativeOfACustomOpMatchesTheFormula() {
        // softsign''(x) = -2 sign(x) / (1 + |x|)^3
        Tensor x = Tensor.of(new double[] {0.5, -1.5}, 2).requiresGrad(true);
        Tensor y = new Softsign().apply(x).sum();
        Tensor g = Autograd.grad(y, List.of(x), true).get(0);
        Tensor h = Autograd.grad(g.sum(), List.of(x), false).get(0);
        assertEquals(-2 / Math.pow(1.5, 3), h.get(0), 1e-12);
        assertEquals(2 / Math.pow(2.5, 3), h.get(1), 1e-12);
    }

    @Test
    void aCustomOpComposesWithBuiltIns() {
        Tensor w = randn(1, 3, 4);
        Tensor x = randn(2, 5, 3);
        CustomOp softsign = new Softsign();
        GradCheck.Report r = GradCheck.check(in -> softsign.apply(in.get(1).matmul(in.get(0))).logSoftmax(1).sum(0, false),
                List.of(w, x));
        assertTrue(r.passed(), r::toString);
        GradCheck.Report second = GradCheck.checkSecondOrder(in -> softsign.apply(in.get(1).matmul(in.get(0)).tanh()).sum(),
                List.of(w, x));
        assertTrue(second.passed(), second::toString);
    }

    @Test
    void theWrongNumberOfGradientsNamesTheOpClassAndTheShapes() {
        Tensor a = randn(3, 2, 3);
        Tensor b = randn(4, 3);
        Tensor y = new Broken(Tensor.ones(2, 3)).apply(a, b).sum();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        String m = e.getMessage();
        assertTrue(m.contains(Broken.class.getName()), m);
        assertTrue(m.contains("1 gradients for 2 inputs"), m);
        assertTrue(m.contains("[2, 3], [3]"), m);
    }

    @Test
    void aBackwardReturningNullInsteadOfAnArrayIsReported() {
        Tensor a = randn(5, 2);
        Tensor y = new Broken((Tensor[]) null).apply(a, a).sum();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("returned null"), e.getMessage());
        assertTrue(e.getMessage().contains(Broken.class.getName()), e.getMessage());
    }

    @Test
    void aGradientOfTheWrongShapeNamesTheOpClassAndTheShapes() {
        Tensor a = randn(6, 2, 3);
        Tensor b = randn(7, 2, 3);
        Tensor y = new Broken(Tensor.ones(2, 3), Tensor.ones(3, 2)).apply(a, b).sum();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        String m = e.getMessage();
        assertTrue(m.contains(Broken.class.getName()), m);
        assertTrue(m.contains("gradient of shape [3, 2] for input 1 of shape [2, 3]"), m);
    }

    @Test
    void nullGradientsMeanNoGradient() {
        Tensor a = randn(8, 2);
        Tensor b = randn(9, 2);
        Tensor y = new Broken(Tensor.of(new double[] {5, 6}, 2), null).apply(a, b).sum();
        y.backward();
        assertArrayEquals(new double[] {5, 6}, a.grad().toArray());
        assertEquals(null, b.grad());
        List<Tensor> g = Autograd.grad(new Broken(Tensor.ones(2), null).apply(a, b).sum(), List.of(a, b), false);
        assertArrayEquals(new double[] {0, 0}, g.get(1).toArray());
    }

    @Test
    void aSavedTensorModifiedBeforeBackwardIsRefused() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor y = new Softsign().apply(x).sum();
        x.modify(d -> d[0] = 3);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("modified"), e.getMessage());
        assertTrue(e.getMessage().contains("Softsign"), e.getMessage());
    }

    /** Saves its five inputs as an array of two, then one, then two, and checks what comes back. */
    static final class SavesFive implements CustomOp {
        final List<Tensor> seen = new java.util.ArrayList<>();

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Tensor[] firstTwo = {in[0], in[1]};
            ctx.save(firstTwo);
            firstTwo[0] = in[4]; // the op's own array, changed after saving: what was saved stays
            ctx.save(in[2]);
            ctx.save(in[3], in[4]);
            return in[0].add(in[1]).add(in[2]).add(in[3]).add(in[4]);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            for (int i = 0; i < 5; i++) {
                seen.add(ctx.saved(i));
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ctx.saved(5));
            assertTrue(e.getMessage().contains("out of range; 5 saved"), e.getMessage());
            return new Tensor[] {g, g, g, g, g};
        }
    }

    @Test
    void savedTensorsComeBackInOrderHoweverTheyWereSaved() {
        Tensor[] in = new Tensor[5];
        for (int i = 0; i < in.length; i++) {
            in[i] = Tensor.of(new double[] {i}, 1).requiresGrad(true);
        }
        SavesFive op = new SavesFive();
        op.apply(in).sum().backward();
        assertEquals(List.of(in), op.seen);

        // the fifth (kept past the two inline slots) is still checked for changes in place
        Tensor y = new SavesFive().apply(in).sum();
        in[4].modify(d -> d[0] = 7);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("modified"), e.getMessage());
    }

    @Test
    void savingNullIsRefusedNamingTheArgument() {
        Tensor a = Tensor.of(new double[] {1}, 1).requiresGrad(true);
        String[] expected = {"null array", "argument 0", "argument 1", "argument 1"};
        for (int variant = 0; variant < expected.length; variant++) {
            int v = variant;
            CustomOp op = new CustomOp() {
                @Override
                public Tensor forward(Context ctx, Tensor... in) {
                    switch (v) {
                        case 0 -> ctx.save((Tensor[]) null);
                        case 1 -> ctx.save((Tensor) null);
                        case 2 -> ctx.save(in[0], null);
                        default -> ctx.save(new Tensor[] {in[0], null});
                    }
                    return in[0].mul(2.0);
                }

                @Override
                public Tensor[] backward(Context ctx, Tensor g) {
                    return new Tensor[] {g.mul(2.0)};
                }
            };
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.apply(a));
            assertTrue(e.getMessage().contains("cannot save") || e.getMessage().contains("save was given"), e.getMessage());
            assertTrue(e.getMessage().contains(expected[v]), e.getMessage());
        }
    }

    @Test
    void needsInputGradTellsTheBackwardWhatIsUnused() {
        boolean[] asked = new boolean[2];
        CustomOp op = new Times() {
            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                asked[0] = ctx.needsInputGrad(0);
                asked[1] = ctx.needsInputGrad(1);
                return new Tensor[] {g.mul(ctx.saved(1)), null};
            }
        };
        Tensor a = randn(10, 3);
        Tensor constant = Tensor.ones(3);
        op.apply(a, constant).sum().backward();
        assertTrue(asked[0]);
        assertFalse(asked[1]);
    }

    @Test
    void changingTheInputArrayAfterApplyLeavesTheGraphAlone() {
        CustomOp times = new Times();
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor y = Tensor.of(new double[] {3, 5}, 2).requiresGrad(true);
        Tensor z = Tensor.of(new double[] {7, 11}, 2).requiresGrad(true);
        Tensor[] inputs = {x, y};
        Tensor product = times.apply(inputs);
        // the caller reuses its array: the recorded graph must still be x * y
        inputs[0] = z;
        inputs[1] = z;
        product.sum().backward();
        assertArrayEquals(new double[] {3, 5}, x.grad().toArray(), 0);
        assertArrayEquals(new double[] {1, 2}, y.grad().toArray(), 0);
        assertEquals(null, z.grad());
    }

    @Test
    void builtInOpsGoThroughTheSameMechanism() {
        // A built-in op records a node whose op is a CustomOp, exactly as a user's op does.
        Tensor x = randn(11, 2);
        Tensor y = x.exp();
        assertTrue(y.node().op instanceof CustomOp);
        assertEquals("exp", y.node().op.name());
        Tensor z = new Softsign().apply(x);
        assertEquals("Softsign", z.node().op.name());
    }

    @Test
    void aForwardReturningNullIsRefused() {
        CustomOp op = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return null;
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {g};
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> op.apply(randn(12, 2)));
        assertTrue(e.getMessage().contains("forward returned null"), e.getMessage());
    }
}
