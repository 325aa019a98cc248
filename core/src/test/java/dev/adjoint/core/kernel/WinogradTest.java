package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.kernel.ConvKernels.Geometry;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/**
 * {@link FloatWinograd}: its float32 convolutions and input gradients against the float64
 * definition, as close as the direct float32 convolution comes; its bits the same from either math
 * kernel, any chunking of the tiles and any thread count; what it does with a non-finite input; and
 * which convolutions take it.
 */
class WinogradTest {
    /** float32's unit roundoff, 2^-24. */
    private static final double EPS = Math.ulp(1.0f) / 2;

    /** 3x3, stride 1, padding 0-2 per axis, odd and even sizes from planes of one tile up. */
    private static Geometry randomGeometry(SplittableRandom rng, int most) {
        while (true) {
            int ph = rng.nextInt(3);
            int pw = rng.nextInt(3);
            int h = 1 + rng.nextInt(most);
            int w = 1 + rng.nextInt(most);
            if (h + 2 * ph - 2 >= 1 && w + 2 * pw - 2 >= 1) {
                return new Geometry(1 + rng.nextInt(3), 1 + rng.nextInt(12), h, w, 1 + rng.nextInt(12), 3, 3, 1, 1, ph, pw, 1, 1, 1);
            }
        }
    }

