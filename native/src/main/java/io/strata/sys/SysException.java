package io.strata.sys;

import io.strata.core.Errno;
import java.io.IOException;

/** A failed system call: carries the errno and names the call and its subject. */
public final class SysException extends IOException {
    private final int errno;

    public SysException(String call, int errno) {
        super(call + ": " + Errno.name(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
