package io.strata.passthrough;

import io.strata.core.Errno;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.inode.InodeNode;
import io.strata.sys.Libc;
import io.strata.sys.PosixFiles;
import io.strata.sys.PosixFiles.FileHandle;
import io.strata.sys.PosixFiles.Stat;
import io.strata.sys.SysException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * One host inode the frontends know of. Its id, generation and lookup / open counts are the core
 * {@link InodeNode}'s; {@link #key} identifies the host object: the file handle when handles are in
 * use, else an {@link InodeKey} (dev, ino, mnt_id) that is only safe because {@link #pinnedFd}
 * keeps the inode alive (a live inode's number cannot be reused).
 *
 * <p>Locking:
 * <ul>
 * <li>{@link #names} and the decision to free: the {@link InodeStore}'s lock.</li>
 * <li>{@link #pinnedFd}, {@link #users} / {@link #dead} (the pinned fd and its lease count): this
 * node's monitor, a leaf lock. The fd is closed only when the node is dead and no operation still uses it, so a
 * concurrent forget can never make an operation act on a reused descriptor number.</li>
 * <li>{@link #wd} / {@link #unwatched}: the {@link Watcher}'s lock.</li>
 * <li>{@link #snapshot}, {@link #localChange}, {@link #freed}: volatile, racy by design (hints).</li>
 * </ul>
 */
final class Node extends InodeNode {
    final Object key;
    final int type;
    /** Non-null when identified by handle. */
    final FileHandle handle;
    /**
     * O_PATH descriptor pinning the inode, or -1 (handle node opened on demand). A handle node is
     * pinned later when a name of it is removed through us ({@link #pin}): an unlinked inode cannot
     * be opened by handle, and the SPI keeps it valid while it is referenced. Guarded by this.
     */
    private int pinnedFd;
    /** The decimal digits of {@link #pinnedFd}: its name in /proc/self/fd. */
    private byte[] pinnedName;

    final Set<NameKey> names = new HashSet<>(2);

    private int users;
    private boolean dead;
    /** Closes {@link #pinnedFd} once dead: the host may delete the inode then, which is slow. */
    private final Reaper reaper;

    int wd = -1;
    boolean unwatched;

    volatile Stat snapshot;
    volatile boolean localChange;
    volatile boolean freed;

    Node(int ino, int generation, Object key, int type, FileHandle handle, int pinnedFd, Stat snapshot,
            Reaper reaper) {
        super(ino, generation);
        this.reaper = reaper;
        this.key = key;
        this.type = type;
        this.handle = handle;
        this.pinnedFd = pinnedFd;
        this.pinnedName = pinnedFd >= 0 ? fdName(pinnedFd) : null;
        this.snapshot = snapshot;
    }

    /** Lifetime follows references only: the host owns the names (a host unlink is not ours to see). */
    @Override
    protected boolean linked() {
        return false;
    }

    boolean isDir() {
        return type == FileType.S_IFDIR;
    }

    synchronized boolean pinned() {
        return pinnedFd >= 0;
    }

    /** Pins a handle node with {@code fd} (an O_PATH descriptor on it); false if it need not (caller closes fd). */
    synchronized boolean pin(int fd) {
        if (dead || pinnedFd >= 0) return false;
        pinnedFd = fd;
        pinnedName = fdName(fd);
        return true;
    }

    static byte[] fdName(int fd) {
        return Integer.toString(fd).getBytes(StandardCharsets.US_ASCII);
    }

    /** (dev, ino, mnt_id): identity of a pinned inode when handles are not in use. */
    record InodeKey(long dev, long ino, long mnt) {}

    /** A name under which a frontend may have this node cached. */
    record NameKey(long parent, Name name) {}

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

        /** The fd's name in /proc/self/fd, for the *at calls relative to that directory. */
        byte[] procName() {
            if (owned) return fdName(fd);
            synchronized (node) {
                return node.pinnedName; // set before this lease was taken, never changed after
            }
        }

        @Override
        public void close() {
            if (owned) Libc.closeQuietly(fd);
            else node.unuse();
        }
    }

    /** Taken as the daemon: open_by_handle_at needs CAP_DAC_READ_SEARCH, which a switched thread lacks. */
    Lease lease(MountFds mounts) throws FsException {
        synchronized (this) {
            if (pinnedFd >= 0) {
                if (dead) throw new FsException(Errno.ESTALE, "node " + ino + " forgotten");
                users++;
                return new Lease(this, pinnedFd, false);
            }
        }
        try {
            return new Lease(this, PosixFiles.openByHandleAt(mounts.fd(handle.mountId()), handle,
                    OpenFlags.O_PATH | OpenFlags.O_CLOEXEC), true);
        } catch (SysException e) {
            throw PassthroughFileSystem.fx(e);
        }
    }

    private synchronized void unuse() {
        if (--users == 0 && dead) reaper.close(pinnedFd);
    }

    /** The node left the store: close the pinned fd now or when the last lease ends. */
    synchronized void kill() {
        if (dead) return;
        dead = true;
        if (users == 0 && pinnedFd >= 0) reaper.close(pinnedFd);
    }
}
