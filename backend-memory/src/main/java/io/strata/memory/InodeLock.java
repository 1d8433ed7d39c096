package io.strata.memory;

import io.strata.core.inode.InodeNode;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A tiny, non-reentrant read/write lock that every inode <em>is</em> (MemInode extends it), on top
 * of core's {@link InodeNode} bookkeeping.
 *
 * <p>Why not a lock object per inode: a ReentrantReadWriteLock costs ~120 bytes and even an AQS
 * subclass 16, while a million inodes must fit a few hundred MB. Here the whole lock is one int
 * in the inode; waiting threads park on one of {@link #QUEUES} shared monitors chosen by hashing
 * the inode id, as the kernel's {@code wait_on_bit} uses hashed wait queues. Uncontended, a lock
 * or unlock is one compare-and-set.
 *
 * <p>State: bits 0-27 the number of readers, {@link #WRITER} held by one writer,
 * {@link #WRITER_WAITING} a writer waits (new readers queue behind it, so a stream of reads cannot
 * starve a write), {@link #WAITERS} someone sleeps on this inode's queue. A waiter sets WAITERS
 * (and WRITER_WAITING) while holding the queue's monitor, so a release that clears WAITERS and then
 * notifies under that monitor cannot miss it. Every release to "free" clears all bits and wakes the
 * queue if WAITERS was set; the woken re-check and re-announce themselves. The last reader out
 * keeps WRITER_WAITING so the writer it wakes wins against readers arriving at that moment.
 *
 * <p><b>Not reentrant</b>: code holding it must never try to take it again.
 */
abstract class InodeLock extends InodeNode {
    private static final int READERS = (1 << 28) - 1, WRITER_WAITING = 1 << 28, WAITERS = 1 << 29, WRITER = 1 << 30;
    /** Short critical sections: spin a little before sleeping. */
    private static final int SPINS = 64;
    private static final Object[] QUEUES = new Object[256];
    private static final VarHandle STATE;
    static {
        for (int i = 0; i < QUEUES.length; i++) QUEUES[i] = new Object();
        try {
            STATE = MethodHandles.lookup().findVarHandle(InodeLock.class, "lockState", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile int lockState;

    InodeLock(int ino, int generation) {
        super(ino, generation);
    }

    final void readLock() {
        for (int spins = 0; ; ) {
            int s = lockState;
            if ((s & (WRITER | WRITER_WAITING)) == 0) {
                if (STATE.compareAndSet(this, s, s + 1)) return;
            } else if (spins < SPINS) {
                spins++;
                Thread.onSpinWait();
            } else {
                await(false);
                spins = 0;
            }
        }
    }

    final void readUnlock() {
        for (;;) {
            int s = lockState;
            // The last reader out keeps WRITER_WAITING: the woken writer must get in before any
            // reader that arrives meanwhile (only a writer taking the lock clears the bit).
            int next = (s & READERS) == 1 ? s & WRITER_WAITING : s - 1;
            if (STATE.compareAndSet(this, s, next)) {
                if ((next & READERS) == 0 && (s & WAITERS) != 0) wake();
                return;
            }
        }
    }

    final void writeLock() {
        for (int spins = 0; ; ) {
            int s = lockState;
            if ((s & (WRITER | READERS)) == 0) {
                // Clears WRITER_WAITING: a writer got in; one still waiting sets it again when it wakes.
                if (STATE.compareAndSet(this, s, (s & WAITERS) | WRITER)) return;
            } else if (spins < SPINS) {
                spins++;
                Thread.onSpinWait();
            } else {
                await(true);
                spins = 0;
            }
        }
    }

    final void writeUnlock() {
        int s = (int) STATE.getAndSet(this, 0);
        if ((s & WAITERS) != 0) wake();
    }

    private Object queue() {
        return QUEUES[(ino * 0x9E3779B9) >>> 24];
    }

    /** Sleeps until a release if the lock is still unavailable; the caller retries either way. */
    private void await(boolean writer) {
        Object q = queue();
        boolean interrupted = false;
        synchronized (q) {
            int s = lockState;
            boolean blocked = writer ? (s & (WRITER | READERS)) != 0 : (s & (WRITER | WRITER_WAITING)) != 0;
            if (!blocked) return;
            int announced = s | WAITERS | (writer ? WRITER_WAITING : 0);
            if (announced != s && !STATE.compareAndSet(this, s, announced)) return; // changed meanwhile
            try {
                q.wait();
            } catch (InterruptedException e) {
                interrupted = true; // locking is uninterruptible; keep the status for the caller
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private void wake() {
        Object q = queue();
        synchronized (q) {
            q.notifyAll();
        }
    }
}
