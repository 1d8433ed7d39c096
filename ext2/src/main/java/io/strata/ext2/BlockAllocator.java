package io.strata.ext2;

import io.strata.core.FsException;
import io.strata.core.Errno;

/**
 * Block allocation near a goal, like ext2_new_blocks: try the goal block itself (so a file keeps
 * growing contiguously), then the rest of the goal's group, then the following groups. Returns a
 * contiguous run of up to {@code max} blocks. Free counts in the group descriptors change in the
 * same critical section as the bitmap bits, so they are always exact; the superblock's totals are
 * derived from them at flush time.
 *
 * <p>Each group's bitmap and counts change under that group's lock ({@link GroupLocks}), held only
 * for the scan of that one group; it is a leaf lock apart from the buffer cache.
 */
final class BlockAllocator {
    record Run(long start, int count) {}

    private final Superblock sb;
    private final GroupDescriptors gdt;
    private final BufferCache cache;
    private final GroupLocks locks;
    private final long reserved;

    BlockAllocator(Superblock sb, GroupDescriptors gdt, BufferCache cache, GroupLocks locks) {
        this.sb = sb;
        this.gdt = gdt;
        this.cache = cache;
        this.locks = locks;
        this.reserved = sb.rBlocksCount();
    }

    /**
     * Allocates 1..max contiguous blocks, preferably starting at {@code goal}. {@code useReserved}:
     * the caller may dip into the root-reserved blocks. ENOSPC if nothing is free.
     */
    Run alloc(long goal, int max, boolean useReserved) throws FsException {
        long free = gdt.totalFreeBlocks(); // an estimate (see GroupLocks); the bitmaps decide
        if (free == 0 || (!useReserved && free <= reserved)) throw new FsException(Errno.ENOSPC);
        if (goal < sb.firstDataBlock() || goal >= sb.blocksCount()) goal = sb.firstDataBlock();
        int groups = gdt.count();
        int g0 = gdt.groupOf(goal);
        for (int k = 0; k <= groups; k++) {
            int g = (g0 + k) % groups;
            if (gdt.freeBlocks(g) == 0) continue;
            int from = k == 0 ? (int) (goal - gdt.groupFirstBlock(g)) : 0;
            locks.lock(g);
            try {
                if (gdt.freeBlocks(g) == 0) continue;
                Run r = allocInGroup(g, from, max);
                if (r != null) return r;
            } finally {
                locks.unlock(g);
            }
        }
        throw new FsException(Errno.ENOSPC);
    }

    private Run allocInGroup(int g, int from, int max) throws FsException {
        int limit = gdt.groupBlocks(g);
        try (BufferCache.Buffer b = cache.get(gdt.blockBitmap(g))) {
            synchronized (b) {
                byte[] map = b.array();
                int bit = from < limit && !Bitmap.test(map, from) ? from : Bitmap.findClear(map, from, limit);
                if (bit < 0) return null;
                int n = Bitmap.clearRun(map, bit, limit, Math.min(max, gdt.freeBlocks(g)));
                long start = gdt.groupFirstBlock(g) + bit;
                for (int i = 0; i < n; i++) {
                    if (gdt.isFixedMetadata(start + i)) { // bitmap claims a metadata block is free
                        throw Corrupt.eio("block bitmap of group " + g + " marks metadata block " + (start + i) + " free");
                    }
                    Bitmap.set(map, bit + i);
                }
                b.markDirty();
                gdt.addFreeBlocks(g, -n);
                return new Run(start, n);
            }
        }
    }

    /** Frees [start, start+count). Double frees are logged as corruption and not counted twice. */
    void free(long start, int count) throws FsException {
        for (long blk = start; blk < start + count; ) {
            if (blk < sb.firstDataBlock() || blk >= sb.blocksCount() || gdt.isFixedMetadata(blk)) {
                throw Corrupt.eio("freeing invalid block " + blk);
            }
            int g = gdt.groupOf(blk);
            locks.lock(g);
            try {
                long gEnd = Math.min(start + count, gdt.groupFirstBlock(g) + gdt.groupBlocks(g));
                int freed = 0;
                try (BufferCache.Buffer b = cache.get(gdt.blockBitmap(g))) {
                    synchronized (b) {
                        byte[] map = b.array();
                        for (; blk < gEnd; blk++) {
                            int bit = (int) (blk - gdt.groupFirstBlock(g));
                            if (!Bitmap.test(map, bit)) {
                                Corrupt.eio("block " + blk + " freed twice");
                                continue;
                            }
                            Bitmap.clear(map, bit);
                            freed++;
                            cache.forget(blk);
                        }
                        b.markDirty();
                    }
                }
                gdt.addFreeBlocks(g, freed);
            } finally {
                locks.unlock(g);
            }
        }
    }
}
