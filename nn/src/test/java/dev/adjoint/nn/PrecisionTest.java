package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The precision advisor: safe where float32 is fine, risky with the layer and the reason where it is not. */
class PrecisionTest {

    private static Sequential mlp(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return new Sequential(new Linear(8, 32, rng), new Tanh(), new Linear(32, 16, rng), new ReLU(), new Linear(16, 4, rng));
    }

    @Test
    void aNormalMlpIsSafeWithErrorsOfFloat32Roundoff() {
        Sequential model = mlp(1);
        Tensor input = Tensor.randn(new SplittableRandom(2), 64, 8);
        Precision.Report r = Precision.compare(model, input);
        assertTrue(r.safe(), r::toString);
        assertNull(r.culprit(), r::toString);
        assertEquals(5, r.layers().size(), r::toString);
        for (Precision.LayerComparison c : r.layers()) {
            assertFalse(c.risky(), r::toString);
            assertTrue(c.reasons().isEmpty(), r::toString);
            // float32 roundoff, not zero (something was measured) and not more than a few ulp-ish relative
            assertTrue(c.activationError() > 1e-9 && c.activationError() < 1e-5, r::toString);
            assertTrue(c.outputGradientError() < 1e-5, r::toString);
        }
        assertEquals(2, r.layers().get(0).parameterGradientErrors().size());
        assertTrue(r.layers().get(0).parameterGradientErrors().get("weight") > 1e-9, r::toString);
        assertTrue(r.worstError() < 1e-5, r::toString);
        assertTrue(r.toString().startsWith("Precision: float32 is SAFE"), r::toString);
        assertTrue(r.toString().contains("Linear"), r::toString);
    }

    @Test
    void aSmallCnnIsCopiedWithoutAFactoryAndIsSafe() {
        SplittableRandom rng = new SplittableRandom(6);
        Sequential model = new Sequential(new Conv2d(1, 4, 3, 1, 1, Init.heUniform(rng)), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(4 * 4 * 4, 3, Init.heUniform(rng)));
        Precision.Report r = Precision.compare(model, Tensor.randn(new SplittableRandom(7), 8, 1, 8, 8));
        assertTrue(r.safe(), r::toString);
        assertEquals(5, r.layers().size(), r::toString);
        assertTrue(r.layers().get(0).activationError() > 1e-9 && r.layers().get(0).activationError() < 1e-5, r::toString);
        assertEquals(DType.FLOAT64, model.parameters().get(0).dtype());
    }

    @Test
    void theModelIsLeftExactlyAsItWas() {
        Sequential model = mlp(3);
        Tensor w = model.parameters().get(0);
        double[] before = w.toArray();
        long version = w.version();
        Precision.compare(model, Tensor.randn(new SplittableRandom(4), 16, 8));
        assertArrayEquals(before, w.toArray());
        assertEquals(version, w.version());
        assertEquals(DType.FLOAT64, w.dtype());
        assertNull(w.grad());
    }

    @Test
    void aFloat32ModelIsComparedWithAFloat64CopyOfItsValues() {
        Sequential model = mlp(5);
        model.to(DType.FLOAT32);
        Tensor input = Tensor.randn(DType.FLOAT32, new SplittableRandom(6), 32, 8);
        Precision.Report r = Precision.compare(model, input);
        assertTrue(r.safe(), r::toString);
        assertEquals(0, r.inputError(), "a float32 input is its own float32 copy");
        assertEquals(DType.FLOAT32, model.parameters().get(0).dtype());
    }

    /**
     * Inputs near 1e6 that vary by 0.01, and a first layer that takes differences of them: its
     * sums cancel 1e6-sized terms down to results of about 0.01, which float32 (spacing 0.06 at
     * 1e6) cannot resolve.
     */
    @Test
    void catastrophicCancellationInTheFirstLayerIsRiskyAndNamed() {
        SplittableRandom rng = new SplittableRandom(7);
        Linear differences = new Linear(4, 3, Init.constant(0));
        differences.weight().modify(w -> {
            // output j = x[j+1] - x[j]: every column sums to zero
            for (int j = 0; j < 3; j++) {
                w[j * 3 + j] = -1;
                w[(j + 1) * 3 + j] = 1;
            }
        });
        Sequential model = new Sequential(differences, new Tanh(), new Linear(3, 2, rng));
        Tensor input = Tensor.randn(rng, 32, 4).mul(0.01).add(1e6);
        Precision.Report r = Precision.compare(model, input);
        assertFalse(r.safe(), r::toString);
        Precision.LayerComparison culprit = r.culprit();
        assertNotNull(culprit, r::toString);
        assertEquals("0", culprit.name(), r::toString);
        assertEquals("Linear", culprit.kind(), r::toString);
        assertTrue(culprit.reasons().get(0).startsWith("cancellation"), r::toString);
        assertTrue(culprit.activationError() > 0.01, r::toString);
        // the later layers are risky too, and say where their error comes from
        assertTrue(r.layers().get(1).risky(), r::toString);
        assertTrue(r.layers().get(1).reasons().get(0).contains("layer 0"), r::toString);
        assertTrue(r.toString().contains("float32 loses too much first at layer 0 (Linear): cancellation"), r::toString);
    }

