package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Replays PyTorch modules recorded in float64 (src/test/python/generate_module_cases.py) on the
 * equivalent Adjoint layers with the same weights: outputs, input and parameter gradients in
 * training and evaluation mode, and the buffers (running statistics) afterwards, to 1e-10.
 */
class ModuleAgreementTest {
    private static final double TOL = 1e-10;

    /** The Adjoint layer for a recorded module and its constructor arguments. */
    private static Layer layer(String name, int[] args) {
        return switch (name) {
            case "BatchNorm1d" -> new BatchNorm1d(args[0]);
            case "BatchNorm2d" -> new BatchNorm2d(args[0]);
            case "LayerNorm" -> new LayerNorm(args);
            case "Conv2d" -> new Conv2d(args[0], args[1], args[2], args[3], args[4], Init.constant(0));
            case "MaxPool2d" -> args.length == 1 ? new MaxPool2d(args[0]) : new MaxPool2d(args[0], args[1], args[2]);
            case "AvgPool2d" -> args.length == 1 ? new AvgPool2d(args[0]) : new AvgPool2d(args[0], args[1], args[2]);
            case "Embedding" -> new Embedding(args[0], args[1], Init.constant(0));
            case "GELU" -> new GELU();
            case "SiLU" -> new SiLU();
            case "LeakyReLU" -> new LeakyReLU();
            case "Flatten" -> new Flatten();
            default -> throw new IllegalArgumentException("no Adjoint layer for recorded module " + name);
        };
    }

    private static List<List<String>> cases() throws IOException {
        try (InputStream in = ModuleAgreementTest.class.getResourceAsStream("/module-cases.txt")) {
            List<List<String>> out = new ArrayList<>();
            List<String> current = null;
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("case ")) {
                    current = new ArrayList<>();
                }
                if (current != null) {
                    current.add(line);
                }
                if (line.equals("end")) {
                    out.add(current);
                    current = null;
                }
            }
            return out;
        }
    }

    /** The numbers after the first {@code skip} words (and after a shape in brackets, if any). */
    private static double[] numbers(String line, int skip) {
        String rest = String.join(" ", Arrays.copyOfRange(line.split(" "), skip, line.split(" ").length));
        if (rest.startsWith("[")) {
            rest = rest.substring(rest.indexOf(']') + 1).trim();
        }
        return rest.isEmpty() ? new double[0] : Arrays.stream(rest.split(" ")).mapToDouble(Double::parseDouble).toArray();
    }

    private static int[] shape(String line, int skip) {
        String w = line.substring(line.indexOf('[') + 1, line.indexOf(']')).trim();
        return w.isEmpty() ? new int[0] : Arrays.stream(w.split(" ")).mapToInt(Integer::parseInt).toArray();
    }

    private static void close(String what, double[] expected, double[] actual, List<String> failures) {
        if (expected.length != actual.length) {
            failures.add(what + ": " + actual.length + " values, PyTorch " + expected.length);
            return;
        }
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= TOL * Math.max(1, Math.abs(expected[i])))) {
                failures.add(what + "[" + i + "]: Adjoint " + actual[i] + ", PyTorch " + expected[i]);
                return;
            }
        }
    }

    @Test
    void layersAgreeWithPyTorchModules() throws IOException {
        List<List<String>> cases = cases();
        assertTrue(cases.size() >= 16, "expected the recorded cases, found " + cases.size());
        List<String> failures = new ArrayList<>();
        for (List<String> c : cases) {
            String[] head = c.get(0).split(" ");
            int[] args = Arrays.stream(head, 2, head.length).mapToInt(Integer::parseInt).toArray();
            Layer layer = layer(head[1], args);
            Map<String, Tensor> params = layer.namedParameters();
            String name = c.get(0);
            Tensor x = null;
            Tensor weight = null;
            Tensor out = null;
            List<Tensor> grads = null;
            for (String line : c.subList(1, c.size() - 1)) {
                String[] w = line.split(" ");
                switch (w[0]) {
                    case "param" -> {
                        Tensor p = params.get(w[1]);
                        assertNotNull(p, name + ": no parameter " + w[1] + " in " + params.keySet());
                        double[] v = numbers(line, 2);
                        p.modify(b -> System.arraycopy(v, 0, b, 0, v.length));
                    }
                    case "step" -> layer.train(w[1].equals("train"));
                    case "input" -> x = Tensor.of(numbers(line, 1), shape(line, 1)).requiresGrad(true);
                    case "index" -> x = Tensor.of(numbers(line, 1), shape(line, 1));
                    case "weight" -> {
                        weight = Tensor.of(numbers(line, 1), shape(line, 1));
                        out = layer.forward(x);
                        List<Tensor> wrt = new ArrayList<>();
                        wrt.add(x.requiresGrad() ? x : Tensor.zeros(1).requiresGrad(true)); // an index gets no gradient
                        wrt.addAll(params.values());
                        grads = Autograd.grad(out.mul(weight).sum(), wrt, false);
                    }
                    case "output" -> close(name + " output", numbers(line, 1), out.toArray(), failures);
                    case "grad" -> {
                        int at = w[1].equals("input") ? 0 : 1 + new ArrayList<>(params.keySet()).indexOf(w[1]);
                        close(name + " grad " + w[1], numbers(line, 2), grads.get(at).toArray(), failures);
                    }
                    case "buffer" -> {
                        Tensor b = layer.namedBuffers().get(w[1]);
                        assertNotNull(b, name + ": no buffer " + w[1] + " in " + layer.namedBuffers().keySet());
                        close(name + " buffer " + w[1], numbers(line, 2), b.toArray(), failures);
                    }
                    default -> fail("unknown line in module-cases.txt: " + line);
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void batchNormRefusesWrongInputsNamingTheShape() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new BatchNorm2d(3).forward(Tensor.zeros(2, 4, 5, 5)));
        assertTrue(e.getMessage().contains("BatchNorm2d") && e.getMessage().contains("3 channels") && e.getMessage().contains("[2, 4, 5, 5]"),
                e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(3).forward(Tensor.zeros(1, 3)));
        assertTrue(e.getMessage().contains("more than one value per channel"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new LayerNorm(4).forward(Tensor.zeros(2, 3)));
        assertTrue(e.getMessage().contains("[4]") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void trainReachesEveryLayerOfASequential() {
        BatchNorm1d bn = new BatchNorm1d(2);
        Dropout drop = new Dropout(0.5, new java.util.SplittableRandom(1));
        Sequential s = new Sequential(new Sequential(bn), drop);
        s.train(false);
        assertTrue(!bn.isTraining() && !drop.isTraining());
        assertEquals(List.of("0.0.weight", "0.0.bias"), List.copyOf(s.namedParameters().keySet()));
        assertEquals(List.of("0.0.running_mean", "0.0.running_var", "0.0.num_batches_tracked"), List.copyOf(s.namedBuffers().keySet()));
    }
}
