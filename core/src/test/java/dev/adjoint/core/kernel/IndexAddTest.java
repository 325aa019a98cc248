package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/**
 * indexAdd (an embedding table's gradient) where the result's rows go in chunks zeroed and filled
 * on the pool's threads ({@link IndexAdd}): the bits of the plain definition, each position's slabs
 * summed in index order in float64 from 0 (float32 rounded once), whatever the chunks, their
 * count, the repeats and the values (-0, NaN, infinities, subnormals), on arrays the pool recycled.
 */
class IndexAddTest {
    @Property(tries = 60)
    void chunkedRowsGiveTheDefinitionsBits(@ForAll @LongRange(min = 1) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int inner = IndexAdd.MIN_CHUNKED_SLAB + rng.nextInt(rng.nextBoolean() ? 8 : 200);
        // up to several chunks of rows (a chunk holds CHUNK_BYTES / (4 inner) float rows)
        int length = 1 + rng.nextInt(rng.nextBoolean() ? 40 : 3 * IndexAdd.CHUNK_BYTES / (4 * inner));
        int m = rng.nextInt(60);
        // a few positions for many slabs (repeats), or positions all over the table
        int range = rng.nextBoolean() ? Math.min(length, 1 + rng.nextInt(5)) : length;
        int[] indices = new int[m];
        for (int j = 0; j < m; j++) {
            indices[j] = rng.nextInt(range) * (length / range);
        }
        boolean leadingOne = rng.nextBoolean();
        int[] shape = leadingOne ? new int[] {1, m, inner} : new int[] {m, inner};
        int axis = leadingOne ? 1 : 0;
        NDArray g = SelectionsAndCopiesTest.floats(rng, shape);
        double[] expected = new double[length * inner];
        float[] gf = g.toFloatArray();
        for (int j = 0; j < m; j++) {
            for (int i = 0; i < inner; i++) {
                expected[indices[j] * inner + i] += gf[j * inner + i];
            }
        }
        // converted first: the conversion must not take the poisoned array meant for the result
        NDArray g64 = g.toFloat64();
        poisonPool(length * inner);
        double[] d = AxisKernels.indexAdd(g64, axis, indices, length).toArray();
        poisonPool(length * inner);
        float[] f = AxisKernels.indexAdd(g, axis, indices, length).toFloatArray();
        assertEquals(expected.length, d.length, "float64 size");
        assertEquals(expected.length, f.length, "float32 size");
        for (int k = 0; k < expected.length; k++) {
            assertEquals(Double.doubleToLongBits(expected[k]), Double.doubleToLongBits(d[k]), "float64 at " + k);
            assertEquals(Float.floatToIntBits((float) expected[k]), Float.floatToIntBits(f[k]), "float32 at " + k);
        }
    }

    /**
     * The table of repeated positions: -1 for a position looked up once, and for a repeated one a
     * slot of its own, numbered in the order of {@code repeated}, whatever the positions (clustered
     * ones that share hash places, positions near Integer.MAX_VALUE) and however many there are.
     */
    @Property(tries = 200)
    void repeatsGiveEachRepeatedPositionOneSlot(@ForAll @LongRange(min = 1) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int m = rng.nextInt(rng.nextBoolean() ? 10 : 3000);
        int base = rng.nextBoolean() ? 0 : Integer.MAX_VALUE - 100_000;
        int stride = 1 << rng.nextInt(12);
        int range = 1 + rng.nextInt(rng.nextBoolean() ? 8 : 100_000 / stride);
        int[] indices = new int[m];
        java.util.Map<Integer, Integer> counts = new java.util.HashMap<>();
        for (int j = 0; j < m; j++) {
            indices[j] = base + rng.nextInt(range) * stride;
            counts.merge(indices[j], 1, Integer::sum);
        }
        int inner = 1 + rng.nextInt(4);
        IndexAdd.Repeats rep = new IndexAdd.Repeats(indices, Integer.MAX_VALUE, inner);
        long repeatedCount = counts.values().stream().filter(c -> c > 1).count();
        assertEquals(repeatedCount, rep.repeated.length, "repeated positions");
        assertEquals(repeatedCount * inner, rep.sums.length, "sums");
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int p : indices) {
            int slot = rep.slot(p);
            if (counts.get(p) == 1) {
                assertEquals(-1, slot, "position " + p + " looked up once");
            } else {
                assertEquals(p, rep.repeated[slot], "the slot of position " + p);
                seen.add(p);
            }
        }
        for (int s = 0; s < rep.repeated.length; s++) {
            int lastIndex = -1;
            for (int j = 0; j < m; j++) {
                if (indices[j] == rep.repeated[s]) {
                    lastIndex = j;
                }
            }
            assertEquals(lastIndex, rep.last[s], "the last slab of position " + rep.repeated[s]);
        }
        assertEquals(repeatedCount, seen.size(), "every repeated position reached");
    }

    /**
     * Positions beyond the result's rows (callers check them; the kernel is public) end in an
     * exception, not in a search of a table sized for those rows that never ends: nine positions
     * into one row, on the chunked path (slabs of 16) and on the plain one (slabs of 4).
     */
    @org.junit.jupiter.api.Test
    void positionsBeyondTheRowsThrowRatherThanHang() {
        for (int inner : new int[] {16, 4}) {
            NDArray g = SelectionsAndCopiesTest.floats(new SplittableRandom(inner), new int[] {9, inner});
            int[] indices = {0, 1, 2, 3, 4, 5, 6, 7, 8};
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () ->
                    org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> AxisKernels.indexAdd(g, 0, indices, 1)),
                    "slabs of " + inner);
        }
    }

    /** NaN arrays of the result's length back in the pool, where the kernel may take them: it must write every element. */
    private static void poisonPool(int n) {
        Buffers.Scope scope = Buffers.open();
        java.util.Arrays.fill(Buffers.uninitialized(n), Double.NaN);
        java.util.Arrays.fill(Buffers.uninitializedFloats(n), Float.NaN);
        scope.release();
    }
}
