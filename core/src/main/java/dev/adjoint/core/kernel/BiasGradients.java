package dev.adjoint.core.kernel;

import java.util.Arrays;

/**
 * A bias gradient: a contiguous [m, n] array summed to [n] ({@link ReduceKernels#sumTo}), in fixed
 * blocks of rows split over threads, the blocks' sums added in order: the same bits for any thread
 * count.
 */
final class BiasGradients {
    private BiasGradients() {
    }

    /**
     * Columns per part of a bias gradient: a 4 KB page of doubles. NOTE: not fewer: a part should
     * read whole pages of each row (bench/RESULTS.md, "Split loops").
     */
    private static final int COLUMN_GRAIN = 512;

    /** Rows per block of a bias gradient: the blocks' sums are added in order ({@link #sum}). */
    static int blockRows(int n) {
        return Math.max(1, Parallel.SUM_BLOCK / Math.max(1, n));
    }

    /** The most block sums kept in a thread's scratch between calls (8 MB); larger ones are fresh arrays. */
    private static final int MAX_KEPT_SUMS = 1 << 20;

    /** Rows per block below which a bias gradient splits its columns instead (the block sums would cost as much as the rows). */
    private static final int MIN_BLOCK_ROWS = 8;

    /**
     * {@code r[j] = sum over i of x[i, j]} for a contiguous [m, n] x (a bias gradient), r zeroed.
     * The rows are summed in fixed blocks of {@link #blockRows} rows, each block's rows added in
     * order from zero, and the blocks' sums added in order: the same bits for any thread count.
     * The blocks split over threads, so that each thread mostly reads rows that it wrote itself in
     * the elementwise loop before (rows read by another core cost a transfer per line when they
     * are next written). Rows too long for blocks of {@link #MIN_BLOCK_ROWS} rows are one
     * block, their columns split over threads instead.
     */
    static void sum(NDArray x, double[] r) {
        int m = x.shape[0];
        int n = x.shape[1];
        int blockRows = blockRows(n);
        if (m <= blockRows || blockRows < MIN_BLOCK_ROWS) {
            Parallel.forRange(n, COLUMN_GRAIN, m, (from, to) -> addRows(x, 0, m, from, to, r, from));
            return;
        }
        int blocks = (m + blockRows - 1) / blockRows;
        // the caller's scratch, not a fresh array: memory a cache still holds from the last call;
        // a fresh one where keeping it would hold more than MAX_KEPT_SUMS for the next call
        double[] partial = (long) blocks * n <= MAX_KEPT_SUMS ? Scratch.doubles(Scratch.BLOCK_SUMS, blocks * n) : new double[blocks * n];
        Parallel.forRange(blocks, 1, (long) blockRows * n, (first, last) -> {
            for (int b = first; b < last; b++) {
                Arrays.fill(partial, b * n, (b + 1) * n, 0.0);
                addRows(x, b * blockRows, Math.min(m, (b + 1) * blockRows), 0, n, partial, b * n);
            }
        });
        MathKernel math = n >= MathKernel.MIN_LENGTH ? KernelProvider.math() : null;
        for (int b = 0; b < blocks; b++) {
            if (math != null) {
                math.addTo(partial, b * n, r, 0, n);
            } else {
                for (int j = 0; j < n; j++) {
                    r[j] += partial[b * n + j];
                }
            }
        }
    }

    /**
     * {@code r[ro + j - from] += x[i, j]} for the rows i in [rowFrom, rowTo) in order and the columns
     * [from, to) of a contiguous [m, n] x.
     */
    private static void addRows(NDArray x, int rowFrom, int rowTo, int from, int to, double[] r, int ro) {
        int n = x.shape[1];
        int len = to - from;
        if (x.floats != null && len >= MathKernel.MIN_LENGTH) {
            // NOTE: one kernel call per row, not a widened copy and then addTo: with both inlined
            // here, C2 left the Vector API calls of both uncompiled (bench/RESULTS.md, "Split loops")
            MathKernel math = KernelProvider.math();
            for (int row = x.offset + rowFrom * n + from, end = x.offset + rowTo * n; row < end; row += n) {
                math.addWidenedTo(x.floats, row, r, ro, len);
            }
            return;
        }
        ReduceKernels.Rows rows = new ReduceKernels.Rows(x, len);
        // NOTE: on the math kernel: HotSpot does not vectorize r[j] += a[p + j] (it cannot rule
        // out that r and a overlap)
        MathKernel math = len >= MathKernel.MIN_LENGTH ? KernelProvider.math() : null;
        for (int row = x.offset + rowFrom * n + from, end = x.offset + rowTo * n; row < end; row += n) {
            double[] a = rows.widened(row, len);
            int p = rows.offset(row);
            if (math != null) {
                math.addTo(a, p, r, ro, len);
            } else {
                for (int j = 0; j < len; j++) {
                    r[ro + j] += a[p + j];
                }
            }
        }
    }
}
