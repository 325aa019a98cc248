package dev.adjoint.core.kernel;

import java.util.Arrays;

/**
 * Elementwise kernels: one loop per operation over contiguous data, and strided loops for views
 * (broadcasts and transposes) so that a broadcast operand is never materialised.
 *
 * <p>The loops are picked by switch expressions over {@link Unary} and {@link Binary}, which must
 * cover every constant: a new function does not compile until it has all its loops, so no output
 * array is left unwritten. Each constant's {@code apply} is the scalar definition its loops match.
 *
 * <p>float32 arrays run the same loops on blocks widened to float64 and round each result once
 * ({@link FloatBlocks}): a float32 result is the float64 result on the widened inputs rounded to
 * float, bit for bit, so every formula here is written once for both dtypes. The exceptions: long
 * runs of the functions {@link Float32Arithmetic} covers, and gelu, compute in float32 arithmetic;
 * the four arithmetic operations, relu, abs, negation, the comparisons, leaky relu and clamp run
 * straight on floats, exactly (the float result is the float64 one rounded by their nature).
 *
 * <p>NOTE: every function keeps loops of its own with the arithmetic written out, not a call to
 * {@code apply} per element: a virtual call in the loop would stop C2 from vectorizing it.
 */
public final class Elementwise {
    private Elementwise() {
    }

    /**
     * Unary elementwise functions. Each constant's {@link #apply} is its definition; {@link #map}
     * gives exactly its bits, except where it hands a long run to the math kernel.
     */
    public enum Unary {
        NEG { @Override public double apply(double x) { return -x; } },
        EXP { @Override public double apply(double x) { return Math.exp(x); } },
        LOG { @Override public double apply(double x) { return Math.log(x); } },
        SQRT { @Override public double apply(double x) { return Math.sqrt(x); } },
        ABS { @Override public double apply(double x) { return Math.abs(x); } },
        SIN { @Override public double apply(double x) { return Math.sin(x); } },
        COS { @Override public double apply(double x) { return Math.cos(x); } },
        TANH { @Override public double apply(double x) { return Math.tanh(x); } },
        SIGMOID { @Override public double apply(double x) { return sigmoid(x); } },
        /** {@code x < 0 ? +0 : x}: NaN and -0 pass through, as in PyTorch (not {@link Math#max}, which turns -0 into +0). */
        RELU { @Override public double apply(double x) { return x < 0 ? 0.0 : x; } },
        /** {@code [x > 0] - [x < 0]}: +0 at both zeros and at NaN, as PyTorch's sign (abs's gradient is 0 there). */
        SIGN { @Override public double apply(double x) { return sign(x); } },
        LOG1P { @Override public double apply(double x) { return Math.log1p(x); } },
        SOFTPLUS { @Override public double apply(double x) { return softplus(x); } },
        /** {@code x}, with an infinity replaced by 0 (NaN kept): logSumExp's shift, as PyTorch's. */
        INFINITY_TO_ZERO { @Override public double apply(double x) { return Double.isInfinite(x) ? 0.0 : x; } },
        /** The error function, within 1 ulp, the same bits on the math kernel (see {@link ErrorFunction}). */
        ERF { @Override public double apply(double x) { return ErrorFunction.erf(x); } };

        /**
         * The function at one value.
         *
         * @param x the argument
         * @return f(x)
         */
        public abstract double apply(double x);
    }

