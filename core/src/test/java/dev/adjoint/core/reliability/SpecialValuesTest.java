package dev.adjoint.core.reliability;

import static dev.adjoint.core.CaseFiles.numbers;
import static dev.adjoint.core.CaseFiles.readCases;
import static dev.adjoint.core.CaseFiles.shape;
import static dev.adjoint.core.CaseFiles.shapeWords;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Every op of {@link Tensor} on special inputs (signed zeros, infinities, NaN, subnormals, huge and
 * tiny magnitudes, clamp bounds far from the data) against PyTorch 1.13 float64, values and
 * gradients, as recorded by src/test/python/generate_special_values.py in special-values.txt.
 *
 * <p>Two numbers agree when they are both NaN, or have the same bits (so +0 and -0 differ), or are
 * finite, non-zero and within 1e-12 of each other relatively. Elementwise ops run twice, on the
 * recorded inputs and on the inputs repeated to 108 elements, so that both the scalar loops and
 * the vector math kernel (runs of 64 and more) are compared.
 *
 * <p>Where Adjoint deliberately answers differently, {@link #KNOWN} says where and why; a known
 * difference that no longer occurs fails the test too, so the list stays true.
 */
class SpecialValuesTest {
    private static final double RTOL = 1e-12;
    private static final int TILES = 3;

    /** A deliberate difference from PyTorch: the op, which output (value or grad), and the reason. */
    record Known(String op, String output, Where where, String reason) {
    }

    /**
     * Whether a difference at one element is the documented one, given the case's header words, its
     * inputs at that element (NaN for an input of another size), Adjoint's and PyTorch's numbers.
     */
    interface Where {
        boolean test(String[] header, double[] at, double actual, double expected);
    }

    private static final double MAX = Double.MAX_VALUE;

    private static final List<Known> KNOWN = List.of(
            new Known("clamp", "grad", (h, at, a, e) -> a == 0 && (at[0] == Double.parseDouble(h[2]) || at[0] == Double.parseDouble(h[3])),
                    "at a bound clamp's gradient is 0 (documented: 1 strictly inside only, a kink like relu's at 0); PyTorch's is 1"),
            new Known("relu", "grad", (h, at, a, e) -> Double.isNaN(at[0]) && a == 0,
                    "at NaN relu's gradient is the mask [x > 0] = 0; PyTorch's threshold_backward tests x <= 0 and passes 1; "
                            + "neither means anything, and 0 keeps a NaN input from reaching the gradient twice"),
            new Known("sigmoid", "", (h, at, a, e) -> at[0] == -745 && a == Double.MIN_VALUE && e == 0,
                    "sigmoid(-745) = e^-745 / (1 + e^-745) rounds to the least subnormal, which Adjoint gives; PyTorch's 1 / (1 + e^745) "
                            + "overflows to 1 / inf = 0"),
            new Known("softplus", "value", (h, at, a, e) -> at[0] == -745 && a == Double.MIN_VALUE && e == 0,
                    "softplus(-745) = log1p(e^-745) rounds to the least subnormal, which Adjoint gives; PyTorch flushes it to 0"),
            new Known("softplus", "", (h, at, a, e) -> at[0] > 20 && Math.abs(a - e) <= 1e-8 * Math.abs(e),
                    "PyTorch's softplus returns x itself (and gradient 1) above its threshold 20, an error of e^-x (1e-9 at 20.5); "
                            + "Adjoint computes max(x, 0) + log1p(e^-|x|) and the sigmoid, accurate everywhere"),
            new Known("log1p", "value", (h, at, a, e) -> (Math.abs(at[0]) == Double.MIN_VALUE && a == at[0]) || (at[0] == MAX && a == Math.log(MAX)),
                    "log1p(x) = x for the least subnormal and log1p(MAX) = 709.78 (finite), as Java's and C's log1p give; "
                            + "PyTorch's vectorized log1p returns 0 and inf there"),
            new Known("tanh", "grad", (h, at, a, e) -> Math.abs(at[0]) > 18 && Math.abs(a) < 1e-15 && Math.abs(e) < 1e-15,
                    "near saturation 1 - tanh(x)^2 is the rounding of tanh(x): Java's tanh(19) is the correctly rounded 1 - 2^-53 "
                            + "(gradient 2.8e-16, the true one 2.5e-16); glibc's is 1.0 (gradient 0)"),
            new Known("logsumexp", "grad", (h, at, a, e) -> Math.abs(at[0]) == MAX,
                    "PyTorch's gradient exp(x - result) is 1 per element when result = x + log(count) rounds back to x (at "
                            + "+-MAX), summing to more than the weight; Adjoint's is the softmax, 1/count each, exact"),
            new Known("log_softmax", "grad", (h, at, a, e) -> a == 0 && Math.abs(e) < 1e-15,
                    "the gradient g - exp(y) sum(g) cancels to 0 on a row of equal values; Adjoint's fused kernel gets exactly 0, "
                            + "PyTorch keeps the rounding of exp(log(1/3))"),
            new Known("sum_axis", "value", (h, at, a, e) -> Double.doubleToLongBits(a) == Double.doubleToLongBits(-0.0) && e == 0,
                    "the IEEE sum of negative zeros is -0 (as Adjoint's and PyTorch's sum() of all elements give); PyTorch's "
                            + "sum along a dim starts from +0"),
            new Known("mean_axis", "value", (h, at, a, e) -> Double.doubleToLongBits(a) == Double.doubleToLongBits(-0.0) && e == 0,
                    "mean = sum / count: the sum of negative zeros is -0 (see sum_axis)"),
            new Known("pow", "", (h, at, a, e) -> Set.of("0.5", "-0.5", "1.5").contains(h[2])
                            && (Double.doubleToLongBits(at[0]) == Double.doubleToLongBits(-0.0) || at[0] == Double.NEGATIVE_INFINITY),
                    "Adjoint's pow is C99's (and NumPy's): pow(-0, 0.5) = +0, pow(-inf, 0.5) = +inf, pow(-0, -0.5) = +inf; "
                            + "PyTorch computes x^0.5 as sqrt(x) (-0, NaN) and x^-0.5 as 1/sqrt(x); 1.5's gradient takes x^0.5"),
            new Known("silu", "", (h, at, a, e) -> at[0] == -745 && Math.abs(a) < 1e-320 && e == 0,
                    "silu(-745) = -745 sigmoid(-745) with sigmoid's least subnormal (see sigmoid) is -3.7e-321, and its gradient "
                            + "likewise; PyTorch's x / (1 + e^745) is -0"),
            new Known("maximum", "value", (h, at, a, e) -> a == 0 && e == 0 && at[0] == 0 && at[1] == 0,
                    "Adjoint's maximum is Math.max, IEEE 754-2019's maximum: +0 above -0 in either order; PyTorch's vectorized "
                            + "kernel returns its second operand at equal values (-0 for maximum(+0, -0)), its scalar loop the first"),
            new Known("minimum", "value", (h, at, a, e) -> a == 0 && e == 0 && at[0] == 0 && at[1] == 0,
                    "Adjoint's minimum is Math.min: -0 below +0 in either order; PyTorch's vectorized kernel returns its second "
                            + "operand at equal values (+0 for minimum(-0, +0))"),
            new Known("pow", "value", (h, at, a, e) -> h[2].equals("tensor") && at[0] == MAX && at[1] == 1 && a == MAX,
                    "MAX^1 is MAX (Math.pow, exact); PyTorch's vectorized pow with a tensor exponent overflows to infinity there"),
            new Known("sumSquaredDifference", "grad", (h, at, a, e) -> Double.isInfinite(e) && Math.abs(a) >= 1e308,
                    "the fused backward scales a - b by 2g once (2 x 0.5 here, exactly MAX); the composite PyTorch ran doubles "
                            + "a - b first and overflows"));

    @Test
    void everyOpMatchesPyTorchOnSpecialValues() throws IOException {
        List<List<String>> cases = readCases("/special-values.txt");
        assertTrue(cases.size() >= 250, "expected the recorded cases, found " + cases.size());
        List<String> failures = new ArrayList<>();
        Set<String> opsSeen = new TreeSet<>();
        Set<Known> used = new java.util.HashSet<>();
        for (List<String> c : cases) {
            String[] header = c.get(0).split(" ");
            opsSeen.add(header[1]);
            replay(c, 1, failures, used);
            if (ELEMENTWISE.contains(header[1])) {
                replay(c, TILES, failures, used);
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " disagreements with PyTorch:\n" + String.join("\n", failures));
        Set<Known> stale = new java.util.HashSet<>(KNOWN);
        stale.removeAll(used);
        assertTrue(stale.isEmpty(), "documented differences that no longer occur: " + stale);
        assertTrue(opsSeen.containsAll(Set.of("clamp", "logsumexp", "matmul", "pow", "softplus")), opsSeen.toString());
    }

    @Test
    void clampIsTheIdentityInsideItsRange() {
        double[] x = {123.456, -0.0, 1e-300, Math.PI, 99_999.99999};
        assertTrue(Arrays.equals(x, Tensor.of(x, 5).clamp(-1e17, 1e17).toArray()), "clamp to [-1e17, 1e17] changed "
                + Arrays.toString(x) + " to " + Arrays.toString(Tensor.of(x, 5).clamp(-1e17, 1e17).toArray()));
        double v = Tensor.scalar(123.456).clamp(0, 1e17).item();
        assertTrue(v == 123.456, "clamp(123.456, 0, 1e17) gave " + v);
    }

    @Test
    void logSumExpOfInfinitiesIsInfinite() {
        double inf = Double.POSITIVE_INFINITY;
        Tensor all = Tensor.of(new double[] {-inf, -inf, -inf}, 3);
        Tensor any = Tensor.of(new double[] {1, inf, -inf}, 3);
        assertTrue(all.logSumExp(0, false).item() == -inf, "logSumExp of all -inf gave " + all.logSumExp(0, false).item());
        assertTrue(any.logSumExp(0, false).item() == inf, "logSumExp of [1, inf, -inf] gave " + any.logSumExp(0, false).item());
    }

    private static final Set<String> ELEMENTWISE = Set.of("neg", "exp", "log", "log1p", "sqrt", "abs", "sin", "cos", "tanh",
            "sigmoid", "relu", "softplus", "add_s", "sub_s", "mul_s", "div_s", "pow", "clamp", "erf", "gelu", "silu", "leakyRelu");

    /** Runs one recorded case with each input repeated {@code tiles} times and compares. */
    private static void replay(List<String> lines, int tiles, List<String> failures, Set<Known> used) {
        String[] header = lines.get(0).split(" ");
        String op = header[1];
        List<Tensor> inputs = new ArrayList<>();
        List<double[]> expected = new ArrayList<>();
        int[] valueShape = null;
        for (String line : lines.subList(1, lines.size() - 1)) {
            String[] w = line.split(" ");
            switch (w[0]) {
                case "input" -> inputs.add(Tensor.of(tile(numbers(w, 1 + shapeWords(w, 1)), tiles), tiled(shape(w, 1), tiles))
                        .requiresGrad(true));
                case "value" -> {
                    valueShape = tiled(shape(w, 1), tiles);
                    expected.add(tile(numbers(w, 1 + shapeWords(w, 1)), tiles));
                }
                case "grad" -> expected.add(tile(numbers(w, 1), tiles));
                default -> throw new IllegalStateException("unknown line in special-values.txt: " + line);
            }
        }
        String name = String.join(" ", header).substring("case ".length()) + (tiles > 1 ? " (x" + tiles + ")" : "");
        Tensor out;
        try {
            out = op(header, inputs);
        } catch (RuntimeException e) {
            failures.add(name + ": threw " + e);
            return;
        }
        if (!Arrays.equals(out.shape(), valueShape)) {
            failures.add(name + ": shape " + Arrays.toString(out.shape()) + ", PyTorch " + Arrays.toString(valueShape));
            return;
        }
        compare(name, op, "value", inputs, out.toArray(), expected.get(0), failures, used);
        double[] w = new double[out.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = 0.5 + 0.25 * (i % 4);
        }
        out.mul(Tensor.of(w, out.shape())).sum().backward();
        for (int k = 0; k < inputs.size(); k++) {
            Tensor g = inputs.get(k).grad();
            double[] actual = g == null ? new double[inputs.get(k).size()] : g.toArray();
            compare(name, op, "grad of input " + k, inputs, actual, expected.get(1 + k), failures, used);
        }
    }

    private static Tensor op(String[] h, List<Tensor> in) {
        Tensor x = in.get(0);
        Function<Integer, Double> p = i -> Double.parseDouble(h[i]);
        return switch (h[1]) {
            case "neg" -> x.neg();
            case "exp" -> x.exp();
            case "log" -> x.log();
            case "log1p" -> x.log1p();
            case "sqrt" -> x.sqrt();
            case "abs" -> x.abs();
            case "sin" -> x.sin();
            case "cos" -> x.cos();
            case "tanh" -> x.tanh();
            case "sigmoid" -> x.sigmoid();
            case "relu" -> x.relu();
            case "softplus" -> x.softplus();
            case "add" -> x.add(in.get(1));
            case "sub" -> x.sub(in.get(1));
            case "mul" -> x.mul(in.get(1));
            case "div" -> x.div(in.get(1));
            case "sumSquaredDifference" -> x.sumSquaredDifference(in.get(1));
            case "add_s" -> x.add(p.apply(2));
            case "sub_s" -> x.sub(p.apply(2));
            case "mul_s" -> x.mul(p.apply(2));
            case "div_s" -> x.div(p.apply(2));
            case "pow" -> h[2].equals("tensor") ? x.pow(in.get(1)) : x.pow(p.apply(2));
            case "erf" -> x.erf();
            case "gelu" -> x.gelu();
            case "silu" -> x.silu();
            case "leakyRelu" -> x.leakyRelu(p.apply(2));
            case "maximum" -> x.maximum(in.get(1));
            case "minimum" -> x.minimum(in.get(1));
            case "where" -> Tensor.where(x, in.get(1), in.get(2));
            case "clamp" -> x.clamp(p.apply(2), p.apply(3));
            case "sum" -> x.sum();
            case "mean" -> x.mean();
            case "sum_axis" -> x.sum(0, false);
            case "mean_axis" -> x.mean(0, false);
            case "max_axis" -> x.max(0, false);
            case "logsumexp" -> x.logSumExp(0, false);
            case "softmax" -> x.softmax(0);
            case "log_softmax" -> x.logSoftmax(0);
            case "matmul" -> x.matmul(in.get(1));
            case "affine" -> x.affine(in.get(1), in.get(2));
            case "transpose" -> x.transpose();
            case "reshape" -> x.reshape(-1);
            case "expand" -> x.expand(2, 3);
            case "sumTo" -> x.sumTo(1, 3);
            case "narrow" -> x.narrow(1, 1, 2);
            case "select" -> x.select(1, 2);
            case "concat" -> Tensor.concat(List.of(x, in.get(1)), 1);
            case "softmaxCrossEntropy" -> x.softmaxCrossEntropy(Tensor.of(numbers(h, 2), x.shape()));
            default -> throw new IllegalArgumentException("unknown op in special-values.txt: " + h[1]);
        };
    }

    private static void compare(String name, String op, String output, List<Tensor> inputs, double[] actual, double[] expected,
                                List<String> failures, Set<Known> used) {
        if (actual.length != expected.length) {
            failures.add(name + ": " + output + " has " + actual.length + " elements, PyTorch " + expected.length);
            return;
        }
        for (int i = 0; i < actual.length; i++) {
            if (agree(actual[i], expected[i])) {
                continue;
            }
            double[] at = new double[inputs.size()];
            for (int k = 0; k < at.length; k++) {
                Tensor t = inputs.get(k);
                at[k] = t.size() == actual.length ? t.toArray()[i] : Double.NaN;
            }
            double a = actual[i];
            double e = expected[i];
            String[] header = ("case " + name).split(" ");
            Known known = KNOWN.stream().filter(k -> k.op().equals(op) && output.startsWith(k.output()) && k.where().test(header, at, a, e))
                    .findFirst().orElse(null);
            if (known != null) {
                used.add(known);
                continue;
            }
            failures.add(name + ": " + output + "[" + i + "] at input " + Arrays.toString(at) + ": Adjoint " + actual[i]
                    + ", PyTorch " + expected[i]);
        }
    }

    static boolean agree(double actual, double expected) {
        if (Double.isNaN(actual) || Double.isNaN(expected)) {
            return Double.isNaN(actual) && Double.isNaN(expected);
        }
        if (Double.doubleToLongBits(actual) == Double.doubleToLongBits(expected)) {
            return true;
        }
        return Double.isFinite(expected) && expected != 0 && Math.abs(actual - expected) <= RTOL * Math.abs(expected);
    }

    private static double[] tile(double[] v, int tiles) {
        double[] out = new double[v.length * tiles];
        for (int t = 0; t < tiles; t++) {
            System.arraycopy(v, 0, out, t * v.length, v.length);
        }
        return out;
    }

    private static int[] tiled(int[] shape, int tiles) {
        int[] s = shape.clone();
        if (tiles > 1) {
            s[0] *= tiles;
        }
        return s;
    }
}
