package dev.adjoint.core.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every shape is checked where it is made: its element count, computed in {@code long}, must be at
 * most {@code Integer.MAX_VALUE - 8} (the longest {@code double[]} a JVM is sure to allocate), or
 * the op refuses it with an {@link IllegalArgumentException} that names the op and the shapes.
 * Before, a product's int arithmetic wrapped: a [65536, 65536] matrix of size 0, a negative array
 * size, a concatenation with a negative dimension, and factories and views that were accepted and
 * failed later with {@code OutOfMemoryError}. Nothing here allocates more than a few megabytes: the
 * shapes at the limit are broadcast views.
 */
class ShapeLimitTest {
    private static final int LIMIT = Integer.MAX_VALUE - 8;

    private static String refused(Executable call, String... parts) {
        String m = assertThrows(IllegalArgumentException.class, () -> {
            try {
                call.execute();
            } catch (OutOfMemoryError e) {
                // JUnit rethrows an OutOfMemoryError, which would end the whole run instead of this test
                fail("accepted, then failed with " + e);
            }
        }).getMessage();
        for (String part : parts) {
            assertTrue(m.contains(part), "\"" + m + "\" does not mention \"" + part + "\"");
        }
        return m;
    }

    @Test
    void aMatrixProductWhoseElementCountOverflowsIntIsRefused() {
        // 2^32 elements wrapped to an empty result of shape [65536, 65536]
        assertEquals("matmul: cannot multiply [65536, 1] by [1, 65536]: the product's shape [65536, 65536] has 4294967296"
                + " elements, more than the 2147483639 a Java array can hold",
                refused(() -> Tensor.zeros(65536, 1).matmul(Tensor.zeros(1, 65536))));
        refused(() -> Tensor.zeros(65536, 0).matmul(Tensor.zeros(0, 65536)), "matmul", "[65536, 65536]");
        // a negative array size: 2^31 and 46341^2 wrap below zero
        refused(() -> Tensor.zeros(65536, 1).matmul(Tensor.zeros(1, 32768)), "matmul", "[65536, 32768]", "2147483648");
        refused(() -> Tensor.zeros(46341, 1).matmul(Tensor.zeros(1, 46341)), "matmul", "[46341, 46341]", "2147488281");
        // batched, through the broadcast of the batch axes
        refused(() -> Tensor.zeros(2, 32768, 1).matmul(Tensor.zeros(1, 1, 65536)), "matmul", "[2, 32768, 1]", "[1, 1, 65536]",
                "[2, 32768, 65536]");
        refused(() -> Tensor.zeros(65536, 1, 1).matmul(Tensor.zeros(1, 1, 65536)), "matmul", "[65536, 1, 65536]");
        refused(() -> Tensor.zeros(65536, 1).affine(Tensor.zeros(1, 65536), Tensor.zeros(65536)), "affine", "[65536, 65536]");
    }

    @Test
    void aBatchedProductWhoseBroadcastOperandIsTooLargeIsRefused() {
        // the product [1024, 1024, 1] fits, but the left operand's gradient would be [1024, 1024, 2048]
        Tensor a = Tensor.ones(1, 1, 1).expand(1, 1024, 2048);
        Tensor b = Tensor.ones(1, 1, 1).expand(1024, 2048, 1);
        refused(() -> a.matmul(b), "matmul", "[1, 1024, 2048]", "[1024, 2048, 1]", "left operand", "[1024, 1024, 2048]");
    }

    @Test
    void aConcatenationLongerThanAnIntIsRefused() {
        // two empty tensors whose lengths add up past Integer.MAX_VALUE gave a negative dimension
        refused(() -> Tensor.concat(List.of(Tensor.zeros(Integer.MAX_VALUE, 0), Tensor.zeros(1, 0)), 0), "concat",
                "[2147483647, 0]", "[1, 0]", "2147483648");
        Tensor tall = Tensor.ones(1, 1).expand(LIMIT - 8, 1);
        refused(() -> Tensor.concat(List.of(tall, Tensor.zeros(9, 1)), 0), "concat", "[2147483640, 1]", "2147483640 elements");
        assertArrayEquals(new int[] {LIMIT, 0}, Tensor.concat(List.of(Tensor.zeros(LIMIT - 8, 0), Tensor.zeros(8, 0)), 0).shape());
        assertArrayEquals(new int[] {Integer.MAX_VALUE, 0},
                Tensor.concat(List.of(Tensor.zeros(Integer.MAX_VALUE - 1, 0), Tensor.zeros(1, 0)), 0).shape());
    }

