package io.strata.memory;

import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * A tiny, non-reentrant, fair read/write lock that every inode <em>is</em> (MemInode extends it).
 *
 * <p>Why not a ReentrantReadWriteLock per inode: that costs ~120 bytes (lock, sync, two views,
 * thread-local hold counters) and the file system must hold a million inodes in a few hundred MB.
 * Inheriting AQS costs 16 bytes per inode (three AQS fields plus the owner field) and still gives
 * parked waiting, shared readers and exclusive writers.
 *
 * <p>State: 0 free, n > 0 held by n readers, -1 held by one writer. Readers queue behind a waiting
 * writer ({@link #hasQueuedPredecessors}) so a stream of reads cannot starve a write.
 * <b>Not reentrant</b>: code holding it must never try to take it again.
 */
abstract class InodeLock extends AbstractQueuedSynchronizer {

    final void readLock() {
        acquireShared(1);
    }

    final void readUnlock() {
        releaseShared(1);
    }

    final void writeLock() {
        acquire(1);
    }

    final void writeUnlock() {
        release(1);
    }

    @Override
    protected final boolean tryAcquire(int ignored) {
        return getState() == 0 && !hasQueuedPredecessors() && compareAndSetState(0, -1);
    }

    @Override
    protected final boolean tryRelease(int ignored) {
        setState(0);
        return true;
    }

    @Override
    protected final int tryAcquireShared(int ignored) {
        for (;;) {
            int s = getState();
            if (s < 0 || hasQueuedPredecessors()) return -1;
            if (compareAndSetState(s, s + 1)) return 1;
        }
    }

    @Override
    protected final boolean tryReleaseShared(int ignored) {
        for (;;) {
            int s = getState();
            if (compareAndSetState(s, s - 1)) return s == 1;
        }
    }
}
