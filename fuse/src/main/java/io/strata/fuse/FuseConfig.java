package io.strata.fuse;

import io.strata.core.CacheMode;
import io.strata.sys.Libc;

/**
 * How a FUSE mount is served.
 *
 * @param threads worker threads, each with its own cloned /dev/fuse channel
 * @param cacheMode null: take the file system's own {@link io.strata.core.FileSystem#cachePolicy()} (the
 *                  INIT capabilities always follow it: writeback cache only for EXCLUSIVE and {@code writeback}); a mode
 *                  here is a statement of what the caller expects, and the mount fails if the
 *                  file system serves another one
 * @param passthrough allow FUSE passthrough for opens that offer a backing fd (used only if the file
 *                    system reports {@link io.strata.core.Feature#BACKING_FDS})
 * @param debug one log line per request and reply
 * @param fsname the "device" shown in /proc/mounts and df
 * @param subtype shown as fuse.SUBTYPE
 * @param allowOther let other users in (-o allow_other)
 * @param defaultPermissions let the kernel check permissions from mode bits as well (every backend enforces
 *                           them itself, so turning this off is safe)
 * @param readOnly mount read-only (MS_RDONLY)
 * @param writeback use the kernel's writeback cache in EXCLUSIVE (off in {@link #defaults}; the CLI turns
 *                  it on for exclusive mounts): with it a write(2) lands in the page cache and ENOSPC
 *                  or EIO from the backend surface only at fsync or close, so a program writing
 *                  until the disk is full never learns it; without it writes reach the backend
 *                  before they return
 */
public record FuseConfig(int threads, CacheMode cacheMode, boolean passthrough, boolean debug, String fsname,
                         String subtype, boolean allowOther, boolean defaultPermissions, boolean readOnly,
                         boolean writeback, long vfsFlags) {

    public static final int MAX_WRITE = 1 << 20;

    /** What a FUSE mount gets unless told otherwise, as libfuse does: no set-id programs, no devices. */
    public static final long DEFAULT_VFS_FLAGS = Libc.MS_NOSUID | Libc.MS_NODEV;

    /** The generic mount flags a FUSE mount may carry (MS_RDONLY is {@link #readOnly}). */
    public static final long VFS_FLAGS = Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_NOEXEC | Libc.MS_SYNCHRONOUS
            | Libc.MS_DIRSYNC | Libc.MS_NOSYMFOLLOW | Libc.MS_NOATIME | Libc.MS_NODIRATIME | Libc.MS_RELATIME
            | Libc.MS_STRICTATIME | Libc.MS_LAZYTIME;

    public FuseConfig {
        if (threads < 1 || threads > 256) throw new IllegalArgumentException("threads must be 1..256, got " + threads);
        if ((vfsFlags & ~VFS_FLAGS) != 0) throw new IllegalArgumentException("not a FUSE mount flag: 0x" + Long.toHexString(vfsFlags & ~VFS_FLAGS));
    }

    /** Without the writeback cache. */
    public FuseConfig(int threads, CacheMode cacheMode, boolean passthrough, boolean debug, String fsname,
                      String subtype, boolean allowOther, boolean defaultPermissions, boolean readOnly) {
        this(threads, cacheMode, passthrough, debug, fsname, subtype, allowOther, defaultPermissions, readOnly, false,
                DEFAULT_VFS_FLAGS);
    }

    public FuseConfig withWriteback(boolean w) {
        return new FuseConfig(threads, cacheMode, passthrough, debug, fsname, subtype, allowOther, defaultPermissions, readOnly, w, vfsFlags);
    }

    /** Defaults; the cache mode is the file system's. */
    public static FuseConfig defaults() {
        return defaults(null);
    }

    /** Defaults, expecting the file system to serve with {@code mode} (null: whatever it serves). */
    public static FuseConfig defaults(CacheMode mode) {
        return new FuseConfig(4, mode, true, false, "strata", "strata", false, true, false);
    }

    public FuseConfig withThreads(int n) {
        return new FuseConfig(n, cacheMode, passthrough, debug, fsname, subtype, allowOther, defaultPermissions, readOnly, writeback, vfsFlags);
    }

    public FuseConfig withDebug(boolean d) {
        return new FuseConfig(threads, cacheMode, passthrough, d, fsname, subtype, allowOther, defaultPermissions, readOnly, writeback, vfsFlags);
    }

    public FuseConfig withNames(String fsname, String subtype) {
        return new FuseConfig(threads, cacheMode, passthrough, debug, fsname, subtype, allowOther, defaultPermissions, readOnly, writeback, vfsFlags);
    }

    public FuseConfig withAccess(boolean allowOther, boolean defaultPermissions, boolean readOnly) {
        return new FuseConfig(threads, cacheMode, passthrough, debug, fsname, subtype, allowOther, defaultPermissions, readOnly, writeback, vfsFlags);
    }

    /** The MS_* flags of the mount ({@link #VFS_FLAGS}), e.g. MS_NOSUID | MS_NOATIME. */
    public FuseConfig withVfsFlags(long flags) {
        return new FuseConfig(threads, cacheMode, passthrough, debug, fsname, subtype, allowOther, defaultPermissions, readOnly, writeback, flags);
    }

    public FuseConfig withPassthrough(boolean p) {
        return new FuseConfig(threads, cacheMode, p, debug, fsname, subtype, allowOther, defaultPermissions, readOnly, writeback, vfsFlags);
    }
}
