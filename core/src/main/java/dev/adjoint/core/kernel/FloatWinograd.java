package dev.adjoint.core.kernel;

import dev.adjoint.core.kernel.ConvKernels.Geometry;

/**
 * float32 3x3 convolutions of stride 1 by Winograd's minimal filtering F(2x2, 3x3) (Lavin and
 * Gray, "Fast Algorithms for Convolutional Neural Networks", 2015): each 2x2 block of outputs of a
 * channel pair takes 16 multiplications instead of 36.
 *
 * <p>The output planes are cut into 2x2 tiles; tile t of input channel c reads a 4x4 window d and
 * becomes {@code V = Bt d B} (additions only), the weight of channels (o, c) becomes
 * {@code U = G w Gt}, and for each of the 16 points xi the products summed over c are one matrix
 * product, {@code M[xi] = U[xi] V[xi]} ([o, c] by [c, tiles]), which the output transform
 * {@code At M A} turns back into 2x2 outputs. The input gradient is the same convolution of the
 * output gradient with the weight turned by 180 degrees and its channels swapped. The weight
 * gradient stays with {@link ConvKernels}' products: its F(3x3, 2x2) ran no faster here, its
 * transposed operand's packing and the output gradient's transform eating the multiplications saved.
 *
 * <p>Accuracy: the transforms only add, subtract and halve (the weight's in float64), so an output
 * is the direct convolution's sum up to a few more roundings; {@code WinogradTest} bounds the error
 * against a float64 reference and against the direct float32 convolution's. A tile is computed as
 * a whole, so an infinity or NaN in an input window makes all four outputs of its tile NaN or
 * infinite, where the direct convolution leaves those whose windows miss it finite.
 *
 * <p>Determinism: each output element is one product's sum over the input channels, the same
 * whichever chunk of tiles holds it and whichever thread runs it, so every thread count gives the
 * same bits; the math kernel's vector transforms give the scalar loops' bits.
 */
final class FloatWinograd {
    /** The points of a 4x4 tile: the number of products per (output channel, input channel) pair and tile. */
    static final int POINTS = 16;
    /**
     * Floats after each parity plane and after the output transform's results: room for the math
     * kernel's vectors to write (planes) and read (the scatter) past the data.
     */
    static final int SLACK = 64;
    /** Input pairs a row needs before the math kernel copies it. */
    static final int PAIRS_MIN = 4;
    /**
     * Floats of room after each row of transformed tiles: the math kernel's transforms run whole
     * vectors (of at most this many floats), the last one past the row's tiles.
     */
    static final int PAD = 16;
    /** Tiles a transform needs before the math kernel runs it. */
    static final int TRANSFORM_MIN = 8;

    /**
     * Whether 3x3 convolutions of stride 1 in float32 take this path: the system property
     * {@code adjoint.winograd}, read once, true unless "false" (then every convolution runs as
     * im2col and matrix products, {@link ConvKernels}).
     */
    static final boolean ENABLED = !"false".equals(System.getProperty("adjoint.winograd"));

    private FloatWinograd() {
    }

    /**
     * Whether a convolution of {@code g} runs here: 3x3 kernels, stride and dilation 1, one group,
     * padding 0 to 2, at least 16 channels in and out and 64 together, and planes at least 8 rows by
     * 11 columns in and out. Below, the transforms and the tiles past the planes' edges cost more
     * than the multiplications saved (bench/RESULTS.md, "Winograd").
     */
    static boolean applies(Geometry g) {
        return ENABLED && g.kh() == 3 && g.kw() == 3 && g.sh() == 1 && g.sw() == 1 && g.dh() == 1 && g.dw() == 1
                && g.groups() == 1 && g.ph() <= 2 && g.pw() <= 2 && g.c() >= 16 && g.o() >= 16 && g.c() + g.o() >= 64
                && Math.min(g.h(), g.outH()) >= 8 && Math.min(g.w(), g.outW()) >= 11;
    }

