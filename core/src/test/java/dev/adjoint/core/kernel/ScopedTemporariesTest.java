package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * The temporaries of clamp's, where's and batch normalization's backward come from the pool in a
 * {@link dev.adjoint.core.MemoryScope}: checked in a fresh JVM ({@link ScopedTemporaries}), since
 * the pool's softly held arrays do not survive a test JVM's collections reliably.
 */
class ScopedTemporariesTest {
    @Test
    void backwardTemporariesInAScopeComeFromThePool() throws Exception {
        ChildJvm.Result run = ChildJvm.run(ScopedTemporaries.class, true, "--add-modules", "jdk.incubator.vector");
        assumeTrue(run.exitCode() != 2, run.output());
        assertTrue(run.output().contains("done"), "the child JVM did not finish: " + run.output());
        assertEquals(0, run.exitCode(), run.output());
    }
}
