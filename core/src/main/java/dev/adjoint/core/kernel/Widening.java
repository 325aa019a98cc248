package dev.adjoint.core.kernel;

import java.util.List;

/**
 * How a kernel without a float32 loop of its own serves float32 arrays: it widens its operands to
 * float64 (exactly), runs its one float64 loop, and rounds the result to float32. The result is the
 * float64 answer correctly rounded, so it is as accurate as a float32 loop or more, and there is one
 * loop to keep right. Kernels on the hot path of float32 training (GEMM, the common elementwise
 * maps) have float32 loops instead.
 */
final class Widening {
    private Widening() {
    }

    /** Whether any of the arrays is float32. */
    static boolean any(List<NDArray> arrays) {
        for (NDArray a : arrays) {
            if (a.floats != null) {
                return true;
            }
        }
        return false;
    }

    /** Whether every one of the arrays is float32. */
    static boolean all(List<NDArray> arrays) {
        for (NDArray a : arrays) {
            if (a.floats == null) {
                return false;
            }
        }
        return true;
    }
}
