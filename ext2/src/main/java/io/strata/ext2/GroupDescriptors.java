package io.strata.ext2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The group descriptor table: per group the locations of the bitmaps and the inode table plus free
 * counts. Held in memory (it is small: 32 bytes a group) and written to its primary blocks on every
 * flush and to the sparse_super backups on sync/unmount. A group's free counts are only changed under
 * that group's allocator lock ({@link GroupLocks}), so each is exact; sums read without the locks
 * are estimates until the flush, which holds all of them.
 */
public final class GroupDescriptors {
    public static final int DESC_SIZE = 32;

    private final Superblock sb;
    private final int groups, bs, perBlock;
    private final long[] blockBitmap, inodeBitmap, inodeTable;
    private final int[] freeBlocks, freeInodes, usedDirs;
    private final byte[][] raw; // per-descriptor raw bytes, keeps flags/reserved fields intact

    GroupDescriptors(Superblock sb, byte[] table) {
        this.sb = sb;
        this.groups = sb.groupCount();
        this.bs = sb.blockSize();
        this.perBlock = bs / DESC_SIZE;
        blockBitmap = new long[groups];
        inodeBitmap = new long[groups];
        inodeTable = new long[groups];
        freeBlocks = new int[groups];
        freeInodes = new int[groups];
        usedDirs = new int[groups];
        raw = new byte[groups][];
        ByteBuffer b = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
        for (int g = 0; g < groups; g++) {
            int o = g * DESC_SIZE;
            raw[g] = java.util.Arrays.copyOfRange(table, o, o + DESC_SIZE);
            blockBitmap[g] = b.getInt(o) & 0xffffffffL;
            inodeBitmap[g] = b.getInt(o + 4) & 0xffffffffL;
            inodeTable[g] = b.getInt(o + 8) & 0xffffffffL;
            freeBlocks[g] = b.getShort(o + 12) & 0xffff;
            freeInodes[g] = b.getShort(o + 14) & 0xffff;
            usedDirs[g] = b.getShort(o + 16) & 0xffff;
        }
    }

    /** Number of blocks the descriptor table occupies. */
    public static int tableBlocks(Superblock sb) {
        int perBlock = sb.blockSize() / DESC_SIZE;
        return (sb.groupCount() + perBlock - 1) / perBlock;
    }

    /**
     * Where descriptor block {@code i} lives. Without meta_bg the table follows the superblock; with
     * meta_bg, blocks from s_first_meta_bg on live in the first group of their meta group (after the
     * superblock copy if that group has one).
     */
    public static long descBlockLocation(Superblock sb, int i, int groupBase) {
        long first = sb.firstDataBlock();
        if (!sb.hasIncompat(Features.INCOMPAT_META_BG) || i < sb.firstMetaBg()) {
            return first + groupBase + 1 + i;
        }
        long g = (long) i * (sb.blockSize() / DESC_SIZE);
        return first + g * sb.blocksPerGroup() + (sb.groupHasSuper((int) g) ? 1 : 0);
    }

    public int count() { return groups; }
    public long blockBitmap(int g) { return blockBitmap[g]; }
    public long inodeBitmap(int g) { return inodeBitmap[g]; }
    public long inodeTable(int g) { return inodeTable[g]; }
    public int freeBlocks(int g) { return freeBlocks[g]; }
    public int freeInodes(int g) { return freeInodes[g]; }
    public int usedDirs(int g) { return usedDirs[g]; }
    void addFreeBlocks(int g, int d) { freeBlocks[g] += d; }
    void addFreeInodes(int g, int d) { freeInodes[g] += d; }
    void addUsedDirs(int g, int d) { usedDirs[g] += d; }

    public long totalFreeBlocks() {
        long s = 0;
        for (int f : freeBlocks) s += f;
        return s;
    }

    public long totalFreeInodes() {
        long s = 0;
        for (int f : freeInodes) s += f;
        return s;
    }

    /** First block of group g. */
    public long groupFirstBlock(int g) {
        return sb.firstDataBlock() + (long) g * sb.blocksPerGroup();
    }

    /** Blocks in group g (the last group may be short). */
    public int groupBlocks(int g) {
        long end = Math.min(sb.blocksCount(), groupFirstBlock(g) + sb.blocksPerGroup());
        return (int) (end - groupFirstBlock(g));
    }

    public int groupOf(long block) {
        return (int) ((block - sb.firstDataBlock()) / sb.blocksPerGroup());
    }

    public int inodeTableBlocks() {
        return (int) ((sb.inodesPerGroup() * sb.inodeSize() + bs - 1) / bs);
    }

    /**
     * True if {@code block} is fixed metadata (superblock/GDT copy, reserved GDT, bitmaps, inode
     * table). A file pointer to such a block is corruption: following it for a write would smash
     * the file system's own structures.
     */
    public boolean isFixedMetadata(long block) {
        if (block < sb.firstDataBlock()) return true;
        int g = groupOf(block);
        if (g < 0 || g >= groups) return true;
        long first = groupFirstBlock(g);
        if (!sb.hasIncompat(Features.INCOMPAT_META_BG) && sb.groupHasSuper(g)
                && block < first + 1 + tableBlocks(sb) + sb.reservedGdtBlocks()) return true;
        if (block == blockBitmap[g] || block == inodeBitmap[g]) return true;
        return block >= inodeTable[g] && block < inodeTable[g] + inodeTableBlocks();
    }

    /** Serialises descriptor block {@code i} (perBlock descriptors). */
    byte[] encodeBlock(int i) {
        byte[] out = new byte[bs];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < perBlock; k++) {
            int g = i * perBlock + k;
            if (g >= groups) break;
            int o = k * DESC_SIZE;
            System.arraycopy(raw[g], 0, out, o, DESC_SIZE);
            b.putInt(o, (int) blockBitmap[g]);
            b.putInt(o + 4, (int) inodeBitmap[g]);
            b.putInt(o + 8, (int) inodeTable[g]);
            b.putShort(o + 12, (short) freeBlocks[g]);
            b.putShort(o + 14, (short) freeInodes[g]);
            b.putShort(o + 16, (short) usedDirs[g]);
        }
        return out;
    }

    /** Sanity checks: every table must lie inside the file system and inside its own group. */
    String validate() {
        long bc = sb.blocksCount();
        int itb = inodeTableBlocks();
        for (int g = 0; g < groups; g++) {
            if (blockBitmap[g] < sb.firstDataBlock() || blockBitmap[g] >= bc
                    || inodeBitmap[g] < sb.firstDataBlock() || inodeBitmap[g] >= bc
                    || inodeTable[g] < sb.firstDataBlock() || inodeTable[g] + itb > bc) {
                return "group " + g + ": bitmap or inode table outside the file system";
            }
            if (freeBlocks[g] > groupBlocks(g) || freeInodes[g] > sb.inodesPerGroup()) {
                return "group " + g + ": free counts exceed group size";
            }
        }
        return null;
    }
}
