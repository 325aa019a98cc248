package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.core.kernel.FloatSources;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code FloatUpdateRules} is exactly what core's {@code FloatSources} makes of {@code UpdateRules}. */
class FloatUpdateRulesTest {

    @Test
    void theFloat32RulesAreGeneratedFromTheFloat64Ones() {
        assertEquals(List.of(), FloatSources.stale(Path.of("src/main/java/dev/adjoint/nn"), List.of("UpdateRules")));
    }
}
