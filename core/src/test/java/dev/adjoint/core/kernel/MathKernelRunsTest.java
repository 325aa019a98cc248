package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link MathKernel#copyRuns} and {@link MathKernel#addRuns} against their written-out loops, bit
 * for bit, in both kernels and dtypes: runs shorter than a vector, of exactly one, between one and
 * two (where the last vector overlaps the first), up to four (four vectors, those past the run's end
 * moved back onto its last) and longer, with the elements between runs and around them left as they
 * were.
 */
class MathKernelRunsTest {
    private static final double[] SPECIAL = {0.0, -0.0, 1.0, -1.0, Double.MAX_VALUE, -Double.MAX_VALUE,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 1e-310};

    static List<MathKernel> kernels() {
        return MathKernelTest.kernels();
    }

    private static double[] values(int length, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] a = new double[length];
        for (int i = 0; i < length; i++) {
            a[i] = rng.nextInt(5) == 0 ? SPECIAL[rng.nextInt(SPECIAL.length)] : rng.nextDouble(-30, 30);
        }
        return a;
    }

    private static float[] floats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void copyRunsAndAddRunsGiveTheBitsOfTheirLoops(MathKernel k) {
        // past five vectors of the widest float shape (AVX-512: 16 lanes): runs of one, two and four
        // vectors and the loop above them, in both dtypes, on any CPU
        for (int n = 0; n <= 82; n++) {
            for (int runs = 0; runs <= 3; runs++) {
                int as = n + 3;
                int rs = n + 5;
                int ao = 2;
                int ro = 1;
                int length = 7 + runs * (n + 5);
                double[] a = values(length, 31L * n + runs);
                double[] r = values(length, 17L * n + runs + 1000);
                double[] copied = r.clone();
                double[] added = r.clone();
                double[] copyExpected = r.clone();
                double[] addExpected = r.clone();
                for (int i = 0; i < runs; i++) {
                    for (int j = 0; j < n; j++) {
                        copyExpected[ro + i * rs + j] = a[ao + i * as + j];
                        addExpected[ro + i * rs + j] += a[ao + i * as + j];
                    }
                }
                k.copyRuns(a, ao, as, copied, ro, rs, runs, n);
                k.addRuns(a, ao, as, added, ro, rs, runs, n);
                String what = k + ", n=" + n + ", runs=" + runs;
                for (int i = 0; i < length; i++) {
                    assertEquals(Double.doubleToRawLongBits(copyExpected[i]), Double.doubleToRawLongBits(copied[i]), what + ": copyRuns at " + i);
                    assertEquals(Double.doubleToLongBits(addExpected[i]), Double.doubleToLongBits(added[i]), what + ": addRuns at " + i);
                }

                float[] fa = floats(a);
                float[] fr = floats(r);
                float[] fCopied = fr.clone();
                float[] fAdded = fr.clone();
                float[] fCopyExpected = fr.clone();
                float[] fAddExpected = fr.clone();
                for (int i = 0; i < runs; i++) {
                    for (int j = 0; j < n; j++) {
                        fCopyExpected[ro + i * rs + j] = fa[ao + i * as + j];
                        fAddExpected[ro + i * rs + j] += fa[ao + i * as + j];
                    }
                }
                k.copyRuns(fa, ao, as, fCopied, ro, rs, runs, n);
                k.addRuns(fa, ao, as, fAdded, ro, rs, runs, n);
                for (int i = 0; i < length; i++) {
                    assertEquals(Float.floatToRawIntBits(fCopyExpected[i]), Float.floatToRawIntBits(fCopied[i]), what + ": float copyRuns at " + i);
                    assertEquals(Float.floatToIntBits(fAddExpected[i]), Float.floatToIntBits(fAdded[i]), what + ": float addRuns at " + i);
                }
            }
        }
    }
}
