package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScheduleAndClippingTest {
    private static final double TOL = 1e-15;

    @Test
    void stepSchedule() {
        LearningRateSchedule s = LearningRateSchedule.step(3, 0.5);
        double[] expected = {1, 1, 1, 0.5, 0.5, 0.5, 0.25};
        for (int e = 0; e < expected.length; e++) {
            assertEquals(expected[e], s.rate(1.0, e), TOL);
        }
    }

    @Test
    void exponentialSchedule() {
        LearningRateSchedule s = LearningRateSchedule.exponential(0.9);
        assertEquals(0.1, s.rate(0.1, 0), TOL);
        assertEquals(0.1 * 0.9 * 0.9 * 0.9, s.rate(0.1, 3), TOL);
    }

    @Test
    void cosineScheduleAnnealsToTheMinimumAndStays() {
        LearningRateSchedule s = LearningRateSchedule.cosine(10, 0.01);
        assertEquals(0.1, s.rate(0.1, 0), TOL);
        assertEquals(0.01 + 0.09 * 0.5, s.rate(0.1, 5), TOL);
        assertEquals(0.01 + 0.09 * (1 + Math.cos(Math.PI * 3 / 10)) / 2, s.rate(0.1, 3), TOL);
        assertEquals(0.01, s.rate(0.1, 10), TOL);
        assertEquals(0.01, s.rate(0.1, 25), TOL);
    }

    @Test
    void applySetsTheOptimizersRate() {
        SGD sgd = new SGD(List.of(Tensor.zeros(1).requiresGrad(true)), 0.2);
        LearningRateSchedule.step(1, 0.5).apply(sgd, 0.2, 2);
        assertEquals(0.05, sgd.learningRate(), TOL);
        assertEquals(0.3, LearningRateSchedule.constant().rate(0.3, 99));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.step(0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.exponential(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(0, 0));
    }

    @Test
    void clippingScalesAllGradientsByOneGlobalFactor() {
        Tensor a = Tensor.of(new double[] {1, 1}, 2).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {1}, 1).requiresGrad(true);
        Tensor none = Tensor.zeros(3).requiresGrad(true);
        a.mul(Tensor.of(new double[] {3, 0}, 2)).sum().add(b.mul(4.0).sum()).backward();
        // gradients [3, 0] and [4]: global norm 5
        double norm = GradientClipping.clipByGlobalNorm(List.of(a, b, none), 1.0);
        assertEquals(5.0, norm, TOL);
        double c = 1.0 / (5.0 + 1e-6);
        assertArrayEquals(new double[] {3 * c, 0}, a.grad().toArray(), TOL);
        assertArrayEquals(new double[] {4 * c}, b.grad().toArray(), TOL);
        // below the threshold nothing changes
        assertEquals(1.0, GradientClipping.clipByGlobalNorm(List.of(a, b), 2.0), 1e-6);
        assertArrayEquals(new double[] {4 * c}, b.grad().toArray(), TOL);
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipByGlobalNorm(List.of(a), 0));
    }

    @Test
    void clippingRefusesNonFiniteGradients() {
        Tensor a = Tensor.of(new double[] {0}, 1).requiresGrad(true);
        a.log().sum().backward();
        assertThrows(ArithmeticException.class, () -> GradientClipping.clipByGlobalNorm(List.of(a), 1.0));
    }

    private static Tensor withGradient(double... gradient) {
        Tensor p = Tensor.zeros(gradient.length).requiresGrad(true);
        p.mul(Tensor.of(gradient, gradient.length)).sum().backward();
        return p;
    }

    @Test
    void clippingGradientsOf1e155GivesTheClippedValuesWithoutOverflow() {
        Tensor a = withGradient(3e155, 0);
        Tensor b = withGradient(-4e155);
        double norm = GradientClipping.clipByGlobalNorm(List.of(a, b), 1.0);
        assertEquals(5e155, norm, 5e155 * 1e-15);
        assertArrayEquals(new double[] {0.6, 0}, a.grad().toArray(), 1e-15);
        assertArrayEquals(new double[] {-0.8}, b.grad().toArray(), 1e-15);
    }

    @Test
    void theGlobalNormIsExactFromTheSmallestToTheLargestMagnitudesAndNonFiniteOnlyForNonFiniteGradients() {
        assertEquals(5e-170, GradientClipping.globalNorm(List.of(withGradient(3e-170), withGradient(4e-170))), 5e-170 * 1e-15);
        assertEquals(5e300, GradientClipping.globalNorm(List.of(withGradient(3e300, 4e300))), 5e300 * 1e-15);
        assertEquals(Double.MIN_VALUE, GradientClipping.globalNorm(List.of(withGradient(Double.MIN_VALUE, 0))));
        assertEquals(Math.sqrt(2) * (Double.MAX_VALUE / 2),
                GradientClipping.globalNorm(List.of(withGradient(Double.MAX_VALUE / 2), withGradient(Double.MAX_VALUE / 2))),
                Double.MAX_VALUE * 1e-15);
        assertEquals(0.0, GradientClipping.globalNorm(List.of(withGradient(0, 0), Tensor.zeros(2).requiresGrad(true))));
        assertEquals(Double.POSITIVE_INFINITY, GradientClipping.globalNorm(List.of(withGradient(1, Double.NEGATIVE_INFINITY))));
        assertTrue(Double.isNaN(GradientClipping.globalNorm(List.of(withGradient(Double.POSITIVE_INFINITY), withGradient(Double.NaN)))));
        assertTrue(Double.isNaN(GradientClipping.globalNorm(List.of(withGradient(1e300, Double.NaN)))));
        ArithmeticException e = assertThrows(ArithmeticException.class,
                () -> GradientClipping.clipByGlobalNorm(List.of(withGradient(1), withGradient(2, Double.NaN)), 1.0));
        assertTrue(e.getMessage().contains("parameter 1") && e.getMessage().contains("index 1"), e.getMessage());
    }
}
