package io.strata.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Errno;
import io.strata.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Feeds the request decoder bytes the kernel would never send and checks that each gets an error
 * reply (or, where the protocol has none, silence) and that the worker keeps serving.
 */
class MalformedRequestTest {
    private Arena arena;
    private int[] sp;
    private Worker worker;
    private MemorySegment in;
    private Reply reply;
    private Request rq;
    private Dispatcher.Context cx;
    private MemorySegment replyBuf;
    private final TinyFs fs = new TinyFs();

    @BeforeEach
    void setUp() throws Exception {
        arena = Arena.ofConfined();
        sp = Libc.socketpair(Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC);
        worker = new Worker(new Channel(sp[0]), new Dispatcher(fs, null), null, false);
        in = arena.allocate(FuseConfig.MAX_WRITE + 8192, 8);
        reply = new Reply(arena.allocate(FuseConfig.MAX_WRITE + 4096, 8));
        replyBuf = arena.allocate(FuseConfig.MAX_WRITE + 4096, 8);
        rq = new Request();
        cx = new Dispatcher.Context();
        cx.channel = new Channel(sp[0]);
    }

    @AfterEach
    void tearDown() {
        Libc.closeQuietly(sp[0]);
        Libc.closeQuietly(sp[1]);
        arena.close();
    }

    /** A request: header with the right len unless {@code lie} != 0, then the given body. */
    private int feed(int opcode, long unique, long nodeid, byte[] body, int lie) {
        ByteBuffer b = ByteBuffer.allocate(40 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(40 + body.length + lie).putInt(opcode).putLong(unique).putLong(nodeid).putInt(0).putInt(0).putInt(1)
                .putInt(0).put(body);
        byte[] bytes = b.array();
        MemorySegment.copy(bytes, 0, in, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes.length);
        worker.serve(rq, in, bytes.length, reply, cx);
        return bytes.length;
    }

    /** The error of the reply to {@code unique}, or null if no reply was sent. */
    private Integer replyError(long unique) throws Exception {
        if (Libc.pollOne(sp[1], Libc.POLLIN, 0) == 0) return null;
        long n = Libc.read(sp[1], replyBuf, replyBuf.byteSize());
        assertTrue(n >= 16, "reply has a header");
        assertEquals(n, replyBuf.get(JAVA_INT_UNALIGNED, 0), "reply length field");
        assertEquals(unique, replyBuf.get(JAVA_LONG_UNALIGNED, 8));
        return -replyBuf.get(JAVA_INT_UNALIGNED, 4);
    }

    private static byte[] le(int... ints) {
        ByteBuffer b = ByteBuffer.allocate(ints.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : ints) b.putInt(i);
        return b.array();
    }

    private static byte[] cat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) b.put(p);
        return b.array();
    }

    private void assertStillServes() throws Exception {
        feed(Opcode.LOOKUP, 99, 1, "hello\0".getBytes(StandardCharsets.UTF_8), 0);
        assertEquals(0, replyError(99), "a well-formed LOOKUP still works");
    }

    @Test
    void unknownOpcodeGetsEnosys() throws Exception {
        feed(9999, 1, 1, new byte[0], 0);
        assertEquals(Errno.ENOSYS, replyError(1));
        feed(Opcode.IOCTL, 2, 1, new byte[32], 0);
        assertEquals(Errno.ENOSYS, replyError(2));
        assertStillServes();
    }

    @Test
    void nameWithoutNulIsEinval() throws Exception {
        feed(Opcode.LOOKUP, 3, 1, "hello".getBytes(StandardCharsets.UTF_8), 0);
        assertEquals(Errno.EINVAL, replyError(3));
        feed(Opcode.RENAME, 4, 1, cat(new byte[8], "a\0b".getBytes(StandardCharsets.UTF_8)), 0);
        assertEquals(Errno.EINVAL, replyError(4), "second name without NUL");
        assertStillServes();
    }

    @Test
    void truncatedArgumentsAreEinval() throws Exception {
        feed(Opcode.READ, 5, 2, new byte[12], 0);
        assertEquals(Errno.EINVAL, replyError(5));
        feed(Opcode.SETATTR, 6, 2, new byte[40], 0);
        assertEquals(Errno.EINVAL, replyError(6));
        feed(Opcode.MKNOD, 7, 1, new byte[3], 0);
        assertEquals(Errno.EINVAL, replyError(7));
        assertStillServes();
    }

    @Test
    void lyingLengthsAndHugeSizesAreRefused() throws Exception {
        feed(Opcode.GETATTR, 8, 1, new byte[16], 100); // header claims more than was read
        assertNull(replyError(8), "an inconsistent header is dropped, not trusted");
        byte[] read = new byte[40];
        ByteBuffer.wrap(read).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 7).putLong(8, 0).putInt(16, Integer.MAX_VALUE);
        feed(Opcode.READ, 9, 2, read, 0);
        assertEquals(Errno.EINVAL, replyError(9), "READ larger than max_write");
        byte[] write = new byte[40];
        ByteBuffer.wrap(write).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 1 << 20);
        feed(Opcode.WRITE, 10, 2, write, 0);
        assertEquals(Errno.EINVAL, replyError(10), "WRITE size beyond its payload");
        feed(Opcode.SETXATTR, 11, 2, cat(le(Integer.MAX_VALUE, 0), "user.x\0".getBytes(StandardCharsets.UTF_8)), 0);
        assertEquals(Errno.EINVAL, replyError(11), "xattr value size beyond payload");
        feed(Opcode.BATCH_FORGET, 12, 0, le(Integer.MAX_VALUE, 0), 0);
        assertNull(replyError(12), "BATCH_FORGET has no reply, even when refused");
        assertEquals(0, fs.forgets.get(), "a lying count forgets nothing");
        assertStillServes();
    }

    @Test
    void shortReadsAreIgnored() throws Exception {
        worker.serve(rq, in, 7, reply, cx);
        assertNull(replyError(0));
        assertStillServes();
    }

    @Test
    void randomGarbageNeverStopsTheWorker() throws Exception {
        Random r = new Random(42);
        for (int i = 0; i < 5000; i++) {
            int op = r.nextInt(60);
            byte[] body = new byte[r.nextInt(200)];
            r.nextBytes(body);
            feed(op, 1000 + i, r.nextInt(5), body, r.nextInt(10) == 0 ? r.nextInt(50) - 25 : 0);
            while (Libc.pollOne(sp[1], Libc.POLLIN, 0) != 0) Libc.read(sp[1], replyBuf, replyBuf.byteSize());
        }
        assertStillServes();
    }
}
