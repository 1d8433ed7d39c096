package io.strata.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Errno;
import io.strata.core.Ioctl;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * FUSE_IOCTL as the kernel sends restricted ioctls: fuse_ioctl_in, then in_size input bytes; the
 * reply is fuse_ioctl_out and at most out_size bytes. Only commands on core's allow-list reach the
 * file system.
 */
class IoctlDecodeTest {
    private static final int FUSE_IOCTL_UNRESTRICTED = 2, FUSE_IOCTL_DIR = 16;
    private final TinyFs fs = new TinyFs();

    /** fuse_ioctl_in {fh, flags, cmd, arg, in_size, out_size} followed by {@code in}. */
    private static byte[] ioctlIn(long fh, int flags, int cmd, byte[] in, int outSize) {
        return ByteBuffer.allocate(32 + in.length).order(ByteOrder.LITTLE_ENDIAN).putLong(fh).putInt(flags).putInt(cmd)
                .putLong(0x7fff_0000_1000L).putInt(in.length).putInt(outSize).put(in).array();
    }

    @Test
    void measureVerityPassesTheCallersBufferAndRepliesTheDigest() throws Exception {
        try (Wire w = new Wire(fs, false)) {
            // the kernel sizes the buffer from the caller's digest_size: 4 + 64 bytes both ways
            byte[] in = ByteBuffer.allocate(68).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0).putShort((short) 64).array();
            w.feed(Opcode.IOCTL, 1, 2, ioctlIn(7, 0, Ioctl.FS_IOC_MEASURE_VERITY, in, 68), 0);
            Wire.Answer a = w.answer(1);
            assertEquals(0, a.error());
            ByteBuffer b = a.body();
            assertEquals(Dispatcher.IOCTL_OUT + 36, b.remaining(), "fuse_ioctl_out, then the digest struct");
            assertEquals(0, b.getInt(0), "result");
            assertEquals(0, b.getInt(4), "flags: no retry");
            assertEquals(0, b.getInt(8));
            assertEquals(0, b.getInt(12));
            assertEquals(1, b.getShort(16), "digest_algorithm");
            assertEquals(32, b.getShort(18), "digest_size");
            assertEquals((byte) 0xA0, b.get(20));
            assertEquals((byte) 0xBF, b.get(51));
            assertTrue(fs.lastIoctl.startsWith("ino=2 fh=7 cmd=0xc0046686 in=[0, 0, 64, 0, 0"), fs.lastIoctl);
            assertTrue(fs.lastIoctl.endsWith(" out=68"), fs.lastIoctl);
        }
    }

    @Test
    void aBackendErrorIsTheIoctlsError() throws Exception {
        try (Wire w = new Wire(fs, false)) {
            byte[] in = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0).putShort((short) 16).array();
            w.feed(Opcode.IOCTL, 2, 2, ioctlIn(7, 0, Ioctl.FS_IOC_MEASURE_VERITY, in, 20), 0);
            assertEquals(Errno.EOVERFLOW, w.replyError(2), "digest_size too small for SHA-256");
        }
    }

    @Test
    void getflagsFromTheFileattrPathGetsFourBytes() throws Exception {
        try (Wire w = new Wire(fs, false)) {
            w.feed(Opcode.IOCTL, 3, 3, ioctlIn(0, FUSE_IOCTL_DIR, Ioctl.FS_IOC_GETFLAGS, new byte[0], 4), 0);
            Wire.Answer a = w.answer(3);
            assertEquals(0, a.error());
            assertEquals(Dispatcher.IOCTL_OUT + 4, a.body().remaining());
            assertEquals(TinyFs.FLAGS, a.body().getInt(16));
        }
    }

    @Test
    void commandsOffTheAllowListAreEnottyAndNeverReachTheFileSystem() throws Exception {
        try (Wire w = new Wire(fs, false)) {
            int tcgets = 0x5401;
            w.feed(Opcode.IOCTL, 4, 2, ioctlIn(7, 0, tcgets, new byte[0], 60), 0);
            assertEquals(Errno.ENOTTY, w.replyError(4));
            int fsIocSetflags = 0x40086602; // _IOW('f', 2, long): not on the list
            w.feed(Opcode.IOCTL, 5, 2, ioctlIn(7, 0, fsIocSetflags, new byte[8], 0), 0);
            assertEquals(Errno.ENOTTY, w.replyError(5));
            w.feed(Opcode.IOCTL, 6, 2, ioctlIn(7, FUSE_IOCTL_UNRESTRICTED, Ioctl.FS_IOC_GETFLAGS, new byte[0], 4), 0);
            assertEquals(Errno.ENOTTY, w.replyError(6), "unrestricted (CUSE-style) ioctls are refused");
            assertNull(fs.lastIoctl);
        }
    }

    @Test
    void moreOutputThanOfferedIsEio() throws Exception {
        try (Wire w = new Wire(fs, false)) {
            // 68 bytes of room claimed inside, but the kernel offers only 8 back: the digest cannot fit
            byte[] in = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0).putShort((short) 64).array();
            w.feed(Opcode.IOCTL, 7, 2, ioctlIn(7, 0, Ioctl.FS_IOC_MEASURE_VERITY, in, 8), 0);
            assertEquals(Errno.EIO, w.replyError(7), "the kernel would fail it anyway (transferred > out_size)");
        }
    }
}
