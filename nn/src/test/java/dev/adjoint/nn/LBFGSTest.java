package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * LBFGS against torch.optim.LBFGS: the iterates, returned losses and evaluation counts of 20
 * steps on Rosenbrock's function (lbfgs-cases.txt, written by generate_lbfgs_cases.py), with and
 * without the strong-Wolfe line search.
 */
class LBFGSTest {

    private record Step(double loss, int evaluations, int iterations, double[] params) {
    }

    private record Case(String name, double lr, int history, boolean wolfe, int maxIter, int[][] shapes, double[] start,
            List<Step> steps) {
    }

    private static List<Case> cases() throws IOException {
        List<Case> cases = new ArrayList<>();
        try (InputStream in = LBFGSTest.class.getResourceAsStream("/lbfgs-cases.txt");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String[] header = null;
            double[] start = null;
            List<Step> steps = null;
            for (String line; (line = r.readLine()) != null; ) {
                String[] w = line.trim().split(" ");
                switch (w[0]) {
                    case "#" -> {
                    }
                    case "case" -> {
                        if (header != null) {
                            cases.add(make(header, start, steps));
                        }
                        header = w;
                        steps = new ArrayList<>();
                    }
                    case "start" -> start = numbers(w, 1);
                    case "step" -> steps.add(new Step(Double.parseDouble(w[1]), Integer.parseInt(w[2]), Integer.parseInt(w[3]),
                            numbers(w, 4)));
                    default -> throw new IllegalStateException("unknown line in lbfgs-cases.txt: " + line);
                }
            }
            cases.add(make(header, start, steps));
        }
        return cases;
    }

    private static Case make(String[] w, double[] start, List<Step> steps) {
        String[] parts = w[6].split(";");
        int[][] shapes = new int[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            shapes[i] = Arrays.stream(parts[i].split("x")).mapToInt(Integer::parseInt).toArray();
        }
        return new Case(w[1], Double.parseDouble(w[2]), Integer.parseInt(w[3]), w[4].equals("1"), Integer.parseInt(w[5]),
                shapes, start, steps);
    }

    private static double[] numbers(String[] w, int from) {
        return Arrays.stream(w, from, w.length).mapToDouble(Double::parseDouble).toArray();
    }

    /** The chained Rosenbrock function of the flattened parameters, as the generator writes it. */
    static Tensor rosenbrock(List<Tensor> params) {
        List<Tensor> flat = new ArrayList<>();
        for (Tensor p : params) {
            flat.add(p.reshape(p.size()));
        }
        Tensor z = Tensor.concat(flat, 0);
        int n = z.size();
        Tensor a = z.narrow(0, 0, n - 1);
        Tensor b = z.narrow(0, 1, n - 1);
        Tensor d = b.sub(a.mul(a));
        Tensor e = a.neg().add(1.0);
        return d.mul(d).mul(100.0).add(e.mul(e)).sum();
    }

    private static double[] flatten(List<Tensor> params) {
        return params.stream().flatMapToDouble(p -> Arrays.stream(p.toArray())).toArray();
    }

    @Test
    void iteratesMatchPyTorchForTwentySteps() throws IOException {
        List<Case> cases = cases();
        assertTrue(cases.size() >= 4);
        assertTrue(cases.stream().anyMatch(Case::wolfe) && cases.stream().anyMatch(c -> !c.wolfe()));
        double worst = 0;
        for (Case c : cases) {
            List<Tensor> params = new ArrayList<>();
            int offset = 0;
            for (int[] shape : c.shapes()) {
                int n = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
                params.add(Tensor.of(Arrays.copyOfRange(c.start(), offset, offset + n), shape).requiresGrad(true));
                offset += n;
            }
            LBFGS opt = new LBFGS(params, c.lr(), c.history(), c.wolfe()).maxIter(c.maxIter());
            Supplier<Tensor> closure = () -> {
                opt.zeroGrad();
                Tensor loss = rosenbrock(params);
                loss.backward();
                return loss;
            };
            assertEquals(20, c.steps().size());
            for (int s = 0; s < c.steps().size(); s++) {
                Step expected = c.steps().get(s);
                double loss = opt.step(closure);
                String where = c.name() + ", step " + (s + 1);
                assertEquals(expected.loss(), loss, 1e-8 * Math.max(1, Math.abs(expected.loss())), where + ": loss");
                double[] got = flatten(params);
                for (int i = 0; i < got.length; i++) {
                    assertEquals(expected.params()[i], got[i], 1e-8, where + ": parameter " + i);
                    worst = Math.max(worst, Math.abs(expected.params()[i] - got[i]));
                }
                assertEquals(expected.evaluations(), opt.evaluations(), where + ": evaluations");
                assertEquals(expected.iterations(), opt.iterations(), where + ": iterations");
            }
        }
        System.out.printf("LBFGS vs torch.optim.LBFGS: %d cases x 20 steps, largest iterate difference %.2e%n", cases.size(), worst);
    }

