package dev.adjoint.spark;

import java.io.Serializable;

/** What the driver checks about one partition before training: a {@link Block} without its arrays. */
record DataFacts(String problem, long rows, long firstAt, int inputWidth, int targetWidth, int minLabel, int maxLabel,
                 long minLabelAt, long maxLabelAt) implements Serializable {

    static DataFacts of(Block b) {
        return new DataFacts(b.problem, b.rows, b.rows == 0 ? -1 : b.index[0], b.inputWidth, b.targetWidth, b.minLabel,
                b.maxLabel, b.minLabelAt, b.maxLabelAt);
    }
}
