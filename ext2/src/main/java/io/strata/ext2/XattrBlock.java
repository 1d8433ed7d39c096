package io.strata.ext2;

import io.strata.core.FsException;
import io.strata.core.Errno;
import io.strata.core.XattrName;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Extended attributes in an ext_attr block (fs/ext2/xattr.c) and, read-only, in the inode body of
 * large inodes (where mke2fs -d puts them). Block layout: 32-byte header (magic 0xEA020000,
 * h_refcount, h_blocks = 1, h_hash), then 4-byte-aligned entries sorted by (name index, name length,
 * name), a 4-byte zero terminator, and values packed from the end of the block. Entry and block
 * hashes are computed exactly like the kernel so e2fsck accepts what we write.
 *
 * <p>A block may be shared by several inodes (h_refcount); a change to a shared block is
 * copy-on-write: the inode gets a fresh block and the old one's refcount drops.
 */
final class XattrBlock {
    static final int MAGIC = 0xEA020000;
    static final int HEADER = 32, ENTRY = 16;

    record Attr(int index, byte[] name, byte[] value) {
        /** The full name ("user." + suffix bytes); null for indexes we do not expose or corrupt names. */
        XattrName fullName() {
            byte[] p = prefix(index);
            if (p == null) return null;
            byte[] full = Arrays.copyOf(p, p.length + name.length);
            System.arraycopy(name, 0, full, p.length, name.length);
            try {
                return XattrName.of(full);
            } catch (FsException corrupt) {
                return null;
            }
        }
    }

    // ext2's name indexes (fs/ext2/xattr.h): 1 user, 2/3 POSIX ACLs (system.posix_acl_*), 4 trusted,
    // 6 security. ACLs are not supported (they change permission checks and use their own value
    // format), so only 1, 4 and 6 are stored and listed.
    private static final byte[] USER = ascii("user."), TRUSTED = ascii("trusted."), SECURITY = ascii("security.");

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The name prefix an index stands for, or null if we do not expose that index. */
    static byte[] prefix(int index) {
        return switch (index) {
            case 1 -> USER;
            case 4 -> TRUSTED;
            case 6 -> SECURITY;
            default -> null;
        };
    }

    /**
     * Splits "user.foo" into (1, "foo") without decoding; EOPNOTSUPP for namespaces we do not
     * store (system.*, unprefixed names), EINVAL for an empty suffix (as the kernel's handlers).
     */
    static Attr split(XattrName full, byte[] value) throws FsException {
        int idx;
        byte[] prefix;
        switch (full.namespace()) {
            case USER -> { idx = 1; prefix = USER; }
            case TRUSTED -> { idx = 4; prefix = TRUSTED; }
            case SECURITY -> { idx = 6; prefix = SECURITY; }
            default -> throw new FsException(Errno.EOPNOTSUPP, "xattr namespace of " + full);
        }
        byte[] b = full.bytes();
        byte[] n = Arrays.copyOfRange(b, prefix.length, b.length);
        if (n.length == 0) throw FsException.of(Errno.EINVAL);
        if (n.length > 255) throw FsException.of(Errno.ERANGE);
        return new Attr(idx, n, value);
    }

    static final Comparator<Attr> ORDER = Comparator.<Attr>comparingInt(Attr::index)
            .thenComparingInt(a -> a.name().length)
            .thenComparing(Attr::name, Arrays::compareUnsigned);

    /** Parses a block. refcount is returned in out[0]. */
    static List<Attr> parse(byte[] blk, int bs, long blockNo, long[] refcount) throws FsException {
        ByteBuffer le = ByteBuffer.wrap(blk).order(ByteOrder.LITTLE_ENDIAN);
        if (le.getInt(0) != MAGIC || le.getInt(8) != 1) throw Corrupt.eio("xattr block " + blockNo + ": bad header");
        refcount[0] = le.getInt(4) & 0xffffffffL;
        return parseEntries(le, HEADER, bs, 0, bs, "xattr block " + blockNo);
    }