    /**
     * Binary elementwise functions. Each constant's {@link #apply} is its definition; {@link #zip}
     * and {@link #zipScalar} give exactly its bits on every layout.
     */
    public enum Binary {
        ADD { @Override public double apply(double a, double b) { return a + b; } },
        SUB { @Override public double apply(double a, double b) { return a - b; } },
        MUL { @Override public double apply(double a, double b) { return a * b; } },
        DIV { @Override public double apply(double a, double b) { return a / b; } },
        /** {@code a (1 - b) b}: the sigmoid's backward, a = gradient, b = sigmoid output. */
        SIGMOID_GRAD { @Override public double apply(double a, double b) { return a * (1 - b) * b; } },
        /** {@code a (1 - b^2)}: tanh's backward, a = gradient, b = tanh output. */
        TANH_GRAD { @Override public double apply(double a, double b) { return a * (1 - b * b); } },
        /**
         * {@code a (Phi(b) + b phi(b))}: gelu's backward, a = gradient, b = gelu input, Phi the
         * standard normal distribution function and phi its density (see {@link Elementwise#geluGrad}).
         */
        GELU_GRAD { @Override public double apply(double a, double b) { return geluGrad(a, b); } },
        /**
         * {@code a s (1 + b (1 - s))} with {@code s = sigmoid(b)}: silu's backward, a = gradient, b =
         * silu input (see {@link Elementwise#siluGrad}).
         */
        SILU_GRAD { @Override public double apply(double a, double b) { return siluGrad(a, b); } },
        /** {@code a [b > 0]}: relu's backward, a = gradient, b = relu input. */
        RELU_GRAD { @Override public double apply(double a, double b) { return reluGrad(a, b); } },
        /** {@code [a > b]} as 0 or 1; false at NaN. */
        GT { @Override public double apply(double a, double b) { return a > b ? 1.0 : 0.0; } },
        /** {@code [a >= b]} as 0 or 1; false at NaN. */
        GE { @Override public double apply(double a, double b) { return a >= b ? 1.0 : 0.0; } },
        /** {@code [a < b]} as 0 or 1; false at NaN. */
        LT { @Override public double apply(double a, double b) { return a < b ? 1.0 : 0.0; } },
        /** {@code [a <= b]} as 0 or 1; false at NaN. */
        LE { @Override public double apply(double a, double b) { return a <= b ? 1.0 : 0.0; } },
        /** {@code [a == b]} as 0 or 1; false at NaN, true for -0 and +0. */
        EQ { @Override public double apply(double a, double b) { return a == b ? 1.0 : 0.0; } },
        /** {@link Math#max}: NaN if either is NaN, and +0 above -0. */
        MAXIMUM { @Override public double apply(double a, double b) { return Math.max(a, b); } },
        /** {@link Math#min}: NaN if either is NaN, and -0 below +0. */
        MINIMUM { @Override public double apply(double a, double b) { return Math.min(a, b); } },
        /**
         * The share of maximum(a, b)'s gradient that goes to a: 1 if a > b, 0 if a < b, 1/2 at a tie,
         * and 1 where either is NaN (as PyTorch's maximum backward, which passes it to both).
         */
        MAXIMUM_SHARE { @Override public double apply(double a, double b) { return maximumShare(a, b); } },
        /** {@code a^b} with C99's pow, as {@link Elementwise#pow(NDArray, double)}. */
        POW { @Override public double apply(double a, double b) { return pow(a, b); } },
        /** {@code a > 0 ? a : a b}: leaky relu of a with slope b. */
        LEAKY_RELU { @Override public double apply(double a, double b) { return a > 0 ? a : a * b; } },
        /** {@code a > 0 ? 1 : b}: leaky relu's derivative at a with slope b (b at NaN, as PyTorch). */
        LEAKY_RELU_SLOPE { @Override public double apply(double a, double b) { return a > 0 ? 1.0 : b; } };

        /**
         * The function at one pair of values.
         *
         * @param a the first argument
         * @param b the second argument
         * @return f(a, b)
         */
        public abstract double apply(double a, double b);
    }

    /**
     * Applies {@code f} to every element; the result is contiguous. Runs of at least {@link
     * MathKernel#MIN_LENGTH} of exp, log, log1p, tanh, sigmoid and softplus go to the math kernel, which agrees with
     * {@link Unary#apply} within a few ulps, and of relu, sign and erf, which it computes to the bit; everything
     * else is {@code f.apply} to the bit. One exception to the float32 rule (the class comment): the functions
     * {@link Float32Arithmetic} covers run in float32 arithmetic on at least {@link
     * MathKernel#MIN_LENGTH} floats, within an ulp or two of the correctly rounded result.
     */
    public static NDArray map(Unary f, NDArray x) {
        // the math kernel or not by the whole length, so a float32 block gets what float64 would
        boolean math = x.size >= MathKernel.MIN_LENGTH;
        if (f == Unary.RELU && math && x.floats != null && x.isContiguous()) {
            // a selection: straight on floats, the float64 result rounded to the bit
            float[] r = Buffers.uninitializedFloats(x.size);
            float[] a = x.floats;
            int o = x.offset;
            Parallel.forRange(x.size, FloatBlocks.BLOCK, (from, to) -> KernelProvider.math().relu(a, o + from, r, from, to - from));
            return NDArray.wrapLike(r, x);
        }
        if ((f == Unary.ABS || f == Unary.NEG) && x.floats != null && x.isContiguous()) {
            // the sign bit alone: exact on floats
            float[] r = Buffers.uninitializedFloats(x.size);
            float[] a = x.floats;
            int o = x.offset;
            boolean abs = f == Unary.ABS;
            Parallel.forRange(x.size, FloatBlocks.BLOCK, (from, to) -> signBit(abs, a, o + from, r, from, to - from));
            return NDArray.wrapLike(r, x);
        }
        if (f == Unary.SIGN && x.floats != null && x.isContiguous()) {
            return floatSign(x, false);
        }
        if (f == Unary.SQRT && x.floats != null) {
            return Float32Arithmetic.sqrt(x);
        }
        if (math && x.floats != null && Float32Arithmetic.covers(f)) {
            return Float32Arithmetic.map(f, x);
        }
        return mapBlockwise(f, x, false);
    }

