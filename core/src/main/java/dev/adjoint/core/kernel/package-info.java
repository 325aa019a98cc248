/**
 * Numeric kernels: n-dimensional arrays of doubles or floats ({@code NDArray}: row-major with
 * strides, so that transposes and broadcasts are views; {@code Strided} reads a view as runs of
 * merged axes: row copies, fills, tiles) and the loops over them. Shape arithmetic
 * ({@code Shapes}); elementwise functions over any strides ({@code Elementwise}, with exp, log,
 * log1p, tanh, sigmoid, softplus, erf, relu's and gelu's backward and the selections (comparisons,
 * sign, leaky relu, clamp, where: {@code Selection}) on SIMD through {@code MathKernel};
 * the polynomials' scalar twins, which the scalar kernel may share, in {@code ExpSeries} and
 * {@code ErrorFunction}, free of the Vector API); sums along axes ({@code ReduceKernels}), extremes,
 * cumulative sums and index kernels along one axis ({@code AxisKernels}), softmax
 * ({@code SoftmaxKernels}), softmax cross-entropy ({@code CrossEntropyKernels}) and layer
 * normalization ({@code NormKernels}), a row at a time; copies along an axis ({@code Slabs});
 * the matrix multiply ({@code Gemm}: direct loops for small products, packed cache-blocked kernels on
 * the Vector API or in plain Java for large ones, split over one thread per core or
 * {@code -Dadjoint.threads}, with the same bits for any thread count); the split of long
 * elementwise and reduction loops over the same threads ({@code Parallel}, the same bits too);
 * output arrays ({@code Buffers}).
 *
 * <p>float32 has one source of truth per kernel family: the matrix multiply and convolution loops
 * ({@code Float*} classes) are generated from the float64 ones by {@code FloatSources} in the test
 * tree, which a test holds them to; elementwise loops and reductions run their one float64 loop on
 * blocks widened from float32 and round once ({@code FloatBlocks}), so a float32 result is the
 * float64 one rounded; selections and copies (indexSelect, gather, concat, pad, where, the
 * comparisons, clamp, leaky relu, maximum, minimum, abs, negation) and the extremes along an axis
 * run on the floats, exactly, and indexAdd, scatterAdd, cumsum and the squared difference read the
 * floats but sum in float64 and round once ({@code SelectionsAndCopiesTest},
 * {@code AxisKernelsOnFloatsTest}); any other kernel widens its
 * whole operands and rounds its result ({@code Widening}). The exception, for speed (eight lanes on AVX2 where float64 has four, and
 * shorter series, as PyTorch computes them): exp, log, log1p, sigmoid, tanh, softplus, erf, gelu, gelu's
 * backward, softmax (rows, and columns 64 or more apart: {@code SoftmaxColumns}) and softmax cross-entropy in float32 arithmetic ({@code Float32Arithmetic} on {@code
 * VectorFloatExp}, {@code VectorFloatLog}, {@code VectorFloatErf}, {@code VectorFloatGelu}), hand-written twins of the float64 polynomials that
 * Float32ElementwiseTest, Float32SoftmaxRowsTest and MathKernelTest hold to their ulp bounds
 * against the correctly rounded functions. Mixed dtypes never reach a kernel from the API (ops
 * refuse them).
 * Internal: the API here may change without notice; use {@link dev.adjoint.core.Tensor}.
 */
package dev.adjoint.core.kernel;
