package dev.adjoint.core.kernel;

/**
 * How float32 arrays run the float64 loops of {@link Elementwise}, so that each function's formula
 * is written once: a float32 operand is widened (exactly) block by block into per-thread scratch
 * arrays of {@link #BLOCK} doubles, which stay in the L1 cache, the float64 loop runs on the block,
 * and each result is rounded to float once on the way out. The float32 result is therefore the
 * float64 kernel's result on the same (widened) inputs, rounded to nearest: bit for bit, on every
 * layout, and within half an ulp of float of whatever accuracy the float64 loop has. A fix to a
 * float64 loop is a fix to the float32 one.
 *
 * <p>The widening and rounding of long runs go to the {@link MathKernel} ({@code vcvtps2pd} and
 * {@code vcvtpd2ps} on the Vector API: JDK 17's auto-vectorizer does not convert between element
 * sizes), so a float32 run reads and writes half the bytes of a float64 one at the cost of two
 * in-cache conversions.
 */
final class FloatBlocks {
    /** Elements per block: three blocks of doubles take 12 KB, well inside L1. */
    static final int BLOCK = 512;

    private static final ThreadLocal<double[][]> SCRATCH = ThreadLocal.withInitial(() -> new double[3][BLOCK]);

    private FloatBlocks() {
    }

    /** This thread's three scratch blocks (operand a, operand b, result): for one kernel call at a time. */
    static double[][] scratch() {
        return SCRATCH.get();
    }

    private static final ThreadLocal<float[]> FLOAT_SCRATCH = ThreadLocal.withInitial(() -> new float[BLOCK]);

    /** This thread's float block, for the float32-arithmetic loops: a view's block read back to floats. */
    static float[] floatScratch() {
        return FLOAT_SCRATCH.get();
    }

    /** {@code w[i] = a[ao + i sa]} for i in [0, n), exactly. */
    static void widen(float[] a, int ao, int sa, double[] w, int n) {
        if (sa == 1) {
            NDArray.widen(a, ao, w, 0, n);
        } else {
            for (int i = 0; i < n; i++) {
                w[i] = a[ao + i * sa];
            }
        }
    }

    /** {@code r[ro + i] = (float) w[i]} for i in [0, n), rounded to nearest. */
    static void narrow(double[] w, float[] r, int ro, int n) {
        NDArray.narrow(w, 0, r, ro, n);
    }
}
