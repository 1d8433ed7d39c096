package io.strata.passthrough;

import io.strata.core.FileSystem;
import io.strata.core.contract.FileSystemContract;
import io.strata.sys.Libc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * The core contract on a fresh host directory under /tmp, with the default options (handles NEVER,
 * SHARED). As root the other-user cases run with switched credentials; otherwise they are skipped
 * by the contract ({@link #actsAsOtherUsers}).
 */
class PassthroughContractTest extends FileSystemContract {
    private final List<Path> dirs = new ArrayList<>();

    protected PassthroughOptions options() {
        return PassthroughOptions.defaults();
    }

    @Override
    protected FileSystem newFileSystem() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-contract");
        track(dir);
        return PassthroughFileSystem.open(dir, options());
    }

    /** Removed after the test. */
    protected void track(Path dir) {
        dirs.add(dir);
    }

    @Override
    protected boolean actsAsOtherUsers() {
        return Libc.geteuid() == 0;
    }

    @AfterEach
    void removeSources() throws Exception {
        for (Path d : dirs) Fixture.deleteTree(d);
        dirs.clear();
    }
}
