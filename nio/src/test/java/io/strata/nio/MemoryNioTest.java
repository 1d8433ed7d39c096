package io.strata.nio;

import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;

/** The nio suite over the memory backend. */
class MemoryNioTest extends NioSuite {
    @Override
    protected io.strata.core.FileSystem backend() {
        return new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(256L << 20));
    }
}
