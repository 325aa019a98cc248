package dev.adjoint.examples;

import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.Doctor;
import dev.adjoint.nn.Finding;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Layer;
import dev.adjoint.nn.Linear;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.Optimizer;
import dev.adjoint.nn.SGD;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Sigmoid;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The story Adjoint started from: a 2-3-3-2 sigmoid network with every weight and bias set to 1,
 * trained with plain backpropagation. Its hidden units stay identical forever; the doctor says why;
 * random initialisation fixes it.
 */
final class SeedWalkthrough {
    static final Tensor INPUT = Tensor.of(new double[] {0.8, 0.4, 0.3, 0.3}, 2, 2);
    static final Tensor TARGET = Tensor.of(new double[] {0.2, 0.4, 1, 0}, 2, 2);
    static final double TOLERANCE = 0.01;
    static final int MAX_STEPS = 100_000;

    // What the seed's hand-written float32 program printed, for comparison (it truncated to 7 decimals).
    private static final double[] SEED_A1 = {0.9002495, 0.8320184};
    private static final double[] SEED_A2 = {0.9758906, 0.9705753};
    private static final double[] SEED_A3 = {0.9806908, 0.9803864};
    private static final double[] SEED_BIAS_GRAD = {0.0288126, 0.0596958};
    private static final double[] SEED_WEIGHT_GRAD = {0.028122, 0.0580562};
    private static final double[] SEED_STUCK = {0.5992708, 0.1997655, 0.5993174, 0.2004307};

    private SeedWalkthrough() {
    }

    static Sequential network(Init init) {
        return new Sequential(new Linear(2, 3, init), new Sigmoid(), new Linear(3, 3, init), new Sigmoid(),
                new Linear(3, 2, init), new Sigmoid());
    }

    static void run(String[] args, PrintStream out) throws Main.UsageException {
        if (args.length > 0) {
            throw new Main.UsageException("takes no options, got " + String.join(" ", args));
        }
        out.println("== 1. The seed network: 2-3-3-2, sigmoid, every weight and bias 1 ==");
        out.println("inputs  " + matrix(INPUT));
        out.println("targets " + matrix(TARGET));
        Sequential net = network(Init.constant(1));
        Tensor h = INPUT;
        double[][] seed = {SEED_A1, SEED_A2, SEED_A3};
        double worst = 0;
        for (int i = 0; i < 3; i++) {
            h = net.layers().get(2 * i + 1).forward(net.layers().get(2 * i).forward(h));
            worst = Math.max(worst, Math.max(Math.abs(h.get(0, 0) - seed[i][0]), Math.abs(h.get(1, 0) - seed[i][1])));
            out.println("a" + (i + 1) + " = " + matrix(h) + String.format(Locale.ROOT, "   seed printed [[%.7f ...], [%.7f ...]]",
                    seed[i][0], seed[i][1]));
        }
        Tensor loss = Losses.sumSquaredError(h, TARGET);
        out.printf(Locale.ROOT, "cost (sum of squared errors) = %.7f%n", loss.item());
        loss.backward();
        Linear last = (Linear) net.layers().get(4);
        out.println();
        out.println("gradient of the cost for the last layer (rows: bias, then one row per incoming unit):");
        out.println("                  output 0    output 1    | seed printed");
        double[] b = last.bias().grad().toArray();
        out.println(row("bias", b, 0) + seedRow(SEED_BIAS_GRAD));
        double[] w = last.weight().grad().toArray();
        for (int r = 0; r < 3; r++) {
            out.println(row("w from a2[" + r + "]", w, 2 * r) + seedRow(SEED_WEIGHT_GRAD));
            worst = Math.max(worst, Math.max(Math.abs(w[2 * r] - SEED_WEIGHT_GRAD[0]), Math.abs(w[2 * r + 1] - SEED_WEIGHT_GRAD[1])));
        }
        worst = Math.max(worst, Math.max(Math.abs(b[0] - SEED_BIAS_GRAD[0]), Math.abs(b[1] - SEED_BIAS_GRAD[1])));
        out.printf(Locale.ROOT, "Adjoint (float64) agrees with the seed's float32 numbers to %.1e.%n", worst);

        out.println();
        out.println("== 2. Train it: 1000 steps of SGD, learning rate 0.5 ==");
        SGD sgd = new SGD(net.parameters(), 0.5);
        for (int step = 0; step < 1000; step++) {
            sgd.zeroGrad();
            Losses.sumSquaredError(net.forward(INPUT), TARGET).backward();
            sgd.step();
        }
        Tensor stuck = net.forward(INPUT);
        out.println("output after 1000 steps = " + matrix(stuck) + "   (targets " + matrix(TARGET) + ")");
        out.println(String.format(Locale.ROOT, "the seed printed          [[%.7f, %.7f], [%.7f, %.7f]]", SEED_STUCK[0], SEED_STUCK[1],
                SEED_STUCK[2], SEED_STUCK[3]));
        out.println("Both rows are nearly the same: the network answers almost the average target for every input.");
        Linear first = (Linear) net.layers().get(0);
        out.println("first layer's weights after training: " + matrix(first.weight())
                + " - its three hidden units are still identical,");
        out.println("so each hidden layer works like a single unit: a 2-1-1-2 network that can only crawl towards the targets.");

        out.println();
        out.println("== 3. Ask the doctor ==");
        List<Finding> findings = Doctor.examine(network(Init.constant(1)), INPUT);
        for (Finding f : findings) {
            out.println("  " + f.kind() + ": " + f.message());
        }

        out.println();
        out.println("== 4. Fix it: random initialisation ==");
        List<String[]> table = new ArrayList<>();
        table.add(run("all ones (the seed)", Init.constant(1), "SGD lr 0.5", p -> new SGD(p, 0.5), out));
        table.add(run("Xavier uniform", Init.xavierUniform(new SplittableRandom(1)), "SGD lr 0.5", p -> new SGD(p, 0.5), out));
        table.add(run("Xavier uniform", Init.xavierUniform(new SplittableRandom(1)), "SGD lr 0.5, momentum 0.9",
            p -> new SGD(p, 0.5).momentum(0.9), out));
        table.add(run("Xavier uniform", Init.xavierUniform(new SplittableRandom(1)), "Adam lr 0.01", p -> new Adam(p, 0.01), out));
        out.println();
        out.printf("steps until every output is within %.2f of its target (the seed needed 10,000 by hand):%n", TOLERANCE);
        out.printf("  %-22s %-26s %s%n", "initialisation", "optimizer", "steps");
        for (String[] r : table) {
            out.printf("  %-22s %-26s %s%n", r[0], r[1], r[2]);
        }
    }

