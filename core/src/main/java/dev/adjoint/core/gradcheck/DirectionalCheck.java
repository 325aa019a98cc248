package dev.adjoint.core.gradcheck;

import dev.adjoint.core.BackwardShapeException;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.gradcheck.FiniteDifferences.Kind;
import dev.adjoint.core.gradcheck.FiniteDifferences.Verdict;
import dev.adjoint.core.gradcheck.GradCheck.Report.Element;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.random.RandomGenerator;

/**
 * The random-direction mode: {@code <u, J^T v>} (one backward pass) against {@code <J u, v>}
 * (finite differences along u) for random u, v, so the cost does not grow with the input size.
 */
final class DirectionalCheck extends CheckRun {

    DirectionalCheck(GradChecker settings, GradChecker.Evaluation f, GradChecker.CheckedInputs in) {
        super(settings, f, in);
    }


    GradCheck.Report projected(String order, int count, RandomGenerator rng) {
        Tensor y = f.apply(in.all, true);
        GradChecker.requireOutput(y);
        int[] yShape = y.shape();
        String mode = order + ", " + count + " random directions";
        double[][] projections = new double[count][];
        double[][][] directions = new double[count][xs.length][];
        double[][][] gradients = new double[count][][];
        double[] analytic = new double[count];
        try {
            for (int k = 0; k < count; k++) {
                Tensor v = Tensor.randn(rng, yShape);
                projections[k] = v.toArray();
                gradients[k] = vectorJacobian(y, v);
                double norm = 0;
                for (int c = 0; c < xs.length; c++) {
                    directions[k][c] = Tensor.randn(rng, xs[c].shape()).toArray();
                    for (double d : directions[k][c]) {
                        norm = Math.max(norm, Math.abs(d));
                    }
                }
                // Unit max-norm, so that the step eps * scale moves no element by more than eps * scale.
                for (double[] d : directions[k]) {
                    for (int j = 0; j < d.length; j++) {
                        d[j] /= norm == 0 ? 1 : norm;
                    }
                }
                analytic[k] = dot(directions[k], gradients[k]);
            }
        } catch (BackwardShapeException e) {
            return shapeFailure(mode, e, yShape);
        }
        double[] f0 = evaluate();
        if (!allFinite(f0)) {
            return notFinite(mode, yShape);
        }
        double scale = 1;
        for (double[] o : original) {
            for (double x : o) {
                scale = Math.max(scale, Math.abs(x));
            }
        }
        double step = settings.eps() * scale;
        double maxAbs = 0;
        int worstK = -1;
        double worstRatio = 1;
        int rechecked = 0;
        List<Element> mismatches = new ArrayList<>();
        List<Element> kinks = new ArrayList<>();
        double[] numeric = new double[count];
        Kind[] kinds = new Kind[count];
        for (int k = 0; k < count; k++) {
            double[] v = projections[k];
            double[][] u = directions[k];
            DoubleUnaryOperator phi = t -> dot(v, evaluateAlong(u, t));
            double fp = phi.applyAsDouble(step);
            double fm = phi.applyAsDouble(-step);
            double n = (fp - fm) / (2 * step);
            kinds[k] = Kind.AGREES;
            if (!(Math.abs(analytic[k] - n) <= FiniteDifferences.tolerance(n, atol, rtol))) {
                Verdict verdict = FiniteDifferences.confirm(phi, analytic[k], dot(v, f0), fp, fm, step, step, atol, rtol);
                n = verdict.numeric();
                kinds[k] = verdict.kind();
                rechecked += verdict.kind() == Kind.AGREES ? 1 : 0;
            }
            numeric[k] = n;
            Element e = new Element(-1, -1, new int[0], k, analytic[k], n, Math.abs(analytic[k] - n));
            if (kinds[k] == Kind.NON_DIFFERENTIABLE) {
                kinks.add(e);
                continue;
            }
            maxAbs = Math.max(maxAbs, e.error());
            if (kinds[k] == Kind.MISMATCH) {
                mismatches.add(e);
                if (ratio(analytic[k], n) >= worstRatio) {
                    worstRatio = ratio(analytic[k], n);
                    worstK = k;
                }
            }
        }
        Element worst = null;
        List<String> diagnoses = new ArrayList<>();
        if (worstK >= 0) {
            worst = localise(projections[worstK], directions[worstK], gradients[worstK], step);
            maxAbs = Math.max(maxAbs, worst.error());
            mismatches.add(0, worst);
            diagnoses.add("localised by bisection over direction " + worstK + ": the error concentrates on input " + worst.input()
                    + ", element " + worst.index());
            MistakeClassifier.describeRatios(analytic, numeric, kinds, atol).ifPresent(diagnoses::add);
        }
        if (!kinks.isEmpty()) {
            diagnoses.add(kinks.size() + " direction(s) cross a kink of the function; not counted as failures");
        }
        boolean passed = worstK < 0;
        boolean vacuous = passed && allSmall(analytic, numeric);
        if (vacuous) {
            diagnoses.add("vacuous: every directional derivative is zero (within atol), so this check tests nothing");
        }
        return new GradCheck.Report(passed, mode, maxAbs, worst, mismatches.subList(0, Math.min(SHOWN, mismatches.size())),
                kinks, diagnoses, vacuous, count, rechecked, settings, allShapes(), yShape, mismatches.size() - (worst == null ? 0 : 1));
    }

    /**
     * Finds the element behind a failing direction. The error of a direction is linear in the
     * direction, so restricting it to one input, then to halves of that input, and following the
     * larger error leads to a culprit in about 2 log2(n) evaluations.
     */
    private Element localise(double[] v, double[][] u, double[][] g, double step) {
        int bestC = 0;
        double bestErr = -1;
        for (int c = 0; c < xs.length; c++) {
            double err = Math.abs(restrictedError(v, u, g, c, 0, u[c].length, step));
            if (err > bestErr) {
                bestErr = err;
                bestC = c;
            }
        }
        int lo = 0;
        int hi = u[bestC].length;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            double left = Math.abs(restrictedError(v, u, g, bestC, lo, mid, step));
            double right = Math.abs(restrictedError(v, u, g, bestC, mid, hi, step));
            if (left >= right) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        int c = bestC;
        int j = lo;
        double x0 = original[c][j];
        double h = settings.eps() * Math.max(1, Math.abs(x0));
        DoubleUnaryOperator phi = t -> dot(v, evaluateWith(c, j, x0 + t));
        double f0 = phi.applyAsDouble(0);
        double fp = phi.applyAsDouble(h);
        double fm = phi.applyAsDouble(-h);
        double a = g[c][j];
        double n = (fp - fm) / (2 * h);
        if (!(Math.abs(a - n) <= FiniteDifferences.tolerance(n, atol, rtol))) {
            n = FiniteDifferences.confirm(phi, a, f0, fp, fm, h, h, atol, rtol).numeric();
        }
        return element(c, j, xs[c].shape(), -1, a, n);
    }

    private double restrictedError(double[] v, double[][] u, double[][] g, int c, int lo, int hi, double step) {
        double[][] d = new double[xs.length][];
        d[c] = new double[u[c].length];
        System.arraycopy(u[c], lo, d[c], lo, hi - lo);
        double analytic = 0;
        for (int j = lo; j < hi; j++) {
            analytic += u[c][j] * g[c][j];
        }
        double numeric = (dot(v, evaluateAlong(d, step)) - dot(v, evaluateAlong(d, -step))) / (2 * step);
        return analytic - numeric;
    }
}
