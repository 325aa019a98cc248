package dev.adjoint.core.gradcheck;

import dev.adjoint.core.CustomOp;
import dev.adjoint.core.gradcheck.FiniteDifferences.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Names the classic backward mistakes from the shape of the error, so a failing check says what
 * is probably wrong instead of only where: a gradient off by a constant factor (2x, 0.5x, a
 * flipped sign), a transposed gradient, a missing broadcast sum, a gradient that is missing
 * (zero) or that went to the wrong input. Each test is strict (every element must fit) so that a
 * single wrong element is never mislabelled.
 */
final class MistakeClassifier {
    /** How close an estimated factor must be to an integer or its reciprocal to be called "exactly". */
    private static final double EXACT = 1e-4;

    private MistakeClassifier() {
    }

    /**
     * Findings for the failed inputs of a full-Jacobian check.
     *
     * @param analytic [input][output element][input element]
     * @param numeric the same layout, measured
     * @param kink elements to ignore
     * @param failed which checked inputs had a confirmed mismatch
     * @param shapes the checked inputs' shapes
     * @param listIndex each checked input's position in the caller's list
     */
    static List<String> diagnose(double[][][] analytic, double[][][] numeric, boolean[][][] kink, boolean[] failed,
                                 List<int[]> shapes, int[] listIndex, int[] outputShape, double atol, double rtol) {
        List<String> out = new ArrayList<>();
        for (int c = 0; c < failed.length; c++) {
            if (!failed[c]) {
                continue;
            }
            double[] a = flatten(analytic[c], kink[c]);
            double[] n = flatten(numeric[c], kink[c]);
            String who = "input " + listIndex[c] + " " + Arrays.toString(shapes.get(c));
            if (maxAbs(a) <= atol && maxAbs(n) > atol) {
                out.add(who + ": the analytic gradient is zero but the numeric one is not: the backward returns zeros or"
                        + " null for this input, or the graph is cut (detach, noGrad) between it and the output");
                continue;
            }
            if (maxAbs(n) <= atol && maxAbs(a) > atol) {
                out.add(who + ": the analytic gradient is non-zero but the function does not change with this input:"
                        + " the backward sends a gradient where there is none (to the wrong input?)");
            }
            double factor = dot(a, n) / dot(n, n);
            if (Double.isFinite(factor) && Math.abs(factor - 1) > 10 * rtol && fits(a, n, factor, atol, rtol)) {
                out.add(who + ": analytic = " + fmt(factor) + " x numeric for every element: "
                        + describeFactor(factor, shapes.get(c), outputShape));
                continue;
            }
            if (transposed(analytic[c], numeric[c], shapes.get(c), atol, rtol)) {
                out.add(who + ": the analytic gradient is the transpose of the numeric one (its last two axes are swapped):"
                        + " the backward returns the gradient transposed, e.g. b.matmul(g.transpose()) where g.matmul(b.transpose()) was meant");
                continue;
            }
            for (int d = 0; d < failed.length; d++) {
                if (d != c && Arrays.equals(shapes.get(c), shapes.get(d))
                        && fits(a, flatten(numeric[d], kink[d]), 1, atol, rtol)) {
                    out.add(who + ": the analytic gradient matches the numeric gradient of input " + listIndex[d]
                            + ": the backward returns the gradients in the wrong order (swapped inputs)");
                    break;
                }
            }
        }
        return out;
    }

    /** In random-direction mode: a constant ratio over all directions betrays a constant factor. */
    static Optional<String> describeRatios(double[] analytic, double[] numeric, Kind[] kinds, double atol) {
        List<Double> ratios = new ArrayList<>();
        for (int k = 0; k < analytic.length; k++) {
            if (kinds[k] != Kind.NON_DIFFERENTIABLE && Math.abs(numeric[k]) > atol) {
                ratios.add(analytic[k] / numeric[k]);
            }
        }
        if (ratios.size() < 2) {
            return Optional.empty();
        }
        double first = ratios.get(0);
        for (double r : ratios) {
            if (Math.abs(r - first) > 1e-3 * Math.abs(first)) {
                return Optional.empty();
            }
        }
        if (Math.abs(first - 1) <= 1e-2) {
            return Optional.empty();
        }
        return Optional.of("every direction gives analytic = " + fmt(first) + " x numeric: "
                + describeFactor(first, null, null));
    }

