package dev.adjoint.examples;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs one of Adjoint's walkthroughs: {@code java -jar adjoint-examples.jar <example> [options]}.
 * {@code --help} lists them; an unknown example or option prints the usage and exits with 2.
 */
public final class Main {
    /** One runnable walkthrough. */
    interface Example {
        /**
         * Runs it.
         *
         * @param args the arguments after the example's name
         * @param out where to print
         * @throws Exception when the example fails
         */
        void run(String[] args, PrintStream out) throws Exception;
    }

    private record Entry(String summary, Example example) {
    }

    private static final Map<String, Entry> EXAMPLES = new LinkedHashMap<>();

    static {
        EXAMPLES.put("seed", new Entry("the seed story: a 2-3-3-2 sigmoid net with every weight 1, diagnosed and fixed",
                SeedWalkthrough::run));
        EXAMPLES.put("xor", new Entry("a 2-8-1 MLP learns XOR with Adam; writes its loss curve and decision boundary",
                XorExample::run));
        EXAMPLES.put("moons", new Entry("a 2-16-16-2 MLP separates two noisy half-moons with mini-batch Adam; writes pictures",
                MoonsExample::run));
        EXAMPLES.put("hessian", new Entry("Hessian-vector products and the Hessian of Rosenbrock's function (Autograd.hvp, hessian, jvp), checked by hand; Newton's method",
                HessianExample::run));
        EXAMPLES.put("optimize", new Entry("a damped oscillator's four parameters fitted to noisy data with L-BFGS; writes the"
                + " fit and the loss", OptimizeExample::run));
        EXAMPLES.put("custom-op", new Entry("swish with a hand-written backward, gradient-checked; a broken copy caught",
                CustomOpExample::run));
        EXAMPLES.put("fashion-mnist", new Entry("Fashion-MNIST (70,000 clothing images): an MLP or a CNN trained with Adam, curves,"
                + " confusion matrix, checkpoints and --resume", FashionMnistExample::run));
        EXAMPLES.put("graph", new Entry("a small network's graph after backward, written as Graphviz DOT",
                GraphExample::run));
    }

    private Main() {
    }

    /**
     * Entry point.
     *
     * @param args the example's name followed by its arguments
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs an example and returns the process exit code (0 on success, 2 on bad usage, 1 on failure).
     *
     * @param args the example's name followed by its arguments
     * @param out standard output
     * @param err standard error
     * @return the exit code
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            usage(err);
            return 2;
        }
        if (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            usage(out);
            return 0;
        }
        Entry entry = EXAMPLES.get(args[0]);
        if (entry == null) {
            err.println("adjoint-examples: unknown example '" + args[0] + "'");
            usage(err);
            return 2;
        }
        try {
            entry.example().run(Arrays.copyOfRange(args, 1, args.length), out);
            return 0;
        } catch (UsageException e) {
            err.println("adjoint-examples " + args[0] + ": " + e.getMessage());
            usage(err);
            return 2;
        } catch (Exception e) {
            err.println("adjoint-examples " + args[0] + " failed: " + e);
            return 1;
        }
    }

    private static void usage(PrintStream s) {
        s.println("usage: java -jar examples/target/adjoint-examples.jar <example> [options]");
        s.println();
        s.println("examples:");
        EXAMPLES.forEach((name, e) -> s.printf("  %-10s %s%n", name, e.summary()));
        s.println();
        s.println("options of xor, moons, optimize and graph:");
        s.println("  --out DIR      where to write pictures and files (default " + Options.DEFAULT_OUT + ")");
        s.println("  --steps N      xor: training steps (default " + XorExample.DEFAULT_STEPS + ")");
        s.println("  --epochs N     moons: passes over the data (default " + MoonsExample.DEFAULT_EPOCHS + ")");
        s.println("  --steps N      optimize: L-BFGS iterations (default " + OptimizeExample.DEFAULT_STEPS + ")");
        s.println("  --batch N      graph: batch size of the pictured forward pass (default " + GraphExample.DEFAULT_BATCH + ")");
    }

    /** Bad arguments to an example. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
