package io.strata.fuse;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One request as read from /dev/fuse, decoded in place from the worker's native buffer. Every
 * accessor checks bounds against the request's own length, so a truncated or lying request becomes
 * a {@link BadRequestException}, never a read of stale bytes from an earlier request.
 *
 * <p>fuse_in_header (40 bytes): len u32, opcode u32, unique u64, nodeid u64, uid u32, gid u32,
 * pid u32, total_extlen u16, padding u16.
 */
final class Request {
    static final int HEADER = 40;

    private MemorySegment buf;
    private int length; // bytes actually read
    int opcode;
    long unique;
    long nodeid;
    int uid, gid, pid;
    private int cursor; // next argument byte

    /** Decodes the header of {@code n} bytes just read into {@code buf}. */
    void reset(MemorySegment buf, int n) throws BadRequestException {
        this.buf = buf;
        this.length = n;
        this.cursor = HEADER;
        if (n < HEADER) throw new BadRequestException("short read: " + n + " bytes");
        int declared = buf.get(JAVA_INT_UNALIGNED, 0);
        opcode = buf.get(JAVA_INT_UNALIGNED, 4);
        unique = buf.get(JAVA_LONG_UNALIGNED, 8);
        nodeid = buf.get(JAVA_LONG_UNALIGNED, 16);
        uid = buf.get(JAVA_INT_UNALIGNED, 24);
        gid = buf.get(JAVA_INT_UNALIGNED, 28);
        pid = buf.get(JAVA_INT_UNALIGNED, 32);
        if (declared != n) throw new BadRequestException("header says " + declared + " bytes, read " + n);
        // Extension headers (security context, supplementary groups) follow the arguments; we
        // negotiate none, but never treat them as arguments.
        int extlen = Short.toUnsignedInt(buf.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 36)) * 8;
        if (extlen > n - HEADER) throw new BadRequestException("extension length " + extlen + " too big");
        this.length = n - extlen;
    }

    int remaining() {
        return length - cursor;
    }

    /** Reserves a fixed-size argument struct and returns its offset. */
    int struct(int size) throws BadRequestException {
        if (remaining() < size) {
            throw new BadRequestException(Opcode.name(opcode) + ": argument needs " + size + " bytes, has "
                    + remaining());
        }
        int at = cursor;
        cursor += size;
        return at;
    }

    int u32(int off) {
        return buf.get(JAVA_INT_UNALIGNED, off);
    }

    long u64(int off) {
        return buf.get(JAVA_LONG_UNALIGNED, off);
    }

    /** A NUL-terminated name; the NUL must lie inside the request. */
    String name() throws BadRequestException {
        int start = cursor;
        int end = start;
        while (end < length && buf.get(JAVA_BYTE, end) != 0) end++;
        if (end >= length) throw new BadRequestException(Opcode.name(opcode) + ": name without NUL");
        cursor = end + 1;
        byte[] bytes = new byte[end - start];
        MemorySegment.copy(buf, JAVA_BYTE, start, bytes, 0, bytes.length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Raw bytes of a given size (xattr values). */
    byte[] bytes(int size) throws BadRequestException {
        if (size < 0 || remaining() < size) {
            throw new BadRequestException(Opcode.name(opcode) + ": payload of " + size + " bytes, has "
                    + remaining());
        }
        byte[] b = new byte[size];
        MemorySegment.copy(buf, JAVA_BYTE, cursor, b, 0, size);
        cursor += size;
        return b;
    }

    /** A view of the write payload, without copying. */
    ByteBuffer payload(int size) throws BadRequestException {
        if (size < 0 || remaining() < size) {
            throw new BadRequestException(Opcode.name(opcode) + ": payload of " + size + " bytes, has "
                    + remaining());
        }
        ByteBuffer b = buf.asSlice(cursor, size).asByteBuffer();
        cursor += size;
        return b;
    }
}
