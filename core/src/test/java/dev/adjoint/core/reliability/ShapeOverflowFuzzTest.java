package dev.adjoint.core.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Shapes whose element count does not fit a Java array must be refused, whatever the arithmetic
 * does on the way: a product of dimensions that overflows {@code int} or even {@code long} (four
 * dimensions of 65,536 multiply to 2^64, which wraps to 0) must not turn into a small or empty
 * tensor that claims a huge shape. Every shape is either refused with
 * {@link IllegalArgumentException} naming the op, or gives a tensor whose {@code size()} is the
 * exact product.
 *
 * <p>The limit is {@code Integer.MAX_VALUE - 8} elements, the longest {@code double[]} a JVM is
 * sure to allocate; views are held to it too. The boundary is tried exactly: shapes of
 * {@code LIMIT} elements (accepted, as broadcast views, which allocate nothing) and of
 * {@code LIMIT + 1} (refused by every op), and dimensions whose int product wraps to 0 or to a
 * negative number. An op that would allocate is run only where its result has at most 4,096
 * elements, so nothing here allocates much.
 */
class ShapeOverflowFuzzTest {
    private static final long LIMIT = Integer.MAX_VALUE - 8;
    private static final long SMALL = 4096;

    /** Dimensions: small ones, ones whose products wrap an int, and the factors of LIMIT and LIMIT + 1. */
    private static final List<Integer> DIMENSIONS = List.of(0, 1, 2, 3, 7, 8, 17, 46_341, 65_536, 1 << 20, 1 << 30,
            18_046_081, 268_435_455, 306_783_377, Integer.MAX_VALUE - 8, Integer.MAX_VALUE - 7, Integer.MAX_VALUE);

    /** Shapes of exactly LIMIT (7 * 17 * 18,046,081) and LIMIT + 1 (2^3 * 3 * 5 * 29 * 43 * 113 * 127) elements. */
    private static final List<int[]> BOUNDARY = List.of(
            new int[] {Integer.MAX_VALUE - 8}, new int[] {7, 306_783_377}, new int[] {119, 18_046_081},
            new int[] {7, 17, 18_046_081}, new int[] {18_046_081, 1, 17, 7},
            new int[] {Integer.MAX_VALUE - 7}, new int[] {8, 268_435_455}, new int[] {268_435_455, 8},
            new int[] {2, 1_073_741_820}, new int[] {2, 2, 2, 3, 5, 29, 43, 113, 127}, new int[] {1, 8, 1, 268_435_455, 1},
            new int[] {65_536, 32_768}, new int[] {46_341, 46_341}, new int[] {65_536, 65_536});

    @Provide
    Arbitrary<int[]> shapes() {
        Arbitrary<int[]> random = Arbitraries.of(DIMENSIONS).array(int[].class).ofMinSize(0).ofMaxSize(6);
        return Arbitraries.frequencyOf(Tuple.of(3, random), Tuple.of(1, Arbitraries.of(BOUNDARY)));
    }

    @Provide
    Arbitrary<String> ops() {
        return Arbitraries.of("zeros", "ones", "full", "rand", "randn", "of", "expand", "reshape", "sumTo");
    }

    @Provide
    Arbitrary<Integer> dimensions() {
        return Arbitraries.of(DIMENSIONS);
    }

    private static BigInteger product(int... shape) {
        BigInteger n = BigInteger.ONE;
        for (int d : shape) {
            n = n.multiply(BigInteger.valueOf(d));
        }
        return n;
    }

    private static boolean fits(BigInteger n) {
        return n.compareTo(BigInteger.valueOf(LIMIT)) <= 0;
    }