    @Test
    void everyFactoryRefusesOneElementMoreThanTheLimit() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int[] shape : List.of(new int[] {Integer.MAX_VALUE}, new int[] {LIMIT + 1}, new int[] {8, 268_435_455})) {
            refused(() -> Tensor.zeros(shape), "zeros", "2147483639");
            refused(() -> Tensor.ones(shape), "ones", "2147483639");
            refused(() -> Tensor.full(1.5, shape), "full", "2147483639");
            refused(() -> Tensor.rand(rng, shape), "rand", "2147483639");
            refused(() -> Tensor.randn(rng, shape), "randn", "2147483639");
            refused(() -> Tensor.of(new double[0], shape), "of", "2147483639");
        }
    }

    @Test
    void aViewMayHaveAsManyElementsAsTheLimitButNotOneMore() {
        Tensor atLimit = Tensor.ones(1).expand(LIMIT);
        assertEquals(LIMIT, atLimit.size());
        Tensor matrix = Tensor.ones(1, 1).expand(7, 306_783_377);
        assertEquals(LIMIT, matrix.size());
        assertArrayEquals(new int[] {306_783_377, 7}, matrix.transpose().shape());
        assertEquals(6 * 306_783_377, matrix.narrow(0, 1, 6).size());
        refused(() -> Tensor.ones(1).expand(Integer.MAX_VALUE), "expand", "[2147483647]");
        refused(() -> Tensor.ones(1).expand(LIMIT + 1), "expand", "[2147483640]");
        refused(() -> Tensor.ones(1, 1).expand(8, 268_435_455), "expand", "[8, 268435455]");
    }

    @Test
    void aBroadcastTooLargeForAnArrayIsRefusedByTheOpThatAskedForIt() {
        assertEquals("add: cannot broadcast [65536, 1] with [1, 65536]: the broadcast shape [65536, 65536] has 4294967296"
                + " elements, more than the 2147483639 a Java array can hold",
                refused(() -> Tensor.zeros(65536, 1).add(Tensor.zeros(1, 65536))));
        refused(() -> Tensor.zeros(8, 1).mul(Tensor.ones(1, 1).expand(1, 268_435_455)), "mul", "[8, 268435455]", "2147483640");
    }

    @Test
    void sumToAShapeTooLargeForAnArrayIsRefused() {
        // an empty tensor summed down to a huge target used to allocate the target: OutOfMemoryError
        refused(() -> Tensor.zeros(0, LIMIT + 1).sumTo(1, LIMIT + 1), "sumTo", "[1, 2147483640]");
        refused(() -> Tensor.zeros(0, Integer.MAX_VALUE).sum(0, true), "[1, 2147483647]");
    }

    @Test
    void reshapeNarrowAndSelectCannotMakeATooLargeShape() {
        refused(() -> Tensor.zeros(6).reshape(65536, 65536, 65536, 65536), "reshape", "[65536, 65536, 65536, 65536]");
        refused(() -> Tensor.zeros(6).reshape(-1, 65536, 65536), "reshape", "[-1, 65536, 65536]");
        assertArrayEquals(new int[] {0, Integer.MAX_VALUE, Integer.MAX_VALUE},
                Tensor.zeros(0).reshape(-1, Integer.MAX_VALUE, Integer.MAX_VALUE).shape());
        refused(() -> Tensor.zeros(Integer.MAX_VALUE, 0).narrow(0, Integer.MAX_VALUE - 1, 2), "narrow", "2147483648");
        assertArrayEquals(new int[] {0}, Tensor.zeros(Integer.MAX_VALUE, 0).select(0, -1).shape());
    }
}
