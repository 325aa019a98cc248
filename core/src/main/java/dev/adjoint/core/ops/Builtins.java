package dev.adjoint.core.ops;

import dev.adjoint.core.CustomOp;

/** Tells Adjoint's own ops from users' custom ops. */
public final class Builtins {
    private Builtins() {
    }

    /**
     * Whether {@code op} is one of Adjoint's built-in ops, whose backward keeps no reference to the
     * gradient it is given.
     *
     * @param op an op
     * @return true for built-in ops
     */
    public static boolean isBuiltin(CustomOp op) {
        return op instanceof Primitive;
    }
}
