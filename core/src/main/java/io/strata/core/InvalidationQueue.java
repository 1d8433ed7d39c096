package io.strata.core;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded, coalescing buffer of invalidations between the threads that report them and the one
 * thread that delivers them (the FUSE notifier). Notices for the same inode merge into one (data
 * ranges widen to cover both), the same (parent, name) entry notice is kept once, and at most
 * {@code capacity} distinct notices wait: beyond that new ones are dropped and counted (the
 * consumer logs it), so a flood of host changes cannot grow the heap without bound.
 * {@code offer} never blocks for long (one short lock) and never calls out.
 */
public final class InvalidationQueue implements Invalidations {
    public static final int INODE = 0, ENTRY = 1, DELETE = 2;

    /** One pending notice. For INODE: a = ino, b = off, c = len. ENTRY: a = parent. DELETE: a = parent, b = child. */
    public record Note(int kind, long a, long b, long c, Name name) {}

    private record Key(int kind, long ino, Name name) {}

    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition nonEmpty = lock.newCondition();
    private final LinkedHashMap<Key, Note> pending = new LinkedHashMap<>(); // guarded by lock
    private long dropped;                                                  // guarded by lock

    public InvalidationQueue(int capacity) {
        this.capacity = capacity;
    }

    @Override
    public void inode(long ino, long off, long len) {
        offer(new Key(INODE, ino, null), new Note(INODE, ino, off, len, null));
    }

    @Override
    public void entry(long parent, Name name) {
        offer(new Key(ENTRY, parent, name), new Note(ENTRY, parent, 0, 0, name));
    }

    @Override
    public void delete(long parent, long child, Name name) {
        // Same key space as ENTRY: a delete supersedes an entry notice for the same name.
        Key k = new Key(ENTRY, parent, name);
        lock.lock();
        try {
            Note old = pending.remove(k);
            if (old == null && pending.size() >= capacity) {
                dropped++;
                return;
            }
            pending.put(k, new Note(DELETE, parent, child, 0, name));
            nonEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    private void offer(Key k, Note n) {
        lock.lock();
        try {
            Note old = pending.get(k);
            if (old != null) {
                if (k.kind == INODE) pending.put(k, merge(old, n));
                return; // an ENTRY or DELETE for this name is already waiting
            }
            if (pending.size() >= capacity) {
                dropped++;
                return;
            }
            pending.put(k, n);
            nonEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Attribute-only (off < 0) merges into anything; data ranges widen; len 0 means to EOF. */
    private static Note merge(Note a, Note b) {
        if (a.b < 0) return b;
        if (b.b < 0) return a;
        long start = Math.min(a.b, b.b);
        long end = (a.c == 0 || b.c == 0) ? 0 : Math.max(a.b + a.c, b.b + b.c);
        return new Note(INODE, a.a, start, end == 0 ? 0 : end - start, null);
    }

    /** The oldest pending notice, waiting up to {@code timeout}; null if none came. */
    public Note poll(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (pending.isEmpty()) {
                if (nanos <= 0) return null;
                nanos = nonEmpty.awaitNanos(nanos);
            }
            Iterator<Map.Entry<Key, Note>> it = pending.entrySet().iterator();
            Note n = it.next().getValue();
            it.remove();
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Notices dropped because the queue was full, since the last call (and resets the count). */
    public long takeDropped() {
        lock.lock();
        try {
            long d = dropped;
            dropped = 0;
            return d;
        } finally {
            lock.unlock();
        }
    }

    public int size() {
        lock.lock();
        try {
            return pending.size();
        } finally {
            lock.unlock();
        }
    }

    /** Delivers one note to {@code target}. */
    public static void deliver(Note n, Invalidations target) {
        switch (n.kind) {
            case INODE -> target.inode(n.a, n.b, n.c);
            case ENTRY -> target.entry(n.a, Objects.requireNonNull(n.name));
            default -> target.delete(n.a, n.b, n.name);
        }
    }
}
