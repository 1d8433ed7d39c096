package io.strata.memory;

import io.strata.core.FileSystem;
import io.strata.core.contract.FileSystemContract;

/** The SPI contract on a fresh memory file system. */
class MemoryContractTest extends FileSystemContract {
    @Override
    protected FileSystem newFileSystem() {
        return new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(256L << 20));
    }
}
