package io.strata.core;

/**
 * What a file system supports, reported by {@link FileSystem#features()} so frontends and stackers
 * can decide without probing (and without an ENOSYS from one layer switching an operation off for
 * a whole mount).
 */
public enum Feature {
    /** Enforces {@link Access} for every {@link Caller} itself (required of every Strata backend). */
    PERMISSIONS,
    RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT,
    HARD_LINKS, SYMLINKS,
    /** mknod of character and block devices (whiteouts are 0/0 character devices). */
    DEVICE_NODES,
    TMPFILE,
    USER_XATTRS, TRUSTED_XATTRS, SECURITY_XATTRS,
    FALLOCATE, PUNCH_HOLE, SEEK_DATA, COPY_FILE_RANGE,
    /** Inode ids stay the same across restarts (export, NFS-style handles). */
    STABLE_IDS,
    /** May offer backing fds for kernel passthrough I/O ({@link Opened#backingFd()}). */
    BACKING_FDS,
    /** Answers fs-verity ioctls ({@link Ioctl#FS_IOC_ENABLE_VERITY}, {@link Ioctl#FS_IOC_MEASURE_VERITY}). */
    VERITY,
    BTIME, DATA_VERSION,
    /** Implements {@link FileSystem#readdirplus} natively (no lookup per name). */
    READDIRPLUS,
    /** Implements {@link FileSystem#walk} natively. */
    WALK,
    /**
     * Directories need no per-open state: {@link FileSystem#readdir} and {@link FileSystem#readdirplus}
     * find their position from the cookie alone and ignore {@code fh} (0 works), and
     * {@link FileSystem#opendir} only checks read permission. A frontend may then skip opendir and
     * releasedir (FUSE: no OPENDIR/RELEASEDIR at all) when the kernel checks permissions itself. A
     * stacker that keeps directory handles (a snapshot per open) must not pass this on.
     */
    STATELESS_DIRS
}
