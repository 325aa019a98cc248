package dev.adjoint.core;

import static dev.adjoint.core.CaseFiles.numbers;
import static dev.adjoint.core.CaseFiles.readCases;
import static dev.adjoint.core.CaseFiles.shape;
import static dev.adjoint.core.CaseFiles.shapeWords;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Replays random op compositions recorded from PyTorch 1.13 in float64 (see
 * src/test/python/generate_pytorch_cases.py) and requires values and gradients to agree to 1e-9
 * relative.
 */
class PyTorchAgreementTest {

    @Test
    void valuesAndGradientsAgreeWithPyTorch() throws IOException {
        List<List<String>> cases = readCases("/pytorch-cases.txt");
        assertTrue(cases.size() >= 340, "expected the recorded cases, found " + cases.size());
        List<String> failures = new ArrayList<>();
        for (List<String> c : cases) {
            String failure = replay(c);
            if (failure != null) {
                failures.add(c.get(0) + ": " + failure + "\n  " + String.join("\n  ", c));
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + cases.size() + " cases disagree with PyTorch; first:\n" + failures.get(0));
        }
    }

    private static String replay(List<String> lines) {
        List<Tensor> regs = new ArrayList<>();
        List<Tensor> inputs = new ArrayList<>();
        Tensor weight = null;
        for (String line : lines.subList(1, lines.size() - 1)) {
            String[] w = line.split(" ");
            switch (w[0]) {
                case "input" -> {
                    Tensor t = Tensor.of(numbers(w, 2 + shapeWords(w, 2)), shape(w, 2)).requiresGrad(true);
                    inputs.add(t);
                    regs.add(t);
                }
                case "weight" -> weight = Tensor.of(numbers(w, 1 + shapeWords(w, 1)), shape(w, 1));
                case "value" -> {
                    Tensor out = regs.get(reg(w[1]));
                    if (!Arrays.equals(out.shape(), shape(w, 2))) {
                        return "shape " + Arrays.toString(out.shape()) + " but PyTorch has " + Arrays.toString(shape(w, 2));
                    }
                    String bad = CaseFiles.compare("value", out.toArray(), numbers(w, 2 + shapeWords(w, 2)));
                    if (bad != null) {
                        return bad;
                    }
                    out.mul(weight).sum().backward();
                }
                case "grad" -> {
                    Tensor in = inputs.get(reg(w[1]));
                    double[] g = in.grad() == null ? new double[in.size()] : in.grad().toArray();
                    String bad = CaseFiles.compare("grad of " + w[1], g, numbers(w, 2));
                    if (bad != null) {
                        return bad;
                    }
                }
                default -> regs.add(op(w, regs));
            }
        }
        return null;
    }

    static Tensor op(String[] w, List<Tensor> regs) {
        assertEquals("r" + regs.size(), w[0], "registers are numbered in order");
        String op = w[2];
        Tensor a = regs.get(reg(w[3]));
        return switch (op) {
            case "add" -> a.add(regs.get(reg(w[4])));
            case "sub" -> a.sub(regs.get(reg(w[4])));
            case "mul" -> a.mul(regs.get(reg(w[4])));
            case "div" -> a.div(regs.get(reg(w[4])));
            case "matmul" -> a.matmul(regs.get(reg(w[4])));
            case "add_s" -> a.add(Double.parseDouble(w[4]));
            case "sub_s" -> a.sub(Double.parseDouble(w[4]));
            case "mul_s" -> a.mul(Double.parseDouble(w[4]));
            case "div_s" -> a.div(Double.parseDouble(w[4]));
            case "pow" -> a.pow(Double.parseDouble(w[4]));
            case "clamp" -> a.clamp(Double.parseDouble(w[4]), Double.parseDouble(w[5]));
            case "neg" -> a.neg();
            case "exp" -> a.exp();
            case "log" -> a.log();
            case "sqrt" -> a.sqrt();
            case "abs" -> a.abs();
            case "sin" -> a.sin();
            case "cos" -> a.cos();
            case "tanh" -> a.tanh();
            case "sigmoid" -> a.sigmoid();
            case "relu" -> a.relu();
            case "transpose" -> a.transpose();
            case "reshape" -> a.reshape(Integer.parseInt(w[4]));
            case "sum_axis" -> a.sum(Integer.parseInt(w[4]), w[5].equals("1"));
            case "mean_axis" -> a.mean(Integer.parseInt(w[4]), w[5].equals("1"));
            case "max_axis" -> a.max(Integer.parseInt(w[4]), w[5].equals("1"));
            case "logsumexp" -> a.logSumExp(Integer.parseInt(w[4]), w[5].equals("1"));
            case "softmax" -> a.softmax(Integer.parseInt(w[4]));
            case "log_softmax" -> a.logSoftmax(Integer.parseInt(w[4]));
            default -> throw new IllegalArgumentException("unknown op in recorded case: " + op);
        };
    }


    private static int reg(String word) {
        return Integer.parseInt(word.substring(1));
    }
}
