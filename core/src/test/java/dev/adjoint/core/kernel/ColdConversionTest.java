package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The vector kernel's float32 conversions give the scalar cast's bits on long runs, whether they
 * take the cold path (chunks mostly on the scalar loop until the vector loop runs compiled) or
 * the vector loop throughout: every length around the chunk size, offsets, special values.
 */
class ColdConversionTest {

    @Test
    void longConversionsGiveTheCastsBitsColdAndWarm() {
        GemmKernel vector = KernelProvider.vectorKernelOrNull();
        if (vector == null) {
            return; // no Vector API in this JVM: the scalar kernel has no cold path
        }
        MathKernel k = KernelProvider.mathFor(vector);
        SplittableRandom rng = new SplittableRandom(20261205L);
        double[] special = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-320, 3.4028235677973366e38,
            Double.MAX_VALUE, 1 + 0x1p-24, 1 + 0x1p-23 + 0x1p-24};
        // cold throughout, cold for one chunk and then the vector loop, the real verdict; then warm
        long[] verdicts = {-1, Long.MAX_VALUE, 150, 150};
        for (int pass = 0; pass < verdicts.length; pass++) {
            if (pass < 3) {
                VectorConversions.forgetCompiledConversions(verdicts[pass]);
            }
            for (int n : new int[] {4095, 4096, 4097, 4112, 9000, 20_000, 100_003}) {
                double[] a = new double[n + 3];
                for (int i = 0; i < a.length; i++) {
                    a[i] = rng.nextInt(20) == 0 ? special[rng.nextInt(special.length)] : rng.nextGaussian() * Math.pow(2, rng.nextInt(-60, 60));
                }
                float[] narrowed = new float[n + 5];
                k.narrow(a, 3, narrowed, 2, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits((float) a[3 + i]), Float.floatToRawIntBits(narrowed[2 + i]),
                            "narrow, n=" + n + ", i=" + i + ", pass " + pass);
                }
                double[] widened = new double[n + 1];
                k.widen(narrowed, 2, widened, 1, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(Double.doubleToRawLongBits(narrowed[2 + i]), Double.doubleToRawLongBits(widened[1 + i]),
                            "widen, n=" + n + ", i=" + i + ", pass " + pass);
                }
                assertEquals(0f, narrowed[0]);
                assertEquals(0f, narrowed[n + 4]);
                assertEquals(0.0, widened[0]);
            }
        }
        VectorConversions.forgetCompiledConversions(150);
    }
}
