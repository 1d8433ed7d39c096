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
    PASSTHROUGH_SHARED(CacheMode.SHARED),
    EXT2(CacheMode.EXCLUSIVE);

    final CacheMode mode;

    Backend(CacheMode mode) {
        this.mode = mode;
    }

    boolean isPassthrough() {
        return name().startsWith("PASSTHROUGH");
    }

    /**
     * Mounts a fresh instance. A passthrough source directory is made here and removed on close;
     * an ext2 image (mke2fs) is checked with e2fsck -fn after the unmount, which must be clean.
     */
    Mounted mount() throws IOException {
        if (this == EXT2) {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-it-img");
            Path img = dir.resolve("disk.img");
            try {
                Sh.ok("truncate -s 3G " + Sh.q(img) + " && mke2fs -q -F -t ext2 -b 4096 " + Sh.q(img));
                FileSystem fs = io.strata.ext2.Ext2FileSystem.open(img, new io.strata.ext2.Ext2Options(false, 64L << 20, mode));
                return Mounted.mount(fs, mode).withImage(img);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            } catch (IOException | RuntimeException e) {
                Sh.rm(dir);
                throw e;
            }
        }
        if (!isPassthrough()) {
            FileSystem fs = new MemoryFileSystem(MemoryOptions.defaults().withSizeLimit(4L << 30).withMode(mode));
            return Mounted.mount(fs, mode);
        }
        Path src = Files.createTempDirectory(Path.of("/tmp"), "strata-it-src",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
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
