package io.strata.verity;

import io.strata.core.FileSystem;
import io.strata.core.contract.FileSystemContract;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;

/** The SPI contract through the verity stacker over a fresh memory file system. */
class VerityContractTest extends FileSystemContract {
    @Override
    protected FileSystem newFileSystem() {
        return new VerityFileSystem(new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(256L << 20)));
    }
}
