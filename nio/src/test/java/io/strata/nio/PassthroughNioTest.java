package io.strata.nio;

import io.strata.passthrough.PassthroughFileSystem;
import io.strata.passthrough.PassthroughOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** The nio suite over a host directory (passthrough: every call made with the caller's credentials). */
class PassthroughNioTest extends NioSuite {
    private Path dir;

    @Override
    protected io.strata.core.FileSystem backend() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "passthrough switches credentials: needs root");
        dir = Files.createTempDirectory(Path.of("/tmp"), "strata-nio-pt");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return PassthroughFileSystem.open(dir, PassthroughOptions.defaults());
    }

    @Override
    protected void afterViews() throws Exception {
        if (dir == null) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
