package dev.adjoint.core.kernel;

/**
 * The scalar loops of {@link FloatWinograd}'s transforms, their definitions: the parity planes of
 * a padded input plane, the input transform {@code Bt d B}, the output gradient's
 * {@code G2 g G2t}, the output transform {@code At M A} and the outputs' scatter into their
 * planes. {@link MathKernel}'s Winograd methods repeat them bit for bit on vectors (the vector
 * kernel's {@link VectorWinograd}, none in the scalar kernel); each entry here runs the math
 * kernel first and its own loop on whatever the kernel left. Free of the Vector API, so the
 * scalar kernel gives the same bits.
 */
final class WinogradTransforms {
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

    private WinogradTransforms() {
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
                java.util.Arrays.fill(sub, low + lows, base + lowPlane * s + row, 0f);
                java.util.Arrays.fill(sub, high + highs, base + (1 - lowPlane) * s + row, 0f);
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
    static void inputTransform(MathKernel math, float[] p, int s, int row, int count, float[] v, int at, int stride) {
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

    /** Tiles [0, count) of the output gradient's transform: the math kernel's vectors, then the scalar loop. */
    static void gradientTransform(MathKernel math, float[] p, int s, int count, float[] v, int at, int stride) {
        int done = count >= TRANSFORM_MIN ? math.winogradGradient(p, s, count, v, at, stride) : 0;
        gradientTransform(p, s, done, count, v, at, stride);
    }

    /**
     * The transform {@code G2 g G2t} of the output gradient's 2x2 blocks for the weight gradient,
     * tiles [from, to): tile k's block is {@code g[a][i] = p[(2 a + i) s + k]} ({@link #planes}
     * without padding), its 16 points go to {@code v[at + xi stride + k]}. G2's rows are (1, 0),
     * (1/2, 1/2), (1/2, -1/2), (0, -1): F(3, 2)'s, its last row negated, as the forward's input
     * transform has its last row negated against F(3, 2)'s, so the products are F(3, 2)'s. Along
     * the rows first, then down the columns: the definition that
     * {@link MathKernel#winogradGradient} repeats bit for bit.
     */
    static void gradientTransform(float[] p, int s, int from, int to, float[] v, int at, int stride) {
        for (int k = from; k < to; k++) {
            float g00 = p[k];
            float g01 = p[s + k];
            float g10 = p[2 * s + k];
            float g11 = p[3 * s + k];
            float a0 = g00;
            float a1 = 0.5f * (g00 + g01);
            float a2 = 0.5f * (g00 - g01);
            float a3 = -g01;
            float b0 = g10;
            float b1 = 0.5f * (g10 + g11);
            float b2 = 0.5f * (g10 - g11);
            float b3 = -g11;
            int t = at + k;
            v[t] = a0;
            v[t + stride] = a1;
            v[t + 2 * stride] = a2;
            v[t + 3 * stride] = a3;
            v[t + 4 * stride] = 0.5f * (a0 + b0);
            v[t + 5 * stride] = 0.5f * (a1 + b1);
            v[t + 6 * stride] = 0.5f * (a2 + b2);
            v[t + 7 * stride] = 0.5f * (a3 + b3);
            v[t + 8 * stride] = 0.5f * (a0 - b0);
            v[t + 9 * stride] = 0.5f * (a1 - b1);
            v[t + 10 * stride] = 0.5f * (a2 - b2);
            v[t + 11 * stride] = 0.5f * (a3 - b3);
            v[t + 12 * stride] = -b0;
            v[t + 13 * stride] = -b1;
            v[t + 14 * stride] = -b2;
            v[t + 15 * stride] = -b3;
        }
    }

    /** Tiles [0, count) of the output transform: the math kernel's vectors, then the scalar loop. */
    static void outputTransform(MathKernel math, float[] m, int at, int stride, int count, float b, float[] out, int ld) {
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
