package dev.adjoint.core.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The conformance kit: every built-in op passes it, and broken ops fail it with the property named. */
class OpConformanceTest {

    /**
     * A built-in op seen through the {@link CustomOp} contract: its forward is the Tensor method, its
     * backward differentiates the method (recorded when a second order is wanted), its tangent rule
     * is the method's forward mode (the built-in tangent rules).
     */
    static CustomOp adapter(String name, Function<Tensor[], Tensor> method) {
        return new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                ctx.save(in);
                return method.apply(in);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                int n = arity(ctx);
                boolean createGraph = Autograd.isGradEnabled();
                try (Autograd.Scope on = Autograd.enableGrad()) {
                    Tensor[] leaves = new Tensor[n];
                    for (int i = 0; i < n; i++) {
                        Tensor x = ctx.saved(i);
                        leaves[i] = x.requiresGrad() ? x : x.detach().requiresGrad(true);
                    }
                    Tensor y = method.apply(leaves);
                    if (!y.requiresGrad()) {
                        return new Tensor[n];
                    }
                    return Autograd.grad(y, g, Arrays.asList(leaves), createGraph).toArray(new Tensor[0]);
                }
            }

            @Override
            public Tensor jvp(Context ctx, Tensor[] in, Tensor[] tangents, Tensor output) {
                List<Tensor> t = new ArrayList<>();
                for (int i = 0; i < in.length; i++) {
                    t.add(tangents[i] != null ? tangents[i] : Tensor.zeros(in[i].shape()));
                }
                return Autograd.jvp(xs -> method.apply(xs.toArray(new Tensor[0])), Arrays.asList(in), t).tangent();
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    private static int arity(Context ctx) {
        int n = 0;
        while (true) {
            try {
                ctx.saved(n);
                n++;
            } catch (IllegalArgumentException e) {
                return n;
            }
        }
    }

    record Case(CustomOp op, int[][] shapes) {
    }

    static Case of(String name, Function<Tensor[], Tensor> method, int[]... shapes) {
        return new Case(adapter(name, method), shapes);
    }

    static final int[] M = {3, 4};
    static final int[] V = {4};

    static List<Case> builtIns() {
        Tensor index = Tensor.of(new double[] {0, 2, 1, 1, 0, 3}, 3, 2);
        return List.of(
                of("add", x -> x[0].add(x[1]), M, M), of("add broadcast", x -> x[0].add(x[1]), M, V),
                of("sub", x -> x[0].sub(x[1]), M, M), of("mul", x -> x[0].mul(x[1]), M, V),
                of("div", x -> x[0].div(x[1]), M, M), of("neg", x -> x[0].neg(), M),
                of("scalar ops", x -> x[0].add(2).mul(3).div(5).sub(1), M),
                of("exp", x -> x[0].exp(), M), of("log", x -> x[0].log(), M), of("log1p", x -> x[0].log1p(), M),
                of("sqrt", x -> x[0].sqrt(), M), of("erf", x -> x[0].erf(), M), of("pow", x -> x[0].pow(x[1]), M, M),
                of("pow constant", x -> x[0].pow(3), M), of("sin", x -> x[0].sin(), M), of("cos", x -> x[0].cos(), M),
                of("tanh", x -> x[0].tanh(), M), of("sigmoid", x -> x[0].sigmoid(), M), of("relu", x -> x[0].sub(1).relu(), M),
                of("silu", x -> x[0].silu(), M), of("gelu", x -> x[0].gelu(), M), of("softplus", x -> x[0].softplus(), M),
                of("abs", x -> x[0].sub(1).abs(), M), of("clamp", x -> x[0].clamp(0.8, 1.2), M),
                of("leakyRelu", x -> x[0].sub(1).leakyRelu(0.1), M),
                of("where", x -> Tensor.where(x[0].gt(1.0), x[0], x[1]), M, M),
                of("maximum", x -> x[0].maximum(x[1]), M, M), of("minimum", x -> x[0].minimum(x[1]), M, V),
                of("max", x -> x[0].max(), M), of("min", x -> x[0].min(), M),
                of("max axis", x -> x[0].max(1, false), M), of("min axis", x -> x[0].min(0, true), M),
                of("sum", x -> x[0].sum(), M), of("sum axis", x -> x[0].sum(0, false), M), of("mean", x -> x[0].mean(1, true), M),
                of("sumTo", x -> x[0].sumTo(1, 4), M), of("expand", x -> x[0].expand(2, 3, 4), M),
                of("reshape", x -> x[0].reshape(2, 6), M), of("transpose", x -> x[0].transpose(), M),
                of("permute", x -> x[0].permute(1, 0), M), of("flatten", x -> x[0].unsqueeze(0).flatten(0), M),
                of("narrow", x -> x[0].narrow(1, 1, 2), M), of("select", x -> x[0].select(0, 2), M),
                of("concat", x -> Tensor.concat(List.of(x[0], x[1]), 0), M, M),
                of("stack", x -> Tensor.stack(List.of(x[0], x[1]), 1), M, M),
                of("indexSelect", x -> x[0].indexSelect(1, 3, 0, 3), M),
                of("gather", x -> x[0].gather(1, index), M),
                of("scatterAdd", x -> x[0].scatterAdd(1, index, x[1]), M, new int[] {3, 2}),
                of("matmul", x -> x[0].matmul(x[1]), M, new int[] {4, 2}), of("matmul vector", x -> x[0].matmul(x[1]), M, V),
                of("affine", x -> x[0].affine(x[1], x[2]), M, new int[] {4, 2}, new int[] {2}),
                of("softmax", x -> x[0].softmax(1), M), of("logSoftmax", x -> x[0].logSoftmax(0), M),
                of("logSumExp", x -> x[0].logSumExp(1, false), M),
                of("sumSquaredDifference", x -> x[0].sumSquaredDifference(x[1]), M, M),
                of("var", x -> x[0].var(1, false), M), of("std", x -> x[0].std(0, true), M), of("norm", x -> x[0].norm(), M),
                of("prod", x -> x[0].prod(1, false), M), of("cumsum", x -> x[0].cumsum(1), M));
    }

    @Test
    void everyBuiltInOpConforms() {
        List<String> failures = new ArrayList<>();
        for (Case c : builtIns()) {
            OpConformance.Report r = OpConformance.check(c.op(), c.shapes());
            if (!r.passed()) {
                failures.add(c.op().name() + ": " + r);
            } else {
                assertTrue(r.checks() >= 7, c.op().name() + ": " + r);
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n\n", failures));
    }

    /** softsign with a backward off by a factor of 2. */
    static final class WrongGradient implements CustomOp {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0]);
            return in[0].div(in[0].abs().add(1));
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.mul(2).div(ctx.saved(0).abs().add(1).pow(2))};
        }
    }

    /** Scales by a counter it bumps on every call: not deterministic. */
    static final class Counting implements CustomOp {
        private double calls;

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            calls++;
            ctx.save(Tensor.scalar(calls));
            return in[0].mul(calls);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.mul(ctx.saved(0))};
        }
    }

    /** Correct gradients, but a tangent rule that forgets a term. */
    static final class WrongTangent implements CustomOp {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return in[0].mul(in[1]);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.mul(ctx.saved(1)), g.mul(ctx.saved(0))};
        }

        @Override
        public Tensor jvp(Context ctx, Tensor[] in, Tensor[] t, Tensor out) {
            return t[0] == null ? null : t[0].mul(in[1]);
        }
    }

    @Test
    void brokenOpsFailWithThePropertyNamed() {
        OpConformance.Report wrong = OpConformance.check(new WrongGradient(), new int[] {2, 3});
        assertFalse(wrong.passed());
        assertEquals("first-order gradient", wrong.property(), wrong::toString);
        assertTrue(wrong.toString().contains("contiguous inputs of shapes [2, 3]"), wrong::toString);
        assertTrue(wrong.toString().contains("GradCheck FAILED"), wrong::toString);

        OpConformance.Report counting = OpConformance.check(new Counting(), new int[] {3});
        assertEquals("deterministic", counting.property(), counting::toString);

        OpConformance.Report tangent = OpConformance.check(new WrongTangent(), new int[] {2, 2}, new int[] {2, 2});
        assertEquals("tangent rule vs finite differences", tangent.property(), tangent::toString);
    }

    @Test
    void aCustomOpWithoutATangentRuleConformsThroughTheFallback() {
        OpConformance.Report r = OpConformance.check(new dev.adjoint.core.CustomOpTestAccess.Softsign(), new int[] {2, 3});
        assertTrue(r.passed(), r::toString);
    }
}