    /** {@code f} of every element in float64 blocks (float32 widened and rounded), a temporary or a result. */
    private static NDArray mapBlockwise(Unary f, NDArray x, boolean temporary) {
        // the math kernel or not by the whole length, so a float32 block gets what float64 would
        boolean math = x.size >= MathKernel.MIN_LENGTH;
        return blockwise(x, temporary, (a, o, r, ro, n) -> {
            if (!math || !onMathKernel(f, a, o, r, ro, n)) {
                loop(f, a, o, r, ro, n);
            }
        });
    }

    /**
     * The sign of x, {@link #map}'s {@code SIGN}, as a temporary ({@link Buffers#temporary}): for a
     * backward pass that reads it once (abs's), so that it never takes the array the pass offers
     * for the op's result.
     */
    public static NDArray signMask(NDArray x) {
        if (x.floats != null && x.isContiguous()) {
            return floatSign(x, true);
        }
        return mapBlockwise(Unary.SIGN, x, true);
    }

    /** The sign of contiguous floats on the math kernel's float selection: exact, so the widened loop's bits. */
    private static NDArray floatSign(NDArray x, boolean temporary) {
        float[] r = temporary ? Buffers.temporaryFloats(x.size) : Buffers.uninitializedFloats(x.size);
        float[] a = x.floats;
        int o = x.offset;
        Parallel.forRange(x.size, FloatBlocks.BLOCK, (from, to) ->
                KernelProvider.exactFor(to - from).compare(SIGN_ANSWERS, a, o + from, FLOAT_ZERO, 0, 0, r, from, to - from));
        return NDArray.wrapLike(r, x);
    }

    private static final float[] FLOAT_ZERO = {0f};

    /** |a| or -a on floats, on the math kernel (short runs on the plain-Java one). */
    private static void signBit(boolean abs, float[] a, int ao, float[] r, int ro, int n) {
        MathKernel k = KernelProvider.exactFor(n);
        if (abs) {
            k.abs(a, ao, r, ro, n);
        } else {
            k.neg(a, ao, r, ro, n);
        }
    }

    static final double SQRT_HALF = Math.sqrt(0.5);
    /** gelu's float64 constants for the math kernel's broadcast operand: sqrt(1/2), 1/2, 1. */
    private static final double[] GELU_CONSTANTS = {SQRT_HALF, 0.5, 1.0};

    /**
     * gelu in its exact form, in one pass. float64 gives the bits of {@code x * 0.5 * (1 + erf(x * (1
     * / sqrt 2)))} in PyTorch's order of operations, the four operations and erf done one by one.
     * float32 computes {@code x Phi(x)} with Phi the normal distribution function taken without
     * {@code 1 + erf} (which cancels for negative x, leaving no correct digit in float32 below about
     * -5): in float32 arithmetic on runs of at least {@link MathKernel#MIN_LENGTH} ({@link
     * VectorFloatGelu}, within a few ulps), in float64 rounded once on shorter ones.
     *
     * @param x the input
     * @return gelu of every element, contiguous
     */
    public static NDArray gelu(NDArray x) {
        if (x.floats != null) {
            if (x.size >= MathKernel.MIN_LENGTH) {
                return Float32Arithmetic.gelu(x);
            }
            // x Phi(x) in float64, rounded once
            return blockwise(x, false, (a, o, r, ro, n) -> {
                for (int i = 0; i < n; i++) {
                    r[ro + i] = ErrorFunction.gelu(a[o + i]);
                }
            });
        }
        if (x.size < MathKernel.MIN_LENGTH) {
            return blockwise(x, false, (a, o, r, ro, n) -> {
                for (int i = 0; i < n; i++) {
                    double v = a[o + i];
                    r[ro + i] = v * 0.5 * (1 + ErrorFunction.erf(v * SQRT_HALF));
                }
            });
        }
        // erf and the four operations on the math kernel (the same bits: one rounding per operation,
        // in the same order), block by block through scratch. NOTE: not plain loops, which C2 does
        // not vectorize here (r may be a)
        return blockwise(x, false, (a, o, r, ro, n) -> {
            double[] t = FloatBlocks.scratch()[1];
            MathKernel k = KernelProvider.math();
            for (int from = 0; from < n; from += FloatBlocks.BLOCK) {
                int len = Math.min(FloatBlocks.BLOCK, n - from);
                k.arithmetic(Binary.MUL, a, o + from, GELU_CONSTANTS, 0, 0, t, 0, len);
                k.erf(t, 0, t, 0, len);
                k.arithmetic(Binary.ADD, t, 0, GELU_CONSTANTS, 2, 0, t, 0, len);
                // x * 0.5 into r, then times 1 + erf (r may be a: x is not read again)
                k.arithmetic(Binary.MUL, a, o + from, GELU_CONSTANTS, 1, 0, r, ro + from, len);
                k.arithmetic(Binary.MUL, r, ro + from, t, 0, 1, r, ro + from, len);
            }
        });
    }

