package io.strata.cli;

import io.strata.core.FileSystem;
import io.strata.fuse.FuseSession;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A mount and the file system the command built for it. Closing ends the mount (unmount, detach)
 * and then closes the file system, exactly once, whichever thread asks first (the main thread after
 * the mount ended, or the shutdown hook on SIGTERM / Ctrl-C); a second caller waits until the
 * first is done.
 *
 * <p>The hook is installed before the mount is attempted, so a signal that arrives while mounting
 * (or just after) still unmounts: {@link #closeFromSignal} waits for the attempt to finish first.
 */
final class OwnedMount {
    private final FileSystem fs;
    private final CountDownLatch attempted = new CountDownLatch(1);
    private FuseSession session; // guarded by this
    private boolean closed; // guarded by this

    OwnedMount(FileSystem fs) {
        this.fs = fs;
    }

    /** The mount is up; if a signal closed us meanwhile, it is ended at once. */
    void mounted(FuseSession s) {
        boolean late;
        synchronized (this) {
            late = closed;
            if (!late) session = s;
        }
        if (late) s.close();
        attempted.countDown();
    }

    /** The mount, once it is up (null before, or if it failed). */
    synchronized FuseSession session() {
        return session;
    }

    void mountFailed() {
        attempted.countDown();
    }

    /** From the shutdown hook: lets a mount in progress finish (bounded), then closes. */
    void closeFromSignal() {
        try {
            attempted.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            if (session != null) session.close();
        } finally {
            fs.close();
        }
    }
}
