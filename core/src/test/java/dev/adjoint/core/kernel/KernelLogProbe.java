package dev.adjoint.core.kernel;

/**
 * Chooses the kernels, float64 and float32, and prints "chosen" (run by {@link KernelLogTest} in
 * child JVMs, whose standard error then holds whatever the choice logged).
 */
public final class KernelLogProbe {
    private KernelLogProbe() {
    }

    /**
     * Chooses the kernels.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        System.out.println("chosen " + KernelProvider.kernel().description() + " / " + KernelProvider.floatKernel().description());
    }
}
