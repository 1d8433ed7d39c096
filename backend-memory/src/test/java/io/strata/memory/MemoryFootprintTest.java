package io.strata.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The memory target: a million empty files must fit a 256 MB heap. Run in a separate JVM so the
 * heap limit is real and this test's own garbage does not distort the measurement.
 */
class MemoryFootprintTest {

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void millionEmptyFilesFitIn256MegabytesOfHeap() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:+UseG1GC", "-cp",
                System.getProperty("java.class.path"), MillionFiles.class.getName(), "1000", "1000"))
                .redirectErrorStream(true).start();
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        System.out.println(out);
        assertEquals(0, p.exitValue(), out);
        Matcher m = Pattern.compile("bytesPerFile=(\\d+)").matcher(out);
        assertTrue(m.find(), out);
        long perFile = Long.parseLong(m.group(1));
        assertTrue(perFile < 200, "bytes per empty file: " + perFile);
    }
}
