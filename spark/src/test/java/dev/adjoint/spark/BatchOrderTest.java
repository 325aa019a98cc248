package dev.adjoint.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BatchOrderTest {

    @Test
    void everyEpochIsAPermutationInBatchesOfTheGivenSize() {
        for (int size : new int[] {1, 2, 3, 16, 61, 1000, 4097}) {
            int[][] batches = SparkTrainer.globalBatches(size, 16, 9, 0);
            assertEquals((size + 15) / 16, batches.length);
            boolean[] seen = new boolean[size];
            for (int s = 0; s < batches.length; s++) {
                assertEquals(s < batches.length - 1 ? 16 : size - 16 * s, batches[s].length);
                for (int i : batches[s]) {
                    assertFalse(seen[i], "index " + i + " twice");
                    seen[i] = true;
                }
            }
        }
    }

    @Test
    void theOrderDependsOnTheSeedAndTheEpochOnly() {
        int[][] a = SparkTrainer.globalBatches(500, 50, 1, 0);
        assertTrue(Arrays.deepEquals(a, SparkTrainer.globalBatches(500, 50, 1, 0)));
        assertFalse(Arrays.deepEquals(a, SparkTrainer.globalBatches(500, 50, 1, 1)), "a new order each epoch");
        assertFalse(Arrays.deepEquals(a, SparkTrainer.globalBatches(500, 50, 2, 0)), "a new order for another seed");
        int[] identity = new int[50];
        Arrays.setAll(identity, i -> i);
        assertFalse(Arrays.equals(identity, a[0]), "shuffled");
    }

    @Test
    void aPositionIsFoundFromItsIndexAlone() {
        BatchOrder order = new BatchOrder(1000, 5, 3);
        int[][] batches = SparkTrainer.globalBatches(1000, 100, 5, 3);
        for (int s = 0; s < batches.length; s++) {
            for (int k = 0; k < batches[s].length; k++) {
                assertEquals(100L * s + k, order.position(batches[s][k]));
            }
        }
    }
}
