package dev.adjoint.core.properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@code Tensor.copyTo(from, to, dst)} copies exactly the elements [from, to) of the row-major
 * order into the same places of dst, for contiguous tensors and transposed views, float64 and
 * float32, into double and float arrays, and touches nothing else.
 */
class CopyRangePropertiesTest {

    private static Tensor tensor(long seed, int rows, int cols, boolean transposed, DType dtype) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] d = new double[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = rng.nextDouble(-3, 3);
        }
        // converted first, so that a float32 tensor is a transposed view too
        return transposed ? Tensor.of(d, cols, rows).to(dtype).transpose() : Tensor.of(d, rows, cols).to(dtype);
    }

    @Property(tries = 60)
    void aRangeCopiesItsElementsAndNothingElse(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 40) int cols,
            @ForAll boolean transposed, @ForAll boolean float32, @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 1600) int a, @ForAll @IntRange(min = 0, max = 1600) int b) {
        Tensor t = tensor(seed, rows, cols, transposed, float32 ? DType.FLOAT32 : DType.FLOAT64);
        int size = rows * cols;
        int from = Math.min(Math.min(a, b), size);
        int to = Math.min(Math.max(a, b), size);
        double[] all = t.toArray();

        double[] doubles = new double[size + 3];
        Arrays.fill(doubles, -7.5);
        t.copyTo(from, to, doubles);
        double[] expected = new double[size + 3];
        Arrays.fill(expected, -7.5);
        System.arraycopy(all, from, expected, from, to - from);
        assertArrayEquals(expected, doubles, 0.0);

        float[] floats = new float[size + 3];
        Arrays.fill(floats, -7.5f);
        t.copyTo(from, to, floats);
        float[] whole = new float[size];
        t.copyTo(whole);
        float[] expectedFloats = new float[size + 3];
        Arrays.fill(expectedFloats, -7.5f);
        System.arraycopy(whole, from, expectedFloats, from, to - from);
        assertArrayEquals(expectedFloats, floats, 0.0f);
    }

    @Test
    void aRangeOutsideTheTensorOrTheArrayIsRefused() {
        Tensor t = Tensor.of(new double[6], 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.copyTo(4, 7, new double[10]));
        assertEquals("copyTo: cannot copy elements [4, 7) of a tensor of 6 elements into an array of length 10", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.copyTo(3, 2, new double[10]));
        assertThrows(IllegalArgumentException.class, () -> t.copyTo(-1, 2, new float[10]));
        e = assertThrows(IllegalArgumentException.class, () -> t.copyTo(0, 6, new float[5]));
        assertEquals("copyTo: cannot copy elements [0, 6) of a tensor of 6 elements into an array of length 5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.copyTo(0, 1, (double[]) null));
        assertEquals("copyTo: cannot copy elements [0, 1) of a tensor of 6 elements into a null array", e.getMessage());
    }
}
