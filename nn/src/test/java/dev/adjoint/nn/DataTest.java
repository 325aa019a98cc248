package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class DataTest {

    @Property(tries = 200)
    void everyEpochCoversEachSampleExactlyOnce(@ForAll @IntRange(min = 1, max = 300) int size,
            @ForAll @IntRange(min = 1, max = 64) int batchSize, @ForAll long seed) {
        Batcher batcher = new Batcher(size, batchSize, new SplittableRandom(seed));
        for (int epoch = 0; epoch < 3; epoch++) {
            int[][] batches = batcher.nextEpoch();
            assertEquals(batcher.batchesPerEpoch(), batches.length);
            assertEquals((size + batchSize - 1) / batchSize, batches.length);
            int[] seen = new int[size];
            for (int b = 0; b < batches.length; b++) {
                int expected = b < batches.length - 1 ? Math.min(batchSize, size) : size - (batches.length - 1) * Math.min(batchSize, size);
                assertEquals(expected, batches[b].length);
                for (int i : batches[b]) {
                    seen[i]++;
                }
            }
            for (int count : seen) {
                assertEquals(1, count);
            }
        }
    }

    @Property(tries = 50)
    void shufflingIsReproducibleFromTheSeed(@ForAll @IntRange(min = 2, max = 100) int size, @ForAll long seed) {
        int[][] a = new Batcher(size, 7, new SplittableRandom(seed)).nextEpoch();
        int[][] b = new Batcher(size, 7, new SplittableRandom(seed)).nextEpoch();
        assertTrue(Arrays.deepEquals(a, b));
    }

    @Test
    void withoutAGeneratorTheOrderIsKeptAndSeedsShuffleDifferently() {
        int[][] plain = new Batcher(5, 2, null).nextEpoch();
        assertTrue(Arrays.deepEquals(new int[][] {{0, 1}, {2, 3}, {4}}, plain));
        Batcher shuffled = new Batcher(50, 50, new SplittableRandom(1));
        int[] first = shuffled.nextEpoch()[0];
        int[] second = shuffled.nextEpoch()[0];
        assertFalse(Arrays.equals(first, second));
        assertThrows(IllegalArgumentException.class, () -> new Batcher(0, 1, null));
        assertThrows(IllegalArgumentException.class, () -> new Batcher(3, 0, null));
    }

    @Test
    void datasetBatchesGatherRowsInOrder() {
        Dataset data = Dataset.of(new double[][] {{1, 2}, {3, 4}, {5, 6}}, new double[][] {{10}, {20}, {30}});
        Batch b = data.batch(new int[] {2, 0});
        assertArrayEquals(new int[] {2, 2}, b.inputs().shape());
        assertArrayEquals(new double[] {5, 6, 1, 2}, b.inputs().toArray(), 0.0);
        assertArrayEquals(new int[] {2, 1}, b.targets().shape());
        assertArrayEquals(new double[] {30, 10}, b.targets().toArray(), 0.0);
        assertNull(b.labels());
        assertEquals(2, b.size());
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, data.all().inputs().toArray(), 0.0);
        assertThrows(IllegalArgumentException.class, () -> data.batch(new int[] {3}));
    }

    @Test
    void labelledDatasets() {
        Dataset data = Dataset.of(new double[][] {{1}, {2}, {3}, {4}}, new int[] {0, 1, 1, 0});
        assertTrue(data.hasLabels());
        List<Batch> epoch = data.batches(3, new SplittableRandom(4));
        assertEquals(2, epoch.size());
        int total = 0;
        for (Batch b : epoch) {
            for (int k = 0; k < b.size(); k++) {
                int row = b.indices()[k];
                assertEquals(row + 1.0, b.inputs().get(k, 0));
                assertEquals(new int[] {0, 1, 1, 0}[row], b.labels()[k]);
                assertEquals(b.labels()[k], b.targets().get(k));
            }
            total += b.size();
        }
        assertEquals(4, total);
    }

    @Test
    void badDatasetsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Dataset.of(new double[0][], new int[0]));
        assertThrows(IllegalArgumentException.class, () -> Dataset.of(new double[][] {{1}, {2, 3}}, new int[] {0, 1}));
        assertThrows(IllegalArgumentException.class, () -> Dataset.of(new double[][] {{1}}, new int[] {0, 1}));
        assertThrows(IllegalArgumentException.class, () -> Dataset.of(new double[][] {{1}}, new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> Dataset.of(new double[][] {{1}}, new double[][] {{1}, {2}}));
    }
}
