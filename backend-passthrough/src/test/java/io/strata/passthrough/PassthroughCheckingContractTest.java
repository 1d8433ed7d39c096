package io.strata.passthrough;

import io.strata.core.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The contract on the checking path (core Access decides, the daemon acts), forced even when we are
 * root. Its other-user cases are skipped: objects are created as the daemon there, and a root
 * daemon's writes keep set-id bits, so those cases describe a non-root daemon only; the permission
 * decisions themselves are compared with the host kernel's in {@link CallerPermissionsTest}.
 */
class PassthroughCheckingContractTest extends PassthroughContractTest {
    @Override
    protected FileSystem newFileSystem() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-contract");
        track(dir);
        PassthroughFileSystem fs = PassthroughFileSystem.open(dir, options(), false, FileHandles.KERNEL);
        if (fs.switchesCredentials()) throw new AssertionError("expected the checking path");
        return fs;
    }

    @Override
    protected boolean actsAsOtherUsers() {
        return false;
    }
}
