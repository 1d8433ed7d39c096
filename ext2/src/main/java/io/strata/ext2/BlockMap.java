package io.strata.ext2;

import io.strata.core.FsException;
import io.strata.core.Errno;

/**
 * Logical-to-physical block mapping through i_block: 12 direct pointers, then single, double and
 * triple indirect blocks (ext2_block_to_path / ext2_get_blocks). One call maps a contiguous run as
 * long as possible, but never past the end of the current pointer array (the "boundary"), so a big
 * sequential read or write costs one call per indirect block, not per block.
 *
 * <p>Allocation (create=true) allocates the missing indirect blocks and a run of data blocks near a
 * goal (right after the previous block of the file), all or nothing: on ENOSPC everything allocated
 * in this call is freed again. New indirect blocks are zeroed buffers in the cache; new data blocks
 * are reported as such so the caller zero-fills what it does not write.
 *
 * <p>Every pointer followed is checked: inside the file system, not fixed metadata, and no indirect
 * block referring to one of its ancestors (a loop). Callers hold the inode's write lock for create
 * and truncate, the read lock for lookups.
 */
final class BlockMap {
    /** A run of {@code count} blocks from {@code lblk}: physical start, or 0 for a hole. */
    record Mapping(long pblk, int count, boolean fresh) {
        boolean hole() { return pblk == 0; }
    }

    private final Superblock sb;
    private final GroupDescriptors gdt;
    private final BufferCache cache;
    private final BlockAllocator alloc;
    private final int bs, ptrs, ptrBits;
    final long maxBlocks;

    BlockMap(Superblock sb, GroupDescriptors gdt, BufferCache cache, BlockAllocator alloc) {
        this.sb = sb;
        this.gdt = gdt;
        this.cache = cache;
        this.alloc = alloc;
        this.bs = sb.blockSize();
        this.ptrs = bs / 4;
        this.ptrBits = Integer.numberOfTrailingZeros(ptrs);
        this.maxBlocks = 12 + ptrs + (long) ptrs * ptrs + (long) ptrs * ptrs * ptrs;
    }

    /** Path of array indexes to logical block {@code l}: [i_block index, indirect indexes...]. */
    int[] path(long l) throws FsException {
        if (l < 12) return new int[] {(int) l};
        l -= 12;
        if (l < ptrs) return new int[] {12, (int) l};
        l -= ptrs;
        if (l < (long) ptrs * ptrs) return new int[] {13, (int) (l >> ptrBits), (int) (l & (ptrs - 1))};
        l -= (long) ptrs * ptrs;
        if (l < (long) ptrs * ptrs * ptrs) {
            return new int[] {14, (int) (l >> (2 * ptrBits)), (int) ((l >> ptrBits) & (ptrs - 1)), (int) (l & (ptrs - 1))};
        }
        throw new FsException(Errno.EFBIG, "block " + l + " beyond triple-indirect range");
    }

    private void check(Ext2Inode in, long p, long[] chain, int upTo, String what) throws FsException {
        if (p >= sb.blocksCount() || gdt.isFixedMetadata(p)) {
            throw Corrupt.eio("inode " + in.number + ": " + what + " pointer to invalid block " + p);
        }
        for (int k = 0; k < upTo; k++) {
            if (chain[k] == p) throw Corrupt.eio("inode " + in.number + ": indirect block loop at block " + p);
        }
    }

    private static long u(int x) {
        return x & 0xffffffffL;
    }

