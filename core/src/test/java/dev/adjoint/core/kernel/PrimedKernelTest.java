package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What C2 makes of the vector micro-kernels and their packing after priming, in a fresh JVM's
 * compilation log ({@code -XX:+LogCompilation}): every vector operation of the tile intrinsified,
 * for tiles of eight rows (AVX-512) and six (AVX2, forced here on any CPU), and no compiled
 * kernel or packing thrown away when a later product takes a branch priming did not, or when the
 * first block big enough to prime comes after C2 has compiled the kernel from small ones. Priming calls
 * the kernel mostly with depth 0; with nothing else, C2 compiled it before the JDK had profiled
 * the tile's additions and stores and left them virtual, or declined to inline a helper of the
 * narrower kernel, and boxed the vectors: every later product of the JVM ran 2-10 times slower,
 * with the same bits, so no other test saw it.
 */
class PrimedKernelTest {
    /** A compile task of an Adjoint kernel method; C1's tasks carry levels 1-3, C2's none (JDK 17) or 4. */
    private static final Pattern TASK = Pattern.compile(
            "<task compile_id='(\\d+)' (compile_kind='osr' )?method='dev\\.adjoint\\.core\\.kernel\\.(\\w+) (eightRows|sixRowsPacked|sixRows|packB) [^>]*>");

    /**
     * @param smallBlocks one-tile blocks run first: 255 of them would have C2 compile the kernels
     *     (sooner without tiered compilation) if priming were not given up after the first 32
     */
    @ParameterizedTest(name = "tiles: {0}, small blocks first: {1}, tiered compilation: {2}")
    @CsvSource({"default, 0, true", "6, 0, true", "default, 255, true", "default, 255, false"})
    void thePrimedKernelsCompileWithEveryVectorOperationIntrinsified(String tiles, int smallBlocks, boolean tiered) throws Exception {
        // NOTE: a failure must repeat in each of ATTEMPTS child JVMs. With tiered compilation off and
        // small blocks first, C2 on an AVX-512 machine (Zen 4) left half of the float32 eight-row
        // tile's stores virtual in about one JVM in five (the build before this note's too): a
        // defect of that non-default mode, not of priming as such, which fails every time
        // (bench/RESULTS.md, "float32 sums, dots and maxima on AVX-512")
        AssertionError failure = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                probe(tiles, smallBlocks, tiered);
                return;
            } catch (AssertionError e) {
                if (failure != null) {
                    e.addSuppressed(failure);
                }
                failure = e;
            }
        }
        throw failure;
    }

    private static final int ATTEMPTS = 3;

    private static void probe(String tiles, int smallBlocks, boolean tiered) throws Exception {
        boolean smallFirst = smallBlocks > 0;
        File log = File.createTempFile("primed-kernel", ".log");
        try {
            ChildJvm.Result child = ChildJvm.run(PrimedKernelProbe.class, true, "--add-modules", "jdk.incubator.vector",
                    "-XX:+UnlockDiagnosticVMOptions", "-XX:+LogCompilation", "-XX:LogFile=" + log.getAbsolutePath(),
                    "-Dtiles=" + tiles, "-DsmallBlocks=" + smallBlocks, tiered ? "-XX:+TieredCompilation" : "-XX:-TieredCompilation");
            assertEquals(0, child.exitCode(), child.output());
            assumeFalse(child.output().contains("NO VECTOR KERNEL"), "this CPU's vectors are too narrow for the vector kernels");
            assertTrue(child.output().contains("PRODUCTS"), child.output());
            check(Files.readString(log.toPath(), StandardCharsets.ISO_8859_1), smallFirst);
        } finally {
            Files.deleteIfExists(log.toPath());
        }
    }

    /**
     * Where vectors of doubles are 128 bits (NEON; here {@code -XX:MaxVectorSize=16}) the six-row
     * tile's panels of A are wider than the B panels priming packs: priming's scratch must hold
     * either (it once overflowed).
     */
    @Test
    void primingRunsWithVectorsOf128Bits() throws Exception {
        ChildJvm.Result child = ChildJvm.run(PrimedKernelProbe.class, true, "--add-modules", "jdk.incubator.vector",
                "-XX:MaxVectorSize=16", "-Dtiles=6");
        assertEquals(0, child.exitCode(), child.output());
        assumeFalse(child.output().contains("NO VECTOR KERNEL"), "this JVM has no vector kernels at 128 bits");
        assertTrue(child.output().contains("PRODUCTS"), child.output());
    }

    /**
     * @param smallFirst whether the kernels ran small blocks first: then C2 compiled the packing
     *     from those, and its first transposed B may throw that code away, as any new branch does
     */
    private static void check(String text, boolean smallFirst) {
        List<String> kernels = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        Matcher task = TASK.matcher(text);
        while (task.find()) {
            boolean c2 = !task.group().contains(" level='") || task.group().contains(" level='4'");
            if (!c2) {
                continue;
            }
            if (!(smallFirst && task.group(4).equals("packB"))) {
                ids.add(task.group(1));
            }
            if (task.group(2) != null || task.group(4).equals("packB")) {
                continue; // an on-stack compile, or the packing: checked below only for being kept
            }
            int end = text.indexOf("</task>", task.end());
            String body = text.substring(task.end(), end < 0 ? text.length() : end);
            int rows = task.group(4).equals("eightRows") ? 8 : 6;
            String what = task.group(3) + "." + task.group(4);
            kernels.add(task.group(3));
            // per tile row: two loads, additions and stores of C, and two multiply-adds a step
            assertEquals(2 * rows, count(body, "_VectorStoreOp"), what + ": stores of the tile intrinsified");
            assertEquals(2 * rows, count(body, "_VectorBinaryOp"), what + ": additions of the tile intrinsified");
            assertEquals(2 * rows, count(body, "_VectorTernaryOp"), what + ": multiply-adds intrinsified");
            assertEquals(2 * rows + 2, count(body, "_VectorLoadOp"), what + ": loads intrinsified");
        }
        assertTrue(kernels.contains("VectorTiles"), "C2 compiled the float64 micro-kernel: " + kernels);
        assertTrue(kernels.contains("FloatVectorTiles"), "C2 compiled the float32 micro-kernel: " + kernels);
        // a depth-0 priming call reaching C2's code of a kernel compiled from real products
        assertFalse(Pattern.compile("<uncommon_trap thread='\\d+' reason='unstable_if'[^>]*>\\s*<jvms bci='1' method='"
                + "dev\\.adjoint\\.core\\.kernel\\.\\w+ (eightRows|sixRowsPacked|sixRows|packB) ").matcher(text).find(),
                "a priming call of depth 0 ran into C2's code of a kernel compiled from real products");
        for (String id : ids) {
            assertFalse(Pattern.compile("<make_not_entrant thread='\\d+' compile_id='" + id + "' compiler='c2'").matcher(text).find(),
                    "C2's code of compile " + id + " (a micro-kernel or packB) was thrown away by a later product");
        }
    }

    private static int count(String body, String intrinsic) {
        String tag = "<intrinsic id='" + intrinsic + "'";
        int n = 0;
        for (int at = body.indexOf(tag); at >= 0; at = body.indexOf(tag, at + 1)) {
            n++;
        }
        return n;
    }
}
