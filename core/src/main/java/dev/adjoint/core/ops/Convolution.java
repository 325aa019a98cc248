package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.ConvKernels;
import dev.adjoint.core.kernel.ConvKernels.Geometry;
import dev.adjoint.core.kernel.Shapes;
import java.util.Arrays;

/**
 * Convolution (cross-correlation, as torch.nn.functional.conv2d) in PyTorch's layouts. Three
 * primitives, each bilinear, whose backward passes are made of one another, so every order of
 * derivative is exact: {@code conv2d(x, w)}, its input gradient {@code conv2dBackwardInput(G, w)}
 * (a transposed convolution) and its weight gradient {@code conv2dBackwardWeight(x, G)}. conv1d is
 * conv2d on a height of 1.
 *
 * <p>Tangent rules follow from the same bilinearity: the tangent of {@code op(a, b)} is
 * {@code op(da, b) + op(a, db)} (plus the bias's tangent on every position for conv2d). A batch
 * of tangents of the image-indexed argument (x of conv2d, G of conv2dBackwardInput) is folded into
 * the image axis, so one convolution carries every direction; conv2d's weight tangents become
 * more output channels of one convolution; conv2dBackwardInput's weight tangents and both tangents
 * of conv2dBackwardWeight (which sums over the images) are taken one direction at a time.
 */
public final class Convolution {
    private Convolution() {
    }

