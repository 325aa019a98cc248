package dev.adjoint.core.kernel;

import static dev.adjoint.core.kernel.Elementwise.geluGrad;
import static dev.adjoint.core.kernel.Elementwise.maximumShare;
import static dev.adjoint.core.kernel.Elementwise.pow;
import static dev.adjoint.core.kernel.Elementwise.reluGrad;
import static dev.adjoint.core.kernel.Elementwise.siluGrad;

import dev.adjoint.core.kernel.Elementwise.Binary;

/**
 * The loops of {@link Elementwise#zip} and {@link Elementwise#zipScalar} over one run of elements:
 * the result's run from two operands at any steps (1, 0 for a broadcast operand, or a view's
 * stride), one loop per {@link Binary} function and layout, picked by exhaustive switch
 * expressions. float32 runs on float loops or the math kernel's float methods where the float
 * result is exactly the float64 one rounded (arithmetic, selections, maximum and minimum), and
 * through the float64 loops on widened blocks otherwise.
 */
final class BinaryLoops {
    private BinaryLoops() {
    }

    /**
     * {@link #inner(Binary, double[], int, double[], int, int, double[], int, int, int)} for float32
     * operands: each block widened into scratch (a broadcast operand as one element of stride 0),
     * the float64 loop, each result rounded once (see {@link FloatBlocks}).
     */
    static void inner(Binary f, float[] r, int ro, float[] a, int ao, int sa, float[] b, int bo, int sb, int n) {
        if (sa == 1 && (sb == 1 || sb == 0) && arithmetic(f, r, ro, a, ao, b, bo, sb, n)) {
            return;
        }
        if (sa == 0 && sb == 1 && n > 0 && (f == Binary.ADD || f == Binary.MUL) && arithmetic(f, r, ro, b, bo, a, ao, 0, n)) {
            // a broadcast first operand (the gradient of a sum times a tensor): b + a and b a, bit
            // for bit, as the float64 loops do
            return;
        }
        if (f == Binary.RELU_GRAD && sb == 1 && (sa == 1 || sa == 0) && n >= MathKernel.MIN_LENGTH) {
            // a selection: straight on floats, the float64 result rounded to the bit
            KernelProvider.math().reluGrad(a, ao, sa, b, bo, r, ro, n);
            return;
        }
        if (sa == 1 && n >= MathKernel.MIN_LENGTH && selects(f, sb)) {
            // floats compare as their widened doubles do, and a float product rounds as the double
            // one of two floats does: exact
            if (f == Binary.LEAKY_RELU) {
                KernelProvider.math().leakyRelu(a, ao, b[bo], r, ro, n);
            } else if (f == Binary.LEAKY_RELU_SLOPE) {
                KernelProvider.math().compare(slopeAnswers(b[bo]), a, ao, FLOAT_ZERO, 0, 0, r, ro, n);
            } else {
                KernelProvider.math().compare(answers(f), a, ao, b, bo, sb, r, ro, n);
            }
            return;
        }
        if (f == Binary.MAXIMUM || f == Binary.MINIMUM) {
            // the larger (smaller) float is the larger widened one, and NaN wins either way: exact
            extremum(f == Binary.MINIMUM, r, ro, a, ao, sa, b, bo, sb, n);
            return;
        }
        double[][] scratch = FloatBlocks.scratch();
        double[] wa = scratch[0];
        double[] wb = scratch[1];
        double[] wr = scratch[2];
        if (sa == 0 && n > 0) {
            wa[0] = a[ao];
        }
        if (sb == 0 && n > 0) {
            wb[0] = b[bo];
        }
        for (int from = 0; from < n; from += FloatBlocks.BLOCK) {
            int len = Math.min(FloatBlocks.BLOCK, n - from);
            if (sa != 0) {
                FloatBlocks.widen(a, ao + from * sa, sa, wa, len);
            }
            if (sb != 0) {
                FloatBlocks.widen(b, bo + from * sb, sb, wb, len);
            }
            inner(f, wr, 0, wa, 0, sa == 0 ? 0 : 1, wb, 0, sb == 0 ? 0 : 1, len);
            FloatBlocks.narrow(wr, r, ro + from, len);
        }
    }

    /** {@code r[ro + i] = max (or min) of a[ao + i sa] and b[bo + i sb]}, on floats. */
    private static void extremum(boolean min, float[] r, int ro, float[] a, int ao, int sa, float[] b, int bo, int sb, int n) {
        if (sa == 1 && (sb == 1 || sb == 0)) {
            KernelProvider.exactFor(n).extremum(a, ao, b, bo, sb, r, ro, n, min);
        } else if (min) {
            for (int i = 0; i < n; i++) r[ro + i] = Math.min(a[ao + i * sa], b[bo + i * sb]);
        } else {
            for (int i = 0; i < n; i++) r[ro + i] = Math.max(a[ao + i * sa], b[bo + i * sb]);
        }
    }

