package dev.adjoint.core.gradcheck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every GradCheck entry point on float32 inputs checks a float64 copy and says so. */
class Float32GradCheckTest {
    private static final String NOTE = "inputs were float32; checked a float64 copy (finite differences in float32 are meaningless)";

    private static Tensor float32(SplittableRandom rng, int... shape) {
        return Tensor.randn(DType.FLOAT32, rng, shape).requiresGrad(true);
    }

    @Test
    void firstOrderOnFloat32InputsChecksAFloat64CopyAndLeavesTheInputsAlone() {
        SplittableRandom rng = new SplittableRandom(1);
        Tensor x = float32(rng, 3, 4);
        Tensor w = float32(rng, 4, 2);
        float[] xBefore = x.toFloatArray();
        GradCheck.Report r = GradCheck.check(in -> in.get(0).matmul(in.get(1)).tanh().sum(), List.of(x, w));
        assertTrue(r.passed(), r::toString);
        assertTrue(r.checkedFloat64Copy(), r::toString);
        assertTrue(r.toString().contains(NOTE), r::toString);
        // the default float64 tolerances held: the derivatives were measured in float64
        assertTrue(r.maxAbsError() < 1e-8, r::toString);
        assertEquals(DType.FLOAT32, x.dtype());
        assertArrayEquals(xBefore, x.toFloatArray());
        assertNull(x.grad());
        assertTrue(x.requiresGrad());
    }

    @Test
    void float64InputsAreNotCopiedAndTheReportSaysNothingAboutIt() {
        Tensor x = Tensor.randn(new SplittableRandom(2), 3).requiresGrad(true);
        GradCheck.Report r = GradCheck.check(in -> in.get(0).exp().sum(), List.of(x));
        assertTrue(r.passed(), r::toString);
        assertFalse(r.checkedFloat64Copy());
        assertFalse(r.toString().contains("float32"), r::toString);
    }

    @Test
    void aWrongGradientIsStillCaughtOnFloat32Inputs() {
        CustomOp doubledSquare = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                ctx.save(in[0]);
                return in[0].detach().mul(in[0].detach());
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                // d/dx x^2 = 2x; this says 4x
                return new Tensor[] {g.mul(ctx.saved(0)).mul(4.0)};
            }

            @Override
            public String name() {
                return "badSquare";
            }
        };
        Tensor x = Tensor.of(new float[] {0.5f, -1.25f, 2f}, 3).requiresGrad(true);
        GradCheck.Report r = GradCheck.check(in -> doubledSquare.apply(in.get(0)).sum(), List.of(x));
        assertFalse(r.passed(), r::toString);
        assertTrue(r.checkedFloat64Copy());
        assertTrue(r.toString().contains(NOTE), r::toString);
        assertEquals(2 * 2 * 0.5, r.mismatches().stream().filter(e -> e.index() == 0).findFirst().orElseThrow().analytic(), 1e-12,
                r::toString);
    }

    @Test
    void secondOrderForwardModeAndRandomDirectionsOnFloat32Inputs() {
        SplittableRandom rng = new SplittableRandom(3);
        Tensor x = float32(rng, 2, 3);
        Tensor y = float32(rng, 2, 3);
        List<GradCheck.Report> reports = new ArrayList<>();
        reports.add(GradCheck.checkSecondOrder(in -> in.get(0).mul(in.get(1)).sigmoid().sum(), List.of(x, y)));
        reports.add(GradCheck.checkForward(in -> in.get(0).mul(in.get(1)).sigmoid(), List.of(x, y)));
        reports.add(GradCheck.randomDirections(4, new SplittableRandom(4)).check(in -> in.get(0).exp().mul(in.get(1)).sum(),
                List.of(x, y)));
        for (GradCheck.Report r : reports) {
            assertTrue(r.passed(), r::toString);
            assertTrue(r.checkedFloat64Copy(), r::toString);
            assertTrue(r.toString().contains(NOTE), r::toString);
        }
        assertNull(x.grad());
    }

    @Test
    void mixedFloat32AndFloat64InputsAreCheckedTogether() {
        Tensor x = Tensor.of(new float[] {1.5f, -0.5f}, 2).requiresGrad(true);
        Tensor y = Tensor.of(new double[] {0.25, 2}, 2).requiresGrad(true);
        GradCheck.Report r = GradCheck.check(in -> in.get(0).mul(in.get(1)).sum(), List.of(x, y));
        assertTrue(r.passed(), r::toString);
        assertTrue(r.checkedFloat64Copy());
    }

    @Test
    void aFunctionThatBuildsFloat32ConstantsIsRefusedWithTheReason() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradCheck.check(in -> in.get(0).mul(Tensor.ones(DType.FLOAT32, 3)).sum(), List.of(x)));
        assertTrue(e.getMessage().contains("float64 copies"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot mix float32 and float64"), e.getMessage());
        assertTrue(e.getMessage().contains("x.dtype()"), e.getMessage());
        // the same function written with constants in the input's dtype checks fine
        GradCheck.Report r = GradCheck.check(in -> in.get(0).mul(Tensor.ones(in.get(0).dtype(), 3)).sum(), List.of(x));
        assertTrue(r.passed(), r::toString);
    }

    @Test
    void everyBuiltInOpConformsInFloat32() {
        List<String> failures = new ArrayList<>();
        for (OpConformanceTest.Case c : OpConformanceTest.builtIns()) {
            OpConformance.Report r = OpConformance.check(c.op(), DType.FLOAT32, c.shapes());
            if (!r.passed()) {
                failures.add(c.op().name() + ": " + r);
            }
        }
        assertTrue(failures.isEmpty(), () -> String.join("\n\n", failures));
    }

    @Test
    void anOpThatLeavesFloat32FailsTheDtypeProperty() {
        CustomOp widening = OpConformanceTest.adapter("widening", x -> x[0].to(DType.FLOAT64).exp());
        OpConformance.Report r = OpConformance.check(widening, DType.FLOAT32, new int[] {2, 3});
        assertFalse(r.passed(), r::toString);
        assertEquals("keeps the dtype", r.property(), r::toString);
        assertTrue(r.detail().contains("float64 output for float32 inputs"), r::toString);
        assertTrue(OpConformance.check(widening, DType.FLOAT64, new int[] {2, 3}).passed());
    }
}
