package dev.adjoint.core.kernel;

import java.util.Arrays;

/**
 * The row-run reader of non-contiguous arrays (a transpose, a broadcast, a narrowed or selected
 * view) for copies, gradient accumulation and unary and scalar ops: their row-major order as runs
 * of evenly spaced buffer positions. Axes of length 1 are dropped and neighbouring axes that step
 * through the buffer as one axis would are merged first, so a run is as long as the layout allows:
 * an [n, m] broadcast of an [m] row is n runs of step 1 (each a {@code System.arraycopy}), a
 * broadcast scalar one run of step 0 (an {@code Arrays.fill}), a transpose runs of the transposed
 * stride. The outer axes are walked by an odometer once per run, never per element.
 */
final class Strided {
    /** Elements [at, at + n) of the row-major order sit at buffer positions {@code p + i step}, i in [0, n). */
    interface Run {
        void run(int at, int p, int step, int n);
    }

    /** The array's buffers (one of them null). */
    private final double[] data;
    private final float[] floats;
    private final int[] shape;
    private final int[] strides;
    private final int offset;
    private final int size;

    private Strided(NDArray x, int[] shape, int[] strides) {
        this.data = x.data;
        this.floats = x.floats;
        this.shape = shape;
        this.strides = strides;
        this.offset = x.offset;
        this.size = x.size;
    }

    /**
     * The merged layout of {@code x}: at least one axis; the last axis is the run.
     *
     * @param x any array (an empty one is never walked)
     * @return its layout with length-1 axes dropped and mergeable neighbours merged
     */
    static Strided of(NDArray x) {
        int rank = x.shape.length;
        int[] s = new int[Math.max(rank, 1)];
        int[] st = new int[s.length];
        // built from the last axis backwards: k axes so far, in s[s.length - k .. s.length)
        int k = 0;
        for (int d = rank - 1; d >= 0; d--) {
            int n = x.shape[d];
            if (n == 1) {
                continue;
            }
            int top = s.length - k;
            if (k > 0 && x.strides[d] == st[top] * s[top]) {
                s[top] *= n;
            } else {
                k++;
                s[top - 1] = n;
                st[top - 1] = x.strides[d];
            }
        }
        if (k == 0) {
            return new Strided(x, new int[] {1}, new int[] {1});
        }
        return new Strided(x, Arrays.copyOfRange(s, s.length - k, s.length), Arrays.copyOfRange(st, st.length - k, st.length));
    }

    /**
     * Visits elements [from, to) of the row-major order (0 <= from <= to <= size) as runs, in
     * order: a partial first and last run where the range starts or ends inside one.
     *
     * @param from the first element
     * @param to one past the last element
     * @param run called once per run
     */
    void forEachRun(int from, int to, Run run) {
        if (from >= to) {
            return;
        }
        int rank = shape.length;
        int inner = shape[rank - 1];
        int step = strides[rank - 1];
        int[] counter = new int[rank];
        int row = from / inner;
        int col = from % inner;
        int p = offset;
        for (int d = rank - 2, rest = row; d >= 0; d--) {
            counter[d] = rest % shape[d];
            rest /= shape[d];
            p += counter[d] * strides[d];
        }
        int at = from;
        while (true) {
            int n = Math.min(inner - col, to - at);
            run.run(at, p + col * step, step, n);
            at += n;
            if (at >= to) {
                return;
            }
            col = 0;
            for (int d = rank - 2; d >= 0; d--) {
                if (++counter[d] < shape[d]) {
                    p += strides[d];
                    break;
                }
                p -= strides[d] * (shape[d] - 1);
                counter[d] = 0;
            }
        }
    }

    /**
     * The rows of a tile of a transposed copy. A row of the tile reads one element of each of the
     * tile's columns, each from a cache line of its own, and the next rows read on in the same
     * lines; so the tile's column lines must stay in the L1 cache together, also when the columns
     * are a power of two apart and their lines crowd into few of its 8-way sets (a [512, 512]
     * transpose): hence narrow tiles, whose width {@link #tileColumns} is the best one measured.
     */
    private static final int TILE_ROWS = 64;

    /** Whether the last two axes are a transpose (the row axis steps by 1, the column axis far). */
    private boolean transposedPair() {
        int rank = shape.length;
        return rank >= 2 && strides[rank - 2] == 1 && Math.abs(strides[rank - 1]) > 1 && shape[rank - 1] > tileColumns();
    }

    /** The columns of a tile of a transposed copy: 8 doubles, 16 floats (see {@link #TILE_ROWS}). */
    private int tileColumns() {
        return floats != null ? 16 : 8;
    }

    /**
     * {@link #forEachRun}, with the runs in any order, and for the whole array no longer than a tile
     * where the last two axes are a transpose: each tile is read and written whole, so the column
     * lines it reads stay in the cache instead of being fetched once per row. Those tiles, whose
     * runs write disjoint elements, split over threads by bands of {@link #TILE_ROWS} rows.
     */
    private void forEachRunTiled(int from, int to, Run run) {
        if (from != 0 || to != size || size == 0 || !transposedPair()) {
            forEachRun(from, to, run);
            return;
        }
        int rank = shape.length;
        int rows = shape[rank - 2];
        int cols = shape[rank - 1];
        int bandsPerPlane = (rows + TILE_ROWS - 1) / TILE_ROWS;
        Parallel.forRange(size / (rows * cols) * bandsPerPlane, 1, (long) Math.min(rows, TILE_ROWS) * cols,
                (first, last) -> bands(first, last, bandsPerPlane, run));
    }