    /**
     * silu, {@code x sigmoid(x)}, in one pass: the bits of {@code zip(MUL, x, map(SIGMOID, x))} (the
     * sigmoid on the math kernel from {@link MathKernel#MIN_LENGTH} elements on, in float32
     * arithmetic for float32), without the sigmoid's array.
     *
     * @param x the input
     * @return silu of every element, contiguous
     */
    public static NDArray silu(NDArray x) {
        if (x.size < MathKernel.MIN_LENGTH) {
            return zip(Binary.MUL, x, map(Unary.SIGMOID, x));
        }
        if (x.floats != null) {
            return Float32Arithmetic.silu(x);
        }
        return blockwise(x, false, (a, o, r, ro, n) -> {
            double[] s = FloatBlocks.scratch()[1];
            MathKernel k = KernelProvider.math();
            for (int from = 0; from < n; from += FloatBlocks.BLOCK) {
                int len = Math.min(FloatBlocks.BLOCK, n - from);
                k.sigmoid(a, o + from, s, 0, len);
                // the product on the math kernel: C2 does not vectorize a loop whose r may overlap a
                k.arithmetic(Binary.MUL, a, o + from, s, 0, 1, r, ro + from, len);
            }
        });
    }

    /** A float64 loop from {@code a[o + i]} to {@code r[ro + i]}, i in [0, n), that reads each element before writing its index. */
    private interface Loop {
        void run(double[] a, int o, double[] r, int ro, int n);
    }

    /**
     * Runs a loop over an array into a new contiguous one of its dtype, from {@link Buffers} (a
     * {@link Buffers#temporary temporary} one for a result the caller drops before its op returns): on contiguous float64
     * directly; on float32, and on any strided view, over blocks read (and widened) into scratch
     * ({@link Strided}, {@link FloatBlocks}) with float32 results rounded once, so the float32
     * result is the float64 one rounded, bit for bit, and a view gives its contiguous copy's bits.
     * Long arrays split over threads at multiples of a block ({@link Parallel}).
     */
    private static NDArray blockwise(NDArray x, boolean temporary, Loop loop) {
        int n = x.size;
        if (x.floats == null && x.isContiguous()) {
            double[] r = temporary ? Buffers.temporary(n) : Buffers.uninitialized(n);
            double[] a = x.data;
            int o = x.offset;
            Parallel.forRange(n, FloatBlocks.BLOCK, (from, to) -> loop.run(a, o + from, r, from, to - from));
            return NDArray.wrapLike(r, x);
        }
        Strided view = x.isContiguous() ? null : Strided.of(x);
        // one result buffer: float64 for a float64 view (the loop writes it), else float32
        double[] r = x.floats != null ? null : temporary ? Buffers.temporary(n) : Buffers.uninitialized(n);
        float[] rf = x.floats == null ? null : temporary ? Buffers.temporaryFloats(n) : Buffers.uninitializedFloats(n);
        float[] a = x.floats;
        int o = x.offset;
        Parallel.forRange(n, FloatBlocks.BLOCK, (start, end) -> {
            double[] w = FloatBlocks.scratch()[0];
            for (int from = start; from < end; from += FloatBlocks.BLOCK) {
                int len = Math.min(FloatBlocks.BLOCK, end - from);
                if (view == null) {
                    FloatBlocks.widen(a, o + from, 1, w, len);
                } else {
                    view.copy(from, from + len, w, 0);
                }
                if (r != null) {
                    loop.run(w, 0, r, from, len);
                } else {
                    loop.run(w, 0, w, 0, len);
                    FloatBlocks.narrow(w, rf, from, len);
                }
            }
        });
        return r != null ? NDArray.wrapLike(r, x) : NDArray.wrapLike(rf, x);
    }

    /**
     * Writes {@code f(a[o + i])} to {@code r[i]}, i in [0, n), on the math kernel if it has f, and
     * says whether it did.
     */
    private static boolean onMathKernel(Unary f, double[] a, int o, double[] r, int ro, int n) {
        // a switch expression, so that a new constant does not compile until it is placed here
        return switch (f) {
            case EXP -> { KernelProvider.math().exp(a, o, r, ro, n); yield true; }
            case TANH -> { KernelProvider.math().tanh(a, o, r, ro, n); yield true; }
            case SIGMOID -> { KernelProvider.math().sigmoid(a, o, r, ro, n); yield true; }
            case RELU -> { KernelProvider.math().relu(a, o, r, ro, n); yield true; }
            case LOG -> { KernelProvider.math().log(a, o, r, ro, n); yield true; }
            case SOFTPLUS -> { KernelProvider.math().softplus(a, o, r, ro, n); yield true; }
            case ERF -> { KernelProvider.math().erf(a, o, r, ro, n); yield true; }
            case LOG1P -> { KernelProvider.math().log1p(a, o, r, ro, n); yield true; }
            // [x > 0] - [x < 0]: -1 below 0, 1 above, +0 at either zero and at NaN (a selection)
            case SIGN -> { KernelProvider.math().compare(SIGN_ANSWERS, a, o, BinaryLoops.ZERO, 0, 0, r, ro, n); yield true; }
            case NEG, SQRT, ABS, SIN, COS, INFINITY_TO_ZERO -> false;
        };
    }

