package dev.adjoint.core;

import dev.adjoint.core.kernel.NDArray;

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

    /**
     * Copies float32 values into float64, exactly, at vector speed where the Vector API is present:
     * for code that runs one float64 formula over float32 buffers (an optimizer's update rule, say).
     *
     * @param src the float32 values
     * @param srcPos the first one to copy
     * @param dst the float64 destination
     * @param dstPos where the first one goes
     * @param length how many
     * @throws IndexOutOfBoundsException if a range lies outside its array
     */
    public static void widen(float[] src, int srcPos, double[] dst, int dstPos, int length) {
        java.util.Objects.checkFromIndexSize(srcPos, length, src.length);
        java.util.Objects.checkFromIndexSize(dstPos, length, dst.length);
        NDArray.widen(src, srcPos, dst, dstPos, length);
    }

    /**
     * Copies float64 values into float32, each rounded to nearest (as a {@code (float)} cast), at
     * vector speed where the Vector API is present; the inverse of {@link #widen}.
     *
     * @param src the float64 values
     * @param srcPos the first one to copy
     * @param dst the float32 destination
     * @param dstPos where the first one goes
     * @param length how many
     * @throws IndexOutOfBoundsException if a range lies outside its array
     */
    public static void narrow(double[] src, int srcPos, float[] dst, int dstPos, int length) {
        java.util.Objects.checkFromIndexSize(srcPos, length, src.length);
        java.util.Objects.checkFromIndexSize(dstPos, length, dst.length);
        NDArray.narrow(src, srcPos, dst, dstPos, length);
    }

    /** The lower-case name, as PyTorch prints it ({@code float32}). */
    @Override
    public String toString() {
        return this == FLOAT64 ? "float64" : "float32";
    }
}
