package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random calls of the public Tensor API with random (often wrong) shapes, axes and values either
 * succeed or fail with IllegalArgumentException / IllegalStateException, never with a stray
 * exception such as NullPointerException or ArrayIndexOutOfBoundsException.
 */
public class ApiFuzzTest {

    record Call(String op, int[] shapeA, int[] shapeB, int axis, double value, boolean grad) {
        @Override
        public String toString() {
            return op + " " + Arrays.toString(shapeA) + " " + Arrays.toString(shapeB) + " axis=" + axis + " value=" + value
                    + " grad=" + grad;
        }
    }

    /** The calls the fuzzer makes; OpCoverageTest checks that every op of Tensor is among them. */
    public static final List<String> OPS = List.of("add", "sub", "mul", "div", "matmul", "addScalar", "pow", "exp", "log",
            "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "clamp", "neg", "transpose", "reshape", "expand", "sumTo", "sum",
            "sumAxis", "mean", "meanAxis", "max", "softmax", "logSoftmax", "logSumExp", "get", "item", "of", "backward",
            "backwardWith", "grad", "zeros", "full", "maximum", "minimum", "powTensor", "where", "gt", "eq", "erf", "gelu", "silu",
            "leakyRelu", "ofVector", "ofRows", "arange", "linspace", "eye", "maxAll", "min", "minAll", "logSumExpAll", "argmax", "argmin", "var", "std",
            "cumsum", "prod", "norm", "indexSelect", "gather", "scatterAdd", "permute", "unsqueeze", "squeeze", "flatten", "stack",
            "softmaxCrossEntropy", "layerNorm", "batchNorm");

    @Provide
    Arbitrary<int[]> shapes() {
        return Arbitraries.integers().between(-1, 4).array(int[].class).ofMinSize(0).ofMaxSize(4)
                .map(s -> {
                    // mostly valid dimensions, sometimes negative ones
                    for (int i = 0; i < s.length; i++) {
                        if (s[i] < 0 && Math.floorMod(i * 31 + s.length, 5) != 0) {
                            s[i] = 1;
                        }
                    }
                    return s;
                });
    }

    @Provide
    Arbitrary<Call> calls() {
        return Combinators.combine(Arbitraries.of(OPS), shapes(), shapes(), Arbitraries.integers().between(-5, 5),
                        Arbitraries.of(0.0, -1.0, 2.0, 0.5, Double.NaN, Double.POSITIVE_INFINITY, -3.0), Arbitraries.of(true, false))
                .as(Call::new);
    }

    @Property(tries = 2000)
    void randomCallsFailOnlyWithDocumentedExceptions(@ForAll("calls") Call call) {
        Throwable thrown = null;
        try {
            run(call);
        } catch (Throwable t) {
            thrown = t;
        }
        assertTrue(thrown == null || thrown instanceof IllegalArgumentException || thrown instanceof IllegalStateException,
                () -> call + " threw " + stackOf(call));
        if (thrown != null) {
            String m = thrown.getMessage();
            assertTrue(m != null && !m.isBlank(), () -> call + " threw without a message");
        }
    }

    private static String stackOf(Call call) {
        try {
            run(call);
            return "nothing on re-run";
        } catch (Throwable t) {
            java.io.StringWriter w = new java.io.StringWriter();
            t.printStackTrace(new java.io.PrintWriter(w));
            return w.toString();
        }
    }

    private static Tensor make(int[] shape, boolean grad) {
        long n = 1;
        for (int d : shape) {
            n *= Math.max(d, 0);
        }
        double[] data = new double[(int) Math.min(n, 10_000)];
        for (int i = 0; i < data.length; i++) {
            data[i] = 0.25 + (i % 7) * 0.5;
        }
        Tensor t = Tensor.of(data, shape);
        return grad ? t.requiresGrad(true) : t;
    }

