package io.strata.memory;

import io.strata.sys.Libc;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Open file handles: fh -> (inode, open flags). Handles are few compared with inodes, so a
 * concurrent map is fine here. The inode reference keeps an unlinked file reachable for I/O; the
 * inode's {@code opens} count keeps it from being freed.
 */
final class Handles {
    record Handle(MemInode inode, int flags) {
        boolean readable() {
            return (flags & Libc.O_ACCMODE) != Libc.O_WRONLY;
        }

        boolean writable() {
            int acc = flags & Libc.O_ACCMODE;
            return acc == Libc.O_WRONLY || acc == Libc.O_RDWR;
        }

        boolean append() {
            return (flags & Libc.O_APPEND) != 0;
        }

        boolean noatime() {
            return (flags & Libc.O_NOATIME) != 0;
        }
    }

    private final ConcurrentHashMap<Long, Handle> open = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong(1);

    long add(MemInode inode, int flags) {
        long fh = next.getAndIncrement();
        open.put(fh, new Handle(inode, flags));
        return fh;
    }

    Handle get(long fh) {
        return open.get(fh);
    }

    Handle remove(long fh) {
        return open.remove(fh);
    }

    int size() {
        return open.size();
    }
}