    /**
     * conv1d as torch.nn.functional.conv1d.
     *
     * @param x [N, C, L]
     * @param weight [O, C, K]
     * @param bias [O], or null
     * @param stride the stride
     * @param padding zeros added at both ends
     * @return [N, O, Lout]
     */
    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        if (weight == null) {
            throw new IllegalArgumentException("conv1d: weight is null");
        }
        int[] sx = value(x).shapeView();
        int[] sw = value(weight).shapeView();
        if (sx.length != 3) {
            throw new IllegalArgumentException("conv1d: input must be 3-D [N, C, L], got " + Arrays.toString(sx));
        }
        if (sw.length != 3) {
            throw new IllegalArgumentException("conv1d: weight must be 3-D [O, C, K], got " + Arrays.toString(sw));
        }
        if (stride < 1 || padding < 0) {
            throw new IllegalArgumentException("conv1d: stride must be positive and padding non-negative, got stride " + stride
                    + ", padding " + padding);
        }
        Geometry g = geometry("conv1d", new int[] {sx[0], sx[1], 1, sx[2]}, new int[] {sw[0], sw[1], 1, sw[2]},
                bias == null ? null : value(bias).shapeView(), new int[] {1, stride}, new int[] {0, padding}, new int[] {1, 1}, 1,
                sx, sw);
        Tensor y = apply(g, x.reshape(sx[0], sx[1], 1, sx[2]), weight.reshape(sw[0], sw[1], 1, sw[2]), bias);
        return y.reshape(g.n(), g.o(), g.outW());
    }

    /**
     * conv2d as torch.nn.functional.conv2d.
     *
     * @param x [N, C, H, W]
     * @param weight [O, C / groups, kH, kW]
     * @param bias [O], or null
     * @param stride vertical and horizontal stride
     * @param padding vertical and horizontal zero padding
     * @param dilation vertical and horizontal dilation
     * @param groups channel groups
     * @return [N, O, outH, outW]
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        if (weight == null) {
            throw new IllegalArgumentException("conv2d: weight is null");
        }
        int[] sx = value(x).shapeView();
        int[] sw = value(weight).shapeView();
        if (sx.length != 4) {
            throw new IllegalArgumentException("conv2d: input must be 4-D [N, C, H, W], got " + Arrays.toString(sx));
        }
        if (sw.length != 4) {
            throw new IllegalArgumentException("conv2d: weight must be 4-D [O, C / groups, kH, kW], got " + Arrays.toString(sw));
        }
        Geometry g = geometry("conv2d", sx, sw, bias == null ? null : value(bias).shapeView(), stride, padding, dilation, groups,
                sx, sw);
        return apply(g, x, weight, bias);
    }

    private static Tensor apply(Geometry g, Tensor x, Tensor w, Tensor bias) {
        return bias == null ? new Conv(g, false).apply(x, w) : new Conv(g, true).apply(x, w, bias);
    }

    /** Checks the arguments (named as the user gave them: {@code shownX}, {@code shownW}) and returns the sizes. */
    private static Geometry geometry(String op, int[] sx, int[] sw, int[] sb, int[] stride, int[] padding, int[] dilation,
                                     int groups, int[] shownX, int[] shownW) {
        String x = Arrays.toString(shownX);
        String w = Arrays.toString(shownW);
        pair(op, "stride", stride, 1);
        pair(op, "padding", padding, 0);
        pair(op, "dilation", dilation, 1);
        for (int d : sw) {
            if (d <= 0) {
                throw new IllegalArgumentException(op + ": weight " + w + " has a dimension below 1");
            }
        }
        for (int i = 1; i < sx.length; i++) {
            if (sx[i] <= 0) {
                throw new IllegalArgumentException(op + ": input " + x + " has a channel or spatial dimension below 1");
            }
        }
        if (groups <= 0) {
            throw new IllegalArgumentException(op + ": groups must be positive, got " + groups);
        }
        if (sx[1] % groups != 0) {
            throw new IllegalArgumentException(op + ": groups " + groups + " does not divide the " + sx[1] + " channels of input " + x);
        }
        if (sw[0] % groups != 0) {
            throw new IllegalArgumentException(op + ": groups " + groups + " does not divide the " + sw[0]
                    + " output channels of weight " + w);
        }
        if (sx[1] != sw[1] * groups) {
            throw new IllegalArgumentException(op + ": input " + x + " has " + sx[1] + " channels but weight " + w + " expects "
                    + sw[1] * groups + " (groups " + groups + ")");
        }
        if (sb != null && (sb.length != 1 || sb[0] != sw[0])) {
            throw new IllegalArgumentException(op + ": bias " + Arrays.toString(sb) + " must be [" + sw[0]
                    + "], one value per output channel of weight " + w);
        }
        for (int axis = 2; axis < 4; axis++) {
            long padded = (long) sx[axis] + 2L * padding[axis - 2];
            long extent = (long) dilation[axis - 2] * (sw[axis] - 1) + 1;
            if (extent > padded) {
                throw new IllegalArgumentException(op + ": kernel " + w + " spans " + extent + " (dilation " + dilation[axis - 2]
                        + ") but input " + x + " padded by " + padding[axis - 2] + " on each side has only " + padded);
            }
        }
        Geometry g = new Geometry(sx[0], sx[1], sx[2], sx[3], sw[0], sw[2], sw[3], stride[0], stride[1], padding[0], padding[1],
                dilation[0], dilation[1], groups);
        if (Shapes.count(g.outputShape()) > Shapes.MAX_ELEMENTS) {
            throw new IllegalArgumentException(op + ": input " + x + " and weight " + w + ": the output's "
                    + Shapes.tooLarge(g.outputShape()));
        }
        return g;
    }

    private static void pair(String op, String what, int[] values, int least) {
        if (values == null || values.length != 2) {
            throw new IllegalArgumentException(op + ": " + what + " must have 2 values (height, width), got "
                    + Arrays.toString(values));
        }
        if (values[0] < least || values[1] < least) {
            throw new IllegalArgumentException(op + ": " + what + " must be " + (least == 0 ? "non-negative" : "positive")
                    + ", got " + Arrays.toString(values));
        }
    }

    /**
     * The sizes of the same convolution over {@code images} images: a tangent's batch of directions
     * folded into the image axis (each image is convolved on its own).
     */
    private static Geometry withImages(Geometry g, int images) {
        return new Geometry(images, g.c(), g.h(), g.w(), g.o(), g.kh(), g.kw(), g.sh(), g.sw(), g.ph(), g.pw(), g.dh(), g.dw(),
                g.groups());
    }

    /**
     * The tangent of an op linear in its image-indexed first input, for that input's tangent t:
     * with batch axes, the directions are folded into the image axis, the op runs once over all
     * of them ({@code op} takes the sizes and the folded tangent), and the result is unfolded.
     */
    private static Tensor overImages(Geometry g, Tensor t, int k, int[] shape,
                                     java.util.function.BiFunction<Geometry, Tensor, Tensor> op) {
        if (k == 0) {
            return op.apply(g, t);
        }
        Tensor y = op.apply(withImages(g, g.n() * Tangents.directions(t, k)), Tangents.fold(t, k));
        return y.reshape(Tangents.shape(t, k, shape));
    }

    /**
     * y = conv(x, w) + b. With G = gradOutput: dx = conv2dBackwardInput(G, w), dw =
     * conv2dBackwardWeight(x, G), db = the sum of G over all but the channel axis.
     */
    private static final class Conv extends Primitive {
        private final Geometry g;
        private final boolean hasBias;

        Conv(Geometry g, boolean hasBias) {
            super("conv2d");
            this.g = g;
            this.hasBias = hasBias;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return wrap(ConvKernels.conv2d(value(in[0]), value(in[1]), hasBias ? value(in[2]) : null, g));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor gy) {
            Tensor x = ctx.saved(0);
            Tensor w = ctx.saved(1);
            Tensor gx = ctx.needsInputGrad(0) ? new BackwardInput(g).apply(gy, w) : null;
            Tensor gw = ctx.needsInputGrad(1) ? new BackwardWeight(g).apply(x, gy) : null;
            if (!hasBias) {
                return new Tensor[] {gx, gw};
            }
            return new Tensor[] {gx, gw, ctx.needsInputGrad(2) ? gy.sumTo(g.o(), 1, 1).reshape(g.o()) : null};
        }

        /**
         * conv(x, dw) for a batch of weight tangents at once: the directions' weights become more
         * output channels of each group (direction-major within a group), so x is unfolded once and
         * one product per group covers every direction.
         */
        private Tensor overWeights(Tensor x, Tensor tw, int k) {
            if (k == 0) {
                return new Conv(g, false).apply(x, tw);
            }
            int b = Tangents.directions(tw, k);
            int[] shape = Tangents.shape(tw, k, g.outputShape());
            if (b == 0) {
                return Tensor.zeros(x.dtype(), shape);
            }
            int groups = g.groups();
            int og = g.o() / groups;
            Tensor w = tw.reshape(b, groups, og, g.c() / groups, g.kh(), g.kw()).permute(1, 0, 2, 3, 4, 5)
                    .reshape(b * g.o(), g.c() / groups, g.kh(), g.kw());
            Geometry wide = new Geometry(g.n(), g.c(), g.h(), g.w(), b * g.o(), g.kh(), g.kw(), g.sh(), g.sw(), g.ph(), g.pw(),
                    g.dh(), g.dw(), groups);
            Tensor y = new Conv(wide, false).apply(x, w);
            return y.reshape(g.n(), groups, b, og, g.outH(), g.outW()).permute(2, 0, 1, 3, 4, 5).reshape(shape);
        }

        // bilinear in (x, w), plus b: dy = conv(dx, w) + conv(x, dw) + db on every position
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor x = in[0];
            Tensor w = in[1];
            Tensor dx = t[0] == null ? null : overImages(g, t[0], Tangents.batch(t[0], x), g.outputShape(),
                    (sizes, tx) -> new Conv(sizes, false).apply(tx, w));
            Tensor dw = t[1] == null ? null : overWeights(x, t[1], Tangents.batch(t[1], w));
            Tensor d = Tangents.sum(dx, dw);
            if (!hasBias || t[2] == null) {
                return d;
            }
            int k = Tangents.batch(t[2], in[2]);
            Tensor db = t[2].reshape(Tangents.padded(t[2], k, 4, new int[] {g.o(), 1, 1}));
            return d == null ? db.expand(Tangents.shape(t[2], k, g.outputShape())) : d.add(db);
        }
    }

    /**
     * dx = conv2dBackwardInput(G, w), bilinear with <H, dx> = <conv(H, w), G> for every H of x's
     * shape. So with incoming gradient H: dG = conv(H, w), dw = conv2dBackwardWeight(H, G).
     */
    private static final class BackwardInput extends Primitive {
        private final Geometry g;

        BackwardInput(Geometry g) {
            super("conv2dBackwardInput");
            this.g = g;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return wrap(ConvKernels.backwardInput(value(in[0]), value(in[1]), g));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor h) {
            Tensor gy = ctx.saved(0);
            Tensor w = ctx.saved(1);
            return new Tensor[] {
                ctx.needsInputGrad(0) ? new Conv(g, false).apply(h, w) : null,
                ctx.needsInputGrad(1) ? new BackwardWeight(g).apply(h, gy) : null};
        }

        // bilinear in (G, w): d dx = conv2dBackwardInput(dG, w) + conv2dBackwardInput(G, dw)
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor gy = in[0];
            Tensor w = in[1];
            Tensor dg = t[0] == null ? null : overImages(g, t[0], Tangents.batch(t[0], gy), g.inputShape(),
                    (sizes, tg) -> new BackwardInput(sizes).apply(tg, w));
            Tensor dw = t[1] == null ? null : Tangents.perDirection(t[1], Tangents.batch(t[1], w), g.inputShape(),
                    tw -> new BackwardInput(g).apply(gy, tw));
            return Tangents.sum(dg, dw);
        }
    }

    /**
     * dw = conv2dBackwardWeight(x, G), bilinear with <H, dw> = <conv(x, H), G> for every H of w's
     * shape. So with incoming gradient H: dx = conv2dBackwardInput(G, H), dG = conv(x, H).
     */
    private static final class BackwardWeight extends Primitive {
        private final Geometry g;

        BackwardWeight(Geometry g) {
            super("conv2dBackwardWeight");
            this.g = g;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return wrap(ConvKernels.backwardWeight(value(in[0]), value(in[1]), g));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor h) {
            Tensor x = ctx.saved(0);
            Tensor gy = ctx.saved(1);
            return new Tensor[] {
                ctx.needsInputGrad(0) ? new BackwardInput(g).apply(gy, h) : null,
                ctx.needsInputGrad(1) ? new Conv(g, false).apply(x, h) : null};
        }

        // bilinear in (x, G): d dw = conv2dBackwardWeight(dx, G) + conv2dBackwardWeight(x, dG); the
        // result sums over the images, so a batch of directions is taken one direction at a time
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor x = in[0];
            Tensor gy = in[1];
            Tensor dx = t[0] == null ? null : Tangents.perDirection(t[0], Tangents.batch(t[0], x), g.weightShape(),
                    tx -> new BackwardWeight(g).apply(tx, gy));
            Tensor dg = t[1] == null ? null : Tangents.perDirection(t[1], Tangents.batch(t[1], gy), g.weightShape(),
                    tg -> new BackwardWeight(g).apply(x, tg));
            return Tangents.sum(dx, dg);
        }
    }
}
