package io.strata.ext2;

import io.strata.core.FsException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One directory block as records (inode u32, rec_len u16, name_len u8, file_type u8, name), read
 * straight from a cached buffer's array: no copy, no per-record allocation. Every block of a
 * directory, including htree index blocks (which look like one empty record), has this shape, so
 * {@link #validate} applies to all of them; it runs once per buffer ({@link BufferCache.Buffer#dirChecked}).
 *
 * <p>Callers hold the directory's lock (read to scan, write to change), which is what makes reading
 * the array without the buffer's monitor safe: only holders of that directory's write lock change it.
 */
final class DirBlock {
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private DirBlock() {}

    static int ino(byte[] d, int off) { return (int) I32.get(d, off); }
    static int recLen(byte[] d, int off) { return (short) I16.get(d, off + 4) & 0xffff; }
    static int nameLen(byte[] d, int off) { return d[off + 6] & 0xff; }
    static int ftype(byte[] d, int off) { return d[off + 7] & 0xff; }
    static int u32(byte[] d, int off) { return (int) I32.get(d, off); }
    static int u16(byte[] d, int off) { return (short) I16.get(d, off) & 0xffff; }
    static void put32(byte[] d, int off, int v) { I32.set(d, off, v); }
    static void put16(byte[] d, int off, int v) { I16.set(d, off, (short) v); }

    /** Bytes a record with this name needs (8-byte header + name, 4-byte aligned). */
    static int need(int nameLen) {
        return (8 + nameLen + 3) & ~3;
    }

    /** Checks every record of a block; EIO naming the directory, block and offset of the first bad one. */
    static void validate(byte[] d, int bs, long inodesCount, int dirIno, long pblk) throws FsException {
        int off = 0;
        while (off < bs) {
            int recLen = recLen(d, off);
            int nameLen = nameLen(d, off);
            long ino = ino(d, off) & 0xffffffffL;
            String bad = null;
            if (recLen < 12 || (recLen & 3) != 0) bad = "bad rec_len " + recLen;
            else if (off + recLen > bs) bad = "record crosses block end";
            else if (nameLen + 8 > recLen) bad = "name_len " + nameLen + " > rec_len";
            else if (ino > inodesCount) bad = "inode number " + ino + " out of range";
            if (bad != null) {
                throw Corrupt.eio("directory inode " + dirIno + ", block " + pblk + ", offset " + off + ": " + bad);
            }
            off += recLen;
        }
    }

    /** Compares a record's name with {@code name} in place. */
    static boolean nameIs(byte[] d, int off, byte[] name) {
        int len = nameLen(d, off);
        if (len != name.length) return false;
        for (int i = 0; i < len; i++) if (d[off + 8 + i] != name[i]) return false;
        return true;
    }

    /** Writes one record's header and name. */
    static void write(byte[] d, int off, int ino, int recLen, byte[] name, int ftype) {
        put32(d, off, ino);
        put16(d, off + 4, recLen);
        d[off + 6] = (byte) name.length;
        d[off + 7] = (byte) ftype;
        System.arraycopy(name, 0, d, off + 8, name.length);
    }

    /**
     * Adds a record in the first place with room (a free record, or the slack after a live one),
     * under the buffer's monitor; false if the block is full.
     */
    static boolean insert(BufferCache.Buffer b, int bs, byte[] name, int ino, int ftype) {
        int need = need(name.length);
        synchronized (b) {
            byte[] d = b.array();
            int off = 0;
            while (off < bs) {
                int recLen = recLen(d, off);
                int cur = ino(d, off);
                int used = cur == 0 ? 0 : need(nameLen(d, off));
                if (recLen - used >= need) {
                    if (cur == 0) {
                        write(d, off, ino, recLen, name, ftype);
                    } else {
                        put16(d, off + 4, used);
                        write(d, off + used, ino, recLen - used, name, ftype);
                    }
                    b.markDirty();
                    return true;
                }
                off += recLen;
            }
            return false;
        }
    }
}
