package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both elementwise math kernels against the plain definitions: every length from 0 past a few
 * vectors (so every tail length), offsets, special values (infinities, NaN, signed zeros, values
 * where exp overflows), within a few ulps; relu and its backward bit for bit.
 */
class MathKernelTest {

    static List<MathKernel> kernels() {
        List<MathKernel> kernels = new ArrayList<>();
        kernels.add(new ScalarMathKernel());
        GemmKernel vector = KernelProvider.vectorKernelOrNull();
        if (vector != null) {
            kernels.add(KernelProvider.mathFor(vector));
        }
        return kernels;
    }

    static final double[] SPECIAL = {
        0.0, -0.0, 1e-300, -1e-300, 1.0, -1.0, 20.0, -20.0, 36.5, -36.5, 700.0, -700.0, 710.0, -710.0, 746.0, -746.0,
        Double.MAX_VALUE, -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN};

    /** Random values and the special ones, at an offset of 3 in a longer array. */
    private static double[] input(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] a = new double[n + 5];
        for (int i = 0; i < a.length; i++) {
            a[i] = rng.nextInt(4) == 0 ? SPECIAL[rng.nextInt(SPECIAL.length)] : rng.nextDouble(-30, 30);
        }
        return a;
    }

    private static void assertClose(double expected, double actual, String what) {
        if (Double.isNaN(expected)) {
            assertTrue(Double.isNaN(actual), what + ": expected NaN, got " + actual);
        } else if (Double.isInfinite(expected) || expected == 0) {
            assertEquals(expected, actual, what);
        } else {
            assertEquals(expected, actual, 4 * Math.ulp(expected), what);
        }
    }

    private interface Op {
        void run(MathKernel k, double[] a, int ao, double[] r, int ro, int n);
    }

    private static void checkUnary(MathKernel k, Op op, DoubleUnaryOperator reference, String name) {
        for (int n = 0; n <= 70; n++) {
            double[] a = input(n, n);
            double[] r = new double[n + 4];
            r[0] = 42;
            r[n + 3] = 43;
            op.run(k, a, 3, r, 2, n);
            assertEquals(42, r[0], name + " wrote before its range");
            assertEquals(43, r[n + 3], name + " wrote after its range");
            for (int i = 0; i < n; i++) {
                assertClose(reference.applyAsDouble(a[3 + i]), r[2 + i], k + " " + name + "(" + a[3 + i] + ")");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void expTanhAndSigmoidMatchTheDefinitions(MathKernel k) {
        checkUnary(k, MathKernel::exp, Math::exp, "exp");
        checkUnary(k, MathKernel::tanh, Math::tanh, "tanh");
        checkUnary(k, MathKernel::sigmoid, Elementwise::sigmoid, "sigmoid");
    }

    /** Distance from Math.exp in its ulps (0 when both are the same infinity, zero or NaN). */
    private static double expUlps(double x, double actual) {
        double expected = Math.exp(x);
        if (Double.compare(expected, actual) == 0) {
            return 0;
        }
        if (Double.isNaN(expected) || Double.isInfinite(expected) || Double.isNaN(actual) || Double.isInfinite(actual)) {
            return Double.POSITIVE_INFINITY;
        }
        return Math.abs(actual - expected) / Math.ulp(expected);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void expIsWithinOneUlpOfMathExpFromUnderflowToOverflow(MathKernel k) {
        SplittableRandom rng = new SplittableRandom(20261205L);
        int n = 1 << 17;
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            switch (i % 4) {
                case 0 -> a[i] = rng.nextDouble(-760, 720);
                case 1 -> a[i] = rng.nextDouble(-1, 1);
                case 2 -> a[i] = rng.nextDouble(-1e-6, 1e-6);
                default -> a[i] = Math.scalb(rng.nextDouble(-1, 1), rng.nextInt(-1074, 11));
            }
        }
        double[] edges = {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, 708.0, -708.0, Math.nextUp(708.0), Math.nextDown(-708.0),
            709.782712893384, 709.7827128933841, -745.1332191019411, -745.1332191019412, 710.0, -746.0, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, Double.NaN, Double.MAX_VALUE, -Double.MAX_VALUE, Math.log(2) / 2, -Math.log(2) / 2};
        System.arraycopy(edges, 0, a, 1000, edges.length);
        double[] r = new double[n];
        double[] shifted = new double[n];
        k.exp(a, 0, r, 0, n);
        k.expShifted(a, 0, -0.0, shifted, 0, n);
        for (int i = 0; i < n; i++) {
            String what = k + " exp(" + a[i] + ") = " + r[i] + ", Math.exp: " + Math.exp(a[i]);
            double ulps = expUlps(a[i], r[i]);
            assertTrue(ulps <= 1, what + " (" + ulps + " ulps)");
            assertEquals(Double.doubleToLongBits(r[i]), Double.doubleToLongBits(shifted[i]), what + ": expShifted by -0 differs");
        }
        assertEquals(1.0, r[1000]);
        assertEquals(1.0, r[1001]);
        assertEquals(Double.POSITIVE_INFINITY, r[1014]);
        assertEquals(0.0, r[1015]);
        assertTrue(Double.isNaN(r[1016]));
    }

    /** The distance in doubles between two values (0 for two NaNs; large for NaN against a number). */
    static long doubleUlps(double expected, double actual) {
        if (Double.isNaN(expected) || Double.isNaN(actual)) {
            return Double.isNaN(expected) && Double.isNaN(actual) ? 0 : Long.MAX_VALUE;
        }
        if (expected == actual) {
            return 0; // infinities, and zeros of either sign
        }
        long e = Double.doubleToRawLongBits(expected);
        long a = Double.doubleToRawLongBits(actual);
        e = e < 0 ? -(e & Long.MAX_VALUE) : e;
        a = a < 0 ? -(a & Long.MAX_VALUE) : a;
        return Math.abs(e - a);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void logIsWithinOneUlpOfTheCorrectlyRoundedResultOverEveryExponent(MathKernel k) {
        SplittableRandom rng = new SplittableRandom(20261206L);
        int n = 1 << 18;
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            switch (i % 4) {
                case 0 -> a[i] = Double.longBitsToDouble(rng.nextLong(0, Double.doubleToRawLongBits(Double.POSITIVE_INFINITY)));
                case 1 -> a[i] = rng.nextDouble(0.5, 2);
                case 2 -> a[i] = 1 + rng.nextDouble(-1e-6, 1e-6);
                default -> a[i] = rng.nextDouble(0, 100);
            }
        }
        double[] edges = {0.0, -0.0, Double.MIN_VALUE, Double.MIN_NORMAL, Math.nextDown(Double.MIN_NORMAL), Double.MAX_VALUE, 1.0,
            Math.nextUp(1.0), Math.nextDown(1.0), Math.sqrt(0.5), Math.nextDown(Math.sqrt(0.5)), Math.sqrt(2), 2.0, -1.0,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN};
        System.arraycopy(edges, 0, a, 1000, edges.length);
        double[] r = new double[n];
        k.log(a, 0, r, 0, n);
        long worst = 0;
        for (int i = 0; i < n; i++) {
            long d = doubleUlps(StrictMath.log(a[i]), r[i]);
            if (d > 1) {
                throw new AssertionError(k + " log(" + a[i] + ") = " + r[i] + ", StrictMath.log " + StrictMath.log(a[i]) + ": " + d + " ulps");
            }
            worst = Math.max(worst, d);
        }
        assertEquals(Double.NEGATIVE_INFINITY, r[1000]);
        assertEquals(Double.NEGATIVE_INFINITY, r[1001]);
        assertEquals(0.0, r[1006]);
        assertTrue(Double.isNaN(r[1013]));
        System.out.println(k.description() + ": log worst " + worst + " ulp over " + n + " inputs");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void log1pIsWithinOneUlpOfStrictMath(MathKernel k) {
        // every scale from 1e-300 to 1e300, both sides of 0 down to -1, the edges and specials, at odd offsets
        SplittableRandom rng = new SplittableRandom(77);
        int n = 200_003;
        double[] a = new double[n + 3];
        double[] edges = {0.0, -0.0, -1.0, Math.nextUp(-1.0), -0.5, 1e-300, -1e-300, Double.MIN_VALUE, 0x1p-53, -0x1p-54,
            Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, -2.0, Math.sqrt(2) - 1, Math.sqrt(0.5) - 1};
        for (int i = 0; i < a.length; i++) {
            a[i] = switch (rng.nextInt(5)) {
                case 0 -> edges[rng.nextInt(edges.length)];
                case 1 -> rng.nextDouble(-1, 1);
                case 2 -> rng.nextDouble(-1e-3, 1e-3);
                case 3 -> -rng.nextDouble();
                default -> Math.exp(rng.nextDouble(-690, 690));
            };
        }
        double[] r = new double[n + 1];
        k.log1p(a, 3, r, 1, n);
        double[] inPlace = a.clone();
        k.log1p(inPlace, 3, inPlace, 3, n);
        for (int i = 0; i < n; i++) {
            double x = a[3 + i];
            double expected = StrictMath.log1p(x);
            long e = Double.doubleToRawLongBits(expected);
            long got = Double.doubleToRawLongBits(r[1 + i]);
            // NaN for NaN; otherwise the same sign (so -0 stays -0) and at most one ulp apart
            long d = Double.isNaN(expected) ? (Double.isNaN(r[1 + i]) ? 0 : Long.MAX_VALUE)
                    : (e ^ got) < 0 ? Long.MAX_VALUE : Math.abs(e - got);
            if (d > 1) {
                throw new AssertionError(k + " log1p(" + x + ") = " + r[1 + i] + ", StrictMath " + expected + ": " + d + " ulps");
            }
            assertEquals(Double.doubleToLongBits(r[1 + i]), Double.doubleToLongBits(inPlace[3 + i]), k + " log1p in place (" + x + ")");
        }
        // float32: zeros keep their sign through the vector path (a run of 64 with zeros among others)
        float[] f = new float[64];
        for (int i = 0; i < f.length; i++) {
            f[i] = i % 5 == 0 ? (i % 10 == 0 ? -0f : 0f) : 0.01f * i;
        }
        float[] fr = new float[f.length];
        k.log1p(f, 0, fr, 0, f.length);
        for (int i = 0; i < f.length; i++) {
            if (f[i] == 0) {
                assertEquals(Float.floatToRawIntBits(f[i]), Float.floatToRawIntBits(fr[i]), k + " float log1p(" + f[i] + ")");
            } else {
                assertTrue(floatUlps((float) StrictMath.log1p(f[i]), fr[i]) <= 1, k + " float log1p(" + f[i] + ") = " + fr[i]);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void softplusIsWithinTwoUlpsOfItsDefinition(MathKernel k) {
        SplittableRandom rng = new SplittableRandom(20261207L);
        int n = 1 << 18;
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            switch (i % 4) {
                case 0 -> a[i] = rng.nextDouble(-800, 800);
                case 1 -> a[i] = rng.nextDouble(-40, 40);
                case 2 -> a[i] = rng.nextDouble(-1e-6, 1e-6);
                default -> a[i] = Math.scalb(rng.nextDouble(-1, 1), rng.nextInt(-1074, 11));
            }
        }
        double[] edges = {0.0, -0.0, Double.MIN_VALUE, 708.0, -708.0, Math.nextUp(708.0), -745.5, 37.0, 709.8, Double.MAX_VALUE,
            -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN};
        System.arraycopy(edges, 0, a, 1000, edges.length);
        double[] r = new double[n];
        k.softplus(a, 0, r, 0, n);
        long worst = 0;
        for (int i = 0; i < n; i++) {
            long d = doubleUlps(Elementwise.softplus(a[i]), r[i]);
            if (d > 2) {
                throw new AssertionError(k + " softplus(" + a[i] + ") = " + r[i] + ", definition " + Elementwise.softplus(a[i]) + ": " + d + " ulps");
            }
            worst = Math.max(worst, d);
        }
        assertEquals(Double.POSITIVE_INFINITY, r[1011]);
        assertEquals(0.0, r[1012]);
        assertTrue(Double.isNaN(r[1013]));
        System.out.println(k.description() + ": softplus worst " + worst + " ulps from its definition over " + n + " inputs");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void dotHasTheBitsOfItsSixteenRunningSums(MathKernel k) {
        for (int n = 0; n <= 70; n++) {
            double[] a = input(n, 800 + n);
            double[] b = input(n, 900 + n);
            for (int i = 0; i < a.length; i++) {
                a[i] = Double.isNaN(a[i]) || Double.isInfinite(a[i]) ? 0.5 : a[i] % 1000;
                b[i] = Double.isNaN(b[i]) || Double.isInfinite(b[i]) ? -0.25 : b[i] % 1000;
            }
            double[] s = new double[16];
            for (int i = 0; i < n; i++) {
                s[i % 16] += a[3 + i] * b[1 + i];
            }
            for (int width = 8; width > 0; width /= 2) {
                for (int j = 0; j < width; j++) {
                    s[j] += s[j + width];
                }
            }
            assertEquals(Double.doubleToLongBits(s[0]), Double.doubleToLongBits(k.dot(a, 3, b, 1, n)), k + " dot of " + n);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void expShiftedWritesAndSumsExpOfTheShiftedValues(MathKernel k) {
        for (int n = 0; n <= 70; n++) {
            double[] a = new double[n + 3];
            SplittableRandom rng = new SplittableRandom(n);
            for (int i = 0; i < a.length; i++) {
                a[i] = rng.nextDouble(-10, 10);
            }
            double[] r = new double[n];
            double sum = k.expShifted(a, 3, 4.5, r, 0, n);
            double expected = 0;
            for (int i = 0; i < n; i++) {
                double e = Math.exp(a[3 + i] - 4.5);
                assertClose(e, r[i], "exp shifted");
                expected += e;
            }
            assertEquals(expected, sum, 1e-12 * Math.max(1, expected), "sum of " + n);
        }
    }

    /** The distance in floats between two values (0 for two NaNs; large for NaN against a number). */
    static long floatUlps(float expected, float actual) {
        if (Float.isNaN(expected) || Float.isNaN(actual)) {
            return Float.isNaN(expected) && Float.isNaN(actual) ? 0 : Long.MAX_VALUE;
        }
        int e = Float.floatToRawIntBits(expected);
        int a = Float.floatToRawIntBits(actual);
        long oe = e < 0 ? -(long) (e & Integer.MAX_VALUE) : e;
        long oa = a < 0 ? -(long) (a & Integer.MAX_VALUE) : a;
        return Math.abs(oe - oa);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void floatExpShiftedIsWithinOneUlpOfTheExactDifferencesExpAndSumsWhatItWrote(MathKernel k) {
        // shifts whose differences with the inputs round in float (x - shift is taken exactly, its
        // rounding error carried into the exponential); the sum is the float sum of the results
        float[] shifts = {0f, 4.5f, -3.3f, 20.7f, 86.9f, 1e-3f, 1e7f};
        for (int n = 0; n <= 70; n++) {
            for (float shift : shifts) {
                float[] a = new float[n + 3];
                SplittableRandom rng = new SplittableRandom(n * 7L + Float.floatToIntBits(shift));
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) (shift + rng.nextDouble(-95, 95));
                }
                a[a.length - 1] = rng.nextBoolean() ? Float.NEGATIVE_INFINITY : Float.NaN;
                float[] r = new float[n];
                double sum = k.expShifted(a, 3, shift, r, 0, n);
                for (int i = 0; i < n; i++) {
                    float expected = (float) Math.exp((double) a[3 + i] - shift);
                    long d = floatUlps(expected, r[i]);
                    if (d > 1) {
                        throw new AssertionError(k + " exp(" + a[3 + i] + " - " + shift + ") = " + r[i] + ", expected " + expected
                                + ": " + d + " ulps");
                    }
                }
                assertEquals(Double.doubleToRawLongBits(k.sum(r, 0, n)), Double.doubleToRawLongBits(sum), "sum of " + n);
            }
        }
        // far below the range: +0, as the rounded result; -infinity too; NaN stays NaN
        float[] low = new float[70];
        java.util.Arrays.fill(low, -1000f);
        low[3] = Float.NEGATIVE_INFINITY;
        low[9] = -103.9f; // a subnormal result
        low[40] = Float.NaN;
        float[] r = new float[70];
        k.exp(low, 0, r, 0, 70);
        for (int i = 0; i < 70; i++) {
            assertEquals(Float.floatToRawIntBits((float) Math.exp(low[i])), Float.floatToRawIntBits(r[i]), k + " exp(" + low[i] + ")");
        }
    }

    /** exp(a - b) with a shift per element (softmax's float32 columns): as expShifted's, within one ulp; nothing written outside the run. */
    @ParameterizedTest
    @MethodSource("kernels")
    void floatExpDifferenceIsWithinOneUlpOfTheExactDifferencesExp(MathKernel k) {
        float[] shifts = {0f, 4.5f, -3.3f, 20.7f, 86.9f, 1e-3f, 1e7f};
        for (int n : floatLengths()) {
            SplittableRandom rng = new SplittableRandom(n * 13L + 5);
            float[] a = new float[n + 3];
            float[] b = new float[n + 1];
            // mostly in the polynomial's range (whole vectors on it), a few lanes out of it or NaN
            for (int i = 0; i < b.length; i++) {
                b[i] = i % 97 == 5 ? Float.NaN : shifts[rng.nextInt(shifts.length)];
            }
            for (int i = 0; i < n; i++) {
                a[3 + i] = (float) (b[1 + i] + (i % 89 == 7 ? rng.nextDouble(-95, 95) : rng.nextDouble(-80, 80)));
            }
            if (n > 4) {
                a[3 + n / 2] = rng.nextBoolean() ? Float.NEGATIVE_INFINITY : Float.NaN;
            }
            float[] r = new float[n + 2];
            java.util.Arrays.fill(r, 7f);
            k.expDifference(a, 3, b, 1, r, 1, n);
            assertEquals(7f, r[0], "before the run");
            assertEquals(7f, r[n + 1], "after the run");
            for (int i = 0; i < n; i++) {
                float expected = (float) Math.exp((double) a[3 + i] - b[1 + i]);
                long d = floatUlps(expected, r[1 + i]);
                if (d > 1) {
                    throw new AssertionError(k + " exp(" + a[3 + i] + " - " + b[1 + i] + ") = " + r[1 + i] + ", expected " + expected
                            + ": " + d + " ulps");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void floatMaxSkipsNaNsAndFindsTheLargestValueAnywhereInTheRun(MathKernel k) {
        for (int n = 0; n <= 70; n++) {
            double[] d = input(n, 1600 + n);
            float[] a = new float[d.length];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) d[i];
            }
            float expected = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                expected = a[2 + i] > expected ? a[2 + i] : expected;
            }
            assertEquals(expected, k.max(a, 2, n), 0f, k + " max, n=" + n);
            for (int at = 0; at < n; at++) {
                float[] b = new float[a.length];
                java.util.Arrays.fill(b, -5f);
                b[2 + at] = 1e30f;
                b[0] = Float.MAX_VALUE; // outside the run
                assertEquals(1e30f, k.max(b, 2, n), 0f, k + " max at " + at + ", n=" + n);
            }
        }
        float[] many = new float[40];
        java.util.Arrays.fill(many, Float.NaN);
        assertEquals(Float.NEGATIVE_INFINITY, k.max(many, 0, 40), 0f, "all NaN");
        many[37] = -2;
        assertEquals(-2f, k.max(many, 0, 40), 0f, "NaNs skipped");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void reluGradIsExactForEveryLayoutAndValue(MathKernel k) {
        for (int n = 0; n <= 70; n++) {
            double[] x = input(n, 100 + n);
            double[] g = input(n, 200 + n);
            for (int gs = 0; gs <= 1; gs++) {
                double[] r = new double[n];
                k.reluGrad(g, 2, gs, x, 1, r, 0, n);
                for (int i = 0; i < n; i++) {
                    double expected = x[1 + i] > 0 ? g[2 + i * gs] : 0.0;
                    assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(r[i]),
                            k + " reluGrad(g=" + g[2 + i * gs] + ", x=" + x[1 + i] + ")");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void addToIsExact(MathKernel k) {
        for (int n = 0; n <= 70; n++) {
            double[] a = input(n, 500 + n);
            double[] r = input(n, 600 + n);
            double[] expected = r.clone();
            for (int i = 0; i < n; i++) {
                expected[1 + i] += a[3 + i];
            }
            k.addTo(a, 3, r, 1, n);
            for (int i = 0; i < r.length; i++) {
                assertEquals(Double.doubleToLongBits(expected[i]), Double.doubleToLongBits(r[i]), k + " addTo, n=" + n + ", i=" + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void arithmeticIsOneExactOperationPerElementForBothLayoutsAndDtypes(MathKernel k) {
        Elementwise.Binary[] ops = {Elementwise.Binary.ADD, Elementwise.Binary.SUB, Elementwise.Binary.MUL, Elementwise.Binary.DIV};
        for (Elementwise.Binary op : ops) {
            for (int sb = 0; sb <= 1; sb++) {
                for (int n = 0; n <= 70; n++) {
                    double[] a = input(n, 700 + n);
                    double[] b = input(n, 800 + n);
                    double[] r = input(n, 900 + n);
                    double[] expected = r.clone();
                    for (int i = 0; i < n; i++) {
                        expected[1 + i] = op.apply(a[3 + i], b[2 + i * sb]);
                    }
                    k.arithmetic(op, a, 3, b, 2, sb, r, 1, n);
                    for (int i = 0; i < r.length; i++) {
                        assertEquals(Double.doubleToLongBits(expected[i]), Double.doubleToLongBits(r[i]),
                                k + " " + op + ", sb=" + sb + ", n=" + n + ", i=" + i);
                    }
                    float[] fa = floats(a);
                    float[] fb = floats(b);
                    float[] fr = floats(r);
                    float[] fexpected = fr.clone();
                    for (int i = 0; i < n; i++) {
                        fexpected[1 + i] = (float) op.apply(fa[3 + i], fb[2 + i * sb]);
                    }
                    k.arithmetic(op, fa, 3, fb, 2, sb, fr, 1, n);
                    for (int i = 0; i < fr.length; i++) {
                        assertEquals(Float.floatToIntBits(fexpected[i]), Float.floatToIntBits(fr[i]),
                                k + " float " + op + ", sb=" + sb + ", n=" + n + ", i=" + i);
                    }
                }
            }
        }
        double[] x = new double[4];
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> k.arithmetic(Elementwise.Binary.POW, x, 0, x, 0, 1, x, 0, 4));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void softmaxBackwardLoopsRoundTwiceAsTheirJavaExpressions(MathKernel k) {
        for (int n = 0; n <= 70; n++) {
            double[] y = input(n, 1000 + n);
            double[] g = input(n, 1100 + n);
            double s = n % 3 == 0 ? 0.75 : -1.3e-3 * n;
            double[] r = input(n, 1200 + n);
            double[] expected = r.clone();
            for (int i = 0; i < n; i++) {
                expected[1 + i] = y[2 + i] * (g[3 + i] - s);
            }
            k.mulDifference(y, 2, g, 3, s, r, 1, n);
            for (int i = 0; i < r.length; i++) {
                assertEquals(Double.doubleToLongBits(expected[i]), Double.doubleToLongBits(r[i]), k + " mulDifference, n=" + n + ", i=" + i);
            }
            // in place, as log-softmax's backward runs it
            double[] e = input(n, 1300 + n);
            double[] expectedE = e.clone();
            for (int i = 0; i < n; i++) {
                expectedE[4 + i] = g[3 + i] - e[4 + i] * s;
            }
            k.subtractScaled(g, 3, e, 4, s, e, 4, n);
            for (int i = 0; i < e.length; i++) {
                assertEquals(Double.doubleToLongBits(expectedE[i]), Double.doubleToLongBits(e[i]), k + " subtractScaled, n=" + n + ", i=" + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void maxSkipsNaNsAndFindsTheLargestValueAnywhereInTheRun(MathKernel k) {
        for (int n = 0; n <= 70; n++) {
            double[] a = input(n, 1400 + n);
            double expected = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                expected = a[2 + i] > expected ? a[2 + i] : expected;
            }
            assertEquals(expected, k.max(a, 2, n), 0.0, k + " max, n=" + n);
            // the largest value in each position: lanes, the last turn, the tail
            for (int at = 0; at < n; at++) {
                double[] b = input(n, 1500 + n);
                for (int i = 0; i < b.length; i++) {
                    b[i] = Double.isNaN(b[i]) || b[i] > 1e3 ? -5 : b[i];
                }
                b[2 + at] = 1e300;
                assertEquals(1e300, k.max(b, 2, n), 0.0, k + " max at " + at + ", n=" + n);
            }
        }
        double[] nans = {Double.NaN, Double.NaN, Double.NaN};
        assertEquals(Double.NEGATIVE_INFINITY, k.max(nans, 0, 3), 0.0, "all NaN");
        double[] many = new double[40];
        java.util.Arrays.fill(many, Double.NaN);
        many[37] = -2;
        assertEquals(-2, k.max(many, 0, 40), 0.0, "NaNs skipped");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void addWidenedToAddsEachFloatExactly(MathKernel k) {
        for (int n = 0; n <= 70; n++) {
            float[] a = floats(input(n, 1600 + n));
            double[] r = input(n, 1700 + n);
            double[] expected = r.clone();
            for (int i = 0; i < n; i++) {
                expected[2 + i] += (double) a[1 + i];
            }
            k.addWidenedTo(a, 1, r, 2, n);
            for (int i = 0; i < r.length; i++) {
                assertEquals(Double.doubleToLongBits(expected[i]), Double.doubleToLongBits(r[i]), k + " addWidenedTo, n=" + n + ", i=" + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void floatReluAndItsBackwardAreTheFloat64ResultsRounded(MathKernel k) {
        for (int n = 0; n <= 70; n++) {
            float[] a = floats(input(n, 1800 + n));
            float[] g = floats(input(n, 1900 + n));
            float[] r = floats(input(n, 2000 + n));
            float[] expected = r.clone();
            for (int i = 0; i < n; i++) {
                double x = a[1 + i];
                expected[3 + i] = (float) (x < 0 ? 0.0 : x);
            }
            k.relu(a, 1, r, 3, n);
            for (int i = 0; i < r.length; i++) {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(r[i]), k + " float relu, n=" + n + ", i=" + i);
            }
            for (int gs = 0; gs <= 1; gs++) {
                float[] rg = floats(input(n, 2100 + n));
                float[] expectedG = rg.clone();
                for (int i = 0; i < n; i++) {
                    expectedG[2 + i] = (float) Elementwise.reluGrad(g[4 + i * gs], a[1 + i]);
                }
                k.reluGrad(g, 4, gs, a, 1, rg, 2, n);
                for (int i = 0; i < rg.length; i++) {
                    assertEquals(Float.floatToRawIntBits(expectedG[i]), Float.floatToRawIntBits(rg[i]),
                            k + " float reluGrad, gs=" + gs + ", n=" + n + ", i=" + i);
                }
            }
        }
    }

    private static float[] floats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    /** The sum's definition: sixteen running sums, element i into sum i % 16, combined k + 8, k + 4, k + 2, k + 1. */
    private static double sixteenSums(double[] a, int from, int n) {
        double[] s = new double[16];
        for (int i = 0; i < n; i++) {
            s[i % 16] += a[from + i];
        }
        for (int width = 8; width > 0; width /= 2) {
            for (int j = 0; j < width; j++) {
                s[j] += s[j + width];
            }
        }
        return s[0];
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void sumHasTheBitsOfItsSixteenRunningSums(MathKernel k) {
        SplittableRandom rng = new SplittableRandom(7);
        for (int n : new int[] {0, 1, 15, 16, 17, 63, 64, 65, 70, 127, 1000, 4099}) {
            double[] a = new double[n + 3];
            for (int i = 0; i < a.length; i++) {
                // magnitudes far apart, so that another order of additions shows in the bits
                a[i] = rng.nextDouble(-1, 1) * Math.pow(10, rng.nextInt(-8, 9));
            }
            double expected = sixteenSums(a, 3, n);
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(k.sum(a, 3, n)), k + " sum, n=" + n);
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(ReduceKernels.sum(a, 3, n)), "ReduceKernels.sum, n=" + n);
        }
        assertTrue(Double.isNaN(k.sum(new double[] {1, Double.NaN, 2}, 0, 3)), "NaN");
        assertEquals(Double.doubleToLongBits(0.0), Double.doubleToLongBits(k.sum(new double[] {-0.0, -0.0}, 0, 2)), "-0 + -0 from +0");
    }

    /** Sums of floats: each widened exactly, then the same sixteen running sums, at every length to 70 and past the vector turns' ends. */
    @ParameterizedTest
    @MethodSource("kernels")
    void floatSumHasTheBitsOfItsSixteenRunningSums(MathKernel k) {
        SplittableRandom rng = new SplittableRandom(8);
        for (int n : floatLengths()) {
            float[] f = new float[n + 3];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) (rng.nextDouble(-1, 1) * Math.pow(10, rng.nextInt(-8, 9)));
            }
            double[] wide = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                wide[i] = f[i];
            }
            double expected = sixteenSums(wide, 3, n);
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(k.sum(f, 3, n)), k + " float sum, n=" + n);
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(ReduceKernels.sum(f, 3, n)), "ReduceKernels float sum, n=" + n);
        }
        assertTrue(Double.isNaN(k.sum(new float[] {1, Float.NaN, 2}, 0, 3)), "NaN");
        float[] zeros = new float[40];
        java.util.Arrays.fill(zeros, -0.0f);
        assertEquals(Double.doubleToLongBits(0.0), Double.doubleToLongBits(k.sum(zeros, 0, 40)), "-0 sums from +0");
    }

    private static List<Integer> floatLengths() {
        List<Integer> lengths = new ArrayList<>();
        for (int n = 0; n <= 70; n++) {
            lengths.add(n);
        }
        lengths.addAll(List.of(127, 1000, 4099));
        return lengths;
    }

    /** tanh and sigmoid may write over their input (the float32 loops convert in place): the same bits as into another array, across blocks. */
    @ParameterizedTest
    @MethodSource("kernels")
    void tanhAndSigmoidInPlaceGiveTheSameBits(MathKernel k) {
        for (int n : List.of(0, 1, 5, 63, 64, 70, 511, 512, 513, 1500)) {
            for (Op op : List.<Op>of(MathKernel::tanh, MathKernel::sigmoid)) {
                double[] a = input(n, 1200 + n);
                double[] apart = new double[a.length];
                op.run(k, a, 3, apart, 3, n);
                op.run(k, a, 3, a, 3, n);
                for (int i = 3; i < 3 + n; i++) {
                    assertEquals(Double.doubleToRawLongBits(apart[i]), Double.doubleToRawLongBits(a[i]), k + " in place, n=" + n + ", at " + i);
                }
            }
        }
    }

    /** Dot products of floats: each widened exactly, the products rounded, then the sixteen running sums, at every length to 70 and past. */
    @ParameterizedTest
    @MethodSource("kernels")
    void floatDotHasTheBitsOfTheDotOfWidenedCopies(MathKernel k) {
        SplittableRandom rng = new SplittableRandom(18);
        for (int n : floatLengths()) {
            float[] a = new float[n + 3];
            float[] b = new float[n + 1];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (rng.nextDouble(-1, 1) * Math.pow(10, rng.nextInt(-8, 9)));
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (rng.nextDouble(-1, 1) * Math.pow(10, rng.nextInt(-8, 9)));
            }
            double[] s = new double[16];
            for (int i = 0; i < n; i++) {
                s[i % 16] += (double) a[3 + i] * (double) b[1 + i];
            }
            for (int width = 8; width > 0; width /= 2) {
                for (int j = 0; j < width; j++) {
                    s[j] += s[j + width];
                }
            }
            assertEquals(Double.doubleToLongBits(s[0]), Double.doubleToLongBits(k.dot(a, 3, b, 1, n)), k + " float dot of " + n);
        }
        float[] withNaN = new float[40];
        withNaN[33] = Float.NaN;
        assertTrue(Double.isNaN(k.dot(withNaN, 0, new float[40], 0, 40)), "NaN");
        float[] zeros = new float[40];
        java.util.Arrays.fill(zeros, -0.0f);
        float[] ones = new float[40];
        java.util.Arrays.fill(ones, 1f);
        assertEquals(Double.doubleToLongBits(0.0), Double.doubleToLongBits(k.dot(zeros, 0, ones, 0, 40)), "-0 products sum from +0");
    }

    /**
     * Squared distances: the bits of a difference pass, a square pass and the sum of what they wrote
     * (floats on widened copies), at every length to 70 and past, with NaN, infinities and signed
     * zeros among the values.
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void squaredDistanceHasTheBitsOfADifferencePassASquarePassAndTheirSum(MathKernel k) {
        SplittableRandom rng = new SplittableRandom(23);
        for (int n : floatLengths()) {
            float[] fa = new float[n + 3];
            float[] fb = new float[n + 1];
            for (int i = 0; i < fa.length; i++) {
                fa[i] = (float) (rng.nextDouble(-1, 1) * Math.pow(10, rng.nextInt(-8, 9)));
            }
            for (int i = 0; i < fb.length; i++) {
                fb[i] = i % 9 == 4 ? fa[Math.min(i + 2, fa.length - 1)] : (float) (rng.nextDouble(-1, 1) * Math.pow(10, rng.nextInt(-8, 9)));
            }
            double[] a = new double[fa.length];
            double[] b = new double[fb.length];
            for (int i = 0; i < a.length; i++) {
                a[i] = fa[i] * (1 + 1e-9 * i);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = fb[i];
            }
            double[] wa = new double[n];
            double[] wb = new double[n];
            for (int i = 0; i < n; i++) {
                wa[i] = fa[3 + i];
                wb[i] = fb[1 + i];
            }
            double[] d = new double[n];
            for (int i = 0; i < n; i++) {
                d[i] = (a[3 + i] - b[1 + i]) * (a[3 + i] - b[1 + i]);
            }
            assertEquals(Double.doubleToLongBits(ReduceKernels.sumInLanes(d, 0, n)),
                    Double.doubleToLongBits(k.squaredDistance(a, 3, b, 1, n)), k + " squared distance of " + n);
            for (int i = 0; i < n; i++) {
                d[i] = (wa[i] - wb[i]) * (wa[i] - wb[i]);
            }
            assertEquals(Double.doubleToLongBits(ReduceKernels.sumInLanes(d, 0, n)),
                    Double.doubleToLongBits(k.squaredDistance(fa, 3, fb, 1, n)), k + " float squared distance of " + n);
        }
        float[] inf = new float[40];
        inf[21] = Float.POSITIVE_INFINITY;
        assertEquals(Double.POSITIVE_INFINITY, k.squaredDistance(inf, 0, new float[40], 0, 40), "inf - 0");
        assertTrue(Double.isNaN(k.squaredDistance(inf, 0, inf, 0, 40)), "inf - inf");
        double[] negativeZeros = new double[40];
        java.util.Arrays.fill(negativeZeros, -0.0);
        assertEquals(Double.doubleToLongBits(0.0), Double.doubleToLongBits(k.squaredDistance(negativeZeros, 0, new double[40], 0, 40)),
                "squares of -0 sum from +0");
    }

    /** A squared distance's gradient: (a - b) c, floats on their widened values rounded once; nothing written outside the run. */
    @ParameterizedTest
    @MethodSource("kernels")
    void scaledDifferenceIsItsJavaExpression(MathKernel k) {
        SplittableRandom rng = new SplittableRandom(29);
        double[] special = {Double.NaN, -0.0, 0.0, Double.POSITIVE_INFINITY, 3e38, 1e-45};
        for (int n : floatLengths()) {
            float[] fa = new float[n + 2];
            float[] fb = new float[n + 5];
            double[] a = new double[n + 2];
            double[] b = new double[n + 5];
            for (int i = 0; i < fa.length; i++) {
                fa[i] = i % 11 == 3 ? (float) special[i % special.length] : (float) (rng.nextDouble(-1, 1) * Math.pow(10, rng.nextInt(-8, 9)));
                a[i] = i % 11 == 3 ? special[i % special.length] : rng.nextDouble(-1, 1) * Math.pow(10, rng.nextInt(-8, 9));
            }
            for (int i = 0; i < fb.length; i++) {
                fb[i] = (float) (rng.nextDouble(-1, 1) * Math.pow(10, rng.nextInt(-8, 9)));
                b[i] = rng.nextDouble(-1, 1) * Math.pow(10, rng.nextInt(-8, 9));
            }
            double c = n % 3 == 0 ? 2.0 / 3 : n % 3 == 1 ? -1e-30 : 7e35;
            int m = Math.max(0, n - 2);
            float[] fr = new float[n + 4];
            double[] r = new double[n + 4];
            java.util.Arrays.fill(fr, 7f);
            java.util.Arrays.fill(r, 7);
            k.scaledDifference(c, fa, 2, fb, 5, fr, 1, m);
            k.scaledDifference(c, a, 2, b, 5, r, 1, m);
            for (int i = 0; i < fr.length; i++) {
                boolean inside = i >= 1 && i < 1 + m;
                float fe = inside ? (float) (((double) fa[i + 1] - fb[i + 4]) * c) : 7f;
                double e = inside ? (a[i + 1] - b[i + 4]) * c : 7;
                assertEquals(Float.floatToIntBits(fe), Float.floatToIntBits(fr[i]), k + " float scaled difference of " + n + " at " + i);
                assertEquals(Double.doubleToLongBits(e), Double.doubleToLongBits(r[i]), k + " scaled difference of " + n + " at " + i);
            }
            // float64 in place, r as a and as b at the same offset
            double[] inA = a.clone();
            double[] inB = b.clone();
            k.scaledDifference(c, inA, 2, b, 2, inA, 2, m);
            k.scaledDifference(c, a, 3, inB, 3, inB, 3, Math.max(0, m - 1));
            for (int i = 0; i < m; i++) {
                assertEquals(Double.doubleToLongBits((a[2 + i] - b[2 + i]) * c), Double.doubleToLongBits(inA[2 + i]), k + " in place of a, " + n);
            }
            for (int i = 0; i < m - 1; i++) {
                assertEquals(Double.doubleToLongBits((a[3 + i] - b[3 + i]) * c), Double.doubleToLongBits(inB[3 + i]), k + " in place of b, " + n);
            }
        }
    }

    /** softmax's backward on floats: y ((g - hi) - lo) in float; nothing written outside the run. */
    @ParameterizedTest
    @MethodSource("kernels")
    void floatMulDifferenceIsItsFloatExpressionWithinTwoUlpsOfTheFloat64Result(MathKernel k) {
        SplittableRandom rng = new SplittableRandom(19);
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, Float.MAX_VALUE};
        for (int n : floatLengths()) {
            float[] y = new float[n + 2];
            float[] g = new float[n + 5];
            for (int i = 0; i < y.length; i++) {
                y[i] = rng.nextInt(8) == 0 ? special[rng.nextInt(special.length)] : (float) rng.nextDouble(0, 1);
            }
            for (int i = 0; i < g.length; i++) {
                g[i] = rng.nextInt(8) == 0 ? special[rng.nextInt(special.length)] : (float) rng.nextDouble(-3, 3);
            }
            // s beyond float's range (every fourth length) takes the float64 expression
            boolean big = n % 4 == 3;
            double s = big ? 1e39 * rng.nextDouble(-1, 1) : rng.nextDouble(-1, 1);
            float[] r = new float[n + 9];
            java.util.Arrays.fill(r, 7f);
            k.mulDifference(y, 2, g, 5, s, r, 4, n);
            for (int i = 0; i < r.length; i++) {
                boolean in = i >= 4 && i < 4 + n;
                float hi = (float) s;
                float lo = (float) (s - hi);
                float expected = in ? y[2 + i - 4] * ((g[5 + i - 4] - hi) - lo) : 7f;
                if (in && Float.isInfinite(hi)) {
                    expected = (float) ((double) y[2 + i - 4] * ((double) g[5 + i - 4] - s));
                }
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(r[i]), k + " float mulDifference, n=" + n + ", at " + i);
                // g - s beyond float's range overflows in float arithmetic (the float64 result may be finite)
                if (in && Math.abs((double) g[5 + i - 4] - s) < 0.99 * Float.MAX_VALUE) {
                    float wide = (float) ((double) y[2 + i - 4] * ((double) g[5 + i - 4] - s));
                    assertTrue(floatUlps(wide, r[i]) <= 2, k + " float mulDifference, n=" + n + ", at " + i + ": " + r[i] + " against " + wide);
                }
            }
        }
    }

    /**
     * log-softmax's backward on floats: g - e (float) s in float, e read where it is written;
     * nothing written outside the run; within one and a half ulps of |e s| plus one of the result
     * from the float64 expression, which an s outside float's normal range takes.
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void floatSubtractScaledIsItsFloatExpressionCloseToTheFloat64Result(MathKernel k) {
        SplittableRandom rng = new SplittableRandom(23);
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, Float.MAX_VALUE};
        for (int n : floatLengths()) {
            float[] g = new float[n + 5];
            float[] e = new float[n + 9];
            for (int i = 0; i < g.length; i++) {
                g[i] = rng.nextInt(8) == 0 ? special[rng.nextInt(special.length)] : (float) rng.nextDouble(-3, 3);
            }
            for (int i = 0; i < e.length; i++) {
                e[i] = rng.nextInt(8) == 0 ? special[rng.nextInt(special.length)] : (float) rng.nextDouble(0, 1);
            }
            // s beyond float's range or below its normal range takes the float64 expression; 0 and
            // infinities stay in float
            double[] scales = {1, 1e39, 1e-42, 0, Double.POSITIVE_INFINITY, 1e-30};
            double s = scales[n % scales.length] * rng.nextDouble(-2, 2);
            float[] before = e.clone();
            k.subtractScaled(g, 5, e, 4, s, e, 4, n);
            float hi = (float) s;
            boolean widened = s != 0 && Double.isFinite(s) && (Math.abs(s) < Float.MIN_NORMAL || Float.isInfinite(hi));
            for (int i = 0; i < e.length; i++) {
                boolean in = i >= 4 && i < 4 + n;
                float v = before[i];
                double wide = in ? g[5 + i - 4] - v * s : v;
                float expected = !in ? v : widened ? (float) wide : g[5 + i - 4] - v * hi;
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(e[i]), k + " float subtractScaled, n=" + n + ", s=" + s + ", at " + i);
                if (in && Double.isFinite(wide) && Math.abs(wide) < 0.99 * Float.MAX_VALUE && Math.abs(v * s) < 0.99 * Float.MAX_VALUE) {
                    double bound = 1.5 * Math.ulp((float) Math.abs(v * s)) + Math.ulp((float) Math.abs(wide)) + Float.MIN_VALUE;
                    assertTrue(Math.abs(e[i] - wide) <= bound,
                            k + " float subtractScaled, n=" + n + ", at " + i + ": " + e[i] + " against " + wide);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void reluIsExactWithNaNAndNegativeZeroPassingThrough(MathKernel k) {
        for (int n = 0; n <= 70; n++) {
            double[] x = input(n, 300 + n);
            x[n + 4] = -0.0;
            x[3] = Double.NaN;
            double[] r = new double[n + 3];
            k.relu(x, 3, r, 1, n + 2);
            for (int i = 0; i < n + 2; i++) {
                double v = x[3 + i];
                assertEquals(Double.doubleToRawLongBits(Elementwise.Unary.RELU.apply(v)), Double.doubleToRawLongBits(r[1 + i]),
                        k + " relu(" + v + ")");
            }
        }
    }

    /**
     * The vector kernel gives the same bits compiled as interpreted: a child JVM with {@code -Xint}
     * runs the Vector API's Java fallback, this JVM its compiled code after a warm-up.
     */
    @org.junit.jupiter.api.Test
    void theVectorKernelGivesTheSameBitsInterpretedAndCompiled() throws Exception {
        GemmKernel vector = KernelProvider.vectorKernelOrNull();
        org.junit.jupiter.api.Assumptions.assumeTrue(vector != null, "no Vector API in this JVM");
        MathKernel k = KernelProvider.mathFor(vector);
        String compiled = null;
        for (int i = 0; i < 3000; i++) {
            compiled = MathKernelBits.digest(k);
        }
        ChildJvm.Result child = ChildJvm.run(MathKernelBits.class, false, "-Xint", "--add-modules", "jdk.incubator.vector");
        assertEquals(0, child.exitCode(), "the -Xint child failed");
        assertEquals(compiled, child.output());
    }

    @org.junit.jupiter.api.Test
    void aValueGetsTheSameBitsInAVectorLaneAsInTheTail() {
        GemmKernel vector = KernelProvider.vectorKernelOrNull();
        org.junit.jupiter.api.Assumptions.assumeTrue(vector != null, "no Vector API in this JVM");
        MathKernel k = KernelProvider.mathFor(vector);
        double[] a = MathKernelBits.inputs();
        double[][] all = new double[3][a.length];
        k.exp(a, 0, all[0], 0, a.length);
        k.tanh(a, 0, all[1], 0, a.length);
        k.sigmoid(a, 0, all[2], 0, a.length);
        double[] alone = new double[1];
        float[] f = MathKernelBits.floatInputs();
        float[] fe = new float[f.length];
        k.expShifted(f, 0, 2.5f, fe, 0, f.length);
        float[] fAlone = new float[1];
        double[] softplus = new double[a.length];
        k.softplus(a, 0, softplus, 0, a.length);
        for (int i = 0; i < 80; i++) {
            double[] one = {a[i]};
            k.softplus(one, 0, alone, 0, 1);
            assertEquals(Double.doubleToRawLongBits(alone[0]), Double.doubleToRawLongBits(softplus[i]), "softplus(" + a[i] + ")");
        }
        // log1p on its domain (x > -1), so that most vectors take the vector path
        double[] d1p = new double[a.length];
        float[] f1p = new float[f.length];
        for (int i = 0; i < a.length; i++) {
            d1p[i] = Math.abs(a[i]) - 0.5;
            f1p[i] = Math.abs(f[i]) - 0.5f;
        }
        double[] log1ps = new double[a.length];
        k.log1p(d1p, 0, log1ps, 0, a.length);
        for (int i = 0; i < 80; i++) {
            double[] one = {d1p[i]};
            k.log1p(one, 0, alone, 0, 1);
            assertEquals(Double.doubleToRawLongBits(alone[0]), Double.doubleToRawLongBits(log1ps[i]), "log1p(" + d1p[i] + ")");
        }
        float[] fl1p = new float[f.length];
        k.log1p(f1p, 0, fl1p, 0, f.length);
        for (int i = 0; i < 80; i++) {
            k.log1p(f1p, i, fAlone, 0, 1);
            assertEquals(Float.floatToRawIntBits(fAlone[0]), Float.floatToRawIntBits(fl1p[i]), "float log1p(" + f1p[i] + ")");
        }
        double[] logs = new double[a.length];
        k.log(a, 0, logs, 0, a.length);
        for (int i = 0; i < 80; i++) {
            double[] one = {a[i]};
            k.log(one, 0, alone, 0, 1);
            assertEquals(Double.doubleToRawLongBits(alone[0]), Double.doubleToRawLongBits(logs[i]), "log(" + a[i] + ")");
        }
        float[] fs = new float[f.length];
        k.sigmoid(f, 0, fs, 0, f.length);
        float[] ft = new float[f.length];
        k.tanh(f, 0, ft, 0, f.length);
        float[] fl = new float[f.length];
        k.log(f, 0, fl, 0, f.length);
        float[] fp = new float[f.length];
        k.softplus(f, 0, fp, 0, f.length);
        float[] fe2 = new float[f.length];
        k.erf(f, 0, fe2, 0, f.length);
        float[] fg = new float[f.length];
        k.gelu(f, 0, fg, 0, f.length);
        float[] fgg = new float[f.length];
        k.geluGrad(fe2, 0, f, 0, fgg, 0, f.length);
        float[] fsg = new float[f.length];
        k.siluGrad(fe2, 0, f, 0, fsg, 0, f.length);
        for (int i = 0; i < 80; i++) {
            k.expShifted(f, i, 2.5f, fAlone, 0, 1);
            assertEquals(Float.floatToRawIntBits(fAlone[0]), Float.floatToRawIntBits(fe[i]), "float exp(" + f[i] + " - 2.5)");
            k.sigmoid(f, i, fAlone, 0, 1);
            assertEquals(Float.floatToRawIntBits(fAlone[0]), Float.floatToRawIntBits(fs[i]), "float sigmoid(" + f[i] + ")");
            k.tanh(f, i, fAlone, 0, 1);
            assertEquals(Float.floatToRawIntBits(fAlone[0]), Float.floatToRawIntBits(ft[i]), "float tanh(" + f[i] + ")");
            k.log(f, i, fAlone, 0, 1);
            assertEquals(Float.floatToRawIntBits(fAlone[0]), Float.floatToRawIntBits(fl[i]), "float log(" + f[i] + ")");
            k.softplus(f, i, fAlone, 0, 1);
            assertEquals(Float.floatToRawIntBits(fAlone[0]), Float.floatToRawIntBits(fp[i]), "float softplus(" + f[i] + ")");
            k.erf(f, i, fAlone, 0, 1);
            assertEquals(Float.floatToRawIntBits(fAlone[0]), Float.floatToRawIntBits(fe2[i]), "float erf(" + f[i] + ")");
            k.gelu(f, i, fAlone, 0, 1);
            assertEquals(Float.floatToIntBits(fAlone[0]), Float.floatToIntBits(fg[i]), "float gelu(" + f[i] + ")");
            k.geluGrad(fe2, i, f, i, fAlone, 0, 1);
            assertEquals(Float.floatToIntBits(fAlone[0]), Float.floatToIntBits(fgg[i]), "float geluGrad(" + fe2[i] + ", " + f[i] + ")");
            k.siluGrad(fe2, i, f, i, fAlone, 0, 1);
            assertEquals(Float.floatToIntBits(fAlone[0]), Float.floatToIntBits(fsg[i]), "float siluGrad(" + fe2[i] + ", " + f[i] + ")");
        }
        for (int i = 0; i < 80; i++) {
            double[] one = {a[i]};
            k.exp(one, 0, alone, 0, 1);
            assertEquals(Double.doubleToRawLongBits(alone[0]), Double.doubleToRawLongBits(all[0][i]), "exp(" + a[i] + ")");
            k.tanh(one, 0, alone, 0, 1);
            assertEquals(Double.doubleToRawLongBits(alone[0]), Double.doubleToRawLongBits(all[1][i]), "tanh(" + a[i] + ")");
            k.sigmoid(one, 0, alone, 0, 1);
            assertEquals(Double.doubleToRawLongBits(alone[0]), Double.doubleToRawLongBits(all[2][i]), "sigmoid(" + a[i] + ")");
        }
    }

    @org.junit.jupiter.api.Test
    void theMathKernelFollowsTheMatmulKernel() {
        assertInstanceOf(ScalarMathKernel.class, KernelProvider.mathFor(new ScalarGemmKernel()));
        GemmKernel vector = KernelProvider.vectorKernelOrNull();
        if (vector != null) {
            assertInstanceOf(VectorMathKernel.class, KernelProvider.mathFor(vector));
        }
    }
}
