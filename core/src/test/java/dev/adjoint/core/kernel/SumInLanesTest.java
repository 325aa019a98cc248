package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link ReduceKernels#sumInLanes} keeps its running sums in locals; it must give the bits of the
 * lane sums it documents: sixteen running sums in an array, finished by
 * {@link ReduceKernels#finishLanes} (which the vector kernel's sum shares), signed zeros and
 * non-finite values included; so must both math kernels' sums (the vector kernel's in the vectors of
 * the machine running the test: four 4-lane ones on AVX2, two 8-lane ones on AVX-512).
 */
class SumInLanesTest {

    /** The documented sum: element i to running sum i % 16, then the tail and the tree of finishLanes. */
    private static double reference(double[] a, int from, int n) {
        double[] s = new double[ReduceKernels.SUM_LANES];
        int i = 0;
        for (; i + ReduceKernels.SUM_LANES <= n; i += ReduceKernels.SUM_LANES) {
            for (int k = 0; k < ReduceKernels.SUM_LANES; k++) {
                s[k] += a[from + i + k];
            }
        }
        return ReduceKernels.finishLanes(s, a, from + i, n - i);
    }

    @Property(tries = 500)
    void theBitsOfTheLaneSums(@ForAll("values") double[] a, @ForAll @IntRange(min = 0, max = 3) int skip) {
        int from = Math.min(skip, a.length);
        int n = a.length - from;
        long expected = Double.doubleToLongBits(reference(a, from, n));
        assertEquals(expected, Double.doubleToLongBits(ReduceKernels.sumInLanes(a, from, n)),
                () -> java.util.Arrays.toString(a) + " from " + from);
        // the kernels' sums, the vector one's in vectors of its width (4 lanes on AVX2, 8 on AVX-512)
        for (MathKernel k : MathKernelTest.kernels()) {
            assertEquals(expected, Double.doubleToLongBits(k.sum(a, from, n)),
                    () -> k.description() + ": " + java.util.Arrays.toString(a) + " from " + from);
        }
    }

    @Provide
    Arbitrary<double[]> values() {
        Arbitrary<Double> special = Arbitraries.of(-0.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.MIN_VALUE, -Double.MIN_VALUE, 1e308, -1e308);
        Arbitrary<Double> element = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.doubles().between(-1e6, 1e6)), net.jqwik.api.Tuple.of(1, special));
        return element.array(double[].class).ofMinSize(0).ofMaxSize(70);
    }
}
