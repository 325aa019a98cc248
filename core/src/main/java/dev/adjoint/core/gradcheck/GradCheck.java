package dev.adjoint.core.gradcheck;

import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Checks analytic gradients (what the backward passes compute) against finite differences, for any
 * function of any number of tensors: one op, a custom op, or a whole model.
 *
 * <pre>{@code
 * Tensor x = Tensor.randn(rng, 3, 4).requiresGrad(true);
 * GradCheck.Report r = GradCheck.check(in -> myOp.apply(in.get(0)).sum(), List.of(x));
 * assertTrue(r.passed(), r::toString);
 * }</pre>
 *
 * <p>Every input element {@code x} is perturbed by {@code h = eps * max(1, |x|)} (central
 * differences) and compared with {@code |analytic - numeric| <= atol + rtol * |numeric|}; the
 * defaults are PyTorch's ({@value #DEFAULT_EPS}, {@value #DEFAULT_ATOL}, {@value #DEFAULT_RTOL}).
 * Before a mismatch is reported it is confirmed: an element next to a kink (one-sided slopes that
 * stay apart as the step shrinks, like relu or abs at 0 or a tie in max) is set aside as
 * non-differentiable when the analytic value lies between the slopes, and a smooth element is
 * re-measured with a 5-point stencil, which removes false alarms from truncation error. A failing
 * report names the input and element with the worst error, tabulates the worst elements and says
 * when the error looks like a classic mistake (a constant factor, a transpose, a missing broadcast
 * sum, a missing or swapped gradient). Inputs are perturbed in place through {@link Tensor#modify}
 * and restored bit for bit afterwards (their version counters do move on).
 *
 * <p>float32 inputs are not perturbed: finite differences in float32 are meaningless (a step of
 * 1e-6 is lost in float32's roundoff). Every float32 input is replaced by a float64 copy with the
 * same values and requiresGrad mark, the function is run on the copies, and the report says so
 * ({@link Report#checkedFloat64Copy()}); the caller's float32 tensors are left untouched. The
 * function must therefore also work in float64: one that builds float32 constants of its own is
 * refused with an {@link IllegalArgumentException} that says so (make constants in the input's
 * dtype, {@code x.dtype()}). This holds for every entry point, {@link OpConformance} included.
 *
 * <p>Only inputs that {@link Tensor#requiresGrad() require grad} are checked; the others are held
 * constant. If none does, all are checked (each marked for the duration of the check). Inputs must
 * be leaves. Non-scalar outputs are checked through their full Jacobian, one backward pass per
 * output element; for large inputs or outputs, {@link #randomDirections} compares
 * {@code <J u, v>} with {@code <u, J^T v>} for a few random {@code u, v} instead and then localises
 * a failure by bisection. A full Jacobian of more than 4 million entries (output size times input
 * size) is checked through 16 random directions instead, and the report's {@link Report#mode()}
 * says so.
 */
public final class GradCheck {
    /** The default finite-difference step, relative to max(1, |x|). */
    public static final double DEFAULT_EPS = 1e-6;
    /** The default absolute tolerance. */
    public static final double DEFAULT_ATOL = 1e-5;
    /** The default relative tolerance. */
    public static final double DEFAULT_RTOL = 1e-3;

    private static final GradChecker DEFAULTS = new GradChecker(DEFAULT_EPS, DEFAULT_ATOL, DEFAULT_RTOL, 0, null);

    private GradCheck() {
    }

    /**
     * Checks the first derivatives of {@code f} at {@code inputs} with the default settings.
     *
     * @param f any function of the inputs built from tensor ops (called many times; must be deterministic)
     * @param inputs leaf tensors; those that require grad are checked
     * @return the report; {@link Report#passed()} says whether the gradients are right
     */
    public static Report check(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        return DEFAULTS.check(f, inputs);
    }

    /**
     * Checks the second derivatives of {@code f} at {@code inputs}, like PyTorch's gradgradcheck:
     * the gradient function {@code x -> <J(x)^T v, w>} for fixed random {@code v, w}, computed with
     * {@code createGraph}, is itself checked against finite differences.
     *
     * @param f any function of the inputs built from tensor ops
     * @param inputs leaf tensors; those that require grad are checked
     * @return the report
     */
    public static Report checkSecondOrder(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        return DEFAULTS.checkSecondOrder(f, inputs);
    }

    /**
     * Checks the tangent rules of {@code f} at {@code inputs}: the Jacobian that forward mode
     * ({@link dev.adjoint.core.Autograd#jvp}) computes, one unit tangent per checked element,
     * against finite differences, with the same confirmation and report as {@link #check}.
     *
     * @param f any function of the inputs built from tensor ops
     * @param inputs leaf tensors; those that require grad are checked
     * @return the report
     */
    public static Report checkForward(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        return DEFAULTS.checkForward(f, inputs);
    }

    /**
     * A checker with other tolerances (and otherwise the defaults).
     *
     * @param eps the finite-difference step, relative to max(1, |x|); positive
     * @param atol the absolute tolerance; non-negative
     * @param rtol the relative tolerance; non-negative
     * @return the configured checker
     */
    public static GradChecker withTolerances(double eps, double atol, double rtol) {
        return DEFAULTS.withTolerances(eps, atol, rtol);
    }

    /**
     * A checker that compares {@code count} random directional derivatives instead of the full
     * Jacobian: a few function evaluations regardless of the input size.
     *
     * @param count the number of random directions; at least 1
     * @param rng the source of the directions
     * @return the configured checker
     */
    public static GradChecker randomDirections(int count, RandomGenerator rng) {
        return DEFAULTS.randomDirections(count, rng);
    }

    /**
     * The outcome of a gradient check. {@link #toString()} is written to be read in a test failure:
     * the verdict, the worst element, a small table of the worst mismatches and any recognised mistake.
     */
    public static final class Report {
        /**
         * One compared quantity: an element of an input's gradient (for the output element
         * {@code output}), or in random-direction mode a directional derivative ({@code index} -1).
         *
         * @param input the position of the input in the list
         * @param index the row-major index of the element within the input, or -1 for a direction
         * @param position the element's multi-index in the input's shape (empty for a direction)
         * @param output the row-major index of the output element, or -1 for a projection
         * @param analytic what the backward pass computed
         * @param numeric what finite differences measured
         * @param error the absolute difference
         */
        public record Element(int input, int index, int[] position, int output, double analytic, double numeric, double error) {
        }

        private final boolean passed;
        private final String mode;
        private final double maxAbsError;
        private final Element worst;
        private final List<Element> mismatches;
        private final List<Element> nonDifferentiable;
        private final List<String> diagnoses;
        private final boolean vacuous;
        private final int compared;
        private final int recheckedByStencil;
        private final GradChecker settings;
        private final List<int[]> inputShapes;
        private final int[] outputShape;
        private final int mismatchCount;
        private final boolean float64Copy;

        Report(boolean passed, String mode, double maxAbsError, Element worst, List<Element> mismatches,
               List<Element> nonDifferentiable, List<String> diagnoses, boolean vacuous, int compared,
               int recheckedByStencil, GradChecker settings, List<int[]> inputShapes, int[] outputShape, int mismatchCount) {
            this(passed, mode, maxAbsError, worst, mismatches, nonDifferentiable, diagnoses, vacuous, compared, recheckedByStencil,
                    settings, inputShapes, outputShape, mismatchCount, false);
        }

        private Report(boolean passed, String mode, double maxAbsError, Element worst, List<Element> mismatches,
                       List<Element> nonDifferentiable, List<String> diagnoses, boolean vacuous, int compared,
                       int recheckedByStencil, GradChecker settings, List<int[]> inputShapes, int[] outputShape,
                       int mismatchCount, boolean float64Copy) {
            this.float64Copy = float64Copy;
            this.mismatchCount = mismatchCount;
            this.inputShapes = List.copyOf(inputShapes);
            this.outputShape = outputShape;
            this.passed = passed;
            this.mode = mode;
            this.maxAbsError = maxAbsError;
            this.worst = worst;
            this.mismatches = List.copyOf(mismatches);
            this.nonDifferentiable = List.copyOf(nonDifferentiable);
            this.diagnoses = List.copyOf(diagnoses);
            this.vacuous = vacuous;
            this.compared = compared;
            this.recheckedByStencil = recheckedByStencil;
            this.settings = settings;
        }

        /**
         * Whether every differentiable element agreed within tolerance.
         *
         * @return the verdict
         */
        public boolean passed() {
            return passed;
        }

        /**
         * The largest {@code |analytic - numeric|} over the differentiable elements.
         *
         * @return the error, or NaN if the check could not run
         */
        public double maxAbsError() {
            return maxAbsError;
        }

        /**
         * The input holding the worst element: the one whose error is largest relative to its
         * tolerance {@code atol + rtol * |numeric|} (so a failing element outranks a large but
         * tolerated error elsewhere).
         *
         * @return its position in the input list, or -1 if nothing was compared
         */
        public int worstInput() {
            return worst == null ? -1 : worst.input();
        }

        /**
         * The row-major index of the worst element (see {@link #worstInput()}) within its input.
         *
         * @return the index, or -1 if unknown
         */
        public int worstIndex() {
            return worst == null ? -1 : worst.index();
        }

        /**
         * The worst element (see {@link #worstInput()}) with its analytic and numeric values.
         *
         * @return the element, or null if nothing was compared
         */
        public Element worst() {
            return worst;
        }

        /**
         * The confirmed mismatches, worst first; at most a few, as the report's table shows.
         *
         * @return the mismatches
         */
        public List<Element> mismatches() {
            return mismatches;
        }

        /**
         * How many compared values disagreed; {@link #mismatches()} lists only the worst few.
         *
         * @return the count
         */
        public int mismatchCount() {
            return mismatchCount;
        }

        /**
         * Elements set aside because the function has a kink there; at most a few.
         *
         * @return the elements
         */
        public List<Element> nonDifferentiable() {
            return nonDifferentiable;
        }

        /**
         * Recognised mistakes and other findings, in words.
         *
         * @return the findings; empty when there is nothing to say
         */
        public List<String> diagnoses() {
            return diagnoses;
        }

        /**
         * Whether the check passed only because every analytic and numeric value was (within atol)
         * zero: such a check tests nothing, so look at the inputs.
         *
         * @return the flag
         */
        public boolean vacuous() {
            return vacuous;
        }

        /**
         * How many quantities were compared: gradient elements, or directional derivatives.
         *
         * @return the count
         */
        public int compared() {
            return compared;
        }

        /**
         * What was checked: the order (first or second) and the mode (full Jacobian or random directions).
         *
         * @return the description
         */
        public String mode() {
            return mode;
        }

        /**
         * Whether the inputs included float32 tensors, so that the check ran on float64 copies of
         * them (the function itself unchanged): finite differences in float32 are meaningless, as a
         * step of 1e-6 is only 16 times float32's resolution (about 6e-8 relative), leaving one or
         * two significant digits in {@code f(x + h) - f(x - h)}. The verdict is then about the
         * function's derivatives, computed in float64.
         *
         * @return the flag
         */
        public boolean checkedFloat64Copy() {
            return float64Copy;
        }

        /** This report, marked as a check of float64 copies of float32 inputs. */
        Report asFloat64CopyCheck() {
            return new Report(passed, mode, maxAbsError, worst, mismatches, nonDifferentiable, diagnoses, vacuous, compared,
                    recheckedByStencil, settings, inputShapes, outputShape, mismatchCount, true);
        }

        int recheckedByStencil() {
            return recheckedByStencil;
        }

        GradChecker settings() {
            return settings;
        }

        /** The shapes of all inputs, by position in the list. */
        List<int[]> inputShapes() {
            return inputShapes;
        }

        /** The output's shape, or null if the function never ran. */
        int[] outputShape() {
            return outputShape;
        }

        /**
         * A multi-line account of the check, written to be read in a test failure.
         *
         * @return the text
         */
        @Override
        public String toString() {
            return ReportText.format(this);
        }
    }
}
