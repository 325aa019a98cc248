package dev.adjoint.nn;

/**
 * The arithmetic of the built-in optimizers' update rules, elementwise over the elements
 * [from, to) of their arrays: element i's update reads and writes only element i of each array.
 * This file is the one source of the rules; {@code FloatUpdateRules} is generated from it by
 * {@code FloatSources} (in core's test tree), with float arrays, float locals and float
 * hyper-parameters, so a float32 parameter is updated in float32 arithmetic, as PyTorch's CPU
 * kernels update one, without widening anything. The formulas are in each optimizer's Javadoc.
 *
 * <p>NOTE: the loops keep their arithmetic inline and take the hyper-parameters as arguments (no
 * virtual call per element, no field reads in the loop): C2 vectorizes them as they stand, float
 * square root included. Constants derived from hyper-parameters ({@code 1 - beta}) come in as
 * arguments, computed in double by the caller: {@code 1 - 0.999f} in float would be off by 1.3e-5.
 */
final class UpdateRules {
    private UpdateRules() {
    }

    /** SGD without momentum: {@code p -= lr (g + wd p)}. */
    static void sgd(double[] p, double[] g, double lr, double wd, int from, int to) {
        for (int i = from; i < to; i++) {
            p[i] -= lr * (g[i] + wd * p[i]);
        }
    }

    /** SGD with a momentum buffer b (set to the gradient on its first step). */
    static void sgdMomentum(double[] p, double[] g, double[] b, double lr, double wd, double mu, double keep,
                            boolean first, boolean nesterov, int from, int to) {
        for (int i = from; i < to; i++) {
            double gi = wd != 0 ? g[i] + wd * p[i] : g[i];
            double bi = first ? gi : mu * b[i] + keep * gi;
            b[i] = bi;
            p[i] -= lr * (nesterov ? gi + mu * bi : bi);
        }
    }

    /**
     * Adam and AdamW: moments m and v, vmax with AMSGrad (else null); {@code l2} is Adam's penalty
     * added to the gradient, {@code shrink} AdamW's decoupled factor {@code 1 - lr wd}, {@code c1}
     * and {@code c2} are {@code 1 - b1} and {@code 1 - b2}.
     */
    static void adam(double[] p, double[] g, double[] m, double[] v, double[] vmax, double l2, double shrink,
                     double b1, double c1, double b2, double c2, double stepSize, double correction2Sqrt, double eps, int from, int to) {
        for (int i = from; i < to; i++) {
            double gi = l2 != 0 ? g[i] + l2 * p[i] : g[i];
            double pi = p[i] * shrink;
            double mi = b1 * m[i] + c1 * gi;
            double vi = b2 * v[i] + c2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            if (vmax != null) {
                vi = Math.max(vmax[i], vi);
                vmax[i] = vi;
            }
            double root = Math.sqrt(vi); // float32: (float) Math.sqrt(vi)
            p[i] = pi - stepSize * mi / (root / correction2Sqrt + eps);
        }
    }

    /**
     * RMSprop: square average v, gradient average a when centered (else null), momentum buffer b
     * when mu > 0 (else null); {@code rest} is {@code 1 - alpha}.
     */
    static void rmsprop(double[] p, double[] g, double[] v, double[] a, double[] b, double lr, double alpha, double rest,
                        double wd, double mu, double eps, int from, int to) {
        for (int i = from; i < to; i++) {
            double gi = wd != 0 ? g[i] + wd * p[i] : g[i];
            double vi = alpha * v[i] + rest * gi * gi;
            v[i] = vi;
            double variance = vi;
            if (a != null) {
                double ai = alpha * a[i] + rest * gi;
                a[i] = ai;
                variance = vi - ai * ai;
            }
            double d = Math.sqrt(variance) + eps; // float32: (float) Math.sqrt(variance) + eps
            if (mu > 0) {
                double bi = mu * b[i] + gi / d;
                b[i] = bi;
                p[i] -= lr * bi;
            } else {
                p[i] -= lr * gi / d;
            }
        }
    }
}
