package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The math kernels stay unboxed in a JVM where other code ran the Vector API on other shapes.
 * In JDK 17 an operation such as {@code v.add(w)} dispatches inside the API on a type profile that
 * every caller in the JVM shares; once other shapes have gone through it, C2 can only inline it
 * where the receiver's exact class is known from a profile of Adjoint's own code, and otherwise
 * leaves the vectors boxed for the life of the JVM (bench/RESULTS.md, "Vector code that stays
 * boxed"). The check runs in a child JVM ({@link PollutedProfiles}), since the pollution would
 * outlive the test in this one. On a busy machine C2 can compile a kernel before its own profile
 * has recorded anything, and that kernel then boxes in that JVM only: a kernel fails the test when
 * it boxes in each of {@link #ATTEMPTS} child JVMs (one that depends on the shared profiles boxes
 * in every one).
 */
class PollutedProfilesTest {
    private static final int ATTEMPTS = 3;

    @Test
    void mathKernelsSettleUnboxedAfterOtherShapesRanThroughTheVectorApi() throws Exception {
        BoxedPaths.assertNoneBoxedInEveryRun(ATTEMPTS, "kernels, after other shapes ran through the Vector API,",
                PollutedProfilesTest::runChild);
    }

    private static ChildJvm.Result runChild() throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        Path log = Files.createTempFile("adjoint-polluted", ".log");
        try {
            Process child = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), PollutedProfiles.class.getName()))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            child.getOutputStream().close();
            if (!child.waitFor(10, TimeUnit.MINUTES)) {
                child.destroyForcibly().waitFor();
                fail("the child JVM ran past 10 minutes: " + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new ChildJvm.Result(child.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
