package dev.adjoint.core;

import dev.adjoint.core.FiniteDifferences.Kind;
import dev.adjoint.core.FiniteDifferences.Verdict;
import dev.adjoint.core.GradCheck.Report.Element;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.random.RandomGenerator;

/**
 * One gradient check: the analytic pass first (while the graph's saved values are current), then
 * the finite differences, which perturb the inputs in place and always put the original bits back.
 */
final class CheckRun {
    /** Confirming costs a few evaluations per element; past this many suspects the central difference stands. */
    private static final int MAX_CONFIRMATIONS = 256;
    /** Rows in the report's table. */
    private static final int SHOWN = 5;

    private final GradChecker settings;
    private final GradChecker.Evaluation f;
    private final GradChecker.CheckedInputs in;
    private final Tensor[] xs;
    private final double[][] original;
    private final double atol;
    private final double rtol;

    CheckRun(GradChecker settings, GradChecker.Evaluation f, GradChecker.CheckedInputs in) {
        this.settings = settings;
        this.f = f;
        this.in = in;
        this.xs = in.checkedTensors().toArray(new Tensor[0]);
        this.original = new double[xs.length][];
        for (int c = 0; c < xs.length; c++) {
            original[c] = xs[c].toArray();
        }
        this.atol = settings.atol();
        this.rtol = settings.rtol();
    }

    // ---------------------------------------------------------------- full Jacobian

    GradCheck.Report fullJacobian(String order) {
        Tensor y = f.apply(in.all, true);
        GradChecker.requireOutput(y);
        int[] yShape = y.shape();
        int m = y.size();
        String mode = order + ", full Jacobian";
        double[][][] analytic = new double[xs.length][m][];
        try {
            for (int r = 0; r < m; r++) {
                double[][] rows = vectorJacobian(y, unit(yShape, r));
                for (int c = 0; c < xs.length; c++) {
                    analytic[c][r] = rows[c];
                }
            }
        } catch (BackwardShapeException e) {
            return shapeFailure(mode, e, yShape);
        }
        double[] f0 = evaluate();
        if (!allFinite(f0)) {
            return notFinite(mode, yShape);
        }
        double[][][] numeric = new double[xs.length][m][];
        List<Suspect> suspects = new ArrayList<>();
        for (int c = 0; c < xs.length; c++) {
            int n = original[c].length;
            for (int r = 0; r < m; r++) {
                numeric[c][r] = new double[n];
            }
            for (int j = 0; j < n; j++) {
                double x0 = original[c][j];
                double step = settings.eps() * Math.max(1, Math.abs(x0));
                double upX = x0 + step;
                double downX = x0 - step;
                double[] fp = evaluateWith(c, j, upX);
                double[] fm = evaluateWith(c, j, downX);
                for (int r = 0; r < m; r++) {
                    double num = (fp[r] - fm[r]) / (upX - downX);
                    numeric[c][r][j] = num;
                    double a = analytic[c][r][j];
                    if (!(Math.abs(a - num) <= FiniteDifferences.tolerance(num, atol, rtol))) {
                        suspects.add(new Suspect(c, r, j, a, num, f0[r], fp[r], fm[r], upX - x0, x0 - downX));
                    }
                }
            }
        }
        boolean[][][] kink = new boolean[xs.length][m][];
        boolean[][][] mismatch = new boolean[xs.length][m][];
        for (int c = 0; c < xs.length; c++) {
            for (int r = 0; r < m; r++) {
                kink[c][r] = new boolean[original[c].length];
                mismatch[c][r] = new boolean[original[c].length];
            }
        }
        suspects.sort(Comparator.comparingDouble(Suspect::ratio).reversed());
        int rechecked = 0;
        int unconfirmed = 0;
        for (int s = 0; s < suspects.size(); s++) {
            Suspect p = suspects.get(s);
            if (s >= MAX_CONFIRMATIONS) {
                mismatch[p.c][p.r][p.j] = true;
                unconfirmed++;
                continue;
            }
            double x0 = original[p.c][p.j];
            DoubleUnaryOperator phi = t -> evaluateWith(p.c, p.j, x0 + t)[p.r];
            Verdict v = FiniteDifferences.confirm(phi, p.analytic, p.f0, p.fp, p.fm, p.up, p.down, atol, rtol);
            numeric[p.c][p.r][p.j] = v.numeric();
            if (v.kind() == Kind.AGREES) {
                rechecked++;
            } else if (v.kind() == Kind.NON_DIFFERENTIABLE) {
                kink[p.c][p.r][p.j] = true;
            } else {
                mismatch[p.c][p.r][p.j] = true;
            }
        }
        return summarise(mode, yShape, m, analytic, numeric, kink, mismatch, rechecked, unconfirmed);
    }

