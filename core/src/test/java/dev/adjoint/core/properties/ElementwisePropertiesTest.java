package dev.adjoint.core.properties;

import static dev.adjoint.core.properties.OpGradientPropertiesTest.assertGradients;
import static dev.adjoint.core.properties.OpGradientPropertiesTest.bend;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.core.Tensor;
import dev.adjoint.core.properties.TensorArbitraries.Domain;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * First- and second-order gradients of the elementwise family added with the comparisons: where,
 * maximum, minimum, pow with a tensor exponent, erf, gelu, silu and leakyRelu. The comparisons
 * themselves are not differentiable (OpCoverageTest lists them as such).
 */
class ElementwisePropertiesTest {

    @Property
    @Covers("where(Tensor,Tensor,Tensor)")
    void where(@ForAll("triples") Tensor[] t) {
        // the condition is a 0/1 mask of its own shape (from a comparison), so all three broadcast
        Tensor condition = t[0].gt(0);
        assertGradients(in -> Tensor.where(condition, in.get(0), in.get(1)).mul(in.get(0)), t[1], t[2]);
    }

    @Property
    @Covers({"maximum(Tensor)", "minimum(Tensor)"})
    void extrema(@ForAll("pairs") Tensor[] p) {
        // no ties: maximum has a kink where the operands meet (tie splitting has its own exact test)
        // weighted by x^2 + 1, the derivative with respect to the selected operand is at least 1
        // wherever it is selected, so the check is never vacuous: with a plain x a separated operand
        // can land on 0 (0.3 and 0.2 become 0.3 and 0.0), and then no derivative is left
        Tensor[] apart = apart(p);
        assertGradients(in -> in.get(0).maximum(in.get(1)).mul(nowhereFlat(in.get(0))), apart);
        assertGradients(in -> in.get(0).minimum(in.get(1)).mul(nowhereFlat(in.get(1))), apart);
    }

    @Example
    void extremaWhereSeparationLandsOnZero() {
        // the sample that made CI's run vacuous: minimum(0.3, 0.0) * 0.0 had no derivative at all
        Tensor[] p = apart(new Tensor[] {Tensor.scalar(0.3).requiresGrad(true), Tensor.scalar(0.2).requiresGrad(true)});
        assertEquals(0.0, p[1].item(), 1e-15);
        extrema(p);
    }

    /** {@code x^2 + 1}: {@code x (x^2 + 1)} has slope {@code 3x^2 + 1 >= 1}, and {@code c (x^2 + 1)} has {@code x^2 + 1 >= 1} in c. */
    private static Tensor nowhereFlat(Tensor x) {
        return x.mul(x).add(1);
    }

    @Property
    @Covers("pow(Tensor)")
    void powWithATensorExponent(@ForAll("powerPairs") Tensor[] p) {
        assertGradients(in -> in.get(0).pow(in.get(1)), p);
    }

    @Property
    @Covers({"erf()", "gelu()", "silu()"})
    void smoothActivations(@ForAll("any") Tensor x) {
        assertGradients(in -> in.get(0).erf(), x);
        assertGradients(in -> in.get(0).gelu(), x);
        assertGradients(in -> in.get(0).silu(), x);
    }

    @Property
    @Covers("leakyRelu(double)")
    void leakyRelu(@ForAll("awayFromZero") Tensor x, @ForAll("slopes") double slope) {
        assertGradients(in -> bend(in.get(0).leakyRelu(slope)), x);
    }

    /** The pair with the second operand moved 0.25 away from the first wherever they come closer. */
    private static Tensor[] apart(Tensor[] p) {
        int[] shape = TensorArbitraries.broadcast(p[0].shape(), p[1].shape());
        double[] a = p[0].expand(shape).toArray();
        double[] b = p[1].expand(shape).toArray();
        boolean close = false;
        for (int i = 0; i < a.length; i++) {
            close |= Math.abs(a[i] - b[i]) < 0.25;
        }
        if (!close) {
            return p;
        }
        // broadcasting repeats values, so make both full-size and separate them element by element
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(a[i] - b[i]) < 0.25) {
                b[i] = a[i] + (b[i] >= a[i] ? 0.25 : -0.25) + 0.5 * (b[i] - a[i]);
            }
        }
        return new Tensor[] {Tensor.of(a, shape).requiresGrad(true), Tensor.of(b, shape).requiresGrad(true)};
    }

    @Provide
    Arbitrary<Tensor> any() {
        return TensorArbitraries.tensors(0, 3, Domain.ANY);
    }

    @Provide
    Arbitrary<Tensor> awayFromZero() {
        return TensorArbitraries.tensors(0, 3, Domain.AWAY_FROM_ZERO);
    }

    @Provide
    Arbitrary<Tensor[]> pairs() {
        return TensorArbitraries.broadcastPairs(Domain.ANY, Domain.ANY);
    }

    @Provide
    Arbitrary<Tensor[]> powerPairs() {
        return TensorArbitraries.broadcastPairs(Domain.POSITIVE, Domain.ANY);
    }

    @Provide
    Arbitrary<Tensor[]> triples() {
        return Combinators.combine(TensorArbitraries.broadcastShapes(), TensorArbitraries.shapes(0, 2))
                .flatAs((p, extra) -> {
                    // the condition's shape is a suffix of the broadcast of the other two, or all 1s
                    int[] full = TensorArbitraries.broadcast(p[0], p[1]);
                    int[] c = Arrays.copyOfRange(full, Math.max(0, full.length - extra.length), full.length);
                    return Combinators.combine(TensorArbitraries.tensors(c, Domain.ANY), TensorArbitraries.tensors(p[0], Domain.ANY),
                            TensorArbitraries.tensors(p[1], Domain.ANY)).as((x, y, z) -> new Tensor[] {x, y, z});
                });
    }

    @Provide
    Arbitrary<Double> slopes() {
        return Arbitraries.of(0.01, 0.2, -0.5, 1.5);
    }
}
