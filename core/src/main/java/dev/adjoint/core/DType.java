package dev.adjoint.core;

/**
 * The element type of a tensor. {@link #FLOAT64} is the default: gradient checking and scientific
 * work need its precision. {@link #FLOAT32} halves the memory and, on GEMM-bound work, roughly
 * doubles the speed; convert with {@link Tensor#to(DType)}. Ops never mix the two silently: an op on
 * a float32 and a float64 tensor is refused, and a Java {@code double} constant takes the dtype of
 * the tensor it meets (rounded to nearest for float32).
 */
public enum DType {
    /** IEEE 754 binary64, Java's {@code double}. */
    FLOAT64,
    /** IEEE 754 binary32, Java's {@code float}. */
    FLOAT32;

    /**
     * The bytes one element takes.
     *
     * @return 8 or 4
     */
    public int bytes() {
        return this == FLOAT64 ? 8 : 4;
    }

    /** The lower-case name, as PyTorch prints it ({@code float32}). */
    @Override
    public String toString() {
        return this == FLOAT64 ? "float64" : "float32";
    }
}
