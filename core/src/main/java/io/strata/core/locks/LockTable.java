package io.strata.core.locks;

import io.strata.core.Errno;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Advisory locks held through a frontend: POSIX byte-range locks (fcntl, owned by a lock owner =
 * the caller's files_struct) and flock locks (owned by the open file), in separate namespaces as
 * on Linux. Frontends (FUSE, 9P) keep one table per mount; file systems need not know.
 *
 * <p>Blocking requests never block a thread: {@link #lockOrWait} either grants at once or parks a
 * waiter whose callback runs when a later change lets it through (or {@link #cancel} ends it with
 * EINTR). Callbacks run after the table's monitor is released, so they may reply to the kernel.
 *
 * <p>Locking: one monitor (this) guards every inode's lists; lock traffic is rare next to I/O.
 * Deadlock detection between waiters is not done (the kernel's local locks do it; we do not).
 */
public final class LockTable {
    public static final int F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
    public static final long OFFSET_MAX = Long.MAX_VALUE;

    /** A lock or lock request: [start, end] inclusive. */
    public record Lock(long start, long end, int type, int pid) {
        boolean overlaps(Lock o) {
            return start <= o.end && o.start <= end;
        }
    }

    private record Held(long owner, Lock lock) {}

    private record Waiter(long id, long ino, long owner, boolean flock, Lock lock, IntConsumer done) {}

    private static final class InodeLocks {
        final List<Held> posix = new ArrayList<>();
        final List<Held> flock = new ArrayList<>();

        boolean isEmpty() {
            return posix.isEmpty() && flock.isEmpty();
        }
    }

    private final Map<Long, InodeLocks> inodes = new HashMap<>();
    private final List<Waiter> waiters = new ArrayList<>();

    /** The first lock of another owner that conflicts with {@code want}, or null (F_GETLK). */
    public synchronized Lock test(long ino, long owner, boolean flock, Lock want) {
        InodeLocks il = inodes.get(ino);
        if (il == null) return null;
        Held h = conflict(flock ? il.flock : il.posix, owner, want);
        return h == null ? null : h.lock;
    }

    /** Applies (or, for F_UNLCK, removes) at once; EAGAIN if another owner conflicts (F_SETLK). */
    public void lock(long ino, long owner, boolean flock, Lock want) throws LockException {
        List<Waiter> granted;
        synchronized (this) {
            if (!tryApply(ino, owner, flock, want)) throw new LockException(Errno.EAGAIN);
            granted = wakeWaiters();
        }
        run(granted);
    }

    /**
     * F_SETLKW: grants at once (callback with 0 before returning) or parks the request under
     * {@code waitId} until it can be granted.
     */
    public void lockOrWait(long ino, long owner, boolean flock, Lock want, long waitId, IntConsumer done) {
        List<Waiter> granted;
        boolean now;
        synchronized (this) {
            now = tryApply(ino, owner, flock, want);
            if (!now) waiters.add(new Waiter(waitId, ino, owner, flock, want, done));
            granted = now ? wakeWaiters() : List.of();
        }
        if (now) done.accept(0);
        run(granted);
    }

    /** Ends a parked request with EINTR (FUSE INTERRUPT). Returns false if none was parked. */
    public boolean cancel(long waitId) {
        Waiter found = null;
        synchronized (this) {
            for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (w.id == waitId) {
                    found = w;
                    it.remove();
                    break;
                }
            }
        }
        if (found == null) return false;
        found.done.accept(Errno.EINTR);
        return true;
    }

    /** Drops every POSIX lock of {@code owner} on {@code ino} (close of any fd by that process). */
    public void releasePosix(long ino, long owner) {
        release(ino, owner, false);
    }

    /** Drops the flock lock of {@code owner} (last close of that open file). */
    public void releaseFlock(long ino, long owner) {
        release(ino, owner, true);
    }

    private void release(long ino, long owner, boolean flock) {
        List<Waiter> granted;
        synchronized (this) {
            InodeLocks il = inodes.get(ino);
            if (il == null) return;
            (flock ? il.flock : il.posix).removeIf(h -> h.owner == owner);
            if (il.isEmpty()) inodes.remove(ino);
            granted = wakeWaiters();
        }
        run(granted);
    }

    public synchronized int heldCount(long ino) {
        InodeLocks il = inodes.get(ino);
        return il == null ? 0 : il.posix.size() + il.flock.size();
    }

    public synchronized int waiterCount() {
        return waiters.size();
    }

    // ---- under the monitor ----

    private static Held conflict(List<Held> held, long owner, Lock want) {
        if (want.type == F_UNLCK) return null;
        for (Held h : held) {
            if (h.owner == owner || !h.lock.overlaps(want)) continue;
            if (want.type == F_WRLCK || h.lock.type == F_WRLCK) return h;
        }
        return null;
    }

    private boolean tryApply(long ino, long owner, boolean flock, Lock want) {
        InodeLocks il = inodes.computeIfAbsent(ino, k -> new InodeLocks());
        List<Held> list = flock ? il.flock : il.posix;
        if (conflict(list, owner, want) != null) return false;
        // Replace the owner's locks over the range: trim or split what overlaps, then add.
        List<Held> keep = new ArrayList<>();
        for (Held h : list) {
            if (h.owner != owner || !h.lock.overlaps(want)) {
                keep.add(h);
                continue;
            }
            Lock l = h.lock;
            if (l.start < want.start) keep.add(new Held(owner, new Lock(l.start, want.start - 1, l.type, l.pid)));
            if (l.end > want.end) keep.add(new Held(owner, new Lock(want.end + 1, l.end, l.type, l.pid)));
        }
        if (want.type != F_UNLCK) keep.add(new Held(owner, want));
        list.clear();
        list.addAll(keep);
        if (il.isEmpty()) inodes.remove(ino);
        return true;
    }

    private List<Waiter> wakeWaiters() {
        List<Waiter> granted = new ArrayList<>();
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (tryApply(w.ino, w.owner, w.flock, w.lock)) {
                    it.remove();
                    granted.add(w);
                    progress = true;
                }
            }
        }
        return granted;
    }

    private static void run(List<Waiter> granted) {
        for (Waiter w : granted) w.done.accept(0);
    }

    /** A lock request refused with an errno. */
    public static final class LockException extends Exception {
        private final int errno;

        LockException(int errno) {
            super(Errno.name(errno), null, false, false);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }
}
