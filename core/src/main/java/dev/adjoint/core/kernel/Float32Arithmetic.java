package dev.adjoint.core.kernel;

/**
 * The one exception to {@link FloatBlocks}' rule that a float32 result is the float64 result
 * rounded: exp, log, log1p, sigmoid, tanh, softplus, erf, gelu, and gelu's and silu's backward, of at least {@link
 * MathKernel#MIN_LENGTH} floats compute in float32 arithmetic on the math kernel, as PyTorch does
 * (eight lanes on AVX2 where float64 has four, and shorter series), within one ulp (exp, log, log1p, erf),
 * two or (gelu) a few of the correctly rounded result; the two backward formulas, whose sums cancel
 * near their roots, within a bound on their absolute error (Float32ElementwiseTest). ({@link #sqrt} is here too, a float loop, exact.) A view is read block by block, never materialised, and
 * gets its contiguous copy's bits: a value's result does not depend on its place.
 */
final class Float32Arithmetic {
    private Float32Arithmetic() {
    }

    /** A float32 loop from {@code a[ao + i]} to {@code r[ro + i]}, i in [0, n). */
    private interface Loop {
        void run(float[] a, int ao, float[] r, int ro, int n);
    }

    /** Whether {@link #map} computes {@code f}. */
    static boolean covers(Elementwise.Unary f) {
        // every constant named, so that a new function does not compile until it is placed here
        return switch (f) {
            case EXP, LOG, LOG1P, SIGMOID, TANH, SOFTPLUS, ERF -> true;
            case NEG, SQRT, ABS, SIN, COS, RELU, SIGN, INFINITY_TO_ZERO -> false;
        };
    }

    /** {@code f} of every element of a float32 x, f {@link #covers covered}; the result is contiguous. */
    static NDArray map(Elementwise.Unary f, NDArray x) {
        return blockwise(x, (a, ao, r, ro, n) -> {
            MathKernel k = KernelProvider.math();
            switch (f) {
                case EXP -> k.exp(a, ao, r, ro, n);
                case SIGMOID -> k.sigmoid(a, ao, r, ro, n);
                case TANH -> k.tanh(a, ao, r, ro, n);
                case LOG -> k.log(a, ao, r, ro, n);
                case LOG1P -> k.log1p(a, ao, r, ro, n);
                case SOFTPLUS -> k.softplus(a, ao, r, ro, n);
                case ERF -> k.erf(a, ao, r, ro, n);
                default -> throw new IllegalStateException("map: no float32 loop for " + f);
            }
        });
    }

    /**
     * The square root of a float32 x as a float loop, not {@link #covers covered}: exact, the bits of
     * the float64 root rounded (a double has more than 2 * 24 + 2 bits), where the widened blocks
     * cost three passes; C2 gives the loop a vector instruction where the offsets agree (one index;
     * see {@code Elementwise.loop}).
     */
    static NDArray sqrt(NDArray x) {
        return blockwise(x, (a, ao, r, ro, n) -> {
            if (ao == ro) {
                for (int i = ro; i < ro + n; i++) {
                    r[i] = (float) Math.sqrt(a[i]);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    r[ro + i] = (float) Math.sqrt(a[ao + i]);
                }
            }
        });
    }

    /**
     * gelu of a float32 x, {@code x Phi(x)} in float32 arithmetic on the math kernel ({@link
     * VectorFloatGelu}): within a few ulps of the correctly rounded gelu, where the composite {@code
     * x * 0.5 * (1 + erf(x / sqrt 2))} in float32 has no correct digit below about -5.
     */
    static NDArray gelu(NDArray x) {
        return blockwise(x, (a, ao, r, ro, n) -> KernelProvider.math().gelu(a, ao, r, ro, n));
    }

    /** silu of a float32 x in one pass: the float32 sigmoid on the math kernel, times x (one float rounding, as the composite's multiply). */
    static NDArray silu(NDArray x) {
        return blockwise(x, (a, ao, r, ro, n) -> {
            // the float sigmoid takes no scratch of its own
            float[] s = Scratch.floats(Scratch.MATH, Math.min(n, FloatBlocks.BLOCK));
            for (int from = 0; from < n; from += FloatBlocks.BLOCK) {
                int len = Math.min(FloatBlocks.BLOCK, n - from);
                KernelProvider.math().sigmoid(a, ao + from, s, 0, len);
                // the product on the math kernel: C2 does not vectorize a loop whose r may overlap a
                KernelProvider.math().arithmetic(Elementwise.Binary.MUL, a, ao + from, s, 0, 1, r, ro + from, len);
            }
        });
    }

