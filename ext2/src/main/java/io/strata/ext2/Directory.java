package io.strata.ext2;

import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import java.util.Arrays;

/**
 * Directories: records of inode u32, rec_len u16, name_len u8, file_type u8, name, 4-byte aligned,
 * never crossing a block, the last record of a block reaching its end; inode 0 is a free slot.
 *
 * <p>Two shapes. <b>Linear</b> directories (ext2's dir.c) are scanned block by block.
 * <b>Indexed</b> directories (EXT2_INDEX_FL on an image with dir_index) keep an htree on top of the
 * same leaf blocks and go through {@link HTree}: lookups and inserts visit one leaf, readdir runs in
 * hash order. A linear directory whose single block fills up is indexed on the spot (as ext3/ext4
 * do) when the image has dir_index; a linear directory of several blocks stays linear. On an image
 * without dir_index an index flag is not trusted: the directory is used linearly and the flag
 * cleared on change, as the kernel's ext2 does.
 *
 * <p>Blocks are validated once, when first used after entering the buffer cache (rec_len >= 12,
 * multiple of 4, not crossing the block, name_len + 8 <= rec_len, inode in range); violations are
 * EIO naming the directory and block. Scans read the cached array in place.
 *
 * <p>Names are bytes, never decoded.
 *
 * <p>Readdir cookies: linear directories use byte offsets (like ext2's f_pos; a cookie that no
 * longer falls on a record boundary resumes at the next record). Indexed directories use hash
 * positions ({@link HTree#position}) with 1 and 2 for "." and "..", so a listing survives leaf
 * splits.
 *
 * <p>Locking: callers hold the directory inode's lock, shared to read, exclusive to change.
 */
final class Directory {
    static final int FT_UNKNOWN = 0, FT_REG = 1, FT_DIR = 2, FT_CHR = 3, FT_BLK = 4, FT_FIFO = 5, FT_SOCK = 6,
            FT_SYMLINK = 7;

    /** A live record; {@code name} holds the record's bytes (owned by the entry). */
    record DirEntry(long offset, int ino, int ftype, byte[] name, long next) {
        /**
         * The record's name, or null if no SPI name can hold it: empty, or containing '/' or NUL,
         * which only corruption produces (e2fsck reports those entries).
         */
        Name nameOrNull() {
            try {
                return Name.wrap(name);
            } catch (FsException corrupt) {
                return null;
            }
        }

        boolean isDotOrDotDot() {
            return (name.length == 1 || name.length == 2) && name[0] == '.' && name[name.length - 1] == '.';
        }
    }

    /** Where an entry lives, for modification. prevOff -1: first record in its block. */
    record Slot(long pblk, int off, int prevOff, int ino, int ftype, int recLen) {}

    interface Visitor {
        boolean visit(DirEntry e) throws FsException;
    }

    final Superblock sb;
    final BufferCache cache;
    final BlockMap map;
    final int bs;
    final boolean filetype;
    final boolean dirIndex;
    private final HTree htree;

    Directory(Superblock sb, BufferCache cache, BlockMap map) {
        this.sb = sb;
        this.cache = cache;
        this.map = map;
        this.bs = sb.blockSize();
        this.filetype = sb.hasIncompat(Features.INCOMPAT_FILETYPE);
        this.dirIndex = sb.hasCompat(Features.COMPAT_DIR_INDEX);
        this.htree = new HTree(this);
    }

    static int ftypeOfMode(int mode) {
        return switch (mode & FileType.S_IFMT) {
            case FileType.S_IFREG -> FT_REG;
            case FileType.S_IFDIR -> FT_DIR;
            case FileType.S_IFCHR -> FT_CHR;
            case FileType.S_IFBLK -> FT_BLK;
            case FileType.S_IFIFO -> FT_FIFO;
            case FileType.S_IFSOCK -> FT_SOCK;
            case FileType.S_IFLNK -> FT_SYMLINK;
            default -> FT_UNKNOWN;
        };
    }

