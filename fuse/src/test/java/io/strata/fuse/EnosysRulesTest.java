package io.strata.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.core.CacheMode;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * The kernel remembers ENOSYS for the whole mount, so it is replied only for what the whole stack
 * lacks (features()). TinyFs answers ENOSYS from lseek, fallocate and fsync like a lower layer
 * that lacks them, while its default features claim SEEK_DATA and FALLOCATE.
 */
class EnosysRulesTest {
    private static byte[] lseekIn(long fh, long off, int whence) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(fh).putLong(off).putInt(whence).array();
    }

    private static byte[] fallocateIn() {
        return ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putLong(7).putLong(0).putLong(4096).putInt(0).array();
    }

    @Test
    void lseekFallsBackToTheGenericAnswerWhileTheStackClaimsSeekData() throws Exception {
        try (Wire w = new Wire(new TinyFs(), false)) {
            w.feed(Opcode.LSEEK, 1, 2, lseekIn(7, 0, FileSystem.SEEK_HOLE), 0);
            assertEquals(TinyFs.HELLO.length, w.answer(1).body().getLong(0), "SEEK_HOLE: the end of the file");
            w.feed(Opcode.LSEEK, 2, 2, lseekIn(7, 5, FileSystem.SEEK_DATA), 0);
            assertEquals(5, w.answer(2).body().getLong(0), "SEEK_DATA: where we are");
            w.feed(Opcode.LSEEK, 3, 2, lseekIn(7, TinyFs.HELLO.length, FileSystem.SEEK_DATA), 0);
            assertEquals(Errno.ENXIO, w.replyError(3), "at or past the end");
            w.feed(Opcode.LSEEK, 4, 2, lseekIn(7, -1, FileSystem.SEEK_HOLE), 0);
            assertEquals(Errno.ENXIO, w.replyError(4), "a negative offset compares unsigned, as the kernel does");
        }
    }

    @Test
    void enosysReachesTheKernelOnlyWhenTheWholeStackLacksTheFeature() throws Exception {
        TinyFs bare = new TinyFs(EnumSet.of(Feature.PERMISSIONS), CacheMode.SHARED);
        try (Wire w = new Wire(bare, false)) {
            w.feed(Opcode.LSEEK, 1, 2, lseekIn(7, 0, FileSystem.SEEK_HOLE), 0);
            assertEquals(Errno.ENOSYS, w.replyError(1), "no SEEK_DATA anywhere: the kernel's own fallback, for good");
            w.feed(Opcode.FALLOCATE, 2, 2, fallocateIn(), 0);
            assertEquals(Errno.ENOSYS, w.replyError(2));
            w.feed(Opcode.COPY_FILE_RANGE, 3, 2, new byte[56], 0);
            assertEquals(Errno.ENOSYS, w.replyError(3), "the default copyFileRange, and no COPY_FILE_RANGE feature");
        }
        try (Wire w = new Wire(new TinyFs(), false)) {
            w.feed(Opcode.FALLOCATE, 4, 2, fallocateIn(), 0);
            assertEquals(Errno.EOPNOTSUPP, w.replyError(4), "FALLOCATE claimed: one layer's ENOSYS is EOPNOTSUPP");
        }
    }

    @Test
    void enosysFromAnOperationTheKernelWouldStopSendingIsEopnotsupp() throws Exception {
        try (Wire w = new Wire(new TinyFs(), false)) {
            byte[] fsyncIn = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(7).array();
            w.feed(Opcode.FSYNC, 1, 2, fsyncIn, 0);
            assertEquals(Errno.EOPNOTSUPP, w.replyError(1), "ENOSYS here would make every later fsync 'succeed'");
            byte[] rename2 = ByteBuffer.allocate(16 + 4).order(ByteOrder.LITTLE_ENDIAN).putLong(1)
                    .putInt(FileSystem.RENAME_EXCHANGE).putInt(0).put(new byte[] {'a', 0, 'b', 0}).array();
            w.feed(Opcode.RENAME2, 2, 1, rename2, 0);
            assertEquals(Errno.EROFS, w.replyError(2), "other errors pass unchanged");
        }
    }

    @Test
    void statxCarriesTheBirthTimeWhenTheBackendHasOne() throws Exception {
        try (Wire w = new Wire(new TinyFs(), false)) {
            w.feed(Opcode.STATX, 1, 2, new byte[24], 0);
            Wire.Answer a = w.answer(1);
            assertEquals(0, a.error());
            ByteBuffer b = a.body();
            assertEquals(32 + 256, b.remaining(), "fuse_statx_out");
            int sx = 32;
            int mask = b.getInt(sx);
            assertEquals(Reply.STATX_BASIC_STATS | Reply.STATX_BTIME, mask);
            assertEquals(2, b.getLong(sx + 32), "ino");
            assertEquals(TinyFs.HELLO.length, b.getLong(sx + 40), "size");
            assertEquals(0100644, Short.toUnsignedInt(b.getShort(sx + 28)), "mode");
            int btime = sx + 64 + 16;
            assertEquals(TinyFs.BTIME_NS / 1_000_000_000L, b.getLong(btime));
            assertEquals(TinyFs.BTIME_NS % 1_000_000_000L, b.getInt(btime + 8));
            int mtime = sx + 64 + 48;
            assertEquals(2, b.getLong(mtime));
            assertEquals(500_000_123, b.getInt(mtime + 8));
        }
        TinyFs plain = new TinyFs(EnumSet.of(Feature.PERMISSIONS), CacheMode.SHARED);
        try (Wire w = new Wire(plain, false)) {
            w.feed(Opcode.STATX, 2, 2, new byte[24], 0);
            assertEquals(Errno.ENOSYS, w.replyError(2), "nothing beyond GETATTR to say: the kernel may stop asking");
        }
    }

    @Test
    void enosysAnswersFollowTheFeatures() {
        Enosys none = new Enosys(EnumSet.of(Feature.PERMISSIONS));
        Enosys all = new Enosys(EnumSet.allOf(Feature.class));
        assertEquals(Errno.ENOSYS, none.answer(Opcode.TMPFILE));
        assertEquals(Errno.EOPNOTSUPP, all.answer(Opcode.TMPFILE));
        assertEquals(Errno.ENOSYS, none.answer(Opcode.RENAME2));
        assertEquals(Errno.EINVAL, all.answer(Opcode.RENAME2), "rename(2) says EINVAL for unsupported flags");
        assertEquals(Errno.ENOSYS, none.answer(Opcode.GETXATTR));
        assertEquals(Errno.EOPNOTSUPP, all.answer(Opcode.SETXATTR));
        for (int op : new int[] {Opcode.OPEN, Opcode.OPENDIR, Opcode.FLUSH, Opcode.ACCESS, Opcode.CREATE, Opcode.FSYNCDIR}) {
            assertEquals(Errno.EOPNOTSUPP, none.answer(op), Opcode.name(op) + " never gets ENOSYS");
        }
        assertEquals(Errno.ENOTTY, none.answer(Opcode.IOCTL));
        assertEquals(Errno.ENOSYS, all.answer(Opcode.BMAP), "not implemented by this frontend");
    }
}
