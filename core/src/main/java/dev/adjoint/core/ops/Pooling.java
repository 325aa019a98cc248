package dev.adjoint.core.ops;

import static dev.adjoint.core.ops.Access.value;

import dev.adjoint.core.Context;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.kernel.PoolKernels;
import dev.adjoint.core.kernel.PoolKernels.Pool;
import java.util.Arrays;
import java.util.function.BiFunction;

/**
 * Max and average pooling over square windows, as torch.nn.functional.max_pool2d and avg_pool2d
 * (NCHW; padding at most half the window, as PyTorch requires). Both are linear in their input
 * once max pooling's positions are fixed, so each backward is a named op whose own backward is
 * the forward again: max pooling gathers values at the positions of the maxima and its backward
 * ({@code maxPool2dBackward}) scatters gradients back to them; average pooling's backward
 * ({@code avgPool2dBackward}) spreads each gradient over its window. Being linear, each op's
 * tangent rule is the op itself applied to the tangent (max pooling's gathers at the saved
 * positions of the maxima), with a batch of tangents folded into the image axis.
 */
public final class Pooling {
    private Pooling() {
    }

    /**
     * max_pool2d(x, kernel, stride, padding).
     *
     * @param x [N, C, H, W]
     * @param kernel the window size
     * @param stride the stride
     * @param padding the padding, at most kernel / 2
     * @return [N, C, outH, outW]
     */
    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        return new MaxPool(pool("maxPool2d", x, kernel, stride, padding)).apply(x);
    }

    /**
     * avg_pool2d(x, kernel, stride, padding) with padding counted in the divisor.
     *
     * @param x [N, C, H, W]
     * @param kernel the window size
     * @param stride the stride
     * @param padding the padding, at most kernel / 2
     * @return [N, C, outH, outW]
     */
    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        return new AvgPool(pool("avgPool2d", x, kernel, stride, padding)).apply(x);
    }

    private static Pool pool(String op, Tensor x, int kernel, int stride, int padding) {
        int[] s = value(x).shapeView();
        String shown = Arrays.toString(s);
        if (s.length != 4) {
            throw new IllegalArgumentException(op + ": input must be 4-D [N, C, H, W], got " + shown);
        }
        if (kernel <= 0 || stride <= 0) {
            throw new IllegalArgumentException(op + ": kernel and stride must be positive, got kernel " + kernel + ", stride " + stride);
        }
        if (padding < 0 || padding > kernel / 2) {
            throw new IllegalArgumentException(op + ": padding must be between 0 and half the kernel, got padding " + padding
                    + " for kernel " + kernel);
        }
        if (s[1] <= 0 || s[2] <= 0 || s[3] <= 0) {
            throw new IllegalArgumentException(op + ": input " + shown + " has an empty channel or spatial axis");
        }
        Pool p = new Pool(s[0], s[1], s[2], s[3], kernel, stride, padding);
        if ((long) s[2] + 2L * padding < kernel || (long) s[3] + 2L * padding < kernel) {
            throw new IllegalArgumentException(op + ": kernel " + kernel + " is larger than input " + shown + " padded by "
                    + padding);
        }
        return p;
    }

    /**
     * A pooling op, linear in its first input, applied to that input's tangent t: with batch axes
     * the directions are folded into the image axis (each plane is pooled on its own), the op runs
     * once over all of them ({@code op} takes the sizes and the folded tangent), and the result is
     * unfolded to {@code shape} behind the batch axes.
     */
    private static Tensor overImages(Pool pool, Tensor t, int k, int[] shape, BiFunction<Pool, Tensor, Tensor> op) {
        if (k == 0) {
            return op.apply(pool, t);
        }
        Pool folded = new Pool(pool.n() * Tangents.directions(t, k), pool.c(), pool.h(), pool.w(), pool.k(), pool.s(), pool.p());
        return op.apply(folded, Tangents.fold(t, k)).reshape(Tangents.shape(t, k, shape));
    }

    /** The positions {@code where} (of the output's shape) repeated for each direction of t and folded like it. */
    private static Tensor positions(Tensor where, Tensor t, int k) {
        return k == 0 ? where : Tangents.fold(where.expand(Tangents.shape(t, k, where.shape())), k);
    }

    /**
     * y = x at the position of each window's maximum. With G = gradOutput: dx = G scattered back to
     * those positions (maxPool2dBackward); a kink where values tie, like max along an axis.
     */
    private static final class MaxPool extends Primitive {
        private final Pool pool;

        MaxPool(Pool pool) {
            super("maxPool2d");
            this.pool = pool;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            var result = PoolKernels.maxPool2d(value(in[0]), pool);
            ctx.save(wrap(result[1]));
            return wrap(result[0]);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {new Scatter(pool, ctx.saved(0)).apply(g)};
        }

        // linear once the positions are fixed: the tangent gathered at the saved positions of the maxima
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            Tensor where = ctx.saved(0);
            int k = Tangents.batch(t[0], in[0]);
            return overImages(pool, t[0], k, pool.outputShape(), (sizes, tx) -> new Gather(sizes, positions(where, t[0], k)).apply(tx));
        }
    }

    /*
     * The positions of the maxima are a constant of Gather and Scatter, not an input: they are
     * float64 whatever the dtype of the values (a plane may hold more positions than float32 counts
     * exactly), and an op's inputs share one dtype.
     */

    /** y = x at recorded positions (a constant), linear in x: dx = G scattered back. */
    private static final class Gather extends Primitive {
        private final Pool pool;
        private final Tensor where;

        Gather(Pool pool, Tensor where) {
            super("maxPool2dGather");
            this.pool = pool;
            this.where = where;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(PoolKernels.gather(value(in[0]), value(where), pool));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {new Scatter(pool, where).apply(g)};
        }

        // linear in x
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], in[0]);
            return overImages(pool, t[0], k, pool.outputShape(), (sizes, tx) -> new Gather(sizes, positions(where, t[0], k)).apply(tx));
        }
    }

    /** dx = G added at recorded positions (a constant), linear in G: its gradient gathers from the same positions. */
    private static final class Scatter extends Primitive {
        private final Pool pool;
        private final Tensor where;

        Scatter(Pool pool, Tensor where) {
            super("maxPool2dBackward");
            this.pool = pool;
            this.where = where;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(PoolKernels.scatter(value(in[0]), value(where), pool));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor h) {
            return new Tensor[] {new Gather(pool, where).apply(h)};
        }

        // linear in G
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            int k = Tangents.batch(t[0], in[0]);
            return overImages(pool, t[0], k, pool.inputShape(), (sizes, tg) -> new Scatter(sizes, positions(where, t[0], k)).apply(tg));
        }
    }

    /** y = the mean of each window (padding as zeros), linear: dx = avgPool2dBackward(G). */
    private static final class AvgPool extends Primitive {
        private final Pool pool;

        AvgPool(Pool pool) {
            super("avgPool2d");
            this.pool = pool;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(PoolKernels.avgPool2d(value(in[0]), pool));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {new AvgPoolBackward(pool).apply(g)};
        }

        // linear
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return overImages(pool, t[0], Tangents.batch(t[0], in[0]), pool.outputShape(), (sizes, tx) -> new AvgPool(sizes).apply(tx));
        }
    }

    /** dx = each G / k^2 spread over its window, the adjoint of avgPool2d: its gradient is avgPool2d of H. */
    private static final class AvgPoolBackward extends Primitive {
        private final Pool pool;

        AvgPoolBackward(Pool pool) {
            super("avgPool2dBackward");
            this.pool = pool;
        }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return wrap(PoolKernels.avgPool2dBackward(value(in[0]), pool));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor h) {
            return new Tensor[] {new AvgPool(pool).apply(h)};
        }

        // linear
        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return overImages(pool, t[0], Tangents.batch(t[0], in[0]), pool.inputShape(),
                    (sizes, tg) -> new AvgPoolBackward(sizes).apply(tg));
        }
    }
}