    private GradCheck.Report summarise(String mode, int[] yShape, int m, double[][][] analytic, double[][][] numeric,
                                       boolean[][][] kink, boolean[][][] mismatch, int rechecked, int unconfirmed) {
        double maxAbs = 0;
        Element worst = null;
        double worstRatio = -1;
        List<Element> mismatches = new ArrayList<>();
        List<Element> kinks = new ArrayList<>();
        int kinkCount = 0;
        int compared = 0;
        boolean allZero = true;
        boolean[] failedInput = new boolean[xs.length];
        for (int c = 0; c < xs.length; c++) {
            int[] shape = xs[c].shape();
            for (int r = 0; r < m; r++) {
                for (int j = 0; j < original[c].length; j++) {
                    double a = analytic[c][r][j];
                    double n = numeric[c][r][j];
                    double err = Math.abs(a - n);
                    if (kink[c][r][j]) {
                        kinkCount++;
                        if (kinks.size() < SHOWN) {
                            kinks.add(element(c, j, shape, r, a, n));
                        }
                        continue;
                    }
                    compared++;
                    allZero &= Math.abs(a) <= atol && Math.abs(n) <= atol;
                    maxAbs = Double.isNaN(err) ? Double.NaN : Math.max(maxAbs, err);
                    double ratio = ratio(a, n);
                    if (mismatch[c][r][j]) {
                        failedInput[c] = true;
                        mismatches.add(element(c, j, shape, r, a, n));
                    }
                    if (ratio > worstRatio) {
                        worstRatio = ratio;
                        worst = element(c, j, shape, r, a, n);
                    }
                }
            }
        }
        mismatches.sort(Comparator.comparingDouble((Element e) -> ratio(e.analytic(), e.numeric())).reversed());
        boolean passed = mismatches.isEmpty();
        List<String> diagnoses = new ArrayList<>();
        if (!passed) {
            diagnoses.addAll(MistakeClassifier.diagnose(analytic, numeric, kink, failedInput, shapes(), in.checked, yShape, atol, rtol));
        }
        if (unconfirmed > 0) {
            diagnoses.add(unconfirmed + " further suspected mismatches were not re-checked with the stencil (too many to confirm)");
        }
        if (kinkCount > 0) {
            diagnoses.add(kinkCount + " element(s) sit at a kink of the function (like relu or abs at 0, or a tie in max): the"
                    + " one-sided slopes differ there and the analytic value lies between them, so they are reported as"
                    + " non-differentiable, not as failures");
        }
        boolean vacuous = passed && allZero;
        if (vacuous) {
            diagnoses.add(compared == 0 ? "vacuous: nothing was compared (the inputs are empty or every element sits at a kink)"
                    : "vacuous: every analytic and numeric derivative is zero (within atol), so this check tests nothing;"
                    + " move the inputs off flat regions (relu below 0, saturated sigmoid) or check a function that depends on them");
        }
        return new GradCheck.Report(passed, mode, maxAbs, worst, mismatches.subList(0, Math.min(SHOWN, mismatches.size())),
                kinks, diagnoses, vacuous, compared, rechecked, settings, allShapes(), yShape);
    }