    @Test
    void theClosureRunsWithGradEnabledAndThePlainStepIsRefused() {
        Tensor x = Tensor.of(new double[] {3, -2}).requiresGrad(true);
        LBFGS opt = new LBFGS(List.of(x), 1.0, 10, true);
        Supplier<Tensor> closure = () -> {
            opt.zeroGrad();
            Tensor loss = x.sub(Tensor.of(new double[] {1, 2})).pow(2).sum();
            loss.backward();
            return loss;
        };
        try (Autograd.Scope off = Autograd.noGrad()) {
            opt.step(closure);
        }
        assertEquals(1.0, x.toArray()[0], 1e-9);
        assertEquals(2.0, x.toArray()[1], 1e-9);
        IllegalStateException e = assertThrows(IllegalStateException.class, opt::step);
        assertTrue(e.getMessage().contains("step(closure)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> opt.step(null));
        assertThrows(IllegalArgumentException.class, () -> opt.step(() -> x.mul(1.0)));
        assertThrows(IllegalArgumentException.class, () -> new LBFGS(List.of(x), 1.0, 0, false));
        assertFalse(opt.evaluations() == 0);
    }

    @Test
    void aCheckpointKeepsTheParametersAndNoHistory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        Linear model = new Linear(2, 1);
        LBFGS opt = new LBFGS(model.parameters(), 1.0, 5, true);
        Tensor x = Tensor.of(new double[][] {{1, 2}, {3, 4}, {5, 7}});
        Tensor y = Tensor.of(new double[][] {{1}, {2}, {4}});
        Supplier<Tensor> closure = () -> {
            opt.zeroGrad();
            Tensor loss = Losses.mse(model.forward(x), y);
            loss.backward();
            return loss;
        };
        opt.step(closure);
        java.nio.file.Path file = dir.resolve("lbfgs.ckpt");
        Checkpoint.save(model, opt, file);
        Linear restored = new Linear(2, 1);
        LBFGS fresh = new LBFGS(restored.parameters(), 1.0, 5, true);
        Checkpoint.load(restored, fresh, file);
        for (int i = 0; i < model.parameters().size(); i++) {
            assertEquals(Arrays.toString(model.parameters().get(i).toArray()), Arrays.toString(restored.parameters().get(i).toArray()));
        }
        assertEquals(0, fresh.iterations(), "no history is restored");
    }

    @Test
    void cubicInterpolationFindsTheMinimizerOfACubic() {
        // f(x) = x^3 - 3x on [0, 2]: minimum at x = 1
        double f0 = 0;
        double g0 = -3;
        double f2 = 2;
        double g2 = 9;
        assertEquals(1.0, StrongWolfe.cubicInterpolate(0, f0, g0, 2, f2, g2, 0, 2), 1e-12);
        assertEquals(1.0, StrongWolfe.cubicInterpolate(2, f2, g2, 0, f0, g0, 0, 2), 1e-12);
        assertEquals(1.5, StrongWolfe.cubicInterpolate(0, f0, g0, 2, f2, g2, 1.5, 2), 0.0, "clamped to the bounds");
    }
}
