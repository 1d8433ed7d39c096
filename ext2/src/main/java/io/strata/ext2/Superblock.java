package io.strata.ext2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The superblock (1024 bytes at byte offset 1024). We keep the raw bytes and read/write fields in
 * place, so fields this driver does not know (ext4 extras, UUIDs, hash seeds) survive a rewrite
 * byte-for-byte. Rev 0 images have no feature words, 128-byte inodes and first inode 11; the
 * accessors hide that difference.
 */
public final class Superblock {
    public static final int OFFSET = 1024, SIZE = 1024, MAGIC = 0xEF53;
    public static final int STATE_VALID = 1, STATE_ERROR = 2;

    private final ByteBuffer b;

    public Superblock(byte[] raw) {
        this.b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    }

    public byte[] raw() {
        return b.array();
    }

    /** A copy with s_block_group_nr set, as written to backup groups. */
    public byte[] backupCopy(int group) {
        byte[] copy = b.array().clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putShort(90, (short) group);
        return copy;
    }

    private long u32(int off) { return b.getInt(off) & 0xffffffffL; }
    private int u16(int off) { return b.getShort(off) & 0xffff; }
    private void p32(int off, long v) { b.putInt(off, (int) v); }
    private void p16(int off, int v) { b.putShort(off, (short) v); }

    public long inodesCount() { return u32(0); }
    public long blocksCount() { return u32(4); }
    public long rBlocksCount() { return u32(8); }
    public long freeBlocksCount() { return u32(12); }
    public void setFreeBlocksCount(long v) { p32(12, v); }
    public long freeInodesCount() { return u32(16); }
    public void setFreeInodesCount(long v) { p32(16, v); }
    public long firstDataBlock() { return u32(20); }
    public int logBlockSize() { return b.getInt(24); }
    public long blocksPerGroup() { return u32(32); }
    public long inodesPerGroup() { return u32(40); }
    public long mtime() { return u32(44); }
    public void setMtime(long v) { p32(44, v); }
    public void setWtime(long v) { p32(48, v); }
    public int mntCount() { return u16(52); }
    public void setMntCount(int v) { p16(52, v); }
    public int magic() { return u16(56); }
    public int state() { return u16(58); }
    public void setState(int v) { p16(58, v); }
    public long revLevel() { return u32(76); }
    public int defResuid() { return u16(80); }
    public int defResgid() { return u16(82); }

    public long firstIno() { return revLevel() == 0 ? 11 : u32(84); }
    public int inodeSize() { return revLevel() == 0 ? 128 : u16(88); }
    public int featureCompat() { return revLevel() == 0 ? 0 : b.getInt(92); }
    public int featureIncompat() { return revLevel() == 0 ? 0 : b.getInt(96); }
    public int featureRoCompat() { return revLevel() == 0 ? 0 : b.getInt(100); }
    public void setFeatureRoCompat(int v) { b.putInt(100, v); }
    public int reservedGdtBlocks() {
        return (featureCompat() & Features.COMPAT_RESIZE_INODE) != 0 ? u16(206) : 0;
    }
    public long firstMetaBg() { return u32(260); }
    /** s_hash_seed: four words seeding the htree hash (all zero: the default seed). */
    public int[] hashSeed() { return new int[] {b.getInt(236), b.getInt(240), b.getInt(244), b.getInt(248)}; }
    public void setHashSeed(int[] seed) { for (int i = 0; i < 4; i++) b.putInt(236 + 4 * i, seed[i]); }
    /** s_def_hash_version: the hash new htree roots get. */
    public int defHashVersion() { return b.get(252) & 0xff; }
    public void setDefHashVersion(int v) { b.put(252, (byte) v); }
    /** s_flags (EXT2_FLAGS_SIGNED_HASH 1, EXT2_FLAGS_UNSIGNED_HASH 2). */
    public int flags() { return b.getInt(352); }
    public void setFlags(int v) { b.putInt(352, v); }
    public static final int FLAGS_SIGNED_HASH = 1, FLAGS_UNSIGNED_HASH = 2;

    public int blockSize() { return 1024 << logBlockSize(); }

    public boolean hasCompat(int f) { return (featureCompat() & f) != 0; }
    public boolean hasIncompat(int f) { return (featureIncompat() & f) != 0; }
    public boolean hasRoCompat(int f) { return (featureRoCompat() & f) != 0; }

    public int groupCount() {
        return (int) ((blocksCount() - firstDataBlock() + blocksPerGroup() - 1) / blocksPerGroup());
    }

    /** sparse_super: backups only in groups 0, 1 and powers of 3, 5 and 7. */
    public boolean groupHasSuper(int g) {
        if (!hasRoCompat(Features.RO_COMPAT_SPARSE_SUPER)) return true;
        if (g <= 1) return true;
        return isPower(g, 3) || isPower(g, 5) || isPower(g, 7);
    }

    private static boolean isPower(int g, int base) {
        long n = base;
        while (n < g) n *= base;
        return n == g;
    }

    /**
     * Checks the geometry before anything trusts it: every later computation (group count, table
     * locations, bitmap sizes) divides or multiplies by these numbers.
     */
    public String validate(long imageBytes) {
        if (magic() != MAGIC) return "bad magic (not an ext2 file system)";
        if (logBlockSize() < 0 || logBlockSize() > 2) return "unsupported block size (log " + logBlockSize() + ")";
        int bs = blockSize();
        if (revLevel() > 1) return "unsupported revision " + revLevel();
        if (firstDataBlock() != (bs == 1024 ? 1 : 0)) return "bad first data block " + firstDataBlock();
        if (blocksPerGroup() == 0 || blocksPerGroup() > 8L * bs) return "bad blocks per group " + blocksPerGroup();
        if (inodesPerGroup() == 0 || inodesPerGroup() > 8L * bs) return "bad inodes per group " + inodesPerGroup();
        if (blocksCount() <= firstDataBlock()) return "bad block count " + blocksCount();
        int is = inodeSize();
        if (is < 128 || is > bs || Integer.bitCount(is) != 1) return "bad inode size " + is;
        if (firstIno() < 11 || firstIno() >= inodesCount()) return "bad first inode " + firstIno();
        if ((long) groupCount() * inodesPerGroup() != inodesCount()) return "inode count does not match groups";
        if (blocksCount() * bs > imageBytes) return "image is truncated: fs needs " + blocksCount() * bs
                + " bytes, image has " + imageBytes;
        if (reservedGdtBlocks() > bs / 4) return "bad reserved GDT block count";
        return null;
    }
}
