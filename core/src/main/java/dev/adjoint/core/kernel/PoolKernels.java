package dev.adjoint.core.kernel;

import java.util.Arrays;

/**
 * Two-dimensional max and average pooling over square windows, PyTorch's NCHW layout: each of the
 * n c planes is pooled on its own. Windows start at {@code i s - p}; only their positions inside
 * the input are read (max pooling's padding is minus infinity), and an average divides by k^2,
 * padding included, as PyTorch's default {@code count_include_pad=True}.
 *
 * <p>Each op is one pass over the planes ({@link MaxPoolLoops} and {@link PoolLoops} hold the
 * loops; float32 2x2 max pooling runs most rows on the math kernel's vector loop, with the same
 * bits): an input of any strides is read plane by plane without a whole-array copy, and every
 * element of the result is written (its array may come from {@link Buffers}, uninitialized). Large
 * ones are split by planes across the threads of the matrix products ({@link Parallel#forRange(int, int, long, Parallel.Range)}); a
 * plane's operations and their order do not depend on the split, so neither do the bits.
 *
 * <p>A float32 result is, bit for bit, the float64 result of the widened input rounded once (NaN
 * payloads aside), and positions are float64 in both dtypes (a plane may hold more positions than
 * float32 counts exactly). Max pooling and gather only select and copy, so float32 planes run
 * unwidened in {@code FloatMaxPoolLoops}; so does scatter when windows do not overlap (stride at
 * least the window), where each input position receives at most one gradient and a float32 sum of
 * one term is exact. Overlapping windows' scatter and average pooling add several terms per
 * element: those widen each plane, add in float64 and round once, which can differ from PyTorch's
 * float32 accumulation in the last bit.
 */
public final class PoolKernels {
    private PoolKernels() {
    }

    /**
     * The sizes of one pooling: input [n, c, h, w], window k x k, stride s, padding p.
     *
     * @param n batch size
     * @param c channels
     * @param h input height
     * @param w input width
     * @param k window size
     * @param s stride
     * @param p padding
     */
    public record Pool(int n, int c, int h, int w, int k, int s, int p) {
        /** @return the output height, floor((h + 2p - k) / s) + 1 */
        public int outH() {
            return (h + 2 * p - k) / s + 1;
        }

        /** @return the output width */
        public int outW() {
            return (w + 2 * p - k) / s + 1;
        }

        /** @return the number of planes, n c */
        public int planes() {
            return n * c;
        }

        /** @return the input shape */
        public int[] inputShape() {
            return new int[] {n, c, h, w};
        }

        /** @return the output shape */
        public int[] outputShape() {
            return new int[] {n, c, outH(), outW()};
        }
    }

    /**
     * The maximum of each window and where it is, as PyTorch 1.13 finds it: scanning the window row
     * by row, a value replaces the running maximum when it is greater or NaN, so the first of tied
     * values wins and any NaN makes the maximum NaN.
     *
     * @param x input [n, c, h, w]
     * @param pool the sizes
     * @return the maxima [n, c, outH, outW] and, of the same shape, each one's position h w + w within its plane
     */
    public static NDArray[] maxPool2d(NDArray x, Pool pool) {
        int out = pool.outH() * pool.outW();
        boolean float32 = x.floats != null;
        Output y = new Output(float32, pool.planes() * out);
        double[] where = Buffers.uninitialized(pool.planes() * out);
        Parallel.forRange(pool.planes(), 1, pool.h * pool.w, (from, to) -> {
            Planes in = new Planes(x, pool.c, pool.h, pool.w, float32);
            for (int plane = from; plane < to; plane++) {
                in.load(plane);
                if (float32) {
                    FloatMaxPoolLoops.max(in.floatBuffer, in.offset, y.floats, plane * out, where, plane * out, pool);
                } else {
                    MaxPoolLoops.max(in.buffer, in.offset, y.data, plane * out, where, plane * out, pool);
                }
            }
        });
        return new NDArray[] {y.wrap(pool.outputShape()), NDArray.wrap(where, pool.outputShape())};
    }

