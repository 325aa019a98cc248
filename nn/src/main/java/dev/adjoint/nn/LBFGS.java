package dev.adjoint.nn;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Limited-memory BFGS, following PyTorch's {@code torch.optim.LBFGS} step for step (same defaults,
 * same order of operations), so that its iterates match PyTorch's: a quasi-Newton method for
 * smooth deterministic objectives of modest size (fitting a physical model, a logistic
 * regression), where it converges in far fewer evaluations than gradient descent.
 *
 * <p>All parameters are treated as one flat vector {@code x} with gradient {@code g}. Each
 * iteration of a {@link #step(Supplier)}:
 * <pre>
 * d = -g                                              (the very first iteration)
 * d = -H g                                            (later: the two-loop recursion over the last
 *                                                      historySize pairs s = x' - x, y = g' - g with
 *                                                      s.y &gt; 1e-10, H0 = (s.y / y.y) I)
 * t = min(1, 1 / |g|_1) lr  (first iteration ever), else lr
 * x = x + t d                                         (t from the strong-Wolfe line search if on)
 * </pre>
 * A step runs at most {@link #maxIter(int) maxIter} iterations (default 20) and
 * {@link #maxEval(int) maxEval} evaluations (default {@code maxIter * 5 / 4}), and stops early when
 * {@code max |g| <= toleranceGrad} (default 1e-7), when {@code max |t d| <= toleranceChange}
 * (default 1e-9), when the loss changes by less than {@code toleranceChange}, or when the
 * directional derivative {@code g.d} is above {@code -toleranceChange}. The strong-Wolfe line
 * search (sufficient decrease 1e-4, curvature 0.9, at most 25 evaluations) brackets and then
 * zooms with cubic interpolation, as PyTorch's {@code _strong_wolfe}; without it the step is the
 * fixed {@code t}.
 *
 * <p>The objective is a closure that zeroes the gradients, computes the loss, back-propagates
 * and returns the loss; a step calls it several times (with grad mode on), so it must be
 * deterministic:
 * <pre>{@code
 * LBFGS opt = new LBFGS(List.of(a, b), 1.0, 100, true);
 * for (int i = 0; i < 10; i++) {
 *     opt.step(() -> {
 *         opt.zeroGrad();
 *         Tensor loss = model(a, b).sub(observed).pow(2).mean();
 *         loss.backward();
 *         return loss;
 *     });
 * }
 * }</pre>
 *
 * <p>The plain {@link Optimizer#step()} (which has no closure) is refused. The history (the
 * last direction, step, gradient and the curvature pairs) lives only in this object:
 * {@link Checkpoint} saves no state for this optimizer, so a restored LBFGS starts its history
 * afresh. Not thread-safe: one step at a time.
 */
public final class LBFGS extends Optimizer {
    private final int historySize;
    private final boolean strongWolfe;
    private final int size;
    private int maxIter = 20;
    private int maxEval = -1;
    private double toleranceGrad = 1e-7;
    private double toleranceChange = 1e-9;

    // the state kept between steps, as PyTorch keeps it
    private double[] direction;
    private double stepLength;
    private final List<double[]> oldDirs = new ArrayList<>();
    private final List<double[]> oldSteps = new ArrayList<>();
    private final List<Double> rho = new ArrayList<>();
    private double hessianDiagonal = 1;
    private double[] previousGradient;
    private double previousLoss;
    private int iterations;
    private int evaluations;

    /**
     * @param parameters the tensors to optimize, taken together as one vector
     * @param learningRate the step length's scale, finite and non-negative (PyTorch's default is 1)
     * @param historySize how many curvature pairs to keep, at least 1 (PyTorch's default is 100)
     * @param strongWolfe whether to choose each step length by the strong-Wolfe line search
     *     (PyTorch's {@code line_search_fn="strong_wolfe"}); otherwise the step is fixed
     * @throws IllegalArgumentException if a parameter is not a leaf that requires grad, is listed
     *     twice, or an argument is out of range
     */
    public LBFGS(List<Tensor> parameters, double learningRate, int historySize, boolean strongWolfe) {
        super("LBFGS", parameters, learningRate);
        if (historySize < 1) {
            throw new IllegalArgumentException("LBFGS: history size must be at least 1, got " + historySize);
        }
        this.historySize = historySize;
        this.strongWolfe = strongWolfe;
        long n = 0;
        for (Tensor p : parameters()) {
            n += p.size();
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("LBFGS: " + n + " parameter elements are too many for one vector");
        }
        this.size = (int) n;
    }

    /**
     * @param maxIter the most iterations per step, at least 1 (default 20)
     * @return this optimizer
     */
    public LBFGS maxIter(int maxIter) {
        if (maxIter < 1) {
            throw new IllegalArgumentException("LBFGS: maxIter must be at least 1, got " + maxIter);
        }
        this.maxIter = maxIter;
        return this;
    }

    /**
     * @param maxEval the most evaluations of the closure per step, at least 1 (default
     *     {@code maxIter * 5 / 4})
     * @return this optimizer
     */
    public LBFGS maxEval(int maxEval) {
        if (maxEval < 1) {
            throw new IllegalArgumentException("LBFGS: maxEval must be at least 1, got " + maxEval);
        }
        this.maxEval = maxEval;
        return this;
    }

    /**
     * @param toleranceGrad stop when the largest gradient component is at most this (default 1e-7)
     * @return this optimizer
     */
    public LBFGS toleranceGrad(double toleranceGrad) {
        this.toleranceGrad = nonNegative("toleranceGrad", toleranceGrad);
        return this;
    }

    /**
     * @param toleranceChange stop when the loss or the parameters change by at most this
     *     (default 1e-9)
     * @return this optimizer
     */
    public LBFGS toleranceChange(double toleranceChange) {
        this.toleranceChange = nonNegative("toleranceChange", toleranceChange);
        return this;
    }

    /**
     * How many times the closure has been evaluated, over all steps.
     *
     * @return the count
     */
    public int evaluations() {
        return evaluations;
    }

    /**
     * How many iterations have run, over all steps.
     *
     * @return the count
     */
    public int iterations() {
        return iterations;
    }

    /**
     * Runs up to {@code maxIter} iterations of L-BFGS on the closure's objective.
     *
     * @param closure zeroes the gradients, computes the loss (a one-element tensor), calls
     *     {@code backward()} on it and returns it
     * @return the loss at the parameters the step started from (the closure's first value)
     * @throws IllegalArgumentException if the closure is null or returns null or a tensor that is
     *     not a single value
     */
    public double step(Supplier<Tensor> closure) {
        if (closure == null) {
            throw new IllegalArgumentException("LBFGS: closure is null");
        }
        double lr = learningRate();
        int evalLimit = maxEval > 0 ? maxEval : maxIter * 5 / 4;
        double origLoss = evaluate(closure);
        double loss = origLoss;
        int currentEvals = 1;
        double[] flatGrad = gatherGradient();
        if (maxAbs(flatGrad) <= toleranceGrad) {
            return origLoss;
        }
        double[] d = direction;
        double t = stepLength;
        int nIter = 0;
        while (nIter < maxIter) {
            nIter++;
            iterations++;
            if (iterations == 1) {
                d = neg(flatGrad);
                oldDirs.clear();
                oldSteps.clear();
                rho.clear();
                hessianDiagonal = 1;
            } else {
                d = twoLoop(flatGrad, d, t);
            }
            if (previousGradient == null) {
                previousGradient = flatGrad.clone();
            } else {
                System.arraycopy(flatGrad, 0, previousGradient, 0, size);
            }
            previousLoss = loss;
            t = iterations == 1 ? Math.min(1.0, 1.0 / sumAbs(flatGrad)) * lr : lr;
            double gtd = dot(flatGrad, d);
            if (gtd > -toleranceChange) {
                break;
            }
            int lineSearchEvals;
            boolean optimal;
            if (strongWolfe) {
                double[] start = gatherParameters();
                double[] dir = d;
                StrongWolfe.Result ls = StrongWolfe.search(step -> {
                    addToParameters(step, dir);
                    double value = evaluate(closure);
                    double[] gradient = gatherGradient();
                    setParameters(start);
                    return new StrongWolfe.Point(value, gradient);
                }, d, t, loss, flatGrad, gtd, toleranceChange);
                loss = ls.loss();
                flatGrad = ls.gradient();
                t = ls.t();
                lineSearchEvals = ls.evaluations();
                addToParameters(t, d);
                optimal = maxAbs(flatGrad) <= toleranceGrad;
            } else {
                addToParameters(t, d);
                lineSearchEvals = 0;
                optimal = false;
                if (nIter != maxIter) {
                    loss = evaluate(closure);
                    flatGrad = gatherGradient();
                    optimal = maxAbs(flatGrad) <= toleranceGrad;
                    lineSearchEvals = 1;
                }
            }
            currentEvals += lineSearchEvals;
            if (nIter == maxIter || currentEvals >= evalLimit || optimal) {
                break;
            }
            if (maxAbsScaled(d, t) <= toleranceChange || Math.abs(loss - previousLoss) < toleranceChange) {
                break;
            }
        }
        direction = d;
        stepLength = t;
        return origLoss;
    }

    /** The new direction {@code -H g}: updates the curvature pairs with the last step, then the two-loop recursion. */
    private double[] twoLoop(double[] flatGrad, double[] d, double t) {
        double[] y = new double[size];
        double[] s = new double[size];
        for (int i = 0; i < size; i++) {
            y[i] = flatGrad[i] - previousGradient[i];
            s[i] = d[i] * t;
        }
        double ys = dot(y, s);
        if (ys > 1e-10) {
            if (oldDirs.size() == historySize) {
                oldDirs.remove(0);
                oldSteps.remove(0);
                rho.remove(0);
            }
            oldDirs.add(y);
            oldSteps.add(s);
            rho.add(1.0 / ys);
            hessianDiagonal = ys / dot(y, y);
        }
        int n = oldDirs.size();
        double[] alpha = new double[n];
        double[] q = neg(flatGrad);
        for (int i = n - 1; i >= 0; i--) {
            alpha[i] = dot(oldSteps.get(i), q) * rho.get(i);
            axpy(-alpha[i], oldDirs.get(i), q);
        }
        double[] r = new double[size];
        for (int i = 0; i < size; i++) {
            r[i] = q[i] * hessianDiagonal;
        }
        for (int i = 0; i < n; i++) {
            double beta = dot(oldDirs.get(i), r) * rho.get(i);
            axpy(alpha[i] - beta, oldSteps.get(i), r);
        }
        return r;
    }

    private double evaluate(Supplier<Tensor> closure) {
        Tensor loss;
        try (Autograd.Scope on = Autograd.enableGrad()) {
            loss = closure.get();
        }
        if (loss == null || loss.size() != 1) {
            throw new IllegalArgumentException("LBFGS: the closure must return the loss, a single value; got "
                    + (loss == null ? "null" : "a tensor of shape " + Arrays.toString(loss.shape())));
        }
        evaluations++;
        return loss.item();
    }

    private double[] gatherGradient() {
        double[] flat = new double[size];
        int offset = 0;
        for (Tensor p : parameters()) {
            Tensor g = p.grad();
            if (g != null) {
                if (g.size() != p.size()) {
                    throw new IllegalStateException("LBFGS: gradient of shape " + Arrays.toString(g.shape())
                            + " does not match its parameter of shape " + Arrays.toString(p.shape()));
                }
                System.arraycopy(g.toArray(), 0, flat, offset, p.size());
            }
            offset += p.size();
        }
        return flat;
    }

    private double[] gatherParameters() {
        double[] flat = new double[size];
        int offset = 0;
        for (Tensor p : parameters()) {
            System.arraycopy(p.toArray(), 0, flat, offset, p.size());
            offset += p.size();
        }
        return flat;
    }

    private void addToParameters(double t, double[] d) {
        int offset = 0;
        for (Tensor p : parameters()) {
            int from = offset;
            p.modify(buf -> {
                for (int i = 0; i < buf.length; i++) {
                    buf[i] += t * d[from + i];
                }
            });
            offset += p.size();
        }
    }

    private void setParameters(double[] values) {
        int offset = 0;
        for (Tensor p : parameters()) {
            int from = offset;
            p.modify(buf -> System.arraycopy(values, from, buf, 0, buf.length));
            offset += p.size();
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void axpy(double alpha, double[] x, double[] y) {
        for (int i = 0; i < y.length; i++) {
            y[i] += alpha * x[i];
        }
    }

    private static double[] neg(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = -a[i];
        }
        return r;
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static double maxAbsScaled(double[] a, double t) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v * t));
        }
        return m;
    }

    private static double sumAbs(double[] a) {
        double s = 0;
        for (double v : a) {
            s += Math.abs(v);
        }
        return s;
    }

    /** Refuses the closure-less {@link Optimizer#step()}: L-BFGS must re-evaluate the objective. */
    @Override
    protected void validate() {
        throw new IllegalStateException("LBFGS: step() has no closure; L-BFGS re-evaluates the loss several times per step,"
                + " so call step(closure) with a closure that zeroes the gradients, computes the loss, calls backward and"
                + " returns it");
    }

    /** Never called: {@link #validate()} refuses the plain step before any update. */
    @Override
    protected void update(int index, double[] param, double[] grad, double[][] state, int n) {
        throw new IllegalStateException("LBFGS: update is only reached through step(closure)");
    }
}
