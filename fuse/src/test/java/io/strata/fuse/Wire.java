package io.strata.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.FileSystem;
import io.strata.core.Session;
import io.strata.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A worker wired to a socketpair instead of /dev/fuse: tests write raw request bytes and read the
 * raw reply, with no kernel and no mount. One per test; {@link #close()} releases everything.
 */
final class Wire implements AutoCloseable {
    /** A reply: the error from its header (positive errno, 0 for success) and its body. */
    record Answer(int error, ByteBuffer body) {}

    private final Arena arena = Arena.ofConfined();
    private final int[] sp;
    final Session session;
    private final Worker worker;
    private final MemorySegment in;
    private final MemorySegment replyBuf;
    private final Reply reply;
    private final Request rq = new Request();
    private final Dispatcher.Context cx = new Dispatcher.Context();

    Wire(FileSystem fs, boolean writeback) throws Exception {
        sp = Libc.socketpair(Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC);
        session = Session.attach(fs, "wire", null);
        worker = new Worker(new Channel(sp[0]), new Dispatcher(session, null, writeback, true), null, false);
        in = arena.allocate(FuseConfig.MAX_WRITE + 8192, 8);
        replyBuf = arena.allocate(FuseConfig.MAX_WRITE + 4096, 8);
        reply = new Reply(arena.allocate(FuseConfig.MAX_WRITE + 4096, 8));
        cx.channel = new Channel(sp[0]);
    }

    /** A request with header fields uid 0, gid 0, pid 1: body after the 40-byte header. */
    int feed(int opcode, long unique, long nodeid, byte[] body, int lie) {
        return feed(opcode, unique, nodeid, 0, 0, 1, body, new byte[0], lie);
    }

    /**
     * A request with the given credentials, arguments {@code body} and extension records
     * {@code ext} (a multiple of 8 bytes; total_extlen is set from it). {@code lie} is added to
     * the header's length field.
     */
    int feed(int opcode, long unique, long nodeid, int uid, int gid, int pid, byte[] body, byte[] ext, int lie) {
        ByteBuffer b = ByteBuffer.allocate(40 + body.length + ext.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(40 + body.length + ext.length + lie).putInt(opcode).putLong(unique).putLong(nodeid).putInt(uid)
                .putInt(gid).putInt(pid).putShort((short) (ext.length / 8)).putShort((short) 0).put(body).put(ext);
        byte[] bytes = b.array();
        MemorySegment.copy(bytes, 0, in, ValueLayout.JAVA_BYTE, 0, bytes.length);
        worker.serve(rq, in, bytes.length, reply, cx);
        return bytes.length;
    }

    /** Feeds only {@code n} bytes of whatever the buffer holds (short reads). */
    void feedRaw(int n) {
        worker.serve(rq, in, n, reply, cx);
    }

    /** The reply to {@code unique}, or null if none was sent. */
    Answer answer(long unique) throws Exception {
        if (Libc.pollOne(sp[1], Libc.POLLIN, 0) == 0) return null;
        long n = Libc.read(sp[1], replyBuf, replyBuf.byteSize());
        assertTrue(n >= 16, "reply has a header");
        assertEquals(n, replyBuf.get(JAVA_INT_UNALIGNED, 0), "reply length field");
        assertEquals(unique, replyBuf.get(JAVA_LONG_UNALIGNED, 8));
        byte[] body = new byte[(int) n - 16];
        MemorySegment.copy(replyBuf, ValueLayout.JAVA_BYTE, 16, body, 0, body.length);
        return new Answer(-replyBuf.get(JAVA_INT_UNALIGNED, 4), ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN));
    }

    /** The error of the reply to {@code unique}, or null if no reply was sent. */
    Integer replyError(long unique) throws Exception {
        Answer a = answer(unique);
        return a == null ? null : a.error();
    }

    /** Reads and discards every pending reply. */
    void drain() throws Exception {
        while (Libc.pollOne(sp[1], Libc.POLLIN, 0) != 0) Libc.read(sp[1], replyBuf, replyBuf.byteSize());
    }

    static byte[] le(int... ints) {
        ByteBuffer b = ByteBuffer.allocate(ints.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : ints) b.putInt(i);
        return b.array();
    }

    static byte[] cat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) b.put(p);
        return b.array();
    }

    /** {@code bytes} followed by a NUL. */
    static byte[] z(byte... bytes) {
        byte[] out = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        return out;
    }

    static byte[] z(String s) {
        return z(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        session.close();
        Libc.closeQuietly(sp[0]);
        Libc.closeQuietly(sp[1]);
        arena.close();
    }
}
