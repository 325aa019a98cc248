package dev.adjoint.core.kernel;

/**
 * Two-dimensional convolution (cross-correlation, PyTorch's NCHW layout) as matrix products: the
 * input windows are unfolded into columns (im2col) and multiplied with the weight by {@link Gemm}.
 *
 * <p>The columns of all images form one matrix of K = (C / groups) kH kW rows and N oH oW columns,
 * never built whole: it is filled and multiplied a chunk of columns at a time, a chunk as wide as
 * fits in {@link #SCRATCH_BUDGET} doubles together with its slice of the output, so the scratch
 * memory stays bounded whatever the batch size. Per chunk and group: forward {@code Y = W cols},
 * input gradient {@code cols = W^T G} folded back (col2im), weight gradient {@code G cols^T}.
 *
 * <p>float32 arrays run float32 loops ({@code FloatConvLoops}, generated from {@link ConvLoops})
 * and the float32 matrix multiply; mixed dtypes are widened to float64 and the result rounded.
 */
public final class ConvKernels {
    /** Doubles of scratch one call may hold (4 MB): the im2col columns plus a slice of the output. */
    static final int SCRATCH_BUDGET = 1 << 19;

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

    /** The widest chunk of columns whose im2col rows and output rows fit in {@code budget} doubles. */
    static int chunkColumns(Geometry g, int budget) {
        int total = g.n * g.outH() * g.outW();
        return Math.max(1, Math.min(total, budget / (g.rows() + g.o / g.groups)));
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
            return FloatConvLoops.conv2d(x, weight, bias, g, budget);
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
            return FloatConvLoops.backwardInput(gradOutput, weight, g, budget);
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
            return FloatConvLoops.backwardWeight(x, gradOutput, g, budget);
        }
        if (x.floats != null || gradOutput.floats != null) {
            return ConvLoops.backwardWeight(x.toFloat64(), gradOutput.toFloat64(), g, budget).toFloat32();
        }
        return ConvLoops.backwardWeight(x, gradOutput, g, budget);
    }
}
