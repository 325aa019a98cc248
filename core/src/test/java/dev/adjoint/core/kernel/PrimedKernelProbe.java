package dev.adjoint.core.kernel;

import java.util.Arrays;

/**
 * Run in a fresh JVM by {@link PrimedKernelTest}: the first float64 and float32 products of that
 * JVM, big enough to prime the vector micro-kernels, then a few more.
 */
public final class PrimedKernelProbe {
    private PrimedKernelProbe() {
    }

    /**
     * Multiplies 512 x 512 matrices six times in each dtype on the vector kernels.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        GemmKernel kernel = KernelProvider.vectorKernelOrNull();
        if (kernel == null) {
            System.out.println("NO VECTOR KERNEL");
            return;
        }
        FloatGemmKernel floatKernel = KernelProvider.floatKernelFor(kernel);
        int n = 512;
        double[] a = new double[n * n];
        double[] b = new double[n * n];
        Arrays.fill(a, 0.5);
        Arrays.fill(b, 0.25);
        double[] c = new double[n * n];
        float[] fa = new float[n * n];
        float[] fb = new float[n * n];
        Arrays.fill(fa, 0.5f);
        Arrays.fill(fb, 0.25f);
        float[] fc = new float[n * n];
        for (int i = 0; i < 6; i++) {
            kernel.multiply(new Operand(a, 0, n, false), new Operand(b, 0, n, false), c, 0, n, n, n, n);
            floatKernel.multiply(new FloatOperand(fa, 0, n, false), new FloatOperand(fb, 0, n, false), fc, 0, n, n, n, n);
        }
        System.out.println("PRODUCTS " + c[0] + " " + fc[0]);
    }
}
