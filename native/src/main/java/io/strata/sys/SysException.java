package io.strata.sys;

import io.strata.core.Bytes;
import io.strata.core.Errno;
import java.io.IOException;

/**
 * A failed system call: carries the errno and names the call and its subject (a path, a name, a
 * request number). The message is built only when asked for, so a failing call costs no string
 * work, and errnos that are ordinary answers on hot paths ({@link #expected}) carry no stack trace.
 */
public final class SysException extends IOException {
    private final int errno;
    private final String call;
    private final Object subject;

    public SysException(String call, int errno) {
        this(call, null, errno);
    }

    /** {@code subject} may be a String, a byte[] (copied), a Name or any object with a useful toString. */
    public SysException(String call, Object subject, int errno) {
        super((String) null);
        this.errno = errno;
        this.call = call;
        this.subject = subject instanceof byte[] b ? b.clone() : subject;
        if (!expected(errno)) super.fillInStackTrace();
    }

    /**
     * Errnos that answer a question (no such name, name taken, not permitted, try again...) rather
     * than report a fault. They come back on hot paths, so they are stackless.
     */
    public static boolean expected(int errno) {
        return switch (errno) {
            case Errno.ENOENT, Errno.EEXIST, Errno.ENOTEMPTY, Errno.EACCES, Errno.EPERM, Errno.ENODATA,
                 Errno.ENOTDIR, Errno.EISDIR, Errno.ELOOP, Errno.EAGAIN, Errno.EINTR, Errno.ENAMETOOLONG,
                 Errno.EXDEV, Errno.ESTALE, Errno.EOPNOTSUPP, Errno.EINVAL, Errno.EBUSY, Errno.ERANGE,
                 Errno.ENXIO, Errno.EOVERFLOW, Errno.EROFS -> true;
            default -> false;
        };
    }

    /** Filled in by the constructor only for unexpected errnos (fields are not set yet when Throwable calls this). */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }

    public int errno() {
        return errno;
    }

    /** The call that failed ("openat", "renameat2", ...). */
    public String call() {
        return call;
    }

    @Override
    public String getMessage() {
        StringBuilder sb = new StringBuilder(call);
        if (subject != null) {
            sb.append(' ').append(subject instanceof byte[] b ? Bytes.display(b) : String.valueOf(subject));
        }
        return sb.append(": ").append(Errno.name(errno)).toString();
    }
}