    /** Explains a backward that returned a gradient of the wrong shape. */
    static String describeShapeMistake(CustomOp op, int input, int[] gradientShape, int[] inputShape) {
        String where = "the backward of " + op.name() + " returned a gradient of shape " + Arrays.toString(gradientShape)
                + " for its input " + input + " of shape " + Arrays.toString(inputShape);
        if (canExpand(inputShape, gradientShape)) {
            return "missing broadcast sum: " + where + ", which is the shape after broadcasting; sum the gradient back"
                    + " over the broadcast axes, e.g. grad.sumTo(" + Arrays.toString(inputShape).replaceAll("[\\[\\]]", "") + ")";
        }
        if (isReversedMatrix(gradientShape, inputShape)) {
            return "transposed gradient: " + where + "; transpose it (or the factor it was computed from)";
        }
        if (size(gradientShape) == size(inputShape)) {
            return "wrong layout: " + where + "; the number of elements is right, so a reshape to the input's shape is missing";
        }
        return "wrong shape: " + where + "; a backward must return one gradient per input, of that input's shape";
    }

    /** Words for a constant factor between analytic and numeric gradients. */
    static String describeFactor(double factor, int[] inputShape, int[] outputShape) {
        long k = Math.round(factor);
        long inv = Math.round(1 / factor);
        if (k != 0 && Math.abs(factor - k) <= EXACT * Math.abs(factor)) {
            if (k == -1) {
                return "the sign is flipped";
            }
            if (k == 2) {
                return "off by exactly 2x: a term counted twice, or a missing 1/2";
            }
            return "off by exactly " + k + "x";
        }
        if (inv != 0 && Math.abs(1 / factor - inv) <= EXACT * Math.abs(1 / factor)) {
            String broadcast = broadcastCopies(inputShape, outputShape) == inv
                    ? "; the input is broadcast " + inv + "-fold to the output " + Arrays.toString(outputShape)
                    + ", so this is a missing broadcast sum (the backward averaged or kept one copy instead of summing)"
                    : "; if this input is broadcast " + inv + "-fold inside the op, the backward is missing the broadcast sum"
                    + " (it averaged or kept one copy instead of summing)";
            if (inv == 2) {
                return "off by exactly 0.5x: a missing factor 2 (like d(x^2)/dx = 2x written as x)" + broadcast;
            }
            if (inv == -1) {
                return "the sign is flipped";
            }
            return "off by exactly 1/" + inv + broadcast;
        }
        return "a constant factor is wrong (a scale, a mean instead of a sum, or a stray constant in the backward)";
    }

    private static long broadcastCopies(int[] inputShape, int[] outputShape) {
        if (inputShape == null || outputShape == null || !canExpand(inputShape, outputShape)) {
            return -1;
        }
        long in = size(inputShape);
        return in == 0 ? -1 : size(outputShape) / in;
    }

    /** Whether {@code from} broadcasts to {@code to} (NumPy's rule, aligned at the last axis). */
    private static boolean canExpand(int[] from, int[] to) {
        if (from.length > to.length) {
            return false;
        }
        int lead = to.length - from.length;
        for (int i = 0; i < from.length; i++) {
            if (from[i] != to[lead + i] && from[i] != 1) {
                return false;
            }
        }
        return true;
    }

    /** The number of elements of a tensor of this shape. */
    private static long size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    private static boolean transposed(double[][] a, double[][] n, int[] shape, double atol, double rtol) {
        if (shape.length < 2) {
            return false;
        }
        int p = shape[shape.length - 2];
        int q = shape[shape.length - 1];
        int block = p * q;
        if (block < 2) {
            return false;
        }
        for (int r = 0; r < a.length; r++) {
            for (int b = 0; b + block <= a[r].length; b += block) {
                for (int i = 0; i < p; i++) {
                    for (int j = 0; j < q; j++) {
                        // The analytic block read as a q x p matrix, transposed, against the numeric p x q block.
                        double x = a[r][b + j * p + i];
                        double y = n[r][b + i * q + j];
                        if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
                            return false;
                        }
                    }
                }
            }
        }
        return true;
    }

    private static boolean isReversedMatrix(int[] g, int[] x) {
        if (g.length != x.length || g.length < 2) {
            return false;
        }
        int r = g.length;
        return g[r - 1] == x[r - 2] && g[r - 2] == x[r - 1] && Arrays.equals(Arrays.copyOf(g, r - 2), Arrays.copyOf(x, r - 2));
    }

    private static boolean fits(double[] a, double[] n, double factor, double atol, double rtol) {
        if (maxAbs(n) <= atol) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            double expected = factor * n[i];
            if (!(Math.abs(a[i] - expected) <= atol + rtol * Math.abs(expected))) {
                return false;
            }
        }
        return true;
    }

    private static double[] flatten(double[][] rows, boolean[][] skip) {
        int n = 0;
        for (double[] row : rows) {
            n += row.length;
        }
        double[] out = new double[n];
        int k = 0;
        for (int r = 0; r < rows.length; r++) {
            for (int j = 0; j < rows[r].length; j++) {
                // Kinks carry no information about the backward: zero them in both arrays alike.
                out[k++] = skip != null && skip[r][j] ? 0 : rows[r][j];
            }
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double d : a) {
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    private static String fmt(double d) {
        return String.format(java.util.Locale.ROOT, "%.6g", d);
    }
}