    /**
     * Maps up to {@code max} blocks from {@code lblk}. Without create a hole is reported as a run
     * with pblk 0. With create, holes are filled with newly allocated blocks.
     */
    Mapping map(Ext2Inode in, long lblk, int max, boolean create, boolean useReserved) throws FsException {
        int[] offs = path(lblk);
        int depth = offs.length;
        long[] chain = new long[depth];
        int[][] arrays = new int[depth][]; // the pointer array at each level (level 0: i_block)
        arrays[0] = in.block;
        long ptr = u(in.block[offs[0]]);
        chain[0] = ptr;
        int holeLevel = -1;
        for (int k = 1; k < depth; k++) {
            if (ptr == 0) {
                holeLevel = k - 1;
                break;
            }
            check(in, ptr, chain, k - 1, "indirect");
            try (BufferCache.Buffer b = cache.get(ptr)) {
                arrays[k] = toInts(b.copy());
            }
            ptr = u(arrays[k][offs[k]]);
            chain[k] = ptr;
        }
        if (holeLevel < 0 && ptr == 0) holeLevel = depth - 1;
        int leafLen = depth == 1 ? 12 : ptrs;
        int leafIdx = offs[depth - 1];
        if (holeLevel < 0) {
            check(in, ptr, chain, depth - 1, "data");
            int[] leaf = arrays[depth - 1];
            int n = 1;
            while (n < max && leafIdx + n < leafLen && u(leaf[leafIdx + n]) == ptr + n) n++;
            return new Mapping(ptr, n, false);
        }
        // a hole: how far does it reach (within this pointer array)?
        int span;
        if (holeLevel == depth - 1) {
            int[] leaf = arrays[depth - 1];
            int n = 1;
            while (n < max && leafIdx + n < leafLen && leaf[leafIdx + n] == 0) n++;
            span = n;
        } else {
            long sub = 1; // blocks under the missing pointer, from lblk to its end
            long pos = 0;
            for (int k = holeLevel + 1; k < depth; k++) {
                sub *= ptrs;
                pos = pos * ptrs + offs[k];
            }
            span = (int) Math.min(max, Math.min(sub - pos, leafLen - leafIdx));
        }
        if (!create) return new Mapping(0, span, false);
        return allocate(in, lblk, offs, chain, arrays, holeLevel, span, useReserved);
    }

    private Mapping allocate(Ext2Inode in, long lblk, int[] offs, long[] chain, int[][] arrays, int holeLevel,
                             int count, boolean useReserved) throws FsException {
        int depth = offs.length;
        int newIndirect = depth - 1 - holeLevel;
        long goal = findGoal(in, lblk, offs, chain, arrays, holeLevel);
        long[] ind = new long[newIndirect];
        int got = 0;
        BlockAllocator.Run data;
        try {
            for (; got < newIndirect; got++) {
                ind[got] = alloc.alloc(goal, 1, useReserved).start();
                goal = ind[got] + 1;
            }
            data = alloc.alloc(goal, count, useReserved);
        } catch (FsException e) {
            for (int i = 0; i < got; i++) alloc.free(ind[i], 1);
            throw e;
        }
        // link bottom-up: data pointers into the leaf array, then each new indirect into its parent
        int leafIdx = offs[depth - 1];
        if (newIndirect > 0) {
            try (BufferCache.Buffer leaf = cache.getZeroed(ind[newIndirect - 1])) {
                for (int i = 0; i < data.count(); i++) leaf.putInt((leafIdx + i) * 4, (int) (data.start() + i));
            }
            for (int k = newIndirect - 1; k > 0; k--) {
                try (BufferCache.Buffer b = cache.getZeroed(ind[k - 1])) {
                    b.putInt(offs[holeLevel + k] * 4, (int) ind[k]);
                }
            }
            setPointer(in, holeLevel, chain, offs, ind[0]);
        } else {
            for (int i = 0; i < data.count(); i++) {
                if (depth == 1) {
                    in.block[leafIdx + i] = (int) (data.start() + i);
                } else {
                    try (BufferCache.Buffer b = cache.get(chain[depth - 2])) {
                        b.putInt((leafIdx + i) * 4, (int) (data.start() + i));
                    }
                }
            }
        }
        in.blocks512 += (long) (newIndirect + data.count()) * (bs / 512);
        in.lastLogical = lblk + data.count() - 1;
        in.lastPhysical = data.start() + data.count() - 1;
        return new Mapping(data.start(), data.count(), true);
    }

    /** Stores {@code p} into the pointer at {@code level} of the path (i_block or an indirect block). */
    private void setPointer(Ext2Inode in, int level, long[] chain, int[] offs, long p) throws FsException {
        if (level == 0) {
            in.block[offs[0]] = (int) p;
        } else {
            try (BufferCache.Buffer b = cache.get(chain[level - 1])) {
                b.putInt(offs[level] * 4, (int) p);
            }
        }
    }

