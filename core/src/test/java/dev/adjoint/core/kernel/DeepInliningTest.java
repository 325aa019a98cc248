package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * JVMs (one beyond the depth boxes in every one).
 */
class DeepInliningTest {
    private static final int ATTEMPTS = 3;
    private static final Pattern BOXED = Pattern.compile("^boxed: (.*) \\(", Pattern.MULTILINE);

    @Test
    void splitSumsKeepTheirVectorOperationsWithinTheInliningDepth() throws Exception {
        assumeTrue(hasIncrementalInline(), "this JVM has no C2 option IncrementalInline");
        Set<String> everyTime = null;
        StringBuilder outputs = new StringBuilder();
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            ChildJvm.Result run = ChildJvm.run(DeepInlining.class, true, "--add-modules", "jdk.incubator.vector",
                    "-XX:+UnlockDiagnosticVMOptions", "-XX:-IncrementalInline", "-XX:ActiveProcessorCount=2");
            assumeTrue(run.exitCode() != 2, run.output());
            assertTrue(run.output().contains("done"), "the child JVM did not finish: " + run.output());
            Set<String> boxed = new LinkedHashSet<>();
            Matcher m = BOXED.matcher(run.output());
            while (m.find()) {
                boxed.add(m.group(1));
            }
            if (run.exitCode() == 0 || boxed.isEmpty()) {
                return;
            }
            outputs.append("child JVM ").append(attempt).append(":\n").append(run.output());
            if (everyTime == null) {
                everyTime = boxed;
            } else {
                everyTime.retainAll(boxed);
            }
            if (everyTime.isEmpty()) {
                return;
            }
        }
        fail("vector operations boxed below a split loop in each of " + ATTEMPTS + " JVMs: " + everyTime + "\n" + outputs);
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
