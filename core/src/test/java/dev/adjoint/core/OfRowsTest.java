package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** {@link Tensor#ofRows}: a batch of a table's rows in one copy, and its errors. */
class OfRowsTest {

    @Property(tries = 200)
    void ofRowsIsTheTableIndexedByItsRows(@ForAll @LongRange(min = 1) long seed, @ForAll @IntRange(min = 1, max = 9) int width,
            @ForAll @IntRange(min = 1, max = 12) int count, @ForAll @IntRange(min = 0, max = 20) int picks) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] table = new double[count * width];
        float[] floats = new float[table.length];
        for (int i = 0; i < table.length; i++) {
            table[i] = rng.nextGaussian();
            floats[i] = (float) rng.nextGaussian();
        }
        int[] rows = new int[picks];
        for (int k = 0; k < picks; k++) {
            rows[k] = rng.nextInt(count);
        }
        Tensor x = Tensor.ofRows(table, width, rows);
        assertArrayEquals(new int[] {picks, width}, x.shape());
        assertEquals(DType.FLOAT64, x.dtype());
        assertArrayEquals(Tensor.of(table, count, width).indexSelect(0, rows).toArray(), x.toArray());
        Tensor f = Tensor.ofRows(floats, width, rows);
        assertEquals(DType.FLOAT32, f.dtype());
        assertArrayEquals(Tensor.of(floats, count, width).indexSelect(0, rows).toFloatArray(), f.toFloatArray());
    }

    @Test
    void theRowsAreCopiedNotShared() {
        double[] table = {1, 2, 3, 4, 5, 6};
        int[] rows = {2, 0};
        Tensor x = Tensor.ofRows(table, 2, rows);
        table[4] = 50;
        rows[0] = 1;
        assertArrayEquals(new double[] {5, 6, 1, 2}, x.toArray());
        assertTrue(x.isLeaf());
    }

    @Test
    void badTablesAndRowsAreRefusedByName() {
        double[] table = {1, 2, 3, 4, 5, 6};
        assertEquals("ofRows: rows[1] = 3 is out of range for 3 rows of width 2",
                assertThrows(IllegalArgumentException.class, () -> Tensor.ofRows(table, 2, 0, 3)).getMessage());
        assertEquals("ofRows: rows[0] = -1 is out of range for 2 rows of width 3",
                assertThrows(IllegalArgumentException.class, () -> Tensor.ofRows(new float[6], 3, -1)).getMessage());
        assertEquals("ofRows: 6 values are not whole rows of width 4",
                assertThrows(IllegalArgumentException.class, () -> Tensor.ofRows(table, 4, 0)).getMessage());
        assertEquals("ofRows: 6 values are not whole rows of width 0",
                assertThrows(IllegalArgumentException.class, () -> Tensor.ofRows(table, 0, 0)).getMessage());
        assertEquals("ofRows: data is null",
                assertThrows(IllegalArgumentException.class, () -> Tensor.ofRows((double[]) null, 2, 0)).getMessage());
        assertEquals("ofRows: rows is null",
                assertThrows(IllegalArgumentException.class, () -> Tensor.ofRows(table, 2, (int[]) null)).getMessage());
    }
}
