package dev.adjoint.core.gradcheck;

import java.util.function.DoubleUnaryOperator;
import org.apache.commons.math3.analysis.UnivariateFunction;
import org.apache.commons.math3.analysis.differentiation.DerivativeStructure;
import org.apache.commons.math3.analysis.differentiation.FiniteDifferencesDifferentiator;

/**
 * The second opinion GradCheck asks for before it reports a mismatch. The first measurement is a
 * central difference with step h; a disagreement can come from the gradient (a bug), from the
 * function (a kink within h of the point) or from the measurement (truncation error where the
 * function curves hard). This class tells them apart on a scalar function {@code phi(t)} of the
 * step {@code t} along one direction.
 */
final class FiniteDifferences {
    /** The stencil step relative to the central step: its O(step^4) truncation error is negligible at once. */
    private static final double STENCIL_STEP_FACTOR = 2;
    /** commons-math3's 5-point stencil: truncation error O(step^4). */
    private static final int STENCIL_POINTS = 5;

    private FiniteDifferences() {
    }

    enum Kind {
        /** The analytic value was right; the central difference was the inaccurate one. */
        AGREES,
        /** A kink: one-sided slopes differ and stay apart as the step shrinks. */
        NON_DIFFERENTIABLE,
        /** Confirmed: the analytic value is wrong. */
        MISMATCH
    }

    /** A verdict and the best numeric value found for the derivative. */
    record Verdict(Kind kind, double numeric) {
    }

    /**
     * Judges a suspected mismatch.
     *
     * @param phi the function along the direction; phi(0) is the unperturbed value
     * @param analytic the analytic derivative of phi at 0
     * @param f0 phi(0)
     * @param fp phi(up)
     * @param fm phi(-down)
     * @param up the forward step actually taken (positive)
     * @param down the backward step actually taken (positive)
     */
    static Verdict confirm(DoubleUnaryOperator phi, double analytic, double f0, double fp, double fm, double up, double down,
                           double atol, double rtol) {
        double central = (fp - fm) / (up + down);
        double right = (fp - f0) / up;
        double left = (f0 - fm) / down;
        double jump = Math.abs(right - left);
        double stencilStep = STENCIL_STEP_FACTOR * Math.min(up, down);
        if (jump > tolerance(Math.max(Math.abs(left), Math.abs(right)), atol, rtol)) {
            // A smooth function's one-sided slopes differ by about h * f'', so they close in tenfold
            // when h shrinks tenfold; across a kink the gap is the jump in slope and does not shrink.
            double upSmall = up / 10;
            double downSmall = down / 10;
            double fpSmall = phi.applyAsDouble(upSmall);
            double fmSmall = phi.applyAsDouble(-downSmall);
            double rightSmall = (fpSmall - f0) / upSmall;
            double leftSmall = (f0 - fmSmall) / downSmall;
            double jumpSmall = Math.abs(rightSmall - leftSmall);
            if (jumpSmall > 0.5 * jump) {
                double lo = Math.min(Math.min(left, right), Math.min(leftSmall, rightSmall));
                double hi = Math.max(Math.max(left, right), Math.max(leftSmall, rightSmall));
                double tol = tolerance(Math.max(Math.abs(lo), Math.abs(hi)), atol, rtol);
                // Any value between the one-sided slopes is a legitimate (sub)gradient at a kink.
                boolean admissible = analytic >= lo - tol && analytic <= hi + tol;
                return new Verdict(admissible ? Kind.NON_DIFFERENTIABLE : Kind.MISMATCH, central);
            }
            // Smooth at the smaller scale: a kink (or hard curvature) lay between h/10 and h, so the
            // smaller step measures the derivative better; so does a stencil on that scale.
            double centralSmall = (fpSmall - fmSmall) / (upSmall + downSmall);
            if (Math.abs(analytic - centralSmall) <= tolerance(centralSmall, atol, rtol)) {
                return new Verdict(Kind.AGREES, centralSmall);
            }
            stencilStep /= 10;
        }
        double stencil = stencil(phi, stencilStep);
        if (!Double.isFinite(stencil)) {
            return new Verdict(Kind.MISMATCH, central);
        }
        boolean agrees = Math.abs(analytic - stencil) <= tolerance(stencil, atol, rtol);
        return new Verdict(agrees ? Kind.AGREES : Kind.MISMATCH, stencil);
    }

    /** The derivative of phi at 0 from a centred 5-point stencil. */
    static double stencil(DoubleUnaryOperator phi, double step) {
        UnivariateFunction u = phi::applyAsDouble;
        DerivativeStructure t = new DerivativeStructure(1, 1, 0, 0.0);
        return new FiniteDifferencesDifferentiator(STENCIL_POINTS, step).differentiate(u).value(t).getPartialDerivative(1);
    }

    /** PyTorch's test: |analytic - numeric| <= atol + rtol * |numeric|. */
    static double tolerance(double numeric, double atol, double rtol) {
        return atol + rtol * Math.abs(numeric);
    }
}
