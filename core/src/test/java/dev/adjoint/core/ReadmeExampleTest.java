package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.readme.SoftsignExample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's "Checking your own ops" example is this module's SoftsignExample, verbatim (minus
 * its package line): the test fails when the two drift apart, and runs the example.
 */
class ReadmeExampleTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Path EXAMPLE = Path.of("src", "test", "java", "dev", "adjoint", "core", "readme", "SoftsignExample.java");

    @Test
    void theReadmeExampleIsTheCompiledExample() throws IOException {
        String readme = Files.readString(README);
        int section = readme.indexOf("## Checking your own ops");
        assertTrue(section >= 0, "README has no \"Checking your own ops\" section");
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme.substring(section));
        assertTrue(m.find(), "the section has no java code block");
        String source = Files.readString(EXAMPLE).replaceFirst("package [^;]+;\\n\\n", "");
        assertEquals(source.strip(), m.group(1).strip());
    }

    @Test
    void theExampleRuns() {
        SoftsignExample.main(new String[0]);
    }
}