    /**
     * {@code y[plane, o] = x[plane, where[plane, o]]}: the values at recorded positions.
     *
     * @param x [n, c, h, w]
     * @param where positions within each plane, of the output's shape
     * @param pool the sizes
     * @return [n, c, outH, outW]
     */
    public static NDArray gather(NDArray x, NDArray where, Pool pool) {
        NDArray wc = where.contiguous();
        int out = pool.outH() * pool.outW();
        boolean float32 = x.floats != null;
        Output y = new Output(float32, pool.planes() * out);
        Parallel.forRange(pool.planes(), 1, out, (from, to) -> {
            Planes in = new Planes(x, pool.c, pool.h, pool.w, float32);
            for (int plane = from; plane < to; plane++) {
                in.load(plane);
                if (float32) {
                    FloatMaxPoolLoops.gather(in.floatBuffer, in.offset, wc.data, wc.offset + plane * out, y.floats, plane * out, out);
                } else {
                    MaxPoolLoops.gather(in.buffer, in.offset, wc.data, wc.offset + plane * out, y.data, plane * out, out);
                }
            }
        });
        return y.wrap(pool.outputShape());
    }

    /**
     * The adjoint of {@link #gather}: each gradient added into the input position it came from
     * (overlapping windows may share one; float32 gradients then add in float64 and round once).
     *
     * @param gradOutput [n, c, outH, outW]
     * @param where positions within each plane, of the output's shape
     * @param pool the sizes
     * @return [n, c, h, w]
     */
    public static NDArray scatter(NDArray gradOutput, NDArray where, Pool pool) {
        NDArray wc = where.contiguous();
        int out = pool.outH() * pool.outW();
        int hw = pool.h * pool.w;
        boolean float32 = gradOutput.floats != null;
        // disjoint windows: at most one gradient per position, so a float32 sum is exact
        boolean unwidened = float32 && pool.s >= pool.k;
        Output gx = new Output(float32, pool.planes() * hw);
        Parallel.forRange(pool.planes(), 1, hw, (from, to) -> {
            Planes g = new Planes(gradOutput, pool.c, pool.outH(), pool.outW(), unwidened);
            double[] target = unwidened ? null : gx.target(hw);
            for (int plane = from; plane < to; plane++) {
                g.load(plane);
                if (unwidened) {
                    FloatMaxPoolLoops.scatter(g.floatBuffer, g.offset, wc.data, wc.offset + plane * out, out, gx.floats, plane * hw, hw);
                } else {
                    MaxPoolLoops.scatter(g.buffer, g.offset, wc.data, wc.offset + plane * out, out, target, gx.offset(plane, hw), hw);
                    gx.store(target, plane, hw);
                }
            }
        });
        return gx.wrap(pool.inputShape());
    }

    /**
     * The mean of each window, padding counted as zeros.
     *
     * @param x [n, c, h, w]
     * @param pool the sizes
     * @return [n, c, outH, outW]
     */
    public static NDArray avgPool2d(NDArray x, Pool pool) {
        return eachPlane(x, pool, pool.h, pool.w, pool.outH() * pool.outW(), pool.outputShape(),
                (in, io, out, oo) -> PoolLoops.average(in, io, out, oo, pool));
    }

    /**
     * The adjoint of {@link #avgPool2d}: each output gradient spread as g / k^2 over its window's
     * positions inside the input.
     *
     * @param gradOutput [n, c, outH, outW]
     * @param pool the sizes
     * @return [n, c, h, w]
     */
    public static NDArray avgPool2dBackward(NDArray gradOutput, Pool pool) {
        return eachPlane(gradOutput, pool, pool.outH(), pool.outW(), pool.h * pool.w, pool.inputShape(),
                (g, go, out, oo) -> PoolLoops.averageBackward(g, go, out, oo, pool));
    }

    /** A float64 loop from one plane of the source (at an offset) to one plane of the result. */
    private interface PlaneLoop {
        void run(double[] in, int inOffset, double[] out, int outOffset);
    }

    /**
     * Runs {@code loop} on each [rows, cols] plane of {@code src}, read as float64, into planes of
     * {@code outSize} elements of a new array of {@code src}'s dtype and shape {@code shape} (a
     * float32 result rounded once); planes split over threads, each plane's loop as on one thread.
     */
    private static NDArray eachPlane(NDArray src, Pool pool, int rows, int cols, int outSize, int[] shape, PlaneLoop loop) {
        Output result = new Output(src.floats != null, pool.planes() * outSize);
        Parallel.forRange(pool.planes(), 1, pool.h * pool.w, (from, to) -> {
            Planes in = new Planes(src, pool.c, rows, cols, false);
            double[] target = result.target(outSize);
            for (int plane = from; plane < to; plane++) {
                in.load(plane);
                loop.run(in.buffer, in.offset, target, result.offset(plane, outSize));
                result.store(target, plane, outSize);
            }
        });
        return result.wrap(shape);
    }

