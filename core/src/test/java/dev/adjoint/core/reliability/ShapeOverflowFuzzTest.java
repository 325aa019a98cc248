package dev.adjoint.core.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Shapes whose element count does not fit a Java array must be refused, whatever the arithmetic
 * does on the way: a product of dimensions that overflows {@code int} or even {@code long} (four
 * dimensions of 65,536 multiply to 2^64, which wraps to 0) must not turn into a small or empty
 * tensor that claims a huge shape. Every shape is either refused with
 * {@link IllegalArgumentException} or gives a tensor whose {@code size()} is the exact product.
 *
 * <p>Only shapes with an exact product of at most 4,096 or beyond {@code Integer.MAX_VALUE} are
 * generated, so an accepted shape never allocates much.
 */
class ShapeOverflowFuzzTest {
    private static final BigInteger LIMIT = BigInteger.valueOf(Integer.MAX_VALUE);

    @Provide
    Arbitrary<int[]> shapes() {
        return Arbitraries.of(0, 1, 2, 3, 7, 46_341, 65_536, 1 << 20, 1 << 30, Integer.MAX_VALUE)
                .array(int[].class).ofMinSize(0).ofMaxSize(6)
                .filter(s -> {
                    BigInteger n = product(s);
                    return n.compareTo(BigInteger.valueOf(4096)) <= 0 || n.compareTo(LIMIT) > 0;
                });
    }

    @Provide
    Arbitrary<String> ops() {
        return Arbitraries.of("zeros", "full", "rand", "expand", "reshape", "of");
    }

    private static BigInteger product(int[] shape) {
        BigInteger n = BigInteger.ONE;
        for (int d : shape) {
            n = n.multiply(BigInteger.valueOf(d));
        }
        return n;
    }

    @Property(tries = 1500)
    void aShapeIsEitherRefusedOrHasExactlyTheProductOfItsDimensions(@ForAll("ops") String op, @ForAll("shapes") int[] shape) {
        BigInteger exact = product(shape);
        boolean fits = exact.compareTo(LIMIT) <= 0;
        Tensor t;
        try {
            t = switch (op) {
                case "zeros" -> Tensor.zeros(shape);
                case "full" -> Tensor.full(2.5, shape);
                case "rand" -> Tensor.rand(new SplittableRandom(1), shape);
                case "expand" -> Tensor.ones(1).expand(shape);
                case "reshape" -> Tensor.zeros(fits ? exact.intValueExact() : 0).reshape(shape);
                default -> Tensor.of(new double[0], shape);
            };
        } catch (IllegalArgumentException e) {
            assertTrue(!fits || op.equals("of") && exact.signum() != 0 || op.equals("expand") && shape.length == 0,
                    op + " " + Arrays.toString(shape) + " (" + exact + " elements) was refused: " + e.getMessage());
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
            return;
        }
        assertTrue(fits, op + " " + Arrays.toString(shape) + " has " + exact + " elements, more than a Java array holds, but was"
                + " accepted as a tensor of size " + t.size());
        assertEquals(exact.intValueExact(), t.size(), op + " " + Arrays.toString(shape));
        assertArrayEquals(shape, t.shape());
        assertEquals(t.size(), t.toArray().length);
    }
}
