package dev.adjoint.spark;

import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Batch;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import scala.Tuple2;

/**
 * One partition of the training data, packed into flat arrays and cached by Spark for the whole
 * {@code fit}; with the facts the driver checks before training ({@link #problem}, widths, label
 * range). It also keeps (transient, per JVM) the order of its rows in the current epoch, so a step
 * finds its rows by a binary search instead of a pass over the partition.
 */
final class Block implements Serializable {
    private static final long serialVersionUID = 1L;

    final int partition;
    final int rows;
    final long[] index;
    final int inputWidth;
    final double[] inputs;
    /** -1 when the samples have no target rows. */
    final int targetWidth;
    final double[] targets;
    /** null when the samples have no labels (all -1). */
    final int[] labels;
    /** The first thing wrong with this partition's samples, or null. */
    final String problem;
    /** The smallest and largest label, and a sample holding each (for messages). */
    final int minLabel;
    final int maxLabel;
    final long minLabelAt;
    final long maxLabelAt;

    private transient long planSeed;
    private transient int planEpoch;
    private transient int[] planRows;
    private transient long[] planPositions;

    private Block(int partition, long[] index, int inputWidth, double[] inputs, int targetWidth, double[] targets,
                  int[] labels, String problem, int minLabel, int maxLabel, long minLabelAt, long maxLabelAt) {
        this.partition = partition;
        this.rows = index.length;
        this.index = index;
        this.inputWidth = inputWidth;
        this.inputs = inputs;
        this.targetWidth = targetWidth;
        this.targets = targets;
        this.labels = labels;
        this.problem = problem;
        this.minLabel = minLabel;
        this.maxLabel = maxLabel;
        this.minLabelAt = minLabelAt;
        this.maxLabelAt = maxLabelAt;
    }

    /** Packs a partition of (sample, global index) pairs, noting the first problem instead of failing. */
    static Block pack(int partition, Iterator<Tuple2<Sample, Long>> it) {
        long[] index = new long[16];
        double[] inputs = new double[0];
        double[] targets = new double[0];
        int[] labels = new int[16];
        int n = 0;
        int inputWidth = -1;
        int targetWidth = -2;
        long firstAt = -1;
        String problem = null;
        int minLabel = Integer.MAX_VALUE;
        int maxLabel = Integer.MIN_VALUE;
        long minLabelAt = -1;
        long maxLabelAt = -1;
        while (it.hasNext() && problem == null) {
            Tuple2<Sample, Long> t = it.next();
            Sample s = t._1();
            long at = t._2();
            if (s == null) {
                problem = "sample " + at + " is null";
                break;
            }
            int tw = s.target() == null ? -1 : s.target().length;
            if (n == 0) {
                inputWidth = s.input().length;
                targetWidth = tw;
                firstAt = at;
                if (inputWidth == 0) {
                    problem = "sample " + at + " has no input values";
                    break;
                }
            } else if (s.input().length != inputWidth) {
                problem = "ragged inputs: sample " + at + " has " + s.input().length + " input values, sample " + firstAt
                        + " has " + inputWidth;
                break;
            } else if (tw != targetWidth) {
                problem = "ragged targets: sample " + at + " has " + describeTarget(tw) + ", sample " + firstAt + " has "
                        + describeTarget(targetWidth);
                break;
            }
            if (s.label() < -1) {
                problem = "label out of range: sample " + at + " has label " + s.label()
                        + " (labels are 0, 1, ..., or -1 for none)";
                break;
            }
            if (n == index.length) {
                index = Arrays.copyOf(index, 2 * n);
                labels = Arrays.copyOf(labels, 2 * n);
            }
            if ((long) (n + 1) * inputWidth > Integer.MAX_VALUE - 8) {
                problem = "partition " + partition + " holds more input values than one array can (" + (n + 1) + " samples of "
                        + inputWidth + "); use more partitions";
                break;
            }
            inputs = grow(inputs, (n + 1) * inputWidth);
            System.arraycopy(s.input(), 0, inputs, n * inputWidth, inputWidth);
            if (tw > 0) {
                targets = grow(targets, (n + 1) * tw);
                System.arraycopy(s.target(), 0, targets, n * tw, tw);
            }
            index[n] = at;
            labels[n] = s.label();
            if (s.label() < minLabel) {
                minLabel = s.label();
                minLabelAt = at;
            }
            if (s.label() > maxLabel) {
                maxLabel = s.label();
                maxLabelAt = at;
            }
            n++;
        }
        if (problem != null) {
            return new Block(partition, new long[0], inputWidth, new double[0], targetWidth, null, null, problem, 0, 0, -1, -1);
        }
        boolean hasLabels = n > 0 && maxLabel >= 0;
        return new Block(partition, Arrays.copyOf(index, n), inputWidth, Arrays.copyOf(inputs, n * Math.max(0, inputWidth)),
                targetWidth, targetWidth >= 0 ? Arrays.copyOf(targets, n * targetWidth) : null,
                hasLabels ? Arrays.copyOf(labels, n) : null, null, minLabel, maxLabel, minLabelAt, maxLabelAt);
    }

