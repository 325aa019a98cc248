package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The vector kernel's float32 conversions give the scalar casts' bits on long runs on every path:
 * the scalar loop throughout (the vector loop never judged compiled), the vector loop taking over
 * after one or more chunks, and the timed verdict; every length around the chunk size, offsets,
 * special values, and nothing written outside the run.
 */
class ColdConversionTest {
    private static final double[] SPECIAL = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-320,
        3.4028235677973366e38, Double.MAX_VALUE, 1 + 0x1p-24, 1 + 0x1p-23 + 0x1p-24};

    @Test
    void longConversionsGiveTheCastsBitsOnEveryPath() {
        GemmKernel vector = KernelProvider.vectorKernelOrNull();
        assumeTrue(vector != null, "no Vector API in this JVM: the scalar kernel converts with plain loops only");
        MathKernel k = KernelProvider.mathFor(vector);
        SplittableRandom rng = new SplittableRandom(20261205L);
        int chunk = VectorConversions.CHUNK;
        int[] lengths = {1, 7, 8, 9, 13, 16, 17, chunk - 1, chunk, chunk + 1, chunk + 15, chunk + 16, 2 * chunk + 7, 3 * chunk, 20_000, 100_003};
        // handover: never, after the first chunk, after the third, and the real timed verdict (-1)
        int[] handovers = {Integer.MAX_VALUE, 0, 2, -1};
        try {
            for (int handover : handovers) {
                for (int n : lengths) {
                    VectorConversions.testHandover = handover;
                    VectorConversions.testScalarRuns = 0;
                    double[] a = new double[n + 3];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = rng.nextInt(20) == 0 ? SPECIAL[rng.nextInt(SPECIAL.length)]
                                : rng.nextGaussian() * Math.pow(2, rng.nextInt(-60, 60));
                    }
                    float[] narrowed = new float[n + 5];
                    k.narrow(a, 3, narrowed, 2, n);
                    double[] widened = new double[n + 3];
                    k.widen(narrowed, 2, widened, 1, n);
                    String what = "n=" + n + ", handover " + handover;
                    for (int i = 0; i < n; i++) {
                        int at = i;
                        // raw bits: a NaN's payload included, which assertEquals on floats would not compare
                        assertEquals(Float.floatToRawIntBits((float) a[3 + i]), Float.floatToRawIntBits(narrowed[2 + i]),
                                () -> what + ": narrow at " + at + ": " + narrowed[2 + at] + " instead of " + (float) a[3 + at]);
                        assertEquals(Double.doubleToRawLongBits(narrowed[2 + i]), Double.doubleToRawLongBits(widened[1 + i]),
                                () -> what + ": widen at " + at + ": " + widened[1 + at] + " instead of " + narrowed[2 + at]);
                    }
                    assertTrue(narrowed[0] == 0 && narrowed[1] == 0 && narrowed[n + 2] == 0 && narrowed[n + 3] == 0 && narrowed[n + 4] == 0,
                            what + ": narrow wrote outside the run");
                    assertTrue(widened[0] == 0 && widened[n + 1] == 0 && widened[n + 2] == 0, what + ": widen wrote outside the run");
                    if (handover >= 0) {
                        // long runs finish each chunk before the handover, and their tail when none comes, on the scalar loop
                        int chunks = n > chunk ? Math.min(handover, (n - 1) / chunk) : 0;
                        int tail = n > chunk && handover >= (n - 1) / chunk ? 1 : 0;
                        assertEquals(2 * (chunks + tail), VectorConversions.testScalarRuns, what + ": scalar runs of both conversions");
                    }
                }
            }
        } finally {
            VectorConversions.testHandover = -1;
        }
    }
}
