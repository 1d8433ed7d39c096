package io.strata.it;

import io.strata.core.CacheMode;
import io.strata.core.FileSystem;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import io.strata.passthrough.PassthroughFileSystem;
import io.strata.passthrough.PassthroughOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The configurations the integration suites run against. */
enum Backend {
    MEMORY_EXCLUSIVE(CacheMode.EXCLUSIVE),
    MEMORY_SHARED(CacheMode.SHARED),
    PASSTHROUGH_EXCLUSIVE(CacheMode.EXCLUSIVE),
    PASSTHROUGH_WRITETHROUGH(CacheMode.WRITETHROUGH),
    PASSTHROUGH_SHARED(CacheMode.SHARED);

    final CacheMode mode;

    Backend(CacheMode mode) {
        this.mode = mode;
    }

    boolean isPassthrough() {
        return name().startsWith("PASSTHROUGH");
    }

    /** Mounts a fresh instance; a passthrough source directory is made here and removed on close. */
    Mounted mount() throws IOException {
        if (!isPassthrough()) {
            FileSystem fs = new MemoryFileSystem(MemoryOptions.defaults().withSizeLimit(4L << 30).withMode(mode));
            return Mounted.mount(fs, mode);
        }
        Path src = Files.createTempDirectory(Path.of("/tmp"), "strata-it-src");
        try {
            // dev: the POSIX suite makes device nodes; the no-dev default is tested on its own.
            FileSystem fs = PassthroughFileSystem.open(src,
                    new PassthroughOptions(mode, PassthroughOptions.Handles.NEVER, true, true, false));
            return Mounted.mount(fs, mode).withSource(src);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(src);
            throw e;
        }
    }
}