    private static void run(Call c) {
        if (c.op.equals("of")) {
            Tensor.of(new double[Math.abs(c.axis)], c.shapeA);
            return;
        }
        if (c.op.equals("zeros")) {
            Tensor.zeros(c.shapeA);
            return;
        }
        if (c.op.equals("full")) {
            Tensor.full(c.value, c.shapeA);
            return;
        }
        if (c.op.equals("ofVector")) {
            Tensor.of(c.axis < 0 ? null : new double[c.axis]);
            return;
        }
        if (c.op.equals("ofRows")) {
            // a negative dimension makes a null row; unequal dimensions make ragged rows
            Tensor.of(Arrays.stream(c.shapeA).mapToObj(d -> d < 0 ? null : new double[d]).toArray(double[][]::new));
            return;
        }
        if (c.op.equals("arange")) {
            Tensor.arange(c.axis, c.value, c.shapeA.length - 2.0);
            return;
        }
        if (c.op.equals("linspace")) {
            Tensor.linspace(c.value, c.axis, c.axis);
            return;
        }
        if (c.op.equals("eye")) {
            Tensor.eye(c.axis);
            return;
        }
        Tensor a = make(c.shapeA, c.grad);
        Tensor b = make(c.shapeB, !c.grad);
        BiFunction<Tensor, Tensor, Object> f = switch (c.op) {
            case "add" -> Tensor::add;
            case "sub" -> Tensor::sub;
            case "mul" -> Tensor::mul;
            case "div" -> Tensor::div;
            case "matmul" -> Tensor::matmul;
            case "addScalar" -> (x, y) -> x.add(c.value);
            case "pow" -> (x, y) -> x.pow(c.value);
            case "exp" -> (x, y) -> x.exp();
            case "log" -> (x, y) -> x.log();
            case "sqrt" -> (x, y) -> x.sqrt();
            case "abs" -> (x, y) -> x.abs();
            case "sin" -> (x, y) -> x.sin();
            case "cos" -> (x, y) -> x.cos();
            case "tanh" -> (x, y) -> x.tanh();
            case "sigmoid" -> (x, y) -> x.sigmoid();
            case "relu" -> (x, y) -> x.relu();
            case "clamp" -> (x, y) -> x.clamp(c.value, c.axis);
            case "neg" -> (x, y) -> x.neg();
            case "maximum" -> (x, y) -> x.maximum(y);
            case "minimum" -> (x, y) -> x.minimum(y);
            case "powTensor" -> (x, y) -> x.pow(y);
            case "softmaxCrossEntropy" -> Tensor::softmaxCrossEntropy;
            case "layerNorm" -> (x, y) -> x.layerNorm(c.shapeB, y, null, c.value);
            case "batchNorm" -> (x, y) -> x.batchNorm(y, null, c.value);
            case "where" -> (x, y) -> Tensor.where(y.gt(c.value), x, y);
            case "gt" -> (x, y) -> x.gt(y);
            case "eq" -> (x, y) -> x.eq(c.value);
            case "erf" -> (x, y) -> x.erf();
            case "gelu" -> (x, y) -> x.gelu();
            case "silu" -> (x, y) -> x.silu();
            case "leakyRelu" -> (x, y) -> x.leakyRelu(c.value);
            case "transpose" -> (x, y) -> x.transpose();
            case "reshape" -> (x, y) -> x.reshape(c.shapeB);
            case "expand" -> (x, y) -> x.expand(c.shapeB);
            case "sumTo" -> (x, y) -> x.sumTo(c.shapeB);
            case "sum" -> (x, y) -> x.sum();
            case "sumAxis" -> (x, y) -> x.sum(c.axis, c.grad);
            case "mean" -> (x, y) -> x.mean();
            case "meanAxis" -> (x, y) -> x.mean(c.axis, !c.grad);
            case "max" -> (x, y) -> x.max(c.axis, c.grad);
            case "softmax" -> (x, y) -> x.softmax(c.axis);
            case "logSoftmax" -> (x, y) -> x.logSoftmax(c.axis);
            case "logSumExp" -> (x, y) -> x.logSumExp(c.axis, c.grad);
            case "maxAll" -> (x, y) -> x.max();
            case "min" -> (x, y) -> x.min(c.axis, c.grad);
            case "minAll" -> (x, y) -> x.min();
            case "logSumExpAll" -> (x, y) -> x.logSumExp();
            case "argmax" -> (x, y) -> x.argmax(c.axis, c.grad);
            case "argmin" -> (x, y) -> x.argmin(c.axis, !c.grad);
            case "var" -> (x, y) -> x.var(c.axis, c.grad);
            case "std" -> (x, y) -> x.std(c.axis, !c.grad);
            case "cumsum" -> (x, y) -> x.cumsum(c.axis);
            case "prod" -> (x, y) -> x.prod(c.axis, c.grad);
            case "norm" -> (x, y) -> x.norm();
            case "indexSelect" -> (x, y) -> x.indexSelect(c.axis, c.shapeB);
            // y's values are 0.25 + 0.5 k: doubled less a half, whole numbers 0 to 6 (often out of range)
            case "gather" -> (x, y) -> x.gather(c.axis, c.value == 0.5 ? y : y.mul(2).sub(0.5));
            case "scatterAdd" -> (x, y) -> x.scatterAdd(c.axis, c.value == 0.5 ? y : y.mul(2).sub(0.5), y);
            case "permute" -> (x, y) -> x.permute(c.shapeB);
            case "unsqueeze" -> (x, y) -> x.unsqueeze(c.axis);
            case "squeeze" -> (x, y) -> x.squeeze(c.axis);
            case "flatten" -> (x, y) -> x.flatten(c.axis);
            case "stack" -> (x, y) -> Tensor.stack(List.of(x, y, x), c.axis);
            case "get" -> (x, y) -> x.get(c.shapeB);
            case "item" -> (x, y) -> x.item();
            case "backward" -> (x, y) -> {
                x.mul(y).backward();
                return null;
            };
            case "backwardWith" -> (x, y) -> {
                x.exp().backward(y);
                return null;
            };
            case "grad" -> (x, y) -> Autograd.grad(x.mul(y).sum(), List.of(x, y), c.grad);
            default -> throw new AssertionError("unknown op " + c.op);
        };
        Object r = f.apply(a, b);
        if (r instanceof Tensor t && t.requiresGrad() && t.size() > 0) {
            t.sum().backward();
        }
        if (r instanceof Tensor t) {
            assertTrue(t.toString().contains("shape="));
        }
    }
}
