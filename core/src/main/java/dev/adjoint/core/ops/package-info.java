/**
 * The built-in ops (internal: not exported by the module). One small file per family
 * ({@code Arithmetic}, {@code Exponentials}, {@code Trigonometry}, {@code Activations},
 * {@code Comparison}, {@code ShapeOps}, {@code Indexing}, {@code Gathering}, {@code Reductions},
 * {@code Extremes}, {@code Statistics}, {@code MatMul}, {@code Convolution}, {@code Pooling},
 * {@code CrossEntropy}, {@code Normalization}, {@code BatchNormalization}); each
 * family's public static functions check their arguments and are what
 * {@link dev.adjoint.core.Tensor} delegates to. A primitive is a subclass of {@code Primitive}: a
 * {@link dev.adjoint.core.CustomOp} like any user's, its forward next to its backward with the
 * derivative in a comment, its backward written with tensor ops so that it is differentiable
 * again, and its tangent rule (forward mode) next to them, also written with tensor ops and able
 * to carry a batch of tangents ({@code Tangents}). A primitive earns its place by numerical
 * stability or speed (matmul, affine, conv2d with its gradients {@code conv2dBackwardInput} and
 * {@code conv2dBackwardWeight}, max and average pooling with their backward ops
 * {@code maxPool2dBackward} and {@code avgPool2dBackward} and max pooling's gather
 * {@code maxPool2dGather}, the fused softmax and the fused activation backward ops, named
 * {@code sigmoidBackward} and so on, softmax cross-entropy with its gradient op
 * {@code softmaxCrossEntropyBackward}, layer normalization ({@code layerNorm}) with its gradient op
 * {@code layerNormBackward}, batch normalization's ({@code batchNorm}, with its weight and bias, its parameters' sums {@code batchNormSums}, evaluation mode's {@code batchNormScale}, and the normalization alone with {@code batchNormBackward} for the recorded formulas), and {@code scaledProduct}, the tangent of a power in one
 * dispatch; gelu, one pass instead of five), or by exactness (clamp and leakyRelu, which shifted
 * relus round; silu and gelu, whose backwards are PyTorch's formulas; std and norm, whose gradient at 0 would be 0/0 as composites), or by being
 * a function of its own (erf, maximum, where, pow with a tensor exponent); the index ops (gather
 * and its adjoint scatter, indexSelect and its adjoint indexAdd) and cumsum are primitives in
 * pairs, each the other's backward. Convolution and pooling have tangent rules of their own too,
 * each the op itself applied to the tangents (they are linear, or bilinear, once max pooling's
 * positions are fixed); a batch of tangents is folded into the image axis where the op treats
 * each image on its own, becomes more output channels for conv2d's weight, and is taken one
 * direction at a time otherwise (the weight gradient, the input gradient's weight). Everything
 * else (mean, logSumExp, var, prod, select, stack, unsqueeze, broadcasting, batched matmul)
 * is a composite of primitives.
 */
package dev.adjoint.core.ops;
