package io.strata.passthrough;

import static io.strata.sys.PosixFiles.AT_SYMLINK_NOFOLLOW;

import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.core.InvalidationHub;
import io.strata.core.Name;
import io.strata.passthrough.Node.InodeKey;
import io.strata.passthrough.Node.Lease;
import io.strata.passthrough.Node.NameKey;
import io.strata.sys.Inotify;
import io.strata.sys.PosixFiles;
import io.strata.sys.PosixFiles.Stat;
import io.strata.sys.SysException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SHARED mode: watches every directory node the frontends know of and turns host changes into
 * invalidations (names as the bytes inotify reports), on its own thread (Invalidations must not be
 * sent from a request thread).
 *
 * <p>Watches are added through "/proc/self/fd/N" of the node's pinned descriptor, so the watched
 * inode is exactly the node's, whatever has been renamed meanwhile. When the per-user watch limit is
 * reached (ENOSPC) the directory is marked unwatched: the zero timeouts of SHARED still make every
 * lookup and getattr go to the host, and open revalidates, but an already open file's page cache
 * (or an mmap) is not dropped on a host write in that directory until the next open or stat.
 *
 * <p>A child named in an event is found by the name it was handed out under, else by its host
 * identity (handle or dev/ino), so a write through another hard link still reaches the node.
 *
 * <p>Locking: {@link #lock} guards {@link #byWd}, each node's {@code wd} / {@code unwatched} and
 * {@link #unwatched}. It is never held together with the store's lock; event dispatch runs
 * without it.
 */
final class Watcher {
    static final int MASK = Inotify.IN_MODIFY | Inotify.IN_ATTRIB | Inotify.IN_CLOSE_WRITE | Inotify.IN_CREATE
            | Inotify.IN_DELETE | Inotify.IN_MOVED_FROM | Inotify.IN_MOVED_TO | Inotify.IN_DELETE_SELF
            | Inotify.IN_MOVE_SELF | Inotify.IN_ONLYDIR | Inotify.IN_EXCL_UNLINK;

    private final InodeStore store;
    private final FileHandles handles;
    private final MountFds mounts;
    private final InvalidationHub hub;
    private final Inotify inotify;
    private final Object lock = new Object();
    private final Map<Integer, Node> byWd = new HashMap<>();
    private int unwatched;
    private volatile boolean stop;
    private final Thread thread;
    /** Simulated per-user watch limit for tests (the real one is /proc/sys/fs/inotify/max_user_watches). */
    volatile int testLimit = Integer.MAX_VALUE;

    Watcher(InodeStore store, FileHandles handles, MountFds mounts, InvalidationHub hub) throws SysException {
        this.store = store;
        this.handles = handles;
        this.mounts = mounts;
        this.hub = hub;
        this.inotify = Inotify.open(Inotify.IN_NONBLOCK | Inotify.IN_CLOEXEC);
        this.thread = Thread.ofPlatform().daemon().name("strata-passthrough-inotify").unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    int unwatchedCount() {
        synchronized (lock) {
            return unwatched;
        }
    }

    /** Watches a directory node through a descriptor on it (valid for the duration of the call). */
    void watch(Node n, int fd) {
        synchronized (lock) {
            // freed is set before unwatch takes this lock: either we see it, or unwatch sees our wd.
            if (n.freed || n.wd >= 0 || n.unwatched || stop) return;
            try {
                if (byWd.size() >= testLimit) throw new SysException("inotify_add_watch", "test limit", Errno.ENOSPC);
                int wd = inotify.addWatchFd(fd, MASK);
                Node other = byWd.putIfAbsent(wd, n);
                if (other == null || other == n) n.wd = wd;
            } catch (SysException e) {
                // ENOSPC: watch limit reached. Others (ENOENT: removed meanwhile) change nothing.
                if (e.errno() == Errno.ENOSPC) {
                    n.unwatched = true;
                    unwatched++;
                }
            }
        }
    }

    void unwatch(Node n) {
        synchronized (lock) {
            if (n.unwatched) {
                n.unwatched = false;
                unwatched--;
            }
            if (n.wd < 0) return;
            byWd.remove(n.wd, n);
            try {
                inotify.rmWatch(n.wd);
            } catch (SysException ignored) {
                // EINVAL: the kernel dropped the watch already (directory deleted)
            }
            n.wd = -1;
        }
    }

    private void run() {
        while (!stop) {
            try {
                if (!inotify.await(200)) continue;
                List<Inotify.Event> events = inotify.read();
                for (Inotify.Event e : events) dispatch(e);
            } catch (SysException e) {
                if (e.errno() != Errno.EINTR) {
                    if (stop) return;
                    System.getLogger(Watcher.class.getName()).log(System.Logger.Level.WARNING,
                            "inotify watcher: " + e.getMessage());
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            } catch (RuntimeException e) {
                // One bad event must not stop invalidations for the whole mount.
                System.getLogger(Watcher.class.getName()).log(System.Logger.Level.WARNING, "inotify dispatch", e);
            }
        }
    }

    private void dispatch(Inotify.Event e) {
        if (e.has(Inotify.IN_Q_OVERFLOW)) {
            onOverflow();
            return;
        }
        Node n;
        synchronized (lock) {
            n = byWd.get(e.wd());
            if (e.has(Inotify.IN_IGNORED)) {
                if (n != null) {
                    byWd.remove(e.wd());
                    if (n.wd == e.wd()) n.wd = -1;
                }
                return;
            }
        }
        if (n != null && !n.freed) onEvent(n, e);
    }

    void stop() {
        stop = true;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        inotify.close();
    }

    // ---- turning events into invalidations (this thread)

    /** The node under {@code name} in {@code dir}: a name we handed out, else identified by stat. */
    private Node child(Node dir, Name name, boolean mayStat) {
        Node n = store.named(dir.ino(), name);
        if (n != null || !mayStat) return n;
        try (Lease l = dir.lease(mounts)) {
            Object key = null;
            if (handles.inUse()) key = handles.ofChild(l.fd, name);
            if (key == null) {
                Stat s = PosixFiles.statx(l.fd, name, AT_SYMLINK_NOFOLLOW, PassthroughFileSystem.STATX_MASK);
                key = new InodeKey(s.dev(), s.ino(), s.mntId());
            }
            return store.byKey(key);
        } catch (SysException | FsException e) {
            return null; // gone again (or cannot be identified): nothing cached to drop
        }
    }

    private void onEvent(Node dir, Inotify.Event e) {
        Name name = e.name();
        if (name == null) {
            if (e.has(Inotify.IN_ATTRIB | Inotify.IN_MODIFY)) hub.inode(dir.ino(), -1, 0);
            if (e.has(Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF)) {
                hub.inode(dir.ino(), -1, 0);
                for (NameKey k : store.namesOf(dir)) hub.entry(k.parent(), k.name());
            }
            return;
        }
        if (e.has(Inotify.IN_MODIFY | Inotify.IN_CLOSE_WRITE)) {
            Node ch = child(dir, name, true);
            if (ch != null) hub.inode(ch.ino(), 0, 0);
        }
        if (e.has(Inotify.IN_ATTRIB)) {
            Node ch = child(dir, name, true);
            if (ch != null) hub.inode(ch.ino(), -1, 0);
        }
        if (e.has(Inotify.IN_CREATE | Inotify.IN_MOVED_TO)) hub.entry(dir.ino(), name);
        if (e.has(Inotify.IN_DELETE | Inotify.IN_MOVED_FROM)) {
            Node ch = store.forgetName(dir.ino(), name);
            if (ch != null && e.has(Inotify.IN_DELETE)) {
                hub.delete(dir.ino(), ch.ino(), name);
            } else {
                hub.entry(dir.ino(), name);
                if (ch != null) hub.inode(ch.ino(), -1, 0); // ctime changed
            }
        }
    }

    /** Events were lost: drop everything the frontends may have cached. */
    private void onOverflow() {
        for (Node n : store.allNodes()) hub.inode(n.ino(), 0, 0);
        for (NameKey k : store.allNames()) hub.entry(k.parent(), k.name());
    }
}