    private static int[] prepend(int first, int[] shape) {
        int[] s = new int[shape.length + 1];
        s[0] = first;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    @Property(tries = 1500)
    void aShapeIsEitherRefusedOrHasExactlyTheProductOfItsDimensions(@ForAll("ops") String op, @ForAll("shapes") int[] shape) {
        BigInteger exact = product(shape);
        boolean fits = fits(exact);
        // a legal shape of more than SMALL elements is tried only as a view: anything else would allocate it
        String tried = fits && exact.compareTo(BigInteger.valueOf(SMALL)) > 0 ? "expand" : op;
        int[] expected = tried.equals("sumTo") ? prepend(1, shape) : shape;
        Tensor t;
        try {
            t = switch (tried) {
                case "zeros" -> Tensor.zeros(shape);
                case "ones" -> Tensor.ones(shape);
                case "full" -> Tensor.full(2.5, shape);
                case "rand" -> Tensor.rand(new SplittableRandom(1), shape);
                case "randn" -> Tensor.randn(new SplittableRandom(1), shape);
                case "expand" -> Tensor.ones(1).expand(shape);
                case "reshape" -> Tensor.zeros(fits ? exact.intValueExact() : 0).reshape(shape);
                case "sumTo" -> Tensor.zeros(prepend(0, shape)).sumTo(prepend(1, shape));
                default -> Tensor.of(new double[0], shape);
            };
        } catch (IllegalArgumentException e) {
            assertTrue(!fits || tried.equals("of") && exact.signum() != 0 || tried.equals("expand") && shape.length == 0,
                    tried + " " + Arrays.toString(shape) + " (" + exact + " elements) was refused: " + e.getMessage());
            assertTrue(e.getMessage() != null && e.getMessage().startsWith(tried + ":") && e.getMessage().contains(Arrays.toString(expected)),
                    tried + " " + Arrays.toString(shape) + ": the message does not name the op and the shape: " + e.getMessage());
            return;
        } catch (OutOfMemoryError e) {
            // jqwik rethrows an OutOfMemoryError, which would end the whole run instead of this property
            throw new AssertionError(tried + " " + Arrays.toString(shape) + " (" + exact + " elements) was accepted, then failed with "
                    + e);
        }
        assertTrue(fits, tried + " " + Arrays.toString(shape) + " has " + exact + " elements, more than a Java array holds, but was"
                + " accepted as a tensor of size " + t.size());
        assertEquals(exact.intValueExact(), t.size(), tried + " " + Arrays.toString(shape));
        assertArrayEquals(expected, t.shape());
        if (exact.compareTo(BigInteger.valueOf(SMALL)) <= 0) {
            assertEquals(t.size(), t.toArray().length);
        }
    }

    /** A view of (1, ..., 1) broadcast to {@code shape}, or null if the view itself would be refused. */
    private static Tensor view(int... shape) {
        if (!fits(product(shape))) {
            return null;
        }
        int[] unit = new int[shape.length];
        Arrays.fill(unit, 1);
        return Tensor.ones(unit).expand(shape);
    }

    /**
     * Runs {@code call}, whose result has {@code exact} elements: it must be refused (naming {@code op})
     * exactly when {@code refused}, and otherwise give that many elements. Results of more than SMALL
     * elements are not computed.
     */
    private static void check(String what, String op, boolean refused, BigInteger exact, int[] expected, Supplier<Tensor> call) {
        Assume.that(refused || exact.compareTo(BigInteger.valueOf(SMALL)) <= 0);
        Tensor t;
        try {
            t = call.get();
        } catch (IllegalArgumentException e) {
            assertTrue(refused, what + " was refused: " + e.getMessage());
            assertTrue(e.getMessage() != null && e.getMessage().startsWith(op + ":"), what + ": " + e.getMessage());
            return;
        } catch (OutOfMemoryError e) {
            throw new AssertionError(what + " was accepted, then failed with " + e);
        }
        assertTrue(!refused, what + " (" + exact + " elements) should have been refused but was accepted as "
                + Arrays.toString(t.shape()) + " of size " + t.size());
        assertArrayEquals(expected, t.shape(), what);
        assertEquals(exact.intValueExact(), t.size(), what);
        assertEquals(t.size(), t.toArray().length, what);
    }

    @Property(tries = 600, maxDiscardRatio = 100)
    void aMatrixProductIsRefusedExactlyWhenItsResultOrABroadcastOperandIsTooLarge(@ForAll("dimensions") int batch,
            @ForAll("dimensions") int m, @ForAll("dimensions") int n, @ForAll boolean empty, @ForAll boolean batched) {
        int k = empty ? 0 : 1;
        int[] sa = batched ? new int[] {batch, m, k} : new int[] {m, k};
        int[] sb = batched ? new int[] {1, k, n} : new int[] {k, n};
        Tensor a = view(sa);
        Tensor b = view(sb);
        Assume.that(a != null && b != null);
        int[] expected = batched ? new int[] {batch, m, n} : new int[] {m, n};
        BigInteger exact = product(expected);
        boolean refused = !fits(exact) || batched && !fits(product(batch, k, n));
        check("matmul " + Arrays.toString(sa) + " by " + Arrays.toString(sb), "matmul", refused, exact, expected, () -> a.matmul(b));
    }

    @Property(tries = 300, maxDiscardRatio = 100)
    void aBroadcastIsRefusedExactlyWhenItIsTooLarge(@ForAll("dimensions") int m, @ForAll("dimensions") int n) {
        Tensor a = view(m, 1);
        Tensor b = view(1, n);
        Assume.that(a != null && b != null);
        BigInteger exact = product(m, n);
        check("add [" + m + ", 1] and [1, " + n + "]", "add", !fits(exact), exact, new int[] {m, n}, () -> a.add(b));
    }

    @Property(tries = 600, maxDiscardRatio = 100)
    void aConcatenationIsRefusedExactlyWhenItsAxisOrItsElementCountOverflows(@ForAll("dimensions") int first,
            @ForAll("dimensions") int second, @ForAll("dimensions") int width) {
        Tensor a = view(first, width);
        Tensor b = view(second, width);
        Assume.that(a != null && b != null);
        long length = (long) first + second;
        BigInteger exact = BigInteger.valueOf(length).multiply(BigInteger.valueOf(width));
        boolean refused = length > Integer.MAX_VALUE || !fits(exact);
        check("concat [" + first + ", " + width + "] and [" + second + ", " + width + "]", "concat", refused, exact,
                new int[] {(int) length, width}, () -> Tensor.concat(List.of(a, b), 0));
    }
}
