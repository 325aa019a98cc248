/**
 * Numeric kernels on {@link dev.adjoint.core.kernel.NDArray} values: no graphs, no autograd.
 * Elementwise maps and strided zips, reductions, and the matrix multiply ({@link
 * dev.adjoint.core.kernel.Gemm}: direct loops for small products, packed cache-blocked kernels
 * on the Vector API or plain Java for large ones, split over one thread per core). Internal: the
 * API here may change without notice; use {@link dev.adjoint.core.Tensor}.
 */
package dev.adjoint.core.kernel;
