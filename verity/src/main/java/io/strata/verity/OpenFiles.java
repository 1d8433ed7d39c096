package io.strata.verity;

import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.core.OpenFlags;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The verity stacker's per-inode open state: handles opened through it (with their flags), opens
 * in progress, an enable in progress, and the {@link VerifiedFile} that reads of a verity file go
 * through. This is what makes FS_IOC_ENABLE_VERITY exclusive against writers, as the kernel's
 * deny_write_access does: an enable fails with ETXTBSY while a handle may write, and an open for
 * writing fails with ETXTBSY while an enable runs.
 *
 * <p><b>Locking:</b> one monitor, {@code lock}, guards every Node's fields, the map's membership
 * and {@code epoch}. It is held only for bookkeeping, never across a lower-layer call. Reads find
 * a Node's {@link VerifiedFile} without the lock (the map is concurrent, the field volatile).
 *
 * <p><b>Epoch:</b> counts finished enables. An open reads the epoch, then the descriptor (outside
 * the lock), then registers; if an enable finished in between, registration fails and the open
 * looks again, so no handle is ever registered as "not verity" on a verity file.
 */
final class OpenFiles {
    private static final class Node {
        int pending, pendingWriters;
        boolean enabling;
        final Map<Long, Integer> handles = new HashMap<>();
        volatile VerifiedFile verity;

        boolean idle() {
            return pending == 0 && handles.isEmpty() && !enabling;
        }

        boolean hasWriters() {
            if (pendingWriters > 0) return true;
            for (int f : handles.values()) if (writes(f)) return true;
            return false;
        }
    }

    private final Object lock = new Object();
    private final ConcurrentHashMap<Long, Node> nodes = new ConcurrentHashMap<>();
    private long epoch;

    static boolean writes(int flags) {
        return OpenFlags.writes(flags) || (flags & OpenFlags.O_TRUNC) != 0;
    }

    long epoch() {
        synchronized (lock) {
            return epoch;
        }
    }

    /**
     * Registers an open (or a truncate) about to reach the lower layer. False if an enable finished
     * since {@code seenEpoch} (look at the file again); ETXTBSY if a writer meets a running enable.
     */
    boolean begin(long ino, boolean writer, long seenEpoch) throws FsException {
        synchronized (lock) {
            if (epoch != seenEpoch) return false;
            Node n = nodes.computeIfAbsent(ino, k -> new Node());
            if (writer && n.enabling) {
                if (n.idle()) nodes.remove(ino);
                throw new FsException(Errno.ETXTBSY, "verity is being enabled on this file");
            }
            n.pending++;
            if (writer) n.pendingWriters++;
            return true;
        }
    }

    /** The registered open reached the lower layer and got {@code fh}; {@code verity} may be null. */
    void opened(long ino, boolean writer, long fh, int flags, VerifiedFile verity) {
        synchronized (lock) {
            Node n = nodes.get(ino);
            n.pending--;
            if (writer) n.pendingWriters--;
            n.handles.put(fh, flags);
            if (verity != null && n.verity == null) n.verity = verity;
        }
    }

    /** A handle made without {@link #begin} (create, tmpfile: a new file cannot be verity or enabling). */
    void created(long ino, long fh, int flags) {
        synchronized (lock) {
            nodes.computeIfAbsent(ino, k -> new Node()).handles.put(fh, flags);
        }
    }

    /** The registered open or truncate is over without a handle. */
    void end(long ino, boolean writer) {
        synchronized (lock) {
            Node n = nodes.get(ino);
            n.pending--;
            if (writer) n.pendingWriters--;
            if (n.idle()) nodes.remove(ino);
            lock.notifyAll();
        }
    }

    void released(long ino, long fh) {
        synchronized (lock) {
            Node n = nodes.get(ino);
            if (n == null) return;
            n.handles.remove(fh);
            if (n.idle()) nodes.remove(ino);
            lock.notifyAll(); // an enable may wait for this writer (RELEASE_GRACE_NS)
        }
    }

    /** The open flags of a handle opened through this stacker, or -1. */
    int flags(long ino, long fh) {
        synchronized (lock) {
            Node n = nodes.get(ino);
            Integer f = n == null ? null : n.handles.get(fh);
            return f == null ? -1 : f;
        }
    }

    /** The verified tree reads of {@code ino} go through, or null (not verity, or not open). */
    VerifiedFile verity(long ino) {
        Node n = nodes.get(ino);
        return n == null ? null : n.verity;
    }

    /**
     * How long an enable waits for writers to go away before ETXTBSY. FUSE sends RELEASE after
     * close(2) has returned, asynchronously: `cp f MNT/f && fsverity enable MNT/f` would otherwise
     * meet the copy's handle still registered here, where the kernel's own check (i_writecount,
     * dropped at the last fput) would already pass.
     */
    static final long RELEASE_GRACE_NS = 2_000_000_000L;

    /** Starts an enable: ETXTBSY if any handle may write (after {@link #RELEASE_GRACE_NS}), EBUSY if another enable runs. */
    void beginEnable(long ino) throws FsException {
        synchronized (lock) {
            Node n = nodes.computeIfAbsent(ino, k -> new Node());
            if (n.enabling) throw new FsException(Errno.EBUSY, "verity is already being enabled");
            long deadline = System.nanoTime() + RELEASE_GRACE_NS;
            while (n.hasWriters() && !n.enabling) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                try {
                    lock.wait(left / 1_000_000L + 1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                n = nodes.computeIfAbsent(ino, k -> new Node()); // released() may have dropped the idle node
            }
            if (n.enabling) throw new FsException(Errno.EBUSY, "verity is already being enabled");
            if (n.hasWriters()) {
                if (n.idle()) nodes.remove(ino);
                throw new FsException(Errno.ETXTBSY, "file is open for writing");
            }
            n.enabling = true;
        }
    }

    /** Ends an enable; {@code verity} (null if it failed) serves the handles already open. */
    void endEnable(long ino, VerifiedFile verity) {
        synchronized (lock) {
            Node n = nodes.get(ino);
            n.enabling = false;
            if (verity != null) n.verity = verity;
            epoch++;
            if (n.idle()) nodes.remove(ino);
        }
    }
}
