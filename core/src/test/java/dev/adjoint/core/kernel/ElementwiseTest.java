package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The branch-free scalar forms (relu's backward mask, the sign-selected sigmoid) against their
 * plain definitions, on special values and on many random ones.
 */
class ElementwiseTest {
    private static final double[] SPECIAL = {
        0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, 1.0, -1.0, 1e-300, -1e-300, 36.0, -36.0, 710.0, -710.0,
        Double.MAX_VALUE, -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN,
        Double.longBitsToDouble(0xFFF8000000000000L) /* a negative NaN */};

    private static double plainReluGrad(double g, double x) {
        return x > 0 ? g : 0.0;
    }

    private static double plainSigmoid(double v) {
        if (v >= 0) {
            return 1.0 / (1.0 + Math.exp(-v));
        }
        double e = Math.exp(v);
        return e / (1.0 + e);
    }

    @Test
    void reluGradPassesTheGradientExactlyWherePositive() {
        for (double x : SPECIAL) {
            for (double g : new double[] {2.5, -3.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY}) {
                assertEquals(Double.doubleToLongBits(plainReluGrad(g, x)), Double.doubleToLongBits(Elementwise.reluGrad(g, x)),
                        "g=" + g + " x=" + x);
            }
        }
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 100_000; i++) {
            double x = Double.longBitsToDouble(rng.nextLong());
            double g = rng.nextDouble(-5, 5);
            assertEquals(Double.doubleToLongBits(plainReluGrad(g, x)), Double.doubleToLongBits(Elementwise.reluGrad(g, x)),
                    "g=" + g + " x=" + x);
        }
    }

    @Test
    void sigmoidMatchesTheTwoSidedFormulaToAnUlp() {
        for (double v : SPECIAL) {
            double expected = plainSigmoid(v);
            double actual = Elementwise.sigmoid(v);
            if (Double.isNaN(expected)) {
                assertEquals(Double.NaN, actual, "v=" + v);
            } else {
                assertEquals(expected, actual, Math.ulp(expected), "v=" + v);
            }
        }
        SplittableRandom rng = new SplittableRandom(2);
        for (int i = 0; i < 100_000; i++) {
            double v = rng.nextDouble(-50, 50);
            assertEquals(plainSigmoid(v), Elementwise.sigmoid(v), 2 * Math.ulp(plainSigmoid(v)), "v=" + v);
        }
    }

    @Test
    void reluMapKeepsNaNAndZeroesNegatives() {
        NDArray x = NDArray.of(new double[] {-2, -0.0, 0, 3, Double.NaN, Double.NEGATIVE_INFINITY}, new int[] {6});
        double[] r = Elementwise.map(Elementwise.Unary.RELU, x).toArray();
        assertEquals(0.0, r[0]);
        assertEquals(0.0, r[1], 0.0);
        assertEquals(0.0, r[2]);
        assertEquals(3.0, r[3]);
        assertEquals(Double.NaN, r[4]);
        assertEquals(0.0, r[5]);
    }
}
