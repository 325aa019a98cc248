package dev.adjoint.examples;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;

/**
 * Second derivatives by differentiating twice: a Hessian-vector product of Rosenbrock's function
 * checked against the Hessian worked out by hand, the full Hessian built from such products, and
 * Newton's method, which uses it to reach the minimum in a handful of steps.
 */
final class HessianExample {
    static final double[] START = {-1.2, 1};
    static final double TOLERANCE = 1e-10;
    static final int MAX_ITERATIONS = 50;

    private HessianExample() {
    }

    /** Rosenbrock's banana: f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, smallest (0) at (1, 1) in a long curved valley. */
    static Tensor rosenbrock(Tensor p) {
        Tensor x = coordinate(p, 0);
        Tensor y = coordinate(p, 1);
        return x.neg().add(1).pow(2).add(y.sub(x.pow(2)).pow(2).mul(100));
    }

    /** p[i] as a scalar tensor: Tensor has no indexing op, but a dot product with a unit vector is differentiable. */
    static Tensor coordinate(Tensor p, int i) {
        return p.mul(unit(i, p.size())).sum();
    }

    static Tensor unit(int i, int n) {
        double[] e = new double[n];
        e[i] = 1;
        return Tensor.of(e, n);
    }

    /**
     * H v = d/dp &lt;grad f(p), v&gt;. The gradient must have been computed with {@code createGraph = true},
     * so that its own computation was recorded and can be differentiated.
     */
    static Tensor hessianVectorProduct(Tensor gradient, Tensor p, Tensor v) {
        return Autograd.grad(gradient.mul(v).sum(), List.of(p), false).get(0);
    }

    /** The full Hessian, one column H e_j per Hessian-vector product. */
    static double[][] hessian(Tensor gradient, Tensor p) {
        int n = p.size();
        double[][] h = new double[n][n];
        for (int j = 0; j < n; j++) {
            double[] column = hessianVectorProduct(gradient, p, unit(j, n)).toArray();
            for (int i = 0; i < n; i++) {
                h[i][j] = column[i];
            }
        }
        return h;
    }

    /** Rosenbrock's gradient by hand, to check the automatic one. */
    static double[] gradientByHand(double x, double y) {
        return new double[] {-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)};
    }

    /** Rosenbrock's Hessian by hand. */
    static double[][] hessianByHand(double x, double y) {
        return new double[][] {{2 - 400 * (y - x * x) + 800 * x * x, -400 * x}, {-400 * x, 200}};
    }

    static void run(String[] args, PrintStream out) throws Main.UsageException {
        if (args.length > 0) {
            throw new Main.UsageException("takes no options, got " + String.join(" ", args));
        }
        double x = START[0];
        double y = START[1];
        out.printf(Locale.ROOT, "f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 at (x, y) = (%.1f, %.1f)%n", x, y);
        Tensor p = Tensor.of(START.clone(), 2).requiresGrad(true);
        Tensor f = rosenbrock(p);
        Tensor gradient = Autograd.grad(f, List.of(p), true).get(0);
        out.printf(Locale.ROOT, "f = %.4f%n", f.item());
        out.println("grad f = " + vector(gradient.toArray()) + "   by hand " + vector(gradientByHand(x, y)));

        out.println();
        out.println("== Hessian-vector product: differentiate <grad f, v> once more ==");
        double[] v = {1, -1};
        double[] hv = hessianVectorProduct(gradient, p, Tensor.of(v, 2)).toArray();
        double[][] byHand = hessianByHand(x, y);
        double[] hvByHand = {byHand[0][0] * v[0] + byHand[0][1] * v[1], byHand[1][0] * v[0] + byHand[1][1] * v[1]};
        out.println("v = " + vector(v) + ", H v = " + vector(hv) + "   by hand " + vector(hvByHand));
        double hvDifference = Math.max(Math.abs(hv[0] - hvByHand[0]), Math.abs(hv[1] - hvByHand[1]));
        out.printf(Locale.ROOT, "largest difference %.1e%n", hvDifference);

        out.println();
        out.println("== The full Hessian, one column per Hessian-vector product with a unit vector ==");
        double[][] h = hessian(gradient, p);
        double difference = 0;
        for (int i = 0; i < 2; i++) {
            out.println("  " + vector(h[i]) + "   by hand " + vector(byHand[i]));
            for (int j = 0; j < 2; j++) {
                difference = Math.max(difference, Math.abs(h[i][j] - byHand[i][j]));
            }
        }
        out.printf(Locale.ROOT, "largest difference %.1e%n", difference);

        out.println();
        out.printf(Locale.ROOT, "== Newton's method: solve H d = -grad f, step to p + d, until |grad f| < %.0e ==%n", TOLERANCE);
        out.printf("%4s %22s %22s %12s %12s%n", "step", "x", "y", "f", "|grad f|");
        for (int step = 0; step <= MAX_ITERATIONS; step++) {
            p = Tensor.of(new double[] {x, y}, 2).requiresGrad(true);
            f = rosenbrock(p);
            gradient = Autograd.grad(f, List.of(p), true).get(0);
            double[] g = gradient.toArray();
            double norm = Math.hypot(g[0], g[1]);
            out.printf(Locale.ROOT, "%4d %22.16f %22.16f %12.4e %12.4e%n", step, x, y, f.item(), norm);
            if (norm < TOLERANCE) {
                out.printf(Locale.ROOT, "converged after %d Newton steps to (%.12f, %.12f); the minimum is (1, 1)%n",
                        step, x, y);
                out.println("f may rise on the way (plain Newton has no line search); near the minimum each step squares the error.");
                return;
            }
            double[] d = new LUDecomposition(new Array2DRowRealMatrix(hessian(gradient, p))).getSolver()
                    .solve(new ArrayRealVector(g).mapMultiply(-1)).toArray();
            x += d[0];
            y += d[1];
        }
        throw new IllegalStateException("Newton's method did not converge in " + MAX_ITERATIONS + " steps");
    }

    private static String vector(double[] v) {
        return String.format(Locale.ROOT, "[%12.6f, %12.6f]", v[0], v[1]);
    }
}