    /** {@code r[ro + i] = f(a[o + i])} for i in [0, n); returns r. */
    private static double[] loop(Unary f, double[] a, int o, double[] r, int ro, int n) {
        // NOTE: C2 leaves a loop over arrays at different offsets (ro + i, o + i) scalar, even when
        // they are equal; with one index it vectorizes. Contiguous operands and float32's widened
        // blocks share their offsets: the functions with a vector instruction take one-index loops.
        if (o == ro && (f == Unary.NEG || f == Unary.ABS || f == Unary.SQRT)) {
            int end = ro + n;
            switch (f) {
                case NEG -> { for (int i = ro; i < end; i++) r[i] = -a[i]; }
                case ABS -> { for (int i = ro; i < end; i++) r[i] = Math.abs(a[i]); }
                default -> { for (int i = ro; i < end; i++) r[i] = Math.sqrt(a[i]); }
            }
            return r;
        }
        return switch (f) {
            case NEG -> { for (int i = 0; i < n; i++) r[ro + i] = -a[o + i]; yield r; }
            case EXP -> { for (int i = 0; i < n; i++) r[ro + i] = Math.exp(a[o + i]); yield r; }
            case LOG -> { for (int i = 0; i < n; i++) r[ro + i] = Math.log(a[o + i]); yield r; }
            case SQRT -> { for (int i = 0; i < n; i++) r[ro + i] = Math.sqrt(a[o + i]); yield r; }
            case ABS -> { for (int i = 0; i < n; i++) r[ro + i] = Math.abs(a[o + i]); yield r; }
            case SIN -> { for (int i = 0; i < n; i++) r[ro + i] = Math.sin(a[o + i]); yield r; }
            case COS -> { for (int i = 0; i < n; i++) r[ro + i] = Math.cos(a[o + i]); yield r; }
            case TANH -> { for (int i = 0; i < n; i++) r[ro + i] = Math.tanh(a[o + i]); yield r; }
            case SIGMOID -> { for (int i = 0; i < n; i++) r[ro + i] = sigmoid(a[o + i]); yield r; }
            case RELU -> { for (int i = 0; i < n; i++) { double v = a[o + i]; r[ro + i] = v < 0 ? 0.0 : v; } yield r; }
            case SIGN -> { for (int i = 0; i < n; i++) r[ro + i] = sign(a[o + i]); yield r; }
            case LOG1P -> { for (int i = 0; i < n; i++) r[ro + i] = Math.log1p(a[o + i]); yield r; }
            case SOFTPLUS -> { for (int i = 0; i < n; i++) r[ro + i] = softplus(a[o + i]); yield r; }
            case INFINITY_TO_ZERO -> { for (int i = 0; i < n; i++) { double v = a[o + i]; r[ro + i] = Double.isInfinite(v) ? 0.0 : v; } yield r; }
            case ERF -> { for (int i = 0; i < n; i++) r[ro + i] = ErrorFunction.erf(a[o + i]); yield r; }
        };
    }

    /** {@code [v > 0] - [v < 0]}: +0 for both zeros and for NaN. */
    static double sign(double v) {
        return (v > 0 ? 1.0 : 0.0) - (v < 0 ? 1.0 : 0.0);
    }

    /** {@code log(1 + exp(v))} without overflow: {@code max(v, 0) + log1p(exp(-|v|))}. */
    static double softplus(double v) {
        return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    }

    /**
     * Numerically stable logistic function: never evaluates exp of a large positive number. With
     * {@code e = exp(-|v|)} it is {@code 1 / (1 + e)} for v >= 0 and {@code e / (1 + e)} below; the
     * choice is made on the sign bit, without a branch (a branch on the sign of random data is
     * mispredicted half the time, which costs more than the arithmetic).
     */
    static double sigmoid(double v) {
        double e = Math.exp(-Math.abs(v));
        double inv = 1.0 / (1.0 + e);
        long negative = Double.doubleToRawLongBits(v) >> 63;
        return Double.longBitsToDouble((Double.doubleToRawLongBits(inv) & ~negative) | (Double.doubleToRawLongBits(e * inv) & negative));
    }

    /**
     * {@code g} where {@code x > 0}, else +0: relu's backward, without a branch. x > 0 exactly when
     * its bits, less one, are below those of +infinity as unsigned numbers (which excludes zeros,
     * negatives and NaN); the mask is all ones then and zero otherwise.
     */
    static double reluGrad(double g, double x) {
        long u = Double.doubleToRawLongBits(x) - 1;
        long mask = ((u - 0x7FF0000000000000L) & ~u) >> 63;
        return Double.longBitsToDouble(Double.doubleToRawLongBits(g) & mask);
    }

