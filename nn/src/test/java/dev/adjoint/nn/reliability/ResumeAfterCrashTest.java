package dev.adjoint.nn.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Checkpoint;
import dev.adjoint.nn.Sequential;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resume after a crash, bit for bit: a child JVM ({@link TrainingChildMain}) trains with Adam,
 * shuffled mini-batches, a schedule and dropout, saving a checkpoint every few steps, and is killed
 * with SIGKILL at random moments ({@value #DEFAULT_KILLS} times by default;
 * {@code -Dadjoint.resume.kills=N} for more); each new child resumes from the last checkpoint. The
 * run that finally completes must end with bitwise the parameters of a run that was never killed.
 */
class ResumeAfterCrashTest {
    static final int DEFAULT_KILLS = 50;

    @TempDir
    Path dir;

    @Test
    void aRunKilledAtRandomMomentsEndsBitwiseAsAnUnbrokenRun() throws Exception {
        double[][] expected = values(TrainingChildMain.run(null));
        int kills = Integer.getInteger("adjoint.resume.kills", DEFAULT_KILLS);
        Path checkpoint = dir.resolve("run.ckpt");
        Path result = dir.resolve("final.ckpt");
        SplittableRandom rng = new SplittableRandom(20261204L);
        // the kill window is how long a whole child run takes from "ready" to its end, measured
        // first, so that kills land all through the run on a fast or a loaded machine
        Path first = dir.resolve("child-first.out");
        Process whole = start(checkpoint, result, first);
        long begin = awaitReady(whole, first);
        assertTrue(whole.waitFor(120, TimeUnit.SECONDS) && Files.readString(first, StandardCharsets.UTF_8).contains("done"),
                "a whole child run failed: " + Files.readString(first, StandardCharsets.UTF_8));
        double runMillis = (System.nanoTime() - begin) / 1e6;
        Files.delete(checkpoint);
        Files.delete(result);
        int killed = 0;
        int completedEarly = 0;
        int resumes = 0;
        for (int attempt = 0; attempt < 10 * kills && killed < kills; attempt++) {
            resumes += Files.exists(checkpoint) ? 1 : 0;
            Process child = start(checkpoint, result, dir.resolve("child-" + attempt + ".out"));
            long ready = awaitReady(child, dir.resolve("child-" + attempt + ".out"));
            long sleep = rng.nextLong(Math.max(50, Math.round(runMillis)));
            if (child.waitFor(sleep, TimeUnit.MILLISECONDS)) {
                String out = Files.readString(dir.resolve("child-" + attempt + ".out"), StandardCharsets.UTF_8);
                assertTrue(out.contains("done"), "a child failed: " + out);
                // finished before the kill: a whole (resumed) run; widen the window from its length
                runMillis = Math.max(runMillis, (System.nanoTime() - ready) / 1e6);
                completedEarly++;
                Files.deleteIfExists(checkpoint);
                Files.deleteIfExists(result);
                continue;
            }
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not die");
            killed++;
        }
        // the last child runs to the end
        Path log = dir.resolve("child-last.out");
        Process last = start(checkpoint, result, log);
        assertTrue(last.waitFor(120, TimeUnit.SECONDS), "the last child did not finish");
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(out.contains("done"), "the last child failed: " + out);
        assertTrue(resumes >= kills / 5, "only " + resumes + " children found a checkpoint to resume from");
        assertTrue(killed == kills, "only " + killed + " of " + kills + " kills landed (" + completedEarly + " runs ended first)");
        Sequential resumed = TrainingChildMain.model();
        Checkpoint.load(resumed, result);
        double[][] actual = values(resumed);
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], 0.0, "parameter " + i + " after " + killed + " kills");
        }
    }

    private static double[][] values(Sequential model) {
        return model.parameters().stream().map(Tensor::toArray).toArray(double[][]::new);
    }

    private static Process start(Path checkpoint, Path result, Path log) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), TrainingChildMain.class.getName(), checkpoint.toString(), result.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Waits for the child's "ready" line; returns when it came (System.nanoTime). */
    private static long awaitReady(Process child, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(log, StandardCharsets.UTF_8).contains("ready")) {
            if (!child.isAlive() || System.nanoTime() > deadline) {
                child.destroyForcibly();
                fail("training child did not start: " + Files.readString(log, StandardCharsets.UTF_8));
            }
            Thread.sleep(2);
        }
        return System.nanoTime();
    }
}
