package dev.adjoint.core.kernel;


/**
 * Two-dimensional convolution (cross-correlation, PyTorch's NCHW layout) as matrix products: the
 * input windows are unfolded into columns (im2col) and multiplied with the weight by {@link Gemm}.
 *
 * <p>The columns of all images form one matrix of K = (C / groups) kH kW rows and N oH oW columns,
 * never built whole. It is cut into blocks of whole images ({@link Plan}), as many images as fit in
 * {@link #SCRATCH_BUDGET} elements of scratch together with their slice of the output; an image
 * too large for that is a block of its own, filled and multiplied a chunk of columns at a time. Per
 * chunk and group: forward {@code Y = W cols}, input gradient {@code cols = W^T G} folded back
 * (col2im), weight gradient {@code G cols^T}. The blocks are the unit of parallel work: each thread
 * claims the next block and runs its im2col, products and col2im alone, in scratch of its own that
 * stays in its core's cache; one block alone splits its products and loops over the threads
 * instead.
 *
 * <p>Determinism: the blocks and chunks depend on the sizes only, and the products give the same
 * bits whichever thread runs them ({@link Gemm}), so every thread count gives the same bits. A
 * block's input gradient touches only its own images, added in one order. The weight gradient
 * sums over all images: fixed runs of blocks (lanes, {@link Plan#lanes}) each sum into a partial of
 * their own, and the partials are added in lane order.
 *
 * <p>float32 arrays run float32 loops ({@code FloatConvLoops}, generated from {@link ConvLoops})
 * and the float32 matrix multiply, or, for the 3x3 convolutions of stride 1 that its rules take,
 * {@link FloatWinograd}; mixed dtypes are widened to float64 and the result rounded.
 */
public final class ConvKernels {
    /**
     * Elements of scratch a block may use (2 MB of doubles): its im2col columns plus its slice of
     * the output; one such block per thread. Blocks of a few images keep a thread's scratch near
     * its core's cache while each product stays wide enough to run at the kernel's speed.
     */
    static final int SCRATCH_BUDGET = 1 << 18;
    /** The most weight-gradient partials (lanes) of one call. */
    static final int MAX_LANES = 16;
    private ConvKernels() {
    }

    /**
     * The sizes of one convolution: input [n, c, h, w], weight [o, c / groups, kh, kw], and per
     * axis stride, padding and dilation.
     *
     * @param n batch size
     * @param c input channels
     * @param h input height
     * @param w input width
     * @param o output channels
     * @param kh kernel height
     * @param kw kernel width
     * @param sh vertical stride
     * @param sw horizontal stride
     * @param ph vertical padding
     * @param pw horizontal padding
     * @param dh vertical dilation
     * @param dw horizontal dilation
     * @param groups channel groups
     */
    public record Geometry(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                           int groups) {
        /** @return the output height, floor((h + 2 ph - dh (kh - 1) - 1) / sh) + 1 */
        public int outH() {
            return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
        }

        /** @return the output width */
        public int outW() {
            return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        }

        /** @return the input shape */
        public int[] inputShape() {
            return new int[] {n, c, h, w};
        }

        /** @return the weight shape */
        public int[] weightShape() {
            return new int[] {o, c / groups, kh, kw};
        }

        /** @return the output shape */
        public int[] outputShape() {
            return new int[] {n, o, outH(), outW()};
        }

        /** Rows of the unfolded matrix of one group. */
        int rows() {
            return c / groups * kh * kw;
        }
    }

    /** The widest chunk of columns whose im2col rows and output rows fit in {@code budget} elements. */
    static int chunkColumns(Geometry g, int budget) {
        int total = g.n * g.outH() * g.outW();
        return Math.max(1, Math.min(total, budget / (g.rows() + g.o / g.groups)));
    }

    /**
     * How the columns are cut for a scratch budget: blocks of {@code images} whole images each (the
     * last may have fewer), each block's columns in chunks of at most {@code chunk} columns (one
     * chunk per block unless an image alone exceeds the budget; then an image's chunks are equal to
     * within one column).
     *
     * @param g the sizes
     * @param images images per block
     * @param chunk the most columns per chunk
     * @param blocks the number of blocks
     */
    record Plan(Geometry g, int images, int chunk, int blocks) {
        static Plan of(Geometry g, int budget) {
            int plane = g.outH() * g.outW();
            int widest = chunkColumns(g, budget);
            if (plane <= widest) {
                // at least one image a block, so that an empty batch has no blocks
                int images = Math.max(1, Math.min(g.n, widest / plane));
                return new Plan(g, images, images * plane, (g.n + images - 1) / images);
            }
            int pieces = (plane + widest - 1) / widest;
            return new Plan(g, 1, (plane + pieces - 1) / pieces, g.n);
        }

        /** The first column of block {@code b}. */
        int from(int b) {
            return b * images * g.outH() * g.outW();
        }

        /** The column after block {@code b}'s last. */
        int to(int b) {
            return Math.min(g.n, (b + 1) * images) * g.outH() * g.outW();
        }

        /**
         * Weight-gradient partials of {@code size} elements each: one per block up to
         * {@link #MAX_LANES}, as many as {@code budget} elements hold (at least one).
         */
        int lanes(int size, int budget) {
            return Math.max(1, Math.min(Math.min(blocks, MAX_LANES), budget / size));
        }
    }

