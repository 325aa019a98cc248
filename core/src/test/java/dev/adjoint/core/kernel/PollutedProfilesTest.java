package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
 * outlive the test in this one.
 */
class PollutedProfilesTest {
    @Test
    void mathKernelsSettleUnboxedAfterOtherShapesRanThroughTheVectorApi() throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        Path log = Files.createTempFile("adjoint-polluted", ".log");
        try {
            Process child = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), PollutedProfiles.class.getName()))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!child.waitFor(10, TimeUnit.MINUTES)) {
                child.destroyForcibly();
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assumeTrue(child.exitValue() != 2, out);
            assertTrue(out.contains("done"), "the child did not finish: " + out);
            assertEquals(0, child.exitValue(), "kernels boxed after other shapes ran through the Vector API:\n" + out);
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
