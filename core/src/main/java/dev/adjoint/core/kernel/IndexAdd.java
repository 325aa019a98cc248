package dev.adjoint.core.kernel;

import java.util.Arrays;

/**
 * {@link AxisKernels#indexAdd}, the adjoint of a lookup: zeros with slabs of g added at the looked-up
 * positions. Where the axis is the first that matters (one outer block: an embedding table's rows)
 * and the slabs are long, the result's rows go in chunks of about {@link #CHUNK_BYTES}, each zeroed
 * and then given its slabs while it is in cache, on the pool's threads; each row's slabs are
 * added in index order, as the plain loops add them, so the bits are the same for any chunking and
 * thread count. float32 has the bits of the float64 sums rounded once.
 */
final class IndexAdd {
    private IndexAdd() {
    }

    /** A chunk of the result's rows: zeroed and filled by one thread at a time, small enough to stay in its cache. */
    static final int CHUNK_BYTES = 1 << 18;
    /** Slabs shorter than this go through the plain loops (a kernel call per slab would cost more than it adds). */
    static final int MIN_CHUNKED_SLAB = 16;

    /** {@link AxisKernels#indexAdd}. */
    static NDArray of(NDArray g, int axis, int[] indices, int length) {
        NDArray c = g.contiguousOperand();
        int outer = AxisKernels.outer(c.shape, axis);
        int inner = AxisKernels.inner(c.shape, axis);
        if (outer == 1 && inner >= MIN_CHUNKED_SLAB && length > 0) {
            return chunked(c, axis, indices, length, inner);
        }
        if (c.floats != null) {
            return floats(c, axis, indices, length, outer, inner);
        }
        int[] shape = c.shape.clone();
        shape[axis] = length;
        double[] r = AxisKernels.zeros(Shapes.size(shape));
        double[] a = c.data;
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < indices.length; j++) {
                int from = c.offset + (o * indices.length + j) * inner;
                int to = (o * length + indices[j]) * inner;
                for (int i = 0; i < inner; i++) {
                    r[to + i] += a[from + i];
                }
            }
        }
        return NDArray.wrap(r, shape);
    }

    /**
     * One outer block of slabs of {@code inner} elements: the result's rows in chunks, the slabs of
     * each chunk found by a counting sort of the indices (stable: a row's slabs stay in index order).
     */
    private static NDArray chunked(NDArray c, int axis, int[] indices, int length, int inner) {
        boolean floats = c.floats != null;
        int[] shape = c.shape.clone();
        shape[axis] = length;
        int rowsPer = Math.max(1, CHUNK_BYTES / ((floats ? Float.BYTES : Double.BYTES) * inner));
        int chunks = (length + rowsPer - 1) / rowsPer;
        int[] start = new int[chunks + 1];
        for (int p : indices) {
            start[p / rowsPer + 1]++;
        }
        for (int k = 0; k < chunks; k++) {
            start[k + 1] += start[k];
        }
        int[] order = new int[indices.length];
        int[] next = Arrays.copyOf(start, chunks);
        for (int j = 0; j < indices.length; j++) {
            order[next[indices[j] / rowsPer]++] = j;
        }
        int n = length * inner;
        if (floats) {
            float[] r = Buffers.uninitializedFloats(n);
            Repeats rep = new Repeats(indices, length, inner);
            Parallel.forEachIndex(chunks, (long) rowsPer * inner, (first, last) -> {
                MathKernel math = KernelProvider.exactFor(inner);
                for (int k = first; k < last; k++) {
                    int lo = k * rowsPer;
                    int hi = Math.min(length, lo + rowsPer);
                    Arrays.fill(r, lo * inner, hi * inner, 0f);
                    for (int q = start[k]; q < start[k + 1]; q++) {
                        int j = order[q];
                        int p = indices[j];
                        int slot = rep.slot(p);
                        if (slot < 0) {
                            // 0 + v: the float64 sum of one slab, rounded (a -0 becomes 0)
                            math.arithmetic(Elementwise.Binary.ADD, c.floats, c.offset + j * inner, ZERO, 0, 0, r, p * inner, inner);
                        } else {
                            math.addWidenedTo(c.floats, c.offset + j * inner, rep.sums, slot * inner, inner);
                        }
                    }
                    // the chunk's repeated positions, each rounded once, at its last slab
                    for (int q = start[k]; q < start[k + 1]; q++) {
                        int j = order[q];
                        int p = indices[j];
                        int slot = rep.slot(p);
                        if (slot >= 0 && rep.last[slot] == j) {
                            NDArray.narrow(rep.sums, slot * inner, r, p * inner, inner);
                        }
                    }
                }
            });
            return NDArray.wrap(r, shape);
        }
        double[] r = Buffers.uninitialized(n);
        Parallel.forEachIndex(chunks, (long) rowsPer * inner, (first, last) -> {
            MathKernel math = KernelProvider.exactFor(inner);
            for (int k = first; k < last; k++) {
                int lo = k * rowsPer;
                Arrays.fill(r, lo * inner, Math.min(length, lo + rowsPer) * inner, 0.0);
                for (int q = start[k]; q < start[k + 1]; q++) {
                    int j = order[q];
                    int to = indices[j] * inner;
                    math.addTo(c.data, c.offset + j * inner, r, to, inner);
                }
            }
        });
        return NDArray.wrap(r, shape);
    }

    /** The float 0 that a slab received once is added to. */
    private static final float[] ZERO = {0f};

    /**
     * The positions that receive several slabs, whose float64 sums float32 keeps apart: an open
     * addressing table over the looked-up positions (at least twice as many places as there can be
     * distinct positions, the fewer of the lookups and the table's rows), giving each repeated
     * position a slot of {@code inner} sums (zeros at first) and each position looked up once none.
     */
    static final class Repeats {
        /** The looked-up positions, -1 where a place is empty. */
        private final int[] keys;
        /** How many slabs a position receives while the table is built; then its slot, or -1 for one slab. */
        private final int[] slots;
        private final int mask;
        /** 32 less the table's bits: a position's hash is the top bits of its Fibonacci product. */
        private final int shift;
        /** The repeated positions in slot order. */
        final int[] repeated;
        /** For each slot, the index j of its position's last slab: where its sums are complete. */
        final int[] last;
        final double[] sums;

        /** The table of {@code indices}, positions in [0, length). */
        Repeats(int[] indices, int length, int inner) {
            // at most min(indices, length) distinct positions; a table at least twice that, at most 2^30
            long distinct = Math.max(4, Math.min(indices.length, length));
            int capacity = (int) Math.min(1L << 30, Long.highestOneBit(distinct * 2 - 1) << 1);
            keys = new int[capacity];
            slots = new int[capacity];
            mask = capacity - 1;
            shift = Integer.numberOfLeadingZeros(capacity) + 1;
            Arrays.fill(keys, -1);
            // more distinct positions than the table's rows: one is out of [0, length), and the
            // table, sized for those rows, could fill up
            long claimed = 0;
            for (int p : indices) {
                if (p < 0) {
                    throw new IllegalArgumentException("indexAdd: position " + p + " is negative");
                }
                int h = place(p);
                if (slots[h]++ == 0 && ++claimed > distinct) {
                    throw new IllegalArgumentException("indexAdd: more distinct positions than the " + length
                            + " rows of the result: one of them is out of range");
                }
            }
            int n = 0;
            for (int h = 0; h < capacity; h++) {
                if (slots[h] > 1) {
                    n++;
                }
            }
            repeated = new int[n];
            int next = 0;
            for (int h = 0; h < capacity; h++) {
                if (slots[h] > 1) {
                    repeated[next] = keys[h];
                    slots[h] = next++;
                } else {
                    slots[h] = -1;
                }
            }
            last = new int[n];
            for (int j = 0; j < indices.length; j++) {
                int slot = slot(indices[j]);
                if (slot >= 0) {
                    last[slot] = j;
                }
            }
            sums = new double[n * inner];
        }

        /** The place of position {@code p} (a non-negative index), claimed if it has none yet. */
        private int place(int p) {
            int h = (p * 0x9E3779B9) >>> shift;
            while (keys[h] != p) {
                if (keys[h] == -1) {
                    keys[h] = p;
                    return h;
                }
                h = (h + 1) & mask;
            }
            return h;
        }

        /**
         * The slot of a looked-up position that receives several slabs, or -1 for one that receives
         * one; only for positions among the indices the table was made of.
         */
        int slot(int p) {
            int h = (p * 0x9E3779B9) >>> shift;
            while (keys[h] != p) {
                h = (h + 1) & mask;
            }
            return slots[h];
        }
    }

    /**
     * {@link #of} of a float32 array, with the bits of the float64 sums rounded once (what
     * widening g and narrowing the result gives), without a float64 copy of the result: a position
     * that receives one slab gets it (0 + v is exact), and only positions that receive several are
     * summed in float64, in the same order, then rounded.
     */
    private static NDArray floats(NDArray c, int axis, int[] indices, int length, int outer, int inner) {
        int[] shape = c.shape.clone();
        shape[axis] = length;
        float[] r = AxisKernels.zeroFloats(Shapes.size(shape));
        float[] a = c.floats;
        Repeats rep = new Repeats(indices, length, inner);
        double[] sums = rep.sums;
        for (int o = 0; o < outer; o++) {
            Arrays.fill(sums, 0.0);
            for (int j = 0; j < indices.length; j++) {
                int p = indices[j];
                int from = c.offset + (o * indices.length + j) * inner;
                int slot = rep.slot(p);
                if (slot < 0) {
                    int to = (o * length + p) * inner;
                    for (int i = 0; i < inner; i++) {
                        r[to + i] = 0.0f + a[from + i];
                    }
                } else {
                    int to = slot * inner;
                    for (int i = 0; i < inner; i++) {
                        sums[to + i] += a[from + i];
                    }
                }
            }
            for (int s = 0; s < rep.repeated.length; s++) {
                NDArray.narrow(sums, s * inner, r, (o * length + rep.repeated[s]) * inner, inner);
            }
        }
        return NDArray.wrap(r, shape);
    }
}