    // ---------------------------------------------------------------- random directions

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
                kinks, diagnoses, vacuous, count, rechecked, settings, allShapes(), yShape);
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

    // ---------------------------------------------------------------- evaluation

    /** Rows of the vector-Jacobian product gradOutput^T J, one per checked input. */
    private double[][] vectorJacobian(Tensor y, Tensor gradOutput) {
        double[][] rows = new double[xs.length][];
        if (!y.requiresGrad()) {
            // The output does not depend on any checked input: every derivative is zero.
            for (int c = 0; c < xs.length; c++) {
                rows[c] = new double[original[c].length];
            }
            return rows;
        }
        List<Tensor> g = Autograd.grad(y, gradOutput, List.of(xs), false);
        for (int c = 0; c < xs.length; c++) {
            rows[c] = g.get(c).toArray();
        }
        return rows;
    }

    private double[] evaluate() {
        Tensor y = f.apply(in.all, false);
        GradChecker.requireOutput(y);
        return y.toArray();
    }

    private double[] evaluateWith(int c, int j, double value) {
        try {
            xs[c].modify(d -> d[j] = value);
            return evaluate();
        } finally {
            xs[c].modify(d -> d[j] = original[c][j]);
        }
    }

    private double[] evaluateAlong(double[][] direction, double t) {
        try {
            for (int c = 0; c < xs.length; c++) {
                double[] u = direction[c];
                if (u != null) {
                    double[] o = original[c];
                    xs[c].modify(d -> {
                        for (int j = 0; j < d.length; j++) {
                            d[j] = o[j] + t * u[j];
                        }
                    });
                }
            }
            return evaluate();
        } finally {
            for (int c = 0; c < xs.length; c++) {
                if (direction[c] != null) {
                    double[] o = original[c];
                    xs[c].modify(d -> System.arraycopy(o, 0, d, 0, o.length));
                }
            }
        }
    }

    // ---------------------------------------------------------------- failures before any comparison

    private GradCheck.Report shapeFailure(String mode, BackwardShapeException e, int[] yShape) {
        List<String> d = new ArrayList<>();
        d.add(e.getMessage());
        d.add(MistakeClassifier.describeShapeMistake(e.op, e.input, e.gradientShape, e.inputShape));
        return failure(mode, d, yShape);
    }

    private GradCheck.Report notFinite(String mode, int[] yShape) {
        return failure(mode, List.of("the function is not finite (NaN or infinity) at the given inputs,"
                + " so it has no derivative there to check; move the inputs into its domain"), yShape);
    }

    private GradCheck.Report failure(String mode, List<String> diagnoses, int[] yShape) {
        return new GradCheck.Report(false, mode, Double.NaN, null, List.of(), List.of(), diagnoses, false, 0, 0, settings,
                allShapes(), yShape);
    }

    // ---------------------------------------------------------------- small helpers

    private record Suspect(int c, int r, int j, double analytic, double numeric, double f0, double fp, double fm,
                           double up, double down) {
        double ratio() {
            double e = Math.abs(analytic - numeric);
            return Double.isNaN(e) ? Double.POSITIVE_INFINITY : e / (1e-300 + Math.abs(numeric));
        }
    }

    /** Error in units of the tolerance; NaN counts as the worst possible. */
    private double ratio(double a, double n) {
        double e = Math.abs(a - n);
        return Double.isNaN(e) ? Double.POSITIVE_INFINITY : e / (FiniteDifferences.tolerance(n, atol, rtol) + Double.MIN_VALUE);
    }

    private Element element(int c, int j, int[] shape, int r, double a, double n) {
        return new Element(in.checked[c], j, position(j, shape), r, a, n, Math.abs(a - n));
    }

    static int[] position(int flat, int[] shape) {
        int[] p = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            p[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return p;
    }

    private List<int[]> shapes() {
        List<int[]> s = new ArrayList<>();
        for (Tensor x : xs) {
            s.add(x.shape());
        }
        return s;
    }

    private List<int[]> allShapes() {
        List<int[]> s = new ArrayList<>();
        for (Tensor x : in.all) {
            s.add(x.shape());
        }
        return s;
    }

    private static Tensor unit(int[] shape, int r) {
        double[] d = new double[dev.adjoint.core.kernel.Shapes.size(shape)];
        d[r] = 1;
        return Tensor.of(d, shape);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double dot(double[][] a, double[][] b) {
        double s = 0;
        for (int c = 0; c < a.length; c++) {
            s += dot(a[c], b[c]);
        }
        return s;
    }

    private static boolean allFinite(double[] v) {
        for (double d : v) {
            if (!Double.isFinite(d)) {
                return false;
            }
        }
        return true;
    }

    private boolean allSmall(double[] a, double[] n) {
        for (int k = 0; k < a.length; k++) {
            if (Math.abs(a[k]) > atol || Math.abs(n[k]) > atol) {
                return false;
            }
        }
        return true;
    }
}
