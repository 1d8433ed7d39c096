package io.strata.it;

import io.strata.core.CacheMode;
import io.strata.core.FileSystem;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import java.io.IOException;

/** The configurations the integration suites run against. */
enum Backend {
    MEMORY_EXCLUSIVE(CacheMode.EXCLUSIVE),
    MEMORY_SHARED(CacheMode.SHARED);

    final CacheMode mode;

    Backend(CacheMode mode) {
        this.mode = mode;
    }

    FileSystem open() throws IOException {
        return new MemoryFileSystem(MemoryOptions.defaults().withSizeLimit(4L << 30).withMode(mode));
    }

    Mounted mount() throws IOException {
        return Mounted.mount(open(), mode);
    }
}
