package io.strata.fuse;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import io.strata.core.Attr;
import io.strata.core.Entry;
import io.strata.core.Name;
import io.strata.core.XattrName;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A reply under construction in a worker's native buffer: fuse_out_header (len u32, error i32,
 * unique u64) followed by the operation's struct. Reused for every request of its worker, so
 * building a reply allocates nothing.
 */
final class Reply {
    static final int HEADER = 16;
    static final int ATTR_SIZE = 88, ENTRY_OUT_SIZE = 40 + ATTR_SIZE;

    final MemorySegment buf;
    private final ByteBuffer view; // the same memory, for copying Name bytes without a scratch array
    private int pos;

    Reply(MemorySegment buf) {
        this.buf = buf;
        this.view = buf.asByteBuffer();
    }

    int capacity() {
        return (int) buf.byteSize();
    }

    /** Starts a reply body right after the header. */
    Reply begin() {
        pos = HEADER;
        return this;
    }

    int position() {
        return pos;
    }

    void position(int p) {
        pos = p;
    }

    Reply u32(int v) {
        buf.set(JAVA_INT_UNALIGNED, pos, v);
        pos += 4;
        return this;
    }

    Reply u16(int v) {
        buf.set(JAVA_SHORT_UNALIGNED, pos, (short) v);
        pos += 2;
        return this;
    }

    Reply u64(long v) {
        buf.set(JAVA_LONG_UNALIGNED, pos, v);
        pos += 8;
        return this;
    }

    Reply zeros(int n) {
        buf.asSlice(pos, n).fill((byte) 0);
        pos += n;
        return this;
    }

    Reply bytes(byte[] b) {
        MemorySegment.copy(b, 0, buf, JAVA_BYTE, pos, b.length);
        pos += b.length;
        return this;
    }

    /** The bytes of a name (no NUL). */
    Reply name(Name n) {
        view.position(pos);
        n.putTo(view);
        pos += n.length();
        return this;
    }

    /** The bytes of an xattr name followed by its NUL (a LISTXATTR list). */
    Reply xattrName(XattrName n) {
        int len = n.length();
        byte[] b = new byte[len];
        n.copyTo(b, 0);
        bytes(b);
        buf.set(JAVA_BYTE, pos++, (byte) 0);
        return this;
    }

    /** Pads with zeros to the next multiple of 8 (dirents). */
    Reply align8() {
        int pad = (8 - (pos & 7)) & 7;
        if (pad > 0) zeros(pad);
        return this;
    }

    /** A writable view of the body area for READ data, of at most {@code max} bytes. */
    ByteBuffer dataArea(int max) {
        return buf.asSlice(HEADER, Math.min(max, capacity() - HEADER)).asByteBuffer();
    }

    /** Fills in the header for a reply of {@code bodyEnd} bytes (ignored on error); returns the length to write. */
    int finish(long unique, int error, int bodyEnd) {
        int len = error == 0 ? bodyEnd : HEADER;
        buf.set(JAVA_INT_UNALIGNED, 0, len);
        buf.set(JAVA_INT_UNALIGNED, 4, -error);
        buf.set(JAVA_LONG_UNALIGNED, 8, unique);
        return len;
    }

    // ---- common structs ----

    static long secs(long ns) {
        return Math.floorDiv(ns, 1_000_000_000L);
    }

    static int nsecs(long ns) {
        return (int) Math.floorMod(ns, 1_000_000_000L);
    }

    /** fuse_attr (88 bytes). */
    Reply attr(Attr a) {
        u64(a.ino()).u64(a.size()).u64(a.blocks());
        u64(secs(a.atimeNs())).u64(secs(a.mtimeNs())).u64(secs(a.ctimeNs()));
        u32(nsecs(a.atimeNs())).u32(nsecs(a.mtimeNs())).u32(nsecs(a.ctimeNs()));
        u32(a.mode()).u32(a.nlink()).u32(a.uid()).u32(a.gid()).u32(a.rdev()).u32(a.blksize()).u32(0);
        return this;
    }

    /** fuse_sx_time (16 bytes): tv_sec i64, tv_nsec u32, reserved. */
    private Reply sxTime(long ns) {
        return u64(secs(ns)).u32(nsecs(ns)).u32(0);
    }

    /** statx(2) mask bits: the basic stats and the birth time. */
    static final int STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800;

    /** fuse_statx (256 bytes). Device numbers are the kernel's own (dev_major/minor left 0). */
    Reply statx(Attr a, long attributesMask) {
        int mask = STATX_BASIC_STATS | (a.has(Attr.BTIME) ? STATX_BTIME : 0);
        u32(mask).u32(a.blksize()).u64(a.attributes());
        u32(a.nlink()).u32(a.uid()).u32(a.gid()).u16(a.mode()).u16(0);
        u64(a.ino()).u64(a.size()).u64(a.blocks()).u64(attributesMask);
        sxTime(a.atimeNs()).sxTime(a.has(Attr.BTIME) ? a.btimeNs() : 0).sxTime(a.ctimeNs()).sxTime(a.mtimeNs());
        int dev = a.rdev(); // new_encode_dev: minor low 8 bits and bits 20+, major bits 8..19
        u32((dev & 0xfff00) >>> 8).u32((dev & 0xff) | ((dev >>> 12) & 0xfff00));
        return u32(0).u32(0).zeros(14 * 8);
    }

    /** fuse_entry_out (128 bytes); a negative entry is nodeid 0 with only an entry timeout. */
    Reply entry(Entry e) {
        if (e.isNegative()) {
            u64(0).u64(0).u64(secs(e.entryTimeoutNs())).u64(0).u32(nsecs(e.entryTimeoutNs())).u32(0);
            return zeros(ATTR_SIZE);
        }
        u64(e.ino()).u64(e.generation());
        u64(secs(e.entryTimeoutNs())).u64(secs(e.attrTimeoutNs()));
        u32(nsecs(e.entryTimeoutNs())).u32(nsecs(e.attrTimeoutNs()));
        return attr(e.attr());
    }
}
