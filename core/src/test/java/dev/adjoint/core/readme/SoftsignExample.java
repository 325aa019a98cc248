package dev.adjoint.core.readme;

import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import dev.adjoint.core.gradcheck.GradCheck;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

public class SoftsignExample {

    /** softsign(x) = x / (1 + |x|), elementwise. */
    static final class Softsign implements CustomOp {
        @Override
        public Tensor forward(Context ctx, Tensor... inputs) {
            ctx.save(inputs[0]);
            return inputs[0].div(inputs[0].abs().add(1));
        }

        // d/dx x / (1 + |x|) = 1 / (1 + |x|)^2, written with tensor ops so that it can be
        // differentiated again (second order)
        @Override
        public Tensor[] backward(Context ctx, Tensor gradOutput) {
            Tensor x = ctx.saved(0);
            return new Tensor[] {gradOutput.div(x.abs().add(1).pow(2))};
        }
    }

    public static void main(String[] args) {
        CustomOp softsign = new Softsign();
        Tensor x = Tensor.randn(new SplittableRandom(42), 3, 4).requiresGrad(true);
        Tensor w = Tensor.randn(new SplittableRandom(7), 4).requiresGrad(true);

        // Any function of the inputs: here the op, a broadcast multiply and a sum.
        Function<List<Tensor>, Tensor> f = in -> softsign.apply(in.get(0)).mul(in.get(1)).sum();

        GradCheck.Report first = GradCheck.check(f, List.of(x, w));
        GradCheck.Report second = GradCheck.checkSecondOrder(f, List.of(x, w));
        System.out.println(first);
        System.out.println(second);
        if (!first.passed() || !second.passed()) {
            throw new AssertionError(first + "\n" + second);
        }
    }
}
