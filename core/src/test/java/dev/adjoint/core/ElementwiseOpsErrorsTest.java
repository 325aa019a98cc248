package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Malformed input to the elementwise family and the range factories fails fast, naming what was wrong. */
class ElementwiseOpsErrorsTest {

    private static String message(Executable call) {
        return assertThrows(IllegalArgumentException.class, call).getMessage();
    }

    @Test
    void broadcastMismatchesNameTheOpAndBothShapes() {
        Tensor a = Tensor.zeros(2, 3);
        Tensor b = Tensor.zeros(4);
        assertEquals("maximum: cannot broadcast [2, 3] with [4]", message(() -> a.maximum(b)));
        assertEquals("minimum: cannot broadcast [2, 3] with [4]", message(() -> a.minimum(b)));
        assertEquals("pow: cannot broadcast [2, 3] with [4]", message(() -> a.pow(b)));
        assertEquals("gt: cannot broadcast [2, 3] with [4]", message(() -> a.gt(b)));
        assertEquals("eq: cannot broadcast [2, 3] with [4]", message(() -> a.eq(b)));
        assertEquals("where: cannot broadcast condition [2, 3], a [2, 3] and b [4]", message(() -> Tensor.where(a, a, b)));
        assertEquals("where: cannot broadcast condition [4], a [2, 3] and b [2, 3]", message(() -> Tensor.where(b, a, a)));
    }

    @Test
    void nullOperandsAreNamed() {
        Tensor a = Tensor.zeros(2);
        assertEquals("maximum: other tensor is null", message(() -> a.maximum(null)));
        assertEquals("pow: other tensor is null", message(() -> a.pow((Tensor) null)));
        assertEquals("lt: other tensor is null", message(() -> a.lt(null)));
        assertEquals("where: condition is null", message(() -> Tensor.where(null, a, a)));
        assertEquals("where: b is null", message(() -> Tensor.where(a, a, null)));
        assertEquals("of: data is null", message(() -> Tensor.of((double[]) null)));
        assertEquals("of: rows is null", message(() -> Tensor.of((double[][]) null)));
    }

    @Test
    void raggedRowsNameTheRowAndBothLengths() {
        assertEquals("of: row 2 has 1 values but row 0 has 3 (rows must have equal lengths)",
                message(() -> Tensor.of(new double[][] {{1, 2, 3}, {4, 5, 6}, {7}})));
        assertEquals("of: row 1 is null", message(() -> Tensor.of(new double[][] {{1}, null})));
    }

    @Test
    void arangeNamesTheValues() {
        assertEquals("arange: step must not be 0 (start 0.0, end 1.0, step 0.0)", message(() -> Tensor.arange(0, 1, 0)));
        assertEquals("arange: step has the wrong sign for the range (start 0.0, end 1.0, step -0.5)", message(() -> Tensor.arange(0, 1, -0.5)));
        assertEquals("arange: step has the wrong sign for the range (start 3.0, end 1.0, step 1.0)", message(() -> Tensor.arange(3, 1, 1)));
        assertEquals("arange: arguments must be finite (start 0.0, end Infinity, step 1.0)",
                message(() -> Tensor.arange(0, Double.POSITIVE_INFINITY, 1)));
        assertEquals("arange: arguments must be finite (start NaN, end 1.0, step 1.0)", message(() -> Tensor.arange(Double.NaN, 1, 1)));
        assertTrue(message(() -> Tensor.arange(0, 1e300, 1)).startsWith("arange: 1.0E300 elements exceed the limit of 2147483639"));
    }

    @Test
    void badCountsAndSlopes() {
        assertEquals("linspace: count must be non-negative, got -1", message(() -> Tensor.linspace(0, 1, -1)));
        assertEquals("eye: negative dimension -2 in shape [-2, -2]", message(() -> Tensor.eye(-2)));
        assertTrue(message(() -> Tensor.eye(100_000)).startsWith("eye: "));
        assertEquals("leakyRelu: slope must be finite, got NaN", message(() -> Tensor.zeros(2).leakyRelu(Double.NaN)));
    }
}
