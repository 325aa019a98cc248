package dev.adjoint.core.gradcheck;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * A configured gradient checker: tolerances and mode. Immutable; each {@code with...} method
 * returns a new checker. Obtain one from {@link GradCheck#withTolerances} or
 * {@link GradCheck#randomDirections}; see {@link GradCheck} for what a check does.
 *
 * <pre>{@code
 * GradCheck.Report r = GradCheck.withTolerances(1e-6, 1e-7, 1e-5)
 *         .randomDirections(8, new SplittableRandom(1))
 *         .check(in -> model(in.get(0)).sum(), List.of(weights));
 * }</pre>
 */
public final class GradChecker {
    /** Why float32 inputs are checked through float64 copies, in the report's words. */
    static final String FLOAT64_COPY_REASON = "finite differences in float32 are meaningless";
    /** Seed of the random vectors of second-order checks when no generator was configured: reproducible reports. */
    private static final long DEFAULT_SEED = 0x5EEDL;

    private final double eps;
    private final double atol;
    private final double rtol;
    private final int directions;
    private final RandomGenerator rng;

    GradChecker(double eps, double atol, double rtol, int directions, RandomGenerator rng) {
        if (!(eps > 0) || !Double.isFinite(eps)) {
            throw new IllegalArgumentException("GradCheck: eps must be positive and finite, got " + eps);
        }
        if (!(atol >= 0) || !(rtol >= 0) || !Double.isFinite(atol) || !Double.isFinite(rtol)) {
            throw new IllegalArgumentException("GradCheck: atol and rtol must be non-negative and finite, got atol=" + atol
                    + ", rtol=" + rtol);
        }
        if (directions < 0) {
            throw new IllegalArgumentException("GradCheck: the number of random directions must be at least 1, got " + directions);
        }
        this.eps = eps;
        this.atol = atol;
        this.rtol = rtol;
        this.directions = directions;
        this.rng = rng;
    }

    /**
     * This checker with other tolerances.
     *
     * @param eps the finite-difference step, relative to max(1, |x|); positive
     * @param atol the absolute tolerance; non-negative
     * @param rtol the relative tolerance; non-negative
     * @return the new checker
     */
    public GradChecker withTolerances(double eps, double atol, double rtol) {
        return new GradChecker(eps, atol, rtol, directions, rng);
    }

    /**
     * This checker in random-direction mode: {@code count} comparisons of {@code <J u, v>}
     * (finite differences along u) with {@code <u, J^T v>} (one backward pass) for random u, v.
     * A failing direction is then localised to an input and an element by bisection.
     *
     * @param count the number of directions; at least 1
     * @param rng the source of the directions
     * @return the new checker
     */
    public GradChecker randomDirections(int count, RandomGenerator rng) {
        if (count < 1) {
            throw new IllegalArgumentException("randomDirections: count must be at least 1, got " + count);
        }
        if (rng == null) {
            throw new IllegalArgumentException("randomDirections: random generator is null");
        }
        return new GradChecker(eps, atol, rtol, count, rng);
    }

    /**
     * This checker comparing the full Jacobian, element by element (the default mode).
     *
     * @return the new checker
     */
    public GradChecker fullJacobian() {
        return new GradChecker(eps, atol, rtol, 0, rng);
    }

    /**
     * The finite-difference step, relative to max(1, |x|).
     *
     * @return the step
     */
    public double eps() {
        return eps;
    }

    /**
     * The absolute tolerance {@code atol} in {@code |analytic - numeric| <= atol + rtol * |numeric|}.
     *
     * @return the tolerance
     */
    public double atol() {
        return atol;
    }

    /**
     * The relative tolerance {@code rtol} in {@code |analytic - numeric| <= atol + rtol * |numeric|}.
     *
     * @return the tolerance
     */
    public double rtol() {
        return rtol;
    }

    /**
     * The number of random directions compared per check.
     *
     * @return the number, or 0 in full-Jacobian mode
     */
    public int directions() {
        return directions;
    }

    /**
     * Checks the first derivatives of {@code f} at {@code inputs}.
     *
     * @param f any deterministic function of the inputs built from tensor ops
     * @param inputs leaf tensors; those that require grad are checked
     * @return the report
     */
    public GradCheck.Report check(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        requireFunction(f);
        return run(new PlainEvaluation(f), CheckedInputs.of(inputs), "first order");
    }

    /**
     * Checks the second derivatives of {@code f} at {@code inputs}: the function
     * {@code x -> sum_i <grad_i(<f(x), v>), w_i>} for fixed random v, w, whose gradients come from a
     * backward pass recorded with {@code createGraph}, is checked like a first-order function.
     *
     * @param f any deterministic function of the inputs built from tensor ops
     * @param inputs leaf tensors; those that require grad are checked
     * @return the report
     */
    public GradCheck.Report checkSecondOrder(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        requireFunction(f);
        CheckedInputs in = CheckedInputs.of(inputs);
        try {
            RandomGenerator r = rng != null ? rng : new SplittableRandom(DEFAULT_SEED);
            Tensor probe = in.explain(() -> new PlainEvaluation(f).apply(in.all, false));
            requireOutput(probe);
            Tensor v = Tensor.randn(r, probe.shape());
            List<Tensor> checked = in.checkedTensors();
            List<Tensor> w = new ArrayList<>();
            for (Tensor t : checked) {
                w.add(Tensor.randn(r, t.shape()));
            }
            Evaluation e = (xs, analytic) -> {
                Tensor y = f.apply(xs);
                requireOutput(y);
                if (!y.requiresGrad()) {
                    return Tensor.scalar(0);
                }
                List<Tensor> g = Autograd.grad(y, v, checked, analytic);
                Tensor s = Tensor.scalar(0);
                for (int i = 0; i < g.size(); i++) {
                    s = s.add(g.get(i).mul(w.get(i)).sum());
                }
                return s;
            };
            return run(e, in, "second order (gradient of <J^T v, w> for random v, w)");
        } finally {
            in.restoreMarks();
        }
    }

    /**
     * Checks the tangent rules (forward mode, {@link Autograd#jvp}) of {@code f} at {@code inputs}:
     * the Jacobian built column by column from one forward-mode pass per checked element, against
     * finite differences. Always the full Jacobian, whatever the mode of this checker.
     *
     * @param f any deterministic function of the inputs built from tensor ops
     * @param inputs leaf tensors; those that require grad are checked
     * @return the report
     */
    public GradCheck.Report checkForward(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        requireFunction(f);
        CheckedInputs in = CheckedInputs.of(inputs);
        try {
            return in.note(in.explain(() -> new CheckRun(this, new PlainEvaluation(f), in).fullJacobian("forward mode (tangent rules)", true)));
        } finally {
            in.restoreMarks();
        }
    }

    private GradCheck.Report run(Evaluation f, CheckedInputs in, String order) {
        try {
            return in.note(in.explain(() -> directions == 0 ? new CheckRun(this, f, in).fullJacobian(order)
                    : new DirectionalCheck(this, f, in).projected(order, directions, rng)));
        } finally {
            in.restoreMarks();
        }
    }

    private static void requireFunction(Function<List<Tensor>, Tensor> f) {
        if (f == null) {
            throw new IllegalArgumentException("GradCheck: function is null");
        }
    }

    static void requireOutput(Tensor y) {
        if (y == null) {
            throw new IllegalArgumentException("GradCheck: the function returned null");
        }
    }

    /**
     * The settings, for a test's failure message.
     *
     * @return the tolerances and the mode
     */
    @Override
    public String toString() {
        return "GradChecker[eps=" + eps + ", atol=" + atol + ", rtol=" + rtol
                + (directions == 0 ? ", full Jacobian]" : ", " + directions + " random directions]");
    }

    /** The checked function: recorded for the analytic pass, plain (cheaper) for finite differences. */
    interface Evaluation {
        Tensor apply(List<Tensor> xs, boolean analytic);
    }

    /**
     * A first-order function: recorded for the analytic pass, unrecorded (cheaper) for finite
     * differences, unless it needs recording itself because it differentiates internally (a
     * gradient penalty calls {@link Autograd#grad}), which fails under noGrad.
     */
    private static final class PlainEvaluation implements Evaluation {
        private final Function<List<Tensor>, Tensor> f;
        private boolean record;

        PlainEvaluation(Function<List<Tensor>, Tensor> f) {
            this.f = f;
        }

        @Override
        public Tensor apply(List<Tensor> xs, boolean analytic) {
            if (analytic || record) {
                return f.apply(xs);
            }
            Autograd.Scope plain = Autograd.noGrad();
            try {
                return f.apply(xs);
            } catch (IllegalStateException e) {
                record = true;
            } finally {
                plain.close();
            }
            return f.apply(xs);
        }
    }

    /**
     * The inputs of one check: which are checked, and the requiresGrad marks to undo afterwards.
     * When any input is float32, every float32 input is replaced by a float64 copy (same values,
     * same requiresGrad mark) and the check runs on the copies: a float32 central difference with
     * eps 1e-6 would be pure roundoff (float32 resolves about 6e-8 relative, so f(x + h) - f(x - h)
     * keeps one or two significant digits at best). The caller's tensors are then never touched.
     */
    static final class CheckedInputs {
        final List<Tensor> all;
        final int[] checked;
        private final boolean marked;
        /** Whether float32 inputs were replaced by float64 copies. */
        final boolean widened;

        private CheckedInputs(List<Tensor> all, int[] checked, boolean marked, boolean widened) {
            this.all = all;
            this.checked = checked;
            this.marked = marked;
            this.widened = widened;
        }

        static CheckedInputs of(List<Tensor> inputs) {
            if (inputs == null) {
                throw new IllegalArgumentException("GradCheck: inputs is null");
            }
            List<Tensor> all = new ArrayList<>(inputs);
            int[] checked = new int[all.size()];
            int n = 0;
            for (int i = 0; i < all.size(); i++) {
                Tensor t = all.get(i);
                if (t == null) {
                    throw new IllegalArgumentException("GradCheck: input " + i + " is null");
                }
                if (!t.isLeaf()) {
                    throw new IllegalArgumentException("GradCheck: input " + i + " of shape " + Arrays.toString(t.shape())
                            + " is the result of " + t.gradFnName()
                            + "; the checker perturbs inputs in place, so pass leaves (detach() it, or move the op into the function)");
                }
                if (t.requiresGrad()) {
                    checked[n++] = i;
                }
            }
            boolean widened = false;
            for (int i = 0; i < all.size(); i++) {
                Tensor t = all.get(i);
                if (t.dtype() == DType.FLOAT32) {
                    all.set(i, Tensor.of(t.toArray(), t.shape()).requiresGrad(t.requiresGrad()));
                    widened = true;
                }
            }
            boolean marked = n == 0;
            if (marked) {
                // Nothing marked: the caller evidently means all of them.
                for (int i = 0; i < all.size(); i++) {
                    checked[n++] = i;
                }
            }
            for (int k = 0; k < n; k++) {
                requirePerturbable(all.get(checked[k]), checked[k]);
            }
            if (marked) {
                for (Tensor t : all) {
                    t.requiresGrad(true);
                }
            }
            return new CheckedInputs(all, Arrays.copyOf(checked, n), marked, widened);
        }

        /** The report, saying that it checked float64 copies when it did. */
        GradCheck.Report note(GradCheck.Report r) {
            return widened ? r.asFloat64CopyCheck() : r;
        }

        /**
         * Runs {@code check}; when the inputs were widened and the function then mixes dtypes (it
         * builds float32 constants of its own), the refusal says why the function met float64.
         */
        <T> T explain(Supplier<T> check) {
            try {
                return check.get();
            } catch (IllegalArgumentException e) {
                if (!widened || e.getMessage() == null || !e.getMessage().contains("cannot mix float32 and float64")) {
                    throw e;
                }
                throw new IllegalArgumentException("GradCheck: the inputs are float32, so the function runs on float64 copies"
                        + " of them (" + FLOAT64_COPY_REASON + "), but it mixes dtypes: " + e.getMessage()
                        + ". Build its constants in its inputs' dtype (Tensor.zeros(x.dtype(), ...), c.to(x.dtype()))"
                        + " so that it runs in float64 too", e);
            }
        }

        /** Fails before any work if the input is a view, which cannot be perturbed in place. */
        private static void requirePerturbable(Tensor t, int i) {
            try {
                // An empty update: it only bumps the version, which the perturbations would do anyway.
                t.modify(d -> { });
            } catch (IllegalStateException e) {
                throw new IllegalArgumentException("GradCheck: input " + i + " of shape " + Arrays.toString(t.shape())
                        + " is a view of another tensor's buffer (a detached transpose or expand) and cannot be perturbed"
                        + " in place; pass a copy: Tensor.of(x.toArray(), x.shape())", e);
            }
        }

        List<Tensor> checkedTensors() {
            List<Tensor> out = new ArrayList<>(checked.length);
            for (int i : checked) {
                out.add(all.get(i));
            }
            return out;
        }

        void restoreMarks() {
            if (marked) {
                for (Tensor t : all) {
                    t.requiresGrad(false);
                }
            }
        }
    }
}
