package dev.adjoint.core.gradcheck;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * A conformance kit for {@link CustomOp}s: one call runs every property the op contract promises
 * and reports the first that fails, for one JUnit test.
 *
 * <pre>{@code
 * OpConformance.Report r = OpConformance.check(mySoftsign, new int[] {3, 4});
 * assertTrue(r.passed(), r::toString);
 * }</pre>
 *
 * <p>The op runs on random inputs of the given shapes (elements drawn uniformly from [0.5, 1.5]:
 * positive and away from 0, so that log, sqrt and division are defined and kinks are avoided), and
 * on the same values laid out as views: <i>transposed</i> (the last two axes swapped in memory),
 * <i>expanded</i> (a broadcast whose first axis has stride 0) and <i>narrowed</i> (a slice of a
 * wider tensor), where the shapes allow. On each layout it checks, in this order:
 * <ol>
 *   <li>{@code inputs unmodified}: the forward and the backward leave their inputs' bits alone;</li>
 *   <li>{@code deterministic}: a second run gives the same output and gradients, bit for bit;</li>
 *   <li>{@code first-order gradient} and {@code second-order gradient}: {@link GradCheck#check}
 *       and {@link GradCheck#checkSecondOrder};</li>
 *   <li>{@code tangent rule vs finite differences}: {@link GradCheck#checkForward};</li>
 *   <li>{@code tangent rule vs reverse pass}: {@code <J t, c> = <t, J^T c>} for random t, c,
 *       forward mode against the backward pass, to 1e-9 relative;</li>
 *   <li>{@code thread safety}: 8 threads applying the op and back-propagating through it at once
 *       get the single-thread output and gradients, bit for bit.</li>
 * </ol>
 * The report names the first failing property, the layout and shapes of the inputs, and what went
 * wrong (a gradient check's report, or the first differing element).
 */
public final class OpConformance {
    private static final int THREADS = 8;
    private static final double DUALITY_TOLERANCE = 1e-9;
    /** float32 keeps about 7 digits; two sums of a few hundred products agree to about 1e-5. */
    private static final double DUALITY_TOLERANCE_FLOAT32 = 1e-4;

    private OpConformance() {
    }

    /**
     * The outcome of a conformance check.
     *
     * @param passed whether every property held on every layout
     * @param property the first property that failed, or null
     * @param inputs the inputs it failed on (layout and shapes), or null
     * @param detail what went wrong, or null
     * @param checks how many (property, layout) pairs were checked
     */
    public record Report(boolean passed, String property, String inputs, String detail, int checks) {
        /**
         * The verdict, the failing property and inputs, and the detail.
         *
         * @return the text, for a test failure
         */
        @Override
        public String toString() {
            if (passed) {
                return "OpConformance passed: " + checks + " checks";
            }
            return "OpConformance FAILED: " + property + " on " + inputs + "\n" + detail;
        }
    }

    /** One layout of the inputs: leaves, and the function that turns them into the op's inputs. */
    private record Layout(String name, List<Tensor> leaves, Function<List<Tensor>, Tensor[]> view) {
        String describe() {
            StringBuilder b = new StringBuilder(name).append(" inputs of shapes ");
            Tensor[] in = view.apply(leaves);
            for (int i = 0; i < in.length; i++) {
                b.append(i == 0 ? "" : ", ").append(Arrays.toString(in[i].shape()));
            }
            return b.toString();
        }
    }

    private static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String property;

        Failure(String property, String detail) {
            super(detail, null, false, false);
            this.property = property;
        }
    }

    /**
     * Checks an op on random inputs of the given shapes and on non-contiguous layouts of them.
     *
     * @param op the op
     * @param inputShapes one shape per input
     * @return the report; {@link Report#passed()} says whether the op conforms
     */
    public static Report check(CustomOp op, int[]... inputShapes) {
        return check(op, DType.FLOAT64, inputShapes);
    }

    /**
     * Checks an op on random inputs of {@code dtype} and the given shapes, and on non-contiguous
     * layouts of them. In float32 the op must also keep the dtype (float32 in, float32 out); the
     * gradient checks run on float64 copies of the inputs, as {@link GradCheck} always does for
     * float32 (so the op must work in float64 too), and forward mode and the backward pass must
     * agree to {@value #DUALITY_TOLERANCE_FLOAT32} relative instead of {@value #DUALITY_TOLERANCE}.
     * Determinism and thread safety are bitwise in either dtype.
     *
     * @param op the op
     * @param dtype the dtype of the inputs
     * @param inputShapes one shape per input
     * @return the report; {@link Report#passed()} says whether the op conforms
     */
    public static Report check(CustomOp op, DType dtype, int[]... inputShapes) {
        if (dtype == null) {
            throw new IllegalArgumentException("OpConformance: dtype is null");
        }
        if (op == null) {
            throw new IllegalArgumentException("OpConformance: op is null");
        }
        if (inputShapes == null || inputShapes.length == 0) {
            throw new IllegalArgumentException("OpConformance: needs at least one input shape");
        }
        SplittableRandom rng = new SplittableRandom(0xC0FFEEL);
        int checks = 0;
        for (Layout layout : layouts(inputShapes, rng, dtype)) {
            try {
                checks += checkLayout(op, layout, rng);
            } catch (Failure f) {
                return new Report(false, f.property, layout.describe(), f.getMessage(), checks);
            } catch (RuntimeException e) {
                return new Report(false, "runs without throwing", layout.describe(), e.toString(), checks);
            }
        }
        return new Report(true, null, null, null, checks);
    }

    private static List<Layout> layouts(int[][] shapes, SplittableRandom rng, DType dtype) {
        int n = shapes.length;
        List<Layout> out = new ArrayList<>();
        List<Tensor> plain = new ArrayList<>();
        for (int[] s : shapes) {
            plain.add(uniform(rng, s, dtype));
        }
        out.add(new Layout("contiguous", plain, xs -> xs.toArray(new Tensor[0])));
        boolean transposable = Arrays.stream(shapes).anyMatch(s -> s.length >= 2);
        if (transposable) {
            List<Tensor> leaves = new ArrayList<>();
            for (int[] s : shapes) {
                leaves.add(uniform(rng, s.length >= 2 ? swapped(s) : s, dtype));
            }
            out.add(new Layout("transposed", leaves, xs -> {
                Tensor[] in = new Tensor[n];
                for (int i = 0; i < n; i++) {
                    in[i] = shapes[i].length >= 2 ? xs.get(i).transpose() : xs.get(i);
                }
                return in;
            }));
        }
        if (Arrays.stream(shapes).anyMatch(s -> s.length >= 1 && s[0] > 1)) {
            List<Tensor> leaves = new ArrayList<>();
            for (int[] s : shapes) {
                int[] one = s.clone();
                if (s.length >= 1) {
                    one[0] = 1;
                }
                leaves.add(uniform(rng, one, dtype));
            }
            out.add(new Layout("expanded", leaves, xs -> {
                Tensor[] in = new Tensor[n];
                for (int i = 0; i < n; i++) {
                    in[i] = xs.get(i).expand(shapes[i]);
                }
                return in;
            }));
        }
        if (Arrays.stream(shapes).anyMatch(s -> s.length >= 1)) {
            List<Tensor> leaves = new ArrayList<>();
            for (int[] s : shapes) {
                int[] wider = s.clone();
                if (s.length >= 1) {
                    wider[s.length - 1] += 2;
                }
                leaves.add(uniform(rng, wider, dtype));
            }
            out.add(new Layout("narrowed", leaves, xs -> {
                Tensor[] in = new Tensor[n];
                for (int i = 0; i < n; i++) {
                    int[] s = shapes[i];
                    in[i] = s.length >= 1 ? xs.get(i).narrow(-1, 1, s[s.length - 1]) : xs.get(i);
                }
                return in;
            }));
        }
        return out;
    }

    private static int checkLayout(CustomOp op, Layout layout, SplittableRandom rng) {
        List<Tensor> leaves = layout.leaves();
        Function<List<Tensor>, Tensor> f = xs -> op.apply(layout.view().apply(xs));
        // unmodified, and the reference run for determinism and threads
        double[][] before = values(leaves);
        List<Tensor> marked = new ArrayList<>();
        for (Tensor x : leaves) {
            marked.add(x.detach().requiresGrad(true));
        }
        Tensor probe = f.apply(marked);
        DType dtype = leaves.get(0).dtype();
        if (probe.dtype() != dtype) {
            throw new Failure("keeps the dtype", "the op returned a " + probe.dtype() + " output for " + dtype
                    + " inputs: compute in the inputs' dtype (make constants with x.dtype())");
        }
        Tensor cotangent = uniform(rng, probe.shape(), dtype);
        double[][] reference = run(f, marked, cotangent);
        double[][] after = values(leaves);
        for (int i = 0; i < before.length; i++) {
            int at = firstDifference(before[i], after[i]);
            if (at >= 0) {
                throw new Failure("inputs unmodified", "input " + i + " element " + at + " was " + before[i][at] + " before the op ran and "
                        + after[i][at] + " after its forward and backward: an op must not modify its inputs");
            }
        }
        double[][] again = run(f, marked, cotangent);
        for (int k = 0; k < reference.length; k++) {
            int at = firstDifference(reference[k], again[k]);
            if (at >= 0) {
                throw new Failure("deterministic", what(k) + " element " + at + " was " + reference[k][at] + " on the first run and "
                        + again[k][at] + " on the second, with the same inputs: keep the op free of mutable state");
            }
        }
        GradCheck.Report first = GradCheck.check(f, marked);
        if (!first.passed()) {
            throw new Failure("first-order gradient", first.toString());
        }
        GradCheck.Report second = GradCheck.checkSecondOrder(f, marked);
        if (!second.passed()) {
            throw new Failure("second-order gradient", second.toString());
        }
        GradCheck.Report forward = GradCheck.checkForward(f, marked);
        if (!forward.passed()) {
            throw new Failure("tangent rule vs finite differences", forward.toString());
        }
        duality(f, marked, cotangent, rng);
        threads(f, marked, cotangent, reference);
        return 7;
    }

    /** <J t, c> from forward mode against <t, J^T c> from the backward pass. */
    private static void duality(Function<List<Tensor>, Tensor> f, List<Tensor> xs, Tensor cotangent, SplittableRandom rng) {
        List<Tensor> tangents = new ArrayList<>();
        for (Tensor x : xs) {
            tangents.add(uniform(rng, x.shape(), x.dtype()).sub(1.0));
        }
        double forward = Autograd.jvp(f, xs, tangents).tangent().mul(cotangent).sum().item();
        List<Tensor> gradients = Autograd.vjp(f, xs, cotangent).gradients();
        double reverse = 0;
        for (int i = 0; i < xs.size(); i++) {
            reverse += gradients.get(i).mul(tangents.get(i)).sum().item();
        }
        double tolerance = xs.get(0).dtype() == DType.FLOAT32 ? DUALITY_TOLERANCE_FLOAT32 : DUALITY_TOLERANCE;
        if (!(Math.abs(forward - reverse) <= tolerance * Math.max(1, Math.abs(reverse)))) {
            throw new Failure("tangent rule vs reverse pass", "<J t, c> = " + forward + " by the tangent rule but <t, J^T c> = " + reverse
                    + " by the backward pass, for random t and c: the two must be transposes of each other");
        }
    }

    private static void threads(Function<List<Tensor>, Tensor> f, List<Tensor> xs, Tensor cotangent, double[][] reference) {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<double[][]>> runs = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                runs.add(pool.submit(() -> run(f, xs, cotangent)));
            }
            for (int t = 0; t < THREADS; t++) {
                double[][] r;
                try {
                    r = runs.get(t).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new Failure("thread safety", "thread " + t + " of " + THREADS + " threw " + e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new Failure("thread safety", "interrupted");
                }
                for (int k = 0; k < reference.length; k++) {
                    int at = firstDifference(reference[k], r[k]);
                    if (at >= 0) {
                        throw new Failure("thread safety", what(k) + " element " + at + " was " + r[k][at] + " on thread " + t + " of "
                                + THREADS + " running at once but " + reference[k][at] + " alone: guard or remove the op's mutable state");
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** The output and the gradients of {@code <output, cotangent>}, as arrays: [output, gradient 0, ...]. */
    private static double[][] run(Function<List<Tensor>, Tensor> f, List<Tensor> xs, Tensor cotangent) {
        try (Autograd.Scope on = Autograd.enableGrad()) {
            Tensor y = f.apply(xs);
            double[][] out = new double[xs.size() + 1][];
            out[0] = y.toArray();
            List<Tensor> g = y.requiresGrad() ? Autograd.grad(y, cotangent, xs, false) : null;
            for (int i = 0; i < xs.size(); i++) {
                out[i + 1] = g == null ? new double[xs.get(i).size()] : g.get(i).toArray();
            }
            return out;
        }
    }

    private static String what(int k) {
        return k == 0 ? "the output" : "the gradient of input " + (k - 1);
    }

    private static double[][] values(List<Tensor> xs) {
        double[][] v = new double[xs.size()][];
        for (int i = 0; i < v.length; i++) {
            v[i] = xs.get(i).toArray();
        }
        return v;
    }

    private static int firstDifference(double[] a, double[] b) {
        if (a.length != b.length) {
            return 0;
        }
        for (int i = 0; i < a.length; i++) {
            if (Double.doubleToRawLongBits(a[i]) != Double.doubleToRawLongBits(b[i])) {
                return i;
            }
        }
        return -1;
    }

    private static int[] swapped(int[] s) {
        int[] t = s.clone();
        t[s.length - 1] = s[s.length - 2];
        t[s.length - 2] = s[s.length - 1];
        return t;
    }

    private static Tensor uniform(SplittableRandom rng, int[] shape, DType dtype) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = 0.5 + rng.nextDouble();
        }
        return dtype == DType.FLOAT32 ? Tensor.of(v, shape).to(DType.FLOAT32) : Tensor.of(v, shape);
    }
}
