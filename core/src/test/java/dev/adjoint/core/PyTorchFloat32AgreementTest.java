package dev.adjoint.core;

import static dev.adjoint.core.CaseFiles.shape;
import static dev.adjoint.core.CaseFiles.shapeWords;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Replays the float32 corpus (src/test/python/generate_float32_cases.py): every program of the
 * float64 corpora ({@code op-cases/}, {@code pytorch-cases.txt}) and of op_cases_float32.py (the
 * dtype conversion and the ops the float64 corpora leave out), run by PyTorch 1.13 in float32 on
 * float32 inputs. Adjoint runs each with float32 tensors; every register, the value, each gradient
 * and each Hessian-vector product must be float32 (but for what a recorded {@code to} converts),
 * and must agree with PyTorch's float32 numbers.
 *
 * <p>The forward mode is checked against the same numbers: for tangents v (the recorded directions,
 * or seeded random ones), {@code sum(weight * J v)} from {@link Autograd#jvp} must equal the sum
 * over inputs of {@code <grad, v>} with PyTorch's gradients, to the case's tolerance times the
 * magnitude of the terms (both sides are dot products), plus the absolute tolerance below times
 * the sum of |v| (the uncertainty of the recorded gradients).
 *
 * <p>The tolerance of a case comes from its recorded condition k: by how many float32 ulps
 * (2^-23 relative) PyTorch's own float32 run strays from the float64 run of the same program on the
 * same inputs, at its worst element. Where k is at most 84 ulps (1e-5) float32 roundoff is benign
 * and every element must agree to 1e-5 relative. Where k is larger the program cancels (a gradient
 * that sums to nearly zero, a variance of nearly equal values) and two correct float32
 * implementations legitimately differ by about as much as either differs from the exact answer,
 * so the case's relative tolerance is 4 k ulps; past 1e-3 (k over 2097 ulps) the comparison says
 * nothing and the case is skipped by name, with its k, in the report this test prints. Skipped
 * cases still have to run and produce float32 results of the right shapes.
 *
 * <p>An element much smaller than the case's other numbers is the residue of a cancellation of
 * terms of their size, which float32 computes to an ulp of that size, not of its own: every
 * element may also differ by 8 ulps of the case's scale (its largest recorded value, gradient or
 * Hessian-vector product element), as {@code atol} complements {@code rtol} in numpy's allclose.
 * (The norm of a scalar has a Hessian of exactly 0, which PyTorch computes as 0 and Adjoint, in
 * float32, as 1/|x| - x^2/|x|^3 = -3e-8.)
 */
public class PyTorchFloat32AgreementTest {

    private static final double ULP = 0x1p-23;
    private static final double WELL_CONDITIONED = 1e-5;
    private static final double DERIVED_LIMIT = 1e-3;
    private static final double DERIVED_FACTOR = 4;
    private static final double SCALE_ULPS = 8;

    /** The corpus's cases, each with the op switch that reads it. */
    private record Corpus(String name, List<List<String>> cases, boolean registersByIndex) {
    }

    /** Elements compared, and those within the relative tolerance only with the absolute one (one count per thread). */
    private static final ThreadLocal<long[]> ELEMENTS = ThreadLocal.withInitial(() -> new long[2]);
    /** The largest relative difference among the elements within the relative tolerance (one per thread). */
    private static final ThreadLocal<double[]> LARGEST = ThreadLocal.withInitial(() -> new double[1]);

    /** What replaying one case found. */
    private record Outcome(String failure, double tolerance, boolean skipped) {
    }

    @Test
    void opCasesAgreeWithPyTorchFloat32() throws IOException {
        List<List<String>> cases = new ArrayList<>();
        for (String file : resourceFiles("/op-cases-float32")) {
            cases.addAll(CaseFiles.readCases("/op-cases-float32/" + file));
        }
        assertTrue(cases.size() >= PyTorchOpAgreementTest.allCases().size(),
                "expected a float32 case for every float64 op case, found " + cases.size());
        replayAll(new Corpus("op-cases-float32", cases, false));
    }

    @Test
    void randomCompositionsAgreeWithPyTorchFloat32() throws IOException {
        List<List<String>> cases = CaseFiles.readCases("/pytorch-cases-float32.txt");
        assertTrue(cases.size() >= CaseFiles.readCases("/pytorch-cases.txt").size(),
                "expected a float32 case for every float64 composition, found " + cases.size());
        replayAll(new Corpus("pytorch-cases-float32.txt", cases, true));
    }

