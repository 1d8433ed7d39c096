package io.strata.core;

/**
 * An open file or directory handle and its cache policy. {@code fh} is the file system's own
 * handle. {@code backingFd} >= 0 asks the frontend to let the kernel do I/O on that descriptor
 * directly (FUSE passthrough); frontends that cannot, ignore it. Stackers strip it unless they
 * mean to re-emit it ({@link ForwardingFileSystem}).
 */
public record Opened(long fh, int flags, int backingFd) {
    /** Keep the kernel's page cache for this file across opens (nothing changed it behind us). */
    public static final int KEEP_CACHE = 1;
    /** Bypass the page cache for this open. */
    public static final int DIRECT_IO = 2;
    /** The file is a stream (no seeking, no position). */
    public static final int NONSEEKABLE = 4;
    /** For directories: the kernel may cache readdir results. */
    public static final int CACHE_DIR = 8;
    /** Parallel direct writes on this file are safe. */
    public static final int PARALLEL_DIRECT_WRITES = 16;

    public static Opened of(long fh, int flags) {
        return new Opened(fh, flags, -1);
    }

    public Opened withoutBacking() {
        return new Opened(fh, flags, -1);
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }
}