    static int dtypeOf(int ftype) {
        return switch (ftype) {
            case FT_REG -> FileType.DT_REG;
            case FT_DIR -> FileType.DT_DIR;
            case FT_CHR -> FileType.DT_CHR;
            case FT_BLK -> FileType.DT_BLK;
            case FT_FIFO -> FileType.DT_FIFO;
            case FT_SOCK -> FileType.DT_SOCK;
            case FT_SYMLINK -> FileType.DT_LNK;
            default -> FileType.DT_UNKNOWN;
        };
    }

    static int recLen(int nameLen) {
        return DirBlock.need(nameLen);
    }

    /** True if lookups and inserts go through the htree. */
    boolean indexed(Ext2Inode dir) {
        return dirIndex && (dir.flags & Ext2Inode.EXT2_INDEX_FL) != 0;
    }

    // ---- blocks ----

    long blockOf(Ext2Inode dir, long lblk) throws FsException {
        BlockMap.Mapping m = map.map(dir, lblk, 1, false, false);
        if (m.hole()) throw Corrupt.eio("directory inode " + dir.number + ": hole at block " + lblk);
        return m.pblk();
    }

    /** A directory block, pinned, validated on its first use since it entered the cache. */
    BufferCache.Buffer block(Ext2Inode dir, long pblk) throws FsException {
        BufferCache.Buffer b = cache.get(pblk);
        if (!b.dirChecked) {
            try {
                DirBlock.validate(b.array(), bs, sb.inodesCount(), dir.number, pblk);
            } catch (FsException e) {
                b.close();
                throw e;
            }
            b.dirChecked = true;
        }
        return b;
    }

    /** Appends a zeroed block at the end of the directory; returns it pinned and its logical number. */
    BufferCache.Buffer appendBlock(Ext2Inode dir, boolean useReserved, long[] lblkOut) throws FsException {
        long lblk = blocks(dir);
        BlockMap.Mapping m = map.map(dir, lblk, 1, true, useReserved);
        BufferCache.Buffer b = cache.getZeroed(m.pblk());
        b.dirChecked = true; // its content is written by the caller, always as valid records
        dir.size += bs;
        lblkOut[0] = lblk;
        return b;
    }

    int blocks(Ext2Inode dir) throws FsException {
        if (dir.size % bs != 0) throw Corrupt.eio("directory inode " + dir.number + ": size " + dir.size + " not block aligned");
        return (int) (dir.size / bs);
    }

    /** The slot of {@code name} within one block, or null. */
    Slot findInBlock(Ext2Inode dir, long pblk, byte[] name) throws FsException {
        try (BufferCache.Buffer b = block(dir, pblk)) {
            byte[] d = b.array();
            int off = 0, prev = -1;
            while (off < bs) {
                int recLen = DirBlock.recLen(d, off);
                int ino = DirBlock.ino(d, off);
                if (ino != 0 && DirBlock.nameIs(d, off, name)) {
                    return new Slot(pblk, off, prev, ino, filetype ? DirBlock.ftype(d, off) : FT_UNKNOWN, recLen);
                }
                prev = off;
                off += recLen;
            }
            return null;
        }
    }

    DirEntry entryAt(byte[] d, int off, long pos, long next) {
        int nameLen = DirBlock.nameLen(d, off);
        return new DirEntry(pos, DirBlock.ino(d, off), filetype ? DirBlock.ftype(d, off) : FT_UNKNOWN,
                Arrays.copyOfRange(d, off + 8, off + 8 + nameLen), next);
    }

    // ---- operations ----

    /** Visits live records from {@code cookie}; stops when the visitor returns false. */
    void list(Ext2Inode dir, long cookie, Visitor v) throws FsException {
        if (indexed(dir)) htree.list(dir, cookie, v);
        else listLinear(dir, cookie, v);
    }

    /** Every live record in block order (index blocks read as empty records). */
    void listLinear(Ext2Inode dir, long cookie, Visitor v) throws FsException {
        int nblocks = blocks(dir);
        for (long lblk = Math.max(0, cookie) / bs; lblk < nblocks; lblk++) {
            long pblk = blockOf(dir, lblk);
            try (BufferCache.Buffer b = block(dir, pblk)) {
                byte[] d = b.array();
                int off = 0;
                while (off < bs) {
                    int recLen = DirBlock.recLen(d, off);
                    long abs = lblk * bs + off;
                    if (DirBlock.ino(d, off) != 0 && abs >= cookie) {
                        if (!v.visit(entryAt(d, off, abs, abs + recLen))) return;
                    }
                    off += recLen;
                }
            }
        }
    }

