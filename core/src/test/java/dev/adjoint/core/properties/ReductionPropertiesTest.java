package dev.adjoint.core.properties;

import static dev.adjoint.core.properties.OpGradientPropertiesTest.assertGradients;
import static dev.adjoint.core.properties.OpGradientPropertiesTest.bend;

import dev.adjoint.core.Tensor;
import dev.adjoint.core.properties.TensorArbitraries.Domain;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The reductions added to {@link OpGradientPropertiesTest}'s: whole-tensor extremes and
 * log-sum-exp, the minimum along an axis, variance and standard deviation, products (with zeros
 * too), cumulative sums and the norm, first and second order through GradCheck. Ties of max and
 * min are kinks, so their properties draw distinct values (ties are pinned by exact unit tests in
 * ReductionsAndIndexingTest).
 */
class ReductionPropertiesTest {

    /**
     * x with element i moved by {@code i * 3.17e-4}: the generator draws values on a grid of 0.01,
     * so ties are common, and a tie at the extreme (or a constant slice of std) is a kink that no
     * finite difference can check.
     */
    private static Tensor untied(Tensor x) {
        double[] v = x.toArray();
        for (int i = 0; i < v.length; i++) {
            v[i] += i * 3.17e-4;
        }
        return Tensor.of(v, x.shape()).requiresGrad(true);
    }

    @Property
    @Covers({"max()", "min()"})
    void wholeExtremes(@ForAll("any") Tensor x) {
        Tensor u = untied(x);
        assertGradients(in -> bend(in.get(0).max()), u);
        assertGradients(in -> bend(in.get(0).min()), u);
    }

    @Property
    @Covers("min(int,boolean)")
    void minAlongAnAxis(@ForAll("axisCases") AxisCase c) {
        assertGradients(in -> bend(in.get(0).min(c.axis(), c.keepDim())), untied(c.x()));
    }

    @Property
    @Covers("logSumExp()")
    void wholeLogSumExp(@ForAll("any") Tensor x) {
        // one element: log(exp(x)) = x, linear
        assertGradients(in -> bend(in.get(0).logSumExp()), x);
    }

    @Property
    @Covers({"var(int,boolean)", "std(int,boolean)"})
    void spread(@ForAll("statisticsCases") AxisCase c) {
        // a constant slice (equal draws) has std 0, a kink
        Tensor x = untied(c.x());
        assertGradients(in -> in.get(0).var(c.axis(), c.keepDim()), x);
        assertGradients(in -> in.get(0).std(c.axis(), c.keepDim()), x);
    }

    @Property
    @Covers("cumsum(int)")
    void cumsum(@ForAll("axisCases") AxisCase c) {
        assertGradients(in -> bend(in.get(0).cumsum(c.axis())), c.x());
    }

    @Property
    @Covers("prod(int,boolean)")
    void prod(@ForAll("axisCases") AxisCase c, @ForAll("seeds") long seed) {
        assertGradients(in -> bend(in.get(0).prod(c.axis(), c.keepDim())), c.x());
        // zeros in the slices: one or more per slice; prod is a polynomial, so differences still work
        double[] v = c.x().toArray();
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < v.length; i++) {
            if (rng.nextInt(3) == 0) {
                v[i] = 0;
            }
        }
        Tensor zeros = Tensor.of(v, c.x().shape()).requiresGrad(true);
        assertGradients(in -> bend(in.get(0).prod(c.axis(), c.keepDim())), true, zeros);
    }

    @Property
    @Covers("norm()")
    void norm(@ForAll("any") Tensor x) {
        assertGradients(in -> bend(in.get(0).norm()), x);
    }

    // ---------------------------------------------------------------- generators


    @Provide
    Arbitrary<Tensor> any() {
        return TensorArbitraries.tensors(0, 3, Domain.ANY);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Provide
    Arbitrary<AxisCase> axisCases() {
        return AxisCase.arbitrary();
    }

    /** As axisCases, with at least two elements along the axis (one element has no variance: NaN). */
    @Provide
    Arbitrary<AxisCase> statisticsCases() {
        return TensorArbitraries.shapes(1, 3).flatMap(s -> Combinators.combine(
                Arbitraries.integers().between(-s.length, s.length - 1), Arbitraries.of(true, false), Arbitraries.integers().between(2, 4))
                .as((axis, keep, n) -> {
                    int[] shape = s.clone();
                    shape[axis < 0 ? axis + shape.length : axis] = n;
                    return new Object[] {shape, axis, keep};
                }))
                .flatMap(p -> TensorArbitraries.tensors((int[]) p[0], Domain.ANY).map(x -> new AxisCase(x, (Integer) p[1], (Boolean) p[2])));
    }
}
