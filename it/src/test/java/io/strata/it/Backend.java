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
    MEMORY_EXCLUSIVE(Kind.MEMORY, CacheMode.EXCLUSIVE),
    MEMORY_SHARED(Kind.MEMORY, CacheMode.SHARED),
    PASSTHROUGH_EXCLUSIVE(Kind.PASSTHROUGH, CacheMode.EXCLUSIVE),
    PASSTHROUGH_WRITETHROUGH(Kind.PASSTHROUGH, CacheMode.WRITETHROUGH),
    PASSTHROUGH_SHARED(Kind.PASSTHROUGH, CacheMode.SHARED),
    EXT2(Kind.EXT2, CacheMode.EXCLUSIVE);

    /** The three backends, for suites that choose the cache modes themselves. */
    enum Kind { MEMORY, PASSTHROUGH, EXT2 }

    final Kind kind;
    final CacheMode mode;

    Backend(Kind kind, CacheMode mode) {
        this.kind = kind;
        this.mode = mode;
    }

    boolean isPassthrough() {
        return kind == Kind.PASSTHROUGH;
    }

    /** Mounts a fresh instance with allow_other and default_permissions. */
    Mounted mount() throws IOException {
        return mount(kind, mode, true);
    }

    /**
     * Mounts a fresh instance of {@code kind} (allow_other; the kernel checks permissions only if
     * {@code defaultPermissions}). A passthrough source directory is made here and removed on close;
     * an ext2 image (mke2fs) is checked with e2fsck -fn after the unmount, which must be clean.
     */
    static Mounted mount(Kind kind, CacheMode mode, boolean defaultPermissions) throws IOException {
        if (kind == Kind.EXT2) {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-it-img");
            Path img = dir.resolve("disk.img");
            try {
                Sh.ok("truncate -s 3G " + Sh.q(img) + " && mke2fs -q -F -t ext2 -b 4096 " + Sh.q(img));
                FileSystem fs = io.strata.ext2.Ext2FileSystem.open(img, new io.strata.ext2.Ext2Options(false, 64L << 20, mode));
                return Mounted.mount(fs, mode, defaultPermissions).withImage(img);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            } catch (IOException | RuntimeException e) {
                Sh.rm(dir);
                throw e;
            }
        }
        if (kind == Kind.MEMORY) {
            FileSystem fs = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(4L << 30).withMode(mode));
            return Mounted.mount(fs, mode, defaultPermissions);
        }
        Path src = Files.createTempDirectory(Path.of("/tmp"), "strata-it-src",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
        try {
            // dev: the POSIX suite makes device nodes; the no-dev default is tested on its own.
            FileSystem fs = PassthroughFileSystem.open(src,
                    new PassthroughOptions(mode, PassthroughOptions.Handles.NEVER, true, true, false));
            return Mounted.mount(fs, mode, defaultPermissions).withSource(src);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(src);
            throw e;
        }
    }
}