    /** ext2_find_goal/find_near: continue after the previous block, else near a neighbour pointer. */
    private long findGoal(Ext2Inode in, long lblk, int[] offs, long[] chain, int[][] arrays, int holeLevel) {
        if (in.lastLogical >= 0 && lblk == in.lastLogical + 1 && in.lastPhysical > 0) return in.lastPhysical + 1;
        int[] arr = arrays[holeLevel];
        for (int i = offs[holeLevel] - 1; i >= 0; i--) {
            if (arr[i] != 0) return u(arr[i]) + 1;
        }
        if (holeLevel > 0 && chain[holeLevel - 1] != 0) return chain[holeLevel - 1] + 1;
        int g = (int) ((in.number - 1) / sb.inodesPerGroup());
        return gdt.groupFirstBlock(Math.min(g, gdt.count() - 1));
    }

    private int[] toInts(byte[] b) {
        int[] out = new int[ptrs];
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
        return out;
    }

    /** Frees every block mapped at logical index >= {@code first}, including emptied indirect blocks. */
    void truncate(Ext2Inode in, long first) throws FsException {
        Freer f = new Freer(in);
        for (int i = (int) Math.min(first, 12); i < 12; i++) {
            if (in.block[i] != 0) {
                f.add(u(in.block[i]));
                in.block[i] = 0;
            }
        }
        long base = 12, span = ptrs;
        for (int level = 1; level <= 3; level++) {
            int idx = 11 + level;
            long p = u(in.block[idx]);
            if (first < base + span && p != 0) {
                if (first <= base) {
                    freeTree(in, p, level, f, 0);
                    in.block[idx] = 0;
                } else {
                    freePartial(in, p, level, first - base, f, 0);
                }
            }
            base += span;
            span *= ptrs;
        }
        f.flush();
    }

    private void freeTree(Ext2Inode in, long p, int level, Freer f, int depth) throws FsException {
        if (p >= sb.blocksCount() || gdt.isFixedMetadata(p)) throw Corrupt.eio("inode " + in.number + ": bad block " + p);
        if (level > 0) {
            int[] e;
            try (BufferCache.Buffer b = cache.get(p)) {
                e = toInts(b.copy());
            }
            for (int x : e) if (x != 0) freeTree(in, u(x), level - 1, f, depth + 1);
        }
        f.add(p);
    }

    /** Frees children of indirect block {@code p} covering relative blocks >= {@code from} (> 0). */
    private void freePartial(Ext2Inode in, long p, int level, long from, Freer f, int depth) throws FsException {
        if (p >= sb.blocksCount() || gdt.isFixedMetadata(p)) throw Corrupt.eio("inode " + in.number + ": bad block " + p);
        long childSpan = 1;
        for (int i = 1; i < level; i++) childSpan *= ptrs;
        int[] e;
        try (BufferCache.Buffer b = cache.get(p)) {
            e = toInts(b.copy());
        }
        int startChild = (int) (from / childSpan);
        for (int c = startChild; c < ptrs; c++) {
            if (e[c] == 0) continue;
            long childFirst = c * childSpan;
            if (from <= childFirst) {
                freeTree(in, u(e[c]), level - 1, f, depth + 1);
                try (BufferCache.Buffer b = cache.get(p)) {
                    b.putInt(c * 4, 0);
                }
            } else {
                freePartial(in, u(e[c]), level - 1, from - childFirst, f, depth + 1);
            }
        }
    }

    /** Coalesces freed blocks into runs so the allocator is called once per run. */
    private final class Freer {
        final Ext2Inode in;
        long start = -1;
        int n;

        Freer(Ext2Inode in) {
            this.in = in;
        }

        void add(long b) throws FsException {
            if (start >= 0 && b == start + n && n < Integer.MAX_VALUE) {
                n++;
                return;
            }
            flush();
            start = b;
            n = 1;
        }

        void flush() throws FsException {
            if (start < 0) return;
            alloc.free(start, n);
            in.blocks512 = Math.max(0, in.blocks512 - (long) n * (bs / 512));
            start = -1;
            n = 0;
        }
    }
}
