package io.strata.ext2;

import io.strata.core.FsException;
import java.util.HashMap;
import java.util.Map;

/**
 * Inode-table access and the table of loaded inodes. There is at most one {@link Ext2Inode} object
 * per inode number at a time, so all threads see (and lock) the same object. An object stays
 * loaded while it is pinned (an operation is using it, or a file handle is open) or has lookup
 * references; when the last goes away it is dropped, and if its link count is 0 it is reclaimed
 * first (blocks, xattr block and inode freed) — that is the in-memory orphan handling for
 * unlinked-but-open files.
 *
 * <p>Lock order: the table monitor is held only for map bookkeeping, except during reclaim, which
 * takes the inode's write lock and then the allocator lock.
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
    private final Map<Integer, Ext2Inode> loaded = new HashMap<>();
    Reclaimer reclaimer;

    InodeTable(Superblock sb, GroupDescriptors gdt, BufferCache cache) {
        this.sb = sb;
        this.gdt = gdt;
        this.cache = cache;
        this.inodeSize = sb.inodeSize();
        this.bs = sb.blockSize();
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

    /** Stores the inode's fields into its inode-table block (in the cache). */
    void write(Ext2Inode inode) throws FsException {
        byte[] raw = inode.encode();
        try (BufferCache.Buffer b = cache.get(blockOf(inode.ino))) {
            b.write(offsetOf(inode.ino), raw, 0, inodeSize);
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
                loaded.put(ino, i);
            }
            i.pins++;
            return i;
        }
    }

    /** A fresh inode (just allocated): zeroed raw bytes, pinned. */
    Ext2Inode create(int ino) throws FsException {
        byte[] raw = new byte[inodeSize];
        if (inodeSize > 128) {
            // room for nanosecond timestamps, as mke2fs and the kernel do for large inodes
            raw[128] = 32;
        }
        synchronized (this) {
            Ext2Inode stale = loaded.get(ino);
            if (stale != null && !stale.freed) throw Corrupt.eio("inode " + ino + " allocated while in use");
            Ext2Inode i = new Ext2Inode(ino, raw);
            i.pins = 1;
            loaded.put(ino, i);
            return i;
        }
    }

    void addLookup(Ext2Inode i) {
        synchronized (this) {
            i.nlookup++;
        }
    }

    void forget(int ino, long n) {
        Ext2Inode i;
        synchronized (this) {
            i = loaded.get(ino);
            if (i == null) return;
            i.nlookup = Math.max(0, i.nlookup - n);
            i.pins++;
        }
        put(i);
    }

    /** Unpins; drops (and, if unlinked, reclaims) the inode when nothing refers to it anymore. */
    void put(Ext2Inode i) {
        boolean reclaim;
        synchronized (this) {
            if (--i.pins > 0 || i.nlookup > 0) return;
            reclaim = i.links == 0 && !i.freed && i.ino > 11;
            if (!reclaim) {
                if (loaded.get(i.ino) == i) loaded.remove(i.ino);
                return;
            }
            i.pins++; // keep it loaded while reclaiming, so nobody reloads a half-freed inode
        }
        try {
            reclaimer.reclaim(i);
        } catch (FsException e) {
            LOG.log(System.Logger.Level.WARNING, "ext2: could not free unlinked inode " + i.ino + ": " + e.getMessage());
        }
        synchronized (this) {
            i.freed = true;
            if (--i.pins == 0 && i.nlookup == 0 && loaded.get(i.ino) == i) loaded.remove(i.ino);
        }
    }

    synchronized int loadedCount() {
        return loaded.size();
    }

    /** Inodes still referenced at unmount with no links: reclaim them now. */
    void reclaimAllUnlinked() {
        java.util.List<Ext2Inode> todo;
        synchronized (this) {
            todo = loaded.values().stream().filter(x -> x.links == 0 && !x.freed && x.ino > 11).toList();
            for (Ext2Inode x : todo) x.pins++;
        }
        for (Ext2Inode x : todo) {
            try {
                reclaimer.reclaim(x);
            } catch (FsException e) {
                LOG.log(System.Logger.Level.WARNING, "ext2: could not free unlinked inode " + x.ino);
            }
            synchronized (this) {
                x.freed = true;
                x.pins--;
            }
        }
    }
}
