package io.strata.ext2;

import io.strata.core.FileSystem;
import io.strata.core.inode.InodeNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An inode in memory: the decoded fields only. The on-disk bytes are not kept (they were a third of
 * a loaded inode's memory): {@link InodeTable#write} patches these fields into the bytes in the
 * inode-table block, so fields we do not interpret (ext4's i_extra fields, in-inode xattrs) survive
 * a rewrite. Also carries the runtime state of a
 * loaded inode: its lock, the lookup and open counts of core's {@link InodeNode} (whose id is the
 * SPI id and whose generation is i_generation), and the pins of operations in progress (see
 * {@link InodeTable}).
 *
 * <p>Fields are guarded by {@link #lock}: read lock for reading data/attributes, write lock for any
 * change. Directory contents are additionally guarded by the namespace lock of
 * {@link Ext2FileSystem}.
 */
final class Ext2Inode extends InodeNode {
    static final int EXT2_INDEX_FL = 0x1000, EXT2_IMMUTABLE_FL = 0x10, EXT2_APPEND_FL = 0x20;
    static final int N_BLOCKS = 15;

    /** The ext2 inode number (the SPI id differs for 1 and 2: see {@link #spiId}). */
    final int number;
    /** The inode has the extra fields up to the nanosecond times (i_extra_isize covers them). */
    private final boolean nsTimes;
    /** Just allocated: the first write replaces the whole on-disk inode (no stale bytes of a previous owner). */
    boolean fresh;
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    int mode, uid, gid, links, flags;
    long size, blocks512, fileAcl;
    long atime, ctime, mtime, dtime; // seconds
    int atimeNs, ctimeNs, mtimeNs;
    final int[] block = new int[N_BLOCKS];

    // runtime state, guarded by the InodeTable monitor (lookup and open counts: InodeNode)
    int pins;
    boolean freed;
    // block allocation hint: last logical block allocated and where it went
    long lastLogical = -1, lastPhysical;

    Ext2Inode(int number, byte[] raw) {
        super(spiId(number), ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getInt(100));
        this.number = number;
        this.nsTimes = hasExtra(raw, 144);
        decode(raw);
    }

    /**
     * SPI ids are ext2 inode numbers, except that the SPI root (1) is ext2's root inode 2 and vice
     * versa (ext2 inode 1, the bad-blocks inode, is never exposed).
     */
    static int spiId(int number) {
        return number == 2 ? (int) FileSystem.ROOT : number == 1 ? 2 : number;
    }

    /** A name points here (the rest of the lifetime rules are InodeNode's). */
    @Override
    protected boolean linked() {
        return links > 0;
    }

    private static ByteBuffer le(byte[] raw) {
        return ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static boolean hasExtra(byte[] raw, int fieldEnd) {
        int e = raw.length > 128 ? le(raw).getShort(128) & 0xffff : 0;
        return raw.length > 128 && e >= fieldEnd - 128 && 128 + e <= raw.length;
    }

    private void decode(byte[] raw) {
        ByteBuffer b = le(raw);
        mode = b.getShort(0) & 0xffff;
        uid = (b.getShort(2) & 0xffff) | ((b.getShort(120) & 0xffff) << 16);
        long sizeLo = b.getInt(4) & 0xffffffffL;
        atime = b.getInt(8);
        ctime = b.getInt(12);
        mtime = b.getInt(16);
        dtime = b.getInt(20) & 0xffffffffL;
        gid = (b.getShort(24) & 0xffff) | ((b.getShort(122) & 0xffff) << 16);
        links = b.getShort(26) & 0xffff;
        blocks512 = b.getInt(28) & 0xffffffffL;
        flags = b.getInt(32);
        for (int i = 0; i < N_BLOCKS; i++) block[i] = b.getInt(40 + 4 * i);
        fileAcl = b.getInt(104) & 0xffffffffL;
        long high = b.getInt(108) & 0xffffffffL;
        size = isReg() ? sizeLo | (high << 32) : sizeLo;
        if (nsTimes) {
            ctimeNs = decodeExtra(b.getInt(132));
            mtimeNs = decodeExtra(b.getInt(136));
            atimeNs = decodeExtra(b.getInt(140));
            ctime += epoch(b.getInt(132));
            mtime += epoch(b.getInt(136));
            atime += epoch(b.getInt(140));
        }
    }

    private static int decodeExtra(int x) {
        int ns = x >>> 2;
        return ns > 999_999_999 ? 0 : ns;
    }

    private static long epoch(int x) {
        return ((long) (x & 3)) << 32;
    }

    /** Serialises the fields into {@code raw}, the inode's current on-disk bytes. */
    void encode(byte[] raw) {
        ByteBuffer b = le(raw);
        b.putShort(0, (short) mode);
        b.putShort(2, (short) uid);
        b.putShort(120, (short) (uid >>> 16));
        b.putInt(4, (int) size);
        b.putInt(8, (int) atime);
        b.putInt(12, (int) ctime);
        b.putInt(16, (int) mtime);
        b.putInt(20, (int) dtime);
        b.putShort(24, (short) gid);
        b.putShort(122, (short) (gid >>> 16));
        b.putShort(26, (short) links);
        b.putInt(28, (int) blocks512);
        b.putInt(32, flags);
        for (int i = 0; i < N_BLOCKS; i++) b.putInt(40 + 4 * i, block[i]);
        b.putInt(100, generation);
        b.putInt(104, (int) fileAcl);
        if (isReg()) b.putInt(108, (int) (size >>> 32));
        if (nsTimes) {
            b.putInt(132, extra(ctime, ctimeNs));
            b.putInt(136, extra(mtime, mtimeNs));
            b.putInt(140, extra(atime, atimeNs));
        }
    }

    private static int extra(long sec, int ns) {
        long ep = (sec - (int) sec) >> 32;
        return (ns << 2) | (int) (ep & 3);
    }

    boolean isReg() { return (mode & 0170000) == 0100000; }
    boolean isDir() { return (mode & 0170000) == 0040000; }
    boolean isLnk() { return (mode & 0170000) == 0120000; }
    boolean isDevice() {
        int t = mode & 0170000;
        return t == 0020000 || t == 0060000 || t == 0010000 || t == 0140000;
    }

    /** A fast symlink keeps its target in i_block (no data block, no xattr-only blocks). */
    boolean isFastSymlink(int bs) {
        long xattrBlocks = fileAcl != 0 ? bs / 512 : 0;
        return isLnk() && blocks512 - xattrBlocks == 0;
    }

    /** Whether i_block holds block pointers (not a fast symlink or device numbers). */
    boolean hasBlockMap(int bs) {
        return (isReg() || isDir() || isLnk()) && !isFastSymlink(bs);
    }

    long atimeTotalNs() { return atime * 1_000_000_000L + atimeNs; }
    long mtimeTotalNs() { return mtime * 1_000_000_000L + mtimeNs; }
    long ctimeTotalNs() { return ctime * 1_000_000_000L + ctimeNs; }

    void setAtime(long ns) { atime = Math.floorDiv(ns, 1_000_000_000L); atimeNs = (int) Math.floorMod(ns, 1_000_000_000L); }
    void setMtime(long ns) { mtime = Math.floorDiv(ns, 1_000_000_000L); mtimeNs = (int) Math.floorMod(ns, 1_000_000_000L); }
    void setCtime(long ns) { ctime = Math.floorDiv(ns, 1_000_000_000L); ctimeNs = (int) Math.floorMod(ns, 1_000_000_000L); }

    static long nowNs() {
        java.time.Instant i = java.time.Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }
}