    /**
     * One plane at a time of a 4-D array [n, c, rows, cols] of either dtype, in row-major order from
     * {@link #offset}: in {@link #floatBuffer} where a float32 array is read as float32
     * ({@code asFloats}), otherwise in {@link #buffer} as float64. Either is the array's own buffer
     * where the dtype is kept and the plane is contiguous, otherwise a per-thread copy (widened
     * exactly from float32 for {@link #buffer}). One per thread.
     */
    private static final class Planes {
        private final NDArray a;
        private final int channels;
        private final int rows;
        private final int cols;
        private final int rowStride;
        private final int colStride;
        private final boolean asFloats;
        private final boolean inPlace;
        private final double[] copy;
        private final float[] floatCopy;
        double[] buffer;
        float[] floatBuffer;
        int offset;

        Planes(NDArray a, int channels, int rows, int cols, boolean asFloats) {
            this.a = a;
            this.channels = channels;
            this.rows = rows;
            this.cols = cols;
            // the stride of an axis of length 1 is never used: take the contiguous one
            this.rowStride = rows == 1 ? cols : a.strides[2];
            this.colStride = cols == 1 ? 1 : a.strides[3];
            this.asFloats = asFloats && a.floats != null;
            boolean packed = colStride == 1 && rowStride == cols;
            this.inPlace = packed && (this.asFloats || a.floats == null);
            this.copy = inPlace || this.asFloats ? null : new double[rows * cols];
            this.floatCopy = inPlace || !this.asFloats ? null : new float[rows * cols];
        }

        void load(int plane) {
            int start = a.offset + plane / channels * a.strides[0] + plane % channels * a.strides[1];
            if (inPlace) {
                buffer = a.data;
                floatBuffer = a.floats;
                offset = start;
                return;
            }
            buffer = copy;
            floatBuffer = floatCopy;
            offset = 0;
            if (asFloats) {
                loadFloats(start);
            } else if (colStride == 1 && rowStride == cols) {
                NDArray.widen(a.floats, start, copy, 0, rows * cols);
            } else if (colStride == 0 && rowStride == 0) {
                // one value broadcast over the plane, as the backward of a sum delivers a gradient
                Arrays.fill(copy, a.floats != null ? a.floats[start] : a.data[start]);
            } else {
                for (int r = 0, q = 0; r < rows; r++) {
                    for (int t = 0, e = start + r * rowStride; t < cols; t++, q++, e += colStride) {
                        copy[q] = a.floats != null ? a.floats[e] : a.data[e];
                    }
                }
            }
        }

        /** A strided float32 plane copied as it is: float32 loops read it. */
        private void loadFloats(int start) {
            if (colStride == 0 && rowStride == 0) {
                Arrays.fill(floatCopy, a.floats[start]);
                return;
            }
            for (int r = 0, q = 0; r < rows; r++) {
                for (int t = 0, e = start + r * rowStride; t < cols; t++, q++, e += colStride) {
                    floatCopy[q] = a.floats[e];
                }
            }
        }
    }

    /**
     * A result of either dtype written plane by plane: a float32 loop writes into {@link #floats}
     * itself; a float64 loop writes into {@link #target} at {@link #offset}, which is the result
     * itself for float64 and a per-thread plane for float32 that {@link #store} rounds into the
     * result. Every element must be written: the arrays come from {@link Buffers#uninitialized}.
     */
    private static final class Output {
        final double[] data;
        final float[] floats;

        Output(boolean float32, int size) {
            this.data = float32 ? null : Buffers.uninitialized(size);
            this.floats = float32 ? Buffers.uninitializedFloats(size) : null;
        }

        /** The array a thread's loops write planes of {@code n} elements into. */
        double[] target(int n) {
            return floats == null ? data : new double[n];
        }

        int offset(int plane, int n) {
            return floats == null ? plane * n : 0;
        }

        void store(double[] target, int plane, int n) {
            if (floats != null) {
                NDArray.narrow(target, 0, floats, plane * n, n);
            }
        }

        NDArray wrap(int[] shape) {
            return floats == null ? NDArray.wrap(data, shape) : NDArray.wrap(floats, shape);
        }
    }
}
