package dev.adjoint.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import scala.Tuple2;

/**
 * A tree sum of per-partition arrays that adds in partition order at every level, so a run is
 * bitwise repeatable for a given partitioning (Spark's own {@code treeAggregate} and
 * {@code reduce} merge results in the order tasks finish). Each level groups {@code scale}
 * neighbouring partial sums into one task, sorted by key, as MLlib's {@code treeAggregate} does;
 * the driver adds the last level's few sums, in order.
 */
final class OrderedSum {
    private OrderedSum() {
    }

    /**
     * The sum of the values, keyed by their partition; null if there are none.
     *
     * @param sums at most one array per key, all of one length
     * @param partitions the number of keys (partitions of the data)
     * @param depth the tree's depth, at least 1 (1: the driver adds every partition's array)
     */
    static double[] sum(JavaPairRDD<Integer, double[]> sums, int partitions, int depth) {
        int n = partitions;
        int scale = Math.max((int) Math.ceil(Math.pow(n, 1.0 / depth)), 2);
        JavaPairRDD<Integer, double[]> level = sums;
        while (n > scale + (n + scale - 1) / scale) {
            n = (n + scale - 1) / scale;
            level = level.repartitionAndSortWithinPartitions(new Grouping(n, scale))
                    .mapPartitionsWithIndex(OrderedSum::addUp, true)
                    .mapToPair(t -> t);
        }
        double[] total = null;
        for (Tuple2<Integer, double[]> t : level.collect()) { // collect keeps partition order
            total = add(total, t._2());
        }
        return total;
    }

    private static Iterator<Tuple2<Integer, double[]>> addUp(int group, Iterator<Tuple2<Integer, double[]>> sorted) {
        double[] total = null;
        while (sorted.hasNext()) {
            total = add(total, sorted.next()._2());
        }
        List<Tuple2<Integer, double[]>> out = new ArrayList<>(1);
        if (total != null) {
            out.add(new Tuple2<>(group, total));
        }
        return out.iterator();
    }

    /** Adds {@code b} into {@code a} (a null {@code a} is taken as zeros and replaced by a copy of b). */
    static double[] add(double[] a, double[] b) {
        if (a == null) {
            return b.clone();
        }
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
        return a;
    }

    /** Sends key {@code k} to partition {@code k / scale}. */
    private static final class Grouping extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int partitions;
        private final int scale;

        Grouping(int partitions, int scale) {
            this.partitions = partitions;
            this.scale = scale;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            return Math.min((Integer) key / scale, partitions - 1);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Grouping g && g.partitions == partitions && g.scale == scale;
        }

        @Override
        public int hashCode() {
            return 31 * partitions + scale;
        }
    }
}
