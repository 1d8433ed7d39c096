package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs the project's POSIX semantics suite (src/test/resources/posix_suite.py) on a Strata
 * mount. The same script passes on a kernel tmpfs; see docs/testing.md.
 */
class PosixSuiteTest {
    @ParameterizedTest
    @EnumSource(Backend.class)
    void posixSemantics(Backend backend) throws Exception {
        Path script = Files.createTempFile(Path.of("/tmp"), "posix_suite", ".py");
        Path other = Files.createTempDirectory(Path.of("/tmp"), "strata-it-other");
        try (var in = PosixSuiteTest.class.getResourceAsStream("/posix_suite.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        try (Mounted m = backend.mount()) {
            // ext2 (like the kernel's) has no O_TMPFILE or fallocate here: it must refuse them cleanly.
            String unsupported = backend == Backend.EXT2 ? "POSIX_UNSUPPORTED=tmpfile,fallocate " : "";
            Sh r = Sh.run(unsupported + "python3 " + Sh.q(script) + " " + Sh.q(m.dir) + " " + Sh.q(other), null, 300);
            assertTrue(r.out().contains("PASS"), r.out());
            assertEquals(0, r.code(), "failed checks on " + backend + ":\n" + r.out());
        } finally {
            Files.deleteIfExists(script);
            Sh.run("rm -rf " + Sh.q(other));
        }
    }
}
