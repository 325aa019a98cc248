package dev.adjoint.core.properties;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import dev.adjoint.core.gradcheck.GradCheck;
import dev.adjoint.core.properties.TensorArbitraries.Domain;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Every differentiable public op of {@link Tensor}, first and second order, through
 * {@link GradCheck}. Linear ops are followed by {@link #bend} so that their second-order check has
 * something to check (a linear function's second derivative is zero, a vacuous pass). Each
 * property names the methods it covers; {@link OpCoverageTest} keeps the list complete.
 */
class OpGradientPropertiesTest {

    /**
     * {@code u + sin(u)/2}: curved everywhere (second derivative {@code -sin(u)/2}) but with a
     * slope between 1/2 and 3/2, never zero. A plain {@code sin} wrapper made the check flaky: when
     * a reduced value landed near pi/2 + k pi every first derivative vanished and the check
     * reported the sample as vacuous.
     */
    static Tensor bend(Tensor u) {
        return u.add(u.sin().mul(0.5));
    }

    /** Checks f's first and second derivatives at the inputs; the report is the failure message. */
    static void assertGradients(Function<List<Tensor>, Tensor> f, Tensor... inputs) {
        assertGradients(f, false, inputs);
    }

    /** As above; {@code mayBeConstant} where the op is constant for some shapes (softmax over one element). */
    static void assertGradients(Function<List<Tensor>, Tensor> f, boolean mayBeConstant, Tensor... inputs) {
        List<Tensor> xs = List.of(inputs);
        GradCheck.Report first = GradCheck.check(f, xs);
        assertTrue(first.passed(), first::toString);
        if (!mayBeConstant) {
            assertFalse(first.vacuous(), first::toString);
        }
        GradCheck.Report second = GradCheck.checkSecondOrder(f, xs);
        assertTrue(second.passed(), second::toString);
        assertTangents(f, xs);
    }

    /**
     * Checks the tangent rules (forward mode) of f, and of its gradient function
     * {@code x -> <grad <f(x), v>, w>} for fixed random v, w, whose backward ops (the fused
     * {@code *Backward} ones among them) then need tangent rules of their own.
     */
    static void assertTangents(Function<List<Tensor>, Tensor> f, List<Tensor> xs) {
        GradCheck.Report forward = GradCheck.checkForward(f, xs);
        assertTrue(forward.passed(), forward::toString);
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        Tensor v = Tensor.randn(r, f.apply(xs).shape());
        List<Tensor> w = xs.stream().map(x -> Tensor.randn(r, x.shape())).toList();
        Function<List<Tensor>, Tensor> gradient = in -> {
            try (dev.adjoint.core.Autograd.Scope on = dev.adjoint.core.Autograd.enableGrad()) {
                Tensor y = f.apply(in);
                if (!y.requiresGrad()) {
                    return Tensor.scalar(0);
                }
                List<Tensor> g = dev.adjoint.core.Autograd.grad(y, v, in, true);
                Tensor s = Tensor.scalar(0);
                for (int i = 0; i < g.size(); i++) {
                    s = s.add(g.get(i).mul(w.get(i)).sum());
                }
                return s;
            }
        };
        List<Tensor> marked = xs.stream().map(x -> x.detach().requiresGrad(true)).toList();
        GradCheck.Report forwardOfGradient = GradCheck.checkForward(gradient, marked);
        assertTrue(forwardOfGradient.passed(), forwardOfGradient::toString);
        assertBatchedTangents(in -> f.apply(in).mul(v).sum(), xs);
    }

    /**
     * The Hessian carries all directions as one batch of tangents through the forward and the
     * backward pass (the batched tangent rules); each Hessian-vector product carries one. They
     * must agree column by column.
     */
    static void assertBatchedTangents(Function<List<Tensor>, Tensor> scalar, List<Tensor> xs) {
        List<List<Tensor>> h = dev.adjoint.core.Autograd.hessian(scalar, xs);
        for (int j = 0; j < xs.size(); j++) {
            for (int e = 0; e < xs.get(j).size(); e++) {
                List<Tensor> units = new java.util.ArrayList<>();
                for (int i = 0; i < xs.size(); i++) {
                    double[] u = new double[xs.get(i).size()];
                    if (i == j) {
                        u[e] = 1;
                    }
                    units.add(Tensor.of(u, xs.get(i).shape()));
                }
                List<Tensor> column = dev.adjoint.core.Autograd.hvp(scalar, xs, units);
                for (int i = 0; i < xs.size(); i++) {
                    double[] expected = column.get(i).toArray();
                    double[] batched = h.get(i).get(j).reshape(xs.get(i).size(), xs.get(j).size()).select(1, e).toArray();
                    for (int k = 0; k < expected.length; k++) {
                        double tolerance = 1e-9 * (1 + Math.abs(expected[k]));
                        assertTrue(Math.abs(expected[k] - batched[k]) <= tolerance || Double.isNaN(expected[k]) && Double.isNaN(batched[k]),
                                "Hessian block [" + i + "][" + j + "] column " + e + " element " + k + ": batched " + batched[k]
                                + " vs one direction " + expected[k]);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- arithmetic

    @Property
    @Covers("add(Tensor)")
    void add(@ForAll("pairs") Tensor[] p) {
        assertGradients(in -> bend(in.get(0).add(in.get(1))), p);
    }

    @Property
    @Covers("sub(Tensor)")
    void sub(@ForAll("pairs") Tensor[] p) {
        assertGradients(in -> bend(in.get(0).sub(in.get(1))), p);
    }

    @Property
    @Covers("mul(Tensor)")
    void mul(@ForAll("pairs") Tensor[] p) {
        assertGradients(in -> in.get(0).mul(in.get(1)), p);
    }

    @Property
    @Covers("div(Tensor)")
    void div(@ForAll("divisionPairs") Tensor[] p) {
        assertGradients(in -> in.get(0).div(in.get(1)), p);
    }

    @Property
    @Covers({"add(double)", "sub(double)", "mul(double)", "div(double)"})
    void arithmeticWithConstants(@ForAll("any") Tensor x, @ForAll("nonZero") double c) {
        assertGradients(in -> bend(in.get(0).add(c)), x);
        assertGradients(in -> bend(in.get(0).sub(c)), x);
        assertGradients(in -> bend(in.get(0).mul(c)), x);
        assertGradients(in -> bend(in.get(0).div(c)), x);
    }

    @Property
    @Covers("neg()")
    void neg(@ForAll("any") Tensor x) {
        assertGradients(in -> bend(in.get(0).neg()), x);
    }

    // ---------------------------------------------------------------- elementwise functions

    @Property
    @Covers("pow(double)")
    void pow(@ForAll("positive") Tensor x, @ForAll("exponents") double p) {
        assertGradients(in -> in.get(0).pow(p), x);
    }

    @Property
    @Covers({"exp()", "sin()", "cos()", "tanh()", "sigmoid()"})
    void smoothUnaryFunctions(@ForAll("any") Tensor x) {
        assertGradients(in -> in.get(0).exp(), x);
        assertGradients(in -> in.get(0).sin(), x);
        assertGradients(in -> in.get(0).cos(), x);
        assertGradients(in -> in.get(0).tanh(), x);
        assertGradients(in -> in.get(0).sigmoid(), x);
    }

    @Property
    @Covers({"log()", "sqrt()"})
    void functionsOfPositiveValues(@ForAll("positive") Tensor x) {
        assertGradients(in -> in.get(0).log(), x);
        assertGradients(in -> in.get(0).sqrt(), x);
    }

    @Property
    @Covers({"abs()", "relu()"})
    void piecewiseLinearFunctions(@ForAll("awayFromZero") Tensor x) {
        assertGradients(in -> bend(in.get(0).abs()), x);
        GradCheck.Report relu = GradCheck.check(in -> bend(in.get(0).relu()), List.of(x));
        assertTrue(relu.passed(), relu::toString);
        GradCheck.Report second = GradCheck.checkSecondOrder(in -> bend(in.get(0).relu()), List.of(x));
        assertTrue(second.passed(), second::toString);
    }

    // ---------------------------------------------------------------- linear algebra and shape

    @Property
    @Covers("matmul(Tensor)")
    void matmul(@ForAll("matmulPairs") Tensor[] p) {
        assertGradients(in -> in.get(0).matmul(in.get(1)), p);
    }

    @Property
    @Covers("transpose()")
    void transpose(@ForAll("matrices") Tensor x) {
        assertGradients(in -> bend(in.get(0).transpose()), x);
    }

    @Property
    @Covers("reshape(int[])")
    void reshape(@ForAll("any") Tensor x) {
        int[] reversed = x.shape();
        for (int i = 0; i < reversed.length / 2; i++) {
            int t = reversed[i];
            reversed[i] = reversed[reversed.length - 1 - i];
            reversed[reversed.length - 1 - i] = t;
        }
        // distinct weights, so that an element routed to the wrong place changes the value
        Tensor w = Tensor.of(IntStream.range(0, x.size()).mapToDouble(i -> 0.5 + i).toArray(), reversed);
        assertGradients(in -> bend(in.get(0).reshape(reversed).mul(w)), x);
        assertGradients(in -> bend(in.get(0).reshape(-1)), x);
    }

    @Property
    @Covers("expand(int[])")
    void expand(@ForAll("expandable") int[][] shapes, @ForAll("seeds") long seed) {
        Tensor x = Tensor.randn(new java.util.SplittableRandom(seed), shapes[0]).requiresGrad(true);
        assertGradients(in -> bend(in.get(0).expand(shapes[1])), x);
    }

    @Property
    @Covers("sumTo(int[])")
    void sumTo(@ForAll("expandable") int[][] shapes, @ForAll("seeds") long seed) {
        Tensor x = Tensor.randn(new java.util.SplittableRandom(seed), shapes[1]).requiresGrad(true);
        assertGradients(in -> bend(in.get(0).sumTo(shapes[0])), x);
    }

    // ---------------------------------------------------------------- reductions

    @Property
    @Covers({"sum()", "mean()"})
    void fullReductions(@ForAll("any") Tensor x) {
        assertGradients(in -> bend(in.get(0).sum()), x);
        assertGradients(in -> bend(in.get(0).mean()), x);
    }

    @Property
    @Covers({"sum(int,boolean)", "mean(int,boolean)", "max(int,boolean)", "logSumExp(int,boolean)"})
    void axisReductions(@ForAll("axisCases") AxisCase c) {
        assertGradients(in -> bend(in.get(0).sum(c.axis(), c.keepDim())), c.x());
        assertGradients(in -> bend(in.get(0).mean(c.axis(), c.keepDim())), c.x());
        // max is flat along tied elements (kinks, set aside by the checker), so a tie may leave nothing to compare
        double[] values = c.x().toArray();
        boolean ties = java.util.Arrays.stream(values).distinct().count() < values.length;
        assertGradients(in -> bend(in.get(0).max(c.axis(), c.keepDim())), ties, c.x());
        assertGradients(in -> in.get(0).logSumExp(c.axis(), c.keepDim()), c.x());
    }

    @Property
    @Covers({"softmax(int)", "logSoftmax(int)"})
    void softmaxes(@ForAll("axisCases") AxisCase c) {
        int[] shape = c.x().shape();
        boolean single = shape[c.axis() < 0 ? c.axis() + shape.length : c.axis()] == 1;
        assertGradients(in -> in.get(0).softmax(c.axis()), single, c.x());
        assertGradients(in -> in.get(0).logSoftmax(c.axis()), single, c.x());
    }

    // ---------------------------------------------------------------- slicing and joining

    @Property
    @Covers({"narrow(int,int,int)", "select(int,int)"})
    void slices(@ForAll("axisCases") AxisCase c, @ForAll("seeds") long seed) {
        int[] shape = c.x().shape();
        int axis = c.axis() < 0 ? c.axis() + shape.length : c.axis();
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        int start = rng.nextInt(shape[axis]);
        int length = 1 + rng.nextInt(shape[axis] - start);
        assertGradients(in -> bend(in.get(0).narrow(c.axis(), start, length)), c.x());
        assertGradients(in -> bend(in.get(0).select(c.axis(), start)), c.x());
    }

    @Property
    @Covers("concat(List,int)")
    void concatenation(@ForAll("axisCases") AxisCase c, @ForAll("seeds") long seed) {
        int[] shape = c.x().shape();
        int axis = c.axis() < 0 ? c.axis() + shape.length : c.axis();
        int[] other = shape.clone();
        other[axis] = 1 + new java.util.SplittableRandom(seed).nextInt(3);
        Tensor y = Tensor.randn(new java.util.SplittableRandom(seed), other).requiresGrad(true);
        assertGradients(in -> bend(Tensor.concat(List.of(in.get(0), in.get(1), in.get(0)), c.axis())), c.x(), y);
    }

    @Property
    @Covers({"log1p()", "softplus()"})
    void log1pAndSoftplus(@ForAll("positive") Tensor p, @ForAll("any") Tensor x) {
        assertGradients(in -> in.get(0).log1p(), p);
        assertGradients(in -> in.get(0).softplus(), x);
    }

    @Property
    @Covers("clamp(double,double)")
    void clamp(@ForAll("any") Tensor x) {
        // kinks at the bounds are set aside by the checker; inside, the gradient is that of sin
        assertGradients(in -> bend(in.get(0).clamp(-0.7, 0.9)), true, x);
        // bounds far from the data: the identity, exactly (a composite of shifted relus rounds x there)
        assertGradients(in -> bend(in.get(0).clamp(-1e17, 1e17)), x);
    }

    @Property
    @Covers("affine(Tensor,Tensor)")
    void affine(@ForAll("matmulPairs") Tensor[] p, @ForAll("seeds") long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        // the fused path: x [m, k], w [k, n], b [n]
        int m = 1 + rng.nextInt(4);
        int k = 1 + rng.nextInt(4);
        int n = 1 + rng.nextInt(4);
        Tensor x = Tensor.randn(rng, m, k).requiresGrad(true);
        Tensor w = Tensor.randn(rng, k, n).requiresGrad(true);
        Tensor b = Tensor.randn(rng, n).requiresGrad(true);
        assertGradients(in -> bend(in.get(0).affine(in.get(1), in.get(2))), x, w, b);
        // any other matmul shapes take the composite, with a bias broadcast along the last axis
        int[] s = p[0].matmul(p[1]).shape();
        Tensor bias = Tensor.randn(rng, s.length == 0 ? new int[0] : new int[] {s[s.length - 1]}).requiresGrad(true);
        assertGradients(in -> bend(in.get(0).affine(in.get(1), in.get(2))), p[0], p[1], bias);
    }

    @Property
    @Covers("sumSquaredDifference(Tensor)")
    void sumSquaredDifference(@ForAll("pairs") Tensor[] p, @ForAll("any") Tensor x, @ForAll("seeds") long seed) {
        // equal shapes take the fused op, others broadcast through the composite; the first-order
        // gradient 2 (a - b) is zero where the generator drew equal tensors (the Hessian is still checked)
        Tensor y = Tensor.randn(new java.util.SplittableRandom(seed), x.shape()).requiresGrad(true);
        assertGradients(in -> in.get(0).sumSquaredDifference(in.get(1)), x, y);
        boolean equal = p[0].sub(p[1]).abs().sum().item() == 0;
        assertGradients(in -> in.get(0).sumSquaredDifference(in.get(1)), equal, p);
    }

    @Property(tries = 40)
    @Covers("softmaxCrossEntropy(Tensor)")
    void softmaxCrossEntropy(@ForAll("seeds") long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        int n = 1 + rng.nextInt(4);
        // short rows, and rows long enough for the math kernel's exp
        int k = rng.nextBoolean() ? 1 + rng.nextInt(6) : 64 + rng.nextInt(8);
        Tensor x = Tensor.randn(rng, n, k).mul(2).detach().requiresGrad(true);
        // soft targets, some classes of probability 0, that require grad too
        Tensor mask = Tensor.rand(rng, n, k).gt(Tensor.scalar(0.25));
        Tensor soft = Tensor.randn(rng, n, k).softmax(1).mul(mask).detach().requiresGrad(true);
        assertGradients(in -> in.get(0).softmaxCrossEntropy(in.get(1)), k == 1, x, soft);
        // one-hot rows, held constant: the loss of class labels
        double[] rows = new double[n * k];
        double[] numbers = new double[n];
        for (int i = 0; i < n; i++) {
            numbers[i] = rng.nextInt(k);
            rows[i * k + (int) numbers[i]] = 1;
        }
        Tensor oneHot = Tensor.of(rows, n, k);
        assertGradients(in -> in.get(0).softmaxCrossEntropy(oneHot), k == 1, x);
        // the same rows as class numbers
        Tensor classes = Tensor.of(numbers, n);
        assertGradients(in -> in.get(0).softmaxCrossEntropy(classes), k == 1, x);
    }

    @Property(tries = 40)
    @Covers("layerNorm(int[],Tensor,Tensor,double)")
    void layerNorm(@ForAll("seeds") long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        // rows of one or two trailing axes, short, or long enough for the math kernel's sums
        int[] normalized = rng.nextBoolean() ? new int[] {2 + rng.nextInt(5)} : rng.nextBoolean()
                ? new int[] {2, 1 + rng.nextInt(3)} : new int[] {64 + rng.nextInt(8)};
        int[] shape = new int[1 + normalized.length];
        shape[0] = 1 + rng.nextInt(3);
        System.arraycopy(normalized, 0, shape, 1, normalized.length);
        Tensor x = Tensor.randn(rng, shape).mul(2).add(0.5).detach().requiresGrad(true);
        Tensor w = Tensor.randn(rng, normalized).detach().requiresGrad(true);
        Tensor b = Tensor.randn(rng, normalized).detach().requiresGrad(true);
        // the normalized rows are curved in x; bend makes the affine parts' second order count
        assertGradients(in -> bend(in.get(0).layerNorm(normalized, in.get(1), in.get(2), 1e-5)), x, w, b);
        assertGradients(in -> bend(in.get(0).layerNorm(normalized, null, null, 0.1)), x);
        // a weight alone, a bias alone
        assertGradients(in -> bend(in.get(0).layerNorm(normalized, in.get(1), null, 1e-5)), x, w);
        assertGradients(in -> bend(in.get(0).layerNorm(normalized, null, in.get(1), 1e-5)), x, b);
    }

    @Property(tries = 30)
    @Covers("batchNorm(Tensor,Tensor,double)")
    void batchNorm(@ForAll("seeds") long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        // [N, C], [N, C, L] and [N, C, H, W], runs short and long enough for the math kernel's sums
        int n = 2 + rng.nextInt(2);
        int c = 1 + rng.nextInt(3);
        int[] shape = switch (rng.nextInt(3)) {
            case 0 -> new int[] {n, c};
            case 1 -> new int[] {n, c, rng.nextBoolean() ? 1 + rng.nextInt(4) : 64 + rng.nextInt(4)};
            default -> new int[] {n, c, 1 + rng.nextInt(3), 2};
        };
        Tensor x = Tensor.randn(rng, shape).mul(2).add(0.5).detach().requiresGrad(true);
        Tensor w = Tensor.randn(rng, c).detach().requiresGrad(true);
        Tensor b = Tensor.randn(rng, c).detach().requiresGrad(true);
        assertGradients(in -> bend(in.get(0).batchNorm(in.get(1), in.get(2), 1e-5)), x, w, b);
        assertGradients(in -> bend(in.get(0).batchNorm(null, null, 0.1)), x);
        // a weight alone, a bias alone (the op's inputs are x and the ones given)
        assertGradients(in -> bend(in.get(0).batchNorm(in.get(1), null, 1e-5)), x, w);
        assertGradients(in -> bend(in.get(0).batchNorm(null, in.get(1), 1e-5)), x, b);
    }

    @Property(tries = 15)
    @Covers("batchNorm(Tensor,Tensor,Tensor,Tensor,boolean,double,double)")
    void batchNormWithRunningStatistics(@ForAll("seeds") long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        int c = 1 + rng.nextInt(3);
        int[] shape = rng.nextBoolean() ? new int[] {3, c} : new int[] {2, c, 3, 2};
        Tensor x = Tensor.randn(rng, shape).mul(2).add(0.5).detach().requiresGrad(true);
        Tensor w = Tensor.randn(rng, c).detach().requiresGrad(true);
        Tensor b = Tensor.randn(rng, c).detach().requiresGrad(true);
        // training: the batch's statistics (the running ones move on each call but take no part)
        Tensor mean = Tensor.zeros(c);
        Tensor var = Tensor.ones(c);
        assertGradients(in -> bend(in.get(0).batchNorm(mean, var, in.get(1), in.get(2), true, 0.1, 1e-5)), x, w, b);
        // evaluation: an affine map of x per channel, differentiable in the running statistics too
        Tensor m = Tensor.randn(rng, c).detach().requiresGrad(true);
        Tensor v = Tensor.rand(rng, c).add(0.5).detach().requiresGrad(true);
        assertGradients(in -> bend(in.get(0).batchNorm(in.get(3), in.get(4), in.get(1), in.get(2), false, 0.1, 1e-5)), x, w, b, m, v);
    }

    // ---------------------------------------------------------------- generators


    @Provide
    Arbitrary<Tensor> any() {
        return TensorArbitraries.tensors(0, 3, Domain.ANY);
    }

    @Provide
    Arbitrary<Tensor> positive() {
        return TensorArbitraries.tensors(0, 3, Domain.POSITIVE);
    }

    @Provide
    Arbitrary<Tensor> awayFromZero() {
        return TensorArbitraries.tensors(0, 3, Domain.AWAY_FROM_ZERO);
    }

    @Provide
    Arbitrary<Tensor> matrices() {
        return TensorArbitraries.tensors(2, 3, Domain.ANY);
    }

    @Provide
    Arbitrary<Tensor[]> pairs() {
        return TensorArbitraries.broadcastPairs(Domain.ANY, Domain.ANY);
    }

    @Provide
    Arbitrary<Tensor[]> divisionPairs() {
        return TensorArbitraries.broadcastPairs(Domain.ANY, Domain.AWAY_FROM_ZERO);
    }

    @Provide
    Arbitrary<Tensor[]> matmulPairs() {
        return TensorArbitraries.matmulPairs(Domain.ANY);
    }

    @Provide
    Arbitrary<int[][]> expandable() {
        return TensorArbitraries.expandableShapes();
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Provide
    Arbitrary<Double> nonZero() {
        return Combinators.combine(Arbitraries.doubles().between(0.5, 3), Arbitraries.of(1.0, -1.0)).as((m, s) -> m * s);
    }

    @Provide
    Arbitrary<Double> exponents() {
        return Arbitraries.of(2.0, 3.0, 0.5, -1.0, 1.5, -0.5, 1.0);
    }

    @Provide
    Arbitrary<AxisCase> axisCases() {
        return AxisCase.arbitrary();
    }
}
