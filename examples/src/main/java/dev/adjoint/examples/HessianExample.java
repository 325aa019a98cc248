package dev.adjoint.examples;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.io.PrintStream;
import java.util.Locale;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;

/**
 * Second derivatives with {@link Autograd#hvp} and {@link Autograd#hessian}: a Hessian-vector
 * product of Rosenbrock's function checked against the Hessian worked out by hand, the full
 * Hessian (forward mode over the gradient's backward pass, all directions in one pass), a
 * directional derivative in forward mode ({@link Autograd#jvp}), and Newton's method, which uses
 * the Hessian to reach the minimum in a handful of steps.
 */
final class HessianExample {
    static final double[] START = {-1.2, 1};
    static final double TOLERANCE = 1e-10;
    static final int MAX_ITERATIONS = 50;

    private HessianExample() {
    }

    /** Rosenbrock's banana: f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, smallest (0) at (1, 1) in a long curved valley. */
    static Tensor rosenbrock(Tensor p) {
        Tensor x = p.select(0, 0);
        Tensor y = p.select(0, 1);
        return x.neg().add(1).pow(2).add(y.sub(x.pow(2)).pow(2).mul(100));
    }

    /** The full Hessian as rows. */
    static double[][] hessian(Tensor p) {
        double[] h = Autograd.hessian(HessianExample::rosenbrock, p).toArray();
        return new double[][] {{h[0], h[1]}, {h[2], h[3]}};
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
        Tensor p = Tensor.of(START.clone(), 2);
        Tensor f = rosenbrock(p);
        double[] gradient = Autograd.vjp(HessianExample::rosenbrock, p, Tensor.scalar(1)).gradient().toArray();
        out.printf(Locale.ROOT, "f = %.4f%n", f.item());
        out.println("grad f = " + vector(gradient) + "   by hand " + vector(gradientByHand(x, y)));

        out.println();
        out.println("== Hessian-vector product H v, without forming H (Autograd.hvp) ==");
        double[] v = {1, -1};
        double[] hv = Autograd.hvp(HessianExample::rosenbrock, p, Tensor.of(v, 2)).toArray();
        double[][] byHand = hessianByHand(x, y);
        double[] hvByHand = {byHand[0][0] * v[0] + byHand[0][1] * v[1], byHand[1][0] * v[0] + byHand[1][1] * v[1]};
        out.println("v = " + vector(v) + ", H v = " + vector(hv) + "   by hand " + vector(hvByHand));
        double hvDifference = Math.max(Math.abs(hv[0] - hvByHand[0]), Math.abs(hv[1] - hvByHand[1]));
        out.printf(Locale.ROOT, "largest difference %.1e%n", hvDifference);

        out.println();
        out.println("== The full Hessian (Autograd.hessian: forward mode over the gradient, one pass) ==");
        double[][] h = hessian(p);
        double difference = 0;
        for (int i = 0; i < 2; i++) {
            out.println("  " + vector(h[i]) + "   by hand " + vector(byHand[i]));
            for (int j = 0; j < 2; j++) {
                difference = Math.max(difference, Math.abs(h[i][j] - byHand[i][j]));
            }
        }
        out.printf(Locale.ROOT, "largest difference %.1e%n", difference);

        out.println();
        out.println("== A directional derivative in forward mode (Autograd.jvp): grad f . v, no backward pass ==");
        double directional = Autograd.jvp(HessianExample::rosenbrock, p, Tensor.of(v, 2)).tangent().item();
        out.printf(Locale.ROOT, "d/dt f(p + t v) = %.6f   by hand %.6f%n", directional, gradient[0] * v[0] + gradient[1] * v[1]);

        out.println();
        out.printf(Locale.ROOT, "== Newton's method: solve H d = -grad f, step to p + d, until |grad f| < %.0e ==%n", TOLERANCE);
        out.printf("%4s %22s %22s %12s %12s%n", "step", "x", "y", "f", "|grad f|");
        for (int step = 0; step <= MAX_ITERATIONS; step++) {
            p = Tensor.of(new double[] {x, y}, 2);
            Autograd.Vjp valueAndGradient = Autograd.vjp(HessianExample::rosenbrock, p, Tensor.scalar(1));
            f = valueAndGradient.value();
            double[] g = valueAndGradient.gradient().toArray();
            double norm = Math.hypot(g[0], g[1]);
            out.printf(Locale.ROOT, "%4d %22.16f %22.16f %12.4e %12.4e%n", step, x, y, f.item(), norm);
            if (norm < TOLERANCE) {
                out.printf(Locale.ROOT, "converged after %d Newton steps to (%.12f, %.12f); the minimum is (1, 1)%n",
                        step, x, y);
                out.println("f may rise on the way (plain Newton has no line search); near the minimum each step squares the error.");
                return;
            }
            double[] d = new LUDecomposition(new Array2DRowRealMatrix(hessian(p))).getSolver()
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
