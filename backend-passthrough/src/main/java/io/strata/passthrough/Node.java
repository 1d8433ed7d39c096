package io.strata.passthrough;

import io.strata.core.FsException;
import io.strata.core.Errno;
import io.strata.sys.Libc;
import io.strata.sys.PosixFiles;
import io.strata.sys.PosixFiles.FileHandle;
import io.strata.sys.PosixFiles.Stat;
import io.strata.sys.SysException;
import java.util.HashSet;
import java.util.Set;

/**
 * One inode the kernel knows of. Identified by {@link #key}: the file handle when handles are in use,
 * else an {@link InodeKey} (dev, ino, mnt_id) that is only safe because {@link #pinnedFd} keeps the
 * inode alive (a live inode's number cannot be reused).
 *
 * <p>Locking:
 * <ul>
 * <li>{@link #lookups}, {@link #opens}, {@link #names}: guarded by the file system's table lock.</li>
 * <li>{@link #users} / {@link #dead} (the pinned fd's lease count): guarded by this node's monitor,
 * a leaf lock. The fd is closed only when the node is dead and no operation still uses it, so a
 * concurrent forget can never make an operation act on a reused descriptor number.</li>
 * <li>{@link #wd} / {@link #unwatched}: guarded by the watcher's lock.</li>
 * <li>{@link #snapshot}, {@link #localChange}, {@link #freed}: volatile, racy by design (hints).</li>
 * </ul>
 */
final class Node {
    final long id;
    final Object key;
    final int type;
    /** Non-null when identified by handle. */
    final FileHandle handle;
    /** O_PATH descriptor pinning the inode, or -1 (handle node opened on demand). */
    private final int pinnedFd;

    long lookups;
    int opens;
    final Set<NameKey> names = new HashSet<>(2);

    private int users;
    private boolean dead;

    int wd = -1;
    boolean unwatched;

    volatile Stat snapshot;
    volatile boolean localChange;
    volatile boolean freed;

    Node(long id, Object key, int type, FileHandle handle, int pinnedFd, Stat snapshot) {
        this.id = id;
        this.key = key;
        this.type = type;
        this.handle = handle;
        this.pinnedFd = pinnedFd;
        this.snapshot = snapshot;
    }

    boolean isDir() {
        return type == 0040000;
    }

    boolean pinned() {
        return pinnedFd >= 0;
    }

    /** (dev, ino, mnt_id): identity of a pinned inode when handles are not in use. */
    record InodeKey(long dev, long ino, long mnt) {}

    /** A name under which the kernel may have this node cached in its dentry cache. */
    record NameKey(long parent, String name) {}

    /**
     * A descriptor on this node for the duration of one operation: the pinned fd (counted, so it is
     * not closed underneath us) or a fresh O_PATH fd from open_by_handle_at (closed on release).
     */
    static final class Lease implements AutoCloseable {
        final int fd;
        private final Node node;
        private final boolean owned;

        Lease(Node node, int fd, boolean owned) {
            this.node = node;
            this.fd = fd;
            this.owned = owned;
        }

        /** "/proc/self/fd/N" relative name for the *at calls on the proc fd directory. */
        String procName() {
            return Integer.toString(fd);
        }

        @Override
        public void close() {
            if (owned) Libc.closeQuietly(fd);
            else node.unuse();
        }
    }

    Lease lease(PassthroughFileSystem fs) throws FsException {
        synchronized (this) {
            if (pinnedFd >= 0) {
                if (dead) throw new FsException(Errno.ESTALE, "node " + id + " forgotten");
                users++;
                return new Lease(this, pinnedFd, false);
            }
        }
        try {
            return new Lease(this, PosixFiles.openByHandleAt(fs.mountFd(handle.mountId()), handle,
                    Libc.O_PATH | Libc.O_CLOEXEC), true);
        } catch (SysException e) {
            throw PassthroughFileSystem.fx(e);
        }
    }

    private synchronized void unuse() {
        if (--users == 0 && dead) Libc.closeQuietly(pinnedFd);
    }

    /** The node left the tables: close the pinned fd now or when the last lease ends. */
    synchronized void kill() {
        if (dead) return;
        dead = true;
        if (users == 0 && pinnedFd >= 0) Libc.closeQuietly(pinnedFd);
    }
}
