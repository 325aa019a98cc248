package dev.adjoint.core.properties;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.CaseFiles;
import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@link OpGradientPropertiesTest} complete: every public instance method of Tensor that returns
 * a Tensor is either checked by a gradient property or listed below as not differentiable, so a
 * new op cannot ship without a gradient check.
 */
class OpCoverageTest {

    /** Public Tensor-returning methods that are not differentiable ops, and why. */
    private static final Set<String> NOT_OPS = Set.of(
            // cuts the graph on purpose: its gradient is zero by definition
            "detach()",
            // sets a flag on a leaf and returns the same tensor
            "requiresGrad(boolean)",
            // reads the accumulated gradient
            "grad()",
            // sets a flag (keep the gradient) and returns the same tensor
            "retainGrad()",
            // the in-place update for optimizers; it refuses to run on recorded results
            "modify(Consumer)", "modifyFloats(Consumer)",
            // converts a leaf's dtype in place (Layer.to) and returns the same tensor; it refuses recorded
            // results, and the differentiable conversion is to(DType)
            "setDtype(DType)",
            // comparisons: step functions whose results are 0/1 masks that never require grad (not
            // recorded); ElementwiseOpsTest checks that they never do
            "gt(Tensor)", "gt(double)", "ge(Tensor)", "ge(double)", "lt(Tensor)", "lt(double)",
            "le(Tensor)", "le(double)", "eq(Tensor)", "eq(double)",
            // positions of the extremes: piecewise constant, so their gradient is zero where it exists;
            // they return plain values that never require grad (ReductionsAndIndexingTest checks it)
            "argmax(int,boolean)", "argmin(int,boolean)");

