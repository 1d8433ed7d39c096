package io.strata.ext2;

import io.strata.core.FsException;
import io.strata.core.Errno;

/**
 * Inode allocation. Directories are spread out (a simplified Orlov: among groups with at least the
 * average number of free inodes and free blocks, the one with the fewest directories) so unrelated
 * trees do not compete for the same group; files go to their parent directory's group (then a
 * quadratic probe, then a linear scan, as ext2's find_group_other) so a directory's files and
 * their data stay close. A group's inode bitmap and counts change under that group's lock
 * ({@link GroupLocks}); choosing the group reads the counts without locks (estimates).
 */
final class InodeAllocator {
    private final Superblock sb;
    private final GroupDescriptors gdt;
    private final BufferCache cache;
    private final GroupLocks locks;

    InodeAllocator(Superblock sb, GroupDescriptors gdt, BufferCache cache, GroupLocks locks) {
        this.sb = sb;
        this.gdt = gdt;
        this.cache = cache;
        this.locks = locks;
    }

    int alloc(int parentIno, boolean dir) throws FsException {
        int groups = gdt.count();
        int parentGroup = (int) ((parentIno - 1) / sb.inodesPerGroup());
        int g = dir ? findGroupDir(parentGroup) : findGroupOther(parentGroup);
        if (g < 0) throw new FsException(Errno.ENOSPC);
        for (int k = 0; k < groups; k++) {
            int gg = (g + k) % groups;
            if (gdt.freeInodes(gg) == 0) continue;
            locks.lock(gg);
            try {
                if (gdt.freeInodes(gg) == 0) continue;
                int ino = allocInGroup(gg);
                if (ino > 0) {
                    if (dir) gdt.addUsedDirs(gg, 1);
                    return ino;
                }
            } finally {
                locks.unlock(gg);
            }
        }
        throw new FsException(Errno.ENOSPC);
    }

    private int findGroupDir(int parentGroup) {
        int groups = gdt.count();
        long avgInodes = gdt.totalFreeInodes() / groups;
        long avgBlocks = gdt.totalFreeBlocks() / groups;
        int best = -1;
        for (int k = 0; k < groups; k++) {
            int g = (parentGroup + k) % groups;
            if (gdt.freeInodes(g) == 0 || gdt.freeInodes(g) < avgInodes || gdt.freeBlocks(g) < avgBlocks) continue;
            if (best < 0 || gdt.usedDirs(g) < gdt.usedDirs(best)) best = g;
        }
        return best >= 0 ? best : findGroupOther(parentGroup);
    }

    private int findGroupOther(int parentGroup) {
        int groups = gdt.count();
        if (gdt.freeInodes(parentGroup) > 0 && gdt.freeBlocks(parentGroup) > 0) return parentGroup;
        int g = parentGroup;
        for (int i = 1; i < groups; i <<= 1) {
            g = (g + i) % groups;
            if (gdt.freeInodes(g) > 0 && gdt.freeBlocks(g) > 0) return g;
        }
        for (int k = 0; k < groups; k++) {
            g = (parentGroup + k) % groups;
            if (gdt.freeInodes(g) > 0) return g;
        }
        return -1;
    }

    private int allocInGroup(int g) throws FsException {
        int ipg = (int) sb.inodesPerGroup();
        int from = g == 0 ? (int) sb.firstIno() - 1 : 0;
        int bit;
        try (BufferCache.Buffer b = cache.get(gdt.inodeBitmap(g))) {
            synchronized (b) {
                byte[] map = b.array();
                bit = Bitmap.findClear(map, from, ipg);
                if (bit < 0) return -1;
                if (g == 0 && bit < sb.firstIno() - 1) return -1; // never hand out reserved inodes
                Bitmap.set(map, bit);
                b.markDirty();
            }
        }
        gdt.addFreeInodes(g, -1);
        return g * ipg + bit + 1;
    }

    void free(int ino, boolean dir) throws FsException {
        int ipg = (int) sb.inodesPerGroup();
        int g = (ino - 1) / ipg;
        locks.lock(g);
        try {
            int bit = (ino - 1) % ipg;
            try (BufferCache.Buffer b = cache.get(gdt.inodeBitmap(g))) {
                synchronized (b) {
                    if (!Bitmap.test(b.array(), bit)) throw Corrupt.eio("inode " + ino + " freed twice");
                    Bitmap.clear(b.array(), bit);
                    b.markDirty();
                }
            }
            gdt.addFreeInodes(g, 1);
            if (dir) gdt.addUsedDirs(g, -1);
        } finally {
            locks.unlock(g);
        }
    }
}
