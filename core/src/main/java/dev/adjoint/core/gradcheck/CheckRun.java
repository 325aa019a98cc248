package dev.adjoint.core.gradcheck;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.BackwardShapeException;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.gradcheck.FiniteDifferences.Kind;
import dev.adjoint.core.gradcheck.FiniteDifferences.Verdict;
import dev.adjoint.core.gradcheck.GradCheck.Report.Element;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.random.RandomGenerator;

/**
 * One gradient check through the full Jacobian, plus the machinery every mode shares: the
 * analytic pass comes first (while the graph's saved values are current), then the finite
 * differences, which perturb the inputs in place and always put the original bits back.
 * {@link DirectionalCheck} is the random-direction mode.
 */
class CheckRun {
    /** Confirming costs a few evaluations per element; past this many suspects the central difference stands. */
    private static final int MAX_CONFIRMATIONS = 256;
    /** Above this many Jacobian entries (analytic plus numeric: 2 x 8 bytes each) the check projects instead. */
    private static final long MAX_JACOBIAN_ENTRIES = 4_000_000;
    private static final int FALLBACK_DIRECTIONS = 16;
    private static final long FALLBACK_SEED = 0x5EEDL;
    /** Rows in the report's table. */
    static final int SHOWN = 5;

    final GradChecker settings;
    final GradChecker.Evaluation f;
    final GradChecker.CheckedInputs in;
    final Tensor[] xs;
    final double[][] original;
    final double atol;
    final double rtol;

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
        return fullJacobian(order, false);
    }

    /**
     * The full-Jacobian check; with {@code forward} the analytic Jacobian comes from forward mode
     * ({@link Autograd#jvp}, one unit tangent per checked element: the tangent rules) instead of
     * backward passes, and it is never swapped for random directions.
     */
    GradCheck.Report fullJacobian(String order, boolean forward) {
        Tensor y = f.apply(in.all, true);
        GradChecker.requireOutput(y);
        int[] yShape = y.shape();
        int m = y.size();
        long entries = 0;
        for (double[] o : original) {
            entries += (long) m * o.length;
        }
        if (forward) {
            return compare(order + ", full Jacobian by forward mode", yShape, m, forwardJacobian(m));
        }
        if (entries > MAX_JACOBIAN_ENTRIES) {
            // Two Jacobians of this size would not fit comfortably in memory; projections still check every entry's
            // contribution, and the report says which mode ran.
            return new DirectionalCheck(settings, f, in).projected(order + " (the full Jacobian would have " + entries
                    + " entries)", FALLBACK_DIRECTIONS, new SplittableRandom(FALLBACK_SEED));
        }
        String mode = order + ", full Jacobian";
        double[][][] analytic = new double[xs.length][m][];
        try {
            for (int r = 0; r < m; r++) {
                double[][] rows = vectorJacobian(y, unit(yShape, m, r));
                for (int c = 0; c < xs.length; c++) {
                    analytic[c][r] = rows[c];
                }
            }
        } catch (BackwardShapeException e) {
            return shapeFailure(mode, e, yShape);
        }
        return compare(mode, yShape, m, analytic);
    }

    /** The Jacobian [input][output element][input element] from one forward-mode pass per checked element. */
    private double[][][] forwardJacobian(int m) {
        double[][][] analytic = new double[xs.length][m][];
        for (int c = 0; c < xs.length; c++) {
            int n = original[c].length;
            for (int r = 0; r < m; r++) {
                analytic[c][r] = new double[n];
            }
            for (int j = 0; j < n; j++) {
                List<Tensor> tangents = new ArrayList<>(in.all.size());
                for (int i = 0; i < in.all.size(); i++) {
                    tangents.add(i == in.checked[c] ? unit(xs[c].shape(), n, j) : Tensor.zeros(in.all.get(i).dtype(), in.all.get(i).shape()));
                }
                double[] column = Autograd.jvp(all -> f.apply(all, true), in.all, tangents).tangent().toArray();
                for (int r = 0; r < m; r++) {
                    analytic[c][r][j] = column[r];
                }
            }
        }
        return analytic;
    }

    /** Compares an analytic Jacobian with finite differences, confirming suspects. */
    private GradCheck.Report compare(String mode, int[] yShape, int m, double[][][] analytic) {
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
                kinks, diagnoses, vacuous, compared, rechecked, settings, allShapes(), yShape, mismatches.size());
    }

    // ---------------------------------------------------------------- evaluation

    /** Rows of the vector-Jacobian product gradOutput^T J, one per checked input. */
    double[][] vectorJacobian(Tensor y, Tensor gradOutput) {
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

    double[] evaluate() {
        Tensor y = f.apply(in.all, false);
        GradChecker.requireOutput(y);
        return y.toArray();
    }

    double[] evaluateWith(int c, int j, double value) {
        try {
            xs[c].modify(d -> d[j] = value);
            return evaluate();
        } finally {
            xs[c].modify(d -> d[j] = original[c][j]);
        }
    }

    double[] evaluateAlong(double[][] direction, double t) {
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

    GradCheck.Report shapeFailure(String mode, BackwardShapeException e, int[] yShape) {
        List<String> d = new ArrayList<>();
        d.add(e.getMessage());
        d.add(MistakeClassifier.describeShapeMistake(e.op(), e.input(), e.gradientShape(), e.inputShape()));
        Element worst = null;
        for (int i = 0; i < in.all.size(); i++) {
            if (in.all.get(i) == e.inputTensor()) {
                // The op was applied to this input directly: name it, though no element can be singled out.
                worst = new Element(i, -1, new int[0], -1, Double.NaN, Double.NaN, Double.NaN);
            }
        }
        return new GradCheck.Report(false, mode, Double.NaN, worst, List.of(), List.of(), d, false, 0, 0, settings,
                allShapes(), yShape, 0);
    }

    GradCheck.Report notFinite(String mode, int[] yShape) {
        return failure(mode, List.of("the function is not finite (NaN or infinity) at the given inputs,"
                + " so it has no derivative there to check; move the inputs into its domain"), yShape);
    }

    private GradCheck.Report failure(String mode, List<String> diagnoses, int[] yShape) {
        return new GradCheck.Report(false, mode, Double.NaN, null, List.of(), List.of(), diagnoses, false, 0, 0, settings,
                allShapes(), yShape, 0);
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
    double ratio(double a, double n) {
        double e = Math.abs(a - n);
        return Double.isNaN(e) ? Double.POSITIVE_INFINITY : e / (FiniteDifferences.tolerance(n, atol, rtol) + Double.MIN_VALUE);
    }

    Element element(int c, int j, int[] shape, int r, double a, double n) {
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

    List<int[]> allShapes() {
        List<int[]> s = new ArrayList<>();
        for (Tensor x : in.all) {
            s.add(x.shape());
        }
        return s;
    }

    private static Tensor unit(int[] shape, int size, int r) {
        double[] d = new double[size];
        d[r] = 1;
        return Tensor.of(d, shape);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static double dot(double[][] a, double[][] b) {
        double s = 0;
        for (int c = 0; c < a.length; c++) {
            s += dot(a[c], b[c]);
        }
        return s;
    }

    static boolean allFinite(double[] v) {
        for (double d : v) {
            if (!Double.isFinite(d)) {
                return false;
            }
        }
        return true;
    }

    boolean allSmall(double[] a, double[] n) {
        for (int k = 0; k < a.length; k++) {
            if (Math.abs(a[k]) > atol || Math.abs(n[k]) > atol) {
                return false;
            }
        }
        return true;
    }
}
