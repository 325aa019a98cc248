package dev.adjoint.nn.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.nn.Checkpoint;
import dev.adjoint.nn.Layer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints survive a crash at any moment: a child JVM ({@link CheckpointWriterMain}) saves
 * generation after generation of a model in a loop and is killed with SIGKILL
 * ({@link Process#destroyForcibly()} on Linux) after a random delay. After every kill, loading
 * must give exactly the last generation the child reported as saved, or the one it was saving when
 * it died (whose rename may have happened before the report), never a mixture or garbage; before
 * any save has completed it must fail cleanly with {@link IOException}. Temporary files left behind
 * by killed saves must not disturb later loads or saves.
 *
 * <p>{@value #DEFAULT_KILLS} kills by default ({@code -Dadjoint.crash.kills=N} for more; the
 * {@code soak} profile runs 500).
 */
class CheckpointCrashTest {
    static final int DEFAULT_KILLS = 60;

    @TempDir
    Path dir;

    @Test
    void sigkillAtRandomMomentsNeverLeavesACorruptCheckpoint() throws Exception {
        int kills = Integer.getInteger("adjoint.crash.kills", DEFAULT_KILLS);
        SplittableRandom rng = new SplittableRandom(20261201L);
        Path file = dir.resolve("model.ckpt");
        long verified = 0; // generations start at 1; 0 = no checkpoint yet
        int beforeAnySave = 0;
        int previous = 0;
        int inFlight = 0;
        long totalSaves = 0;
        long start = System.nanoTime();
        for (int kill = 0; kill < kills; kill++) {
            // The first kill comes while the child JVM is still starting: no save has completed.
            boolean early = kill == 0;
            Child child = Child.start(file, verified + 1);
            if (early) {
                Thread.sleep(20);
            } else {
                child.awaitReady();
                Thread.sleep(rng.nextInt(120));
            }
            child.process.destroyForcibly();
            assertTrue(child.process.waitFor(30, TimeUnit.SECONDS), "child did not die");
            long reported = child.lastReported();
            totalSaves += child.saves();

            Layer loaded = CheckpointWriterMain.model();
            if (!Files.exists(file)) {
                assertTrue(reported < 0 && verified == 0, "checkpoint vanished after generation " + Math.max(reported, verified));
                IOException e = assertThrows(IOException.class, () -> Checkpoint.load(loaded, file));
                assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
                assertTrue(loaded.parameters().stream().allMatch(t -> java.util.Arrays.stream(t.toArray()).allMatch(v -> v == 0)),
                        "a failed load changed the model");
                beforeAnySave++;
                continue;
            }
            try {
                Checkpoint.load(loaded, file);
            } catch (IOException e) {
                fail("kill " + kill + ": the checkpoint on disk is corrupt after SIGKILL (last reported generation " + reported
                        + "): " + e.getMessage(), e);
            }
            long g = CheckpointWriterMain.generationOf(loaded);
            long last = Math.max(reported, verified);
            assertTrue(g == last || g == last + 1, "kill " + kill + ": loaded generation " + g + " but the last completed save was "
                    + last + " (a mixture of generations reads as -1)");
            assertTrue(g >= verified, "kill " + kill + ": went back from generation " + verified + " to " + g);
            if (g == last) {
                previous++;
            } else {
                inFlight++;
            }
            verified = g;
        }
        long leftovers;
        try (Stream<Path> files = Files.list(dir)) {
            leftovers = files.filter(p -> p.getFileName().toString().endsWith(".tmp")).count();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "checkpoint crash: %d SIGKILLs in %.1f s, %d saves completed in total; after the kill the file held"
                + " the last reported generation %d times, the in-flight (renamed, not yet reported) one %d times; %d kills before"
                + " any save (clean IOException); %d temporary files left behind%n", kills, seconds, totalSaves, previous, inFlight,
                beforeAnySave, leftovers);
        assertEquals(kills, beforeAnySave + previous + inFlight);
        assertTrue(beforeAnySave >= 1 && previous + inFlight >= kills - 1);
        assertTrue(verified > kills, "the children saved too few generations to make the test meaningful: " + verified);

        // Leftover temporary files (from kills mid-save, plus one planted with garbage) disturb nothing.
        Files.write(dir.resolve(".model.ckpt.123456789.tmp"), new byte[] {(byte) 0x89, 'A', 'D', 'J'});
        Layer model = CheckpointWriterMain.model();
        Checkpoint.load(model, file);
        assertEquals(verified, CheckpointWriterMain.generationOf(model));
        CheckpointWriterMain.fill(model, verified + 1);
        Checkpoint.save(model, file);
        Layer again = CheckpointWriterMain.model();
        Checkpoint.load(again, file);
        assertEquals(verified + 1, CheckpointWriterMain.generationOf(again));
    }

    /** A running {@link CheckpointWriterMain} and a thread reading what it reports. */
    private static final class Child {
        final Process process;
        private final CountDownLatch ready = new CountDownLatch(1);
        private final AtomicLong last = new AtomicLong(-1);
        private final AtomicLong saves = new AtomicLong();
        private final Thread reader;

        private Child(Process process) {
            this.process = process;
            this.reader = new Thread(this::read, "checkpoint-child-reader");
            reader.setDaemon(true);
            reader.start();
        }

        static Child start(Path file, long firstGeneration) throws IOException {
            String java = ProcessHandle.current().info().command()
                    .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
            List<String> cmd = new ArrayList<>(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m",
                    "-cp", System.getProperty("java.class.path"), CheckpointWriterMain.class.getName(), file.toString(),
                    Long.toString(firstGeneration)));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
            return new Child(pb.start());
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.equals("ready")) {
                        ready.countDown();
                    } else if (line.startsWith("saved ")) {
                        last.set(Long.parseLong(line.substring(6)));
                        saves.incrementAndGet();
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // the pipe breaks when the child is killed; a torn last line is simply not a report
            }
        }

        void awaitReady() throws InterruptedException {
            if (!ready.await(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("checkpoint writer child did not start");
            }
        }

        /** The last generation reported saved, or -1; waits until every report before the kill is read. */
        long lastReported() throws InterruptedException {
            reader.join(30_000);
            assertFalse(reader.isAlive(), "reader did not reach the end of the child's output");
            return last.get();
        }

        long saves() {
            return saves.get();
        }
    }
}
