package io.strata.ninep.wire;

import io.strata.core.Errno;
import io.strata.core.Name;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked little-endian reads over one message body. Every length a field claims is checked
 * against the bytes actually left before anything is allocated, so a hostile size costs nothing.
 * Failures are {@link MalformedMessageException}s carrying the message's tag.
 */
final class WireReader {
    private final ByteBuffer buf;
    private final int tag;

    WireReader(ByteBuffer body, int tag) {
        this.buf = body.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.tag = tag;
    }

    int remaining() {
        return buf.remaining();
    }

    MalformedMessageException bad(int errno, String why) {
        return new MalformedMessageException(tag, errno, why);
    }

    private void need(int n, String what) throws MalformedMessageException {
        if (buf.remaining() < n) throw bad(Errno.EPROTO, "truncated " + what);
    }

    int u8(String what) throws MalformedMessageException {
        need(1, what);
        return buf.get() & 0xFF;
    }

    int u16(String what) throws MalformedMessageException {
        need(2, what);
        return buf.getShort() & 0xFFFF;
    }

    int u32(String what) throws MalformedMessageException {
        need(4, what);
        return buf.getInt();
    }

    long u64(String what) throws MalformedMessageException {
        need(8, what);
        return buf.getLong();
    }

    /** A string's bytes: len[2] then that many bytes, checked to be present. No NUL allowed. */
    byte[] bytes(String what) throws MalformedMessageException {
        int len = u16(what + " length");
        need(len, what);
        byte[] b = new byte[len];
        buf.get(b);
        for (byte x : b) if (x == 0) throw bad(Errno.EINVAL, what + " contains NUL");
        return b;
    }

    /** A version string: ASCII in practice; decoded byte-for-char so it never fails. */
    String text(String what) throws MalformedMessageException {
        return new String(bytes(what), StandardCharsets.ISO_8859_1);
    }

    /** One path component; "." and ".." only if {@code dotsAllowed}. */
    Name name(String what, boolean dotsAllowed) throws MalformedMessageException {
        byte[] b = bytes(what);
        if (b.length == 0) throw bad(Errno.EINVAL, what + " is empty");
        if (b.length > P9.NAME_MAX) throw bad(Errno.ENAMETOOLONG, what + " is too long");
        for (byte x : b) if (x == '/') throw bad(Errno.EINVAL, what + " contains '/'");
        Name n;
        try {
            n = Name.wrap(b);
        } catch (io.strata.core.FsException e) {
            throw bad(e.errno(), what + ": " + e.getMessage());
        }
        if (!dotsAllowed && n.isDotOrDotDot()) throw bad(Errno.EINVAL, what + " may not be '.' or '..'");
        return n;
    }

    Qid qid(String what) throws MalformedMessageException {
        need(Qid.SIZE, what);
        int type = buf.get() & 0xFF;
        int version = buf.getInt();
        long path = buf.getLong();
        return new Qid(type, version, path);
    }

    Stat stat() throws MalformedMessageException {
        need(Stat.SIZE, "attributes");
        return new Stat(buf.getInt(), buf.getInt(), buf.getInt(), buf.getLong(), buf.getLong(), buf.getLong(),
                buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong(),
                buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong());
    }

    /** A view (no copy) of the next {@code n} bytes, n already known to fit an int. */
    ByteBuffer view(long n, String what) throws MalformedMessageException {
        if (n < 0 || n > buf.remaining()) throw bad(Errno.EPROTO, what + " count " + n + " exceeds the message");
        ByteBuffer v = buf.slice(buf.position(), (int) n);
        buf.position(buf.position() + (int) n);
        return v;
    }

    void end(String what) throws MalformedMessageException {
        if (buf.hasRemaining()) throw bad(Errno.EPROTO, buf.remaining() + " trailing bytes after " + what);
    }
}
