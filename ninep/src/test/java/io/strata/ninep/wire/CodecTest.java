package io.strata.ninep.wire;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Errno;
import io.strata.core.Name;
import io.strata.ninep.wire.Message.*;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CodecTest {
    static final long MSIZE = 1 << 20;

    static Message decode(byte[] b) throws MalformedMessageException {
        return Decoder.decode(ByteBuffer.wrap(b), MSIZE);
    }

    @Test
    void everyMessageRoundTrips() throws Exception {
        Set<Integer> types = new HashSet<>();
        for (Message m : Samples.all()) {
            byte[] wire = Samples.bytes(m);
            assertEquals(wire.length, ByteBuffer.wrap(wire).order(ByteOrder.LITTLE_ENDIAN).getInt(), "size field of " + m);
            assertEquals(m.type(), wire[4] & 0xff);
            Message back = decode(wire);
            assertEquals(m.getClass(), back.getClass());
            assertEquals(m.tag(), back.tag());
            assertArrayEquals(wire, Samples.bytes(back), "re-encoding of " + m.getClass().getSimpleName());
            types.add(m.type());
        }
        // every T of the issue, its R, Rlerror and the gVisor pair
        int[] expected = {7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 30, 31, 32, 33, 40,
                41, 50, 51, 52, 53, 54, 55, 70, 71, 72, 73, 74, 75, 76, 77, 100, 101, 102, 103, 104, 105, 108, 109, 110,
                111, 116, 117, 118, 119, 120, 121, 122, 123, 126, 127};
        for (int t : expected) assertTrue(types.contains(t), "no sample of type " + t);
    }

    @Test
    void fieldsSurvive() throws Exception {
        Twalk w = (Twalk) decode(Samples.bytes(new Twalk(5, 7, 9, List.of(Name.of("x"), Name.DOTDOT))));
        assertEquals(7, w.fid());
        assertEquals(9, w.newfid());
        assertEquals(List.of(Name.of("x"), Name.DOTDOT), w.names());
        assertTrue(w.names().get(1).isDotDot());
        Rgetattr g = (Rgetattr) decode(Samples.bytes(new Rgetattr(1, 3, Samples.QID, Samples.STAT)));
        assertEquals(Samples.STAT, g.attr());
        assertEquals(Samples.QID, g.qid());
        Twrite tw = (Twrite) decode(Samples.bytes(new Twrite(1, 2, -1L, ByteBuffer.wrap(new byte[] {1, 2, 3}))));
        assertEquals(3, tw.data().remaining());
        assertEquals(-1L, tw.offset());
        Tfsync legacy = (Tfsync) decode(raw(P9.TFSYNC, 1, le(4, 77)));
        assertEquals(77, legacy.fid());
        assertEquals(0, legacy.datasync());
    }

    @Test
    void direntsRoundTrip() throws Exception {
        DirEntries d = new DirEntries(64);
        assertTrue(d.add(new DirEntry(Samples.QID, 1, 4, Name.of("abc"))));
        assertFalse(d.add(new DirEntry(Samples.QID, 2, 8, Name.of("x".repeat(40)))), "must refuse what does not fit");
        List<DirEntry> back = DirEntries.parse(d.payload(), 0);
        assertEquals(List.of(new DirEntry(Samples.QID, 1, 4, Name.of("abc"))), back);
    }

    // ---- malformed input ----

    static byte[] le(int width, long v) {
        byte[] b = new byte[width];
        for (int i = 0; i < width; i++) b[i] = (byte) (v >>> (8 * i));
        return b;
    }

    static byte[] raw(int type, int tag, byte[]... parts) {
        int n = 7;
        for (byte[] p : parts) n += p.length;
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(n).put((byte) type).putShort((short) tag);
        for (byte[] p : parts) b.put(p);
        return b.array();
    }

    static byte[] str(String s) {
        byte[] v = Samples.b(s);
        return cat(le(2, v.length), v);
    }

    static byte[] cat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    static MalformedMessageException bad(byte[] b) {
        return assertThrows(MalformedMessageException.class, () -> decode(b));
    }

    @Test
    void brokenHeaderIsUnanswerable() {
        assertFalse(bad(new byte[] {1, 2, 3}).answerable());
        assertFalse(bad(cat(le(4, 3), new byte[] {100, 0, 0})).answerable());
    }

    @Test
    void lyingSizeIsAnsweredWithTheTag() {
        byte[] m = raw(P9.TCLUNK, 42, le(4, 1));
        ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(0, m.length + 100);
        MalformedMessageException e = bad(m);
        assertEquals(42, e.tag());
        assertEquals(Errno.EPROTO, e.errno());
        byte[] huge = raw(P9.TCLUNK, 43, le(4, 1));
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0xFFFFFFF0);
        assertEquals(43, bad(huge).tag());
        // over the negotiated msize even though it is all there
        byte[] big = Samples.bytes(new Twrite(44, 1, 0, ByteBuffer.allocate(9000)));
        MalformedMessageException x = assertThrows(MalformedMessageException.class,
                () -> Decoder.decode(ByteBuffer.wrap(big), 8192));
        assertEquals(44, x.tag());
    }

    @Test
    void stringLongerThanTheMessage() {
        MalformedMessageException e = bad(raw(P9.TATTACH, 5, le(4, 0), le(4, -1), le(2, 60000), Samples.b("ab")));
        assertEquals(5, e.tag());
        assertEquals(Errno.EPROTO, e.errno());
    }

    @Test
    void writeCountBeyondTheData() {
        MalformedMessageException e = bad(raw(P9.TWRITE, 6, le(4, 1), le(8, 0), le(4, 0xFFFFFFFFL), new byte[10]));
        assertEquals(6, e.tag());
        bad(raw(P9.TWRITE, 6, le(4, 1), le(8, 0), le(4, 3), new byte[10])); // trailing bytes
    }

    @Test
    void walkNameRules() {
        assertEquals(Errno.EINVAL, bad(raw(P9.TWALK, 7, le(4, 0), le(4, 1), le(2, 17))).errno());
        assertEquals(Errno.EINVAL, bad(raw(P9.TWALK, 7, le(4, 0), le(4, 1), le(2, 1), str("a/b"))).errno());
        assertEquals(Errno.EINVAL, bad(raw(P9.TWALK, 7, le(4, 0), le(4, 1), le(2, 1), str(""))).errno());
        assertEquals(Errno.EINVAL, bad(raw(P9.TWALK, 7, le(4, 0), le(4, 1), le(2, 1), cat(le(2, 3), new byte[] {'a', 0, 'b'}))).errno());
        assertEquals(Errno.ENAMETOOLONG, bad(raw(P9.TWALK, 7, le(4, 0), le(4, 1), le(2, 1), str("x".repeat(256)))).errno());
        // 16 names of which the announced 17th is missing
        assertEquals(7, bad(raw(P9.TWALK, 7, le(4, 0), le(4, 1), le(2, 2), str("a"))).tag());
    }

    @Test
    void dotsOnlyWhereLegal() throws Exception {
        assertInstanceOf(Twalk.class, decode(raw(P9.TWALK, 1, le(4, 0), le(4, 1), le(2, 1), str(".."))));
        for (String n : new String[] {".", ".."}) {
            assertEquals(Errno.EINVAL, bad(raw(P9.TMKDIR, 1, le(4, 0), str(n), le(4, 0755), le(4, 0))).errno());
            assertEquals(Errno.EINVAL, bad(raw(P9.TLCREATE, 1, le(4, 0), str(n), le(4, 0), le(4, 0), le(4, 0))).errno());
            assertEquals(Errno.EINVAL, bad(raw(P9.TUNLINKAT, 1, le(4, 0), str(n), le(4, 0))).errno());
            assertEquals(Errno.EINVAL, bad(raw(P9.TRENAMEAT, 1, le(4, 0), str("a"), le(4, 0), str(n))).errno());
        }
    }

    @Test
    void unknownTypeAndTrailingBytes() {
        MalformedMessageException e = bad(raw(99, 8));
        assertEquals(8, e.tag());
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertEquals(Errno.EPROTO, bad(raw(P9.TCLUNK, 9, le(4, 1), new byte[] {0})).errno());
        assertEquals(Errno.EPROTO, bad(raw(P9.TCLUNK, 9, le(2, 1))).errno());
    }

    @Test
    void badLockTypeAndXattrNames() {
        assertEquals(Errno.EINVAL, bad(raw(P9.TLOCK, 1, le(4, 1), le(1, 7), le(4, 0), le(8, 0), le(8, 0), le(4, 0), str("h"))).errno());
        assertEquals(Errno.EINVAL, bad(raw(P9.TXATTRCREATE, 1, le(4, 1), str(""), le(8, 0), le(4, 0))).errno());
    }
}
