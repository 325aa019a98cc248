package dev.adjoint.core.kernel;

/**
 * A single-threaded matrix multiply for blocks big enough to be worth packing:
 * {@code C[m x n] = A[m x k] B[k x n]}, overwriting C, whose rows are {@code ldc} apart.
 * {@link ParallelGemm} splits a product into such blocks; {@link KernelProvider} picks the
 * implementation.
 */
interface GemmKernel {

    /** A short description for the log line, e.g. {@code "vector (DoubleVector 512-bit, 8x16 tile)"}. */
    String description();

    /** Overwrites the m x n block of {@code c} at {@code cOff} with {@code a b}; m, n, k are positive. */
    void multiply(Operand a, Operand b, double[] c, int cOff, int ldc, int m, int n, int k);
}
