/**
 * The built-in ops, one small file per family, each a {@link dev.adjoint.core.CustomOp} with its
 * forward next to its backward and the derivative in a comment. The primitives are: add, sub, mul,
 * div, neg and the constant-scalar forms ({@code Arithmetic}); exp, log, log1p, sqrt, pow
 * ({@code Exponentials}); sin, cos, tanh ({@code Trigonometry}); sigmoid, softplus, relu, abs
 * ({@code Activations}); reshape, transpose, expand, sumTo ({@code ShapeOps}); max
 * ({@code Reductions}); matmul ({@code MatMul}); narrow, pad, concat ({@code Indexing}). The fused
 * sigmoid/tanh/relu backward ops are primitives for speed, each with its own derivative so higher
 * orders stay exact. Everything else (mean, logSumExp, softmax, logSoftmax, select, clamp,
 * broadcasting, batched and vector matmul) is a composite of these.
 */
package dev.adjoint.core.ops;