    /** 1 / sqrt(2 pi): the standard normal density's factor. */
    static final double INVERSE_SQRT_TWO_PI = 1 / Math.sqrt(2 * Math.PI);

    /**
     * gelu's backward at one element, {@code g (Phi(x) + x phi(x))} with {@code Phi(x) = 0.5 (1 +
     * erf(x / sqrt 2))} and {@code phi(x) = e^(-x^2 / 2) / sqrt(2 pi)}: erf by {@link ErrorFunction},
     * the exponential by {@link ExpSeries#exp}, both the same bits in either math kernel, so the
     * math kernel's loop gives these bits too.
     */
    static double geluGrad(double g, double x) {
        double cdf = 0.5 * (1 + ErrorFunction.erf(x * SQRT_HALF));
        double pdf = ExpSeries.exp(-0.5 * x * x) * INVERSE_SQRT_TWO_PI;
        return g * (cdf + x * pdf);
    }

    /**
     * silu's backward at one element, {@code g s (1 + x (1 - s))} with {@code s = sigmoid(x)} by
     * {@link ExpSeries#sigmoid}, the same bits in either math kernel, so the math kernel's loop gives
     * these bits too.
     */
    static double siluGrad(double g, double x) {
        double s = ExpSeries.sigmoid(x);
        return g * (s * (1 + x * (1 - s)));
    }

    /** 1 if a > b, 0 if a < b, 1/2 at a tie, 1 where either is NaN: maximum's gradient share of a. */
    static double maximumShare(double a, double b) {
        return a > b ? 1.0 : a < b ? 0.0 : a == b ? 0.5 : 1.0;
    }

    /**
     * C99's (and PyTorch's) {@code pow}: {@code 1^b = 1} for every b, NaN included, and
     * {@code (-1)^(+-inf) = 1}, where {@link Math#pow} gives NaN; otherwise {@link Math#pow}.
     */
    static double pow(double a, double b) {
        return a == 1.0 || (a == -1.0 && Double.isInfinite(b)) ? 1.0 : Math.pow(a, b);
    }

    /**
     * {@code x^p} elementwise, with C99's (and PyTorch's) {@code pow}: {@code 1^p = 1} for every p, NaN
     * included, and {@code (-1)^(+-inf) = 1}, where {@link Math#pow} gives NaN. p = 2 is {@code x x}.
     */
    public static NDArray pow(NDArray x, double p) {
        // a constant takes the array's dtype
        double q = x.floats != null ? (float) p : p;
        return blockwise(x, false, (a, o, r, ro, n) -> powLoop(a, o, r, ro, n, q));
    }

    private static void powLoop(double[] a, int o, double[] r, int ro, int n, double p) {
        if (p == 2.0) {
            for (int i = 0; i < n; i++) {
                double v = a[o + i];
                r[ro + i] = v * v;
            }
        } else if (p == 1.0) {
            System.arraycopy(a, o, r, ro, n);
        } else if (Double.isFinite(p)) {
            for (int i = 0; i < n; i++) {
                r[ro + i] = Math.pow(a[o + i], p);
            }
        } else {
            for (int i = 0; i < n; i++) {
                double v = a[o + i];
                r[ro + i] = v == 1.0 || (v == -1.0 && Double.isInfinite(p)) ? 1.0 : Math.pow(v, p);
            }
        }
    }

    /**
     * {@code x} limited to [lo, hi] (lo <= hi, checked by the caller): {@code x < lo ? lo : x > hi ? hi : x},
     * exact, with NaN passing through, as PyTorch's clamp.
     */
    public static NDArray clamp(NDArray x, double lo, double hi) {
        double low = x.floats != null ? (float) lo : lo;
        double high = x.floats != null ? (float) hi : hi;
        // selections (two blends each) on the math kernel: a branch per element mispredicts on
        // values that straddle a bound; straight on contiguous floats
        if (x.floats != null && x.isContiguous() && x.size >= MathKernel.MIN_LENGTH) {
            float[] r = Buffers.uninitializedFloats(x.size);
            float[] a = x.floats;
            int o = x.offset;
            Parallel.forRange(x.size, FloatBlocks.BLOCK, (from, to) -> KernelProvider.math().clamp(a, o + from, (float) low, (float) high,
                    r, from, to - from));
            return NDArray.wrapLike(r, x);
        }
        return blockwise(x, false, (a, o, r, ro, n) -> KernelProvider.exactFor(n).clamp(a, o, low, high, r, ro, n));
    }

    private static final double[] SIGN_ANSWERS = {-1, 1, 0, 0};

    /** 1 where {@code lo < x < hi}, else 0 (NaN included): the mask of clamp's gradient, a {@link Buffers#temporary temporary}. */
    public static NDArray strictlyInside(NDArray x, double lo, double hi) {
        return blockwise(x, true, (a, o, r, ro, n) -> KernelProvider.exactFor(n).inside(a, o, lo, hi, r, ro, n));
    }

