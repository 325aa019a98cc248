package dev.adjoint.examples;

import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.gradcheck.GradCheck;
import java.io.PrintStream;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writing your own differentiable op: swish(x) = x sigmoid(x) with a hand-written backward,
 * checked by GradCheck to first and second order, and a deliberately broken copy whose report
 * points at the mistake.
 */
final class CustomOpExample {
    private CustomOpExample() {
    }

    /** swish(x) = x s(x), s the sigmoid; its derivative is s(x) (1 + x (1 - s(x))). */
    static final class Swish implements CustomOp {
        @Override
        public Tensor forward(Context ctx, Tensor... inputs) {
            Tensor x = inputs[0];
            ctx.save(x);
            return x.mul(x.sigmoid());
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor gradOutput) {
            Tensor x = ctx.saved(0);
            Tensor s = x.sigmoid();
            // Written with tensor ops, so second derivatives come for free.
            Tensor derivative = s.mul(x.mul(s.neg().add(1)).add(1));
            return new Tensor[] {gradOutput.mul(derivative)};
        }

        // Keeps nothing from backward once it returns, so the engine may reuse gradient memory.
        @Override
        public boolean retainsGradients() {
            return false;
        }

        @Override
        public String name() {
            return "swish";
        }
    }

    /** The same op with a classic slip: the derivative of x s(x) taken as s(x) + s'(x), forgetting the x. */
    static final class BrokenSwish implements CustomOp {
        @Override
        public Tensor forward(Context ctx, Tensor... inputs) {
            ctx.save(inputs[0]);
            return inputs[0].mul(inputs[0].sigmoid());
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor gradOutput) {
            Tensor s = ctx.saved(0).sigmoid();
            return new Tensor[] {gradOutput.mul(s.add(s.mul(s.neg().add(1))))};
        }

        @Override
        public boolean retainsGradients() {
            return false;
        }

        @Override
        public String name() {
            return "brokenSwish";
        }
    }

    static void run(String[] args, PrintStream out) throws Main.UsageException {
        if (args.length > 0) {
            throw new Main.UsageException("takes no options, got " + String.join(" ", args));
        }
        Tensor x = Tensor.randn(new SplittableRandom(3), 2, 3).requiresGrad(true);
        Swish swish = new Swish();

        out.println("== swish(x) = x * sigmoid(x), with a hand-written backward ==");
        out.println("x        = " + x);
        out.println("swish(x) = " + swish.apply(x).detach());
        GradCheck.Report first = GradCheck.check(in -> swish.apply(in.get(0)).sum(), List.of(x));
        out.println();
        out.println("first order: " + first);
        GradCheck.Report second = GradCheck.checkSecondOrder(in -> swish.apply(in.get(0)).sum(), List.of(x));
        out.println();
        out.println("second order: " + second);

        out.println();
        out.println("== the same op with a wrong derivative ==");
        BrokenSwish broken = new BrokenSwish();
        GradCheck.Report report = GradCheck.check(in -> broken.apply(in.get(0)).sum(), List.of(x));
        out.println(report);
        if (!first.passed() || !second.passed() || report.passed()) {
            throw new IllegalStateException("the gradient checks did not come out as expected");
        }
    }
}