    /** A float32 gradient loop: {@code r[ro + i]} from {@code g[go + i]} and {@code x[xo + i]}, i in [0, n). */
    private interface GradientLoop {
        void run(float[] g, int go, float[] x, int xo, float[] r, int ro, int n);
    }

    /**
     * gelu's backward, {@code g (Phi(x) + x phi(x))}, of float32 g and x of one shape in float32
     * arithmetic on the math kernel, as {@link #gelu}. A view is read block by block and gets its
     * contiguous copy's bits; the result is contiguous.
     */
    static NDArray geluGrad(NDArray g, NDArray x) {
        return gradient(g, x, (ga, go, xa, xo, r, ro, n) -> KernelProvider.math().geluGrad(ga, go, xa, xo, r, ro, n));
    }

    /**
     * silu's backward, {@code g s (1 + x (1 - s))} with {@code s = sigmoid(x)}, of float32 g and x of
     * one shape in float32 arithmetic (the sigmoid as float32's), as {@link #geluGrad}.
     */
    static NDArray siluGrad(NDArray g, NDArray x) {
        return gradient(g, x, (ga, go, xa, xo, r, ro, n) -> KernelProvider.math().siluGrad(ga, go, xa, xo, r, ro, n));
    }

    /** Runs a gradient loop over float32 g and x into a new contiguous array, views block by block. */
    private static NDArray gradient(NDArray g, NDArray x, GradientLoop loop) {
        int n = x.size;
        float[] r = Buffers.uninitializedFloats(n);
        Strided gView = g.isContiguous() ? null : Strided.of(g);
        Strided xView = x.isContiguous() ? null : Strided.of(x);
        int b = FloatBlocks.BLOCK;
        Parallel.forRange(n, b, (start, end) -> {
            if (gView == null && xView == null) {
                loop.run(g.floats, g.offset + start, x.floats, x.offset + start, r, start, end - start);
                return;
            }
            // g's and x's blocks, where they are views
            float[] s = Scratch.floats(Scratch.GELU, 2 * b);
            for (int from = start; from < end; from += b) {
                int len = Math.min(b, end - from);
                if (gView != null) {
                    gView.copy(from, from + len, s, 0);
                }
                if (xView != null) {
                    xView.copy(from, from + len, s, b);
                }
                loop.run(gView == null ? g.floats : s, gView == null ? g.offset + from : 0,
                        xView == null ? x.floats : s, xView == null ? x.offset + from : b, r, from, len);
            }
        });
        return NDArray.wrapLike(r, x);
    }

    /**
     * gelu's backward of fewer than {@link MathKernel#MIN_LENGTH} float32 elements: {@link
     * ErrorFunction#geluGrad} in float64, rounded once (the operands read through contiguous copies).
     */
    static NDArray geluGradRounded(NDArray g, NDArray x) {
        float[] gs = g.toFloatArray();
        float[] xs = x.toFloatArray();
        float[] r = new float[xs.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) ErrorFunction.geluGrad(gs[i], xs[i]);
        }
        return NDArray.wrapLike(r, x);
    }

    /**
     * Runs {@code loop} over a float32 x into a new contiguous float32 array, split over threads at
     * multiples of a block ({@link Parallel}): a contiguous x in place, one call per part; a view
     * copied block by block into scratch ({@link Strided}), one call per block.
     */
    private static NDArray blockwise(NDArray x, Loop loop) {
        float[] r = Buffers.uninitializedFloats(x.size);
        Strided view = x.isContiguous() ? null : Strided.of(x);
        Parallel.forRange(x.size, FloatBlocks.BLOCK, (start, end) -> {
            if (view == null) {
                loop.run(x.floats, x.offset + start, r, start, end - start);
                return;
            }
            float[] block = FloatBlocks.floatScratch();
            for (int from = start; from < end; from += FloatBlocks.BLOCK) {
                int len = Math.min(FloatBlocks.BLOCK, end - from);
                view.copy(from, from + len, block, 0);
                loop.run(block, 0, r, from, len);
            }
        });
        return NDArray.wrapLike(r, x);
    }
}
