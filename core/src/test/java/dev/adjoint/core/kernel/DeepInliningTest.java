package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * The kernels under {@link Parallel}'s split loops stay within C2's inlining depth. C2 inlines at
 * most {@code MaxInlineLevel} (15) calls deep while it parses; the Vector API's operations sit five
 * to six calls below a kernel, and those found deeper wait for incremental inlining, which a large
 * compile may skip: the operations then run as boxed Java for the life of the JVM (bench/RESULTS.md,
 * "Vector code beyond C2's inlining depth"). The
 * child JVM runs with incremental inlining off, so that an operation beyond the depth boxes every
 * time instead of now and then ({@link DeepInlining}). Which method C2 compiles first still
 * depends on timing, so a path fails the test when it boxes in each of {@link #ATTEMPTS} child
 * JVMs (one beyond the depth boxes in every one: {@link BoxedPaths}).
 */
class DeepInliningTest {
    private static final int ATTEMPTS = 3;

    @Test
    void splitSumsKeepTheirVectorOperationsWithinTheInliningDepth() throws Exception {
        assumeTrue(hasIncrementalInline(), "this JVM has no C2 option IncrementalInline");
        BoxedPaths.assertNoneBoxedInEveryRun(ATTEMPTS, "vector operations below a split loop",
                () -> ChildJvm.run(DeepInlining.class, true, "--add-modules", "jdk.incubator.vector",
                        "-XX:+UnlockDiagnosticVMOptions", "-XX:-IncrementalInline", "-XX:ActiveProcessorCount=2"));
    }

    private static boolean hasIncrementalInline() {
        com.sun.management.HotSpotDiagnosticMXBean vm = java.lang.management.ManagementFactory
                .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        try {
            return vm != null && vm.getVMOption("IncrementalInline") != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
