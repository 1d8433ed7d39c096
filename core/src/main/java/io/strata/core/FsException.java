package io.strata.core;

import io.strata.core.Errno;

/**
 * The error every SPI operation reports: an errno, which every frontend can express (FUSE replies
 * with -errno, 9P with Rlerror, java.nio maps it to an IOException subtype). Stackless: errors such
 * as ENOENT are ordinary control flow on hot paths.
 */
public final class FsException extends Exception {
    private final int errno;
    private final String detail;

    public FsException(int errno) {
        super(Errno.name(errno), null, false, false);
        this.errno = errno;
        this.detail = null;
    }

    public FsException(int errno, String detail) {
        super(Errno.name(errno) + ": " + detail, null, false, false);
        this.errno = errno;
        this.detail = detail;
    }

    /** For users: the C library's text ("No such file or directory"), then the detail if any. */
    public String describe() {
        return Errno.describe(errno) + (detail != null ? " (" + detail + ")" : "");
    }

    public int errno() {
        return errno;
    }

    public static FsException of(int errno) {
        return new FsException(errno);
    }
}
