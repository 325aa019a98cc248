package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The float32 elementwise kernels against their one source of truth, the float64 loops: on every
 * function and layout a float32 result is the float64 result on the widened inputs rounded to
 * float, bit for bit, except exp, log, sigmoid, tanh, softplus and softmax of runs long enough for
 * the math kernel, which run in float32 arithmetic and stay within an ulp or a few; exp, tanh and sigmoid on both math kernels
 * stay within one ulp of float of the correctly rounded {@link Math} functions over millions of
 * inputs spanning every float exponent (subnormals, overflow, infinities, NaN); and the results
 * repeat bit for bit.
 */
class Float32ElementwiseTest {
    private static final float[] SPECIAL = {
        0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1f, -1f, 1e-30f, -1e-30f, 9f, -9f, 20f, -20f, 88.7f, -88.7f,
        89f, -104f, -150f, 710f, -746f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};

    /** Lengths around the math kernel's threshold and the block size. */
    private static final int[] LENGTHS = {0, 1, 7, 63, 64, 65, FloatBlocks.BLOCK - 1, FloatBlocks.BLOCK, FloatBlocks.BLOCK + 3, 1500};

    private static float[] values(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = rng.nextInt(5) == 0 ? SPECIAL[rng.nextInt(SPECIAL.length)] : (float) rng.nextDouble(-12, 12);
        }
        return a;
    }

    private static void assertRounded(NDArray wide, NDArray narrow, String what) {
        assertTrue(narrow.isFloat32(), what + ": not float32");
        assertEquals(java.util.Arrays.toString(wide.shape()), java.util.Arrays.toString(narrow.shape()), what);
        float[] expected = wide.toFloatArray();
        float[] actual = narrow.toFloatArray();
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                throw new AssertionError(what + " at " + i + ": float64 rounded " + expected[i] + ", float32 " + actual[i]);
            }
        }
    }

    /** {@link #assertWithin}, or within {@code absolute} of {@code wide}'s value. */
    private static void assertWithinOrNear(NDArray wide, NDArray narrow, int ulps, double absolute, String what) {
        double[] w = wide.toArray();
        float[] actual = narrow.toFloatArray();
        for (int i = 0; i < w.length; i++) {
            if (!(Math.abs(actual[i] - w[i]) <= absolute) && MathKernelTest.floatUlps((float) w[i], actual[i]) > ulps) {
                throw new AssertionError(what + " at " + i + ": float64 " + w[i] + ", float32 " + actual[i]);
            }
        }
    }

    /** Each element of {@code narrow} within {@code ulps} of {@code wide}'s rounded (NaN where it is NaN). */
    private static void assertWithin(NDArray wide, NDArray narrow, int ulps, String what) {
        assertTrue(narrow.isFloat32(), what + ": not float32");
        assertEquals(java.util.Arrays.toString(wide.shape()), java.util.Arrays.toString(narrow.shape()), what);
        float[] expected = wide.toFloatArray();
        float[] actual = narrow.toFloatArray();
        for (int i = 0; i < expected.length; i++) {
            long d = MathKernelTest.floatUlps(expected[i], actual[i]);
            if (d > ulps) {
                throw new AssertionError(what + " at " + i + ": float64 rounded " + expected[i] + ", float32 " + actual[i] + ", " + d + " ulps");
            }
        }
    }

    /** The ulps a float32-arithmetic function may be from the correctly rounded result. */
    private static int floatUlpBound(Elementwise.Unary f) {
        return f == Elementwise.Unary.EXP || f == Elementwise.Unary.LOG || f == Elementwise.Unary.LOG1P || f == Elementwise.Unary.ERF ? 1 : 2;
    }

    @Test
    void everyUnaryFunctionIsItsFloat64ResultRoundedButLongRunsInFloat32ArithmeticWithinUlps() {
        for (Elementwise.Unary f : Elementwise.Unary.values()) {
            for (int n : LENGTHS) {
                NDArray x = NDArray.of(values(n, n * 31L + f.ordinal()), new int[] {n});
                if (Float32Arithmetic.covers(f) && n >= MathKernel.MIN_LENGTH) {
                    // float32 arithmetic on the math kernel: its own bits, within an ulp or two
                    NDArray y = Elementwise.map(f, x);
                    assertWithin(Elementwise.map(f, x.toFloat64()), y, floatUlpBound(f), f + " n=" + n);
                    float[] direct = new float[n];
                    MathKernel k = KernelProvider.math();
                    switch (f) {
                        case EXP -> k.exp(x.toFloatArray(), 0, direct, 0, n);
                        case SIGMOID -> k.sigmoid(x.toFloatArray(), 0, direct, 0, n);
                        case TANH -> k.tanh(x.toFloatArray(), 0, direct, 0, n);
                        case LOG -> k.log(x.toFloatArray(), 0, direct, 0, n);
                        case LOG1P -> k.log1p(x.toFloatArray(), 0, direct, 0, n);
                        case SOFTPLUS -> k.softplus(x.toFloatArray(), 0, direct, 0, n);
                        case ERF -> k.erf(x.toFloatArray(), 0, direct, 0, n);
                        default -> throw new AssertionError(f + " is not in float32 arithmetic");
                    }
                    assertEquals(java.util.Arrays.toString(direct), java.util.Arrays.toString(y.toFloatArray()), f + " n=" + n);
                } else {
                    assertRounded(Elementwise.map(f, x.toFloat64()), Elementwise.map(f, x), f + " n=" + n);
                }
            }
            for (double p : new double[] {2, 1, 0.5, -1.5, 3, Double.POSITIVE_INFINITY}) {
                for (int n : LENGTHS) {
                    NDArray x = NDArray.of(values(n, n + 5L), new int[] {n});
                    assertRounded(Elementwise.pow(x.toFloat64(), (float) p), Elementwise.pow(x, p), "pow " + p + " n=" + n);
                }
            }
            for (int n : LENGTHS) {
                NDArray x = NDArray.of(values(n, n + 9L), new int[] {n});
                assertRounded(Elementwise.clamp(x.toFloat64(), (float) -0.3, (float) 2.7), Elementwise.clamp(x, -0.3, 2.7), "clamp n=" + n);
                assertRounded(Elementwise.strictlyInside(x.toFloat64(), -0.3, 2.7), Elementwise.strictlyInside(x, -0.3, 2.7), "inside n=" + n);
            }
            // a transposed view goes through contiguous() first
            NDArray m = NDArray.of(values(60 * 70, f.ordinal()), new int[] {60, 70}).permute(new int[] {1, 0});
            if (Float32Arithmetic.covers(f)) {
                assertWithin(Elementwise.map(f, m.toFloat64()), Elementwise.map(f, m), 2, f + " transposed");
                assertRounded(Elementwise.map(f, m.contiguous()).toFloat64(), Elementwise.map(f, m), f + " transposed, against its contiguous copy");
            } else {
                assertRounded(Elementwise.map(f, m.toFloat64()), Elementwise.map(f, m), f + " transposed");
            }
        }
    }

    /**
     * {@link #assertRounded}, except for gelu's backward, which follows gelu's float32 forward: below
     * {@link MathKernel#MIN_LENGTH} elements {@link ErrorFunction#geluGrad} rounded, from there on
     * float32 arithmetic, within its error bound of the float64 result and with the bits of the same
     * operands made contiguous.
     */
    private static void assertZip(Elementwise.Binary f, NDArray a, NDArray b, String what) {
        NDArray narrow = Elementwise.zip(f, a, b);
        NDArray wide = Elementwise.zip(f, a.toFloat64(), b.toFloat64());
        if (f == Elementwise.Binary.SILU_GRAD && a.size >= MathKernel.MIN_LENGTH) {
            // float32 arithmetic, as the float32 sigmoid: within its bound of the float64 result, and
            // the bits of the same operands made contiguous (s (1 + x (1 - s)) is at most 1.1 times g
            // in size; sigmoid within 2 ulps, four roundings)
            float[] contiguous = Elementwise.zip(f, a.contiguous(), b.contiguous()).toFloatArray();
            float[] got = narrow.toFloatArray();
            double[] w = wide.toArray();
            float[] g = a.contiguous().toFloatArray();
            float[] x = b.contiguous().toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertEquals(Float.floatToIntBits(contiguous[i]), Float.floatToIntBits(got[i]), what + " at " + i + ": against its contiguous copy");
                double bound = 6e-7 * Math.abs(g[i]) * Math.max(1, Math.abs(x[i]) * 0.25) + 1e-44;
                boolean close = Float.isInfinite(g[i]) || Float.isInfinite(x[i]) || (Double.isNaN(w[i]) ? Float.isNaN(got[i])
                        : Double.isInfinite(w[i]) ? w[i] == got[i]
                        : Float.isInfinite(got[i]) ? Math.abs(w[i]) >= Float.MAX_VALUE - bound && w[i] * got[i] > 0
                        : Math.abs(got[i] - w[i]) <= bound);
                assertTrue(close, what + " at " + i + ": float64 " + w[i] + ", float32 " + got[i] + " (g " + g[i] + ", x " + x[i] + ")");
            }
            return;
        }
        if (f != Elementwise.Binary.GELU_GRAD) {
            assertRounded(wide, narrow, what);
            return;
        }
        if (a.size < MathKernel.MIN_LENGTH) {
            float[] ga = a.toFloatArray();
            float[] xa = b.toFloatArray();
            float[] got = narrow.toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertEquals(Float.floatToIntBits((float) ErrorFunction.geluGrad(ga[i], xa[i])), Float.floatToIntBits(got[i]), what + " at " + i);
            }
            return;
        }
        float[] contiguous = Elementwise.zip(f, a.contiguous(), b.contiguous()).toFloatArray();
        float[] actual = narrow.toFloatArray();
        double[] w = wide.toArray();
        float[] g = a.contiguous().toFloatArray();
        for (int i = 0; i < actual.length; i++) {
            assertEquals(Float.floatToIntBits(contiguous[i]), Float.floatToIntBits(actual[i]), what + " at " + i + ": against its contiguous copy");
            // erf and exp within an ulp, six roundings: 6e-7 of g at most (g (Phi + x phi), the sum up to
            // 1.13); an infinite g times a sum that underflows in float32 (x phi(x) far out) is NaN there
            // (a float32 overflow counts as within the bound of a float64 value that far out)
            double bound = 6e-7 * Math.abs(g[i]) + 1e-44;
            boolean close = Float.isInfinite(g[i]) || (Double.isNaN(w[i]) ? Float.isNaN(actual[i])
                    : Double.isInfinite(w[i]) ? w[i] == actual[i]
                    : Float.isInfinite(actual[i]) ? Math.abs(w[i]) >= Float.MAX_VALUE - bound && w[i] * actual[i] > 0
                    : Math.abs(actual[i] - w[i]) <= bound);
            assertTrue(close, what + " at " + i + ": float64 " + w[i] + ", float32 " + actual[i]);
        }
    }

    @Test
    void everyBinaryFunctionButGelusAndSilusBackwardIsItsFloat64ResultRoundedOnEveryLayout() {
        for (Elementwise.Binary f : Elementwise.Binary.values()) {
            for (int n : LENGTHS) {
                NDArray a = NDArray.of(values(n, n + 7L * f.ordinal()), new int[] {n});
                NDArray b = NDArray.of(values(n, n + 1000L + f.ordinal()), new int[] {n});
                assertZip(f, a, b, f + " contiguous n=" + n);
                for (float c : new float[] {0.5f, -2f, 0f, Float.NaN}) {
                    assertRounded(Elementwise.zipScalar(f, a.toFloat64(), c), Elementwise.zipScalar(f, a, c), f + " scalar " + c + " n=" + n);
                }
                // one value broadcast beside a contiguous operand, either way round (short runs take the scalar loops)
                NDArray one = NDArray.of(new float[] {-1.25f}, new int[] {1}).expand(new int[] {n});
                assertZip(f, one, b, f + " broadcast first n=" + n);
                assertZip(f, a, one, f + " broadcast second n=" + n);
            }
            int rows = 9;
            int cols = 700;
            NDArray m = NDArray.of(values(rows * cols, f.ordinal()), new int[] {rows, cols});
            NDArray t = NDArray.of(values(rows * cols, 50 + f.ordinal()), new int[] {cols, rows}).permute(new int[] {1, 0});
            NDArray row = NDArray.of(values(cols, 99 + f.ordinal()), new int[] {1, cols}).expand(new int[] {rows, cols});
            NDArray column = NDArray.of(values(rows, 77 + f.ordinal()), new int[] {rows, 1}).expand(new int[] {rows, cols});
            NDArray one = NDArray.of(new float[] {1.75f}, new int[] {1, 1}).expand(new int[] {rows, cols});
            NDArray[] layouts = {m, t, row, column, one};
            String[] names = {"contiguous", "transposed", "row broadcast", "column broadcast", "scalar broadcast"};
            for (int i = 0; i < layouts.length; i++) {
                for (int j = 0; j < layouts.length; j++) {
                    NDArray a = layouts[i];
                    NDArray b = layouts[j];
                    assertZip(f, a, b, f + " " + names[i] + " with " + names[j]);
                }
            }
        }
    }

    @Test
    void floatResultsRepeatBitForBit() {
        NDArray x = NDArray.of(values(100_000, 5), new int[] {100, 1000});
        NDArray y = NDArray.of(values(100_000, 6), new int[] {100, 1000});
        for (Elementwise.Unary f : new Elementwise.Unary[] {Elementwise.Unary.EXP, Elementwise.Unary.TANH, Elementwise.Unary.SIGMOID,
                Elementwise.Unary.RELU}) {
            float[] first = Elementwise.map(f, x).toFloatArray();
            for (int run = 0; run < 3; run++) {
                assertEquals(java.util.Arrays.hashCode(first), java.util.Arrays.hashCode(Elementwise.map(f, x).toFloatArray()), f.toString());
            }
        }
        for (Elementwise.Binary f : new Elementwise.Binary[] {Elementwise.Binary.MUL, Elementwise.Binary.RELU_GRAD,
                Elementwise.Binary.SIGMOID_GRAD, Elementwise.Binary.TANH_GRAD, Elementwise.Binary.GELU_GRAD,
                Elementwise.Binary.SILU_GRAD}) {
            float[] first = Elementwise.zip(f, x, y).toFloatArray();
            for (int run = 0; run < 3; run++) {
                assertEquals(java.util.Arrays.hashCode(first), java.util.Arrays.hashCode(Elementwise.zip(f, x, y).toFloatArray()), f.toString());
            }
        }
    }

    // ---------------------------------------------------------------- the math kernels in float32

    /**
     * Every 2^10-th float bit pattern from a random start (4M values, every exponent of both signs:
     * zeros, subnormals, values where exp overflows or underflows, infinities, NaN) and the
     * special values.
     */
    private static float[] sweep() {
        int step = 1 << 10;
        int start = new SplittableRandom(2026).nextInt(step);
        float[] a = new float[(int) ((1L << 32) / step) + SPECIAL.length];
        int k = 0;
        for (long bits = start; bits < (1L << 32); bits += step) {
            a[k++] = Float.intBitsToFloat((int) bits);
        }
        System.arraycopy(SPECIAL, 0, a, k, SPECIAL.length);
        return a;
    }

    private interface Kernel {
        void run(MathKernel k, double[] a, double[] r, int n);
    }

    /** The float32 path of a math-kernel function: widen a block, run it, round (as {@link FloatBlocks}). */
    private static float[] throughKernel(MathKernel k, Kernel f, float[] a) {
        float[] r = new float[a.length];
        double[] w = new double[FloatBlocks.BLOCK];
        for (int from = 0; from < a.length; from += FloatBlocks.BLOCK) {
            int len = Math.min(FloatBlocks.BLOCK, a.length - from);
            k.widen(a, from, w, 0, len);
            f.run(k, w, w, len);
            k.narrow(w, 0, r, from, len);
        }
        return r;
    }

    private static long maxUlps(MathKernel k, Kernel f, DoubleUnaryOperator reference, float[] a, String name) {
        float[] r = throughKernel(k, f, a);
        long worst = 0;
        for (int i = 0; i < a.length; i++) {
            long d = MathKernelTest.floatUlps((float) reference.applyAsDouble(a[i]), r[i]);
            if (d > 1) {
                throw new AssertionError(k.description() + " " + name + "(" + a[i] + ") = " + r[i] + ", off by " + d + " ulps");
            }
            worst = Math.max(worst, d);
        }
        return worst;
    }

    private interface FloatKernel {
        void run(MathKernel k, float[] a, float[] r, int n);
    }

    /** The worst distance of a float32-arithmetic kernel from the correctly rounded function; fails above {@code bound}. */
    private static long maxFloatUlps(MathKernel k, FloatKernel f, DoubleUnaryOperator reference, float[] a, int bound, String name) {
        float[] r = new float[a.length];
        f.run(k, a, r, a.length);
        long worst = 0;
        for (int i = 0; i < a.length; i++) {
            long d = MathKernelTest.floatUlps((float) reference.applyAsDouble(a[i]), r[i]);
            if (d > bound) {
                throw new AssertionError(k.description() + " float32 " + name + "(" + a[i] + ") = " + r[i] + ", off by " + d + " ulps");
            }
            worst = Math.max(worst, d);
        }
        return worst;
    }

    @ParameterizedTest
    @MethodSource("dev.adjoint.core.kernel.MathKernelTest#kernels")
    void mathFunctionsStayWithinTheirUlpBoundsOfTheCorrectlyRoundedFunctions(MathKernel k) {
        float[] a = sweep();
        long exp = maxUlps(k, (m, x, r, n) -> m.exp(x, 0, r, 0, n), Math::exp, a, "exp");
        // float32 arithmetic: the vector kernel's polynomials; the scalar kernel rounds the float64
        // functions, so for it these check only that each method calls its function
        long exp32 = maxFloatUlps(k, (m, x, r, n) -> m.exp(x, 0, r, 0, n), Math::exp, a, 1, "exp");
        long tanh32 = maxFloatUlps(k, (m, x, r, n) -> m.tanh(x, 0, r, 0, n), Math::tanh, a, 2, "tanh");
        long sigmoid32 = maxFloatUlps(k, (m, x, r, n) -> m.sigmoid(x, 0, r, 0, n), Elementwise::sigmoid, a, 2, "sigmoid");
        long log32 = maxFloatUlps(k, (m, x, r, n) -> m.log(x, 0, r, 0, n), Math::log, a, 1, "log");
        long log1p32 = maxFloatUlps(k, (m, x, r, n) -> m.log1p(x, 0, r, 0, n), StrictMath::log1p, a, 1, "log1p");
        long softplus32 = maxFloatUlps(k, (m, x, r, n) -> m.softplus(x, 0, r, 0, n), Elementwise::softplus, a, 2, "softplus");
        long erf32 = maxFloatUlps(k, (m, x, r, n) -> m.erf(x, 0, r, 0, n), ErrorFunction::erf, a, 1, "erf");
        long gelu32 = maxFloatUlps(k, (m, x, r, n) -> m.gelu(x, 0, r, 0, n), x -> x * ErrorFunction.normalCdf(x), a, 6, "gelu");
        long tanh = maxUlps(k, (m, x, r, n) -> m.tanh(x, 0, r, 0, n), Math::tanh, a, "tanh");
        long sigmoid = maxUlps(k, (m, x, r, n) -> m.sigmoid(x, 0, r, 0, n), Elementwise::sigmoid, a, "sigmoid");
        System.out.println(k.description() + ": float32 worst ulps over " + a.length + " inputs, widened / in float32 arithmetic: exp "
                + exp + " / " + exp32 + ", tanh " + tanh + " / " + tanh32 + ", sigmoid " + sigmoid + " / " + sigmoid32
                + "; in float32 arithmetic: log " + log32 + ", log1p " + log1p32 + ", softplus " + softplus32 + ", erf " + erf32 + ", gelu " + gelu32);
    }

    @Test
    void conversionsAndReluGradAreTheSameBitsOnBothKernels() {
        java.util.List<MathKernel> kernels = MathKernelTest.kernels();
        float[] a = sweep();
        float[] base = null;
        for (MathKernel k : kernels) {
            float[] back = throughKernel(k, (m, x, r, n) -> System.arraycopy(x, 0, r, 0, n), a);
            for (int i = 0; i < a.length; i++) {
                // a signalling NaN may come back quieted: NaN is compared as NaN
                assertEquals(Float.floatToIntBits(a[i]), Float.floatToIntBits(back[i]), "widen then narrow of " + a[i]);
            }
            float[] g = throughKernel(k, (m, x, r, n) -> m.reluGrad(new double[] {3.0}, 0, 0, x, 0, r, 0, n), a);
            if (base != null) {
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Float.floatToRawIntBits(base[i]), Float.floatToRawIntBits(g[i]), "reluGrad at " + a[i]);
                }
            }
            base = g;
        }
        // a double between two floats rounds to nearest, ties to even, as the cast
        double[] between = {1.0 + 0x1p-24, 1.0 + 0x1p-24 + 0x1p-40, 1.0 + 3 * 0x1p-24, 0x1p-150, 0x1.8p-149, 1e300, -1e300, -0x1p-160};
        for (MathKernel k : kernels) {
            double[] w = new double[64];
            for (int i = 0; i < w.length; i++) {
                w[i] = between[i % between.length];
            }
            float[] r = new float[64];
            k.narrow(w, 0, r, 0, 64);
            for (int i = 0; i < 64; i++) {
                assertEquals(Float.floatToRawIntBits((float) w[i]), Float.floatToRawIntBits(r[i]), k.description() + " narrow " + w[i]);
            }
        }
    }

    // ---------------------------------------------------------------- sums and softmax in float32

    /**
     * Sums of finite values (where NaN and infinities would hide a wrong sum): each path of sumTo
     * (all, rows, the bias gradient's columns, a convolution's channels, the general walk) gives the
     * float64 sum of the widened values rounded once.
     */
    @Test
    void sumsOfFiniteValuesAreTheirFloat64ResultsRounded() {
        int[][][] cases = {
            {{1000}, {}}, {{40, 300}, {40, 1}}, {{300, 40}, {40}}, {{3, 4, 130}, {4, 1}}, {{2, 3, 5, 20}, {3, 1, 1}},
            {{2, 3, 5, 20}, {1, 3, 1, 1}}, {{6, 7, 9}, {7, 9}}, {{6, 7, 9}, {6, 1, 9}}};
        SplittableRandom rng = new SplittableRandom(29);
        for (int[][] c : cases) {
            float[] v = new float[Shapes.size(c[0])];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rng.nextGaussian() * Math.pow(2, rng.nextInt(-8, 8)));
            }
            NDArray x = NDArray.of(v, c[0]);
            String what = "sumTo " + java.util.Arrays.toString(c[0]) + " -> " + java.util.Arrays.toString(c[1]);
            assertRounded(ReduceKernels.sumTo(x.toFloat64(), c[1]), ReduceKernels.sumTo(x, c[1]), what);
        }
    }

    @Test
    void sumToSoftmaxAndItsBackwardAreTheirFloat64ResultsRoundedButLongRowsWithinUlps() {
        int[][] shapes = {{5}, {300}, {7, 300}, {256, 70}, {3, 4, 130}, {2, 1000}};
        for (int[] shape : shapes) {
            int size = Shapes.size(shape);
            NDArray x = NDArray.of(values(size, size), shape);
            NDArray g = NDArray.of(values(size, size + 1), shape);
            int last = shape.length - 1;
            // every target that broadcasts: summing away leading axes and keeping ones
            for (int drop = 0; drop < shape.length; drop++) {
                int[] kept = java.util.Arrays.copyOfRange(shape, drop, shape.length);
                assertRounded(ReduceKernels.sumTo(x.toFloat64(), kept), ReduceKernels.sumTo(x, kept), "sumTo " + java.util.Arrays.toString(kept));
                int[] ones = kept.clone();
                ones[ones.length - 1] = 1;
                assertRounded(ReduceKernels.sumTo(x.toFloat64(), ones), ReduceKernels.sumTo(x, ones), "sumTo " + java.util.Arrays.toString(ones));
            }
            assertRounded(ReduceKernels.sumTo(x.toFloat64(), new int[] {1}), ReduceKernels.sumTo(x, new int[] {1}), "sumTo [1]");
            for (boolean log : new boolean[] {false, true}) {
                for (int axis : new int[] {0, last}) {
                    NDArray y64 = SoftmaxKernels.softmax(x.toFloat64(), axis, log);
                    NDArray y = SoftmaxKernels.softmax(x, axis, log);
                    String what = (log ? "logSoftmax " : "softmax ") + java.util.Arrays.toString(shape) + " axis " + axis;
                    NDArray back64 = SoftmaxKernels.softmaxBackward(g.toFloat64(), y.toFloat64(), axis, log);
                    NDArray back = SoftmaxKernels.softmaxBackward(g, y, axis, log);
                    int slices = axis == last ? shape[last] : SoftmaxKernels.innerSize(shape, axis);
                    if (slices >= MathKernel.MIN_LENGTH) {
                        // rows (or columns 64 apart and more) in float32 arithmetic: within a few
                        // ulps, not the bits
                        if (log) {
                            assertWithinOrNear(y64, y, 3, 1e-15, what);
                            Float32SoftmaxRowsTest.assertLogBackwardWithin(g, y, axis, back64.toArray(), back.toFloatArray(), what + " backward");
                        } else {
                            assertWithin(y64, y, 3, what);
                            assertBackwardWithinTwoUlps(g, y, back64, back, axis, what + " backward");
                        }
                    } else {
                        assertRounded(y64, y, what);
                        assertRounded(back64, back, what + " backward");
                    }
                }
            }
        }
        // a transposed float32 view sums as its contiguous copy
        NDArray t = NDArray.of(values(40 * 30, 1), new int[] {40, 30}).permute(new int[] {1, 0});
        assertRounded(ReduceKernels.sumTo(t.toFloat64(), new int[] {40}), ReduceKernels.sumTo(t, new int[] {40}), "transposed sumTo");
    }

    /**
     * Softmax's float32 backward over rows, y (g - s), within two ulps of the float64 result rounded,
     * except where g - s overflows float (g near float's largest values), which float arithmetic
     * cannot hold: there the float64 result may be finite and the float32 one infinite or NaN.
     */
    private static void assertBackwardWithinTwoUlps(NDArray g, NDArray y, NDArray back64, NDArray back, int axis, String what) {
        float[] gf = g.toFloatArray();
        float[] yf = y.toFloatArray();
        float[] expected = back64.toFloatArray();
        float[] actual = back.toFloatArray();
        int n = g.shape()[axis];
        int inner = SoftmaxKernels.innerSize(g.shape(), axis);
        for (int slice = 0; slice < gf.length / n; slice++) {
            int base = slice / inner * n * inner + slice % inner;
            double s = 0;
            for (int j = 0; j < n; j++) {
                s += (double) gf[base + j * inner] * yf[base + j * inner];
            }
            for (int j = 0; j < n; j++) {
                int i = base + j * inner;
                boolean overflows = Math.abs(gf[i] - s) > 0.99 * Float.MAX_VALUE || Math.abs(s) > 0.99 * Float.MAX_VALUE;
                if (!overflows && MathKernelTest.floatUlps(expected[i], actual[i]) > 2) {
                    throw new AssertionError(what + " at " + i + ": float64 rounded " + expected[i] + ", float32 " + actual[i]);
                }
            }
        }
    }

    @Test
    void theFloatSumIsTheDoubleSumOfTheWidenedElements() {
        // the twin of ReduceKernels.sum(double[]): it drifts, this fails
        for (int n = 0; n < 40; n++) {
            float[] a = values(n + 3, 100 + n);
            double[] w = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                w[i] = a[i];
            }
            assertEquals(Double.doubleToLongBits(ReduceKernels.sum(w, 3, n)), Double.doubleToLongBits(ReduceKernels.sum(a, 3, n)), "n=" + n);
        }
    }
}
