package dev.adjoint.core.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** The checker recognises each classic backward mistake and says so in its report. */
class GradCheckMistakesTest {

    /** A two-input op computing {@code forward}, with a hand-written (possibly wrong) backward. */
    private static CustomOp op(BiFunction<Tensor, Tensor, Tensor> forward, Backward backward) {
        return new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                ctx.save(in[0], in[1]);
                return forward.apply(in[0], in[1]);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                return backward.apply(g, ctx.saved(0), ctx.saved(1));
            }

            @Override
            public String name() {
                return "sabotaged";
            }
        };
    }

    private interface Backward {
        Tensor[] apply(Tensor g, Tensor a, Tensor b);
    }

    private static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new SplittableRandom(seed), shape).requiresGrad(true);
    }

    private static GradCheck.Report check(CustomOp op, Tensor a, Tensor b) {
        return GradCheck.check(in -> op.apply(in.get(0), in.get(1)), List.of(a, b));
    }

    private static void assertDiagnosed(GradCheck.Report r, String... phrases) {
        assertFalse(r.passed(), r::toString);
        String text = r.toString();
        for (String p : phrases) {
            assertTrue(text.contains(p), () -> "expected \"" + p + "\" in\n" + text);
        }
    }

    @Test
    void aGradientTwiceTooLarge() {
        // d(a^2 b)/da = 2 a b, written as 4 a b
        CustomOp op = op((a, b) -> a.mul(a).mul(b), (g, a, b) -> new Tensor[] {g.mul(a).mul(b).mul(4.0), g.mul(a).mul(a)});
        assertDiagnosed(check(op, randn(1, 2, 3), randn(2, 2, 3)), "input 0 [2, 3]: analytic = 2.00000 x numeric",
                "off by exactly 2x");
    }

    @Test
    void aGradientHalfTooSmall() {
        // d(a^2 b)/da = 2 a b, written as a b: the forgotten factor of the power rule
        CustomOp op = op((a, b) -> a.mul(a).mul(b), (g, a, b) -> new Tensor[] {g.mul(a).mul(b), g.mul(a).mul(a)});
        assertDiagnosed(check(op, randn(3, 4), randn(4, 4)), "analytic = 0.500000 x numeric", "off by exactly 0.5x",
                "missing factor 2");
    }

    @Test
    void aFlippedSign() {
        // d(a - b)/db = -1, written as +1
        CustomOp op = op(Tensor::sub, (g, a, b) -> new Tensor[] {g, g});
        assertDiagnosed(check(op, randn(5, 3), randn(6, 3)), "input 1 [3]", "the sign is flipped");
    }

    @Test
    void aTransposedGradient() {
        // d(A B)/dA = g B^T, returned as its transpose B g^T (square matrices, so the shapes cannot tell)
        CustomOp op = op(Tensor::matmul, (g, a, b) -> new Tensor[] {b.matmul(g.transpose()), a.transpose().matmul(g)});
        assertDiagnosed(check(op, randn(7, 3, 3), randn(8, 3, 3)), "input 0 [3, 3]", "transpose of the numeric one");
        Tensor w = Tensor.randn(new SplittableRandom(22), 3, 3);
        assertDiagnosed(GradCheck.check(in -> op.apply(in.get(0), in.get(1)).mul(w).sum(), List.of(randn(7, 3, 3), randn(8, 3, 3))),
                "input 0 [3, 3]", "transpose of the numeric one");
    }

    @Test
    void aMissingBroadcastSumThatLeavesTheBroadcastShape() {
        // x [2, 3] + b [3]: the gradient of b must be summed over the broadcast axis, not returned as is
        CustomOp addBias = op(Tensor::add, (g, x, b) -> new Tensor[] {g, g});
        GradCheck.Report r = check(addBias, randn(9, 2, 3), randn(10, 3));
        assertDiagnosed(r, "missing broadcast sum", "shape [2, 3] for its input 1 of shape [3]", "sumTo(3)",
                "at fault: the gradient for input 1");
        assertEquals(1, r.worstInput());
        assertEquals(-1, r.worstIndex());
    }

    @Test
    void aMissingBroadcastSumThatAveragesTheCopies() {
        // the gradient of b taken as the mean over the broadcast axis instead of the sum
        CustomOp addBias = op(Tensor::add, (g, x, b) -> new Tensor[] {g, g.mean(0, false)});
        assertDiagnosed(check(addBias, randn(11, 3, 2), randn(12, 2)), "input 1 [2]", "off by exactly 1/3",
                "broadcast 3-fold to the output [3, 2], so this is a missing broadcast sum");
    }

    @Test
    void aMissingGradient() {
        CustomOp op = op(Tensor::mul, (g, a, b) -> new Tensor[] {g.mul(b), null});
        assertDiagnosed(check(op, randn(13, 4), randn(14, 4)), "input 1 [4]: the analytic gradient is zero");
    }

    @Test
    void swappedGradients() {
        // d(a b) = b da + a db, returned in the wrong order
        CustomOp op = op(Tensor::mul, (g, a, b) -> new Tensor[] {g.mul(a), g.mul(b)});
        assertDiagnosed(check(op, randn(15, 2, 2), randn(16, 2, 2)), "matches the numeric gradient of input 1",
                "swapped");
    }

    @Test
    void aConstantFactorSeenThroughRandomDirections() {
        CustomOp op = op((a, b) -> a.mul(a).mul(b), (g, a, b) -> new Tensor[] {g.mul(a).mul(b).mul(4.0), g.mul(a).mul(a).mul(2.0)});
        GradCheck.Report r = GradCheck.randomDirections(3, new SplittableRandom(17))
                .check(in -> op.apply(in.get(0), in.get(1)).sum(), List.of(randn(18, 5, 5), randn(19, 5, 5)));
        assertDiagnosed(r, "every direction gives analytic = 2.00000 x numeric", "off by exactly 2x");
    }

    @Test
    void aCorrectBackwardIsNotDiagnosedWithAnything() {
        CustomOp op = op(Tensor::mul, (g, a, b) -> new Tensor[] {g.mul(b), g.mul(a)});
        GradCheck.Report r = check(op, randn(20, 3, 3), randn(21, 3, 3));
        assertTrue(r.passed(), r::toString);
        assertTrue(r.diagnoses().isEmpty(), r::toString);
    }
}
