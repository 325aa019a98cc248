package dev.adjoint.core.properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.properties.TensorArbitraries.Domain;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The dtype conversion's derivatives, checked exactly: finite differences through a rounding to
 * float32 measure the rounding, not the derivative, so the numerical checker does not apply. The
 * conversion is linear with derivative 1 (rounded), so its gradient is the output gradient converted
 * back, its tangent is the input tangent converted, and both are exact.
 */
class Float32PropertiesTest {

    @Property
    @Covers("to(DType)")
    void conversionPassesGradientsAndTangentsThroughConverted(@ForAll("any") Tensor x, @ForAll("seeds") long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor c = Tensor.randn(DType.FLOAT32, r, x.shape());
        Tensor gx = Autograd.grad(x.to(DType.FLOAT32), c, List.of(x), false).get(0);
        assertEquals(DType.FLOAT64, gx.dtype());
        assertArrayEquals(c.toArray(), gx.toArray());

        // second order: the gradient, recorded, is itself a conversion of c, differentiable in c
        Tensor c64 = Tensor.randn(r, x.shape()).requiresGrad(true);
        Tensor x32 = x.to(DType.FLOAT32).detach().requiresGrad(true);
        Tensor g = Autograd.grad(x32.to(DType.FLOAT64), c64, List.of(x32), true).get(0);
        assertEquals(DType.FLOAT32, g.dtype());
        assertArrayEquals(c64.toFloatArray(), g.toFloatArray());
        Tensor w = Tensor.randn(DType.FLOAT32, r, x.shape());
        Tensor gc = Autograd.grad(g.mul(w).sum(), List.of(c64), false).get(0);
        assertArrayEquals(w.toArray(), gc.toArray());

        Tensor t = Tensor.randn(r, x.shape());
        Autograd.Jvp j = Autograd.jvp(in -> in.to(DType.FLOAT32), x, t);
        assertEquals(DType.FLOAT32, j.tangent().dtype());
        assertArrayEquals(t.toFloatArray(), j.tangent().toFloatArray());
        assertArrayEquals(x.toFloatArray(), j.value().toFloatArray());
    }

    @Provide
    Arbitrary<Tensor> any() {
        return TensorArbitraries.tensors(0, 3, Domain.ANY);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return net.jqwik.api.Arbitraries.longs();
    }
}
