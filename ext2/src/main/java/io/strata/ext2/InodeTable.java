package io.strata.ext2;

import io.strata.core.FsException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Inode-table access and the table of loaded inodes. There is at most one {@link Ext2Inode} object
 * per inode number at a time, so all threads see (and lock) the same object. An object stays
 * loaded while it is pinned (an operation is using it), has open handles or has lookup references
 * (the last two are counted by core's {@link io.strata.core.inode.InodeNode}); when all are gone it
 * is dropped, and if its link count is 0 it is reclaimed first (blocks, xattr block and inode
 * freed) — that is the in-memory orphan handling for unlinked-but-open files.
 *
 * <p>Lock order: the table monitor is held only for map bookkeeping, except during reclaim, which
 * takes the inode's write lock and then group allocator locks.
 */
final class InodeTable {
    interface Reclaimer {
        void reclaim(Ext2Inode inode) throws FsException;
    }

    private static final System.Logger LOG = System.getLogger(InodeTable.class.getName());

    private final Superblock sb;
    private final GroupDescriptors gdt;
    private final BufferCache cache;
    private final int inodeSize, bs;
    private final long firstIno;
    private final LoadedInodes loaded = new LoadedInodes();
    Reclaimer reclaimer;

    InodeTable(Superblock sb, GroupDescriptors gdt, BufferCache cache) {
        this.sb = sb;
        this.gdt = gdt;
        this.cache = cache;
        this.inodeSize = sb.inodeSize();
        this.bs = sb.blockSize();
        this.firstIno = sb.firstIno();
    }

    private long blockOf(int ino) {
        long idx = (ino - 1) % sb.inodesPerGroup();
        int g = (int) ((ino - 1) / sb.inodesPerGroup());
        return gdt.inodeTable(g) + idx * inodeSize / bs;
    }

    private int offsetOf(int ino) {
        long idx = (ino - 1) % sb.inodesPerGroup();
        return (int) (idx * inodeSize % bs);
    }

    boolean validIno(long ino) {
        return ino >= 1 && ino <= sb.inodesCount();
    }

    byte[] readRaw(int ino) throws FsException {
        if (!validIno(ino)) throw Corrupt.eio("inode number " + ino + " out of range");
        byte[] raw = new byte[inodeSize];
        try (BufferCache.Buffer b = cache.get(blockOf(ino))) {
            b.read(offsetOf(ino), raw, 0, inodeSize);
        }
        return raw;
    }

    /**
     * Stores the inode's fields into its inode-table block (in the cache), over the bytes there so
     * that fields we do not decode are kept; a fresh inode's first write replaces all of them.
     * Caller holds the inode's write lock (one writer per inode; other inodes of the block touch
     * other bytes).
     */
    void write(Ext2Inode inode) throws FsException {
        try (BufferCache.Buffer b = cache.get(blockOf(inode.number))) {
            byte[] raw = inode.fresh ? freshRaw() : new byte[inodeSize];
            if (!inode.fresh) b.read(offsetOf(inode.number), raw, 0, inodeSize);
            inode.encode(raw);
            b.write(offsetOf(inode.number), raw, 0, inodeSize);
            inode.fresh = false;
        }
    }

    /** The on-disk bytes of a just-allocated inode before its fields: zeros, room for nanosecond times. */
    private byte[] freshRaw() {
        byte[] raw = new byte[inodeSize];
        if (inodeSize > 128) {
            // room for nanosecond timestamps, as mke2fs and the kernel do for large inodes
            raw[128] = 32;
        }
        return raw;
    }

    /** The inode's bytes as they will be on disk apart from the decoded fields (for in-inode xattrs). */
    byte[] currentRaw(Ext2Inode inode) throws FsException {
        return inode.fresh ? freshRaw() : readRaw(inode.number);
    }

    /** Zeroes the in-inode xattr area on disk (its attributes moved to the xattr block). Caller holds the inode's write lock. */
    void clearInodeXattrs(Ext2Inode inode) throws FsException {
        if (inode.fresh) return; // its first write zeroes the area anyway
        try (BufferCache.Buffer b = cache.get(blockOf(inode.number))) {
            byte[] raw = new byte[inodeSize];
            b.read(offsetOf(inode.number), raw, 0, inodeSize);
            XattrBlock.clearInode(raw);
            b.write(offsetOf(inode.number), raw, 0, inodeSize);
        }
    }

    /** Pins and returns the inode object, loading it if needed. */
    Ext2Inode get(int ino) throws FsException {
        synchronized (this) {
            Ext2Inode i = loaded.get(ino);
            if (i != null) {
                i.pins++;
                return i;
            }
        }
        byte[] raw = readRaw(ino);
        synchronized (this) {
            Ext2Inode i = loaded.get(ino);
            if (i == null) {
                i = new Ext2Inode(ino, raw);
                loaded.put(i);
            }
            i.pins++;
            return i;
        }
    }

    /** A fresh inode (just allocated): zeroed raw bytes but for the generation, pinned. */
    Ext2Inode create(int ino, int generation) throws FsException {
        byte[] raw = freshRaw();
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putInt(100, generation);
        synchronized (this) {
            Ext2Inode stale = loaded.get(ino);
            if (stale != null && !stale.freed) throw Corrupt.eio("inode " + ino + " allocated while in use");
            Ext2Inode i = new Ext2Inode(ino, raw);
            i.fresh = true;
            i.pins = 1;
            loaded.put(i);
            return i;
        }
    }

    /**
     * Marks an inode freed before its number goes back to the bitmap: from then on a concurrent
     * allocation of the same number replaces this object instead of mistaking it for a live inode.
     */
    synchronized void markFreed(Ext2Inode i) {
        i.freed = true;
    }

    /** Whether anything but the caller's own pin keeps the inode: references, handles, other pins. */
    synchronized boolean referencedElsewhere(Ext2Inode i) {
        return i.lookups() > 0 || i.opens() > 0 || i.pins > 1;
    }

    /** More lookup references; the caller holds a pin. */
    void addLookups(Ext2Inode i, long n) {
        synchronized (this) {
            i.addLookups(n);
        }
    }

    /** Drops lookup references of a loaded inode (ids not loaded hold none: nothing to do). */
    void forget(int ino, long n) {
        Ext2Inode i;
        synchronized (this) {
            i = loaded.get(ino);
            if (i == null) return;
            i.dropLookups(n);
            i.pins++;
        }
        put(i);
    }

    /** An open handle now refers to the inode; the caller holds a pin. */
    void opened(Ext2Inode i) {
        synchronized (this) {
            i.opened();
        }
    }

    /** An open handle is gone: the inode may be dropped or reclaimed. */
    void closed(Ext2Inode i) {
        synchronized (this) {
            i.closed();
            i.pins++;
        }
        put(i);
    }

    /**
     * Whether an unlinked inode is ours to free: every inode from s_first_ino on (the first
     * regular inode, 11 on every image mke2fs makes); below it are the reserved inodes (root,
     * resize inode, journal...), never freed by us even if their link count looks like zero.
     */
    private boolean reclaimable(Ext2Inode i) {
        return !i.freed && i.number >= firstIno && i.unused();
    }

    /** Unpins; drops (and, if unlinked, reclaims) the inode when nothing refers to it anymore. */
    void put(Ext2Inode i) {
        boolean reclaim;
        synchronized (this) {
            if (--i.pins > 0 || i.lookups() > 0 || i.opens() > 0) return;
            reclaim = reclaimable(i);
            if (!reclaim) {
                if (loaded.get(i.number) == i) loaded.remove(i.number);
                return;
            }
            i.pins++; // keep it loaded while reclaiming, so nobody reloads a half-freed inode
        }
        try {
            reclaimer.reclaim(i);
        } catch (FsException e) {
            LOG.log(System.Logger.Level.WARNING, "ext2: could not free unlinked inode " + i.number + ": " + e.getMessage());
        }
        synchronized (this) {
            i.freed = true;
            if (--i.pins == 0 && i.lookups() == 0 && i.opens() == 0 && loaded.get(i.number) == i) loaded.remove(i.number);
        }
    }

    synchronized int loadedCount() {
        return loaded.size();
    }

    /** Lookup references held on inode {@code number} (0 if it is not loaded): for tests. */
    synchronized long lookupsOf(int number) {
        Ext2Inode i = loaded.get(number);
        return i == null ? 0 : i.lookups();
    }

    /** Inodes still referenced at unmount with no links: reclaim them now. */
    void reclaimAllUnlinked() {
        java.util.List<Ext2Inode> todo;
        synchronized (this) {
            todo = loaded.matching(x -> x.links == 0 && !x.freed && x.number >= firstIno);
            for (Ext2Inode x : todo) x.pins++;
        }
        for (Ext2Inode x : todo) {
            try {
                reclaimer.reclaim(x);
            } catch (FsException e) {
                LOG.log(System.Logger.Level.WARNING, "ext2: could not free unlinked inode " + x.number);
            }
            synchronized (this) {
                x.freed = true;
                x.pins--;
            }
        }
    }
}
