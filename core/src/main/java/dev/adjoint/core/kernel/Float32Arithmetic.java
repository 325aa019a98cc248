package dev.adjoint.core.kernel;

/**
 * The one exception to {@link FloatBlocks}' rule that a float32 result is the float64 result
 * rounded: exp, log, sigmoid, tanh, softplus and erf (and so gelu and its backward) of at least {@link
 * MathKernel#MIN_LENGTH} floats compute in float32 arithmetic on the math kernel, as PyTorch does
 * (eight lanes on AVX2 where float64 has four, and shorter series), within one ulp (exp, log, erf)
 * or two of the correctly rounded result. A view is read block by block, never materialised, and
 * gets its contiguous copy's bits: a value's result does not depend on its place.
 */
final class Float32Arithmetic {
    private Float32Arithmetic() {
    }

    private static final float SQRT_HALF = (float) Math.sqrt(0.5);

    /** A float32 loop from {@code a[ao + i]} to {@code r[ro + i]}, i in [0, n); n at most a block where {@link #blockwise} is asked for blocks. */
    private interface Loop {
        void run(float[] a, int ao, float[] r, int ro, int n);
    }

    /** Whether {@link #map} computes {@code f}. */
    static boolean covers(Elementwise.Unary f) {
        // every constant named, so that a new function does not compile until it is placed here
        return switch (f) {
            case EXP, LOG, SIGMOID, TANH, SOFTPLUS, ERF -> true;
            case NEG, SQRT, ABS, SIN, COS, RELU, SIGN, LOG1P, INFINITY_TO_ZERO -> false;
        };
    }

    /** {@code f} of every element of a float32 x, f {@link #covers covered}; the result is contiguous. */
    static NDArray map(Elementwise.Unary f, NDArray x) {
        return blockwise(x, false, (a, ao, r, ro, n) -> {
            MathKernel k = KernelProvider.math();
            switch (f) {
                case EXP -> k.exp(a, ao, r, ro, n);
                case SIGMOID -> k.sigmoid(a, ao, r, ro, n);
                case TANH -> k.tanh(a, ao, r, ro, n);
                case LOG -> k.log(a, ao, r, ro, n);
                case SOFTPLUS -> k.softplus(a, ao, r, ro, n);
                case ERF -> k.erf(a, ao, r, ro, n);
                default -> throw new IllegalStateException("map: no float32 loop for " + f);
            }
        });
    }

    /**
     * {@link Elementwise#gelu} of a float32 x: {@code x * 0.5 * (1 + erf(x * (1 / sqrt 2)))}, each
     * operation in float32 arithmetic, as the four float32 operations and erf one by one would give.
     */
    static NDArray gelu(NDArray x) {
        // block by block: erf's values go through a block of scratch
        return blockwise(x, true, (a, ao, r, ro, n) -> {
            float[] t = FloatBlocks.floatScratch()[1];
            for (int i = 0; i < n; i++) {
                t[i] = a[ao + i] * SQRT_HALF;
            }
            KernelProvider.math().erf(t, 0, t, 0, n);
            for (int i = 0; i < n; i++) {
                r[ro + i] = a[ao + i] * 0.5f * (1f + t[i]);
            }
        });
    }

    private static final float INVERSE_SQRT_TWO_PI = (float) Elementwise.INVERSE_SQRT_TWO_PI;

    /**
     * gelu's backward, {@link Elementwise#geluGrad}, of float32 g and x of one shape: {@code g (0.5 (1 +
     * erf(x / sqrt 2)) + x e^(-x^2 / 2) / sqrt(2 pi))} with each operation in float32 arithmetic
     * (erf and the exponential on the math kernel, within one ulp), as the forward's float32 path.
     * A view is read block by block and gets its contiguous copy's bits; the result is contiguous.
     */
    static NDArray geluGrad(NDArray g, NDArray x) {
        int n = x.size;
        float[] r = Buffers.uninitializedFloats(n);
        Strided gView = g.isContiguous() ? null : Strided.of(g);
        Strided xView = x.isContiguous() ? null : Strided.of(x);
        int b = FloatBlocks.BLOCK;
        Parallel.forRange(n, b, (start, end) -> {
            // four blocks: g's and x's when they are views, erf's and the exponential's values
            float[] s = Scratch.floats(Scratch.GELU, 4 * b);
            MathKernel k = KernelProvider.math();
            for (int from = start; from < end; from += b) {
                int len = Math.min(b, end - from);
                float[] ga = gView == null ? g.floats : s;
                int go = gView == null ? g.offset + from : 0;
                if (gView != null) {
                    gView.copy(from, from + len, s, 0);
                }
                float[] xa = xView == null ? x.floats : s;
                int xo = xView == null ? x.offset + from : b;
                if (xView != null) {
                    xView.copy(from, from + len, s, b);
                }
                for (int i = 0; i < len; i++) {
                    float v = xa[xo + i];
                    s[2 * b + i] = v * SQRT_HALF;
                    s[3 * b + i] = -0.5f * v * v;
                }
                k.erf(s, 2 * b, s, 2 * b, len);
                k.exp(s, 3 * b, s, 3 * b, len);
                for (int i = 0; i < len; i++) {
                    float v = xa[xo + i];
                    float cdf = 0.5f * (1f + s[2 * b + i]);
                    float pdf = s[3 * b + i] * INVERSE_SQRT_TWO_PI;
                    r[from + i] = ga[go + i] * (cdf + v * pdf);
                }
            }
        });
        return NDArray.wrapLike(r, x);
    }

    /**
     * Runs {@code loop} over a float32 x into a new contiguous float32 array, split over threads at
     * multiples of a block ({@link Parallel}): a contiguous x in place, one call per thread (per
     * block with {@code blocks}); a view copied block by block into scratch ({@link Strided}), one
     * call per block.
     */
    private static NDArray blockwise(NDArray x, boolean blocks, Loop loop) {
        float[] r = Buffers.uninitializedFloats(x.size);
        Strided view = x.isContiguous() ? null : Strided.of(x);
        Parallel.forRange(x.size, FloatBlocks.BLOCK, (start, end) -> {
            if (view == null && !blocks) {
                loop.run(x.floats, x.offset + start, r, start, end - start);
                return;
            }
            float[] block = FloatBlocks.floatScratch()[0];
            for (int from = start; from < end; from += FloatBlocks.BLOCK) {
                int len = Math.min(FloatBlocks.BLOCK, end - from);
                if (view == null) {
                    loop.run(x.floats, x.offset + from, r, from, len);
                } else {
                    view.copy(from, from + len, block, 0);
                    loop.run(block, 0, r, from, len);
                }
            }
        });
        return NDArray.wrapLike(r, x);
    }
}
