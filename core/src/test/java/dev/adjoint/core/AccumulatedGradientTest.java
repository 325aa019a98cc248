package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A tensor makes its {@link AccumulatedGradient} only when a backward pass accumulates into it:
 * the intermediates of a step, and leaves that are read, reset or printed but never reached, carry
 * none.
 */
class AccumulatedGradientTest {

    @Test
    void onlyTensorsThatReceiveAGradientMakeOne() {
        Tensor x = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor unused = Tensor.of(new double[] {4, 5}, 2).requiresGrad(true);
        Tensor constant = Tensor.of(new double[] {1, 1, 1}, 3);
        Tensor product = x.mul(x).mul(constant);
        Tensor retained = product.mul(constant).retainGrad();
        Tensor loss = retained.sum();

        assertNull(unused.grad());
        unused.zeroGrad();
        unused.toString();
        loss.backward();

        assertArrayEquals(new double[] {2, 4, 6}, x.grad().toArray());
        assertNotNull(x.accumulatedGradient());
        assertNotNull(retained.accumulatedGradient(), "a retaining interior tensor keeps its gradient there too");
        assertNull(unused.accumulatedGradient());
        assertNull(constant.accumulatedGradient());
        assertNull(product.accumulatedGradient());
        assertNull(loss.accumulatedGradient());
    }

    @Test
    void aLeafKeepsOneAcrossResets() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        x.mul(x).sum().backward();
        AccumulatedGradient first = x.accumulatedGradient();
        Tensor buffer = x.grad();
        x.zeroGrad();
        x.mul(x).sum().backward();
        assertSame(first, x.accumulatedGradient());
        assertSame(buffer, x.grad(), "the buffer is reused");
        assertArrayEquals(new double[] {2, 4}, x.grad().toArray());
    }

    @Test
    void autogradGradAccumulatesNothing() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Autograd.grad(x.mul(x).sum(), List.of(x), false);
        assertNull(x.accumulatedGradient());
        assertNull(x.grad());
    }
}
