package dev.adjoint.core.gradcheck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The checker's own behaviour: verdicts, pinpointing, numerics, restoring inputs, modes. */
class GradCheckTest {

    /** y = x^3 elementwise, with a backward that can be sabotaged in one element. */
    static CustomOp cube(int wrongIndex, double wrongFactor) {
        return new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                ctx.save(in[0]);
                return in[0].pow(3);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                Tensor x = ctx.saved(0);
                Tensor grad = g.mul(x.mul(x)).mul(3.0);
                if (wrongIndex >= 0) {
                    double[] scale = new double[x.size()];
                    java.util.Arrays.fill(scale, 1.0);
                    scale[wrongIndex] = wrongFactor;
                    grad = grad.mul(Tensor.of(scale, x.shape()));
                }
                return new Tensor[] {grad};
            }
        };
    }

    private static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new SplittableRandom(seed), shape).requiresGrad(true);
    }

    @Test
    void correctCustomOpPassesFirstAndSecondOrder() {
        Tensor x = randn(1, 3, 4);
        CustomOp op = cube(-1, 1);
        GradCheck.Report first = GradCheck.check(in -> op.apply(in.get(0)).sin().sum(), List.of(x));
        assertTrue(first.passed(), first::toString);
        assertFalse(first.vacuous(), first::toString);
        assertEquals(12, first.compared());
        assertTrue(first.maxAbsError() < 1e-7, first::toString);
        GradCheck.Report second = GradCheck.checkSecondOrder(in -> op.apply(in.get(0)).sin().sum(), List.of(x));
        assertTrue(second.passed(), second::toString);
        assertFalse(second.vacuous(), second::toString);
    }

    @Test
    void aBackwardOffByTwoPercentInOneElementIsPinpointed() {
        Tensor a = randn(2, 2, 3);
        Tensor x = Tensor.of(new double[] {0.7, -1.2, 1.5, 0.9, -0.8, 1.1}, 2, 3).requiresGrad(true);
        CustomOp op = cube(4, 1.02);
        GradCheck.Report r = GradCheck.check(in -> in.get(0).mul(op.apply(in.get(1))).sum(), List.of(a, x));
        assertFalse(r.passed(), r::toString);
        assertEquals(1, r.worstInput(), r::toString);
        assertEquals(4, r.worstIndex(), r::toString);
        assertArrayEquals(new int[] {1, 1}, r.worst().position());
        assertEquals(r.worst().numeric() * 1.02, r.worst().analytic(), 1e-8);
        assertEquals(1, r.mismatches().size(), r::toString);
        String text = r.toString();
        assertTrue(text.contains("FAILED"), text);
        assertTrue(text.contains("input 1 [2, 3], element 4 [1, 1]"), text);
        // One bad element is not a pattern: no constant-factor diagnosis.
        assertFalse(text.contains("x numeric for every element"), text);
    }

    @Test
    void nonScalarOutputsAreCheckedThroughTheFullJacobian() {
        Tensor x = randn(3, 4);
        GradCheck.Report ok = GradCheck.check(in -> cube(-1, 1).apply(in.get(0)).softmax(0), List.of(x));
        assertTrue(ok.passed(), ok::toString);
        assertEquals(16, ok.compared());
        GradCheck.Report bad = GradCheck.check(in -> cube(2, 0.9).apply(in.get(0)).mul(2.0), List.of(x));
        assertFalse(bad.passed(), bad::toString);
        assertEquals(2, bad.worstIndex());
        assertEquals(2, bad.worst().output(), "the wrong entry is on the Jacobian's diagonal");
    }

    @Test
    void inputsAreRestoredBitForBit() {
        double[] values = {0.1, 1e-300, -3.3333333333333335, 12345.678901234567, Math.PI};
        Tensor x = Tensor.of(values.clone(), 5).requiresGrad(true);
        Tensor w = Tensor.of(new double[] {0.3, 0.7, 1.1, -0.2, 0.5}, 5).requiresGrad(true);
        Function<List<Tensor>, Tensor> f = in -> in.get(0).mul(in.get(1)).tanh().sum();
        GradCheck.check(f, List.of(x, w));
        GradCheck.checkSecondOrder(f, List.of(x, w));
        GradCheck.randomDirections(3, new SplittableRandom(4)).check(f, List.of(x, w));
        for (int i = 0; i < values.length; i++) {
            assertEquals(Double.doubleToRawLongBits(values[i]), Double.doubleToRawLongBits(x.get(i)));
        }
    }

    @Test
    void inputsAreRestoredEvenWhenTheFunctionThrows() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        int[] calls = {0};
        Function<List<Tensor>, Tensor> f = in -> {
            if (++calls[0] == 3) {
                throw new ArithmeticException("boom");
            }
            return in.get(0).mul(in.get(0)).sum();
        };
        assertThrows(ArithmeticException.class, () -> GradCheck.check(f, List.of(x)));
        assertArrayEquals(new double[] {1, 2}, x.toArray());
    }

    @Test
    void kinksAreReportedAsNonDifferentiableNotAsFailures() {
        Tensor x = Tensor.of(new double[] {0.0, 1.5, -0.5, 0.0}, 4).requiresGrad(true);
        GradCheck.Report relu = GradCheck.check(in -> in.get(0).relu().sum(), List.of(x));
        assertTrue(relu.passed(), relu::toString);
        assertEquals(2, relu.nonDifferentiable().size(), relu::toString);
        assertEquals(0, relu.nonDifferentiable().get(0).index());
        assertTrue(relu.toString().contains("kink"), relu::toString);
        // abs at exactly 0 has central difference 0 = sign(0), which agrees; 3e-8 lies within a tenth of a step of the kink.
        Tensor near = Tensor.of(new double[] {3e-8, 1.5, -0.5, -2e-8}, 4).requiresGrad(true);
        GradCheck.Report abs = GradCheck.check(in -> in.get(0).abs().sum(), List.of(near));
        assertTrue(abs.passed(), abs::toString);
        assertEquals(2, abs.nonDifferentiable().size(), abs::toString);
        // 3e-7 is within one step of the kink but differentiable: a smaller step measures it correctly.
        Tensor nearish = Tensor.of(new double[] {3e-7, -4e-7}, 2).requiresGrad(true);
        GradCheck.Report absNearish = GradCheck.check(in -> in.get(0).abs().sum(), List.of(nearish));
        assertTrue(absNearish.passed(), absNearish::toString);
        assertEquals(0, absNearish.nonDifferentiable().size(), absNearish::toString);
        assertEquals(2, absNearish.recheckedByStencil(), absNearish::toString);
        Tensor tie = Tensor.of(new double[] {2, 2, 1}, 3).requiresGrad(true);
        GradCheck.Report max = GradCheck.check(in -> in.get(0).max(0, false), List.of(tie));
        assertTrue(max.passed(), max::toString);
        assertEquals(2, max.nonDifferentiable().size(), max::toString);
    }

    @Test
    void aWrongGradientAtAKinkIsStillAFailure() {
        // At 0 any value in [0, 1] is a fine subgradient of relu; 5 is not.
        CustomOp badRelu = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return in[0].relu();
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {g.mul(5.0)};
            }
        };
        Tensor x = Tensor.of(new double[] {0.0}, 1).requiresGrad(true);
        GradCheck.Report r = GradCheck.check(in -> badRelu.apply(in.get(0)).sum(), List.of(x));
        assertFalse(r.passed(), r::toString);
    }

    @Test
    void allZeroGradientsAreCalledAVacuousPass() {
        Tensor x = Tensor.of(new double[] {-1, -2, -0.5}, 3).requiresGrad(true);
        GradCheck.Report r = GradCheck.check(in -> in.get(0).relu().sum(), List.of(x));
        assertTrue(r.passed());
        assertTrue(r.vacuous(), r::toString);
        assertTrue(r.toString().contains("VACUOUS"), r::toString);
        GradCheck.Report linear = GradCheck.checkSecondOrder(in -> in.get(0).mul(3.0).sum(), List.of(x));
        assertTrue(linear.passed(), linear::toString);
        assertTrue(linear.vacuous(), "a linear function has no second derivative to check");
    }

    @Test
    void truncationErrorOfTheCentralDifferenceIsNotReportedAsAFailure() {
        // With a coarse step, the central difference of exp(3x) is off by h^2 f'''/6, beyond rtol;
        // the higher-order stencil shows the analytic value was right.
        Tensor x = Tensor.of(new double[] {2.0}, 1).requiresGrad(true);
        GradCheck.Report r = GradCheck.withTolerances(1e-3, 1e-5, 1e-6).check(in -> in.get(0).mul(3.0).exp().sum(), List.of(x));
        assertTrue(r.passed(), r::toString);
        assertEquals(1, r.recheckedByStencil(), r::toString);
    }

    @Test
    void onlyInputsThatRequireGradAreChecked() {
        Tensor x = randn(5, 3);
        Tensor c = Tensor.of(new double[] {1, 2, 3}, 3);
        GradCheck.Report r = GradCheck.check(in -> in.get(0).mul(in.get(1)).sum(), List.of(x, c));
        assertTrue(r.passed(), r::toString);
        assertEquals(3, r.compared());
        assertFalse(c.requiresGrad());
    }

    @Test
    void whenNoInputRequiresGradAllAreCheckedAndTheMarksUndone() {
        Tensor x = Tensor.of(new double[] {0.5, 1.5}, 2);
        GradCheck.Report bad = GradCheck.check(in -> cube(1, 2.0).apply(in.get(0)).sum(), List.of(x));
        assertFalse(bad.passed(), bad::toString);
        assertEquals(0, bad.worstInput());
        assertFalse(x.requiresGrad());
    }

    @Test
    void aNonLeafInputIsRefusedWithAReason() {
        Tensor x = randn(6, 2).exp();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradCheck.check(in -> in.get(0).sum(), List.of(x)));
        assertTrue(e.getMessage().contains("exp"), e.getMessage());
    }

    @Test
    void aFunctionThatDifferentiatesInternallyCanBeChecked() {
        // A gradient penalty: f(x) = |d/dx sum x^4|^2 = sum 16 x^6, so f' = 96 x^5 and f'' = 480 x^4.
        Tensor x = Tensor.of(new double[] {0.5, -0.8}, 2).requiresGrad(true);
        Function<List<Tensor>, Tensor> penalty = in -> {
            Tensor g = Autograd.grad(in.get(0).pow(4).sum(), List.of(in.get(0)), true).get(0);
            return g.mul(g).sum();
        };
        GradCheck.Report first = GradCheck.check(penalty, List.of(x));
        assertTrue(first.passed(), first::toString);
        assertFalse(first.vacuous(), first::toString);
        GradCheck.Report second = GradCheck.checkSecondOrder(penalty, List.of(x));
        assertTrue(second.passed(), second::toString);
        assertFalse(second.vacuous(), second::toString);
    }

    @Test
    void aViewInputIsRefusedBeforeAnyWork() {
        Tensor view = randn(6, 2, 3).transpose().detach().requiresGrad(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradCheck.check(in -> in.get(0).sum(), List.of(view)));
        assertTrue(e.getMessage().contains("input 0 of shape [3, 2] is a view"), e.getMessage());
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> GradCheck.withTolerances(0, 1e-5, 1e-3));
        assertThrows(IllegalArgumentException.class, () -> GradCheck.withTolerances(1e-6, -1, 1e-3));
        assertThrows(IllegalArgumentException.class, () -> GradCheck.randomDirections(0, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> GradCheck.randomDirections(2, null));
    }

    @Test
    void aFunctionThatIsNotFiniteAtTheInputsFailsWithAReason() {
        Tensor x = Tensor.of(new double[] {-1}, 1).requiresGrad(true);
        GradCheck.Report r = GradCheck.check(in -> in.get(0).log().sum(), List.of(x));
        assertFalse(r.passed());
        assertTrue(r.toString().contains("not finite"), r::toString);
    }

    @Test
    void randomDirectionsPassACorrectGradientAndLocaliseAWrongOne() {
        Tensor a = randn(7, 6, 5);
        Tensor x = randn(8, 5, 8);
        GradChecker fast = GradCheck.randomDirections(4, new SplittableRandom(9));
        CustomOp good = cube(-1, 1);
        GradCheck.Report ok = fast.check(in -> in.get(0).matmul(good.apply(in.get(1))).tanh().sum(), List.of(a, x));
        assertTrue(ok.passed(), ok::toString);
        assertEquals(4, ok.compared());
        CustomOp bad = cube(23, 3.0);
        GradCheck.Report r = fast.check(in -> in.get(0).matmul(bad.apply(in.get(1))).tanh().sum(), List.of(a, x));
        assertFalse(r.passed(), r::toString);
        assertEquals(1, r.worstInput(), r::toString);
        assertEquals(23, r.worstIndex(), r::toString);
        assertEquals(3.0 * r.worst().numeric(), r.worst().analytic(), 1e-6 * Math.abs(r.worst().analytic()), r::toString);
    }

    @Test
    void aJacobianTooLargeForMemoryIsCheckedThroughRandomDirections() {
        Tensor x = randn(10, 2100);
        GradCheck.Report r = GradCheck.check(in -> in.get(0).sin(), List.of(x));
        assertTrue(r.passed(), r::toString);
        assertTrue(r.mode().contains("the full Jacobian would have 4410000 entries"), r::toString);
        assertTrue(r.mode().endsWith("16 random directions"), r::toString);
    }

    @Test
    void theReportReadsWellInATestFailure() {
        Tensor x = Tensor.of(new double[] {0.5, 1.0, 1.5}, 3).requiresGrad(true);
        GradCheck.Report r = GradCheck.check(in -> cube(1, 1.1).apply(in.get(0)).sum(), List.of(x));
        String text = r.toString();
        assertTrue(text.startsWith("GradCheck FAILED: first order, full Jacobian"), text);
        assertTrue(text.contains("eps=1.0e-06, atol=1.0e-05, rtol=1.0e-03"), text);
        assertTrue(text.contains("worst: input 0 [3], element 1 [1]"), text);
        assertTrue(text.contains("analytic 3.30000000 vs numeric 3.00000000"), text);
        assertTrue(text.contains("mismatches: 1 of 3, worst first:"), text);
    }
}
