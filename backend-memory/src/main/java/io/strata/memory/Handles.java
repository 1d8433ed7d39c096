package io.strata.memory;

import io.strata.core.OpenFlags;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Open file handles: fh -> (inode, open flags). Handles are few compared with inodes, so a
 * concurrent map is fine here. The inode reference keeps an unlinked file reachable for I/O; the
 * inode's open count keeps it from being freed.
 */
final class Handles {
    record Handle(MemInode inode, int flags) {
        boolean readable() {
            return OpenFlags.reads(flags);
        }

        boolean writable() {
            return OpenFlags.writes(flags);
        }

        boolean append() {
            return (flags & OpenFlags.O_APPEND) != 0;
        }

        boolean noatime() {
            return (flags & OpenFlags.O_NOATIME) != 0;
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

    void clear() {
        open.clear();
    }
}
