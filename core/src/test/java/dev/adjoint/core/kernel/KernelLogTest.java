package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * What the kernel choice logs, in fresh JVMs: nothing when the vector kernels run (the logging
 * system's first use would cost a cold start tens of milliseconds), the line with its reason when
 * the portable ones do, and both kernels' lines when asked with {@code -Dadjoint.logKernels=true}.
 */
class KernelLogTest {

    /** The probe's output in a child JVM with these options, standard error included. */
    private static String run(String... options) throws Exception {
        ChildJvm.Result child = ChildJvm.run(KernelLogProbe.class, true, options);
        assertEquals(0, child.exitCode(), child.output());
        assertTrue(child.output().contains("chosen"), child.output());
        return child.output();
    }

    @Test
    void theVectorKernelsLogNothingUnlessAsked() throws Exception {
        String quiet = run("--add-modules", "jdk.incubator.vector");
        // on a CPU whose vectors are too narrow the portable kernels run, and log (the test below)
        assumeTrue(quiet.contains("chosen vector"), "the vector kernels are not chosen on this CPU");
        assertFalse(quiet.contains("Adjoint kernels"), quiet);
        String asked = run("--add-modules", "jdk.incubator.vector", "-D" + KernelProvider.LOG_PROPERTY + "=true");
        assertTrue(asked.contains("Adjoint kernels: matmul vector"), asked);
        assertTrue(asked.contains("Adjoint kernels: float32 matmul vector"), asked);
    }

    /**
     * Without an FMA instruction the vector kernels ran their multiply-adds in software: a float32
     * 128² product took 1.7 s (an x86 JVM with {@code -XX:UseAVX=0}); the scalar ones run instead.
     */
    @Test
    void withoutFmaThePortableKernelsRunAndSayWhy() throws Exception {
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "-XX:UseAVX is an x86 option");
        String noFma = run("--add-modules", "jdk.incubator.vector", "-XX:UseAVX=0");
        assertTrue(noFma.contains("chosen scalar"), noFma);
        assertTrue(noFma.contains("without AVX"), noFma);
    }

    @Test
    void thePortableKernelsSayWhy() throws Exception {
        String withoutModule = run();
        assertTrue(withoutModule.contains("Adjoint kernels: matmul scalar"), withoutModule);
        assertTrue(withoutModule.contains("start the JVM with --add-modules jdk.incubator.vector"), withoutModule);
        String disabled = run("--add-modules", "jdk.incubator.vector", "-D" + KernelProvider.PROPERTY + "=false");
        assertTrue(disabled.contains("disabled by -D" + KernelProvider.PROPERTY + "=false"), disabled);
    }
}
