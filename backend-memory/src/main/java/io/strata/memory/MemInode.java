package io.strata.memory;

import io.strata.core.Attr;
import io.strata.core.FileType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One inode: the attributes every file type shares, and (inherited) its own read/write lock.
 *
 * <p>Fields are plain and guarded by this inode's lock ({@link InodeLock}), except:
 * <ul>
 * <li>{@code lookups} changes atomically through {@link #LOOKUPS} (lookups run concurrently under
 *     the namespace read lock and must not take a write lock just to count);</li>
 * <li>{@code nlink} is written only while holding both the namespace write lock and this lock, so
 *     holders of either may read it;</li>
 * <li>{@code mode}, {@code uid} and {@code gid} are read without the lock by permission checks (an
 *     int read cannot tear; a racing chmod is as benign as it is in the kernel).</li>
 * </ul>
 * Layout is kept small on purpose: ~90 bytes with the lock, no per-inode maps or boxed values.
 */
abstract class MemInode extends InodeLock {
    static final int BLKSIZE = 4096;

    /** Bits of {@link #flags}. */
    static final byte FREED = 1, LINKABLE = 2;

    final int ino;
    final int generation;
    int mode;
    int nlink;
    int uid;
    int gid;
    /** Open file handles (not lookups); guarded by the lock. */
    int opens;
    byte flags;
    long atime, mtime, ctime;
    @SuppressWarnings("unused") // accessed through LOOKUPS
    private volatile long lookups;
    /** Extended attributes, allocated on the first setxattr. */
    Xattrs xattrs;

    static final VarHandle LOOKUPS;
    static {
        try {
            LOOKUPS = MethodHandles.lookup().findVarHandle(MemInode.class, "lookups", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    MemInode(int ino, int generation, int mode, int uid, int gid, long now) {
        this.ino = ino;
        this.generation = generation;
        this.mode = mode;
        this.uid = uid;
        this.gid = gid;
        this.atime = this.mtime = this.ctime = now;
    }

    final int type() {
        return mode & FileType.S_IFMT;
    }

    final boolean isDir() {
        return type() == FileType.S_IFDIR;
    }

    final boolean isRegular() {
        return type() == FileType.S_IFREG;
    }

    final long lookups() {
        return (long) LOOKUPS.getVolatile(this);
    }

    final void addLookups(long n) {
        LOOKUPS.getAndAdd(this, n);
    }

    /** Drops lookups, never below zero (a buggy frontend over-forgetting must not wrap the count). */
    final long dropLookups(long n) {
        for (;;) {
            long cur = lookups();
            long next = Math.max(0, cur - n);
            if (LOOKUPS.compareAndSet(this, cur, next)) return next;
        }
    }

    /** Caller holds the lock (write): true once nothing can reach this inode any more. */
    final boolean unreachable() {
        return nlink == 0 && opens == 0 && lookups() == 0 && (flags & FREED) == 0;
    }

    long size() {
        return 0;
    }

    /** Allocated bytes, for st_blocks. */
    long allocatedBytes() {
        return 0;
    }

    int rdev() {
        return 0;
    }

    /** Caller holds the lock (read or write). */
    final Attr attr() {
        return new Attr(ino, mode, nlink, uid, gid, rdev(), size(), (allocatedBytes() + 511) / 512, BLKSIZE,
                atime, mtime, ctime);
    }

    /** relatime: update atime only if it is not newer than m/ctime or is a day old. */
    final boolean atimeStale(long now) {
        return atime <= mtime || atime <= ctime || now - atime >= 86_400_000_000_000L;
    }
}
