package dev.adjoint.core.properties;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@link OpGradientPropertiesTest} complete: every public instance method of Tensor that returns
 * a Tensor is either checked by a gradient property or listed below as not differentiable, so a
 * new op cannot ship without a gradient check.
 */
class OpCoverageTest {

    /** Public Tensor-returning methods that are not differentiable ops, and why. */
    private static final Set<String> NOT_OPS = Set.of(
            // cuts the graph on purpose: its gradient is zero by definition
            "detach()",
            // sets a flag on a leaf and returns the same tensor
            "requiresGrad(boolean)",
            // reads the accumulated gradient
            "grad()",
            // the in-place update for optimizers; it refuses to run on recorded results
            "modify(Consumer)");

    static String signature(Method m) {
        return m.getName() + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(",", "(", ")"));
    }

    static Set<String> tensorOps() {
        Set<String> ops = new TreeSet<>();
        for (Method m : Tensor.class.getMethods()) {
            if (m.getDeclaringClass() == Tensor.class && !Modifier.isStatic(m.getModifiers()) && m.getReturnType() == Tensor.class) {
                ops.add(signature(m));
            }
        }
        return ops;
    }

    static Set<String> covered() {
        Set<String> covered = new TreeSet<>();
        for (Method m : OpGradientPropertiesTest.class.getDeclaredMethods()) {
            Covers c = m.getAnnotation(Covers.class);
            if (c != null) {
                covered.addAll(Arrays.asList(c.value()));
            }
        }
        return covered;
    }

    @Test
    void everyDifferentiableTensorMethodHasAGradientProperty() {
        Set<String> missing = new TreeSet<>(tensorOps());
        missing.removeAll(NOT_OPS);
        missing.removeAll(covered());
        assertTrue(missing.isEmpty(), "Tensor methods without a gradient property in OpGradientPropertiesTest: " + missing
                + " (add a property with @Covers, or list the method in OpCoverageTest.NOT_OPS with the reason)");
    }

    @Test
    void everyCoveredNameIsARealMethod() {
        Set<String> stale = new TreeSet<>(covered());
        stale.removeAll(tensorOps());
        assertTrue(stale.isEmpty(), "@Covers names that are not Tensor methods: " + stale + "; Tensor has " + tensorOps());
        Set<String> staleExclusions = new TreeSet<>(NOT_OPS);
        staleExclusions.removeAll(tensorOps());
        assertTrue(staleExclusions.isEmpty(), "NOT_OPS names that are not Tensor methods: " + staleExclusions);
    }

    @Test
    void theScanSeesTheOps() {
        // guards the reflection itself: if it found nothing, the coverage test would pass vacuously
        assertTrue(tensorOps().containsAll(Set.of("add(Tensor)", "matmul(Tensor)", "sum(int,boolean)", "reshape(int[])")),
                tensorOps().toString());
    }
}
