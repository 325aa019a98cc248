/**
 * Numeric kernels: n-dimensional arrays of doubles ({@code NDArray}: row-major with strides, so
 * that transposes and broadcasts are views) and the loops over them. Shape arithmetic
 * ({@code Shapes}); elementwise functions over any strides ({@code Elementwise}, with exp, tanh,
 * sigmoid and relu's backward on SIMD through {@code MathKernel}); sums, maxima and softmax along
 * axes ({@code ReduceKernels}); copies along an axis ({@code Slabs}); the matrix multiply
 * ({@code Gemm}: direct loops for small products, packed cache-blocked kernels on the Vector API or
 * in plain Java for large ones, split over one thread per core or {@code -Dadjoint.threads}, with
 * the same bits for any thread count); output arrays ({@code Buffers}).
 * Internal: the API here may change without notice; use {@link dev.adjoint.core.Tensor}.
 */
package dev.adjoint.core.kernel;