    /** The op words the float32 corpus records (for OpCoverageTest). */
    public static List<String> recordedOps() throws IOException {
        List<String> ops = new ArrayList<>();
        List<List<String>> cases = new ArrayList<>(CaseFiles.readCases("/pytorch-cases-float32.txt"));
        for (String file : resourceFiles("/op-cases-float32")) {
            cases.addAll(CaseFiles.readCases("/op-cases-float32/" + file));
        }
        for (List<String> c : cases) {
            for (String line : c) {
                String[] w = line.split(" ");
                if (w.length > 2 && w[1].equals("=")) {
                    ops.add(w[2]);
                }
            }
        }
        return ops;
    }

    private static List<String> resourceFiles(String dir) throws IOException {
        Path path;
        try {
            path = Path.of(Objects.requireNonNull(PyTorchFloat32AgreementTest.class.getResource(dir), dir).toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        try (Stream<Path> files = Files.list(path)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".txt")).sorted().toList();
        }
    }

    private static void replayAll(Corpus corpus) {
        List<String> failures = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        long[] elements = ELEMENTS.get();
        elements[0] = 0;
        elements[1] = 0;
        LARGEST.get()[0] = 0;
        int wellConditioned = 0;
        int derived = 0;
        double loosest = 0;
        for (List<String> c : corpus.cases()) {
            Outcome o;
            try {
                o = replay(c, corpus.registersByIndex());
            } catch (RuntimeException e) {
                o = new Outcome("threw " + e, 0, false);
            }
            if (o.failure() != null) {
                failures.add(c.get(0) + ": " + o.failure() + "\n  " + String.join("\n  ", c));
            } else if (o.skipped()) {
                skipped.add(c.get(0) + " (" + condition(c) + " ulps)");
            } else if (o.tolerance() == WELL_CONDITIONED) {
                wellConditioned++;
            } else {
                derived++;
                loosest = Math.max(loosest, o.tolerance());
            }
        }
        System.out.printf(Locale.ROOT, "%s: %d cases; %d well-conditioned at 1e-5, %d at a tolerance derived from their condition "
                        + "(loosest %.2g), %d skipped as ill-conditioned (PyTorch's float32 strays more than %.0e from float64): %s; "
                        + "%d elements compared, %d of them within tolerance only by the 8 ulps of their case's scale; "
                        + "the largest relative difference of the others %.3g%n",
                corpus.name(), corpus.cases().size(), wellConditioned, derived, loosest, skipped.size(), DERIVED_LIMIT, skipped,
                elements[0], elements[1], LARGEST.get()[0]);
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + corpus.cases().size() + " float32 cases disagree with PyTorch:\n"
                    + String.join("\n", failures.stream().map(f -> f.substring(0, f.indexOf('\n'))).toList()) + "\nthe first:\n" + failures.get(0));
        }
        // the skip is for the few programs that cancel, not a way out for a corpus
        assertTrue(skipped.size() * 20 <= corpus.cases().size(), "too many ill-conditioned cases skipped: " + skipped);
        assertTrue(wellConditioned * 10 >= corpus.cases().size() * 8, "fewer than 80% of the cases well-conditioned: " + wellConditioned);
    }

    private static double condition(List<String> lines) {
        for (String line : lines) {
            if (line.startsWith("condition ")) {
                String k = line.substring("condition ".length());
                return k.equals("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(k);
            }
        }
        throw new IllegalArgumentException(lines.get(0) + ": no condition line");
    }

    private static Outcome replay(List<String> lines, boolean registersByIndex) {
        double relative = condition(lines) * ULP;
        boolean skip = DERIVED_FACTOR * relative > DERIVED_LIMIT;
        double tolerance = Math.max(WELL_CONDITIONED, DERIVED_FACTOR * relative);
        double absolute = SCALE_ULPS * ULP * scale(lines);
        Map<String, Tensor> named = new HashMap<>();
        List<Tensor> registers = new ArrayList<>();
        List<Tensor> inputs = new ArrayList<>();
        List<Tensor> directions = new ArrayList<>();
        List<Tensor> grads = null;
        List<Tensor> hvps = null;
        Tensor weight = null;
        List<String[]> program = new ArrayList<>();
        List<String> inputNames = new ArrayList<>();
        Map<String, Tensor> consts = new HashMap<>();
        List<float[]> recordedGrads = new ArrayList<>();
        String valueName = null;
        for (String line : lines.subList(1, lines.size() - 1)) {
            String[] w = line.split(" ");
            String bad = null;
            switch (w[0]) {
                case "input", "const" -> {
                    Tensor t = Tensor.of(floats(w, 2 + shapeWords(w, 2)), shape(w, 2));
                    if (w[0].equals("input")) {
                        t.requiresGrad(true);
                        inputs.add(t);
                        registers.add(t);
                        inputNames.add(w[1]);
                    } else {
                        consts.put(w[1], t);
                    }
                    named.put(w[1], t);
                }
                case "weight" -> weight = Tensor.of(floats(w, 1 + shapeWords(w, 1)), shape(w, 1));
                case "value" -> {
                    valueName = w[1];
                    Tensor out = named.get(w[1]);
                    if (!Arrays.equals(out.shape(), shape(w, 2))) {
                        return new Outcome("shape " + Arrays.toString(out.shape()) + " but PyTorch has " + Arrays.toString(shape(w, 2)), tolerance, skip);
                    }
                    bad = compare("value", out, floats(w, 2 + shapeWords(w, 2)), skip ? Double.NaN : tolerance, absolute);
                    Tensor o = out;
                    grads = out.requiresGrad()
                            ? Autograd.grad(out.mul(weight).sum(), inputs, true)
                            : inputs.stream().map(x -> Tensor.zeros(o.dtype(), x.shape())).toList();
                }
                case "grad" -> {
                    recordedGrads.add(floats(w, 2));
                    bad = compare("grad of " + w[1], grads.get(index(w[1])), floats(w, 2), skip ? Double.NaN : tolerance, absolute);
                }
                case "direction" -> directions.add(Tensor.of(floats(w, 2), inputs.get(index(w[1])).shape()));
                case "hvp" -> {
                    if (hvps == null) {
                        hvps = hessianVectorProducts(inputs, grads, directions);
                    }
                    bad = compare("Hessian-vector product for " + w[1], hvps.get(index(w[1])), floats(w, 2), skip ? Double.NaN : tolerance, absolute);
                }
                case "condition" -> {
                }
                default -> {
                    Tensor r = registersByIndex ? PyTorchAgreementTest.op(w, registers) : PyTorchOpAgreementTest.op(w, named);
                    DType expected = w[2].equals("to") ? DType.valueOf(w[4].toUpperCase(Locale.ROOT)) : operandDtype(w, named);
                    if (r.dtype() != expected) {
                        return new Outcome(w[0] + " (" + w[2] + ") is " + r.dtype() + ", its operands " + expected, tolerance, skip);
                    }
                    named.put(w[0], r);
                    registers.add(r);
                    program.add(w);
                }
            }
            if (bad != null) {
                return new Outcome(bad + " (case tolerance " + tolerance + ", condition " + condition(lines) + " ulps)", tolerance, skip);
            }
        }
        if (!skip) {
            List<Tensor> tangents = directions.isEmpty() ? randomDirections(inputs, lines.get(0)) : directions;
            Program p = new Program(program, inputNames, consts, valueName, registersByIndex);
            String bad = checkTangent(p, inputs, tangents, weight, recordedGrads, tolerance, absolute);
            if (bad != null) {
                return new Outcome(bad + " (case tolerance " + tolerance + ")", tolerance, skip);
            }
        }
        return new Outcome(null, tolerance, skip);
    }

    /** A case's op lines as a function of its inputs, for the forward mode. */
    private record Program(List<String[]> lines, List<String> inputNames, Map<String, Tensor> consts, String valueName,
            boolean registersByIndex) {
        Tensor apply(List<Tensor> xs) {
            Map<String, Tensor> named = new HashMap<>(consts);
            List<Tensor> registers = new ArrayList<>(xs);
            for (int i = 0; i < xs.size(); i++) {
                named.put(inputNames.get(i), xs.get(i));
            }
            for (String[] w : lines) {
                Tensor r = registersByIndex ? PyTorchAgreementTest.op(w, registers) : PyTorchOpAgreementTest.op(w, named);
                named.put(w[0], r);
                registers.add(r);
            }
            return named.get(valueName);
        }
    }

    /**
     * The forward mode against PyTorch's reverse mode: for tangents v, sum(weight * J v) must equal
     * the sum over inputs of {@code <grad, v>} from PyTorch's recorded gradients. Both sides are dot
     * products, so the bound is the tolerance times the sum of the terms' magnitudes.
     */
    private static String checkTangent(Program p, List<Tensor> inputs, List<Tensor> tangents, Tensor weight,
            List<float[]> recordedGrads, double tolerance, double absolute) {
        Autograd.Jvp jvp = Autograd.jvp(p::apply, inputs.stream().map(Tensor::detach).toList(), tangents);
        if (jvp.tangent().dtype() != DType.FLOAT32) {
            return "the forward-mode tangent is " + jvp.tangent().dtype();
        }
        float[] t = jvp.tangent().toFloatArray();
        float[] w = weight.toFloatArray();
        double actual = 0;
        double magnitude = 0;
        for (int j = 0; j < t.length; j++) {
            actual += (double) w[j] * t[j];
            magnitude += Math.abs((double) w[j] * t[j]);
        }
        double expected = 0;
        double tangentSize = 0;
        for (int i = 0; i < inputs.size(); i++) {
            float[] g = recordedGrads.get(i);
            float[] v = tangents.get(i).toFloatArray();
            for (int k = 0; k < g.length; k++) {
                expected += (double) g[k] * v[k];
                magnitude += Math.abs((double) g[k] * v[k]);
                tangentSize += Math.abs(v[k]);
            }
        }
        // each recorded gradient element is known to the absolute tolerance, so <grad, v> to that times sum |v|
        if (!(Math.abs(actual - expected) <= tolerance * magnitude + absolute * tangentSize) && !(Double.isNaN(actual) && Double.isNaN(expected))) {
            return "forward mode: sum(weight * J v) = " + actual + " but PyTorch's <grad, v> = " + expected
                    + " (terms of magnitude " + magnitude + ")";
        }
        return null;
    }

    /** float32 tangents for a case that records none, drawn from a stream seeded by the case's name. */
    private static List<Tensor> randomDirections(List<Tensor> inputs, String header) {
        SplittableRandom rng = new SplittableRandom(header.hashCode());
        return inputs.stream().map(x -> Tensor.randn(DType.FLOAT32, rng, x.shape())).toList();
    }

    /** The largest finite magnitude among a case's recorded values, gradients and Hessian-vector products. */
    private static double scale(List<String> lines) {
        double scale = 0;
        for (String line : lines) {
            String[] w = line.split(" ");
            int from = switch (w[0]) {
                case "value" -> 2 + shapeWords(w, 2);
                case "grad", "hvp" -> 2;
                default -> w.length;
            };
            for (float f : floats(w, from)) {
                if (Float.isFinite(f)) {
                    scale = Math.max(scale, Math.abs(f));
                }
            }
        }
        return scale;
    }

    /** The dtype of an op line's first tensor operand. */
    private static DType operandDtype(String[] w, Map<String, Tensor> named) {
        for (int i = 3; i < w.length; i++) {
            Tensor t = named.get(w[i]);
            if (t != null) {
                return t.dtype();
            }
        }
        throw new IllegalArgumentException("no operand in " + String.join(" ", w));
    }

    private static List<Tensor> hessianVectorProducts(List<Tensor> inputs, List<Tensor> grads, List<Tensor> directions) {
        Tensor dot = null;
        for (int i = 0; i < inputs.size(); i++) {
            Tensor term = grads.get(i).mul(directions.get(i)).sum();
            dot = dot == null ? term : dot.add(term);
        }
        if (dot == null || !dot.requiresGrad()) {
            return inputs.stream().map(x -> Tensor.zeros(x.dtype(), x.shape())).toList();
        }
        return Autograd.grad(dot, inputs, false);
    }

    /**
     * Compares a float32 result with PyTorch's float32 numbers elementwise to the relative
     * tolerance plus the absolute one (NaN matches NaN, an infinity only itself); a NaN tolerance checks the dtype and
     * the element count only (a skipped case).
     */
    private static String compare(String what, Tensor actual, float[] expected, double tolerance, double absolute) {
        if (actual.dtype() != DType.FLOAT32) {
            return what + " is " + actual.dtype() + ", not float32";
        }
        float[] a = actual.toFloatArray();
        if (a.length != expected.length) {
            return what + ": " + a.length + " elements, PyTorch " + expected.length;
        }
        if (Double.isNaN(tolerance)) {
            return null;
        }
        long[] elements = ELEMENTS.get();
        elements[0] += a.length;
        for (int i = 0; i < a.length; i++) {
            float e = expected[i];
            double difference = Math.abs((double) a[i] - e);
            if (difference > tolerance * Math.abs(e)) {
                elements[1]++;
            } else if (difference > 0) {
                LARGEST.get()[0] = Math.max(LARGEST.get()[0], difference / Math.abs(e));
            }
            boolean same = Float.isNaN(a[i]) ? Float.isNaN(e)
                    : Float.isInfinite(e) ? a[i] == e : Math.abs((double) a[i] - e) <= tolerance * Math.abs(e) + absolute;
            if (!same) {
                return what + "[" + i + "]: Adjoint " + a[i] + ", PyTorch " + e + " (relative difference "
                        + Math.abs((double) a[i] - e) / Math.abs(e) + ")";
            }
        }
        return null;
    }

    /** The numbers from word {@code from} to the end of the line, read as float32 (as written). */
    private static float[] floats(String[] w, int from) {
        float[] out = new float[w.length - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.parseFloat(w[from + i]);
        }
        return out;
    }

    private static int index(String name) {
        return Integer.parseInt(name.substring(1));
    }
}
