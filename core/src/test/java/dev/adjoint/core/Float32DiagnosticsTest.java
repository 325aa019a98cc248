package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The anomaly mode and the graph picture work unchanged on float32 graphs. */
class Float32DiagnosticsTest {

    @Test
    void anomalyModeNamesTheForwardOpOfAFloat32NaN() {
        Tensor x = Tensor.of(new float[] {4, -1}, 2).requiresGrad(true);
        try (Autograd.Scope s = Autograd.detectAnomaly()) {
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> x.mul(2.0).sqrt());
            assertTrue(e.getMessage().startsWith("sqrt"), e.getMessage());
            assertTrue(e.getMessage().contains("Float32DiagnosticsTest"), e.getMessage());
        }
    }

    @Test
    void anomalyModeNamesTheBackwardFormulaOfAFloat32Infinity() {
        // sqrt(0) is fine forward, but its derivative 1 / (2 sqrt 0) is infinite.
        Tensor x = Tensor.of(new float[] {0, 4}, 2).requiresGrad(true);
        try (Autograd.Scope s = Autograd.detectAnomaly()) {
            Tensor y = x.sqrt().mul(3.0).sum();
            ArithmeticException e = assertThrows(ArithmeticException.class, y::backward);
            assertTrue(e.getMessage().startsWith("sqrt: backward"), e.getMessage());
        }
    }

    @Test
    void anomalyModeCatchesAFloat32OverflowThatFloat64Survives() {
        // 1e20 squared is 1e40: finite in float64, beyond float32's 3.4e38.
        Tensor x64 = Tensor.of(new double[] {1e20}, 1).requiresGrad(true);
        Tensor x32 = x64.detach().to(DType.FLOAT32).requiresGrad(true);
        try (Autograd.Scope s = Autograd.detectAnomaly()) {
            assertTrue(Double.isFinite(x64.mul(x64).item()));
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> x32.mul(x32));
            assertTrue(e.getMessage().startsWith("mul"), e.getMessage());
        }
    }

    @Test
    void theGraphPictureShowsFloat32ShapesAndHighlightsNaN() {
        Tensor w = Tensor.ones(DType.FLOAT32, 3, 2).requiresGrad(true);
        Tensor x = Tensor.ones(DType.FLOAT32, 4, 3);
        Tensor loss = x.matmul(w).tanh().sum();
        loss.backward();
        String dot = GraphExport.toDot(loss, Map.of(w, "w"));
        assertTrue(dot.contains("label=\"matmul float32[4, 2]\""), dot);
        assertTrue(dot.contains("label=\"w\\nparameter float32[3, 2]"), dot);
        assertTrue(dot.contains("|grad| = "), dot);
        assertTrue(dot.contains("constant float32[4, 3]"), dot);

        Tensor bad = Tensor.of(new float[] {-1, 1}, 2).requiresGrad(true);
        String nan = GraphExport.toDot(bad.log().sum());
        assertTrue(nan.contains("log float32[2]\\nNaN/Inf"), nan);
    }

    @Test
    void float64GraphsAreDrawnAsBefore() {
        Tensor w = Tensor.ones(3, 2).requiresGrad(true);
        String dot = GraphExport.toDot(Tensor.ones(4, 3).matmul(w).sum());
        assertTrue(dot.contains("label=\"matmul [4, 2]\""), dot);
        assertFalse(dot.contains("float"), dot);
        assertEquals(DType.FLOAT64, w.dtype());
    }
}