    /**
     * {@code a (f) b} for two arrays of the same shape (either may be a strided view): {@link
     * Binary#apply}'s bits, float32 as the float64 result rounded, except gelu's backward in float32,
     * which follows gelu's float32 forward (float32 arithmetic on at least {@link
     * MathKernel#MIN_LENGTH} floats, {@link ErrorFunction#geluGrad} rounded below), and silu's on at
     * least {@link MathKernel#MIN_LENGTH} floats, in float32 arithmetic as the float32 sigmoid.
     */
    public static NDArray zip(Binary f, NDArray a, NDArray b) {
        int n = a.size;
        if (f == Binary.GELU_GRAD && a.floats != null && b.floats != null) {
            // as gelu's forward: in float32 arithmetic, or below the math kernel's length x Phi(x)'s
            // backward without 1 + erf in float64, rounded once
            return n >= MathKernel.MIN_LENGTH ? Float32Arithmetic.geluGrad(a, b) : Float32Arithmetic.geluGradRounded(a, b);
        }
        if (f == Binary.SILU_GRAD && a.floats != null && b.floats != null && n >= MathKernel.MIN_LENGTH) {
            // as the float32 sigmoid: in float32 arithmetic
            return Float32Arithmetic.siluGrad(a, b);
        }
        if (a.floats != null && b.floats != null) {
            float[] r = Buffers.uninitializedFloats(n);
            return NDArray.wrapLike(r, forEachRow(a, b, (ro, pa, sa, pb, sb, len) ->
                    BinaryLoops.inner(f, r, ro, a.floats, pa, sa, b.floats, pb, sb, len)));
        }
        if (a.floats != null || b.floats != null) {
            return zip(f, a.toFloat64(), b.toFloat64()).toFloat32();
        }
        double[] r = Buffers.uninitialized(n);
        return NDArray.wrapLike(r, forEachRow(a, b, (ro, pa, sa, pb, sb, len) ->
                BinaryLoops.inner(f, r, ro, a.data, pa, sa, b.data, pb, sb, len)));
    }

    /** One row of a {@link #zip}: result elements [ro, ro + n) from a at pa step sa and b at pb step sb. */
    private interface Rows {
        void run(int ro, int pa, int sa, int pb, int sb, int n);
    }

    /**
     * Walks two arrays of one shape in row-major order, a row (the last axis) at a time, or in
     * one run when each is contiguous or one value broadcast everywhere; returns the array whose
     * shape array the result shares.
     * Long walks split over threads ({@link Parallel}): contiguous runs at multiples of a float32
     * block, row walks at whole rows, so each element sees the loop a one-thread walk gives it.
     */
    private static NDArray forEachRow(NDArray a, NDArray b, Rows rows) {
        int n = a.size;
        if (a.isContiguous() && b.isContiguous()) {
            int ao = a.offset;
            int bo = b.offset;
            Parallel.forRange(n, FloatBlocks.BLOCK, (from, to) -> rows.run(from, ao + from, 1, bo + from, 1, to - from));
            // the second operand's shape array: in an activation's backward (gradient, then the
            // saved input or output) that is the shape array of the input the result is the
            // gradient of, so the engine's shape check is one comparison
            return b;
        }
        if (n == 0) {
            return a;
        }
        int stepA = uniformStep(a);
        int stepB = uniformStep(b);
        if (stepA >= 0 && stepB >= 0) {
            // each contiguous or one value broadcast everywhere (a sum's gradient), not both
            // contiguous: one run at steps 1 and 0, so that short rows still reach the vector loops
            int ao = a.offset;
            int bo = b.offset;
            Parallel.forRange(n, FloatBlocks.BLOCK,
                    (from, to) -> rows.run(from, ao + from * stepA, stepA, bo + from * stepB, stepB, to - from));
            return stepB == 1 ? b : a;
        }
        // the trailing axes that both walk at one step form one row (a channel's H W against a
        // per-channel value, say), so that rows reach the vector loops
        int outer = outerAxes(a, b);
        int inner = n;
        for (int d = 0; d < outer; d++) {
            inner /= a.shape[d];
        }
        int rowLength = inner;
        Parallel.forRange(n / rowLength, 1, rowLength, (first, last) -> walkRows(a, b, rows, first, last, outer, rowLength));
        return a;
    }

    /**
     * The axes before the longest run of trailing axes (of at most {@link Parallel#MIN_PART}
     * elements beyond the last axis) that each of a and b (one shape) walks at one step: the last
     * axis's stride times the elements after it. Axes of size 1 join any run.
     */
    private static int outerAxes(NDArray a, NDArray b) {
        int rank = a.shape.length;
        int sa = a.strides[rank - 1];
        int sb = b.strides[rank - 1];
        long length = a.shape[rank - 1];
        int d = rank - 2;
        for (; d >= 0; d--) {
            boolean one = a.shape[d] == 1;
            // rows of up to MIN_PART elements: enough for the vector loops, and a long walk still has rows to split
            if (!one && (a.strides[d] != sa * length || b.strides[d] != sb * length || length * a.shape[d] > Parallel.MIN_PART)) {
                break;
            }
            length *= a.shape[d];
        }
        return d + 1;
    }