    static String signature(Method m) {
        return m.getName() + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(",", "(", ")"));
    }

    /**
     * Tensor's ops: its public instance methods that return a Tensor, and its public static methods
     * that return a Tensor made from other tensors ({@code concat}, {@code where}, {@code stack});
     * the static factories ({@code zeros}, {@code of}, {@code arange}) take no tensor and are not ops.
     */
    static Set<String> tensorOps() {
        Set<String> ops = new TreeSet<>();
        for (Method m : Tensor.class.getMethods()) {
            if (m.getDeclaringClass() != Tensor.class || m.getReturnType() != Tensor.class) {
                continue;
            }
            boolean takesTensors = Arrays.stream(m.getParameterTypes()).anyMatch(t -> t == Tensor.class || t == List.class);
            if (!Modifier.isStatic(m.getModifiers()) || takesTensors) {
                ops.add(signature(m));
            }
        }
        return ops;
    }

    /**
     * The names in the {@link Covers} annotations of every gradient-property class of this package
     * ({@link OpGradientPropertiesTest} and the families' own, such as {@code ConvolutionPropertiesTest}).
     */
    static Set<String> covered() {
        Set<String> covered = new TreeSet<>();
        for (Class<?> k : propertyClasses()) {
            for (Method m : k.getDeclaredMethods()) {
                Covers c = m.getAnnotation(Covers.class);
                if (c != null) {
                    covered.addAll(Arrays.asList(c.value()));
                }
            }
        }
        return covered;
    }

    /** The top-level classes of this package whose names end in PropertiesTest. */
    static List<Class<?>> propertyClasses() {
        try {
            Path dir = Path.of(OpCoverageTest.class.getResource("OpCoverageTest.class").toURI()).getParent();
            List<Class<?>> classes = new java.util.ArrayList<>();
            try (java.util.stream.Stream<Path> files = Files.list(dir)) {
                for (Path f : files.sorted().toList()) {
                    String name = f.getFileName().toString();
                    if (name.endsWith("PropertiesTest.class")) {
                        classes.add(Class.forName(OpCoverageTest.class.getPackageName() + "." + name.replace(".class", "")));
                    }
                }
            }
            assertTrue(classes.contains(OpGradientPropertiesTest.class), "the scan of " + dir + " found " + classes);
            return classes;
        } catch (IOException | java.net.URISyntaxException | ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void everyDifferentiableTensorMethodHasAGradientProperty() {
        Set<String> missing = new TreeSet<>(tensorOps());
        missing.removeAll(NOT_OPS);
        missing.removeAll(covered());
        assertTrue(missing.isEmpty(), "Tensor methods without a gradient property in OpGradientPropertiesTest: " + missing
                + " (add a property with @Covers, or list the method in OpCoverageTest.NOT_OPS with the reason)");
    }

    @Test
    void everyCoveredNameIsARealMethod() {
        Set<String> stale = new TreeSet<>(covered());
        stale.removeAll(tensorOps());
        assertTrue(stale.isEmpty(), "@Covers names that are not Tensor methods: " + stale + "; Tensor has " + tensorOps());
        Set<String> staleExclusions = new TreeSet<>(NOT_OPS);
        staleExclusions.removeAll(tensorOps());
        assertTrue(staleExclusions.isEmpty(), "NOT_OPS names that are not Tensor methods: " + staleExclusions);
    }

    /** The names of Tensor's differentiable ops (overloads collapsed). */
    static Set<String> opNames() {
        Set<String> names = new TreeSet<>();
        for (String signature : tensorOps()) {
            if (!NOT_OPS.contains(signature)) {
                names.add(signature.substring(0, signature.indexOf('(')));
            }
        }
        return names;
    }

    /**
     * Checks one of the other suites' op lists against the ops of Tensor: every op is in the list
     * (under its own name or an alias) or exempted with a reason, and nothing exempted or aliased
     * is stale.
     */
    private static void assertListCoversEveryOp(String suite, Set<String> listed, Map<String, String> aliases, Set<String> exempt) {
        // the dtype conversion: these suites run in float64, where to(FLOAT64) is the identity; the
        // float32 corpus records it, and Float32Test and Float32PropertiesTest check it
        Set<String> withConversion = new TreeSet<>(exempt);
        withConversion.add("to");
        assertListCoversEveryOpExcept(suite, listed, aliases, withConversion);
    }

    private static void assertListCoversEveryOpExcept(String suite, Set<String> listed, Map<String, String> aliases, Set<String> exempt) {
        Set<String> present = new TreeSet<>();
        for (String name : listed) {
            present.add(aliases.getOrDefault(name, name));
        }
        Set<String> missing = new TreeSet<>(opNames());
        missing.removeAll(present);
        missing.removeAll(exempt);
        assertTrue(missing.isEmpty(), suite + " does not exercise the Tensor ops " + missing
                + " (add them to it, or exempt them in OpCoverageTest with the reason)");
        Set<String> staleExempt = new TreeSet<>(exempt);
        staleExempt.retainAll(present);
        assertTrue(staleExempt.isEmpty(), suite + " exercises the exempted ops " + staleExempt + ": remove the exemption");
        Set<String> unknown = new TreeSet<>(aliases.values());
        unknown.removeAll(opNames());
        assertTrue(unknown.isEmpty(), "aliases for " + suite + " name no Tensor op: " + unknown);
    }

    @Test
    void theFuzzerCallsEveryOp() {
        assertListCoversEveryOp("ApiFuzzTest", Set.copyOf(dev.adjoint.core.ApiFuzzTest.OPS),
                Map.of("addScalar", "add", "sumAxis", "sum", "meanAxis", "mean", "maxAll", "max", "minAll", "min",
                        "logSumExpAll", "logSumExp"),
                // composites and views whose argument checks the malformed-input catalogue covers; the
                // convolution and pooling ops take 3-D/4-D inputs and geometry arguments the fuzzer's
                // shapes almost never fit, and ConvolutionErrorsTest checks their malformed inputs
                Set.of("affine", "avgPool2d", "concat", "conv1d", "conv2d", "log1p", "maxPool2d", "narrow", "select", "softplus",
                        "sumSquaredDifference"));
    }

    /** The corpora's names for Tensor ops, where they differ (the generators use PyTorch's). */
    private static final Map<String, String> CORPUS_NAMES = Map.of("add_s", "add", "sub_s", "sub", "mul_s", "mul",
            "div_s", "div", "sum_axis", "sum", "mean_axis", "mean", "max_axis", "max", "logsumexp", "logSumExp",
            "log_softmax", "logSoftmax");

    /**
     * The agreement corpora together: the random compositions of {@code pytorch-cases.txt} (values
     * and gradients) and the per-op programs of {@code op-cases/} (values, gradients and
     * Hessian-vector products; every op added since has its cases there).
     */
    @Test
    void thePyTorchCorpusRecordsEveryOp() throws IOException {
        Set<String> recorded = new TreeSet<>(dev.adjoint.core.PyTorchOpAgreementTest.recordedOps());
        for (List<String> c : CaseFiles.readCases("/pytorch-cases.txt")) {
            for (String line : c) {
                String[] w = line.split(" ");
                if (w.length > 2 && w[1].equals("=")) {
                    recorded.add(w[2]);
                }
            }
        }
        assertListCoversEveryOp("the PyTorch agreement corpora (pytorch-cases.txt, op-cases/)", recorded, CORPUS_NAMES,
                // composites of recorded ops (affine = matmul + add, select = narrow + reshape, sum =
                // sumTo, sumSquaredDifference = sub, mul, sum), and ops the corpus generator predates
                // (log1p, softplus, narrow, expand, sumTo): their gradients are checked numerically by
                // OpGradientPropertiesTest, their values on special inputs by SpecialValuesTest
                Set.of("affine", "expand", "log1p", "narrow", "select", "softplus", "sumSquaredDifference", "sumTo"));
    }

    /**
     * The float32 corpus ({@code op-cases-float32/}, {@code pytorch-cases-float32.txt}): every
     * program of the float64 corpora and of op_cases_float32.py, rerun by PyTorch in float32, so
     * it records every op, the dtype conversion included.
     */
    @Test
    void theFloat32CorpusRecordsEveryOp() throws IOException {
        assertListCoversEveryOpExcept("the float32 agreement corpus (op-cases-float32/, pytorch-cases-float32.txt)",
                new TreeSet<>(dev.adjoint.core.PyTorchFloat32AgreementTest.recordedOps()), CORPUS_NAMES, Set.of());
    }

    @Test
    void theSpecialValuesCorpusRecordsEveryOp() throws IOException {
        Set<String> recorded = new TreeSet<>();
        for (List<String> c : CaseFiles.readCases("/special-values.txt")) {
            recorded.add(c.get(0).split(" ")[1]);
        }
        assertListCoversEveryOp("the special-values corpus (special-values.txt)", recorded, CORPUS_NAMES,
                // added after the corpus was generated: NaN and infinities of max(), min(), argmax, argmin,
                // prod, norm and cumsum are pinned against PyTorch 1.13 by ReductionsAndIndexingTest; the
                // indexing and shape ops move values without arithmetic, and var/std/logSumExp() are
                // composites of recorded ops (sub, mul, sum, sqrt; logSumExp along an axis); convolution and
                // pooling are windowed ops, not elementwise, and ConvolutionTest checks that NaN and infinity
                // propagate as in PyTorch 1.13
                Set.of("avgPool2d", "conv1d", "conv2d", "cumsum", "flatten", "gather", "indexSelect", "maxPool2d", "min", "norm", "permute", "prod", "scatterAdd",
                        "squeeze", "stack", "std", "unsqueeze", "var",
                        // a row's (a channel's) mean and variance: NaN and infinities spread over their row as
                        // in PyTorch 1.13, which LayerNormTest pins
                        "batchNorm", "layerNorm"));
    }

    @Test
    void randomExpressionsUseEverySmoothScalarOp() {
        Set<String> used = new TreeSet<>();
        for (RandomExpression.Op op : RandomExpression.Op.values()) {
            used.add(op.name());
        }
        assertListCoversEveryOp("RandomExpression (third derivatives)", used,
                Map.ofEntries(Map.entry("ADD", "add"), Map.entry("SUB", "sub"), Map.entry("MUL", "mul"), Map.entry("DIV", "div"),
                        Map.entry("NEG", "neg"), Map.entry("SIN", "sin"), Map.entry("COS", "cos"), Map.entry("TANH", "tanh"),
                        Map.entry("SIGMOID", "sigmoid"), Map.entry("EXP", "exp"), Map.entry("LOG", "log"), Map.entry("SQRT", "sqrt"),
                        Map.entry("CUBE", "pow"), Map.entry("SUM", "sum"), Map.entry("MEAN", "mean"),
                        Map.entry("LOG_SUM_EXP", "logSumExp"), Map.entry("ERF", "erf"), Map.entry("GELU", "gelu"),
                        Map.entry("SILU", "silu"), Map.entry("VAR", "var")),
                // kinks (relu, abs, clamp, max, maxPool2d) have no third derivative; shape, matrix,
                // convolution, pooling and fused ops are not scalar expressions; each is checked to second
                // order by OpGradientPropertiesTest or ConvolutionPropertiesTest
                Set.of("abs", "affine", "avgPool2d", "clamp", "concat", "conv1d", "conv2d", "expand", "log1p", "logSoftmax", "matmul", "max", "maxPool2d", "narrow", "relu", "reshape",
                        "select", "softmax", "softplus", "sumSquaredDifference", "sumTo", "transpose",
                        // kinks and selections: leakyRelu, maximum, minimum and where are piecewise linear;
                        // kinks: min; norm and std at 0 (a zero or constant vector, which the generator makes
                        // from v - v, where rounding residue decides the gradient's direction); prod along an axis
                        // and the index and shape ops are not scalar expressions of the generator's kind. Each is
                        // checked to second order by ReductionPropertiesTest or IndexingPropertiesTest
                        "cumsum", "flatten", "leakyRelu", "maximum", "minimum", "where", "gather", "indexSelect", "min", "norm", "permute", "prod", "scatterAdd", "squeeze",
                        "stack", "std", "unsqueeze",
                        // a loss of [batch, classes] logits and targets, and a normalization of rows, not scalar
                        // expressions: checked to second order by OpGradientPropertiesTest and against PyTorch's
                        // Hessian-vector products (op-cases/losses.txt, op-cases/normalization.txt)
                        "batchNorm", "layerNorm", "softmaxCrossEntropy"));
    }

    @Test
    void theScanSeesTheOps() {
        // guards the reflection itself: if it found nothing, the coverage test would pass vacuously
        assertTrue(tensorOps().containsAll(Set.of("add(Tensor)", "matmul(Tensor)", "sum(int,boolean)", "reshape(int[])")),
                tensorOps().toString());
    }
}
