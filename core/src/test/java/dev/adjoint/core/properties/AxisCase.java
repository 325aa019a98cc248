package dev.adjoint.core.properties;

import dev.adjoint.core.Tensor;
import dev.adjoint.core.properties.TensorArbitraries.Domain;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** A tensor of rank at least 1, an axis of it (possibly negative) and a keepDim flag. */
record AxisCase(Tensor x, int axis, boolean keepDim) {

    /** Tensors of rank 1 to 3 with any axis of them. */
    static Arbitrary<AxisCase> arbitrary() {
        return TensorArbitraries.tensors(1, 3, Domain.ANY).flatMap(x -> Combinators.combine(
                Arbitraries.integers().between(-x.rank(), x.rank() - 1), Arbitraries.of(true, false))
                .as((axis, keep) -> new AxisCase(x, axis, keep)));
    }
}
