package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * The nn suite runs on the Vector API kernels, as users do with {@code --add-modules
 * jdk.incubator.vector}: the build passes the flag and {@code adjoint.test.requireVector}
 * together, so losing the flag fails here instead of silently testing only the scalar kernels.
 */
class VectorKernelFlagTest {

    @Test
    void theSuiteRunsWithTheVectorApiModule() {
        assumeTrue(Boolean.getBoolean("adjoint.test.requireVector"), "run outside the Maven build");
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "nn's surefire argLine must pass --add-modules jdk.incubator.vector");
    }
}
