package dev.adjoint.nn.reliability;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Adam;
import dev.adjoint.nn.AdamW;
import dev.adjoint.nn.Batcher;
import dev.adjoint.nn.Checkpoint;
import dev.adjoint.nn.Dataset;
import dev.adjoint.nn.Doctor;
import dev.adjoint.nn.Dropout;
import dev.adjoint.nn.GradientClipping;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.LeakyReLU;
import dev.adjoint.nn.LearningRateSchedule;
import dev.adjoint.nn.Linear;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.MLP;
import dev.adjoint.nn.RMSprop;
import dev.adjoint.nn.SGD;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Softmax;
import dev.adjoint.nn.Tanh;
import dev.adjoint.nn.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalogue of malformed calls: one row per way of misusing the public API of core and nn,
 * each with the exception type it must throw and the words its message must contain (the op or
 * class that refused, and the offending values, e.g. both shapes). A stray NullPointerException,
 * ArrayIndexOutOfBoundsException or ArithmeticException from deep inside, or a message that does
 * not say what was wrong, fails the row.
 */
class MalformedInputCatalogueTest {
    /** The catalogue must not shrink below what the reliability issue asks for. */
    static final int MINIMUM_CASES = 60;

    @TempDir
    static Path dir;

    record Case(String name, Executable call, Class<? extends Throwable> type, String... parts) {
    }

    private static Case c(String name, Class<? extends Throwable> type, Executable call, String... parts) {
        return new Case(name, call, type, parts);
    }

    private static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
    private static final Class<IllegalStateException> ISE = IllegalStateException.class;

    private static Tensor t(int... shape) {
        return Tensor.zeros(shape);
    }

    private static Tensor param(int... shape) {
        return Tensor.ones(shape).requiresGrad(true);
    }

