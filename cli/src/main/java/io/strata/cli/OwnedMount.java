package io.strata.cli;

import io.strata.core.FileSystem;
import io.strata.fuse.FuseSession;

/**
 * A mount and the file system the command built for it. Closing ends the mount (unmount, detach)
 * and then closes the file system, exactly once, whichever thread asks first (the main thread after
 * the mount ended, or the shutdown hook on SIGTERM); a second caller waits until the first is done.
 */
final class OwnedMount {
    private final FuseSession session;
    private final FileSystem fs;
    private boolean closed; // guarded by this

    OwnedMount(FuseSession session, FileSystem fs) {
        this.session = session;
        this.fs = fs;
    }

    synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            session.close();
        } finally {
            fs.close();
        }
    }
}