    /** The slot holding {@code name}, or null. */
    Slot find(Ext2Inode dir, Name name) throws FsException {
        byte[] n = name.bytes();
        if (indexed(dir) && !name.isDotOrDotDot()) return htree.find(dir, n);
        int nblocks = blocks(dir);
        for (long lblk = 0; lblk < nblocks; lblk++) {
            Slot s = findInBlock(dir, blockOf(dir, lblk), n);
            if (s != null) return s;
        }
        return null;
    }

    /**
     * Adds a record (ext2_add_link). The caller has checked the name does not exist. Indexed
     * directories insert into the leaf the name hashes to, splitting it when full; linear ones take
     * the first slot with room, else index themselves (one full block, dir_index on) or grow a block.
     */
    void add(Ext2Inode dir, Name n, int ino, int ftype, boolean useReserved) throws FsException {
        byte[] name = n.bytes();
        int ft = filetype ? ftype : 0;
        if (indexed(dir)) {
            htree.add(dir, name, ino, ft, useReserved);
            return;
        }
        int nblocks = blocks(dir);
        for (long lblk = 0; lblk < nblocks; lblk++) {
            try (BufferCache.Buffer b = block(dir, blockOf(dir, lblk))) {
                if (DirBlock.insert(b, bs, name, ino, ft)) {
                    modified(dir);
                    return;
                }
            }
        }
        if (dirIndex && nblocks == 1) {
            htree.index(dir, useReserved);
            htree.add(dir, name, ino, ft, useReserved);
            return;
        }
        long[] lblk = new long[1];
        try (BufferCache.Buffer b = appendBlock(dir, useReserved, lblk)) {
            synchronized (b) {
                DirBlock.write(b.array(), 0, ino, bs, name, ft);
                b.markDirty();
            }
        }
        modified(dir);
    }

    /** Removes the record (merging it into its predecessor, or clearing its inode if first). */
    void remove(Ext2Inode dir, Slot s) throws FsException {
        try (BufferCache.Buffer b = cache.get(s.pblk())) {
            if (s.prevOff() >= 0) {
                int prevLen = b.u16(s.prevOff() + 4);
                b.putShort(s.prevOff() + 4, prevLen + s.recLen());
            } else {
                b.putInt(s.off(), 0);
            }
        }
        modified(dir);
    }

    /** Points an existing record at another inode (rename over an existing name, '..'). */
    void retarget(Ext2Inode dir, Slot s, int ino, int ftype) throws FsException {
        try (BufferCache.Buffer b = cache.get(s.pblk())) {
            b.putInt(s.off(), ino);
            b.putByte(s.off() + 7, filetype ? ftype : 0);
        }
        modified(dir);
    }

    /** An index the image does not promise to honour (no dir_index) is dropped on change, like ext2. */
    private void modified(Ext2Inode dir) {
        if (!dirIndex) dir.flags &= ~Ext2Inode.EXT2_INDEX_FL;
    }

    /** True if the directory has nothing but "." and "..". */
    boolean isEmpty(Ext2Inode dir) throws FsException {
        boolean[] empty = {true};
        listLinear(dir, 0, e -> {
            if (!e.isDotOrDotDot()) {
                empty[0] = false;
                return false;
            }
            return true;
        });
        return empty[0];
    }

    /** First block of a new directory: "." and "..". */
    void initBlock(Ext2Inode dir, int parentIno, boolean useReserved) throws FsException {
        BlockMap.Mapping m = map.map(dir, 0, 1, true, useReserved);
        try (BufferCache.Buffer b = cache.getZeroed(m.pblk())) {
            synchronized (b) {
                DirBlock.write(b.array(), 0, dir.number, 12, new byte[] {'.'}, filetype ? FT_DIR : 0);
                DirBlock.write(b.array(), 12, parentIno, bs - 12, new byte[] {'.', '.'}, filetype ? FT_DIR : 0);
                b.markDirty();
            }
            b.dirChecked = true;
        }
        dir.size = bs;
    }
}
