package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the child JVMs of the boxing tests ({@link PollutedProfilesTest}, {@link DeepInliningTest})
 * share: the child's check that it can tell boxed vectors at all, and the parent's rule that a
 * path fails only when it boxes in every child (C2 compiles in an order that depends on timing,
 * so on a busy machine a path can box in one JVM only).
 */
final class BoxedPaths {
    private static final Pattern BOXED = Pattern.compile("^boxed: (.*) \\(", Pattern.MULTILINE);

    private BoxedPaths() {
    }

    /**
     * In a child: the per-thread allocation counts, or exit 2 (after saying why) where this JVM
     * cannot tell boxed vectors: no vector kernel, no C2, no per-thread allocation counts.
     */
    static com.sun.management.ThreadMXBean allocationCountsOrExit() {
        GemmKernel vector = KernelProvider.vectorKernelOrNull();
        com.sun.management.HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        if (vector == null || vm == null || !"4".equals(vm.getVMOption("TieredStopAtLevel").getValue())
                || !"true".equals(vm.getVMOption("UseCompiler").getValue())) {
            System.out.println("skip: no vector kernel or no C2 in this JVM");
            System.exit(2);
        }
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads)
                || !threads.isThreadAllocatedMemorySupported() || !threads.isThreadAllocatedMemoryEnabled()) {
            System.out.println("skip: no per-thread allocation counts in this JVM");
            System.exit(2);
            return null;
        }
        return threads;
    }

    /**
     * In the parent: runs {@code child} (which prints {@code boxed: NAME (...)} per boxed path, then
     * {@code done}, and exits 0 when none boxed, 2 when it cannot tell) up to {@code attempts}
     * times, and fails when some path boxed in every run.
     */
    static void assertNoneBoxedInEveryRun(int attempts, String what, Callable<ChildJvm.Result> child) throws Exception {
        Set<String> everyTime = null;
        StringBuilder outputs = new StringBuilder();
        for (int attempt = 1; attempt <= attempts; attempt++) {
            ChildJvm.Result run = child.call();
            assumeTrue(run.exitCode() != 2, run.output());
            assertTrue(run.output().contains("done"), "the child JVM did not finish (exit " + run.exitCode() + "): " + run.output());
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
        fail(what + " boxed in each of " + attempts + " JVMs: " + everyTime + "\n" + outputs);
    }
}