    /** The work of one chunk of columns [j0, j0 + cw) for one group. */
    @FunctionalInterface
    interface Chunk {
        void run(int j0, int cw, int group);
    }

    /**
     * Runs {@code body} over columns [from, end) of {@code plan} chunk by chunk, each chunk for
     * every group in turn. A chunk is at most {@link Plan#chunk} columns and ends at the end of its
     * image when images are cut into several chunks (chunks never span two images then).
     */
    static void eachChunk(Plan plan, int from, int end, Chunk body) {
        int plane = plan.g().outH() * plan.g().outW();
        for (int j0 = from; j0 < end; ) {
            int stop = plan.images() > 1 ? end : Math.min(end, (j0 / plane + 1) * plane);
            int cw = Math.min(plan.chunk(), stop - j0);
            for (int group = 0; group < plan.g().groups(); group++) {
                body.run(j0, cw, group);
            }
            j0 += cw;
        }
    }

    /** The work of blocks (or lanes) [first, last); {@code split} when they may split their loops over threads. */
    @FunctionalInterface
    interface Blocks {
        void run(int first, int last, boolean split);
    }

    /**
     * Runs {@code body} over [0, count) blocks of {@code cost} multiply-adds each: fewer blocks than
     * threads on the calling thread, one after another, each splitting its loops over the threads
     * (so no core idles); otherwise on the threads, one block at a time each, the blocks' products on
     * their own thread ({@link Gemm#limitThreads}).
     */
    static void forEachBlock(int count, long cost, Blocks body) {
        if (count < Parallel.parts(count * cost)) {
            body.run(0, count, true);
            return;
        }
        Parallel.forEachIndex(count, cost, (first, last) -> {
            int cap = Gemm.limitThreads(1);
            try {
                body.run(first, last, false);
            } finally {
                Gemm.limitThreads(cap);
            }
        });
    }

    /**
     * Y = conv(x, weight) + bias.
     *
     * @param x input [n, c, h, w]
     * @param weight [o, c / groups, kh, kw]
     * @param bias [o], or null for none
     * @param g the sizes (checked by the caller)
     * @return the output [n, o, outH, outW]
     */
    public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, Geometry g) {
        return conv2d(x, weight, bias, g, SCRATCH_BUDGET);
    }

    static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, Geometry g, int budget) {
        if (x.floats != null && weight.floats != null && (bias == null || bias.floats != null)) {
            return FloatWinograd.applies(g) ? FloatWinograd.conv2d(x, weight, bias, g, budget)
                    : FloatConvLoops.conv2d(x, weight, bias, g, budget);
        }
        if (x.floats != null || weight.floats != null || bias != null && bias.floats != null) {
            return ConvLoops.conv2d(x.toFloat64(), weight.toFloat64(), bias == null ? null : bias.toFloat64(), g, budget)
                    .toFloat32();
        }
        return ConvLoops.conv2d(x, weight, bias, g, budget);
    }

    /**
     * The gradient of conv(x, weight) with respect to x for the output gradient {@code gradOutput}:
     * the transposed convolution, {@code W^T G} folded back into the input's shape.
     *
     * @param gradOutput [n, o, outH, outW]
     * @param weight [o, c / groups, kh, kw]
     * @param g the sizes
     * @return [n, c, h, w]
     */
    public static NDArray backwardInput(NDArray gradOutput, NDArray weight, Geometry g) {
        return backwardInput(gradOutput, weight, g, SCRATCH_BUDGET);
    }

    static NDArray backwardInput(NDArray gradOutput, NDArray weight, Geometry g, int budget) {
        if (gradOutput.floats != null && weight.floats != null) {
            return FloatWinograd.appliesToInputGradient(g) ? FloatWinograd.backwardInput(gradOutput, weight, g, budget)
                    : FloatConvLoops.backwardInput(gradOutput, weight, g, budget);
        }
        if (gradOutput.floats != null || weight.floats != null) {
            return ConvLoops.backwardInput(gradOutput.toFloat64(), weight.toFloat64(), g, budget).toFloat32();
        }
        return ConvLoops.backwardInput(gradOutput, weight, g, budget);
    }

    /**
     * The gradient of conv(x, weight) with respect to the weight: {@code G cols^T}, summed over the batch.
     *
     * @param x input [n, c, h, w]
     * @param gradOutput [n, o, outH, outW]
     * @param g the sizes
     * @return [o, c / groups, kh, kw]
     */
    public static NDArray backwardWeight(NDArray x, NDArray gradOutput, Geometry g) {
        return backwardWeight(x, gradOutput, g, SCRATCH_BUDGET);
    }

    static NDArray backwardWeight(NDArray x, NDArray gradOutput, Geometry g, int budget) {
        if (x.floats != null && gradOutput.floats != null) {
            return FloatWinograd.appliesToWeightGradient(g) ? FloatWinograd.backwardWeight(x, gradOutput, g, budget)
                    : FloatConvLoops.backwardWeight(x, gradOutput, g, budget);
        }
        if (x.floats != null || gradOutput.floats != null) {
            return ConvLoops.backwardWeight(x.toFloat64(), gradOutput.toFloat64(), g, budget).toFloat32();
        }
        return ConvLoops.backwardWeight(x, gradOutput, g, budget);
    }
}
