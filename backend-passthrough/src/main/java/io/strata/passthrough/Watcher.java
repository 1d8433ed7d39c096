package io.strata.passthrough;

import io.strata.core.Errno;
import io.strata.sys.Inotify;
import io.strata.sys.SysException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SHARED mode: watches every directory node the kernel knows of and turns host changes into
 * invalidations, on its own thread (Invalidations must not be sent from a request thread).
 *
 * <p>Watches are added through "/proc/self/fd/N" of the node's pinned descriptor, so the watched
 * inode is exactly the node's, whatever has been renamed meanwhile. When the per-user watch limit is
 * reached (ENOSPC) the directory is marked unwatched: the zero timeouts of SHARED still make every
 * lookup and getattr go to the host, and open revalidates, but an already open file's page cache
 * (or an mmap) is not dropped on a host write in that directory until the next open or stat.
 *
 * <p>Locking: {@link #lock} guards {@link #byWd}, each node's {@code wd} / {@code unwatched} and
 * {@link #unwatched}. It is never held together with the file system's table lock; event dispatch
 * runs without it.
 */
final class Watcher {
    static final int MASK = Inotify.IN_MODIFY | Inotify.IN_ATTRIB | Inotify.IN_CLOSE_WRITE | Inotify.IN_CREATE
            | Inotify.IN_DELETE | Inotify.IN_MOVED_FROM | Inotify.IN_MOVED_TO | Inotify.IN_DELETE_SELF
            | Inotify.IN_MOVE_SELF | Inotify.IN_ONLYDIR | Inotify.IN_EXCL_UNLINK;

    private final PassthroughFileSystem fs;
    private final Inotify inotify;
    private final Object lock = new Object();
    private final Map<Integer, Node> byWd = new HashMap<>();
    private int unwatched;
    private volatile boolean stop;
    private final Thread thread;
    /** Simulated per-user watch limit for tests (the real one is /proc/sys/fs/inotify/max_user_watches). */
    volatile int testLimit = Integer.MAX_VALUE;

    Watcher(PassthroughFileSystem fs) throws SysException {
        this.fs = fs;
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
                if (byWd.size() >= testLimit) throw new SysException("inotify_add_watch (test limit)", Errno.ENOSPC);
                int wd = inotify.addWatch("/proc/self/fd/" + fd, MASK);
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
            fs.onOverflow();
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
        if (n != null && !n.freed) fs.onEvent(n, e);
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
}