    /**
     * add, subtract, multiply and divide straight on floats (a contiguous, b contiguous or a
     * broadcast value), and whether f was one of them. Not a second formula: a double has more than
     * 2 * 24 + 2 significand bits, so the float operation gives exactly the bits of the double
     * operation on the widened floats rounded once (Figueroa, "When is double rounding innocuous?",
     * 1995), which the float32 tests check on every layout; and the float loop does the work in
     * half the vector lanes' bytes.
     */
    private static boolean arithmetic(Binary f, float[] r, int ro, float[] a, int ao, float[] b, int bo, int sb, int n) {
        if (n >= MathKernel.MIN_LENGTH) {
            switch (f) {
                case ADD, SUB, MUL, DIV -> {
                    KernelProvider.math().arithmetic(f, a, ao, b, bo, sb, r, ro, n);
                    return true;
                }
                default -> {
                    return false;
                }
            }
        }
        if (sb == 0) {
            float v = b[bo];
            switch (f) {
                case ADD -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] + v; }
                case SUB -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] - v; }
                case MUL -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] * v; }
                case DIV -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] / v; }
                default -> { return false; }
            }
            return true;
        }
        switch (f) {
            case ADD -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] + b[bo + i]; }
            case SUB -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] - b[bo + i]; }
            case MUL -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] * b[bo + i]; }
            case DIV -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] / b[bo + i]; }
            default -> { return false; }
        }
        return true;
    }

    /** One zero, the other operand of a comparison with 0 (sign, leaky relu's slope). */
    static final double[] ZERO = {0.0};
    private static final float[] FLOAT_ZERO = {0.0f};
    private static final double[] GT_ANSWERS = {0, 1, 0, 0};
    private static final double[] GE_ANSWERS = {0, 1, 1, 0};
    private static final double[] LT_ANSWERS = {1, 0, 0, 0};
    private static final double[] LE_ANSWERS = {1, 0, 1, 0};
    private static final double[] EQ_ANSWERS = {0, 0, 1, 0};
    /** {@link Elementwise#maximumShare}: 1 above, 0 below, 1/2 at a tie, 1 at NaN. */
    private static final double[] MAXIMUM_SHARE_ANSWERS = {0, 1, 0.5, 1};

    /**
     * What a comparing function answers where a is below, above, equal to or unordered with b (see
     * {@link MathKernel#compare(double[], double[], int, double[], int, int, double[], int, int)}).
     */
    static double[] answers(Binary f) {
        return switch (f) {
            case GT -> GT_ANSWERS;
            case GE -> GE_ANSWERS;
            case LT -> LT_ANSWERS;
            case LE -> LE_ANSWERS;
            case EQ -> EQ_ANSWERS;
            case MAXIMUM_SHARE -> MAXIMUM_SHARE_ANSWERS;
            default -> throw new IllegalArgumentException("answers: " + f + " is not a comparison");
        };
    }

    /** Leaky relu's slope at a, compared with 0: 1 above, s elsewhere (NaN included). */
    private static double[] slopeAnswers(double s) {
        return new double[] {s, 1, s, s};
    }

    /**
     * Whether f runs on the math kernel's selections with this layout of b (a contiguous): the
     * comparisons and maximum's share with b contiguous or one value, leaky relu and its slope with
     * one slope.
     */
    private static boolean selects(Binary f, int sb) {
        return switch (f) {
            case GT, GE, LT, LE, EQ, MAXIMUM_SHARE -> sb == 1 || sb == 0;
            case LEAKY_RELU, LEAKY_RELU_SLOPE -> sb == 0;
            default -> false;
        };
    }

    /**
     * {@code r[ro + i] = f(a[ao + i sa], b[bo + i sb])} for i in [0, n): one loop per function for
     * each stride pattern (both contiguous, a broadcast first operand, a broadcast second one, any).
     */
    static void inner(Binary f, double[] r, int ro, double[] a, int ao, int sa, double[] b, int bo, int sb, int n) {
        if (n >= MathKernel.MIN_LENGTH && onMathKernel(f, r, ro, a, ao, sa, b, bo, sb, n)) {
            return;
        }
        if (sa == 1 && sb == 1) {
            contiguous(f, r, ro, a, ao, b, bo, n);
        } else if (sa == 0 && sb == 1) {
            // the gradient of a sum reaching an elementwise backward
            broadcastFirst(f, r, ro, a[ao], b, bo, n);
        } else if (sb == 0) {
            broadcastSecond(f, r, ro, a, ao, sa, b[bo], n);
        } else {
            strided(f, r, ro, a, ao, sa, b, bo, sb, n);
        }
    }

    /**
     * Runs the loops that HotSpot does not vectorize on the math kernel: relu's backward, the comparisons,
     * maximum's share and leaky relu (selects), maximum and minimum,
     * gelu's and silu's (erf, an exponential, a sigmoid: the same bits as their scalar loops) and the four arithmetic
     * operations (C2 cannot rule out that r overlaps an operand at another offset). Whether it did.
     */
    private static boolean onMathKernel(Binary f, double[] r, int ro, double[] a, int ao, int sa, double[] b, int bo, int sb, int n) {
        switch (f) {
            case RELU_GRAD -> {
                if (sb != 1 || (sa != 1 && sa != 0)) {
                    return false;
                }
                KernelProvider.math().reluGrad(a, ao, sa, b, bo, r, ro, n);
            }
            case GELU_GRAD -> {
                if (sa != 1 || sb != 1) {
                    return false;
                }
                KernelProvider.math().geluGrad(a, ao, b, bo, r, ro, n);
            }
            case SILU_GRAD -> {
                if (sa != 1 || sb != 1) {
                    return false;
                }
                KernelProvider.math().siluGrad(a, ao, b, bo, r, ro, n);
            }
            case GT, GE, LT, LE, EQ, MAXIMUM_SHARE, LEAKY_RELU, LEAKY_RELU_SLOPE -> {
                // a branch per element on data like a random mask mispredicts half the time
                if (sa != 1 || !selects(f, sb)) {
                    return false;
                }
                if (f == Binary.LEAKY_RELU) {
                    KernelProvider.math().leakyRelu(a, ao, b[bo], r, ro, n);
                } else if (f == Binary.LEAKY_RELU_SLOPE) {
                    KernelProvider.math().compare(slopeAnswers(b[bo]), a, ao, ZERO, 0, 0, r, ro, n);
                } else {
                    KernelProvider.math().compare(answers(f), a, ao, b, bo, sb, r, ro, n);
                }
            }
            case MAXIMUM, MINIMUM -> {
                if (sa != 1 || (sb != 1 && sb != 0)) {
                    return false;
                }
                KernelProvider.math().extremum(a, ao, b, bo, sb, r, ro, n, f == Binary.MINIMUM);
            }
            case ADD, SUB, MUL, DIV -> {
                if (sa == 1 && (sb == 1 || sb == 0)) {
                    KernelProvider.math().arithmetic(f, a, ao, b, bo, sb, r, ro, n);
                } else if (sa == 0 && sb == 1 && (f == Binary.ADD || f == Binary.MUL)) {
                    // a broadcast first operand (the gradient of a sum times a tensor): a + b and a b
                    // are b + a and b a, bit for bit (NaN payloads aside, as everywhere)
                    KernelProvider.math().arithmetic(f, b, bo, a, ao, 0, r, ro, n);
                } else {
                    return false;
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static double[] contiguous(Binary f, double[] r, int ro, double[] a, int ao, double[] b, int bo, int n) {
        // NOTE: one index where the offsets agree, which C2 vectorizes (see Elementwise.loop): for
        // sigmoid's and tanh's backward, which have no math-kernel loop
        if (ao == ro && bo == ro && (f == Binary.SIGMOID_GRAD || f == Binary.TANH_GRAD)) {
            int end = ro + n;
            if (f == Binary.SIGMOID_GRAD) {
                for (int i = ro; i < end; i++) {
                    double y = b[i];
                    r[i] = a[i] * (1 - y) * y;
                }
            } else {
                for (int i = ro; i < end; i++) {
                    double y = b[i];
                    r[i] = a[i] * (1 - y * y);
                }
            }
            return r;
        }
        return switch (f) {
            case ADD -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] + b[bo + i]; yield r; }
            case SUB -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] - b[bo + i]; yield r; }
            case MUL -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] * b[bo + i]; yield r; }
            case DIV -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] / b[bo + i]; yield r; }
            case SIGMOID_GRAD -> { for (int i = 0; i < n; i++) { double y = b[bo + i]; r[ro + i] = a[ao + i] * (1 - y) * y; } yield r; }
            case TANH_GRAD -> { for (int i = 0; i < n; i++) { double y = b[bo + i]; r[ro + i] = a[ao + i] * (1 - y * y); } yield r; }
            case GELU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = geluGrad(a[ao + i], b[bo + i]); yield r; }
            case SILU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = siluGrad(a[ao + i], b[bo + i]); yield r; }
            case RELU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = reluGrad(a[ao + i], b[bo + i]); yield r; }
            case GT -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] > b[bo + i] ? 1.0 : 0.0; yield r; }
            case GE -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] >= b[bo + i] ? 1.0 : 0.0; yield r; }
            case LT -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] < b[bo + i] ? 1.0 : 0.0; yield r; }
            case LE -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] <= b[bo + i] ? 1.0 : 0.0; yield r; }
            case EQ -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] == b[bo + i] ? 1.0 : 0.0; yield r; }
            case MAXIMUM -> { for (int i = 0; i < n; i++) r[ro + i] = Math.max(a[ao + i], b[bo + i]); yield r; }
            case MINIMUM -> { for (int i = 0; i < n; i++) r[ro + i] = Math.min(a[ao + i], b[bo + i]); yield r; }
            case MAXIMUM_SHARE -> { for (int i = 0; i < n; i++) r[ro + i] = maximumShare(a[ao + i], b[bo + i]); yield r; }
            case POW -> { for (int i = 0; i < n; i++) r[ro + i] = pow(a[ao + i], b[bo + i]); yield r; }
            case LEAKY_RELU -> { for (int i = 0; i < n; i++) { double v = a[ao + i]; r[ro + i] = v > 0 ? v : v * b[bo + i]; } yield r; }
            case LEAKY_RELU_SLOPE -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] > 0 ? 1.0 : b[bo + i]; yield r; }
        };
    }

    private static double[] broadcastFirst(Binary f, double[] r, int ro, double av, double[] b, int bo, int n) {
        return switch (f) {
            case ADD -> { for (int i = 0; i < n; i++) r[ro + i] = av + b[bo + i]; yield r; }
            case SUB -> { for (int i = 0; i < n; i++) r[ro + i] = av - b[bo + i]; yield r; }
            case MUL -> { for (int i = 0; i < n; i++) r[ro + i] = av * b[bo + i]; yield r; }
            case DIV -> { for (int i = 0; i < n; i++) r[ro + i] = av / b[bo + i]; yield r; }
            case SIGMOID_GRAD -> { for (int i = 0; i < n; i++) { double y = b[bo + i]; r[ro + i] = av * (1 - y) * y; } yield r; }
            case TANH_GRAD -> { for (int i = 0; i < n; i++) { double y = b[bo + i]; r[ro + i] = av * (1 - y * y); } yield r; }
            case GELU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = geluGrad(av, b[bo + i]); yield r; }
            case SILU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = siluGrad(av, b[bo + i]); yield r; }
            case RELU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = reluGrad(av, b[bo + i]); yield r; }
            case GT -> { for (int i = 0; i < n; i++) r[ro + i] = av > b[bo + i] ? 1.0 : 0.0; yield r; }
            case GE -> { for (int i = 0; i < n; i++) r[ro + i] = av >= b[bo + i] ? 1.0 : 0.0; yield r; }
            case LT -> { for (int i = 0; i < n; i++) r[ro + i] = av < b[bo + i] ? 1.0 : 0.0; yield r; }
            case LE -> { for (int i = 0; i < n; i++) r[ro + i] = av <= b[bo + i] ? 1.0 : 0.0; yield r; }
            case EQ -> { for (int i = 0; i < n; i++) r[ro + i] = av == b[bo + i] ? 1.0 : 0.0; yield r; }
            case MAXIMUM -> { for (int i = 0; i < n; i++) r[ro + i] = Math.max(av, b[bo + i]); yield r; }
            case MINIMUM -> { for (int i = 0; i < n; i++) r[ro + i] = Math.min(av, b[bo + i]); yield r; }
            case MAXIMUM_SHARE -> { for (int i = 0; i < n; i++) r[ro + i] = maximumShare(av, b[bo + i]); yield r; }
            case POW -> { for (int i = 0; i < n; i++) r[ro + i] = pow(av, b[bo + i]); yield r; }
            case LEAKY_RELU -> { for (int i = 0; i < n; i++) { double v = av; r[ro + i] = v > 0 ? v : v * b[bo + i]; } yield r; }
            case LEAKY_RELU_SLOPE -> { for (int i = 0; i < n; i++) r[ro + i] = av > 0 ? 1.0 : b[bo + i]; yield r; }
        };
    }

    private static double[] broadcastSecond(Binary f, double[] r, int ro, double[] a, int ao, int sa, double bv, int n) {
        return switch (f) {
            case ADD -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] + bv; yield r; }
            case SUB -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] - bv; yield r; }
            case MUL -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] * bv; yield r; }
            case DIV -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] / bv; yield r; }
            case SIGMOID_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] * (1 - bv) * bv; yield r; }
            case TANH_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] * (1 - bv * bv); yield r; }
            case GELU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = geluGrad(a[ao + i * sa], bv); yield r; }
            case SILU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = siluGrad(a[ao + i * sa], bv); yield r; }
            case RELU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = reluGrad(a[ao + i * sa], bv); yield r; }
            case GT -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] > bv ? 1.0 : 0.0; yield r; }
            case GE -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] >= bv ? 1.0 : 0.0; yield r; }
            case LT -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] < bv ? 1.0 : 0.0; yield r; }
            case LE -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] <= bv ? 1.0 : 0.0; yield r; }
            case EQ -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] == bv ? 1.0 : 0.0; yield r; }
            case MAXIMUM -> { for (int i = 0; i < n; i++) r[ro + i] = Math.max(a[ao + i * sa], bv); yield r; }
            case MINIMUM -> { for (int i = 0; i < n; i++) r[ro + i] = Math.min(a[ao + i * sa], bv); yield r; }
            case MAXIMUM_SHARE -> { for (int i = 0; i < n; i++) r[ro + i] = maximumShare(a[ao + i * sa], bv); yield r; }
            case POW -> { for (int i = 0; i < n; i++) r[ro + i] = pow(a[ao + i * sa], bv); yield r; }
            case LEAKY_RELU -> { for (int i = 0; i < n; i++) { double v = a[ao + i * sa]; r[ro + i] = v > 0 ? v : v * bv; } yield r; }
            case LEAKY_RELU_SLOPE -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] > 0 ? 1.0 : bv; yield r; }
        };
    }

    private static double[] strided(Binary f, double[] r, int ro, double[] a, int ao, int sa, double[] b, int bo, int sb, int n) {
        return switch (f) {
            case ADD -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] + b[bo + i * sb]; yield r; }
            case SUB -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] - b[bo + i * sb]; yield r; }
            case MUL -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] * b[bo + i * sb]; yield r; }
            case DIV -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] / b[bo + i * sb]; yield r; }
            case SIGMOID_GRAD -> { for (int i = 0; i < n; i++) { double y = b[bo + i * sb]; r[ro + i] = a[ao + i * sa] * (1 - y) * y; } yield r; }
            case TANH_GRAD -> { for (int i = 0; i < n; i++) { double y = b[bo + i * sb]; r[ro + i] = a[ao + i * sa] * (1 - y * y); } yield r; }
            case GELU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = geluGrad(a[ao + i * sa], b[bo + i * sb]); yield r; }
            case SILU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = siluGrad(a[ao + i * sa], b[bo + i * sb]); yield r; }
            case RELU_GRAD -> { for (int i = 0; i < n; i++) r[ro + i] = reluGrad(a[ao + i * sa], b[bo + i * sb]); yield r; }
            case GT -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] > b[bo + i * sb] ? 1.0 : 0.0; yield r; }
            case GE -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] >= b[bo + i * sb] ? 1.0 : 0.0; yield r; }
            case LT -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] < b[bo + i * sb] ? 1.0 : 0.0; yield r; }
            case LE -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] <= b[bo + i * sb] ? 1.0 : 0.0; yield r; }
            case EQ -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] == b[bo + i * sb] ? 1.0 : 0.0; yield r; }
            case MAXIMUM -> { for (int i = 0; i < n; i++) r[ro + i] = Math.max(a[ao + i * sa], b[bo + i * sb]); yield r; }
            case MINIMUM -> { for (int i = 0; i < n; i++) r[ro + i] = Math.min(a[ao + i * sa], b[bo + i * sb]); yield r; }
            case MAXIMUM_SHARE -> { for (int i = 0; i < n; i++) r[ro + i] = maximumShare(a[ao + i * sa], b[bo + i * sb]); yield r; }
            case POW -> { for (int i = 0; i < n; i++) r[ro + i] = pow(a[ao + i * sa], b[bo + i * sb]); yield r; }
            case LEAKY_RELU -> { for (int i = 0; i < n; i++) { double v = a[ao + i * sa]; r[ro + i] = v > 0 ? v : v * b[bo + i * sb]; } yield r; }
            case LEAKY_RELU_SLOPE -> { for (int i = 0; i < n; i++) r[ro + i] = a[ao + i * sa] > 0 ? 1.0 : b[bo + i * sb]; yield r; }
        };
    }
}