    /** A custom op named {@code name}: forward multiplies by 2 after running {@code inForward}; backward is {@code backward}. */
    private static CustomOp op(String name, java.util.function.Consumer<Context> inForward,
            BiFunction<Context, Tensor, Tensor[]> backward) {
        return new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                inForward.accept(ctx);
                return in[0].mul(2.0);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor gradOutput) {
                return backward.apply(ctx, gradOutput);
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    private static Trainer trainer(Trainer.LossFunction loss) {
        Linear model = new Linear(2, 1, Init.constant(0.5));
        return new Trainer(model, new SGD(model.parameters(), 0.1), loss);
    }

    private static Dataset xor() {
        return Dataset.of(new double[][] {{0, 0}, {0, 1}, {1, 0}, {1, 1}}, new double[][] {{0}, {1}, {1}, {0}});
    }

    static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(1);
        List<Tensor> ps = List.of(param(2));

        // ---- core: creation
        cs.add(c("of: data does not fill the shape", IAE, () -> Tensor.of(new double[5], 2, 3), "of", "5", "[2, 3]", "6"));
        cs.add(c("of: null data", IAE, () -> Tensor.of((double[]) null, 2), "of", "null"));
        cs.add(c("of: null shape", IAE, () -> Tensor.of(new double[1], (int[]) null), "of", "shape is null"));
        cs.add(c("of: negative dimension", IAE, () -> Tensor.of(new double[0], 2, -3), "of", "-3", "[2, -3]"));
        cs.add(c("zeros: negative dimension", IAE, () -> Tensor.zeros(4, -1), "-1", "[4, -1]"));
        cs.add(c("full: negative dimension", IAE, () -> Tensor.full(1.5, -2), "full", "-2"));
        cs.add(c("zeros: more elements than an array holds", IAE, () -> Tensor.zeros(1 << 20, 1 << 20), "[1048576, 1048576]"));
        cs.add(c("zeros: element count overflowing a long", IAE, () -> Tensor.zeros(65536, 65536, 65536, 65536),
                "[65536, 65536, 65536, 65536]"));
        cs.add(c("zeros: one element more than an array holds", IAE, () -> Tensor.zeros(Integer.MAX_VALUE - 7), "zeros",
                "[2147483640]", "2147483639"));
        cs.add(c("ones: Integer.MAX_VALUE elements", IAE, () -> Tensor.ones(Integer.MAX_VALUE), "ones", "[2147483647]",
                "2147483639"));
        cs.add(c("randn: one element more than an array holds", IAE, () -> Tensor.randn(rng, 8, 268_435_455), "randn",
                "[8, 268435455]", "2147483640"));
        cs.add(c("rand: null generator", IAE, () -> Tensor.rand(null, 2), "rand", "null"));
        cs.add(c("randn: negative dimension", IAE, () -> Tensor.randn(rng, 3, -2), "randn", "-2"));

        // ---- core: inspection
        cs.add(c("get: index out of bounds", IAE, () -> t(2, 3).get(2, 0), "get", "[2, 0]", "[2, 3]", "axis 0"));
        cs.add(c("get: too few indices", IAE, () -> t(2, 3).get(1), "get", "[1]", "[2, 3]"));
        cs.add(c("get: negative index", IAE, () -> t(2, 3).get(0, -1), "get", "[0, -1]", "axis 1"));
        cs.add(c("get: null index", IAE, () -> t(2).get((int[]) null), "get", "null"));
        cs.add(c("item: more than one element", ISE, () -> t(2, 3).item(), "item", "[2, 3]", "6"));
        cs.add(c("item: empty tensor", ISE, () -> t(0).item(), "item", "[0]", "0 elements"));
        cs.add(c("copyTo: destination too small", IAE, () -> t(2, 3).copyTo(new double[4]), "copyTo", "4", "6"));

        // ---- core: elementwise and linear algebra
        cs.add(c("add: shapes do not broadcast", IAE, () -> t(2, 3).add(t(4)), "add", "[2, 3]", "[4]"));
        cs.add(c("sub: shapes do not broadcast", IAE, () -> t(2, 3).sub(t(2)), "sub", "[2, 3]", "[2]"));
        cs.add(c("mul: shapes do not broadcast", IAE, () -> t(3, 2).mul(t(3)), "mul", "[3, 2]", "[3]"));
        cs.add(c("div: shapes do not broadcast", IAE, () -> t(2, 3).div(t(3, 2)), "div", "[2, 3]", "[3, 2]"));
        cs.add(c("add: null operand", IAE, () -> t(2).add((Tensor) null), "add", "null"));
        cs.add(c("matmul: inner dimensions differ", IAE, () -> t(2, 3).matmul(t(4, 5)), "matmul", "[2, 3]", "[4, 5]"));
        cs.add(c("matmul: vectors of different length", IAE, () -> t(3).matmul(t(4)), "matmul", "[3]", "[4]"));
        cs.add(c("matmul: scalar operand", IAE, () -> Tensor.scalar(2).matmul(t(2, 2)), "matmul", "[]", "[2, 2]"));
        cs.add(c("matmul: batch axes do not broadcast", IAE, () -> t(2, 2, 3).matmul(t(3, 3, 4)), "matmul", "[2, 2, 3]", "[3, 3, 4]"));
        cs.add(c("matmul: product whose element count overflows an int", IAE, () -> t(65536, 1).matmul(t(1, 65536)), "matmul",
                "[65536, 1]", "[1, 65536]", "[65536, 65536]", "4294967296"));
        cs.add(c("matmul: product with a negative int element count", IAE, () -> t(46341, 1).matmul(t(1, 46341)), "matmul",
                "[46341, 1]", "[1, 46341]", "2147488281"));
        cs.add(c("matmul: batched product too large", IAE, () -> t(2, 32768, 1).matmul(t(1, 1, 65536)), "matmul", "[2, 32768, 1]",
                "[1, 1, 65536]", "[2, 32768, 65536]"));
        cs.add(c("matmul: operand broadcast to the batch too large", IAE,
                () -> Tensor.ones(1, 1, 1).expand(1, 1024, 2048).matmul(Tensor.ones(1, 1, 1).expand(1024, 2048, 1)), "matmul",
                "[1, 1024, 2048]", "[1024, 2048, 1]", "[1024, 1024, 2048]"));
        cs.add(c("affine: product too large", IAE, () -> t(65536, 1).affine(t(1, 65536), t(65536)), "affine", "[65536, 1]",
                "[1, 65536]", "[65536, 65536]"));
        cs.add(c("add: broadcast too large", IAE, () -> t(65536, 1).add(t(1, 65536)), "add", "[65536, 1]", "[1, 65536]",
                "[65536, 65536]"));
        cs.add(c("matmul: null operand", IAE, () -> t(2, 2).matmul(null), "matmul", "null"));

        // ---- core: shape ops
        cs.add(c("reshape: element counts differ", IAE, () -> t(2, 3).reshape(4), "reshape", "[2, 3]", "[4]"));
        cs.add(c("reshape: two inferred dimensions", IAE, () -> t(2, 3).reshape(-1, -1), "reshape", "[-1, -1]"));
        cs.add(c("reshape: negative dimension", IAE, () -> t(2, 3).reshape(-2, 3), "reshape", "-2"));
        cs.add(c("reshape: inferred dimension does not divide", IAE, () -> t(2, 3).reshape(4, -1), "reshape", "[2, 3]", "[4, -1]"));
        cs.add(c("reshape: null shape", IAE, () -> t(2).reshape((int[]) null), "reshape", "null"));
        cs.add(c("transpose: rank 1", IAE, () -> t(3).transpose(), "transpose", "[3]"));
        cs.add(c("expand: incompatible target", IAE, () -> t(3).expand(2, 4), "expand", "[3]", "[2, 4]"));
        cs.add(c("expand: negative dimension", IAE, () -> t(1).expand(-1, 2), "expand", "-1"));
        cs.add(c("expand: more elements than an array holds", IAE, () -> t(1).expand(Integer.MAX_VALUE), "expand", "[2147483647]",
                "2147483639"));
        cs.add(c("sumTo: target with more elements than an array holds", IAE, () -> t(0, Integer.MAX_VALUE).sumTo(1, Integer.MAX_VALUE),
                "sumTo", "[1, 2147483647]"));
        cs.add(c("reshape: element count overflowing a long", IAE, () -> t(6).reshape(65536, 65536, 65536, 65536), "reshape",
                "[6]", "[65536, 65536, 65536, 65536]"));
        cs.add(c("concat: length past Integer.MAX_VALUE", IAE, () -> Tensor.concat(List.of(t(Integer.MAX_VALUE, 0), t(1, 0)), 0),
                "concat", "[2147483647, 0]", "[1, 0]", "2147483648"));
        cs.add(c("concat: more elements than an array holds", IAE, () -> Tensor.concat(List.of(Tensor.ones(1, 1)
                .expand(Integer.MAX_VALUE - 16, 1), t(9, 1)), 0), "concat", "[2147483631, 1]", "[9, 1]", "[2147483640, 1]"));
        cs.add(c("sumTo: not a broadcast of the target", IAE, () -> t(2, 3).sumTo(4), "sumTo", "[2, 3]", "[4]"));

        // ---- core: axes and reductions
        cs.add(c("sum: axis past the rank", IAE, () -> t(2, 3).sum(2, false), "sum", "axis 2", "rank 2"));
        cs.add(c("sum: negative axis past the rank", IAE, () -> t(2, 3).sum(-3, true), "sum", "axis -3", "rank 2"));
        cs.add(c("mean: axis past the rank", IAE, () -> t(2, 3).mean(5, false), "mean", "axis 5"));
        cs.add(c("max: a scalar has no axes", IAE, () -> Tensor.scalar(1).max(0, false), "max", "axis 0", "scalar"));
        cs.add(c("softmax: axis past the rank", IAE, () -> t(2, 3).softmax(2), "softmax", "axis 2"));
        cs.add(c("logSoftmax: axis past the rank", IAE, () -> t(2, 3).logSoftmax(-3), "logSoftmax", "axis -3"));
        cs.add(c("logSumExp: axis past the rank", IAE, () -> t(4).logSumExp(1, true), "logSumExp", "axis 1", "rank 1"));
        cs.add(c("mean: empty tensor", IAE, () -> t(0, 3).mean(), "mean", "[0, 3]", "empty"));
        cs.add(c("mean: empty axis", IAE, () -> t(2, 0).mean(1, false), "mean", "[2, 0]", "empty"));
        cs.add(c("max: empty axis", IAE, () -> t(2, 0).max(-1, true), "max", "[2, 0]", "empty"));
        cs.add(c("softmax: empty axis", IAE, () -> t(2, 0).softmax(1), "softmax", "[2, 0]", "empty"));
        cs.add(c("max: empty tensor", IAE, () -> t(0).max(), "max", "[0]", "empty"));
        cs.add(c("argmax: empty axis", IAE, () -> t(2, 0).argmax(1, false), "argmax", "[2, 0]", "empty"));
        cs.add(c("gather: index out of range", IAE, () -> t(2, 3).gather(1, Tensor.of(new double[] {5}, 1, 1)), "gather", "index 5",
                "axis 1", "size 3"));
        cs.add(c("gather: fractional index", IAE, () -> t(2, 3).gather(1, Tensor.of(new double[] {1.5}, 1, 1)), "gather", "1.5",
                "whole number"));
        cs.add(c("gather: index of another rank", IAE, () -> t(2, 3).gather(0, Tensor.zeros(2)), "gather", "[2]", "[2, 3]", "rank"));
        cs.add(c("scatterAdd: source of another rank", IAE, () -> t(2, 3).scatterAdd(0, Tensor.zeros(1, 1), t(3)), "scatterAdd",
                "[3]", "[2, 3]"));
        cs.add(c("indexSelect: index out of range", IAE, () -> t(2, 3).indexSelect(0, 2), "indexSelect", "index 2", "axis 0", "size 2"));
        cs.add(c("stack: shapes differ", IAE, () -> Tensor.stack(List.of(t(3, 2), t(2, 3)), 0), "stack", "[2, 3]", "[3, 2]"));
        cs.add(c("permute: repeated axis", IAE, () -> t(2, 3).permute(1, 1), "permute", "[1, 1]", "repeat axis [1]", "miss axis [0]"));
        cs.add(c("logSumExp: empty axis", IAE, () -> t(3, 0).logSumExp(1, false), "logSumExp", "[3, 0]", "empty"));

        // ---- core: autograd state and backward misuse
        cs.add(c("requiresGrad: on an op result", ISE, () -> param(2).exp().requiresGrad(false), "requiresGrad", "exp", "detach"));
        cs.add(c("modify: an op result", ISE, () -> param(2).tanh().modify(v -> { }), "modify", "tanh"));
        cs.add(c("modify: null update", IAE, () -> t(2).modify(null), "modify", "null"));
        cs.add(c("modify: a broadcast view", ISE, () -> t(3).expand(2, 3).detach().modify(v -> { }), "modify", "[2, 3]"));
        cs.add(c("backward: non-scalar without gradOutput", ISE, () -> param(2, 3).exp().backward(), "backward", "[2, 3]",
                "gradOutput"));
        cs.add(c("backward: output does not require grad", ISE, () -> t(2).sum().backward(), "backward", "does not require grad"));
        cs.add(c("backward: gradOutput of the wrong shape", IAE, () -> param(2, 3).exp().backward(t(3)), "backward", "[3]", "[2, 3]"));
        cs.add(c("backward: null gradOutput", IAE, () -> param(2).exp().backward(null), "backward", "null"));
        cs.add(c("backward: a saved tensor was modified", ISE, () -> {
            // w * w: the gradient for each factor reads the other, so the stale w would be used
            Tensor w = param(3);
            Tensor y = w.mul(w).sum();
            w.modify(v -> v[0] = 5);
            y.backward();
        }, "mul", "modified", "[3]", "version 0", "1 now"));
        cs.add(c("grad: non-scalar output", ISE, () -> Autograd.grad(param(2).exp(), List.of(param(2)), false), "grad", "[2]"));
        cs.add(c("grad: null output", IAE, () -> Autograd.grad(null, List.of(param(2)), false), "grad", "output is null"));
        cs.add(c("grad: null output with gradOutput", IAE, () -> Autograd.grad(null, t(2), List.of(param(2)), false), "grad", "output"));
        cs.add(c("grad: null inputs", IAE, () -> Autograd.grad(param(2).sum(), null, false), "grad", "inputs is null"));
        cs.add(c("grad: null input in the list", IAE, () -> Autograd.grad(param(2).sum(), Arrays.asList(param(1), null), false), "grad",
                "input 1"));
        cs.add(c("grad: input does not require grad", ISE, () -> {
            Tensor x = param(2);
            Autograd.grad(x.sum(), List.of(x, t(3)), false);
        }, "grad", "input 1", "[3]", "requiresGrad"));
        cs.add(c("grad: gradOutput of the wrong shape", IAE, () -> {
            Tensor x = param(3);
            Autograd.grad(x.exp(), t(2), List.of(x), false);
        }, "grad", "[2]", "[3]"));
        cs.add(c("Scope: closed on another thread", ISE, () -> {
            Autograd.Scope s = Autograd.noGrad();
            AtomicReference<Throwable> seen = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    s.close();
                } catch (Throwable e) {
                    seen.set(e);
                }
            }, "closer");
            other.start();
            other.join();
            s.close();
            if (seen.get() != null) {
                throw seen.get();
            }
        }, "Autograd.Scope", "closer", "opened on"));

        // ---- core: custom ops breaking the contract
        cs.add(c("custom op: backward returns too many gradients", ISE, () -> op("twice", ctx -> { },
                (ctx, g) -> new Tensor[] {g, g}).apply(param(2)).sum().backward(), "twice", "2 gradients", "1 inputs"));
        cs.add(c("custom op: backward returns null", ISE, () -> op("nothing", ctx -> { }, (ctx, g) -> null).apply(param(2)).sum()
                .backward(), "nothing", "null"));
        cs.add(c("custom op: gradient of the wrong shape", ISE, () -> op("squash", ctx -> { },
                (ctx, g) -> new Tensor[] {t(3)}).apply(param(2, 2)).sum().backward(), "squash", "[3]", "[2, 2]"));
        cs.add(c("custom op: forward returns null", ISE, () -> new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return null;
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {g};
            }

            @Override
            public String name() {
                return "void";
            }
        }.apply(param(2)), "void", "forward returned null"));
        cs.add(c("custom op: null input", IAE, () -> op("unary", ctx -> { }, (ctx, g) -> new Tensor[] {g}).apply(param(2), null),
                "unary", "input 1", "null"));
        cs.add(c("Context.saved: index past what was saved", IAE, () -> op("keeper", ctx -> ctx.save(t(2)),
                (ctx, g) -> new Tensor[] {g.mul(ctx.saved(3))}).apply(param(2)).sum().backward(), "keeper", "saved index 3", "1 saved"));
        cs.add(c("Context.saved: negative index", IAE, () -> op("keeper", ctx -> ctx.save(t(2)),
                (ctx, g) -> new Tensor[] {g.mul(ctx.saved(-1))}).apply(param(2)).sum().backward(), "keeper", "-1"));
        cs.add(c("Context.saved: op not recorded", ISE, () -> op("unrecorded", ctx -> ctx.saved(0),
                (ctx, g) -> new Tensor[] {g}).apply(t(2)), "saved", "not recorded"));
        cs.add(c("Context.save: null tensor", IAE, () -> op("saver", ctx -> ctx.save(t(1), null),
                (ctx, g) -> new Tensor[] {g}).apply(param(2)), "saver", "null", "argument 1"));
        cs.add(c("Context.save: null array", IAE, () -> op("saver", ctx -> ctx.save((Tensor[]) null),
                (ctx, g) -> new Tensor[] {g}).apply(param(2)), "saver", "null"));
        cs.add(c("Context.needsInputGrad: index past the inputs", IAE, () -> op("asker", ctx -> ctx.needsInputGrad(5),
                (ctx, g) -> new Tensor[] {g}).apply(param(2)), "asker", "5"));

        // ---- nn: layers
        cs.add(c("Linear: zero inputs", IAE, () -> new Linear(0, 3), "Linear", "in 0", "out 3"));
        cs.add(c("Linear: negative outputs", IAE, () -> new Linear(3, -1, Init.constant(1)), "Linear", "out -1"));
        cs.add(c("Linear: null init", IAE, () -> new Linear(2, 3, (Init) null), "Linear", "init is null"));
        cs.add(c("Linear: null generator", IAE, () -> new Linear(2, 3, (RandomGenerator) null), "Linear", "generator is null"));
        cs.add(c("Linear: more weights than an array holds", IAE, () -> new Linear(65536, 65536, Init.constant(0)), "65536"));
        cs.add(c("Linear: wrong input width", IAE, () -> new Linear(3, 2).forward(t(2, 4)), "Linear", "3", "[2, 4]"));
        cs.add(c("Linear: scalar input", IAE, () -> new Linear(3, 2).forward(Tensor.scalar(1)), "Linear", "[]"));
        cs.add(c("Linear: null input", IAE, () -> new Linear(3, 2).forward(null), "Linear", "null"));
        cs.add(c("Sequential: no layers", IAE, () -> new Sequential(), "Sequential", "at least one"));
        cs.add(c("Sequential: null layer", IAE, () -> new Sequential(new Tanh(), null), "Sequential", "layer 1", "null"));
        cs.add(c("Sequential: wrong input width reaches the Linear", IAE, () -> MLP.of(4, 3, 2).forward(t(1, 5)), "Linear", "4",
                "[1, 5]"));
        cs.add(c("Softmax layer: axis past the rank", IAE, () -> new Softmax(3).forward(t(2, 2)), "softmax", "axis 3"));
        cs.add(c("LeakyReLU: infinite slope", IAE, () -> new LeakyReLU(Double.POSITIVE_INFINITY), "LeakyReLU", "Infinity"));
        cs.add(c("Dropout: p = 1", IAE, () -> new Dropout(1.0, new SplittableRandom(1)), "Dropout", "1.0"));
        cs.add(c("Dropout: negative p", IAE, () -> new Dropout(-0.1, new SplittableRandom(1)), "Dropout", "-0.1"));
        cs.add(c("Dropout: NaN p", IAE, () -> new Dropout(Double.NaN, new SplittableRandom(1)), "Dropout", "NaN"));
        cs.add(c("Dropout: null generator", IAE, () -> new Dropout(0.5, null), "Dropout", "null"));
        cs.add(c("MLP: a single size", IAE, () -> MLP.of(3), "MLP", "[3]"));
        cs.add(c("MLP: zero width", IAE, () -> MLP.of(2, 0, 1), "MLP", "[2, 0, 1]"));
        cs.add(c("MLP: null sizes", IAE, () -> MLP.of((int[]) null), "MLP", "null"));
        cs.add(c("MLP: null activation", IAE, () -> MLP.of(new int[] {2, 2}, null, Init.constant(1)), "MLP", "activation"));
        cs.add(c("MLP: null init", IAE, () -> MLP.of(new int[] {2, 2}, Tanh::new, null), "MLP", "init"));
        cs.add(c("MLP: supplier returns null", IAE, () -> MLP.of(new int[] {2, 2, 1}, () -> null, Init.constant(1)), "MLP",
                "returned null"));

        // ---- nn: initializers
        cs.add(c("Init.uniform: low above high", IAE, () -> Init.uniform(1, 0, rng), "Init.uniform", "low 1.0", "high 0.0"));
        cs.add(c("Init.uniform: NaN bound", IAE, () -> Init.uniform(Double.NaN, 1, rng), "Init.uniform", "NaN"));
        cs.add(c("Init.normal: negative std", IAE, () -> Init.normal(0, -1, rng), "Init.normal", "std -1.0"));
        cs.add(c("Init.constant: infinite value", IAE, () -> Init.constant(Double.NEGATIVE_INFINITY), "Init.constant", "-Infinity"));
        cs.add(c("Init.xavierUniform: null generator", IAE, () -> Init.xavierUniform(null), "Init.xavierUniform", "null"));
        cs.add(c("Init.heNormal: null generator", IAE, () -> Init.heNormal(null), "Init.heNormal", "null"));
        cs.add(c("Init.parameter: zero fan-in", IAE, () -> Init.constant(1).parameter(0, 1, 2), "Init", "0"));
        cs.add(c("Init.parameter: negative dimension", IAE, () -> Init.constant(1).parameter(1, 1, 2, -3), "Init", "[2, -3]"));
        cs.add(c("Init.parameter: null shape", IAE, () -> Init.constant(1).parameter(1, 1, (int[]) null), "Init", "null"));

        // ---- nn: losses
        cs.add(c("mse: shapes differ", IAE, () -> Losses.mse(t(2, 3), t(3, 2)), "mse", "[2, 3]", "[3, 2]"));
        cs.add(c("sumSquaredError: null target", IAE, () -> Losses.sumSquaredError(t(2), null), "sumSquaredError", "target"));
        cs.add(c("binaryCrossEntropy: probability above 1", IAE, () -> Losses.binaryCrossEntropy(Tensor.of(new double[] {0.5, 1.5}, 2),
                t(2)), "binaryCrossEntropy", "1.5", "index 1"));
        cs.add(c("binaryCrossEntropy: shapes differ", IAE, () -> Losses.binaryCrossEntropy(t(4), t(4, 1)), "binaryCrossEntropy", "[4]",
                "[4, 1]"));
        cs.add(c("binaryCrossEntropyWithLogits: shapes differ", IAE, () -> Losses.binaryCrossEntropyWithLogits(t(3, 1), t(1, 3)),
                "binaryCrossEntropyWithLogits", "[3, 1]", "[1, 3]"));
        cs.add(c("crossEntropy: class out of range", IAE, () -> Losses.crossEntropy(t(2, 3), new int[] {0, 3}), "crossEntropy",
                "class 3", "3 classes"));
        cs.add(c("crossEntropy: negative class", IAE, () -> Losses.crossEntropy(t(2, 3), new int[] {-1, 0}), "crossEntropy", "-1"));
        cs.add(c("crossEntropy: label count differs from batch", IAE, () -> Losses.crossEntropy(t(2, 3), new int[] {0, 1, 2}),
                "crossEntropy", "3 class labels", "batch of 2"));
        cs.add(c("crossEntropy: logits not 2-D", IAE, () -> Losses.crossEntropy(t(4), new int[] {0}), "crossEntropy", "[4]"));
        cs.add(c("crossEntropy: empty batch", IAE, () -> Losses.crossEntropy(t(0, 3), new int[0]), "crossEntropy", "empty", "[0, 3]"));
        cs.add(c("crossEntropy: null classes", IAE, () -> Losses.crossEntropy(t(1, 3), (int[]) null), "crossEntropy", "classes"));
        cs.add(c("crossEntropy: null targets", IAE, () -> Losses.crossEntropy(t(1, 3), (Tensor) null), "crossEntropy", "target"));
        cs.add(c("crossEntropy: targets of another shape", IAE, () -> Losses.crossEntropy(t(2, 3), t(2, 4)), "crossEntropy", "[2, 3]", "[2, 4]"));

        // ---- nn: optimizers
        cs.add(c("SGD: NaN learning rate", IAE, () -> new SGD(ps, Double.NaN), "SGD", "learning rate", "NaN"));
        cs.add(c("SGD: negative learning rate", IAE, () -> new SGD(ps, -0.1), "SGD", "learning rate", "-0.1"));
        cs.add(c("SGD: negative momentum", IAE, () -> new SGD(ps, 0.1, -0.5), "SGD", "momentum", "-0.5"));
        cs.add(c("SGD: infinite dampening", IAE, () -> new SGD(ps, 0.1).dampening(Double.POSITIVE_INFINITY), "SGD", "dampening",
                "Infinity"));
        cs.add(c("SGD: NaN weight decay", IAE, () -> new SGD(ps, 0.1).weightDecay(Double.NaN), "SGD", "weight decay", "NaN"));
        cs.add(c("SGD: Nesterov without momentum", ISE, () -> {
            Tensor p = param(2);
            p.sum().backward();
            new SGD(List.of(p), 0.1).nesterov(true).step();
        }, "SGD", "Nesterov", "momentum 0.0"));
        cs.add(c("SGD: null parameter list", IAE, () -> new SGD(null, 0.1), "SGD", "null"));
        cs.add(c("SGD: parameter is not a leaf", IAE, () -> new SGD(List.of(param(2).exp()), 0.1), "SGD", "parameter 0", "leaf"));
        cs.add(c("Adam: infinite learning rate", IAE, () -> new Adam(ps, Double.POSITIVE_INFINITY), "Adam", "Infinity"));
        cs.add(c("Adam: beta1 = 1", IAE, () -> new Adam(ps, 0.1).betas(1.0, 0.9), "Adam", "beta1", "1.0"));
        cs.add(c("Adam: negative beta2", IAE, () -> new Adam(ps, 0.1).betas(0.9, -0.1), "Adam", "beta2", "-0.1"));
        cs.add(c("Adam: NaN eps", IAE, () -> new Adam(ps, 0.1).eps(Double.NaN), "Adam", "eps", "NaN"));
        cs.add(c("Adam: parameter without requiresGrad", IAE, () -> new Adam(List.of(t(3)), 0.1), "Adam", "parameter 0", "[3]"));
        cs.add(c("Adam: negative rate set later", IAE, () -> new Adam(ps, 0.1).setLearningRate(-1), "Adam", "-1.0"));
        cs.add(c("AdamW: negative weight decay", IAE, () -> new AdamW(ps, 0.1).weightDecay(-1), "AdamW", "weight decay", "-1.0"));
        cs.add(c("AdamW: NaN beta1", IAE, () -> new AdamW(ps, 0.1).betas(Double.NaN, 0.9), "AdamW", "beta1", "NaN"));
        cs.add(c("RMSprop: negative alpha", IAE, () -> new RMSprop(ps, 0.1).alpha(-1), "RMSprop", "alpha", "-1.0"));
        cs.add(c("RMSprop: NaN momentum", IAE, () -> new RMSprop(ps, 0.1).momentum(Double.NaN), "RMSprop", "momentum", "NaN"));
        cs.add(c("RMSprop: negative eps", IAE, () -> new RMSprop(ps, 0.1).eps(-1e-8), "RMSprop", "eps", "-1.0E-8"));
        cs.add(c("RMSprop: the same parameter twice", IAE, () -> {
            Tensor p = param(2);
            new RMSprop(List.of(p, p), 0.1);
        }, "RMSprop", "parameter 1", "parameter 0"));
        cs.add(c("clipByGlobalNorm: zero max norm", IAE, () -> GradientClipping.clipByGlobalNorm(ps, 0), "clipByGlobalNorm", "0.0"));
        cs.add(c("schedule: zero step size", IAE, () -> LearningRateSchedule.step(0, 0.5), "LearningRateSchedule.step", "0"));
        cs.add(c("schedule: NaN gamma", IAE, () -> LearningRateSchedule.exponential(Double.NaN), "LearningRateSchedule.exponential",
                "NaN"));
        cs.add(c("schedule: negative epoch", IAE, () -> LearningRateSchedule.constant().apply(new SGD(ps, 0.1), 0.1, -1),
                "LearningRateSchedule", "-1"));
        cs.add(c("schedule: null optimizer", IAE, () -> LearningRateSchedule.constant().apply(null, 0.1, 0), "LearningRateSchedule",
                "optimizer"));

        // ---- nn: checkpoints
        cs.add(c("Checkpoint.save: null model", IAE, () -> Checkpoint.save(null, dir.resolve("a.ckpt")), "Checkpoint.save", "model"));
        cs.add(c("Checkpoint.save: null file", IAE, () -> Checkpoint.save(new Linear(1, 1), null), "Checkpoint.save", "file"));
        cs.add(c("Checkpoint.load: null model", IAE, () -> Checkpoint.load(null, dir.resolve("a.ckpt")), "Checkpoint.load", "model"));
        cs.add(c("Checkpoint.load: missing file", IOException.class, () -> Checkpoint.load(new Linear(1, 1), dir.resolve("missing.ckpt")),
                "Checkpoint", "missing.ckpt", "does not exist"));
        cs.add(c("Checkpoint.load: wrong architecture", IOException.class, () -> {
            Path f = dir.resolve("arch.ckpt");
            Checkpoint.save(new Linear(3, 4), f);
            Checkpoint.load(new Linear(3, 5), f);
        }, "Checkpoint", "arch.ckpt", "[3, 4]", "[3, 5]"));
        cs.add(c("Checkpoint.save: into a missing directory", IOException.class,
                () -> Checkpoint.save(new Linear(1, 1), dir.resolve("no-such-dir").resolve("a.ckpt")), "no-such-dir"));
        cs.add(c("Checkpoint.load: a directory", IOException.class, () -> Checkpoint.load(new Linear(1, 1),
                Files.createDirectories(dir.resolve("a-directory.ckpt"))), "Checkpoint", "a-directory.ckpt"));
        cs.add(c("Checkpoint.save: a path without a parent directory", IOException.class,
                () -> Checkpoint.save(new Linear(1, 1), dir.getRoot()), "Checkpoint"));

        // ---- nn: data and training loop
        cs.add(c("Dataset: row counts differ", IAE, () -> Dataset.of(new double[][] {{1}, {2}, {3}}, new double[][] {{1}, {2}}), "Dataset",
                "2 target rows", "3 input rows"));
        cs.add(c("Dataset: negative label", IAE, () -> Dataset.of(new double[][] {{1}, {2}}, new int[] {0, -2}), "Dataset", "-2", "row 1"));
        cs.add(c("Dataset: first input row null", IAE, () -> Dataset.of(new double[][] {null, {1}}, new double[][] {{1}, {2}}), "Dataset",
                "row 0"));
        cs.add(c("Dataset: ragged rows", IAE, () -> Dataset.of(new double[][] {{1, 2}, {3}}, new int[] {0, 1}), "Dataset", "row 1", "1 values",
                "2"));
        cs.add(c("Dataset: batch index out of range", IAE, () -> xor().batch(new int[] {0, 5}), "Dataset", "index 5", "4 examples"));
        cs.add(c("Batcher: zero size", IAE, () -> new Batcher(0, 1, null), "Batcher", "0"));
        cs.add(c("Trainer: null model", IAE, () -> new Trainer(null, new SGD(ps, 0.1), (p, b) -> p.sum()), "Trainer", "model"));
        cs.add(c("Trainer: loss function returns a vector", ISE, () -> trainer((p, b) -> p).step(xor().all()), "Trainer", "scalar",
                "[4, 1]"));
        cs.add(c("Trainer: loss function returns null", ISE, () -> trainer((p, b) -> null).step(xor().all()), "Trainer", "null"));
        cs.add(c("Trainer: null batch", IAE, () -> trainer((p, b) -> p.sum()).step(null), "Trainer", "batch"));
        cs.add(c("Trainer: null data set", IAE, () -> trainer((p, b) -> p.sum()).fit(null, 1), "Trainer", "data set"));
        cs.add(c("Trainer: negative epochs", IAE, () -> trainer((p, b) -> p.sum()).fit(xor(), -1), "Trainer", "-1"));
        cs.add(c("Trainer: zero batch size", IAE, () -> trainer((p, b) -> p.sum()).fit(xor(), 1, 0, null), "batch size", "0"));
        cs.add(c("Trainer: more steps than a history holds", IAE, () -> trainer((p, b) -> p.sum()).fit(xor(), Integer.MAX_VALUE, 1, null),
                "Trainer", "2147483647"));
        cs.add(c("Trainer: NaN max norm", IAE, () -> trainer((p, b) -> p.sum()).clipGradNorm(Double.NaN), "Trainer", "NaN"));
        cs.add(c("Trainer: null listener", IAE, () -> trainer((p, b) -> p.sum()).listener(null), "Trainer", "listener"));
        cs.add(c("Trainer: loss becomes NaN", ArithmeticException.class, () -> trainer((p, b) -> p.sum().mul(Double.NaN)).fit(xor(), 3),
                "Trainer", "NaN", "step 0"));
        cs.add(c("Doctor: null model", IAE, () -> Doctor.examine(null, t(1, 2)), "Doctor.examine"));
        return cs;
    }

    @TestFactory
    Stream<DynamicTest> everyMalformedCallFailsWithTheRightExceptionNamingTheOpAndTheValues() {
        return cases().stream().map(k -> DynamicTest.dynamicTest(k.name(), () -> check(k)));
    }

    private static void check(Case k) {
        Throwable thrown = null;
        try {
            k.call().execute();
        } catch (Throwable t) {
            thrown = t;
        }
        if (thrown == null) {
            fail(k.name() + ": no exception; expected " + k.type().getSimpleName());
        }
        if (!k.type().isInstance(thrown)) {
            throw new AssertionError(k.name() + ": expected " + k.type().getSimpleName() + " but got " + thrown, thrown);
        }
        String message = thrown.getMessage();
        assertNotNull(message, k.name() + ": exception without a message");
        for (String part : k.parts()) {
            assertTrue(message.contains(part), k.name() + ": message \"" + message + "\" does not mention \"" + part + "\"");
        }
    }

    @Test
    void theCatalogueIsLargeAndItsNamesAreUnique() {
        List<Case> cs = cases();
        assertTrue(cs.size() >= MINIMUM_CASES, "only " + cs.size() + " cases");
        assertTrue(cs.stream().map(Case::name).distinct().count() == cs.size(), "duplicate case names");
        assertTrue(cs.stream().allMatch(k -> k.parts().length > 0), "a case that checks no message");
        System.out.println("malformed-input catalogue: " + cs.size() + " cases");
    }
}
