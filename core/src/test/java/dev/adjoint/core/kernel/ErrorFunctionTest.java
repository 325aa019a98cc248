package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link ErrorFunction#normalCdf}, which float32 gelu rounds; erf itself is held to mpmath by ElementwiseOpsTest. */
class ErrorFunctionTest {
    @Test
    void theNormalDistributionFunctionKeepsItsPrecisionFarOut() {
        // {x, Phi(x)} from mpmath at 40 digits; 1 + erf would leave no digit below about -8 in float64
        double[][] table = {{-14, 7.7935368191928e-45}, {-12.7, 2.95648536485205e-37}, {-10, 7.619853024160525e-24},
            {-8.5, 9.479534822203318e-18}, {-8.4, 2.2323931972880437e-17}, {-6, 9.86587645037698e-10},
            {-3, 0.0013498980316300946}, {-1.5, 0.06680720126885807}, {-1.4, 0.08075665923377107},
            {-0.5, 0.3085375387259869}, {-0.001, 0.49960105778608893}, {0.5, 0.6914624612740131},
            {2, 0.9772498680518208}, {9, 1.0}, {-40, 0.0}};
        for (double[] row : table) {
            double actual = ErrorFunction.normalCdf(row[0]);
            assertEquals(row[1], actual, 1e-12 * row[1], "Phi(" + row[0] + ")");
        }
        assertTrue(Double.isNaN(ErrorFunction.normalCdf(Double.NaN)));
        assertEquals(0.0, ErrorFunction.normalCdf(Double.NEGATIVE_INFINITY));
        assertEquals(1.0, ErrorFunction.normalCdf(Double.POSITIVE_INFINITY));
    }
}
