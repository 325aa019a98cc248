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
 * gradient runs F(3x3, 2x2) for wide layers ({@link #appliesToWeightGradient}): the 2x2 block of
 * output gradient is the filter, the 4x4 input window the data, and the sum over tiles is one
 * product per point.
 *
 * <p>Accuracy: the transforms only add, subtract and halve (the weight's in float64), so a result
 * is the direct convolution's sum up to a few more roundings; {@code WinogradTest} bounds the error
 * against a float64 reference and against the direct float32 convolution's. A tile is computed as
 * a whole, but its transforms keep each input out of the outputs whose windows miss it: in the
 * forward pass and the input gradient a non-finite value spoils the outputs the direct
 * convolution's would, though an infinity may come out as NaN. The weight gradient's transforms
 * multiply it by zeros: a non-finite input or output gradient spoils the taps the direct gradient
 * would and often the other taps of the channel pairs it reaches (as NaN), never other pairs.
 * Transformed values sum up to 4 inputs and the output transform up to 9 products, so sums near
 * float32's largest values overflow a little sooner than direct ones.
 *
 * <p>Determinism: each output element is one product's sum over the input channels, the same
 * whichever chunk of tiles holds it and whichever thread runs it; the weight gradient sums its
 * chunks of tiles in lanes fixed by the sizes and the scratch budget, added in lane order. So every thread count gives the
 * same bits, and the math kernel's vector transforms give the scalar loops' bits.
 */
final class FloatWinograd {
    /** The points of a 4x4 tile: the number of products per (output channel, input channel) pair and tile. */
    static final int POINTS = 16;

    /**
     * Whether 3x3 convolutions of stride 1 in float32 take this path: the system property
     * {@code adjoint.winograd}, read once, true unless "false" (then every convolution runs as
     * im2col and matrix products, {@link ConvKernels}).
     */
    static final boolean ENABLED = !"false".equals(System.getProperty("adjoint.winograd"));

    private FloatWinograd() {
    }

    /**
     * Whether the forward pass of a convolution of {@code g} runs here: 3x3 kernels, stride and
     * dilation 1, one group, padding 0 to 2, at least 32 input channels, 16 output channels and 64
     * together, planes at least 8 rows by 12 columns in and out, and tiles at least 80% inside the
     * output planes ({@link #tilesFit}). Below these, the transforms and the tiles past the planes'
     * edges cost more than the multiplications saved (bench/RESULTS.md, "Winograd"). The rules
     * depend on the sizes only, never on the machine, so every machine computes the same bits.
     */
    static boolean applies(Geometry g) {
        return shapeFits(g) && g.c() >= 32 && tilesFit(g.outH(), g.outW());
    }

    /**
     * Whether the input gradient of a convolution of {@code g} runs here: as {@link #applies}, its
     * tiles over the input planes, and at most 3 output channels per input channel (with more, its
     * products of few rows over many output channels lost to the direct gradient on AVX2).
     */
    static boolean appliesToInputGradient(Geometry g) {
        return shapeFits(g) && g.c() >= 32 && g.o() <= 3 * g.c() && tilesFit(g.h(), g.w());
    }

    private static boolean shapeFits(Geometry g) {
        return ENABLED && g.kh() == 3 && g.kw() == 3 && g.sh() == 1 && g.sw() == 1 && g.dh() == 1 && g.dw() == 1
                && g.groups() == 1 && g.ph() <= 2 && g.pw() <= 2 && g.c() >= 16 && g.o() >= 16 && g.c() + g.o() >= 64
                && Math.min(g.h(), g.outH()) >= 8 && Math.min(g.w(), g.outW()) >= 12;
    }

    /**
     * Whether planes of {@code rows} by {@code cols} outputs fill at least 80% of the tiles that
     * cover them: 2x2 tiles, each row of them one tile longer ({@link #convolve}).
     */
    static boolean tilesFit(int rows, int cols) {
        long covered = (long) 2 * ((rows + 1) / 2) * 2 * ((cols + 1) / 2 + 1);
        return 5L * rows * cols >= 4 * covered;
    }

    /** {@link ConvKernels#conv2d} for float32 arrays where {@link #applies}. */
    static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, Geometry g, int budget) {
        NDArray xc = x.contiguous();
        NDArray wc = weight.contiguous();
        float[] b = bias == null ? null : bias.contiguous().toFloatArray();
        float[] u = weight(wc.floats, wc.offset, g.o(), g.c(), false);
        float[] y = convolve(KernelProvider.math(), xc.floats, xc.offset, g.n(), g.c(), g.h(), g.w(), g.ph(), g.pw(), u, g.o(), b,
                budget);
        return NDArray.wrap(y, g.outputShape());
    }

    /**
     * {@link ConvKernels#backwardInput} for float32 arrays where {@link #appliesToInputGradient}: the convolution
     * of the output gradient, padded by 2 - p, with the weight turned by 180 degrees and its
     * channels swapped.
     */
    static NDArray backwardInput(NDArray gradOutput, NDArray weight, Geometry g, int budget) {
        NDArray gc = gradOutput.contiguous();
        NDArray wc = weight.contiguous();
        float[] u = weight(wc.floats, wc.offset, g.o(), g.c(), true);
        float[] gx = convolve(KernelProvider.math(), gc.floats, gc.offset, g.n(), g.o(), g.outH(), g.outW(), 2 - g.ph(), 2 - g.pw(),
                u, g.c(), null, budget);
        return NDArray.wrap(gx, g.inputShape());
    }

    /**
     * Whether the weight gradient of a convolution of {@code g} runs here: the sizes of
     * {@link #applies} but 16 input channels and up, tiles at least 80% inside the output planes
     * (its tiles are the forward's), 4096 to 2^24 channel pairs (c o; 64 by 64 and up) and output
     * planes of at least 400 elements. With fewer, the transposed operand's packing, the output gradient's
     * transform and the per-pair partials cost what the multiplications save (bench/RESULTS.md,
     * "Winograd").
     */
    static boolean appliesToWeightGradient(Geometry g) {
        long pairs = (long) g.c() * g.o();
        return shapeFits(g) && tilesFit(g.outH(), g.outW()) && pairs >= 4096 && pairs <= 1 << 24
                && g.outH() * g.outW() >= 400;
    }

    /**
     * {@link ConvKernels#backwardWeight} for float32 arrays where {@link #appliesToWeightGradient}, by
     * F(3x3, 2x2): per tile, the 4x4 input window's transform {@code V} (the forward's) and the 2x2 block of the
     * output gradient's {@code Y = G2 g G2t}; per point, {@code M[xi] = Y[xi] V[xi]t} summed over the
     * tiles (one product over the tiles of a chunk); and per channel pair the 3x3 gradient
     * {@code A2t M A2}. The tiles' chunks fall into fixed lanes ({@link ConvKernels#MAX_LANES} at most),
     * each summing its chunks in order into a partial of its own; the partials are added in lane order.
     */
    static NDArray backwardWeight(NDArray x, NDArray gradOutput, Geometry g, int budget) {
        return backwardWeight(KernelProvider.math(), x, gradOutput, g, budget);
    }

    /** {@link #backwardWeight(NDArray, NDArray, Geometry, int)} with the transforms on {@code math} (tests pass each). */
    static NDArray backwardWeight(MathKernel math, NDArray x, NDArray gradOutput, Geometry g, int budget) {
        NDArray xc = x.contiguous();
        NDArray gc = gradOutput.contiguous();
        int n = g.n();
        int c = g.c();
        int h = g.h();
        int w = g.w();
        int o = g.o();
        int oh = g.outH();
        int ow = g.outW();
        int th = (oh + 1) / 2;
        int row = (ow + 1) / 2 + 1;
        int tileRows = n * th;
        int rowsPerChunk = Math.max(1, Math.min(tileRows, 4 * budget / (POINTS * (c + o) * row)));
        int chunks = (tileRows + rowsPerChunk - 1) / rowsPerChunk;
        // one lane at least (an empty batch's gradient is zeros), and as many as the budget holds
        // partials for: the lanes depend on the sizes only
        int lanes = Math.max(1, Math.min(Math.min(chunks, ConvKernels.MAX_LANES), 4 * budget / (POINTS * o * c)));
        int size = POINTS * o * c;
        float[] partials = new float[lanes * size];
        FloatGemmKernel gemm = KernelProvider.floatKernel();
        float[] xs = xc.floats;
        float[] gs = gc.floats;
        ConvKernels.forEachBlock(lanes, (long) size * rowsPerChunk * row * chunks / lanes, (firstLane, lastLane, split) -> {
            int most = rowsPerChunk * row;
            float[] v = Scratch.floats(Scratch.COLUMNS, POINTS * c * (most + WinogradTransforms.PAD));
            float[] y = Scratch.floats(Scratch.SLICE, POINTS * o * (most + WinogradTransforms.PAD));
            float[] sub = Scratch.floats(Scratch.PRODUCT, 4 * ((Math.min(rowsPerChunk, th) + 1) * row + WinogradTransforms.SLACK));
            float[] part = Scratch.floats(Scratch.WINOGRAD, size);
            for (int lane = firstLane; lane < lastLane; lane++) {
                for (int chunk = lane * chunks / lanes, stop = (lane + 1) * chunks / lanes; chunk < stop; chunk++) {
                    int r0 = chunk * rowsPerChunk;
                    int r1 = Math.min(tileRows, r0 + rowsPerChunk);
                    int tb = (r1 - r0) * row;
                    int ld = tb + WinogradTransforms.PAD;
                    transform(math, false, xs, xc.offset, c, h, w, g.ph(), g.pw(), th, row, r0, r1, ld, sub, v);
                    // the output gradient's parity planes: no padding, zeros past its edges
                    transform(math, true, gs, gc.offset, o, oh, ow, 0, 0, th, row, r0, r1, ld, sub, y);
                    int base = lane * size;
                    for (int xi = 0; xi < POINTS; xi++) {
                        // [o, tiles] times [tiles, c]: the transposed operand is V, the smaller when c <= o
                        ParallelGemm.multiply(gemm, new FloatOperand(y, xi * o * ld, ld, false),
                                new FloatOperand(v, xi * c * ld, ld, true), part, xi * o * c, c, o, c, tb);
                    }
                    BinaryLoops.inner(Elementwise.Binary.ADD, partials, base, partials, base, 1, part, 0, 1, size);
                }
            }
        });
        for (int lane = 1; lane < lanes; lane++) {
            BinaryLoops.inner(Elementwise.Binary.ADD, partials, 0, partials, 0, 1, partials, lane * size, 1, size);
        }
        return NDArray.wrap(gradientOutput(partials, o, c), g.weightShape());
    }

    /**
     * The transforms of tile rows [r0, r1) ({@code th} to an image) of all {@code c} channels of
     * {@code x} [n, c, h, w] from {@code off}, an image's rows at a time through their parity planes
     * in {@code sub}: the input transform, or the output gradient's ({@code gradient}; its planes
     * unpadded). Channel ch's tiles go to {@code v} at {@code ch ld}, each point's c rows
     * {@code c ld} apart.
     */
    private static void transform(MathKernel math, boolean gradient, float[] x, int off, int c, int h, int w, int ph, int pw,
            int th, int row, int r0, int r1, int ld, float[] sub, float[] v) {
        for (int ch = 0; ch < c; ch++) {
            for (int r = r0; r < r1; ) {
                int image = r / th;
                int ty0 = r - image * th;
                int ty1 = Math.min(th, ty0 + r1 - r);
                int s = WinogradTransforms.planes(math, x, off + (image * c + ch) * h * w, h, w, ph, pw, ty0, ty1, row, sub);
                int count = (ty1 - ty0) * row;
                int at = ch * ld + (r - r0) * row;
                if (gradient) {
                    WinogradTransforms.gradientTransform(math, sub, s, count, v, at, c * ld);
                } else {
                    WinogradTransforms.inputTransform(math, sub, s, row, count, v, at, c * ld);
                }
                r += ty1 - ty0;
            }
        }
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
     * its outputs are dropped, so that a row of tiles reads its four parity planes
     * ({@link WinogradTransforms#planes}) at fixed offsets from one index and the transforms run
     * over whole chunks.
     *
     * @param math the kernel of the transforms (tests pass each; the same bits from every one)
     * @param budget a quarter of the floats of scratch one chunk of tiles may use (products over
     *     fewer tiles ran slower: bench/RESULTS.md, "Winograd")
     */
    static float[] convolve(MathKernel math, float[] x, int xOff, int n, int c, int h, int w, int ph, int pw, float[] u, int o,
            float[] bias, int budget) {
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
            float[] v = Scratch.floats(Scratch.COLUMNS, POINTS * c * (most + WinogradTransforms.PAD));
            float[] m = Scratch.floats(Scratch.SLICE, POINTS * o * most + WinogradTransforms.SLACK);
            // the parity planes, then the output transform's four rows of results
            float[] sub = Scratch.floats(Scratch.PRODUCT, Math.max(
                    4 * ((Math.min(rowsPerChunk, th) + 1) * row + WinogradTransforms.SLACK),
                    4 * (most + WinogradTransforms.PAD) + WinogradTransforms.SLACK));
            for (int chunk = first; chunk < last; chunk++) {
                int r0 = chunk * rowsPerChunk;
                int r1 = Math.min(tileRows, r0 + rowsPerChunk);
                int tb = (r1 - r0) * row;
                // V's rows of tiles: tb + PAD apart, so that a transform's last vector writes past its row's end
                int ld = tb + WinogradTransforms.PAD;
                transform(math, false, x, xOff, c, h, w, ph, pw, th, row, r0, r1, ld, sub, v);
                for (int xi = 0; xi < POINTS; xi++) {
                    // the matrix kernel for products of every size (FloatGemmLoops takes plain loops for
                    // the smallest), so that an element's bits never depend on its chunk's width
                    ParallelGemm.multiply(gemm, new FloatOperand(u, xi * o * c, c, false),
                            new FloatOperand(v, xi * c * ld, ld, false), m, xi * o * tb, tb, o, tb, c);
                }
                for (int oc = 0; oc < o; oc++) {
                    // x + (-0.0) is x for every x: no bias adds nothing, -0.0 included
                    WinogradTransforms.outputTransform(math, m, oc * tb, o * tb, tb, bias == null ? -0.0f : bias[oc], sub, ld);
                    for (int r = r0; r < r1; r++) {
                        int image = r / th;
                        int ty = r - image * th;
                        int dst = ((image * o + oc) * oh + 2 * ty) * ow;
                        // the math kernel's vectors may write into the next tile row of the plane, when
                        // this loop writes it later
                        boolean spill = r + 1 < r1 && ty + 1 < th;
                        int done = spill ? math.winogradScatter(sub, (r - r0) * row, ld, y, dst, ow, row - 1) : 0;
                        if (done == 0) {
                            WinogradTransforms.scatter(sub, (r - r0) * row, ld, y, dst, oh - 2 * ty > 1, ow);
                        }
                    }
                }
            }
        });
        return y;
    }

    /**
     * The weight gradient [o, c, 3, 3] from the summed products {@code m[xi][o][c]}: {@code A2t M A2}
     * per channel pair, A2t's rows (1, 1, 1, 0), (0, 1, -1, 0), (0, 1, 1, 1), in float64, rounded once.
     */
    static float[] gradientOutput(float[] m, int o, int c) {
        int pairs = o * c;
        float[] gw = new float[pairs * 9];
        double[] u = new double[12];
        for (int q = 0; q < pairs; q++) {
            for (int i = 0; i < 4; i++) {
                double m0 = m[i * pairs + q];
                double m1 = m[(4 + i) * pairs + q];
                double m2 = m[(8 + i) * pairs + q];
                double m3 = m[(12 + i) * pairs + q];
                u[i] = m0 + m1 + m2;
                u[4 + i] = m1 - m2;
                u[8 + i] = m1 + m2 + m3;
            }
            for (int ky = 0; ky < 3; ky++) {
                double u0 = u[4 * ky];
                double u1 = u[4 * ky + 1];
                double u2 = u[4 * ky + 2];
                double u3 = u[4 * ky + 3];
                gw[q * 9 + 3 * ky] = (float) (u0 + u1 + u2);
                gw[q * 9 + 3 * ky + 1] = (float) (u1 - u2);
                gw[q * 9 + 3 * ky + 2] = (float) (u1 + u2 + u3);
            }
        }
        return gw;
    }

}
