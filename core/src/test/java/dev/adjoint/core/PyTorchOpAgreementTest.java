package dev.adjoint.core;

import static dev.adjoint.core.CaseFiles.numbers;
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
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Replays the op-case corpus recorded from PyTorch 1.13 in float64 (src/test/python/generate_op_cases.py
 * and its op_cases_*.py families, one file per family under {@code op-cases/}): for each case the
 * value, the gradient of {@code sum(value * weight)} and a Hessian-vector product must agree to
 * 1e-9 relative. {@link #op} is the one place that maps the corpus's op words to Tensor calls (the float32
 * corpus, PyTorchFloat32AgreementTest, reads its op words here too).
 */
public class PyTorchOpAgreementTest {

    /** Every case of every family file, each as its lines. */
    public static List<List<String>> allCases() throws IOException {
        Path dir;
        try {
            dir = Path.of(Objects.requireNonNull(PyTorchOpAgreementTest.class.getResource("/op-cases"), "op-cases").toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        List<List<String>> cases = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".txt")).sorted().toList()) {
                cases.addAll(CaseFiles.readCases("/op-cases/" + f.getFileName()));
            }
        }
        return cases;
    }

    /** The op word of each op line in the corpus ("r3 = gather x0 1 c0" gives "gather"). */
    public static List<String> recordedOps() throws IOException {
        List<String> ops = new ArrayList<>();
        for (List<String> c : allCases()) {
            for (String line : c) {
                String[] w = line.split(" ");
                if (w.length > 2 && w[1].equals("=")) {
                    ops.add(w[2]);
                }
            }
        }
        return ops;
    }

    @Test
    void valuesGradientsAndHessianVectorProductsAgreeWithPyTorch() throws IOException {
        List<List<String>> cases = allCases();
        assertTrue(cases.size() >= 16, "expected the recorded cases, found " + cases.size());
        List<String> failures = new ArrayList<>();
        for (List<String> c : cases) {
            String failure;
            try {
                failure = replay(c);
            } catch (RuntimeException e) {
                failure = "threw " + e;
            }
            if (failure != null) {
                failures.add(c.get(0) + ": " + failure + "\n  " + String.join("\n  ", c));
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + cases.size() + " cases disagree with PyTorch; first:\n" + failures.get(0));
        }
    }

    private static String replay(List<String> lines) {
        Map<String, Tensor> named = new HashMap<>();
        List<Tensor> inputs = new ArrayList<>();
        List<Tensor> grads = null;
        List<Tensor> directions = new ArrayList<>();
        Tensor weight = null;
        Tensor out = null;
        for (String line : lines.subList(1, lines.size() - 1)) {
            String[] w = line.split(" ");
            switch (w[0]) {
                case "input" -> {
                    Tensor t = Tensor.of(numbers(w, 2 + shapeWords(w, 2)), shape(w, 2)).requiresGrad(true);
                    inputs.add(t);
                    named.put(w[1], t);
                }
                case "const" -> named.put(w[1], Tensor.of(numbers(w, 2 + shapeWords(w, 2)), shape(w, 2)));
                case "weight" -> weight = Tensor.of(numbers(w, 1 + shapeWords(w, 1)), shape(w, 1));
                case "value" -> {
                    out = named.get(w[1]);
                    if (!Arrays.equals(out.shape(), shape(w, 2))) {
                        return "shape " + Arrays.toString(out.shape()) + " but PyTorch has " + Arrays.toString(shape(w, 2));
                    }
                    String bad = CaseFiles.compare("value", out.toArray(), numbers(w, 2 + shapeWords(w, 2)));
                    if (bad != null) {
                        return bad;
                    }
                    grads = out.requiresGrad()
                            ? Autograd.grad(out.mul(weight).sum(), inputs, true)
                            : inputs.stream().map(x -> Tensor.zeros(x.shape())).toList();
                }
                case "grad" -> {
                    int i = index(w[1]);
                    String bad = CaseFiles.compare("grad of " + w[1], grads.get(i).toArray(), numbers(w, 2));
                    if (bad != null) {
                        return bad;
                    }
                }
                case "direction" -> directions.add(Tensor.of(numbers(w, 2), inputs.get(index(w[1])).shape()));
                case "hvp" -> {
                    int i = index(w[1]);
                    List<Tensor> hvps = hessianVectorProducts(inputs, grads, directions);
                    String bad = CaseFiles.compare("Hessian-vector product for " + w[1], hvps.get(i).toArray(), numbers(w, 2));
                    if (bad != null) {
                        return bad;
                    }
                }
                default -> {
                    if (!w[0].equals("r" + (named.size() - inputs.size() - countConsts(named)))) {
                        // registers are numbered in order; a gap means a mis-generated file
                        return "register " + w[0] + " out of order";
                    }
                    named.put(w[0], op(w, named));
                }
            }
        }
        return null;
    }

    private static long countConsts(Map<String, Tensor> named) {
        return named.keySet().stream().filter(k -> k.startsWith("c")).count();
    }

    private static List<Tensor> hessianVectorProducts(List<Tensor> inputs, List<Tensor> grads, List<Tensor> directions) {
        Tensor dot = Tensor.scalar(0);
        for (int i = 0; i < inputs.size(); i++) {
            dot = dot.add(grads.get(i).mul(directions.get(i)).sum());
        }
        if (!dot.requiresGrad()) {
            return inputs.stream().map(x -> Tensor.zeros(x.shape())).toList();
        }
        return Autograd.grad(dot, inputs, false);
    }

    /**
     * One op line: {@code r<k> = <op> <words...>}. Operands are looked up by name; the other words
     * are the op's arguments.
     */
    static Tensor op(String[] w, Map<String, Tensor> named) {
        String op = w[2];
        Tensor a = named.get(w[3]);
        return switch (op) {
            case "tanh" -> a.tanh();
            case "mul" -> a.mul(named.get(w[4]));
            case "concat" -> Tensor.concat(operands(w, 4, named), integer(w[3]));
            case "matmul" -> a.matmul(named.get(w[4]));
            case "max" -> w.length == 4 ? a.max() : a.max(integer(w[4]), bool(w[5]));
            case "min" -> w.length == 4 ? a.min() : a.min(integer(w[4]), bool(w[5]));
            case "softmax" -> a.softmax(integer(w[4]));
            case "maximum" -> a.maximum(named.get(w[4]));
            case "minimum" -> a.minimum(named.get(w[4]));
            case "where" -> Tensor.where(a, named.get(w[4]), named.get(w[5]));
            case "gt" -> a.gt(named.get(w[4]));
            case "pow" -> a.pow(named.get(w[4]));
            case "erf" -> a.erf();
            case "gelu" -> a.gelu();
            case "silu" -> a.silu();
            case "leakyRelu" -> a.leakyRelu(Double.parseDouble(w[4]));
            case "logSumExp" -> w.length == 4 ? a.logSumExp() : a.logSumExp(integer(w[4]), bool(w[5]));
            case "var" -> a.var(integer(w[4]), bool(w[5]));
            case "std" -> a.std(integer(w[4]), bool(w[5]));
            case "cumsum" -> a.cumsum(integer(w[4]));
            case "prod" -> a.prod(integer(w[4]), bool(w[5]));
            case "norm" -> a.norm();
            case "indexSelect" -> a.indexSelect(integer(w[4]), integers(w, 5));
            case "gather" -> a.gather(integer(w[4]), named.get(w[5]));
            case "scatterAdd" -> a.scatterAdd(integer(w[4]), named.get(w[5]), named.get(w[6]));
            case "permute" -> a.permute(integers(w, 4));
            case "unsqueeze" -> a.unsqueeze(integer(w[4]));
            case "squeeze" -> a.squeeze(integer(w[4]));
            case "flatten" -> a.flatten(integer(w[4]));
            case "stack" -> Tensor.stack(operands(w, 4, named), integer(w[3]));
            case "conv2d" -> a.conv2d(named.get(w[4]), bias(w[5], named), new int[] {integer(w[6]), integer(w[7])},
                    new int[] {integer(w[8]), integer(w[9])}, new int[] {integer(w[10]), integer(w[11])}, integer(w[12]));
            case "conv1d" -> a.conv1d(named.get(w[4]), bias(w[5], named), integer(w[6]), integer(w[7]));
            case "maxPool2d" -> a.maxPool2d(integer(w[4]), integer(w[5]), integer(w[6]));
            case "avgPool2d" -> a.avgPool2d(integer(w[4]), integer(w[5]), integer(w[6]));
            case "softmaxCrossEntropy" -> a.softmaxCrossEntropy(named.get(w[4]));
            case "batchNorm" -> a.batchNorm(bias(w[4], named), bias(w[5], named), Double.parseDouble(w[6]));
            case "layerNorm" -> a.layerNorm(integers(w, 7), bias(w[4], named), bias(w[5], named), Double.parseDouble(w[6]));
            // recorded by the float32 corpus only (op_cases_float32.py)
            case "to" -> a.to(DType.valueOf(w[4].toUpperCase(java.util.Locale.ROOT)));
            case "affine" -> a.affine(named.get(w[4]), named.get(w[5]));
            case "expand" -> a.expand(integers(w, 4));
            case "log1p" -> a.log1p();
            case "softplus" -> a.softplus();
            case "narrow" -> a.narrow(integer(w[4]), integer(w[5]), integer(w[6]));
            case "select" -> a.select(integer(w[4]), integer(w[5]));
            case "sumSquaredDifference" -> a.sumSquaredDifference(named.get(w[4]));
            case "sumTo" -> a.sumTo(integers(w, 4));
            default -> throw new IllegalArgumentException("unknown op in recorded case: " + op);
        };
    }

    /** An optional operand: the word {@code none} for null (a convolution without bias). */
    private static Tensor bias(String word, Map<String, Tensor> named) {
        return word.equals("none") ? null : named.get(word);
    }

    /** The tensors named from word {@code from} to the end of the line. */
    private static List<Tensor> operands(String[] w, int from, Map<String, Tensor> named) {
        return Arrays.stream(w, from, w.length).map(named::get).toList();
    }

    /** The integers from word {@code from} to the end of the line. */
    private static int[] integers(String[] w, int from) {
        return Arrays.stream(w, from, w.length).mapToInt(Integer::parseInt).toArray();
    }

    private static int integer(String word) {
        return Integer.parseInt(word);
    }

    private static boolean bool(String word) {
        return word.equals("1");
    }

    private static int index(String name) {
        return Integer.parseInt(name.substring(1));
    }

}