    private static String describeTarget(int width) {
        return width < 0 ? "no target" : "a target of " + width + " values";
    }

    /** Grows geometrically: packing stays linear in the partition's size. */
    private static double[] grow(double[] a, int needed) {
        return needed <= a.length ? a : Arrays.copyOf(a, Math.max(needed, 2 * a.length));
    }

    /**
     * This partition's rows of one step's global batch, in position order, as a batch; null if it
     * has none.
     */
    synchronized Batch batch(long size, int batchSize, long seed, int epoch, int step) {
        if (planRows == null || planSeed != seed || planEpoch != epoch) {
            BatchOrder order = new BatchOrder(size, seed, epoch);
            long[] keyed = new long[rows];
            for (int r = 0; r < rows; r++) {
                keyed[r] = order.position(index[r]) * rows + r; // sorts by position; positions are distinct
            }
            Arrays.sort(keyed);
            planRows = new int[rows];
            planPositions = new long[rows];
            for (int i = 0; i < rows; i++) {
                planRows[i] = (int) (keyed[i] % rows);
                planPositions[i] = keyed[i] / rows;
            }
            planSeed = seed;
            planEpoch = epoch;
        }
        long from = (long) step * batchSize;
        int lo = lowerBound(planPositions, from);
        int hi = lowerBound(planPositions, from + batchSize);
        if (lo == hi) {
            return null;
        }
        return gather(Arrays.copyOfRange(planRows, lo, hi));
    }

    private static int lowerBound(long[] sorted, long value) {
        int i = Arrays.binarySearch(sorted, value);
        return i >= 0 ? i : -i - 1;
    }

    private Batch gather(int[] picked) {
        int m = picked.length;
        double[] x = new double[m * inputWidth];
        int[] at = new int[m];
        int[] picklabels = labels == null ? null : new int[m];
        double[] t = targetWidth >= 0 ? new double[m * targetWidth] : labels != null ? new double[m] : null;
        for (int i = 0; i < m; i++) {
            int r = picked[i];
            System.arraycopy(inputs, r * inputWidth, x, i * inputWidth, inputWidth);
            at[i] = (int) index[r];
            if (picklabels != null) {
                picklabels[i] = labels[r];
            }
            if (targetWidth >= 0) {
                System.arraycopy(targets, r * targetWidth, t, i * targetWidth, targetWidth);
            } else if (labels != null) {
                t[i] = labels[r];
            }
        }
        Tensor targetTensor = t == null ? null : targetWidth >= 0 ? Tensor.of(t, m, targetWidth) : Tensor.of(t, m);
        return new Batch(Tensor.of(x, m, inputWidth), targetTensor, picklabels, at);
    }
}
