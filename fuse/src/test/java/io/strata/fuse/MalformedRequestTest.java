package io.strata.fuse;

import static io.strata.fuse.Wire.cat;
import static io.strata.fuse.Wire.le;
import static io.strata.fuse.Wire.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.strata.core.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Feeds the request decoder bytes the kernel would never send and checks that each gets an error
 * reply (or, where the protocol has none, silence) and that the worker keeps serving.
 */
class MalformedRequestTest {
    private final TinyFs fs = new TinyFs();
    private Wire wire;

    @BeforeEach
    void setUp() throws Exception {
        wire = new Wire(fs, false);
    }

    @AfterEach
    void tearDown() {
        wire.close();
    }

    private void assertStillServes() throws Exception {
        wire.feed(Opcode.LOOKUP, 99, 1, z("hello"), 0);
        assertEquals(0, wire.replyError(99), "a well-formed LOOKUP still works");
    }

    @Test
    void unknownOpcodeGetsEnosys() throws Exception {
        wire.feed(9999, 1, 1, new byte[0], 0);
        assertEquals(Errno.ENOSYS, wire.replyError(1));
        wire.feed(Opcode.BMAP, 2, 1, new byte[32], 0);
        assertEquals(Errno.ENOSYS, wire.replyError(2), "an opcode this frontend does not implement");
        assertStillServes();
    }

    @Test
    void nameWithoutNulIsEinval() throws Exception {
        wire.feed(Opcode.LOOKUP, 3, 1, "hello".getBytes(StandardCharsets.UTF_8), 0);
        assertEquals(Errno.EINVAL, wire.replyError(3));
        wire.feed(Opcode.RENAME, 4, 1, cat(new byte[8], "a\0b".getBytes(StandardCharsets.UTF_8)), 0);
        assertEquals(Errno.EINVAL, wire.replyError(4), "second name without NUL");
        assertStillServes();
    }

    @Test
    void invalidNamesGetNamesOwnErrno() throws Exception {
        wire.feed(Opcode.LOOKUP, 20, 1, z(new byte[0]), 0);
        assertEquals(Errno.ENOENT, wire.replyError(20), "empty name");
        byte[] longName = new byte[256];
        Arrays.fill(longName, (byte) 'a');
        wire.feed(Opcode.LOOKUP, 21, 1, z(longName), 0);
        assertEquals(Errno.ENAMETOOLONG, wire.replyError(21), "256 bytes");
        wire.feed(Opcode.MKDIR, 22, 1, cat(le(0755, 022), z("a/b")), 0);
        assertEquals(Errno.EINVAL, wire.replyError(22), "a slash inside one component");
        wire.feed(Opcode.GETXATTR, 23, 2, cat(le(0, 0), z(new byte[0])), 0);
        assertEquals(Errno.ERANGE, wire.replyError(23), "empty xattr name");
        assertEquals(0, fs.lookups.get(), "none of them reached the file system");
        assertStillServes();
    }

    @Test
    void truncatedArgumentsAreEinval() throws Exception {
        wire.feed(Opcode.READ, 5, 2, new byte[12], 0);
        assertEquals(Errno.EINVAL, wire.replyError(5));
        wire.feed(Opcode.SETATTR, 6, 2, new byte[40], 0);
        assertEquals(Errno.EINVAL, wire.replyError(6));
        wire.feed(Opcode.MKNOD, 7, 1, new byte[3], 0);
        assertEquals(Errno.EINVAL, wire.replyError(7));
        wire.feed(Opcode.IOCTL, 8, 2, new byte[20], 0);
        assertEquals(Errno.EINVAL, wire.replyError(8), "fuse_ioctl_in is 32 bytes");
        assertStillServes();
    }

    @Test
    void lyingLengthsAndHugeSizesAreRefused() throws Exception {
        wire.feed(Opcode.GETATTR, 8, 1, new byte[16], 100); // header claims more than was read
        assertNull(wire.replyError(8), "an inconsistent header is dropped, not trusted");
        byte[] read = new byte[40];
        ByteBuffer.wrap(read).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 7).putLong(8, 0).putInt(16, Integer.MAX_VALUE);
        wire.feed(Opcode.READ, 9, 2, read, 0);
        assertEquals(Errno.EINVAL, wire.replyError(9), "READ larger than max_write");
        byte[] write = new byte[40];
        ByteBuffer.wrap(write).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 1 << 20);
        wire.feed(Opcode.WRITE, 10, 2, write, 0);
        assertEquals(Errno.EINVAL, wire.replyError(10), "WRITE size beyond its payload");
        wire.feed(Opcode.SETXATTR, 11, 2, cat(le(Integer.MAX_VALUE, 0), z("user.x")), 0);
        assertEquals(Errno.EINVAL, wire.replyError(11), "xattr value size beyond payload");
        wire.feed(Opcode.BATCH_FORGET, 12, 0, le(Integer.MAX_VALUE, 0), 0);
        assertNull(wire.replyError(12), "BATCH_FORGET has no reply, even when refused");
        assertEquals(0, fs.forgets.get(), "a lying count forgets nothing");
        byte[] ioctl = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 7)
                .putInt(12, io.strata.core.Ioctl.FS_IOC_MEASURE_VERITY).putInt(24, 1000).putInt(28, 68).array();
        wire.feed(Opcode.IOCTL, 13, 2, ioctl, 0);
        assertEquals(Errno.EINVAL, wire.replyError(13), "ioctl in_size beyond payload");
        ByteBuffer.wrap(ioctl).order(ByteOrder.LITTLE_ENDIAN).putInt(24, 0).putInt(28, Integer.MAX_VALUE);
        wire.feed(Opcode.IOCTL, 14, 2, ioctl, 0);
        assertEquals(Errno.EINVAL, wire.replyError(14), "ioctl out_size beyond any reply");
        byte[] badExt = le(4, 32); // an extension record whose size is smaller than its own header
        wire.feed(Opcode.MKDIR, 16, 1, 0, 0, 1, cat(le(0755, 022), z("d")), badExt, 0);
        assertEquals(Errno.EINVAL, wire.replyError(16), "a malformed extension header");
        assertStillServes();
    }

    @Test
    void shortReadsAreIgnored() throws Exception {
        wire.feedRaw(7);
        assertNull(wire.replyError(0));
        assertStillServes();
    }

    @Test
    void randomGarbageNeverStopsTheWorker() throws Exception {
        Random r = new Random(42);
        for (int i = 0; i < 5000; i++) {
            int op = r.nextInt(60);
            if (op == Opcode.DESTROY) continue; // ends the connection for good (DispatcherTest covers it)
            byte[] body = new byte[r.nextInt(200)];
            r.nextBytes(body);
            wire.feed(op, 1000 + i, r.nextInt(5), body, r.nextInt(10) == 0 ? r.nextInt(50) - 25 : 0);
            wire.drain();
        }
        assertStillServes();
    }
}
