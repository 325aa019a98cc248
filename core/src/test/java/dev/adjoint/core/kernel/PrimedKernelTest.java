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

/**
 * What C2 makes of the vector micro-kernels after priming, in a fresh JVM's compilation log
 * ({@code -XX:+LogCompilation}): every vector operation of the tile intrinsified. Priming calls
 * the kernel mostly with depth 0, and when C2 compiled it before the JDK had profiled the tile's
 * additions and stores, it left those calls virtual and the vectors boxed, and every later product
 * of the JVM ran at half speed, with the same bits (so no other test saw it).
 */
class PrimedKernelTest {
    private static final Pattern TASK = Pattern.compile(
            "<task compile_id='\\d+' (compile_kind='osr' )?method='dev\\.adjoint\\.core\\.kernel\\.(\\w+) (eightRows|fourRows) [^>]*>");

    @Test
    void theMicroKernelsCompileWithEveryVectorOperationIntrinsified() throws Exception {
        File log = File.createTempFile("primed-kernel", ".log");
        try {
            ChildJvm.Result child = ChildJvm.run(PrimedKernelProbe.class, true, "--add-modules", "jdk.incubator.vector",
                    "-XX:+UnlockDiagnosticVMOptions", "-XX:+LogCompilation", "-XX:LogFile=" + log.getAbsolutePath());
            assertEquals(0, child.exitCode(), child.output());
            assumeFalse(child.output().contains("NO VECTOR KERNEL"), "this CPU's vectors are too narrow for the vector kernels");
            assertTrue(child.output().contains("PRODUCTS"), child.output());
            String text = Files.readString(log.toPath(), StandardCharsets.ISO_8859_1);
            List<String> compiled = new ArrayList<>();
            Matcher task = TASK.matcher(text);
            while (task.find()) {
                int end = text.indexOf("</task>", task.end());
                String body = text.substring(task.end(), end < 0 ? text.length() : end);
                if (task.group(1) != null || !body.contains("<intrinsic id='_VectorTernaryOp'")) {
                    continue; // an on-stack compile, or C1's (which intrinsifies no vector operation)
                }
                int rows = task.group(3).equals("eightRows") ? 8 : 4;
                String what = task.group(2) + "." + task.group(3);
                compiled.add(task.group(2));
                // per tile row: two stores and two loads of C, two additions, two multiply-adds a step
                assertEquals(2 * rows, count(body, "_VectorStoreOp"), what + ": stores of the tile intrinsified");
                assertEquals(2 * rows, count(body, "_VectorBinaryOp"), what + ": additions of the tile intrinsified");
                assertEquals(2 * rows, count(body, "_VectorTernaryOp"), what + ": multiply-adds intrinsified");
                assertEquals(2 * rows + 2, count(body, "_VectorLoadOp"), what + ": loads intrinsified");
            }
            assertTrue(compiled.contains("VectorGemmKernel"), "C2 compiled the float64 micro-kernel while priming: " + compiled);
            assertTrue(compiled.contains("FloatVectorGemmKernel"), "C2 compiled the float32 micro-kernel while priming: " + compiled);
            assertFalse(compiled.isEmpty());
        } finally {
            Files.deleteIfExists(log.toPath());
        }
    }

    private static int count(String body, String intrinsic) {
        int n = 0;
        for (int at = body.indexOf("<intrinsic id='" + intrinsic + "'"); at >= 0; at = body.indexOf("<intrinsic id='" + intrinsic + "'", at + 1)) {
            n++;
        }
        return n;
    }
}