    /** {@link ConvKernels#conv2d} for float32 arrays where {@link #applies}. */
    static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, Geometry g, int budget) {
        NDArray xc = x.contiguous();
        NDArray wc = weight.contiguous();
        float[] b = bias == null ? null : bias.contiguous().toFloatArray();
        float[] u = weight(wc.floats, wc.offset, g.o(), g.c(), false);
        float[] y = convolve(KernelProvider.math(), xc.floats, xc.offset, g.n(), g.c(), g.h(), g.w(), g.ph(), g.pw(), u, g.o(), b, budget);
        return NDArray.wrap(y, g.outputShape());
    }

    /**
     * {@link ConvKernels#backwardInput} for float32 arrays where {@link #applies}: the convolution
     * of the output gradient, padded by 2 - p, with the weight turned by 180 degrees and its
     * channels swapped.
     */
    static NDArray backwardInput(NDArray gradOutput, NDArray weight, Geometry g, int budget) {
        NDArray gc = gradOutput.contiguous();
        NDArray wc = weight.contiguous();
        float[] u = weight(wc.floats, wc.offset, g.o(), g.c(), true);
        float[] gx = convolve(KernelProvider.math(), gc.floats, gc.offset, g.n(), g.o(), g.outH(), g.outW(), 2 - g.ph(), 2 - g.pw(), u, g.c(), null,
                budget);
        return NDArray.wrap(gx, g.inputShape());
    }

    /**
     * The transformed weight {@code U[xi][o][c] = (G w[o, c] Gt)[xi]} in float64, rounded once.
     *
     * @param w the weight [o, c, 3, 3] from {@code off}
     * @param turned whether to transform the weight of the input gradient instead: for [c, o] the
     *        kernel of w[o, c] turned by 180 degrees, {@code U[xi][c][o]}
     */
    static float[] weight(float[] w, int off, int o, int c, boolean turned) {
        float[] u = new float[POINTS * o * c];
        int rows = turned ? c : o;
        int cols = turned ? o : c;
        double[] k = new double[9];
        double[] t = new double[12];
        for (int oc = 0; oc < o; oc++) {
            for (int ic = 0; ic < c; ic++) {
                int at = off + (oc * c + ic) * 9;
                for (int q = 0; q < 9; q++) {
                    k[q] = w[at + (turned ? 8 - q : q)];
                }
                // G k: G's rows (1, 0, 0), (1/2, 1/2, 1/2), (1/2, -1/2, 1/2), (0, 0, 1)
                for (int col = 0; col < 3; col++) {
                    double k0 = k[col];
                    double k1 = k[3 + col];
                    double k2 = k[6 + col];
                    t[col] = k0;
                    t[3 + col] = 0.5 * (k0 + k1 + k2);
                    t[6 + col] = 0.5 * (k0 - k1 + k2);
                    t[9 + col] = k2;
                }
                int row = turned ? ic : oc;
                int col = turned ? oc : ic;
                for (int r = 0; r < 4; r++) {
                    double t0 = t[3 * r];
                    double t1 = t[3 * r + 1];
                    double t2 = t[3 * r + 2];
                    int base = r * 4 * rows * cols + row * cols + col;
                    u[base] = (float) t0;
                    u[base + rows * cols] = (float) (0.5 * (t0 + t1 + t2));
                    u[base + 2 * rows * cols] = (float) (0.5 * (t0 - t1 + t2));
                    u[base + 3 * rows * cols] = (float) t2;
                }
            }
        }
        return u;
    }

    /**
     * y = conv(x, w) + bias for 3x3 kernels of stride 1: x [n, c, h, w] from {@code xOff}, the
     * transformed weight {@code u} ({@link #weight}, [16][o][c]), y [n, o, oh, ow], oh = h + 2 ph - 2.
     *
     * <p>Tiles run in rows of {@code tw + 1}: the last tile of each row reads the right padding and
     * its outputs are dropped, so that a row of tiles reads its four parity planes ({@link #planes})
     * at fixed offsets from one index and the transforms run over whole chunks.
     *
     * @param math the kernel of the transforms (tests pass each; the same bits from every one)
     * @param budget a quarter of the floats of scratch one chunk of tiles may use (products over
     *     fewer tiles ran slower: bench/RESULTS.md, "Winograd")
     */
    static float[] convolve(MathKernel math, float[] x, int xOff, int n, int c, int h, int w, int ph, int pw, float[] u, int o, float[] bias,
            int budget) {
        int oh = h + 2 * ph - 2;
        int ow = w + 2 * pw - 2;
        int th = (oh + 1) / 2;
        int row = (ow + 1) / 2 + 1;
        int tileRows = n * th;
        // every element is written by the output transform
        float[] y = Buffers.uninitializedFloats(n * o * oh * ow);
        int rowsPerChunk = Math.max(1, Math.min(tileRows, 4 * budget / (POINTS * (c + o) * row)));
        int chunks = (tileRows + rowsPerChunk - 1) / rowsPerChunk;
        FloatGemmKernel gemm = KernelProvider.floatKernel();
        ConvKernels.forEachBlock(chunks, (long) POINTS * c * o * rowsPerChunk * row, (first, last, split) -> {
            int most = rowsPerChunk * row;
            float[] v = Scratch.floats(Scratch.COLUMNS, POINTS * c * (most + PAD));
            float[] m = Scratch.floats(Scratch.SLICE, POINTS * o * most + SLACK);
            float[] sub = Scratch.floats(Scratch.PRODUCT, Math.max(4 * ((Math.min(rowsPerChunk, th) + 1) * row + SLACK),
                    4 * (most + PAD) + SLACK));
            for (int chunk = first; chunk < last; chunk++) {
                int r0 = chunk * rowsPerChunk;
                int r1 = Math.min(tileRows, r0 + rowsPerChunk);
                int tb = (r1 - r0) * row;
                // V's rows of tiles: tb + PAD apart, so that a transform's last vector writes past its row's end
                int ld = tb + PAD;
                for (int ch = 0; ch < c; ch++) {
                    for (int r = r0; r < r1; ) {
                        int image = r / th;
                        int ty0 = r - image * th;
                        int ty1 = Math.min(th, ty0 + r1 - r);
                        int s = planes(math, x, xOff + (image * c + ch) * h * w, h, w, ph, pw, ty0, ty1, row, sub);
                        inputTransform(math, sub, s, row, (ty1 - ty0) * row, v, ch * ld + (r - r0) * row, c * ld);
                        r += ty1 - ty0;
                    }
                }
                for (int xi = 0; xi < POINTS; xi++) {
                    // the matrix kernel for products of every size (FloatGemmLoops takes plain loops for
                    // the smallest), so that an element's bits never depend on its chunk's width
                    ParallelGemm.multiply(gemm, new FloatOperand(u, xi * o * c, c, false), new FloatOperand(v, xi * c * ld, ld, false),
                            m, xi * o * tb, tb, o, tb, c);
                }
                for (int oc = 0; oc < o; oc++) {
                    // x + (-0.0) is x for every x: no bias adds nothing, -0.0 included
                    outputTransform(math, m, oc * tb, o * tb, tb, bias == null ? -0.0f : bias[oc], sub, ld);
                    for (int r = r0; r < r1; r++) {
                        int image = r / th;
                        int ty = r - image * th;
                        int dst = ((image * o + oc) * oh + 2 * ty) * ow;
                        // the math kernel's vectors may write into the next tile row of the plane, when
                        // this loop writes it later
                        boolean spill = r + 1 < r1 && ty + 1 < th;
                        int done = spill ? math.winogradScatter(sub, (r - r0) * row, ld, y, dst, ow, row - 1) : 0;
                        if (done == 0) {
                            scatter(sub, (r - r0) * row, ld, y, dst, oh - 2 * ty > 1, ow);
                        }
                    }
                }
            }
        });
        return y;
    }

    /**
     * The four parity planes of tile rows [ty0, ty1) of one zero-padded input plane, into
     * {@code sub}: plane {@code 2 rp + cp} holds the padded plane's elements of row parity rp and
     * column parity cp, from padded row {@code 2 ty0}, {@code row} to a row (the padded width is
     * {@code 2 row}), each followed by {@link #SLACK} floats (the first of them zero). An input row
     * is read as pairs of columns (2m, 2m + 1): the first of each pair goes to one column parity, the
     * second to the other.
     *
     * @return the distance between the planes in {@code sub}
     */
    static int planes(MathKernel math, float[] x, int plane, int h, int w, int ph, int pw, int ty0, int ty1, int row,
            float[] sub) {
        int rows = ty1 - ty0 + 1;
        int s = rows * row + SLACK;
        int top = 2 * ty0 - ph;
        int first = Math.max(0, top);
        int end = Math.min(h, 2 * ty1 + 2 - ph);
        // input column ix is padded column ix + pw: parity (ix + pw) & 1, position (ix + pw) >> 1
        int lowPlane = pw & 1;
        int lowAt = pw >> 1;
        int highAt = (pw + 1) >> 1;
        int lows = (w + 1) >> 1;
        int highs = w >> 1;
        for (int iy = first; iy < end; iy++) {
            int py = iy - top;
            int base = (py & 1) * 2 * s + (py >> 1) * row;
            int low = base + lowPlane * s + lowAt;
            int high = base + (1 - lowPlane) * s + highAt;
            int src = plane + iy * w;
            int done = lows >= PAIRS_MIN ? math.winogradPairs(x, src, w, sub, low, high) : 0;
            if (done < lows) {
                for (int q = done; q < lows; q++) {
                    sub[low + q] = x[src + 2 * q];
                }
                for (int q = done; q < highs; q++) {
                    sub[high + q] = x[src + 2 * q + 1];
                }
                // the right padding (the math kernel's pairs write it)
                for (int q = low + lows, stop = base + lowPlane * s + row; q < stop; q++) {
                    sub[q] = 0f;
                }
                for (int q = high + highs, stop = base + (1 - lowPlane) * s + row; q < stop; q++) {
                    sub[q] = 0f;
                }
            }
            // the left padding: at most one column of each parity (pw <= 2)
            if (lowAt > 0) {
                sub[low - 1] = 0f;
            }
            if (highAt > 0) {
                sub[high - 1] = 0f;
            }
        }
        // the padding rows above and below, in each of the four planes, and each plane's first float after its rows
        int above = first - top;
        int below = end - top;
        for (int rp = 0; rp < 2; rp++) {
            int from = (above + 1 - rp) >> 1; // rows of parity rp above the data: padded rows rp, rp + 2, ... below above
            int to = (below + 1 - rp) >> 1;
            for (int cp = 0; cp < 2; cp++) {
                int at = (2 * rp + cp) * s;
                java.util.Arrays.fill(sub, at, at + from * row, 0f);
                java.util.Arrays.fill(sub, at + to * row, at + rows * row + 1, 0f);
            }
        }
        return s;
    }

    /** Tiles [0, count) of {@link #planes} into {@code v}: the math kernel's vectors, then the scalar loop. */
    private static void inputTransform(MathKernel math, float[] p, int s, int row, int count, float[] v, int at, int stride) {
        int done = count >= TRANSFORM_MIN ? math.winogradInput(p, s, row, count, v, at, stride) : 0;
        inputTransform(p, s, row, done, count, v, at, stride);
    }

    /**
     * The input transform {@code V = Bt d B} of tiles [from, to): tile k's 4x4 window is
     * {@code d[a][i] = p[(2 (a & 1) + (i & 1)) s + k + (a >> 1) row + (i >> 1)]}, its 16 points go to
     * {@code v[at + xi stride + k]}. Rows first, then columns, in this order of operations: the
     * definition that {@link MathKernel#winogradInput} repeats bit for bit.
     */
    static void inputTransform(float[] p, int s, int row, int from, int to, float[] v, int at, int stride) {
        int p0 = 0;
        int p1 = s;
        int p2 = 2 * s;
        int p3 = 3 * s;
        for (int k = from; k < to; k++) {
            int q = k + row;
            float h00 = p[p0 + k] - p[p0 + k + 1];
            float h01 = p[p1 + k] + p[p0 + k + 1];
            float h02 = p[p0 + k + 1] - p[p1 + k];
            float h03 = p[p1 + k] - p[p1 + k + 1];
            float h10 = p[p2 + k] - p[p2 + k + 1];
            float h11 = p[p3 + k] + p[p2 + k + 1];
            float h12 = p[p2 + k + 1] - p[p3 + k];
            float h13 = p[p3 + k] - p[p3 + k + 1];
            float h20 = p[p0 + q] - p[p0 + q + 1];
            float h21 = p[p1 + q] + p[p0 + q + 1];
            float h22 = p[p0 + q + 1] - p[p1 + q];
            float h23 = p[p1 + q] - p[p1 + q + 1];
            float h30 = p[p2 + q] - p[p2 + q + 1];
            float h31 = p[p3 + q] + p[p2 + q + 1];
            float h32 = p[p2 + q + 1] - p[p3 + q];
            float h33 = p[p3 + q] - p[p3 + q + 1];
            int t = at + k;
            v[t] = h00 - h20;
            v[t + stride] = h01 - h21;
            v[t + 2 * stride] = h02 - h22;
            v[t + 3 * stride] = h03 - h23;
            v[t + 4 * stride] = h10 + h20;
            v[t + 5 * stride] = h11 + h21;
            v[t + 6 * stride] = h12 + h22;
            v[t + 7 * stride] = h13 + h23;
            v[t + 8 * stride] = h20 - h10;
            v[t + 9 * stride] = h21 - h11;
            v[t + 10 * stride] = h22 - h12;
            v[t + 11 * stride] = h23 - h13;
            v[t + 12 * stride] = h10 - h30;
            v[t + 13 * stride] = h11 - h31;
            v[t + 14 * stride] = h12 - h32;
            v[t + 15 * stride] = h13 - h33;
        }
    }

    /** Tiles [0, count) of the output transform: the math kernel's vectors, then the scalar loop. */
    private static void outputTransform(MathKernel math, float[] m, int at, int stride, int count, float b, float[] out, int ld) {
        int done = count >= TRANSFORM_MIN ? math.winogradOutput(m, at, stride, count, b, out, ld) : 0;
        outputTransform(m, at, stride, done, count, b, out, ld);
    }

    /**
     * The output transform {@code At M A + b} of tiles [from, to): tile j's 16 points are
     * {@code m[at + xi stride + j]}, its outputs (r, c) go to {@code out[(2 r + c) ld + j]}. Columns
     * of M first, then rows: the definition that {@link MathKernel#winogradOutput} repeats bit for bit.
     */
    static void outputTransform(float[] m, int at, int stride, int from, int to, float b, float[] out, int ld) {
        for (int j = from; j < to; j++) {
            int p = at + j;
            float m1 = m[p + 4 * stride];
            float m2 = m[p + 8 * stride];
            float s00 = m[p] + m1 + m2;
            float s10 = m1 - m2 - m[p + 12 * stride];
            m1 = m[p + 5 * stride];
            m2 = m[p + 9 * stride];
            float s01 = m[p + stride] + m1 + m2;
            float s11 = m1 - m2 - m[p + 13 * stride];
            m1 = m[p + 6 * stride];
            m2 = m[p + 10 * stride];
            float s02 = m[p + 2 * stride] + m1 + m2;
            float s12 = m1 - m2 - m[p + 14 * stride];
            m1 = m[p + 7 * stride];
            m2 = m[p + 11 * stride];
            float s03 = m[p + 3 * stride] + m1 + m2;
            float s13 = m1 - m2 - m[p + 15 * stride];
            out[j] = s00 + s01 + s02 + b;
            out[ld + j] = s01 - s02 - s03 + b;
            out[2 * ld + j] = s10 + s11 + s12 + b;
            out[3 * ld + j] = s11 - s12 - s13 + b;
        }
    }

    /**
     * One row of tiles' outputs from {@code out} (at {@code j0}, the four outputs {@code ld} apart)
     * into the output rows from {@code dst}, the second row too if {@code second}; the last tile's
     * right column is dropped where {@code ow} is odd, the row's extra tile always.
     */
    static void scatter(float[] out, int j0, int ld, float[] y, int dst, boolean second, int ow) {
        int pairs = ow >> 1;
        int a = j0;
        int b = ld + j0;
        if (second) {
            int c = 2 * ld + j0;
            int d = 3 * ld + j0;
            int lower = dst + ow;
            for (int t = 0; t < pairs; t++) {
                int at = 2 * t;
                y[dst + at] = out[a + t];
                y[dst + at + 1] = out[b + t];
                y[lower + at] = out[c + t];
                y[lower + at + 1] = out[d + t];
            }
            if ((ow & 1) != 0) {
                y[dst + ow - 1] = out[a + pairs];
                y[lower + ow - 1] = out[c + pairs];
            }
            return;
        }
        for (int t = 0; t < pairs; t++) {
            y[dst + 2 * t] = out[a + t];
            y[dst + 2 * t + 1] = out[b + t];
        }
        if ((ow & 1) != 0) {
            y[dst + ow - 1] = out[a + pairs];
        }
    }
}