    /**
     * 1 for a contiguous array, 0 for one value broadcast to every position (a stride of 0 on every
     * axis longer than 1), -1 otherwise.
     */
    private static int uniformStep(NDArray x) {
        if (x.isContiguous()) {
            return 1;
        }
        for (int d = 0; d < x.shape.length; d++) {
            if (x.shape[d] > 1 && x.strides[d] != 0) {
                return -1;
            }
        }
        return 0;
    }

    /**
     * Rows [first, last) of {@link #forEachRow}'s walk: a row is the {@code inner} elements of the
     * axes after the first {@code outer}, walked at the last axis's step.
     */
    private static void walkRows(NDArray a, NDArray b, Rows rows, int first, int last, int outer, int inner) {
        int rank = a.shape.length;
        int sa = a.strides[rank - 1];
        int sb = b.strides[rank - 1];
        int[] counter = new int[rank];
        int pa = a.offset;
        int pb = b.offset;
        for (int d = outer - 1, rest = first; d >= 0; d--) {
            counter[d] = rest % a.shape[d];
            rest /= a.shape[d];
            pa += counter[d] * a.strides[d];
            pb += counter[d] * b.strides[d];
        }
        for (int row = first; row < last; row++) {
            rows.run(row * inner, pa, sa, pb, sb, inner);
            for (int d = outer - 1; d >= 0; d--) {
                if (++counter[d] < a.shape[d]) {
                    pa += a.strides[d];
                    pb += b.strides[d];
                    break;
                }
                pa -= a.strides[d] * (a.shape[d] - 1);
                pb -= b.strides[d] * (b.shape[d] - 1);
                counter[d] = 0;
            }
        }
    }

    /** {@code a (f) c} for every element a of {@code x} (any layout) and a constant c. */
    public static NDArray zipScalar(Binary f, NDArray x, double c) {
        return zipScalar(f, x, c, false);
    }

    /**
     * {@link #zipScalar(Binary, NDArray, double)} into a {@link Buffers#temporary temporary}: for a
     * mask that the caller's op reads and drops (leakyRelu's slopes in its backward).
     */
    public static NDArray scalarMask(Binary f, NDArray x, double c) {
        return zipScalar(f, x, c, true);
    }

    private static NDArray zipScalar(Binary f, NDArray x, double c, boolean temporary) {
        int n = x.size;
        if (x.floats != null) {
            float[] r = temporary ? Buffers.temporaryFloats(n) : Buffers.uninitializedFloats(n);
            float[] a = x.floats;
            float[] v = {(float) c};
            runs(x, (at, p, step, len) -> {
                // a broadcast run is one value: computed once, then filled
                BinaryLoops.inner(f, r, at, a, p, step, v, 0, 0, step == 0 ? 1 : len);
                if (step == 0) {
                    Arrays.fill(r, at + 1, at + len, r[at]);
                }
            });
            return NDArray.wrapLike(r, x);
        }
        double[] r = temporary ? Buffers.temporary(n) : Buffers.uninitialized(n);
        double[] a = x.data;
        double[] v = {c};
        runs(x, (at, p, step, len) -> {
            BinaryLoops.inner(f, r, at, a, p, step, v, 0, 0, step == 0 ? 1 : len);
            if (step == 0) {
                Arrays.fill(r, at + 1, at + len, r[at]);
            }
        });
        return NDArray.wrapLike(r, x);
    }

    /** Visits the elements of {@code x} in runs ({@link Strided}), split over threads at multiples of a float32 block. */
    private static void runs(NDArray x, Strided.Run run) {
        int o = x.offset;
        if (x.isContiguous()) {
            Parallel.forRange(x.size, FloatBlocks.BLOCK, (from, to) -> run.run(from, o + from, 1, to - from));
        } else {
            Strided view = Strided.of(x);
            Parallel.forRange(x.size, FloatBlocks.BLOCK, (from, to) -> view.forEachRun(from, to, run));
        }
    }

    /** Whether every element is finite (no NaN, no infinity). */
    public static boolean allFinite(NDArray x) {
        NDArray c = x.contiguous();
        if (c.floats != null) {
            float[] f = c.floats;
            for (int i = c.offset, end = c.offset + c.size; i < end; i++) {
                if (!Float.isFinite(f[i])) {
                    return false;
                }
            }
            return true;
        }
        double[] a = c.data;
        for (int i = c.offset, end = c.offset + c.size; i < end; i++) {
            if (!Double.isFinite(a[i])) {
                return false;
            }
        }
        return true;
    }
}
