package io.strata.memory;

import io.strata.core.Attr;
import io.strata.core.FileType;

/**
 * One inode: the attributes every file type shares, its lock ({@link InodeLock}) and, inherited
 * from core's {@link io.strata.core.inode.InodeNode}, its id, generation, lookup and open counts.
 *
 * <p>Fields are plain and guarded by this inode's lock, except:
 * <ul>
 * <li>lookup and open counts change atomically (InodeNode): lookups run concurrently under the
 *     namespace read lock and must not take a write lock just to count;</li>
 * <li>{@code nlink} is written only while holding both the namespace write lock and this lock, so
 *     holders of either may read it;</li>
 * <li>{@code mode}, {@code uid} and {@code gid} are read without the lock by lookup's search
 *     permission check (an int read cannot tear; a racing chmod is as benign as in the kernel).</li>
 * </ul>
 * Layout is kept small on purpose (MemoryFootprintTest): no per-inode maps or boxed values.
 */
abstract class MemInode extends InodeLock {
    static final int BLKSIZE = 4096;

    int mode;
    int nlink;
    int uid;
    int gid;
    /** An O_TMPFILE without O_EXCL: may get its first name through link() although nlink is 0. */
    boolean linkable;
    long atime, mtime, ctime;
    /** Extended attributes, allocated on the first setxattr. */
    Xattrs xattrs;

    MemInode(int ino, int generation, int mode, int uid, int gid, long now) {
        super(ino, generation);
        this.mode = mode;
        this.uid = uid;
        this.gid = gid;
        this.atime = this.mtime = this.ctime = now;
    }

    /** The id as the directory tables store it. */
    final int id() {
        return ino;
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

    /** Read under this lock (write) when deciding to free: a name in some directory points here. */
    @Override
    protected final boolean linked() {
        return nlink > 0;
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

    /** The attributes under the read lock: what permission checks of namespace operations look at. */
    final Attr lockedAttr() {
        readLock();
        try {
            return attr();
        } finally {
            readUnlock();
        }
    }

    /** relatime: update atime only if it is not newer than m/ctime or is a day old. */
    final boolean atimeStale(long now) {
        return atime <= mtime || atime <= ctime || now - atime >= 86_400_000_000_000L;
    }
}
