package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/**
 * Reads of strided views ({@link Strided}) against the plain definition, element i of the row-major
 * order read by {@link NDArray#get}: random shapes of rank 0 to 5 (with axes of length 0 and 1),
 * viewed through random permutations, expands (stride 0) and narrows (offsets), in both dtypes;
 * copies, partial runs, in-place accumulation, and the unary and scalar ops on a view against the
 * same op on its contiguous copy, bit for bit.
 */
class StridedTest {
    /** A random view and the element values it must read, in row-major order. */
    private record Case(NDArray view, double[] expected, String description) {
    }

    private static Case randomView(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int rank = rng.nextInt(6);
        int[] shape = new int[rank];
        for (int i = 0; i < rank; i++) {
            int k = rng.nextInt(10);
            shape[i] = k == 0 ? 0 : k < 4 ? 1 : rng.nextInt(2, 6);
        }
        if (rank >= 2 && rng.nextBoolean()) {
            // two long axes: transposes of them are copied tile by tile
            for (int i = 0; i < rank; i++) {
                shape[i] = Math.min(shape[i], 2);
            }
            shape[rng.nextInt(rank)] = rng.nextInt(30, 50);
            shape[rng.nextInt(rank)] = rng.nextInt(30, 50);
        }
        if (rng.nextInt(4) != 0) {
            // mostly non-empty: a zero-length axis leaves nothing to read
            for (int i = 0; i < rank; i++) {
                shape[i] = Math.max(shape[i], 1);
            }
        }
        int size = Shapes.size(shape);
        double[] values = new double[size];
        for (int i = 0; i < size; i++) {
            values[i] = rng.nextInt(8) == 0 ? -0.0 : rng.nextDouble(-4, 4);
        }
        NDArray base = NDArray.of(values, shape);
        if (rng.nextBoolean()) {
            base = base.toFloat32();
        }
        StringBuilder how = new StringBuilder((base.isFloat32() ? "float32 " : "float64 ") + Arrays.toString(shape));
        NDArray v = base;
        for (int step = rng.nextInt(5); step > 0; step--) {
            int r = v.rank();
            switch (rng.nextInt(3)) {
                case 0 -> {
                    int[] axes = new int[r];
                    for (int i = 0; i < r; i++) {
                        int j = rng.nextInt(i + 1);
                        axes[i] = axes[j];
                        axes[j] = i;
                    }
                    v = v.permute(axes);
                    how.append(" permute ").append(Arrays.toString(axes));
                }
                case 1 -> {
                    int lead = v.rank() < 5 ? rng.nextInt(6 - v.rank()) : 0;
                    int[] target = new int[lead + r];
                    for (int i = 0; i < lead; i++) {
                        target[i] = rng.nextInt(1, 4);
                    }
                    for (int i = 0; i < r; i++) {
                        target[lead + i] = v.dim(i) == 1 ? rng.nextInt(1, 5) : v.dim(i);
                    }
                    if (Shapes.size(target) > 50_000) {
                        break;
                    }
                    v = v.expand(target);
                    how.append(" expand ").append(Arrays.toString(target));
                }
                default -> {
                    if (r > 0 && v.dim(r - 1 - rng.nextInt(r)) > 0) {
                        int axis = rng.nextInt(r);
                        int n = v.dim(axis);
                        if (n > 0) {
                            int start = rng.nextInt(n);
                            int length = rng.nextInt(n - start + 1);
                            v = v.narrow(axis, start, length);
                            how.append(" narrow ").append(axis).append(' ').append(start).append(' ').append(length);
                        }
                    }
                }
            }
        }
        return new Case(v, reference(v), how.toString());
    }

    /** Element by element through {@link NDArray#get}, in row-major order. */
    private static double[] reference(NDArray v) {
        double[] out = new double[v.size()];
        int[] index = new int[v.rank()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(index);
            for (int d = index.length - 1; d >= 0; d--) {
                if (++index[d] < v.dim(d)) {
                    break;
                }
                index[d] = 0;
            }
        }
        return out;
    }

