package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every built-in op has a tangent rule of its own: none falls back to {@link CustomOp#jvp}'s
 * reverse passes, convolution and pooling included.
 */
class TangentRuleCoverageTest {

    @Test
    void everyBuiltInOpClassOverridesTheTangentRule() throws IOException, URISyntaxException, ReflectiveOperationException {
        Path classes = Path.of(CustomOp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path ops = classes.resolve("dev/adjoint/core/ops");
        List<String> missing = new ArrayList<>();
        List<String> families = new ArrayList<>();
        int concrete = 0;
        try (Stream<Path> files = Files.list(ops)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String file = p.getFileName().toString();
                if (!file.endsWith(".class")) {
                    continue;
                }
                Class<?> c = Class.forName("dev.adjoint.core.ops." + file.substring(0, file.length() - 6), false,
                        CustomOp.class.getClassLoader());
                if (!CustomOp.class.isAssignableFrom(c) || c.isInterface() || Modifier.isAbstract(c.getModifiers())) {
                    continue;
                }
                concrete++;
                families.add(file.substring(0, file.contains("$") ? file.indexOf('$') : file.length() - 6));
                Method jvp = c.getMethod("jvp", Context.class, Tensor[].class, Tensor[].class, Tensor.class);
                Class<?> declaring = jvp.getDeclaringClass();
                if (declaring == CustomOp.class || declaring.getSimpleName().equals("Primitive")) {
                    missing.add(c.getName());
                }
            }
        }
        assertTrue(concrete > 40, "found only " + concrete + " op classes in " + ops);
        assertTrue(families.contains("Convolution") && families.contains("Pooling"),
                "the scan found no convolution or pooling op classes: " + families);
        assertTrue(missing.isEmpty(), "ops without a tangent rule of their own: " + missing);
    }

    @Test
    void aMixedProgramTakesNoFallback() {
        long before = ForwardMode.FALLBACKS.get()[0];
        Tensor x = FunctionalTest.random(4, 3);
        Autograd.hessian(t -> FunctionalTest.MIXED.apply(t).pow(2).sum().add(t.relu().sigmoid().logSoftmax(0).max()
                .add(t.std(0, false).sum()).add(t.norm()).add(t.clamp(-0.5, 0.5).leakyRelu(0.1).softplus().cumsum(1).prod(1, false).sum())), x);
        Autograd.jacobian(t -> t.gather(1, Tensor.of(new double[] {0, 2, 1, 1, 0, 0, 2, 2}, 4, 2)).indexSelect(0, new int[] {3, 1})
                .permute(1, 0).erf().gelu().silu().maximum(t.narrow(0, 0, 2).narrow(1, 0, 2).transpose().abs()), x);
        assertEquals(before, ForwardMode.FALLBACKS.get()[0], "a built-in op took the reverse-pass fallback");
    }

    /**
     * A small convolutional network's Hessian (a batch of tangents through conv2d, conv1d, max and
     * average pooling and, in the backward pass, their backward ops) and Jacobian take no fallback.
     */
    @Test
    void convolutionAndPoolingTakeNoFallback() {
        long before = ForwardMode.FALLBACKS.get()[0];
        SplittableRandom rng = new SplittableRandom(11);
        Tensor x = Tensor.randn(rng, 2, 2, 5, 5);
        Tensor w = Tensor.randn(rng, 4, 1, 2, 2);
        Tensor b = Tensor.randn(rng, 4);
        Tensor v = Tensor.randn(rng, 3, 2, 2, 2);
        java.util.function.Function<List<Tensor>, Tensor> net = in -> {
            Tensor h = in.get(0).tanh().conv2d(in.get(1), in.get(2), new int[] {1, 1}, new int[] {1, 0}, new int[] {1, 2}, 2).tanh();
            Tensor p = h.maxPool2d(2, 1, 0).add(h.avgPool2d(3, 1, 1).narrow(2, 0, 5).narrow(3, 0, 2)).sin();
            Tensor q = p.reshape(2, 4, 10).conv1d(in.get(3), null, 2, 1);
            return q.pow(2).sum();
        };
        Autograd.hessian(net, List.of(x, w, b, Tensor.randn(rng, 3, 4, 3)));
        // reverse mode (x has more elements than the output), its cotangents a batch of tangents
        Autograd.jacobian(t -> t.conv2d(v, null, 1, 0).maxPool2d(2, 2, 1).avgPool2d(1, 1, 0), x);
        // forward mode (fewer elements in than out): a batch of 9 tangents
        Autograd.jacobian(t -> t.conv2d(w, b, 1, 1).maxPool2d(2, 1, 1).avgPool2d(3, 1, 1), Tensor.randn(rng, 1, 1, 3, 3));
        assertEquals(before, ForwardMode.FALLBACKS.get()[0], "convolution or pooling took the reverse-pass fallback");
    }
}
