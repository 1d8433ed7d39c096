package io.strata.ninep;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Errno;
import io.strata.core.OpenFlags;
import io.strata.ninep.wire.Encoder;
import io.strata.ninep.wire.Message;
import io.strata.ninep.wire.Message.*;
import io.strata.ninep.wire.P9;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Garbage, lies and rude disconnects: each ends at most its own connection, never the server. */
@org.junit.jupiter.api.Timeout(30)
class HostileClientTest {
    Fixture fx;

    @BeforeEach
    void start() throws Exception {
        fx = new Fixture();
    }

    @AfterEach
    void stop() throws Exception {
        fx.close();
    }

    static byte[] header(long size, int type, int tag) {
        ByteBuffer b = ByteBuffer.allocate(7).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) size).put((byte) type).putShort((short) tag);
        return b.array();
    }

    /** A well-behaved client still gets served, and nothing is left held by the others. */
    private void serverStillWorks() throws Exception {
        try (RawClient c = fx.client(1000)) {
            c.walk(0, 1, "a.txt");
            c.rpc(new Tlopen(c.tag(), 1, OpenFlags.O_RDONLY));
            Rread r = (Rread) c.rpc(new Tread(c.tag(), 1, 0, 100));
            assertEquals(Fixture.HELLO.length, r.data().remaining());
        }
        assertTrue(fx.fs.settles(), "references " + fx.fs.refs + " handles " + fx.fs.handles);
    }

    @Test
    void brokenHeaderClosesTheConnection() throws Exception {
        try (RawClient c = new RawClient(fx.server.address())) {
            c.sendRaw(header(3, 0, 0));
            assertTrue(c.closedByServer());
        }
        serverStillWorks();
    }

    @Test
    void oversizeMessageIsAnsweredThenClosed() throws Exception {
        try (RawClient c = fx.client(1000)) {
            c.sendRaw(header(1L << 30, P9.TWRITE, 77));
            Message m = c.receive();
            assertEquals(77, m.tag());
            assertEquals(Errno.EPROTO, ((Rlerror) m).ecode());
            assertTrue(c.closedByServer());
        }
        serverStillWorks();
    }

    @Test
    void malformedBodiesAreAnsweredAndTheConnectionLives() throws Exception {
        try (RawClient c = fx.client(1000)) {
            // a walk name with '/', 17 names, an unknown type, a lying string length
            ByteBuffer slash = Encoder.encode(new Twalk(5, 0, 1, RawClient.path("a.txt")));
            slash.put(19, (byte) '/');
            c.sendRaw(slash);
            assertEquals(Errno.EINVAL, ((Rlerror) c.receive()).ecode());
            ByteBuffer many = ByteBuffer.allocate(7 + 10 + 17 * 3).order(ByteOrder.LITTLE_ENDIAN);
            many.putInt(many.capacity()).put((byte) P9.TWALK).putShort((short) 6).putInt(0).putInt(1).putShort((short) 17);
            for (int i = 0; i < 17; i++) many.putShort((short) 1).put((byte) 'x');
            c.sendRaw(many.flip());
            Message m = c.receive();
            assertEquals(6, m.tag());
            assertEquals(Errno.EINVAL, ((Rlerror) m).ecode());
            c.sendRaw(header(7, 99, 7));
            assertEquals(Errno.EOPNOTSUPP, ((Rlerror) c.receive()).ecode());
            ByteBuffer lie = ByteBuffer.allocate(7 + 4 + 4 + 2 + 2).order(ByteOrder.LITTLE_ENDIAN);
            lie.putInt(lie.capacity()).put((byte) P9.TATTACH).putShort((short) 8).putInt(3).putInt(-1).putShort((short) 65000).put(new byte[2]);
            c.sendRaw(lie.flip());
            assertEquals(8, c.receive().tag());
            // replies sent by a client are refused, bad fids answered
            assertEquals(Errno.EPROTO, c.errno(c.rpc(new Rclunk(9))));
            assertEquals(Errno.EBADF, c.errno(c.rpc(new Tclunk(10, 12345))));
            assertEquals(Errno.EBADF, c.errno(c.rpc(new Tread(11, P9.NOFID, 0, 10))));
            assertEquals(Errno.EBADF, c.errno(c.rpc(new Tattach(12, 0, P9.NOFID, "x".getBytes(), new byte[0], 1000))),
                    "attach onto a fid in use");
            assertEquals(Errno.EINVAL, c.errno(c.rpc(new Tattach(13, 5, 0, "x".getBytes(), new byte[0], 1000))),
                    "no auth fids");
            // still fine
            assertInstanceOf(Rgetattr.class, c.rpc(new Tgetattr(14, 0, P9.GETATTR_BASIC)));
        }
        serverStillWorks();
    }

    @Test
    void reusedTagInFlightClosesTheConnection() throws Exception {
        try (RawClient c = fx.client(1000)) {
            c.walk(0, 1, "a.txt");
            c.rpc(new Tlopen(c.tag(), 1, OpenFlags.O_RDONLY));
            fx.fs.gate = new CountDownLatch(1);
            fx.fs.gatedIno = fx.ino("a.txt");
            c.send(new Tread(200, 1, 0, 10));
            assertTrue(fx.fs.gatedReadStarted.await(10, TimeUnit.SECONDS));
            c.send(new Tgetattr(200, 0, P9.GETATTR_BASIC));
            // the read is still held, so tag 200 is in flight: the server hangs up without answering
            assertTrue(c.closedByServer());
        } finally {
            fx.fs.gate.countDown();
            fx.fs.gatedIno = -1;
        }
        serverStillWorks();
    }

    @Test
    void disconnectMidRequest() throws Exception {
        for (int i = 0; i < 5; i++) {
            RawClient c = fx.client(1000);
            c.walk(0, 1, "sub");
            c.sendRaw(header(1000, P9.TWRITE, 3));
            c.sendRaw(new byte[10]);
            c.close();
        }
        serverStillWorks();
    }

    @Test
    void manyRequestsInFlight() throws Exception {
        try (RawClient c = fx.client(1000)) {
            for (int t = 1; t <= 200; t++) c.send(new Tgetattr(t, 0, P9.GETATTR_BASIC));
            boolean[] seen = new boolean[201];
            for (int i = 0; i < 200; i++) {
                Message m = c.receive();
                assertInstanceOf(Rgetattr.class, m);
                assertFalse(seen[m.tag()]);
                seen[m.tag()] = true;
            }
        }
        serverStillWorks();
    }

    /** Seeded streams of random and mutated messages on fresh connections. */
    @Test
    void fuzzedStreams() throws Exception {
        SplittableRandom r = new SplittableRandom(0x5EED_9F);
        List<byte[]> valid = new ArrayList<>();
        for (Message m : List.<Message>of(new Twalk(1, 0, 1, RawClient.path("sub/s")), new Tlopen(2, 1, 0),
                new Tread(3, 1, 0, 100), new Treaddir(4, 1, 0, 500), new Tgetattr(5, 0, P9.GETATTR_ALL),
                new Tclunk(6, 1), new Txattrwalk(7, 0, 2, new byte[0]), new Tlcreate(8, 0, io.strata.core.Name.of("f"), 2, 0644, 0),
                new Twrite(9, 0, 0, ByteBuffer.wrap("abc".getBytes(StandardCharsets.UTF_8))), new Tremove(10, 1),
                new Tflush(11, 3), new Tstatfs(12, 0), new Tsetattr(13, 0, 0x1ff, 0777, 0, 0, 0, 0, 0, 0, 0),
                new Tlock(14, 0, 1, 0, 0, 0, 1, new byte[0]), new Twalk(15, 0, 0, RawClient.path("sub")))) {
            ByteBuffer e = Encoder.encode(m);
            byte[] b = new byte[e.remaining()];
            e.get(b);
            valid.add(b);
        }
        for (int conn = 0; conn < 60; conn++) {
            try (RawClient c = fx.client(r.nextBoolean() ? 0 : 1000)) {
                for (int k = 0; k < 40; k++) {
                    byte[] b = valid.get(r.nextInt(valid.size())).clone();
                    int kind = r.nextInt(10);
                    if (kind < 6) {
                        for (int j = 0; j < 1 + r.nextInt(3); j++) b[7 + r.nextInt(b.length - 7)] = (byte) r.nextInt(256);
                    } else if (kind < 8) {
                        b[4] = (byte) r.nextInt(256); // another type, same body
                    } else if (kind == 8 && r.nextInt(4) == 0) {
                        b = new byte[4 + r.nextInt(20)]; // garbage, usually fatal to this connection
                        for (int j = 0; j < b.length; j++) b[j] = (byte) r.nextInt(256);
                    }
                    try {
                        c.sendRaw(b);
                    } catch (java.io.IOException closed) {
                        break;
                    }
                }
            }
        }
        serverStillWorks();
    }
}
