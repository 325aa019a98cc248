package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A fresh JVM on the tests' class path, for what only a fresh JVM shows: properties read once,
 * what the first use of a kernel logs, interpreted code.
 */
final class ChildJvm {
    /** What the child printed, and how it ended. */
    record Result(int exitCode, String output) {
    }

    private ChildJvm() {
    }

    /**
     * Runs {@code main} in a child JVM with {@code options} and waits for it (at most two minutes:
     * the output goes to a file, so that the wait holds even if the child hangs).
     *
     * @param withErrors whether standard error joins the output (else it is dropped)
     */
    static Result run(Class<?> main, boolean withErrors, String... options) throws Exception {
        String launcher = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> command = new ArrayList<>(List.of(launcher));
        command.addAll(List.of(options));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        File log = File.createTempFile("child-jvm", ".txt");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(log);
            if (withErrors) {
                builder.redirectErrorStream(true);
            } else {
                builder.redirectError(ProcessBuilder.Redirect.DISCARD);
            }
            Process child = builder.start();
            boolean finished = child.waitFor(120, TimeUnit.SECONDS);
            if (!finished) {
                child.destroyForcibly();
            }
            String out = Files.readString(log.toPath(), StandardCharsets.UTF_8);
            assertTrue(finished, () -> main.getSimpleName() + " in a child JVM did not finish: " + out);
            return new Result(child.exitValue(), out);
        } finally {
            Files.deleteIfExists(log.toPath());
        }
    }
}
