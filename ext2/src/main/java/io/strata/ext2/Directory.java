package io.strata.ext2;

import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Linear directories (ext2's dir.c): records of inode u32, rec_len u16, name_len u8, file_type u8,
 * name, 4-byte aligned, never crossing a block, the last record of a block reaching its end; inode
 * 0 is a free slot. htree directories are read the same way (their index blocks look like empty
 * records); any modification clears EXT2_INDEX_FL, as the kernel's ext2 does, so the stale index is
 * never trusted (e2fsck -D can rebuild it).
 *
 * <p>Every block is validated before use: rec_len >= 12, multiple of 4, not crossing the block,
 * name_len + 8 <= rec_len, inode number in range; violations are EIO naming the directory and block.
 *
 * <p>Names are bytes, never decoded: lookups compare the record's bytes with the {@link Name}'s
 * ({@link Name#equalsBytes}), listings hand out Names made from the record's bytes.
 *
 * <p>Readdir cookies are byte offsets in the directory (like ext2's f_pos). A cookie that no longer
 * falls on a record boundary (a record was merged away) resumes at the next record after it.
 *
 * <p>Callers hold the namespace lock (shared to read, exclusive to modify) and the directory inode's
 * lock as appropriate.
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

    private final Superblock sb;
    private final BufferCache cache;
    private final BlockMap map;
    private final int bs;
    private final boolean filetype;

    Directory(Superblock sb, BufferCache cache, BlockMap map) {
        this.sb = sb;
        this.cache = cache;
        this.map = map;
        this.bs = sb.blockSize();
        this.filetype = sb.hasIncompat(Features.INCOMPAT_FILETYPE);
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
        return (8 + nameLen + 3) & ~3;
    }

    private long blockOf(Ext2Inode dir, long lblk) throws FsException {
        BlockMap.Mapping m = map.map(dir, lblk, 1, false, false);
        if (m.hole()) throw Corrupt.eio("directory inode " + dir.number + ": hole at block " + lblk);
        return m.pblk();
    }

    private byte[] readBlock(long pblk) throws FsException {
        try (BufferCache.Buffer b = cache.get(pblk)) {
            return b.copy();
        }
    }

    private void checkRecord(Ext2Inode dir, long pblk, ByteBuffer le, int off) throws FsException {
        int recLen = le.getShort(off + 4) & 0xffff;
        int nameLen = le.get(off + 6) & 0xff;
        int ino = le.getInt(off);
        String where = "directory inode " + dir.number + ", block " + pblk + ", offset " + off;
        if (recLen < 12 || (recLen & 3) != 0) throw Corrupt.eio(where + ": bad rec_len " + recLen);
        if (off + recLen > bs) throw Corrupt.eio(where + ": record crosses block end");
        if (nameLen + 8 > recLen) throw Corrupt.eio(where + ": name_len " + nameLen + " > rec_len");
        if (ino != 0 && (ino & 0xffffffffL) > sb.inodesCount()) {
            throw Corrupt.eio(where + ": inode number " + (ino & 0xffffffffL) + " out of range");
        }
    }

    private int blocks(Ext2Inode dir) throws FsException {
        if (dir.size % bs != 0) throw Corrupt.eio("directory inode " + dir.number + ": size " + dir.size + " not block aligned");
        return (int) (dir.size / bs);
    }

    /** Visits live records from {@code cookie} (a byte offset); stops when the visitor returns false. */
    void list(Ext2Inode dir, long cookie, Visitor v) throws FsException {
        int nblocks = blocks(dir);
        for (long lblk = cookie / bs; lblk < nblocks; lblk++) {
            long pblk = blockOf(dir, lblk);
            byte[] data = readBlock(pblk);
            ByteBuffer le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            int off = 0;
            while (off < bs) {
                checkRecord(dir, pblk, le, off);
                int recLen = le.getShort(off + 4) & 0xffff;
                int ino = le.getInt(off);
                long abs = lblk * bs + off;
                if (ino != 0 && abs >= cookie) {
                    int nameLen = le.get(off + 6) & 0xff;
                    int ft = filetype ? le.get(off + 7) & 0xff : FT_UNKNOWN;
                    byte[] name = Arrays.copyOfRange(data, off + 8, off + 8 + nameLen);
                    if (!v.visit(new DirEntry(abs, ino, ft, name, abs + recLen))) return;
                }
                off += recLen;
            }
        }
    }

    /** The slot holding {@code name}, or null. */
    Slot find(Ext2Inode dir, Name name) throws FsException {
        int nblocks = blocks(dir);
        for (long lblk = 0; lblk < nblocks; lblk++) {
            long pblk = blockOf(dir, lblk);
            byte[] data = readBlock(pblk);
            ByteBuffer le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            int off = 0, prev = -1;
            while (off < bs) {
                checkRecord(dir, pblk, le, off);
                int recLen = le.getShort(off + 4) & 0xffff;
                int ino = le.getInt(off);
                int nameLen = le.get(off + 6) & 0xff;
                if (ino != 0 && name.equalsBytes(data, off + 8, nameLen)) {
                    return new Slot(pblk, off, prev, ino, filetype ? le.get(off + 7) & 0xff : FT_UNKNOWN, recLen);
                }
                prev = off;
                off += recLen;
            }
        }
        return null;
    }

    private void writeRecord(BufferCache.Buffer b, int off, int ino, int recLen, byte[] name, int ftype) {
        b.putInt(off, ino);
        b.putShort(off + 4, recLen);
        b.putByte(off + 6, name.length);
        b.putByte(off + 7, filetype ? ftype : 0);
        b.write(off + 8, name, 0, name.length);
    }

    /**
     * Adds a record (ext2_add_link): first slot with room (a free record, or the slack after a live
     * one), else a new block at the end. The caller has checked the name does not exist.
     */
    void add(Ext2Inode dir, Name n, int ino, int ftype, boolean useReserved) throws FsException {
        byte[] name = n.bytes();
        int need = recLen(name.length);
        int nblocks = blocks(dir);
        for (long lblk = 0; lblk < nblocks; lblk++) {
            long pblk = blockOf(dir, lblk);
            byte[] data = readBlock(pblk);
            ByteBuffer le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            int off = 0;
            while (off < bs) {
                checkRecord(dir, pblk, le, off);
                int recLen = le.getShort(off + 4) & 0xffff;
                int curIno = le.getInt(off);
                int used = curIno == 0 ? 0 : recLen(le.get(off + 6) & 0xff);
                if (recLen - used >= need) {
                    try (BufferCache.Buffer b = cache.get(pblk)) {
                        if (curIno == 0) {
                            writeRecord(b, off, ino, recLen, name, ftype);
                        } else {
                            b.putShort(off + 4, used);
                            writeRecord(b, off + used, ino, recLen - used, name, ftype);
                        }
                    }
                    modified(dir);
                    return;
                }
                off += recLen;
            }
        }
        BlockMap.Mapping m = map.map(dir, nblocks, 1, true, useReserved);
        try (BufferCache.Buffer b = cache.getZeroed(m.pblk())) {
            writeRecord(b, 0, ino, bs, name, ftype);
        }
        dir.size += bs;
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

    private void modified(Ext2Inode dir) {
        dir.flags &= ~Ext2Inode.EXT2_INDEX_FL;
    }

    /** True if the directory has nothing but "." and "..". */
    boolean isEmpty(Ext2Inode dir) throws FsException {
        boolean[] empty = {true};
        list(dir, 0, e -> {
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
            writeRecord(b, 0, dir.number, 12, new byte[] {'.'}, FT_DIR);
            writeRecord(b, 12, parentIno, bs - 12, new byte[] {'.', '.'}, FT_DIR);
        }
        dir.size = bs;
    }
}
