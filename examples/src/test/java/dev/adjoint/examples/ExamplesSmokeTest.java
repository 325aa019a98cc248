package dev.adjoint.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExamplesSmokeTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void seedWalkthroughPrintsTheSeedsNumbersTheDiagnosisAndTheFix() {
        Result r = run("seed");
        assertEquals(0, r.code(), r.err());
        for (String expected : new String[] {"0.9002495", "0.8320184", "0.9758906", "0.9705753", "0.98069", "0.0288126",
            "0.0580562", "0.59927", "SYMMETRY", "symmetry", "Xavier uniform", "Adam lr 0.01"}) {
            assertTrue(r.out().contains(expected), "missing " + expected + " in:\n" + r.out());
        }
        assertTrue(r.out().matches("(?s).*Adam lr 0.01\\s+\\d+\\n.*"), r.out());
    }

    @Test
    void helpListsEveryExample() {
        Result r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("seed"), r.out());
    }

    @Test
    void badArgumentsGiveUsageAndExitCode2() {
        Result none = run();
        assertEquals(2, none.code());
        assertTrue(none.err().contains("usage:"), none.err());
        Result unknown = run("nope");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown example 'nope'"), unknown.err());
        Result extra = run("seed", "--bogus");
        assertEquals(2, extra.code());
        assertTrue(extra.err().contains("usage:"), extra.err());
    }
}
