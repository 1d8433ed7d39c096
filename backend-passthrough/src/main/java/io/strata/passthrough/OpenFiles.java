package io.strata.passthrough;

import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.core.OpenFlags;
import io.strata.sys.Libc;
import io.strata.sys.PosixFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Open file and directory handles: fh numbers to real host descriptors (never O_PATH). Handle
 * numbers start at 1 and are never reused, so a stale fh from a confused frontend cannot reach
 * another file. Lock-free map; a directory handle's own monitor serializes readdir on it.
 */
final class OpenFiles {
    /** An open file or directory: a host descriptor plus, for directories, a getdents buffer. */
    static final class OpenFile {
        final Node node;
        final int fd;
        final int flags;
        final PosixFiles.DirBuffer dirBuf;

        OpenFile(Node node, int fd, int flags, PosixFiles.DirBuffer dirBuf) {
            this.node = node;
            this.fd = fd;
            this.flags = flags;
            this.dirBuf = dirBuf;
        }

        boolean writable() {
            return OpenFlags.writes(flags);
        }

        /** Closes the descriptor and frees the buffer (after any readdir in progress). */
        void close() {
            Libc.closeQuietly(fd);
            if (dirBuf != null) {
                synchronized (this) {
                    dirBuf.close();
                }
            }
        }
    }

    private final Map<Long, OpenFile> files = new ConcurrentHashMap<>();
    private final AtomicLong nextFh = new AtomicLong(1);

    long add(OpenFile f) {
        long fh = nextFh.getAndIncrement();
        files.put(fh, f);
        return fh;
    }

    /** The handle; EBADF if unknown. */
    OpenFile get(long fh) throws FsException {
        OpenFile f = files.get(fh);
        if (f == null) throw new FsException(Errno.EBADF, "unknown handle " + fh);
        return f;
    }

    /** The handle if it is open on {@code node}, else null (getattr/setattr with an optional fh). */
    OpenFile on(long fh, Node node) {
        if (fh <= 0) return null;
        OpenFile f = files.get(fh);
        return f != null && f.node == node ? f : null;
    }

    OpenFile remove(long fh) {
        return files.remove(fh);
    }

    List<OpenFile> removeAll() {
        List<OpenFile> all = new ArrayList<>(files.values());
        files.clear();
        return all;
    }
}
