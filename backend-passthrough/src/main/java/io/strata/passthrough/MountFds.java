package io.strata.passthrough;

import io.strata.core.Errno;
import io.strata.core.OpenFlags;
import io.strata.sys.Libc;
import io.strata.sys.PosixFiles;
import io.strata.sys.PosixFiles.FileHandle;
import io.strata.sys.PosixFiles.Stat;
import io.strata.sys.SysException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One descriptor per host mount (by mount id) for open_by_handle_at, which wants a descriptor on
 * the handle's mount that is not O_PATH. It is opened from an object on that mount the first time a
 * handle of that mount is kept, and held until {@link #close()}.
 *
 * <p>Threads: reads are lock-free; opening one is serialized on the map.
 */
final class MountFds implements AutoCloseable {
    private final Map<Integer, Integer> fds = new ConcurrentHashMap<>();
    private final int procSelfFd;

    MountFds(int procSelfFd) {
        this.procSelfFd = procSelfFd;
    }

    int fd(int mountId) throws SysException {
        Integer fd = fds.get(mountId);
        if (fd == null) throw new SysException("open_by_handle_at", "no descriptor for mount " + mountId, Errno.ESTALE);
        return fd;
    }

    void put(int mountId, int fd) {
        Integer old = fds.put(mountId, fd);
        if (old != null && old != fd) Libc.closeQuietly(old);
    }

    /**
     * Makes sure a descriptor for the handle's mount is held, opening the object {@code opathFd}
     * refers to. Only directories and regular files are opened (opening a device or FIFO has side
     * effects). False if none could be had: the caller then pins the object by its O_PATH fd.
     */
    boolean ensure(FileHandle h, int opathFd, Stat st) {
        if (fds.containsKey(h.mountId())) return true;
        if (!st.isDir() && !st.isRegular()) return false;
        synchronized (fds) {
            if (fds.containsKey(h.mountId())) return true;
            try {
                int flags = OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK | OpenFlags.O_NOCTTY | OpenFlags.O_CLOEXEC
                        | (st.isDir() ? OpenFlags.O_DIRECTORY : 0);
                fds.put(h.mountId(), PosixFiles.openat(procSelfFd, Node.fdName(opathFd), flags, 0));
                return true;
            } catch (SysException e) {
                return false;
            }
        }
    }

    @Override
    public void close() {
        for (int fd : fds.values()) Libc.closeQuietly(fd);
        fds.clear();
    }
}