    /** The same bits, any NaN counting as one: Math.log's NaN differs in sign interpreted and compiled. */
    private static void assertBits(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Double.doubleToLongBits(expected[i]) != Double.doubleToLongBits(actual[i])) {
                throw new AssertionError(what + " at " + i + ": expected " + expected[i] + ", got " + actual[i]);
            }
        }
    }

    private static double[] wide(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static double[] rounded(double[] d) {
        double[] r = new double[d.length];
        for (int i = 0; i < d.length; i++) {
            r[i] = (float) d[i];
        }
        return r;
    }

    @Property(tries = 1000)
    void copiesReadEveryElementInRowMajorOrder(@ForAll @LongRange(min = 1, max = 1_000_000_000L) long seed) {
        Case c = randomView(seed);
        NDArray v = c.view();
        String what = c.description();
        assertBits(c.expected(), v.toArray(), what + " toArray");
        assertBits(rounded(c.expected()), wide(v.toFloatArray()), what + " toFloatArray");
        assertBits(c.expected(), v.contiguous().toArray(), what + " contiguous");
        assertBits(c.expected(), v.copy().toArray(), what + " copy");
        assertBits(c.expected(), v.reshape(new int[] {v.size()}).toArray(), what + " reshape");
        assertEquals(v.isFloat32(), v.copy().isFloat32(), what + " dtype");
        // partial runs: any range, at any place in the destination
        SplittableRandom rng = new SplittableRandom(seed);
        int from = rng.nextInt(v.size() + 1);
        int to = rng.nextInt(from, v.size() + 1);
        double[] part = new double[to - from + 3];
        Strided.of(v).copy(from, to, part, 2);
        assertBits(Arrays.copyOfRange(c.expected(), from, to), Arrays.copyOfRange(part, 2, 2 + to - from), what + " range " + from + ".." + to);
        float[] floats = new float[to - from + 1];
        Strided.of(v).copy(from, to, floats, 1);
        assertBits(rounded(Arrays.copyOfRange(c.expected(), from, to)), wide(Arrays.copyOfRange(floats, 1, 1 + to - from)), what + " float range");
    }

    @Property(tries = 500)
    void accumulationAddsEveryElementInPlace(@ForAll @LongRange(min = 1, max = 1_000_000_000L) long seed) {
        Case c = randomView(seed);
        NDArray v = c.view();
        String what = c.description();
        SplittableRandom rng = new SplittableRandom(~seed);
        double[] start = new double[v.size()];
        for (int i = 0; i < start.length; i++) {
            start[i] = rng.nextDouble(-2, 2);
        }
        NDArray target = v.isFloat32() ? NDArray.of(start, v.shape()).toFloat32() : NDArray.of(start, v.shape());
        double[] before = target.toArray();
        target.addInPlace(v);
        double[] expected = new double[before.length];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = v.isFloat32() ? (double) ((float) before[i] + (float) c.expected()[i]) : before[i] + c.expected()[i];
        }
        assertBits(expected, target.toArray(), what + " addInPlace");
        target.copyFrom(v);
        assertBits(c.expected(), target.toArray(), what + " copyFrom");
    }

    /** Accumulating or copying an array of the other dtype is refused (hooks and ops are held to their gradient's dtype). */
    @Test
    void accumulationOfTheOtherDtypeIsRefused() {
        for (NDArray v : new NDArray[] {NDArray.of(new double[] {1, 2}, new int[] {2}), NDArray.of(new float[] {1, 2}, new int[] {2})}) {
            NDArray target = v.isFloat32() ? NDArray.of(new double[2], new int[] {2}) : NDArray.of(new float[2], new int[] {2});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.addInPlace(v));
            assertTrue(e.getMessage().startsWith("addInPlace: cannot write a " + (v.isFloat32() ? "float32" : "float64")), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> target.copyFrom(v));
        }
    }

    @Property(tries = 300)
    void opsOnAViewGiveTheBitsOfTheOpOnItsCopy(@ForAll @LongRange(min = 1, max = 1_000_000_000L) long seed) {
        Case c = randomView(seed);
        NDArray v = c.view();
        NDArray copy = v.copy();
        String what = c.description();
        for (Elementwise.Unary f : Elementwise.Unary.values()) {
            assertBits(Elementwise.map(f, copy).toArray(), Elementwise.map(f, v).toArray(), what + " " + f);
        }
        assertBits(Elementwise.pow(copy, 3).toArray(), Elementwise.pow(v, 3).toArray(), what + " pow");
        assertBits(Elementwise.clamp(copy, -1, 1).toArray(), Elementwise.clamp(v, -1, 1).toArray(), what + " clamp");
        assertBits(Elementwise.strictlyInside(copy, -1, 1).toArray(), Elementwise.strictlyInside(v, -1, 1).toArray(), what + " inside");
        for (Elementwise.Binary f : Elementwise.Binary.values()) {
            assertBits(Elementwise.zipScalar(f, copy, 0.75).toArray(), Elementwise.zipScalar(f, v, 0.75).toArray(), what + " " + f);
        }
    }

    /** Long views, so that the math kernel, float32 blocks and threads see them. */
    @Test
    void longViewsGiveTheBitsOfTheirCopies() {
        // three parts whatever the machine's cores, so that the split copies and ops run here too
        int previous = Parallel.forceParts(3);
        try {
            longViews();
        } finally {
            Parallel.forceParts(previous);
        }
    }

    private static void longViews() {
        SplittableRandom rng = new SplittableRandom(11);
        NDArray m = NDArray.generate(() -> rng.nextDouble(-30, 30), new int[] {500, 77});
        NDArray row = NDArray.generate(() -> rng.nextDouble(-30, 30), new int[] {1, 1001});
        for (NDArray base : new NDArray[] {m, m.toFloat32(), row, row.toFloat32()}) {
            NDArray[] views = base.dim(0) == 1
                    ? new NDArray[] {base.expand(new int[] {40, 1001}), base.narrow(1, 3, 997).expand(new int[] {5, 997})}
                    : new NDArray[] {base.swapAxes(0, 1), base.narrow(1, 1, 70), base.narrow(0, 0, 1).expand(new int[] {500, 77})};
            for (NDArray v : views) {
                NDArray copy = v.copy();
                assertBits(reference(v), copy.toArray(), "copy " + Arrays.toString(v.shape()));
                for (Elementwise.Unary f : Elementwise.Unary.values()) {
                    assertBits(Elementwise.map(f, copy).toArray(), Elementwise.map(f, v).toArray(), f + " " + Arrays.toString(v.shape()));
                }
                for (Elementwise.Binary f : Elementwise.Binary.values()) {
                    assertBits(Elementwise.zipScalar(f, copy, -1.25).toArray(), Elementwise.zipScalar(f, v, -1.25).toArray(),
                            f + " " + Arrays.toString(v.shape()));
                }
            }
        }
    }

    /** A sum's gradient reaches the leaf as a broadcast of ones: written, added, and written again after zeroGrad. */
    @Test
    void sumBackwardGivesExactlyOnesInBothDtypes() {
        for (DType dtype : DType.values()) {
            Tensor x = Tensor.randn(dtype, new SplittableRandom(3), 37, 129).requiresGrad(true);
            x.sum().backward();
            assertArrayEquals(filled(37 * 129, 1.0), x.grad().toArray(), dtype + " first");
            assertEquals(dtype, x.grad().dtype());
            x.sum().backward();
            assertArrayEquals(filled(37 * 129, 2.0), x.grad().toArray(), dtype + " accumulated");
            x.zeroGrad();
            x.sum().backward();
            assertArrayEquals(filled(37 * 129, 1.0), x.grad().toArray(), dtype + " after zeroGrad");
            // a transposed gradient: the leaf's own layout, element for element
            Tensor w = Tensor.randn(dtype, new SplittableRandom(4), 129, 37);
            x.zeroGrad();
            x.transpose().mul(w).sum().backward();
            assertArrayEquals(w.transpose().toArray(), x.grad().toArray(), dtype + " transposed");
        }
    }

    private static double[] filled(int n, double v) {
        double[] d = new double[n];
        Arrays.fill(d, v);
        return d;
    }
}
