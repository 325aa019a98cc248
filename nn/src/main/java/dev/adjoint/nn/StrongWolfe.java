package dev.adjoint.nn;

/**
 * The strong-Wolfe line search of {@link LBFGS}, as PyTorch's {@code _strong_wolfe} (itself a port
 * of minFunc's): from the trial step {@code t0} along the direction {@code d}, it brackets a step
 * satisfying the strong Wolfe conditions (sufficient decrease {@code f(t) <= f + 1e-4 t g.d},
 * curvature {@code |g(t).d| <= 0.9 |g.d|}), then zooms in on it with safeguarded cubic
 * interpolation, in at most 25 evaluations.
 */
final class StrongWolfe {
    private static final double WOLFE_DECREASE = 1e-4;
    private static final double WOLFE_CURVATURE = 0.9;
    private static final int MAX_LINE_SEARCH = 25;

    private StrongWolfe() {
    }

    /** The loss and the flat gradient at a point. */
    record Point(double loss, double[] gradient) {
    }

    /** The objective along the search direction: its loss and gradient at step {@code t}, parameters left unchanged. */
    interface Objective {
        Point at(double t);
    }

    /** The chosen step, its loss and gradient, and how many evaluations the search made. */
    record Result(double t, double loss, double[] gradient, int evaluations) {
    }

    /** The last evaluation, and the count. */
    private static final class Trial {
        private final Objective objective;
        private final double[] d;
        double loss;
        double[] gradient;
        int evaluations;

        Trial(Objective objective, double[] d) {
            this.objective = objective;
            this.d = d;
        }

        /** Evaluates at step {@code t}; returns the directional derivative there. */
        double at(double t) {
            Point p = objective.at(t);
            loss = p.loss();
            gradient = p.gradient();
            evaluations++;
            return LBFGS.dot(gradient, d);
        }
    }

    /**
     * Searches along {@code d} from the current parameters.
     *
     * @param objective the loss and gradient at a step along {@code d}
     * @param d the direction
     * @param t0 the first step to try
     * @param f the loss at step 0
     * @param g the gradient at step 0
     * @param gtd the directional derivative at step 0, negative
     * @param toleranceChange the smallest bracket, times {@code max |d|}, worth zooming into
     * @return the step chosen
     */
    static Result search(Objective objective, double[] d, double t0, double f, double[] g, double gtd,
            double toleranceChange) {
        Trial trial = new Trial(objective, d);
        double dNorm = LBFGS.maxAbs(d);
        double t = t0;
        double gtdNew = trial.at(t);
        double tPrev = 0;
        double fPrev = f;
        double[] gPrev = g;
        double gtdPrev = gtd;
        boolean done = false;
        int iter = 0;
        double[] bracket = null;
        double[] bracketF = null;
        double[][] bracketG = null;
        double[] bracketGtd = null;
        while (iter < MAX_LINE_SEARCH) {
            if (trial.loss > f + WOLFE_DECREASE * t * gtd || (iter > 1 && trial.loss >= fPrev)) {
                bracket = new double[] {tPrev, t};
                bracketF = new double[] {fPrev, trial.loss};
                bracketG = new double[][] {gPrev, trial.gradient};
                bracketGtd = new double[] {gtdPrev, gtdNew};
                break;
            }
            if (Math.abs(gtdNew) <= -WOLFE_CURVATURE * gtd) {
                bracket = new double[] {t};
                bracketF = new double[] {trial.loss};
                bracketG = new double[][] {trial.gradient};
                done = true;
                break;
            }
            if (gtdNew >= 0) {
                bracket = new double[] {tPrev, t};
                bracketF = new double[] {fPrev, trial.loss};
                bracketG = new double[][] {gPrev, trial.gradient};
                bracketGtd = new double[] {gtdPrev, gtdNew};
                break;
            }
            double minStep = t + 0.01 * (t - tPrev);
            double maxStep = t * 10;
            double tmp = t;
            t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, trial.loss, gtdNew, minStep, maxStep);
            tPrev = tmp;
            fPrev = trial.loss;
            gPrev = trial.gradient;
            gtdPrev = gtdNew;
            gtdNew = trial.at(t);
            iter++;
        }
        if (iter == MAX_LINE_SEARCH) {
            bracket = new double[] {0, t};
            bracketF = new double[] {f, trial.loss};
            bracketG = new double[][] {g, trial.gradient};
        }
        boolean insufficientProgress = false;
        int low = bracketF[0] <= bracketF[bracketF.length - 1] ? 0 : 1;
        int high = 1 - low;
        while (!done && iter < MAX_LINE_SEARCH) {
            if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) {
                break;
            }
            t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1],
                    Math.min(bracket[0], bracket[1]), Math.max(bracket[0], bracket[1]));
            double hi = Math.max(bracket[0], bracket[1]);
            double lo = Math.min(bracket[0], bracket[1]);
            double eps = 0.1 * (hi - lo);
            if (Math.min(hi - t, t - lo) < eps) {
                if (insufficientProgress || t >= hi || t <= lo) {
                    t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - eps : lo + eps;
                    insufficientProgress = false;
                } else {
                    insufficientProgress = true;
                }
            } else {
                insufficientProgress = false;
            }
            gtdNew = trial.at(t);
            iter++;
            if (trial.loss > f + WOLFE_DECREASE * t * gtd || trial.loss >= bracketF[low]) {
                bracket[high] = t;
                bracketF[high] = trial.loss;
                bracketG[high] = trial.gradient;
                bracketGtd[high] = gtdNew;
                low = bracketF[0] <= bracketF[1] ? 0 : 1;
                high = 1 - low;
            } else {
                if (Math.abs(gtdNew) <= -WOLFE_CURVATURE * gtd) {
                    done = true;
                } else if (gtdNew * (bracket[high] - bracket[low]) >= 0) {
                    bracket[high] = bracket[low];
                    bracketF[high] = bracketF[low];
                    bracketG[high] = bracketG[low];
                    bracketGtd[high] = bracketGtd[low];
                }
                bracket[low] = t;
                bracketF[low] = trial.loss;
                bracketG[low] = trial.gradient;
                bracketGtd[low] = gtdNew;
            }
        }
        return new Result(bracket[low], bracketF[low], bracketG[low], trial.evaluations);
    }

    /**
     * The minimizer of the cubic through two points with values and derivatives, clamped to
     * {@code [lowBound, highBound]}; the middle of the bounds when the cubic has no minimizer.
     */
    static double cubicInterpolate(double x1, double f1, double g1, double x2, double f2, double g2, double lowBound,
            double highBound) {
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square >= 0) {
            double d2 = Math.sqrt(d2Square);
            double minPos = x1 <= x2
                    ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                    : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
            return Math.min(Math.max(minPos, lowBound), highBound);
        }
        return (lowBound + highBound) / 2;
    }
}
