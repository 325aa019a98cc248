package dev.adjoint.core.kernel;

import dev.adjoint.core.kernel.ConvKernels.Geometry;
import java.util.Arrays;

/**
 * The loops of {@link ConvKernels} on arrays of double: im2col, the products through {@link Gemm},
 * and col2im ({@link ColumnLoops}), block by block ({@link ConvKernels.Plan}). The float32 ones are this file put through
 * {@code FloatSources} (CONTRIBUTING.md: edit the float64 file, regenerate); the scratch budget
 * counts elements of either dtype.
 */
final class ConvLoops {
    /**
     * Output planes from which the forward multiplies image by image straight into the output
     * rather than into scratch then copied: one packing of the weight per image is then small
     * against the image's product.
     */
    static final int DIRECT_PLANE = 256;

    private ConvLoops() {
    }

    /** Y = conv(x, weight) + bias, with at most {@code budget} doubles of scratch per block. */
    static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, Geometry g, int budget) {
        return conv2d(x, weight, bias, g, budget, DIRECT_PLANE);
    }

    /** {@link #conv2d(NDArray, NDArray, NDArray, Geometry, int)} with planes of {@code directPlane} on going straight to y. */
    static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, Geometry g, int budget, int directPlane) {
        NDArray xc = x.contiguous();
        NDArray wc = weight.contiguous();
        double[] b = bias == null ? null : bias.toArray();
        int[] shape = g.outputShape();
        // every element is written, by moveColumns or an image's product
        double[] y = Buffers.uninitialized(Shapes.size(shape));
        int k = g.rows();
        int og = g.o() / g.groups();
        ConvKernels.Plan plan = ConvKernels.Plan.of(g, budget);
        int chunk = plan.chunk();
        ConvKernels.forEachBlock(plan.blocks(), (long) k * chunk, (first, last, split) -> {
            double[] cols = Scratch.doubles(Scratch.COLUMNS, k * chunk);
            double[] out = Scratch.doubles(Scratch.SLICE, og * chunk);
            ConvKernels.eachChunk(plan, plan.from(first), plan.to(last - 1), (j0, cw, group) -> {
                ColumnLoops.im2col(xc.data, xc.offset, g, group, j0, cw, cols, split);
                Operand w = new Operand(wc.data, wc.offset + group * og * k, k, false);
                int plane = g.outH() * g.outW();
                // an image's product large enough for the matrix kernel, as the block's is (or of
                // one row: the plain loops either way), so that each element's sum is the same
                boolean sameKernel = og == 1 || (long) og * plane * k > Gemm.SMALL_WORK;
                if (plane >= directPlane && sameKernel && j0 % plane == 0 && cw % plane == 0) {
                    // each image's product straight into its output planes: the same products, no copy
                    for (int j = j0; j < j0 + cw; j += plane) {
                        int at = (j / plane * g.o() + group * og) * plane;
                        GemmLoops.multiply(null, w, new Operand(cols, j - j0, cw, false), y, at, plane, og, plane, k);
                        for (int oc = 0; b != null && oc < og; oc++, at += plane) {
                            BinaryLoops.inner(Elementwise.Binary.ADD, y, at, y, at, 1, b, group * og + oc, 0, plane);
                        }
                    }
                } else {
                    GemmLoops.multiply(null, w, new Operand(cols, 0, cw, false), out, 0, cw, og, cw, k);
                    moveColumns(out, y, g, group, j0, cw, b);
                }
            });
        });
        return NDArray.wrap(y, shape);
    }

    /** The input gradient, with at most {@code budget} doubles of scratch per block. */
    static NDArray backwardInput(NDArray gradOutput, NDArray weight, Geometry g, int budget) {
        NDArray wc = weight.contiguous();
        int[] shape = g.inputShape();
        // every element is written: each block zeroes its images before col2im adds to them
        double[] gx = Buffers.uninitialized(Shapes.size(shape));
        int k = g.rows();
        int og = g.o() / g.groups();
        int image = g.c() * g.h() * g.w();
        ConvKernels.Plan plan = ConvKernels.Plan.of(g, budget);
        int chunk = plan.chunk();
        Strided view = reader(gradOutput);
        ConvKernels.forEachBlock(plan.blocks(), (long) k * chunk, (first, last, split) -> {
            double[] cols = Scratch.doubles(Scratch.COLUMNS, k * chunk);
            double[] slice = Scratch.doubles(Scratch.SLICE, og * chunk);
            Arrays.fill(gx, first * plan.images() * image, Math.min(g.n(), last * plan.images()) * image, 0.0);
            ConvKernels.eachChunk(plan, plan.from(first), plan.to(last - 1), (j0, cw, group) -> {
                gatherColumns(gradOutput, view, slice, g, group, j0, cw);
                GemmLoops.multiply(null, new Operand(wc.data, wc.offset + group * og * k, k, true),
                        new Operand(slice, 0, cw, false), cols, 0, cw, k, cw, og);
                ColumnLoops.col2im(cols, g, group, j0, cw, gx, split);
            });
        });
        return NDArray.wrap(gx, shape);
    }

    /**
     * The weight gradient, with at most {@code budget} doubles of scratch per block: lane by lane
     * ({@link ConvKernels.Plan#lanes}), each lane's blocks summed in order into its partial, the
     * partials added in lane order.
     */
    static NDArray backwardWeight(NDArray x, NDArray gradOutput, Geometry g, int budget) {
        NDArray xc = x.contiguous();
        int[] shape = g.weightShape();
        int k = g.rows();
        int og = g.o() / g.groups();
        int size = g.o() * k;
        ConvKernels.Plan plan = ConvKernels.Plan.of(g, budget);
        int chunk = plan.chunk();
        int lanes = plan.lanes(size, budget);
        int blocks = plan.blocks();
        double[] partials = new double[lanes * size];
        Strided view = reader(gradOutput);
        ConvKernels.forEachBlock(lanes, (long) k * chunk * blocks / lanes, (firstLane, lastLane, split) -> {
            double[] cols = Scratch.doubles(Scratch.COLUMNS, k * chunk);
            double[] slice = Scratch.doubles(Scratch.SLICE, og * chunk);
            double[] part = Scratch.doubles(Scratch.PRODUCT, og * k);
            for (int lane = firstLane; lane < lastLane; lane++) {
                int from = plan.from((int) ((long) lane * blocks / lanes));
                int end = plan.to((int) ((long) (lane + 1) * blocks / lanes) - 1);
                int laneBase = lane * size;
                ConvKernels.eachChunk(plan, from, end, (j0, cw, group) -> {
                    ColumnLoops.im2col(xc.data, xc.offset, g, group, j0, cw, cols, split);
                    gatherColumns(gradOutput, view, slice, g, group, j0, cw);
                    // the product's transpose, cols [k, cw] times the slice's transpose: the same bits
                    // (each element the same chain of fused multiply-adds in the same order, whose
                    // products commute), and what is packed as a transposed B is the slice (og rows),
                    // not cols (k rows): a transposed B is packed element by element
                    GemmLoops.multiply(null, new Operand(cols, 0, cw, false), new Operand(slice, 0, cw, true),
                            part, 0, og, k, og, cw);
                    // partials keep each group's [k, og] layout, the product's: one contiguous
                    // addition, the same additions as into [og, k] (transposed once at the end)
                    int base = laneBase + group * og * k;
                    BinaryLoops.inner(Elementwise.Binary.ADD, partials, base, partials, base, 1, part, 0, 1, og * k);
                });
            }
        });
        if (lanes > 1) {
            Parallel.forRange(size, Parallel.GRAIN, lanes, (from, to) -> {
                // into lane 0's partials, lane by lane over a range, so each element gets lane 0's
                // partial plus the others in lane order, and each lane is read in one pass, not
                // lanes streams at once
                for (int lane = 1; lane < lanes; lane++) {
                    BinaryLoops.inner(Elementwise.Binary.ADD, partials, from, partials, from, 1, partials, lane * size + from, 1,
                            to - from);
                }
            });
        }
        double[] gw = new double[size];
        for (int group = 0; group < g.groups(); group++) {
            int base = group * og * k;
            for (int q = 0; q < k; q++) {
                for (int o = 0, at = base + q * og; o < og; o++) {
                    gw[base + o * k + q] = partials[at + o];
                }
            }
        }
        return NDArray.wrap(gw, shape);
    }

    /**
     * Copies the output channels of a group for columns [j0, j0 + cw) of {@code gy} [n, o, oH, oW]
     * into {@code slice} [o / groups, cw]: a contiguous gy by copies, any other through
     * {@code view}, its {@link Strided} reader (a gradient broadcast from a sum is filled from its
     * one value, not copied whole first).
     *
     * @param view {@code Strided.of(gy)}, or null where gy is contiguous
     */
    static void gatherColumns(NDArray gy, Strided view, double[] slice, Geometry g, int group, int j0, int cw) {
        int og = g.o() / g.groups();
        int plane = g.outH() * g.outW();
        for (int j = j0, end = j0 + cw; j < end; ) {
            int image = j / plane;
            int pos = j - image * plane;
            int len = Math.min(plane - pos, end - j);
            for (int oc = 0; oc < og; oc++) {
                // element e of gy's row-major order is column j of channel group * og + oc
                int e = (image * g.o() + group * og + oc) * plane + pos;
                int dst = oc * cw + j - j0;
                if (view == null) {
                    System.arraycopy(gy.data, gy.offset + e, slice, dst, len);
                } else {
                    view.copy(e, e + len, slice, dst);
                }
            }
            j += len;
        }
    }

    /** The reader {@link #gatherColumns} takes for {@code gy}: null where gy is contiguous. */
    private static Strided reader(NDArray gy) {
        return gy.isContiguous() ? null : Strided.of(gy);
    }

    /** The reverse of {@link #gatherColumns}: writes {@code slice} into y, adding the bias if there is one. */
    static void moveColumns(double[] slice, double[] y, Geometry g, int group, int j0, int cw, double[] bias) {
        int og = g.o() / g.groups();
        int plane = g.outH() * g.outW();
        for (int j = j0, end = j0 + cw; j < end; ) {
            int image = j / plane;
            int pos = j - image * plane;
            int len = Math.min(plane - pos, end - j);
            for (int oc = 0; oc < og; oc++) {
                int dst = (image * g.o() + group * og + oc) * plane + pos;
                int src = oc * cw + j - j0;
                if (bias == null) {
                    System.arraycopy(slice, src, y, dst, len);
                } else {
                    // the bias broadcast: long runs on the math kernel (C2 does not vectorize the loop)
                    BinaryLoops.inner(Elementwise.Binary.ADD, y, dst, slice, src, 1, bias, group * og + oc, 0, len);
                }
            }
            j += len;
        }
    }
}