    private static String[] run(String initName, Init init, String optimizerName, Function<List<Tensor>, Optimizer> optimizer,
                                PrintStream out) {
        return new String[] {initName, optimizerName, fit(initName + ", " + optimizerName, init, optimizer, out)};
    }

    /** Trains a fresh seed-shaped network until every output is within TOLERANCE; returns the step count. */
    static String fit(String label, Init init, Function<List<Tensor>, Optimizer> optimizer, PrintStream out) {
        Sequential net = network(init);
        Optimizer opt = optimizer.apply(net.parameters());
        for (int step = 1; step <= MAX_STEPS; step++) {
            opt.zeroGrad();
            Tensor y = net.forward(INPUT);
            Losses.sumSquaredError(y, TARGET).backward();
            opt.step();
            if (within(net, TOLERANCE)) {
                out.println("  " + label + ": output " + matrix(net.forward(INPUT)) + " after " + step + " steps");
                return String.valueOf(step);
            }
        }
        return "not within " + TOLERANCE + " after " + MAX_STEPS;
    }

    static boolean within(Layer net, double tolerance) {
        double[] y = net.forward(INPUT).toArray();
        double[] t = TARGET.toArray();
        for (int i = 0; i < y.length; i++) {
            if (Math.abs(y[i] - t[i]) >= tolerance) {
                return false;
            }
        }
        return true;
    }

    private static String row(String label, double[] v, int from) {
        return String.format(Locale.ROOT, "  %-14s %10.7f  %10.7f", label, v[from], v[from + 1]);
    }

    private static String seedRow(double[] v) {
        return String.format(Locale.ROOT, "    | %.7f  %.7f", v[0], v[1]);
    }

    static String matrix(Tensor t) {
        int[] s = t.shape();
        double[] v = t.toArray();
        StringBuilder sb = new StringBuilder("[");
        for (int r = 0; r < s[0]; r++) {
            sb.append(r == 0 ? "[" : ", [");
            for (int c = 0; c < s[1]; c++) {
                sb.append(c == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.7f", v[r * s[1] + c]));
            }
            sb.append(']');
        }
        return sb.append(']').toString();
    }
}