    /** Parses entries from {@code off}; values are relative to {@code valueBase}, within [.., end). */
    private static List<Attr> parseEntries(ByteBuffer le, int off, int end, int valueBase, int valueEnd, String where)
            throws FsException {
        List<Attr> out = new ArrayList<>();
        while (true) {
            if (off + 4 > end) throw Corrupt.eio(where + ": entries run past the end");
            if (le.getInt(off) == 0) break;
            if (off + ENTRY > end) throw Corrupt.eio(where + ": entries run past the end");
            int nameLen = le.get(off) & 0xff;
            int index = le.get(off + 1) & 0xff;
            int vOff = le.getShort(off + 2) & 0xffff;
            int vInum = le.getInt(off + 4);
            long vSize = le.getInt(off + 8) & 0xffffffffL;
            int size = (ENTRY + nameLen + 3) & ~3;
            if (off + size > end || nameLen == 0) throw Corrupt.eio(where + ": bad entry at " + off);
            if (vInum != 0 || valueBase + vOff + vSize > valueEnd) throw Corrupt.eio(where + ": bad value of entry at " + off);
            byte[] name = new byte[nameLen];
            le.get(off + ENTRY, name);
            byte[] value = new byte[(int) vSize];
            le.get(valueBase + vOff, value);
            out.add(new Attr(index, name, value));
            off += size;
        }
        return out;
    }

    /** In-inode attributes (after i_extra_isize), if any. */
    static List<Attr> parseInode(byte[] raw, int ino) throws FsException {
        if (raw.length <= 128) return List.of();
        int extra = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getShort(128) & 0xffff;
        int start = 128 + extra;
        if (extra == 0 || start + 4 > raw.length) return List.of();
        ByteBuffer le = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        if (le.getInt(start) != MAGIC) return List.of();
        int first = start + 4;
        return parseEntries(le, first, raw.length, first, raw.length, "in-inode xattrs of inode " + ino);
    }

    /** Clears the in-inode xattr area (used when an in-inode attribute moves to the block). */
    static void clearInode(byte[] raw) {
        if (raw.length <= 128) return;
        int extra = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getShort(128) & 0xffff;
        int start = 128 + extra;
        if (extra == 0 || start >= raw.length) return;
        Arrays.fill(raw, start, raw.length, (byte) 0);
    }

    static boolean fits(List<Attr> attrs, int bs) {
        int used = HEADER + 4;
        for (Attr a : attrs) used += ((ENTRY + a.name().length + 3) & ~3) + ((a.value().length + 3) & ~3);
        return used <= bs;
    }

    /** Serialises sorted attributes into a block with the given refcount and correct hashes. */
    static byte[] build(List<Attr> attrs, int bs, long refcount) {
        List<Attr> sorted = new ArrayList<>(attrs);
        sorted.sort(ORDER);
        byte[] blk = new byte[bs];
        ByteBuffer le = ByteBuffer.wrap(blk).order(ByteOrder.LITTLE_ENDIAN);
        le.putInt(0, MAGIC);
        le.putInt(4, (int) refcount);
        le.putInt(8, 1);
        int off = HEADER, vEnd = bs;
        int blockHash = 0;
        for (Attr a : sorted) {
            int vLen = a.value().length;
            int vOff = vLen == 0 ? 0 : vEnd - ((vLen + 3) & ~3);
            if (vLen > 0) {
                System.arraycopy(a.value(), 0, blk, vOff, vLen);
                vEnd = vOff;
            }
            blk[off] = (byte) a.name().length;
            blk[off + 1] = (byte) a.index();
            le.putShort(off + 2, (short) vOff);
            le.putInt(off + 4, 0);
            le.putInt(off + 8, vLen);
            System.arraycopy(a.name(), 0, blk, off + ENTRY, a.name().length);
            int h = entryHash(a.name(), le, vOff, vLen);
            le.putInt(off + 12, h);
            blockHash = (blockHash << 16) ^ (blockHash >>> 16) ^ h;
            off += (ENTRY + a.name().length + 3) & ~3;
        }
        le.putInt(12, blockHash);
        return blk;
    }

    /** ext2_xattr_hash_entry: name bytes (signed char, as the kernel), then value words. */
    static int entryHash(byte[] name, ByteBuffer le, int vOff, int vLen) {
        int hash = 0;
        for (byte c : name) hash = (hash << 5) ^ (hash >>> 27) ^ c;
        if (vLen != 0) {
            int words = (vLen + 3) >> 2;
            for (int i = 0; i < words; i++) hash = (hash << 16) ^ (hash >>> 16) ^ le.getInt(vOff + 4 * i);
        }
        return hash;
    }

    static void setRefcount(BufferCache.Buffer b, long refcount) {
        b.putInt(4, (int) refcount);
    }
}
