/**
 * Numeric kernels on {@link dev.adjoint.core.kernel.NDArray} values: no graphs, no autograd.
 * Elementwise maps and strided zips, reductions, and the matrix multiply. Internal: the API here
 * may change without notice; use {@link dev.adjoint.core.Tensor}.
 */
package dev.adjoint.core.kernel;
