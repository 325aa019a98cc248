/**
 * The built-in ops, one small file per family, each a {@link dev.adjoint.core.CustomOp} with its
 * forward next to its backward and the derivative in a comment. The primitives are: add, sub, mul,
 * div, neg ({@code Arithmetic}); exp, log, sqrt, pow ({@code Exponentials}); sin, cos, tanh
 * ({@code Trigonometry}); sigmoid, relu, abs ({@code Activations}); reshape, transpose, expand,
 * sumTo ({@code ShapeOps}); max ({@code Reductions}); matmul ({@code MatMul}). Everything else
 * (mean, logSumExp, softmax, logSoftmax, broadcasting, batched and vector matmul) is a composite of
 * these.
 */
package dev.adjoint.core.ops;