    @Test
    void weightsThatOverflowFloat32AreRiskyAndNamed() {
        SplittableRandom rng = new SplittableRandom(8);
        Sequential model = new Sequential(new Linear(4, 8, rng), new Linear(8, 8, Init.normal(0, 1e20, rng)),
                new Linear(8, 2, Init.normal(0, 1e20, rng)));
        Precision.Report r = Precision.compare(model, Tensor.randn(rng, 16, 4));
        assertFalse(r.safe(), r::toString);
        Precision.LayerComparison last = r.layers().get(2);
        assertTrue(last.risky(), r::toString);
        assertTrue(Double.isInfinite(last.activationError()), r::toString);
        assertTrue(last.reasons().stream().anyMatch(s -> s.startsWith("overflow: float32 activations become infinite")),
                r::toString);
        assertTrue(r.toString().contains("inf"), r::toString);
    }

    /**
     * Every tanh unit in the flat region (inputs 10 to 15): float64 keeps derivatives of 1e-13 to 1e-8 there, float32
     * rounds the outputs to 1 and the derivatives to exactly 0, so the first layer's gradient is lost.
     */
    @Test
    void saturatedTanhUnitsLoseTheirGradientInFloat32() {
        SplittableRandom rng = new SplittableRandom(9);
        Sequential model = new Sequential(new Linear(4, 16, Init.constant(1)), new Tanh(), new Linear(16, 2, rng));
        Tensor input = Tensor.rand(rng, 32, 4).mul(1.25).add(2.25);
        Precision.Report r = Precision.compare(model, input);
        assertFalse(r.safe(), r::toString);
        Precision.LayerComparison tanh = r.layers().get(1);
        assertTrue(tanh.risky(), r::toString);
        assertTrue(tanh.reasons().get(0).startsWith("saturation: 100% of the outputs"), r::toString);
        Precision.LayerComparison first = r.layers().get(0);
        assertTrue(first.risky(), r::toString);
        assertEquals(1.0, first.parameterGradientErrors().get("weight"), 1e-6, "float32 loses the whole gradient: " + r);
    }

    /** Saturation of a few units is named but harmless: their float64 derivatives are negligible too. */
    @Test
    void aFewSaturatedUnitsAreNamedButSafe() {
        SplittableRandom rng = new SplittableRandom(9);
        Sequential model = new Sequential(new Linear(4, 16, Init.normal(0, 20, rng)), new Tanh(), new Linear(16, 2, rng));
        Precision.Report r = Precision.compare(model, Tensor.randn(rng, 32, 4));
        assertTrue(r.safe(), r::toString);
        assertTrue(r.layers().get(1).reasons().get(0).startsWith("saturation"), r::toString);
    }

    @Test
    void theCallersLossIsUsedInEitherDtype() {
        Sequential model = mlp(10);
        SplittableRandom rng = new SplittableRandom(11);
        Tensor input = Tensor.randn(rng, 16, 8);
        Tensor target = Tensor.randn(rng, 16, 4);
        Precision.Report r = Precision.compare(model, input, out -> {
            Tensor d = out.sub(target.to(out.dtype()));
            return d.mul(d).mean();
        });
        assertTrue(r.safe(), r::toString);
        assertTrue(r.toString().contains("the caller's loss"), r::toString);
    }

    @Test
    void otherLayersWithParametersNeedAFactoryOfTheArchitecture() {
        SplittableRandom rng = new SplittableRandom(12);
        Sequential model = new Sequential(new Linear(6, 6, rng), new LayerNorm(6), new Dropout(0.5, rng), new Linear(6, 2, rng));
        Tensor input = Tensor.randn(rng, 8, 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.compare(model, input));
        assertTrue(e.getMessage().contains("LayerNorm"), e.getMessage());
        assertTrue(e.getMessage().contains("factory"), e.getMessage());
        Precision.Report r = Precision.compare(() -> new Sequential(new Linear(6, 6, Init.constant(0)), new LayerNorm(6),
                new Dropout(0.5, new SplittableRandom(1)), new Linear(6, 2, Init.constant(0))), model, input, null);
        assertTrue(r.safe(), r::toString);
        assertEquals("LayerNorm", r.layers().get(1).kind());
        assertEquals("Dropout", r.layers().get(2).kind());
    }

    @Test
    void dropoutIsLeftOutOfBothRunsAndTheModelsDropoutDrawsNothing() {
        SplittableRandom rng = new SplittableRandom(14);
        Dropout dropout = new Dropout(0.5, new SplittableRandom(15));
        Sequential model = new Sequential(new Linear(6, 8, rng), new ReLU(), dropout, new Linear(8, 2, rng));
        Precision.Report r = Precision.compare(model, Tensor.randn(rng, 16, 6));
        assertTrue(r.safe(), r::toString);
        assertEquals("Dropout", r.layers().get(2).kind());
        assertTrue(r.layers().get(2).activationError() < 1e-5, r::toString);
        assertEquals(0, dropout.draws(), "the model's dropout was not run");
    }

    @Test
    void aFactoryOfADifferentArchitectureIsRefused() {
        Sequential model = mlp(13);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.compare(
                () -> new Sequential(new Linear(8, 4, Init.constant(0))), model, Tensor.randn(new SplittableRandom(1), 2, 8), null));
        assertTrue(e.getMessage().contains("factory must build the model's architecture"), e.getMessage());
    }
}
