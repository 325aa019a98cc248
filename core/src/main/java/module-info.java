/**
 * Adjoint's core: n-dimensional tensors, the reverse-mode autodiff engine, custom ops and the
 * gradient checker. Only {@code dev.adjoint.core} and {@code dev.adjoint.core.gradcheck} are API;
 * the op implementations and numeric kernels are internal and not exported. The Vector API module
 * is optional: with {@code --add-modules jdk.incubator.vector} the kernels use it, without it they
 * fall back to plain Java.
 */
module dev.adjoint.core {
    requires static jdk.incubator.vector;
    requires commons.math3;
    // the scalar kernel reads HotSpot's UseFMA flag
    requires java.management;
    requires jdk.management;

    exports dev.adjoint.core;
    exports dev.adjoint.core.gradcheck;
}
