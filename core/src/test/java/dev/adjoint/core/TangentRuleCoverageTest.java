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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every built-in op has a tangent rule of its own: none falls back to {@link CustomOp#jvp}'s
 * reverse passes. (Ops that arrive later, such as convolution and pooling, may use the fallback;
 * list them in {@link #MAY_FALL_BACK} with the reason.)
 */
class TangentRuleCoverageTest {
    /**
     * Op files whose classes may use the fallback, with the reason: convolution and pooling arrive
     * from another branch with their backward only, and take two reverse passes per direction in
     * forward mode until they get tangent rules of their own.
     */
    private static final List<String> MAY_FALL_BACK = List.of("Convolution", "Pooling");

    @Test
    void everyBuiltInOpClassOverridesTheTangentRule() throws IOException, URISyntaxException, ReflectiveOperationException {
        Path classes = Path.of(CustomOp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path ops = classes.resolve("dev/adjoint/core/ops");
        List<String> missing = new ArrayList<>();
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
                Method jvp = c.getMethod("jvp", Context.class, Tensor[].class, Tensor[].class, Tensor.class);
                Class<?> declaring = jvp.getDeclaringClass();
                boolean fallback = declaring == CustomOp.class || declaring.getSimpleName().equals("Primitive");
                String family = file.substring(0, file.contains("$") ? file.indexOf('$') : file.length() - 6);
                if (fallback && !MAY_FALL_BACK.contains(family)) {
                    missing.add(c.getName());
                }
            }
        }
        assertTrue(concrete > 40, "found only " + concrete + " op classes in " + ops);
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
}
