package dev.adjoint.core.kernel;

/**
 * Copies blocks of the operands into the order the kernels read them, and keeps the per-thread
 * buffers they are copied into.
 *
 * <p>A packed A block holds panels of {@code mr} rows: within a panel, column p's {@code mr}
 * values sit together, so a micro-kernel walks its panel with unit stride. A packed B block holds
 * panels of {@code nr} columns, row p's {@code nr} values together. Panels past the edge of the
 * matrix are padded with zeros, so micro-kernels never need bounds logic in the inner loop.
 */
final class Packing {
    /** Buffer slots, one array per slot and thread ({@link Scratch}). */
    static final int A_BLOCK = Scratch.PACKED_A;
    static final int B_BLOCK = Scratch.PACKED_B;
    static final int TILE = Scratch.TILE;

    private Packing() {
    }

    /** This thread's buffer for {@code slot}, at least {@code size} long; contents are garbage. */
    static double[] buffer(int slot, int size) {
        return Scratch.doubles(slot, size);
    }

    /** Drops this thread's buffers, as the collector may at any time (for tests). */
    static void releaseBuffers() {
        Scratch.release();
    }

    /**
     * Packs rows {@code [i0, i0 + rows)} and columns {@code [p0, p0 + depth)} of A into panels of
     * {@code mr} rows; the last panel is zero-padded.
     */
    static void packA(Operand a, int i0, int rows, int p0, int depth, int mr, double[] dst) {
        packA(a, i0, rows, p0, depth, mr, dst, 0);
    }

    /** {@link #packA(Operand, int, int, int, int, int, double[])} into {@code dst} from {@code out} on. */
    static void packA(Operand a, int i0, int rows, int p0, int depth, int mr, double[] dst, int out) {
        double[] src = a.data();
        int stride = a.stride();
        for (int ir = 0; ir < rows; ir += mr) {
            int live = Math.min(mr, rows - ir);
            if (a.transposed()) {
                // stored k x m: the panel's column p is a contiguous run of the stored row p
                int base = a.offset() + p0 * stride + i0 + ir;
                // NOTE: element by element: an arraycopy call per panel column of mr doubles costs more than the copy
                for (int p = 0, s = base; p < depth; p++, s += stride, out += mr) {
                    for (int r = 0; r < live; r++) {
                        dst[out + r] = src[s + r];
                    }
                    for (int r = live; r < mr; r++) {
                        dst[out + r] = 0.0;
                    }
                }
            } else if (live == 6 && mr == 6) {
                // a whole panel of the six-row tile (VectorGemmKernel.MR_NARROW): its six rows read side by
                // side, written in order, where the loop below writes each row six apart
                int s0 = a.offset() + (i0 + ir) * stride + p0;
                int s1 = s0 + stride;
                int s2 = s1 + stride;
                int s3 = s2 + stride;
                int s4 = s3 + stride;
                int s5 = s4 + stride;
                for (int p = 0; p < depth; p++, out += 6) {
                    dst[out] = src[s0 + p];
                    dst[out + 1] = src[s1 + p];
                    dst[out + 2] = src[s2 + p];
                    dst[out + 3] = src[s3 + p];
                    dst[out + 4] = src[s4 + p];
                    dst[out + 5] = src[s5 + p];
                }
            } else {
                for (int r = 0; r < mr; r++) {
                    int d = out + r;
                    if (r < live) {
                        int s = a.offset() + (i0 + ir + r) * stride + p0;
                        for (int p = 0; p < depth; p++, d += mr) {
                            dst[d] = src[s + p];
                        }
                    } else {
                        for (int p = 0; p < depth; p++, d += mr) {
                            dst[d] = 0.0;
                        }
                    }
                }
                out += mr * depth;
            }
        }
    }

    /**
     * Packs rows {@code [p0, p0 + depth)} and columns {@code [j0, j0 + cols)} of B into panels of
     * {@code nr} columns; the last panel is zero-padded. With {@code nr >= cols} this is a plain
     * row-major copy of the block with rows {@code nr} apart.
     */
    static void packB(Operand b, int p0, int depth, int j0, int cols, int nr, double[] dst, int out) {
        double[] src = b.data();
        int stride = b.stride();
        for (int jr = 0; jr < cols; jr += nr) {
            int live = Math.min(nr, cols - jr);
            if (b.transposed()) {
                for (int c = 0; c < nr; c++) {
                    int d = out + c;
                    if (c < live) {
                        int s = b.offset() + (j0 + jr + c) * stride + p0;
                        for (int p = 0; p < depth; p++, d += nr) {
                            dst[d] = src[s + p];
                        }
                    } else {
                        for (int p = 0; p < depth; p++, d += nr) {
                            dst[d] = 0.0;
                        }
                    }
                }
                out += nr * depth;
            } else {
                int base = b.offset() + p0 * stride + j0 + jr;
                for (int p = 0; p < depth; p++) {
                    System.arraycopy(src, base + p * stride, dst, out, live);
                    for (int c = live; c < nr; c++) {
                        dst[out + c] = 0.0;
                    }
                    out += nr;
                }
            }
        }
    }
}
