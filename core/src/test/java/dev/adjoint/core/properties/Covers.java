package dev.adjoint.core.properties;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a gradient property with the public Tensor methods it checks, written as
 * {@code name(ParameterType,...)} with simple type names, e.g. {@code "sum(int,boolean)"}.
 * {@link OpCoverageTest} fails when a differentiable Tensor method is covered by no property.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface Covers {
    String[] value();
}
