package dev.adjoint.core.kernel;

import java.util.Arrays;

/**
 * Run in a fresh JVM by {@link PrimedKernelTest}: the first float64 and float32 products of that
 * JVM, big enough to prime the vector micro-kernels, then a few more, some with a transposed B of
 * a partial last panel (what a backward pass multiplies).
 */
public final class PrimedKernelProbe {
    private PrimedKernelProbe() {
    }

    /**
     * Multiplies 512 x 512 matrices in each dtype on the vector kernels, six times plain and three
     * times by a transposed B of 500 columns, then 64 x 256 by 256 x 10 two hundred times.
     *
     * @param args unused; {@code -Dtiles=6} runs the kernels with six-row tiles (AVX2's) on any CPU,
     *     {@code -DsmallBlocks=N} runs N one-tile blocks, too small to prime, first
     */
    public static void main(String[] args) {
        if (KernelProvider.vectorKernelOrNull() == null) {
            System.out.println("NO VECTOR KERNEL");
            return;
        }
        boolean six = "6".equals(System.getProperty("tiles"));
        GemmKernel kernel = six ? new VectorGemmKernel(VectorGemmKernel.MR_NARROW) : new VectorGemmKernel();
        FloatGemmKernel floatKernel = six ? new FloatVectorGemmKernel(FloatVectorGemmKernel.MR_NARROW) : new FloatVectorGemmKernel();
        int n = 512;
        int partial = 500;
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
        // one-tile blocks (8 x 16, 256 deep) too small to prime, each 256 steps of the micro-kernel
        for (int i = 0; i < Integer.getInteger("smallBlocks", 0); i++) {
            kernel.multiply(new Operand(a, 0, 256, false), new Operand(b, 0, 16, false), c, 0, 16, 8, 16, 256);
            floatKernel.multiply(new FloatOperand(fa, 0, 256, false), new FloatOperand(fb, 0, 16, false), fc, 0, 16, 8, 16, 256);
        }
        for (int i = 0; i < 9; i++) {
            boolean transposed = i >= 6;
            int columns = transposed ? partial : n;
            kernel.multiply(new Operand(a, 0, n, false), new Operand(b, 0, n, transposed), c, 0, columns, n, columns, n);
            floatKernel.multiply(new FloatOperand(fa, 0, n, false), new FloatOperand(fb, 0, n, transposed), fc, 0, columns, n,
                    columns, n);
        }
        // products of few columns, as a network's last layer: the six-row tile reads A in place there
        for (int i = 0; i < 200; i++) {
            kernel.multiply(new Operand(a, 0, 256, false), new Operand(b, 0, 10, false), c, 0, 10, 64, 10, 256);
            floatKernel.multiply(new FloatOperand(fa, 0, 256, false), new FloatOperand(fb, 0, 10, false), fc, 0, 10, 64, 10, 256);
        }
        System.out.println("PRODUCTS " + c[0] + " " + fc[0]);
    }
}