    /**
     * Bands [first, last) of {@link #forEachRunTiled}: band b is the rows from
     * {@code TILE_ROWS * (b % bandsPerPlane)}, at most {@link #TILE_ROWS} of them, of the plane
     * (an index of the axes before the last two) {@code b / bandsPerPlane}.
     */
    private void bands(int first, int last, int bandsPerPlane, Run run) {
        int rank = shape.length;
        int rows = shape[rank - 2];
        int cols = shape[rank - 1];
        int step = strides[rank - 1];
        int tile = tileColumns();
        for (int band = first; band < last; band++) {
            int plane = band / bandsPerPlane;
            int p = offset;
            for (int d = rank - 3, rest = plane; d >= 0; d--) {
                p += rest % shape[d] * strides[d];
                rest /= shape[d];
            }
            int at = plane * rows * cols;
            int r0 = band % bandsPerPlane * TILE_ROWS;
            int r1 = Math.min(rows, r0 + TILE_ROWS);
            for (int c0 = 0; c0 < cols; c0 += tile) {
                int n = Math.min(tile, cols - c0);
                for (int r = r0; r < r1; r++) {
                    run.run(at + r * cols + c0, p + r + c0 * step, step, n);
                }
            }
        }
    }

    /** {@code dst[dstOffset + i]} = element {@code from + i}, i in [0, to - from), exactly (float32 widened). */
    void copy(int from, int to, double[] dst, int dstOffset) {
        int shift = dstOffset - from;
        if (floats != null) {
            float[] src = floats;
            forEachRunTiled(from, to, (at, p, step, n) -> {
                int o = at + shift;
                if (step == 1) {
                    NDArray.widen(src, p, dst, o, n);
                } else if (step == 0) {
                    Arrays.fill(dst, o, o + n, src[p]);
                } else {
                    for (int i = 0; i < n; i++) {
                        dst[o + i] = src[p + i * step];
                    }
                }
            });
            return;
        }
        double[] src = data;
        forEachRunTiled(from, to, (at, p, step, n) -> {
            int o = at + shift;
            if (step == 1) {
                System.arraycopy(src, p, dst, o, n);
            } else if (step == 0) {
                Arrays.fill(dst, o, o + n, src[p]);
            } else {
                for (int i = 0; i < n; i++) {
                    dst[o + i] = src[p + i * step];
                }
            }
        });
    }

    /** {@code dst[dstOffset + i]} = element {@code from + i}, i in [0, to - from), rounded to float (exact for float32). */
    void copy(int from, int to, float[] dst, int dstOffset) {
        int shift = dstOffset - from;
        if (floats != null) {
            float[] src = floats;
            forEachRunTiled(from, to, (at, p, step, n) -> {
                int o = at + shift;
                if (step == 1) {
                    System.arraycopy(src, p, dst, o, n);
                } else if (step == 0) {
                    Arrays.fill(dst, o, o + n, src[p]);
                } else {
                    for (int i = 0; i < n; i++) {
                        dst[o + i] = src[p + i * step];
                    }
                }
            });
            return;
        }
        double[] src = data;
        forEachRunTiled(from, to, (at, p, step, n) -> {
            int o = at + shift;
            if (step == 1) {
                NDArray.narrow(src, p, dst, o, n);
            } else if (step == 0) {
                Arrays.fill(dst, o, o + n, (float) src[p]);
            } else {
                for (int i = 0; i < n; i++) {
                    dst[o + i] = (float) src[p + i * step];
                }
            }
        });
    }

    /** {@code dst[i] +=} element i for i in [0, size), of a float64 array, in row-major order. */
    void addTo(double[] dst) {
        double[] src = data;
        MathKernel math = KernelProvider.math();
        forEachRunTiled(0, size, (at, p, step, n) -> {
            if (step == 1 && n >= MathKernel.MIN_LENGTH) {
                // NOTE: on the math kernel: HotSpot does not vectorize dst[at + i] += src[p + i]
                // (it cannot rule out that the two overlap)
                math.addTo(src, p, dst, at, n);
            } else if (step == 1) {
                for (int i = 0; i < n; i++) {
                    dst[at + i] += src[p + i];
                }
            } else if (step == 0) {
                double v = src[p];
                for (int i = 0; i < n; i++) {
                    dst[at + i] += v;
                }
            } else {
                for (int i = 0; i < n; i++) {
                    dst[at + i] += src[p + i * step];
                }
            }
        });
    }

    /** {@code dst[i] +=} element i for i in [0, size), of a float32 array, in row-major order. */
    void addTo(float[] dst) {
        float[] src = floats;
        forEachRunTiled(0, size, (at, p, step, n) -> {
            if (step == 1) {
                for (int i = 0; i < n; i++) {
                    dst[at + i] += src[p + i];
                }
            } else if (step == 0) {
                float v = src[p];
                for (int i = 0; i < n; i++) {
                    dst[at + i] += v;
                }
            } else {
                for (int i = 0; i < n; i++) {
                    dst[at + i] += src[p + i * step];
                }
            }
        });
    }
}
