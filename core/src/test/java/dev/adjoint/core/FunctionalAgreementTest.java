package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * jacobian, hessian, hvp, jvp and vjp against {@code torch.autograd.functional} (PyTorch 1.13,
 * float64), to 1e-10, on the named functions of {@code generate_functional_cases.py}, written the
 * same way here; their constants come from the same formula ({@link #constant}).
 */
class FunctionalAgreementTest {
    private static final double TOLERANCE = 1e-10;

    /** sin(0.7 i + k) * 0.8 for i = 0, 1, ... in row-major order, as const() in the generator. */
    static Tensor constant(int[] shape, int k) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = Math.sin(i * 0.7 + k) * 0.8;
        }
        return Tensor.of(v, shape);
    }

    /** A custom op without a tangent rule of its own: forward mode goes through its fallback. */
    static final CustomOp SOFTSIGN = new CustomOpTest.Softsign();

    static Tensor mixed(Tensor x) {
        Tensor h = x.matmul(constant(new int[] {4, 2}, 1)).tanh().add(constant(new int[] {2}, 2));
        Tensor s = h.softmax(-1).mul(x.narrow(1, 0, 2));
        return Tensor.concat(List.of(s, x.narrow(1, 2, 2).exp()), 1).mul(x.sum(1, true).sin());
    }

    static Tensor custom(Tensor x) {
        Tensor u = SOFTSIGN.apply(x.matmul(constant(new int[] {4, 3}, 3)).add(constant(new int[] {3, 1}, 4)));
        return Tensor.concat(List.of(u.narrow(1, 0, 2), x.logSoftmax(0)), 1);
    }

    static Tensor layered(Tensor x) {
        Tensor h = x.matmul(constant(new int[] {4, 5}, 5)).sub(constant(new int[] {5}, 6)).sigmoid();
        return h.matmul(constant(new int[] {5, 2}, 7)).add(x.narrow(1, 1, 2).mul(x.narrow(1, 3, 1)));
    }

    static final Map<String, Function<Tensor, Tensor>> FUNCTIONS = Map.of(
            "mixed", FunctionalAgreementTest::mixed,
            "custom", FunctionalAgreementTest::custom,
            "layered", FunctionalAgreementTest::layered);

    static Function<Tensor, Tensor> scalar(Function<Tensor, Tensor> f) {
        return x -> {
            Tensor y = f.apply(x);
            return y.mul(constant(y.shape(), 8)).sum().add(y.mul(y).sum().mul(0.25));
        };
    }

    static Map<String, Tensor> parse(List<String> lines) {
        Map<String, Tensor> m = new HashMap<>();
        for (String line : lines.subList(1, lines.size() - 1)) {
            int open = line.indexOf('[');
            int close = line.indexOf(']');
            String word = line.substring(0, open).trim();
            String dims = line.substring(open + 1, close).trim();
            int[] shape = dims.isEmpty() ? new int[0] : Arrays.stream(dims.split(" ")).mapToInt(Integer::parseInt).toArray();
            String rest = line.substring(close + 1).trim();
            double[] values = rest.isEmpty() ? new double[0] : Arrays.stream(rest.split(" ")).mapToDouble(Double::parseDouble).toArray();
            m.put(word, Tensor.of(values, shape));
        }
        return m;
    }

    static void agree(String what, Tensor expected, Tensor actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], TOLERANCE * Math.max(1, Math.abs(e[i])), what + ": element " + i);
        }
    }

    @Test
    void agreesWithTorchAutogradFunctional() throws IOException {
        List<List<String>> cases = CaseFiles.readCases("/functional-cases.txt");
        assertEquals(9, cases.size());
        for (List<String> c : cases) {
            String name = c.get(0).split(" ")[1];
            String label = c.get(0);
            Function<Tensor, Tensor> f = FUNCTIONS.get(name);
            Function<Tensor, Tensor> s = scalar(f);
            Map<String, Tensor> m = parse(c);
            Tensor x = m.get("x");
            agree(label + " value", m.get("value"), f.apply(x));
            Tensor jacobian = Autograd.jacobian(f, x);
            agree(label + " jacobian", m.get("jacobian"), jacobian);
            Autograd.Jvp jvp = Autograd.jvp(f, x, m.get("tangent"));
            agree(label + " jvp value", m.get("value"), jvp.value());
            agree(label + " jvp", m.get("jvp"), jvp.tangent());
            agree(label + " vjp", m.get("vjp"), Autograd.vjp(f, x, m.get("cotangent")).gradient());
            Tensor hessian = Autograd.hessian(s, x);
            agree(label + " hessian", m.get("hessian"), hessian);
            Tensor hvp = Autograd.hvp(s, x, m.get("vector"));
            agree(label + " hvp", m.get("hvp"), hvp);
            // and with each other: jvp = J t, hvp = H v
            int n = x.size();
            int out = jacobian.size() / n;
            agree(label + " jvp vs J t", jacobian.reshape(out, n).matmul(m.get("tangent").reshape(n)).reshape(jvp.tangent().shape()),
                    jvp.tangent());
            agree(label + " hvp vs H v", hessian.reshape(n, n).matmul(m.get("vector").reshape(n)).reshape(x.shape()), hvp);
        }
    }

    @Test
    void forwardAndReverseJacobiansOfTheCasesAgree() throws IOException {
        for (List<String> c : CaseFiles.readCases("/functional-cases.txt")) {
            Function<Tensor, Tensor> f = FUNCTIONS.get(c.get(0).split(" ")[1]);
            Tensor x = parse(c).get("x");
            // a value with more elements than x: forward mode; its transpose's rows by vjp are reverse mode
            Function<Tensor, Tensor> wide = t -> Tensor.concat(List.of(f.apply(t).reshape(-1), t.reshape(-1).exp(), t.reshape(-1).sin()), 0);
            Tensor forward = Autograd.jacobian(wide, x);
            int rows = forward.shape()[0];
            assertTrue(rows > x.size());
            for (int r = 0; r < rows; r++) {
                double[] e = new double[rows];
                e[r] = 1;
                agree(c.get(0) + " row " + r, forward.select(0, r), Autograd.vjp(wide, x, Tensor.of(e, rows)).gradient());
            }
        }
    }
}
