package io.strata.ninep.wire;

import io.strata.core.Name;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Little-endian appends into a growing array; the message size is patched in at the end. */
final class WireWriter {
    private byte[] buf;
    private int len;

    WireWriter(int initial) {
        buf = new byte[Math.max(initial, 16)];
    }

    private void room(int n) {
        if (len + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }

    WireWriter u8(int v) {
        room(1);
        buf[len++] = (byte) v;
        return this;
    }

    WireWriter u16(int v) {
        room(2);
        buf[len++] = (byte) v;
        buf[len++] = (byte) (v >>> 8);
        return this;
    }

    WireWriter u32(int v) {
        room(4);
        for (int i = 0; i < 4; i++) buf[len++] = (byte) (v >>> (8 * i));
        return this;
    }

    WireWriter u64(long v) {
        room(8);
        for (int i = 0; i < 8; i++) buf[len++] = (byte) (v >>> (8 * i));
        return this;
    }

    WireWriter bytes(byte[] b) {
        if (b.length > 0xFFFF) throw new IllegalArgumentException("string longer than 65535 bytes");
        u16(b.length);
        room(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    WireWriter text(String s) {
        return bytes(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    WireWriter name(Name n) {
        u16(n.length());
        room(n.length());
        n.copyTo(buf, len);
        len += n.length();
        return this;
    }

    WireWriter qid(Qid q) {
        return u8(q.type()).u32(q.version()).u64(q.path());
    }

    WireWriter stat(Stat s) {
        u32(s.mode()).u32(s.uid()).u32(s.gid()).u64(s.nlink()).u64(s.rdev()).u64(s.size()).u64(s.blksize())
                .u64(s.blocks());
        u64(s.atimeSec()).u64(s.atimeNsec()).u64(s.mtimeSec()).u64(s.mtimeNsec()).u64(s.ctimeSec())
                .u64(s.ctimeNsec()).u64(s.btimeSec()).u64(s.btimeNsec());
        return u64(s.gen()).u64(s.dataVersion());
    }

    /** Appends {@code data}'s remaining bytes without moving its position. */
    WireWriter raw(ByteBuffer data) {
        int n = data.remaining();
        room(n);
        data.duplicate().get(buf, len, n);
        len += n;
        return this;
    }

    int length() {
        return len;
    }

    /** The finished message with its size field filled in. */
    ByteBuffer finish() {
        int n = len;
        buf[0] = (byte) n;
        buf[1] = (byte) (n >>> 8);
        buf[2] = (byte) (n >>> 16);
        buf[3] = (byte) (n >>> 24);
        return ByteBuffer.wrap(buf, 0, n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
