package io.strata.core.inode;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The bookkeeping every in-memory inode needs, whatever stores it: its id and generation, the
 * lookup references frontends hold, and the open handles. Backends extend it with their own state.
 * Counts change atomically (lookups run in parallel); deciding to free is the backend's, under its
 * own lock, through {@link InodeTable#freeIfUnused}.
 */
public abstract class InodeNode {
    private static final VarHandle LOOKUPS, OPENS;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            LOOKUPS = l.findVarHandle(InodeNode.class, "lookups", long.class);
            OPENS = l.findVarHandle(InodeNode.class, "opens", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    protected final int ino;
    protected final int generation;
    private volatile long lookups;
    private volatile int opens;

    protected InodeNode(int ino, int generation) {
        this.ino = ino;
        this.generation = generation;
    }

    public final long ino() {
        return ino;
    }

    public final long generation() {
        return Integer.toUnsignedLong(generation);
    }

    public final long lookups() {
        return lookups;
    }

    public final int opens() {
        return opens;
    }

    public final void addLookups(long n) {
        LOOKUPS.getAndAdd(this, n);
    }

    /** Drops up to {@code n} references (never below zero); returns what remains. */
    public final long dropLookups(long n) {
        while (true) {
            long cur = lookups;
            long next = Math.max(0, cur - n);
            if (LOOKUPS.compareAndSet(this, cur, next)) return next;
        }
    }

    public final void opened() {
        OPENS.getAndAdd(this, 1);
    }

    /** Returns the open count after this close (never below zero). */
    public final int closed() {
        while (true) {
            int cur = opens;
            int next = Math.max(0, cur - 1);
            if (OPENS.compareAndSet(this, cur, next)) return next;
        }
    }

    /** True while some name in the file system still points here (link count > 0). */
    protected abstract boolean linked();

    /** No name, no lookup reference, no open handle: the inode may be freed. */
    public final boolean unused() {
        return lookups == 0 && opens == 0 && !linked();
    }
}
