package io.strata.fuse;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import io.strata.core.Attr;
import io.strata.core.Entry;
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
    private int pos;

    Reply(MemorySegment buf) {
        this.buf = buf;
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

    /** fuse_entry_out (128 bytes). */
    Reply entry(Entry e) {
        u64(e.ino()).u64(e.generation());
        u64(secs(e.entryTimeoutNs())).u64(secs(e.attrTimeoutNs()));
        u32(nsecs(e.entryTimeoutNs())).u32(nsecs(e.attrTimeoutNs()));
        return attr(e.attr());
    }
}
