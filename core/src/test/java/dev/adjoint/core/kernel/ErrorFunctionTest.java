package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * erf's and gelu's kernels: the math kernels' float64 erf and gelu's (and silu's) backward against
 * the scalar functions, to the bit, and {@link ErrorFunction#normalCdf}, which float32 gelu rounds (erf itself
 * is held to mpmath by ElementwiseOpsTest).
 */
class ErrorFunctionTest {
    /** erf's and gelu's arguments: mostly where erf is not +-1, both branches, their edges, and the special values. */
    private static double[] erfInput(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] edges = {1.0, Math.nextDown(1.0), 6.0, Math.nextDown(6.0), 5.93, Double.MIN_VALUE, 3.0};
        double[] a = new double[n + 5];
        for (int i = 0; i < a.length; i++) {
            int pick = rng.nextInt(8);
            double v = pick == 0 ? MathKernelTest.SPECIAL[rng.nextInt(MathKernelTest.SPECIAL.length)] : pick == 1 ? edges[rng.nextInt(edges.length)] : rng.nextDouble(0, 7);
            a[i] = rng.nextBoolean() ? v : -v;
        }
        return a;
    }

    @ParameterizedTest
    @MethodSource("dev.adjoint.core.kernel.MathKernelTest#kernels")
    void erfAndGelusBackwardAreTheScalarFunctionsToTheBit(MathKernel k) {
        // NaNs compare as one (Java leaves a NaN's sign and payload open, and x86 sets the sign of inf * 0)
        for (int n : new int[] {0, 1, 3, 4, 5, 63, 64, 65, 70, 511, 512, 513, 1500}) {
            double[] a = erfInput(n, n);
            double[] g = erfInput(n, n + 1000);
            double[] r = new double[n + 4];
            r[0] = 42;
            r[n + 3] = 43;
            k.erf(a, 3, r, 2, n);
            assertEquals(42, r[0], "erf wrote before its range");
            assertEquals(43, r[n + 3], "erf wrote after its range");
            for (int i = 0; i < n; i++) {
                assertEquals(Double.doubleToLongBits(ErrorFunction.erf(a[3 + i])), Double.doubleToLongBits(r[2 + i]), k + " erf(" + a[3 + i] + ")");
            }
            k.siluGrad(g, 1, a, 3, r, 2, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Double.doubleToLongBits(Elementwise.siluGrad(g[1 + i], a[3 + i])), Double.doubleToLongBits(r[2 + i]),
                        k + " siluGrad(" + g[1 + i] + ", " + a[3 + i] + ")");
            }
            double[] siluInPlace = g.clone();
            k.siluGrad(siluInPlace, 1, a, 3, siluInPlace, 1, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Double.doubleToLongBits(Elementwise.siluGrad(g[1 + i], a[3 + i])), Double.doubleToLongBits(siluInPlace[1 + i]), "siluGrad in place");
            }
            k.geluGrad(g, 1, a, 3, r, 2, n);
            assertEquals(42, r[0], "geluGrad wrote before its range");
            assertEquals(43, r[n + 3], "geluGrad wrote after its range");
            for (int i = 0; i < n; i++) {
                assertEquals(Double.doubleToLongBits(Elementwise.geluGrad(g[1 + i], a[3 + i])), Double.doubleToLongBits(r[2 + i]),
                        k + " geluGrad(" + g[1 + i] + ", " + a[3 + i] + ")");
            }
            // in place: r is the argument (erf), the gradient or the input (geluGrad)
            double[] inPlace = a.clone();
            k.erf(inPlace, 3, inPlace, 3, n);
            double[] onGradient = g.clone();
            k.geluGrad(onGradient, 3, a, 3, onGradient, 3, n);
            double[] onInput = a.clone();
            k.geluGrad(g, 3, onInput, 3, onInput, 3, n);
            for (int i = 3; i < n + 3; i++) {
                assertEquals(Double.doubleToLongBits(ErrorFunction.erf(a[i])), Double.doubleToLongBits(inPlace[i]), "erf in place");
                double expected = Elementwise.geluGrad(g[i], a[i]);
                assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(onGradient[i]), "geluGrad into g");
                assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(onInput[i]), "geluGrad into x");
            }
        }
    }

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
