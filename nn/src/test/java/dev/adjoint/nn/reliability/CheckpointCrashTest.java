package dev.adjoint.nn.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.nn.Checkpoint;
import dev.adjoint.nn.Layer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * <p>Saves also work under any name the file system accepts (glob and shell characters, 250
 * characters, 254 bytes of UTF-8) and never remove another writer's temporary file, including one
 * whose process looks dead from here, as a live writer in another container does.
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
        List<String> otherOutput = new ArrayList<>();
        Path logs = Files.createDirectory(dir.resolve("logs"));
        long start = System.nanoTime();
        // The kill window scales with how long a child takes to its first save: on a loaded machine
        // a fixed window would kill most children before they saved anything.
        double firstSaveMillis = 50;
        for (int kill = 0; kill < kills; kill++) {
            // The first kill comes while the child JVM is still starting: no save has completed.
            boolean early = kill == 0;
            Child child = Child.start(file, verified + 1, logs.resolve("child-" + kill + ".out"));
            if (early) {
                Thread.sleep(20);
            } else {
                child.awaitReady();
                long window = Math.max(250, Math.round(5 * firstSaveMillis));
                long sleep = rng.nextLong(window);
                long seen = child.sleepWatchingFirstSave(sleep);
                if (seen >= 0) {
                    firstSaveMillis = 0.7 * firstSaveMillis + 0.3 * seen;
                } else if (sleep > firstSaveMillis) {
                    firstSaveMillis = 1.5 * sleep; // no save inside the window: widen it
                }
            }
            child.process.destroyForcibly();
            assertTrue(child.process.waitFor(30, TimeUnit.SECONDS), "child did not die");
            List<Long> reports = child.reports();
            for (int i = 0; i < reports.size(); i++) {
                assertEquals(verified + 1 + i, reports.get(i), "the child skipped a generation: " + reports);
            }
            long reported = reports.isEmpty() ? -1 : reports.get(reports.size() - 1);
            totalSaves += reports.size();
            otherOutput.addAll(child.oddLines());

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
                + " any save (clean IOException); %d temporary files left behind; other child output: %s%n", kills, seconds, totalSaves,
                previous, inFlight, beforeAnySave, leftovers, otherOutput.stream().limit(5).toList());
        assertEquals(kills, beforeAnySave + previous + inFlight);
        assertTrue(beforeAnySave >= 1, "the first kill, during JVM start-up, should have come before any save");
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

    @Test
    void anyNameTheFileSystemAcceptsSavesAndLoadsAndOtherWritersTemporariesSurvive() throws IOException {
        List<String> names = List.of("model[1].ckpt", "model[.ckpt", "{a,b}.ckpt", "model{.ckpt", "*.ckpt", "a*b?.ckpt", "]",
                "back\\slash", "with space.ckpt", "-dash", ".hidden", "ünïcødé-名前.ckpt", "x".repeat(250), "é".repeat(127));
        // temporaries of other writers in the naming of older versions, some of whose names the
        // names above would match as globs; pid 999999999 looks dead here, as a writer in another
        // PID namespace does
        List<Path> others = new ArrayList<>();
        for (String name : List.of("model1.ckpt", "xyz.ckpt", "a-b-.ckpt", "model[1].ckpt", "{a,b}.ckpt")) {
            others.add(Files.write(dir.resolve("." + name + ".999999999.1.tmp"), new byte[] {7}));
        }
        Layer model = CheckpointWriterMain.model();
        for (int i = 0; i < names.size(); i++) {
            CheckpointWriterMain.fill(model, i + 1);
            Checkpoint.save(model, dir.resolve(names.get(i)));
        }
        for (int i = 0; i < names.size(); i++) {
            Layer loaded = CheckpointWriterMain.model();
            Checkpoint.load(loaded, dir.resolve(names.get(i)));
            assertEquals(i + 1, CheckpointWriterMain.generationOf(loaded), names.get(i));
        }
        for (Path p : others) {
            assertTrue(Files.exists(p), "a save removed another writer's " + p.getFileName());
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(names.size() + others.size(), files.count(), "a save left a temporary file behind");
        }
    }

    /**
     * The control experiment: the same harness against a writer that overwrites the file in place
     * (truncate, then write in pieces) must see torn checkpoints, or the test above proves nothing.
     * Every torn file must still be refused with an {@link IOException}, never loaded as garbage.
     */
    @Test
    void theSameKillsCatchAWriterThatOverwritesTheFileInPlace() throws Exception {
        SplittableRandom rng = new SplittableRandom(7);
        Path file = dir.resolve("naive.ckpt");
        Path logs = Files.createDirectory(dir.resolve("naive-logs"));
        Layer first = CheckpointWriterMain.model();
        CheckpointWriterMain.fill(first, 1);
        Checkpoint.save(first, file);
        long generation = 1;
        int torn = 0;
        int kills = 0;
        // 20 kills, more (up to 80) if none has caught a write yet: a loaded machine stretches the
        // time between writes more than the writes themselves
        for (; kills < 20 || (torn == 0 && kills < 80); kills++) {
            int kill = kills;
            Child child = Child.start(file, generation + 1, logs.resolve("naive-" + kill + ".out"), "in-place");
            child.awaitReady();
            Thread.sleep(rng.nextInt(50, 400)); // past the cold first save, into the steady loop
            child.process.destroyForcibly();
            assertTrue(child.process.waitFor(30, TimeUnit.SECONDS), "child did not die");
            Layer loaded = CheckpointWriterMain.model();
            try {
                Checkpoint.load(loaded, file);
                long g = CheckpointWriterMain.generationOf(loaded);
                assertTrue(g > 0, "a torn file was loaded as garbage");
                generation = g;
            } catch (IOException e) {
                torn++;
                CheckpointWriterMain.fill(first, ++generation);
                Checkpoint.save(first, file);
            }
        }
        System.out.printf(Locale.ROOT, "checkpoint crash control: %d of %d kills left a torn file behind a writer that overwrites in"
                + " place (each refused with IOException)%n", torn, kills);
        assertTrue(torn > 0, "no kill caught the in-place writer mid-write: the harness cannot see torn files");
    }

    /**
     * A running {@link CheckpointWriterMain}. Its standard output goes to a file, read only after the
     * child is dead: reading a pipe while the process is killed races with the JDK closing the pipe
     * on exit ("Stream closed"), which loses the last reports.
     */
    private static final class Child {
        final Process process;
        private final Path log;

        private Child(Process process, Path log) {
            this.process = process;
            this.log = log;
        }

        static Child start(Path file, long firstGeneration, Path log, String... extra) throws IOException {
            String java = ProcessHandle.current().info().command()
                    .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
            List<String> cmd = new ArrayList<>(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m",
                    "-cp", System.getProperty("java.class.path"), CheckpointWriterMain.class.getName(), file.toString(),
                    Long.toString(firstGeneration)));
            cmd.addAll(List.of(extra));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectOutput(log.toFile());
            return new Child(pb.start(), log);
        }

        void awaitReady() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!completeLines().contains("ready")) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    fail("checkpoint writer child did not start; its output: " + completeLines());
                }
                Thread.sleep(5);
            }
        }

        /**
         * Sleeps about {@code millis} in small steps, watching the output; returns the milliseconds
         * from the call to the first "saved" line, or -1 if none came while sleeping.
         */
        long sleepWatchingFirstSave(long millis) throws Exception {
            long start = System.nanoTime();
            long end = start + TimeUnit.MILLISECONDS.toNanos(millis);
            long first = -1;
            while (System.nanoTime() < end) {
                Thread.sleep(Math.min(5, Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
                if (first < 0 && completeLines().stream().anyMatch(l -> l.startsWith("saved "))) {
                    first = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                }
            }
            return first;
        }

        /** The newline-terminated lines written so far; a line torn by the kill is not one of them. */
        List<String> completeLines() throws IOException {
            String text = new String(Files.readAllBytes(log), StandardCharsets.US_ASCII);
            int end = text.lastIndexOf('\n');
            return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
        }

        /** The generations reported saved, in order (call after the child is dead). */
        List<Long> reports() throws IOException {
            List<Long> out = new ArrayList<>();
            for (String line : completeLines()) {
                if (line.matches("saved [0-9]+")) {
                    out.add(Long.parseLong(line.substring(6)));
                }
            }
            return out;
        }

        /** Lines that are neither "ready" nor a report (JVM warnings, say), for the summary. */
        List<String> oddLines() throws IOException {
            return completeLines().stream().filter(l -> !l.equals("ready") && !l.matches("saved [0-9]+")).toList();
        }
    }
}