    private static float[] random(SplittableRandom rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rng.nextDouble(-1, 1);
        }
        return a;
    }

    private static double[] widen(float[] a, boolean abs) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = abs ? Math.abs(a[i]) : a[i];
        }
        return d;
    }

    /** One product of a 3x3 convolution's definition: output element y, input element x, weight element w (flat indices). */
    private interface Tap {
        void at(int y, int x, int w);
    }

    /** Every product of the convolution of {@code g} whose input element lies inside the planes, in one fixed order. */
    private static void eachTap(Geometry g, Tap tap) {
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.o(); o++) {
                for (int i = 0; i < g.outH(); i++) {
                    for (int j = 0; j < g.outW(); j++) {
                        int y = ((n * g.o() + o) * g.outH() + i) * g.outW() + j;
                        for (int c = 0; c < g.c(); c++) {
                            for (int p = 0; p < 3; p++) {
                                for (int q = 0; q < 3; q++) {
                                    int ih = i - g.ph() + p;
                                    int iw = j - g.pw() + q;
                                    if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                        tap.at(y, ((n * g.c() + c) * g.h() + ih) * g.w() + iw, ((o * g.c() + c) * 3 + p) * 3 + q);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** The input gradient's definition: each output gradient element times the weights of its window. */
    private static double[] inputGradient(double[] gy, double[] w, Geometry g) {
        double[] gx = new double[g.n() * g.c() * g.h() * g.w()];
        eachTap(g, (y, x, k) -> gx[x] += gy[y] * w[k]);
        return gx;
    }

    /**
     * A bound on the magnitude of everything one output's tile sums, as intermediate values: per
     * output channel, the input channels' sums of |x| over the tile's 4x4 window (the padded input
     * x [n, c, h, w]) times their weights' sums of |w| ({@code weightSums} [o][c]). The transforms
     * mix all of a tile's window into each of its four outputs, so a tile's rounding errors scale
     * with it, not with the output's own window.
     */
    private static double[] tileMagnitude(float[] x, int n, int c, int h, int w, int ph, int pw, double[] weightSums, int o) {
        int oh = h + 2 * ph - 2;
        int ow = w + 2 * pw - 2;
        double[] m = new double[n * o * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double[] window = new double[c];
                    for (int ch = 0; ch < c; ch++) {
                        for (int p = 0; p < 4; p++) {
                            for (int q = 0; q < 4; q++) {
                                int ih = i / 2 * 2 - ph + p;
                                int iw = j / 2 * 2 - pw + q;
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                    window[ch] += Math.abs(x[((b * c + ch) * h + ih) * w + iw]);
                                }
                            }
                        }
                    }
                    for (int oc = 0; oc < o; oc++) {
                        double sum = 0;
                        for (int ch = 0; ch < c; ch++) {
                            sum += window[ch] * weightSums[oc * c + ch];
                        }
                        m[((b * o + oc) * oh + i) * ow + j] = sum;
                    }
                }
            }
        }
        return m;
    }

    /** Sums of |w| over each 3x3 kernel of w [o, c, 3, 3], as [o][c], or as [c][o] if {@code swapped}. */
    private static double[] weightSums(float[] w, int o, int c, boolean swapped) {
        double[] s = new double[o * c];
        for (int oc = 0; oc < o; oc++) {
            for (int ch = 0; ch < c; ch++) {
                for (int q = 0; q < 9; q++) {
                    s[swapped ? ch * o + oc : oc * c + ch] += Math.abs(w[(oc * c + ch) * 9 + q]);
                }
            }
        }
        return s;
    }

    /**
     * Each element within (k + 8) eps of its tile's magnitude ({@link #tileMagnitude}; k the terms
     * summed), and the root-mean-square error at most four times the direct float32 convolution's
     * on the same data, give or take eps times the magnitudes' over k.
     */
    private static void assertAccurate(float[] winograd, float[] direct, double[] exact, double[] magnitude, int k, String what) {
        assertEquals(exact.length, winograd.length, what + ": length");
        double bound = (k + 8.0) * EPS;
        double sw = 0;
        double sd = 0;
        double sm = 0;
        for (int i = 0; i < exact.length; i++) {
            double e = Math.abs(winograd[i] - exact[i]);
            assertTrue(e <= bound * magnitude[i], what + " at " + i + ": " + winograd[i] + " against " + exact[i]);
            sw += e * e;
            sd += (direct[i] - exact[i]) * (direct[i] - exact[i]);
            sm += magnitude[i] * magnitude[i];
        }
        double rms = Math.sqrt(sw / exact.length);
        double rmsDirect = Math.sqrt(sd / exact.length);
        // plus eps of the magnitudes over the terms: sums of one or two terms, nearly exact in the
        // direct convolution, keep the transforms' few roundings
        double allowed = 4 * rmsDirect + EPS * Math.sqrt(sm / exact.length) / k;
        assertTrue(rms <= allowed, what + ": root-mean-square error " + rms + ", the direct convolution's " + rmsDirect);
    }

    @Property(tries = 150)
    void theConvolutionMatchesTheDefinitionAsCloselyAsTheDirectOne(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Geometry g = randomGeometry(rng, 19);
        float[] x = random(rng, g.n() * g.c() * g.h() * g.w());
        float[] w = random(rng, g.o() * g.c() * 9);
        float[] b = rng.nextBoolean() ? random(rng, g.o()) : null;
        int budget = new int[] {1, 60, 700, ConvKernels.SCRATCH_BUDGET}[rng.nextInt(4)];
        NDArray xa = NDArray.wrap(x, g.inputShape());
        NDArray wa = NDArray.wrap(w, g.weightShape());
        NDArray ba = b == null ? null : NDArray.wrap(b, new int[] {g.o()});
        float[] y = FloatWinograd.conv2d(xa, wa, ba, g, budget).floats;
        float[] direct = FloatConvLoops.conv2d(xa, wa, ba, g, ConvKernels.SCRATCH_BUDGET).floats;
        double[] exact = ConvKernelsTest.reference(widen(x, false), widen(w, false), b == null ? null : widen(b, false), g);
        double[] magnitude = tileMagnitude(x, g.n(), g.c(), g.h(), g.w(), g.ph(), g.pw(), weightSums(w, g.o(), g.c(), false), g.o());
        for (int i = 0; b != null && i < magnitude.length; i++) {
            magnitude[i] += Math.abs(b[i / (g.outH() * g.outW()) % g.o()]);
        }
        assertAccurate(y, direct, exact, magnitude, g.c(), g + " budget " + budget);
    }

    @Property(tries = 100)
    void theInputGradientMatchesTheDefinitionAsCloselyAsTheDirectOne(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Geometry g = randomGeometry(rng, 19);
        float[] gy = random(rng, g.n() * g.o() * g.outH() * g.outW());
        float[] w = random(rng, g.o() * g.c() * 9);
        int budget = new int[] {1, 60, 700, ConvKernels.SCRATCH_BUDGET}[rng.nextInt(4)];
        NDArray gya = NDArray.wrap(gy, g.outputShape());
        NDArray wa = NDArray.wrap(w, g.weightShape());
        float[] gx = FloatWinograd.backwardInput(gya, wa, g, budget).floats;
        float[] direct = FloatConvLoops.backwardInput(gya, wa, g, ConvKernels.SCRATCH_BUDGET).floats;
        double[] magnitude = tileMagnitude(gy, g.n(), g.o(), g.outH(), g.outW(), 2 - g.ph(), 2 - g.pw(), weightSums(w, g.o(), g.c(), true),
                g.c());
        assertAccurate(gx, direct, inputGradient(widen(gy, false), widen(w, false), g), magnitude, g.o(), g + " budget " + budget);
    }

    /** The weight gradient's definition: gw[o, c, p, q] sums gy[n, o, i, j] x[n, c, i - ph + p, j - pw + q]. */
    private static double[] weightGradient(double[] x, double[] gy, Geometry g) {
        double[] gw = new double[g.o() * g.c() * 9];
        eachTap(g, (y, i, k) -> gw[k] += gy[y] * x[i]);
        return gw;
    }

    /**
     * The weight gradient's counterpart of {@link #tileMagnitude}: per channel pair, the sum over
     * all tiles of the input window's sum of |x| times the output gradient block's sum of |gy|, the
     * same for each of the pair's nine taps.
     */
    private static double[] weightMagnitude(float[] x, float[] gy, Geometry g) {
        double[] m = new double[g.o() * g.c() * 9];
        int th = (g.outH() + 1) / 2;
        int tw = (g.outW() + 1) / 2;
        for (int n = 0; n < g.n(); n++) {
            for (int ty = 0; ty < th; ty++) {
                for (int tx = 0; tx < tw; tx++) {
                    double[] window = new double[g.c()];
                    for (int c = 0; c < g.c(); c++) {
                        for (int p = 0; p < 4; p++) {
                            for (int q = 0; q < 4; q++) {
                                int ih = 2 * ty - g.ph() + p;
                                int iw = 2 * tx - g.pw() + q;
                                if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                    window[c] += Math.abs(x[((n * g.c() + c) * g.h() + ih) * g.w() + iw]);
                                }
                            }
                        }
                    }
                    for (int o = 0; o < g.o(); o++) {
                        double block = 0;
                        for (int p = 0; p < 2; p++) {
                            for (int q = 0; q < 2; q++) {
                                int i = 2 * ty + p;
                                int j = 2 * tx + q;
                                if (i < g.outH() && j < g.outW()) {
                                    block += Math.abs(gy[((n * g.o() + o) * g.outH() + i) * g.outW() + j]);
                                }
                            }
                        }
                        for (int c = 0; c < g.c(); c++) {
                            for (int tap = 0; tap < 9; tap++) {
                                m[(o * g.c() + c) * 9 + tap] += window[c] * block;
                            }
                        }
                    }
                }
            }
        }
        return m;
    }

    @Property(tries = 60)
    void theWeightGradientMatchesTheDefinitionAsCloselyAsTheDirectOne(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Geometry g = randomGeometry(rng, 19);
        float[] x = random(rng, g.n() * g.c() * g.h() * g.w());
        float[] gy = random(rng, g.n() * g.o() * g.outH() * g.outW());
        int budget = new int[] {1, 60, 700, ConvKernels.SCRATCH_BUDGET}[rng.nextInt(4)];
        NDArray xa = NDArray.wrap(x, g.inputShape());
        NDArray gya = NDArray.wrap(gy, g.outputShape());
        float[] gw = FloatWinograd.backwardWeight(xa, gya, g, budget).floats;
        float[] direct = FloatConvLoops.backwardWeight(xa, gya, g, ConvKernels.SCRATCH_BUDGET).floats;
        int tiles = g.n() * ((g.outH() + 1) / 2) * ((g.outW() + 1) / 2 + 1);
        assertAccurate(gw, direct, weightGradient(widen(x, false), widen(gy, false), g), weightMagnitude(x, gy, g), tiles,
                g + " budget " + budget);
    }

    /** The weight gradient's bits: the same from either math kernel and any number of threads. */
    @Property(tries = 30)
    void theWeightGradientsBitsDoNotDependOnTheKernelOrTheThreads(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Geometry small = randomGeometry(rng, 40);
        Geometry g = new Geometry(small.n(), 4 + small.c(), small.h(), small.w(), 4 + small.o(), 3, 3, 1, 1, small.ph(), small.pw(), 1, 1, 1);
        NDArray x = NDArray.wrap(random(rng, g.n() * g.c() * g.h() * g.w()), g.inputShape());
        NDArray gy = NDArray.wrap(random(rng, g.n() * g.o() * g.outH() * g.outW()), g.outputShape());
        for (int budget : new int[] {100, ConvKernels.SCRATCH_BUDGET}) {
            float[] expected = weightGradient(new ScalarMathKernel(), x, gy, g, budget, 1);
            for (MathKernel k : MathKernelTest.kernels()) {
                for (int threads : new int[] {1, 2, 3}) {
                    float[] gw = weightGradient(k, x, gy, g, budget, threads);
                    for (int i = 0; i < gw.length; i++) {
                        int at = i;
                        assertEquals(Float.floatToRawIntBits(expected[at]), Float.floatToRawIntBits(gw[at]),
                                () -> g + " " + k.description() + " budget " + budget + " threads " + threads + " at " + at);
                    }
                }
            }
        }
    }

    private static float[] weightGradient(MathKernel k, NDArray x, NDArray gy, Geometry g, int budget, int threads) {
        int parts = Parallel.forceParts(threads);
        int cap = Gemm.limitThreads(threads);
        try {
            return FloatWinograd.backwardWeight(k, x, gy, g, budget).floats;
        } finally {
            Gemm.limitThreads(cap);
            Parallel.forceParts(parts);
        }
    }

    /**
     * The scalar kernel's loops define the bits: the vector kernel's transforms, copies and stores,
     * tiles cut into chunks of any size (a row of tiles, an image's rows split between chunks) and
     * any number of threads give the same.
     */
    @Property(tries = 40)
    void theBitsDoNotDependOnTheKernelTheChunksOrTheThreads(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Geometry small = randomGeometry(rng, 40);
        // planes and channels large enough for the vector loops
        Geometry g = new Geometry(small.n(), 4 + small.c(), small.h(), small.w(), 4 + small.o(), 3, 3, 1, 1, small.ph(), small.pw(), 1, 1, 1);
        float[] x = random(rng, g.n() * g.c() * g.h() * g.w());
        float[] b = random(rng, g.o());
        float[] u = FloatWinograd.weight(random(rng, g.o() * g.c() * 9), 0, g.o(), g.c(), false);
        float[] expected = convolve(new ScalarMathKernel(), x, g, u, b, ConvKernels.SCRATCH_BUDGET, 1);
        for (MathKernel k : MathKernelTest.kernels()) {
            for (int budget : new int[] {1, 150, ConvKernels.SCRATCH_BUDGET}) {
                for (int threads : new int[] {1, 2, 3}) {
                    float[] y = convolve(k, x, g, u, b, budget, threads);
                    for (int i = 0; i < y.length; i++) {
                        int at = i;
                        assertEquals(Float.floatToRawIntBits(expected[at]), Float.floatToRawIntBits(y[at]),
                                () -> g + " " + k.description() + " budget " + budget + " threads " + threads + " at " + at);
                    }
                }
            }
        }
    }

    private static float[] convolve(MathKernel k, float[] x, Geometry g, float[] u, float[] b, int budget, int threads) {
        int parts = Parallel.forceParts(threads);
        int cap = Gemm.limitThreads(threads);
        try {
            return FloatWinograd.convolve(k, x, 0, g.n(), g.c(), g.h(), g.w(), g.ph(), g.pw(), u, g.o(), b, budget);
        } finally {
            Gemm.limitThreads(cap);
            Parallel.forceParts(parts);
        }
    }

    /**
     * An infinity in the input makes exactly the outputs whose windows hold it non-finite, as in the
     * direct convolution (a tile's outputs that miss it never take it into their sums: the
     * transforms' zeros keep it out), though some come out NaN where the direct sum is infinite.
     */
    @Test
    void anInfinityInTheInputSpoilsTheOutputsWhoseWindowsHoldIt() {
        Geometry g = new Geometry(1, 16, 12, 13, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        SplittableRandom rng = new SplittableRandom(11);
        for (int at = 0; at < g.h() * g.w(); at += 7) {
            float[] x = random(rng, g.n() * g.c() * g.h() * g.w());
            float[] w = random(rng, g.o() * g.c() * 9);
            x[3 * g.h() * g.w() + at] = Float.POSITIVE_INFINITY;
            NDArray xa = NDArray.wrap(x, g.inputShape());
            NDArray wa = NDArray.wrap(w, g.weightShape());
            float[] y = FloatWinograd.conv2d(xa, wa, null, g, ConvKernels.SCRATCH_BUDGET).floats;
            float[] direct = FloatConvLoops.conv2d(xa, wa, null, g, ConvKernels.SCRATCH_BUDGET).floats;
            int spoiled = 0;
            for (int i = 0; i < y.length; i++) {
                assertEquals(Float.isFinite(direct[i]), Float.isFinite(y[i]), "infinity at " + at + ", output " + i + ": " + y[i]);
                spoiled += Float.isFinite(y[i]) ? 0 : 1;
            }
            assertTrue(spoiled >= g.o(), "infinity at " + at + ": spoiled " + spoiled);
        }
    }

    /**
     * The weight gradient multiplies a non-finite input by the transforms' zeros: it spoils every
     * tap the direct gradient spoils and often the rest of the channel pairs it reaches (as NaN),
     * never another channel's.
     */
    @Test
    void anInfinityInTheInputSpoilsTheWeightGradientOfItsChannelOnly() {
        Geometry g = new Geometry(2, 16, 12, 13, 16, 3, 3, 1, 1, 1, 0, 1, 1, 1);
        SplittableRandom rng = new SplittableRandom(13);
        int channel = 5;
        for (int at = 0; at < g.h() * g.w(); at += 11) {
            float[] x = random(rng, g.n() * g.c() * g.h() * g.w());
            float[] gy = random(rng, g.n() * g.o() * g.outH() * g.outW());
            x[(g.c() + channel) * g.h() * g.w() + at] = Float.NEGATIVE_INFINITY;
            NDArray xa = NDArray.wrap(x, g.inputShape());
            NDArray gya = NDArray.wrap(gy, g.outputShape());
            float[] gw = FloatWinograd.backwardWeight(xa, gya, g, ConvKernels.SCRATCH_BUDGET).floats;
            float[] direct = FloatConvLoops.backwardWeight(xa, gya, g, ConvKernels.SCRATCH_BUDGET).floats;
            for (int i = 0; i < gw.length; i++) {
                String where = "infinity at " + at + ", tap " + i + ": " + gw[i] + ", direct " + direct[i];
                if (i / 9 % g.c() != channel) {
                    assertTrue(Float.isFinite(gw[i]), where);
                } else if (!Float.isFinite(direct[i])) {
                    assertFalse(Float.isFinite(gw[i]), where);
                }
            }
        }
    }

    /** Through the public API: float32 tensors on a layer the rules take, against float64, all three passes. */
    @Test
    void aFloat32LayerThatTakesItAgreesWithFloat64() {
        Geometry g = new Geometry(2, 32, 12, 14, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        assertTrue(FloatWinograd.applies(g) && FloatWinograd.appliesToInputGradient(g));
        SplittableRandom rng = new SplittableRandom(17);
        float[] x = random(rng, g.n() * g.c() * g.h() * g.w());
        float[] w = random(rng, g.o() * g.c() * 9);
        float[] gy = random(rng, g.n() * g.o() * g.outH() * g.outW());
        NDArray x32 = NDArray.wrap(x, g.inputShape());
        NDArray w32 = NDArray.wrap(w, g.weightShape());
        NDArray gy32 = NDArray.wrap(gy, g.outputShape());
        double[][] got = {ConvKernels.conv2d(x32, w32, null, g).toArray(), ConvKernels.backwardInput(gy32, w32, g).toArray(),
            ConvKernels.backwardWeight(x32, gy32, g).toArray()};
        double[][] want = {ConvKernels.conv2d(x32.toFloat64(), w32.toFloat64(), null, g).toArray(),
            ConvKernels.backwardInput(gy32.toFloat64(), w32.toFloat64(), g).toArray(),
            ConvKernels.backwardWeight(x32.toFloat64(), gy32.toFloat64(), g).toArray()};
        for (int pass = 0; pass < 3; pass++) {
            double scale = 0;
            for (double v : want[pass]) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < want[pass].length; i++) {
                assertEquals(want[pass][i], got[pass][i], 1e-5 * scale, "pass " + pass + " at " + i);
            }
        }
        // a batch narrowed to its second image: an input that starts past its array's first element
        NDArray second = x32.narrow(0, 1, 1);
        Geometry one = new Geometry(1, g.c(), g.h(), g.w(), g.o(), 3, 3, 1, 1, 1, 1, 1, 1, 1);
        float[] viewed = FloatWinograd.conv2d(second, w32, null, one, ConvKernels.SCRATCH_BUDGET).floats;
        float[] copied = FloatWinograd.conv2d(NDArray.wrap(second.toFloatArray(), one.inputShape()), w32, null, one,
                ConvKernels.SCRATCH_BUDGET).floats;
        for (int i = 0; i < viewed.length; i++) {
            assertEquals(Float.floatToRawIntBits(copied[i]), Float.floatToRawIntBits(viewed[i]), "narrowed input at " + i);
        }
    }

    @Test
    void anEmptyBatchGivesEmptyResultsAndAZeroWeightGradient() {
        Geometry g = new Geometry(0, 16, 12, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        NDArray x = NDArray.wrap(new float[0], g.inputShape());
        NDArray gy = NDArray.wrap(new float[0], g.outputShape());
        NDArray w = NDArray.wrap(random(new SplittableRandom(3), g.o() * g.c() * 9), g.weightShape());
        assertEquals(0, FloatWinograd.conv2d(x, w, null, g, ConvKernels.SCRATCH_BUDGET).floats.length);
        assertEquals(0, FloatWinograd.backwardInput(gy, w, g, ConvKernels.SCRATCH_BUDGET).floats.length);
        float[] gw = FloatWinograd.backwardWeight(x, gy, g, ConvKernels.SCRATCH_BUDGET).floats;
        assertEquals(g.o() * g.c() * 9, gw.length);
        for (float v : gw) {
            assertEquals(0f, v);
        }
    }

    @Test
    void theConvolutionsThatTakeIt() {
        // the benchmark's layer (its weight gradient stays with the direct products), a wide plane
        Geometry benchmark = new Geometry(64, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        assertTrue(FloatWinograd.applies(benchmark));
        assertTrue(FloatWinograd.appliesToInputGradient(benchmark));
        assertFalse(FloatWinograd.appliesToWeightGradient(benchmark));
        Geometry wide = new Geometry(8, 64, 28, 28, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        assertTrue(FloatWinograd.applies(wide) && FloatWinograd.appliesToInputGradient(wide) && FloatWinograd.appliesToWeightGradient(wide));
        // wide, but planes of 196 outputs: the weight gradient stays direct
        Geometry small = new Geometry(16, 128, 14, 14, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        assertTrue(FloatWinograd.applies(small) && !FloatWinograd.appliesToWeightGradient(small));
        assertTrue(FloatWinograd.applies(new Geometry(2, 32, 8, 12, 32, 3, 3, 1, 1, 1, 2, 1, 1, 1)));
        // 16 input channels: the forward and the input gradient stay direct, a wide weight gradient does not
        Geometry narrowIn = new Geometry(4, 16, 28, 28, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        assertFalse(FloatWinograd.applies(narrowIn) || FloatWinograd.appliesToInputGradient(narrowIn));
        assertTrue(FloatWinograd.appliesToWeightGradient(narrowIn));
        Geometry fewIn = new Geometry(2, 24, 12, 14, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        assertFalse(FloatWinograd.applies(fewIn) || FloatWinograd.appliesToInputGradient(fewIn));
        // the input gradient takes at most 3 output channels per input channel; the forward any
        Geometry fanOut = new Geometry(8, 32, 14, 14, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        assertTrue(FloatWinograd.applies(fanOut) && !FloatWinograd.appliesToInputGradient(fanOut));
        assertTrue(FloatWinograd.appliesToInputGradient(new Geometry(8, 32, 14, 14, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
        // the fashion-mnist CNN's second convolution: 11x11 outputs fill 72% of their 12x14 tiles,
        // its input gradient's 13x13 75% of 14x16
        Geometry cnn = new Geometry(128, 32, 13, 13, 64, 3, 3, 1, 1, 0, 0, 1, 1, 1);
        assertFalse(FloatWinograd.applies(cnn) || FloatWinograd.appliesToInputGradient(cnn));
        // valid padding on 16x16: the forward's 14x14 outputs fill 87.5% of their tiles, the input gradient's 16x16 89%
        Geometry valid = new Geometry(8, 32, 16, 16, 64, 3, 3, 1, 1, 0, 0, 1, 1, 1);
        assertTrue(FloatWinograd.applies(valid) && FloatWinograd.appliesToInputGradient(valid));
        Geometry[] not = {
            new Geometry(64, 32, 14, 14, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1), // stride 2
            new Geometry(64, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 2, 2, 1), // dilated
            new Geometry(64, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 2), // groups
            new Geometry(64, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2, 1, 1, 1), // 5x5
            new Geometry(64, 32, 14, 14, 64, 3, 3, 1, 1, 3, 3, 1, 1, 1), // padding past 2
            new Geometry(64, 8, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1), // few input channels
            new Geometry(64, 16, 14, 14, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1), // few channels together
            new Geometry(64, 32, 10, 10, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1), // narrow planes
            new Geometry(64, 32, 7, 28, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1), // short planes
        };
        for (Geometry g : not) {
            assertFalse(FloatWinograd.applies(g), g.toString());
            assertFalse(FloatWinograd.appliesToInputGradient(g), g.toString());
            assertFalse(FloatWinograd.appliesToWeightGradient(g), g.toString());
        }
    }

    @Test
    void tilesFitWhereEightyPercentOfThemHoldOutputs() {
        assertTrue(FloatWinograd.tilesFit(14, 14)); // 196 of 14 x 16
        assertTrue(FloatWinograd.tilesFit(16, 16)); // 256 of 16 x 18
        assertFalse(FloatWinograd.tilesFit(11, 11)); // 121 of 12 x 14
        assertTrue(FloatWinograd.tilesFit(28, 28));
        assertFalse(FloatWinograd.tilesFit(13, 13)); // 169 of 14 x 16
    }
}
