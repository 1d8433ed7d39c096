package io.strata.fuse;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.XattrName;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * One request as read from /dev/fuse, decoded in place from the worker's native buffer. Every
 * accessor checks bounds against the request's own length, so a truncated or lying request becomes
 * a {@link BadRequestException}, never a read of stale bytes from an earlier request.
 *
 * <p>fuse_in_header (40 bytes): len u32, opcode u32, unique u64, nodeid u64, uid u32, gid u32,
 * pid u32, total_extlen u16, padding u16. Names arrive as NUL-terminated bytes and stay bytes
 * ({@link Name}, {@link XattrName}): nothing here decodes them as text.
 */
final class Request {
    static final int HEADER = 40;
    /** enum fuse_ext_type: types 0..31 are security contexts; 32 is fuse_supp_groups. */
    static final int EXT_GROUPS = 32;

    private MemorySegment buf;
    private int length; // bytes of header + arguments (extension headers excluded)
    private int end;    // bytes read: extension records lie in [length, end)
    int opcode;
    long unique;
    long nodeid;
    int uid, gid, pid;
    /**
     * The one supplementary group FUSE_CREATE_SUPP_GROUP sends with a create-type request (the
     * parent directory's group, when the caller is in it but it is not the caller's fsgid), or -1.
     */
    int extGroup;
    private int cursor; // next argument byte

    /** Decodes the header of {@code n} bytes just read into {@code buf}. */
    void reset(MemorySegment buf, int n) throws BadRequestException {
        this.buf = buf;
        this.length = n;
        this.cursor = HEADER;
        this.extGroup = -1;
        if (n < HEADER) throw new BadRequestException("short read: " + n + " bytes");
        int declared = buf.get(JAVA_INT_UNALIGNED, 0);
        opcode = buf.get(JAVA_INT_UNALIGNED, 4);
        unique = buf.get(JAVA_LONG_UNALIGNED, 8);
        nodeid = buf.get(JAVA_LONG_UNALIGNED, 16);
        uid = buf.get(JAVA_INT_UNALIGNED, 24);
        gid = buf.get(JAVA_INT_UNALIGNED, 28);
        pid = buf.get(JAVA_INT_UNALIGNED, 32);
        if (declared != n) throw new BadRequestException("header says " + declared + " bytes, read " + n);
        // Extension headers follow the arguments; they are never treated as arguments.
        int extlen = Short.toUnsignedInt(buf.get(JAVA_SHORT_UNALIGNED, 36)) * 8;
        if (extlen > n - HEADER) throw new BadRequestException("extension length " + extlen + " too big");
        this.length = n - extlen;
        this.end = n;
    }

    /**
     * Decodes the extension records (fuse_ext_header {size u32 including itself, 8-aligned;
     * type u32}) after the arguments. Separate from {@link #reset} so a malformed one is answered
     * with EINVAL: the header is sound by then.
     */
    void extensions() throws BadRequestException {
        int at = length;
        while (at < end) {
            if (end - at < 8) throw new BadRequestException("truncated extension header");
            int size = buf.get(JAVA_INT_UNALIGNED, at), type = buf.get(JAVA_INT_UNALIGNED, at + 4);
            if (size < 8 || (size & 7) != 0 || size > end - at) throw new BadRequestException("extension size " + size);
            if (type == EXT_GROUPS && size >= 16) {
                int count = buf.get(JAVA_INT_UNALIGNED, at + 8);
                if (count >= 1 && count <= (size - 12) / 4) extGroup = buf.get(JAVA_INT_UNALIGNED, at + 12);
            }
            at += size;
        }
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

    /** The bytes of a NUL-terminated string (the NUL must lie inside the request), NUL excluded. */
    byte[] cstring() throws BadRequestException {
        int start = cursor;
        int end = start;
        while (end < length && buf.get(JAVA_BYTE, end) != 0) end++;
        if (end >= length) throw new BadRequestException(Opcode.name(opcode) + ": string without NUL");
        cursor = end + 1;
        byte[] bytes = new byte[end - start];
        MemorySegment.copy(buf, JAVA_BYTE, start, bytes, 0, bytes.length);
        return bytes;
    }

    /** A directory-entry name; an invalid one (empty, too long, '/') fails with Name's errno. */
    Name name() throws BadRequestException, FsException {
        return Name.wrap(cstring());
    }

    /** An xattr name; an invalid one fails with XattrName's errno. */
    XattrName xattrName() throws BadRequestException, FsException {
        return XattrName.of(cstring());
    }

    /** Raw bytes of a given size (xattr values, ioctl input). */
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
