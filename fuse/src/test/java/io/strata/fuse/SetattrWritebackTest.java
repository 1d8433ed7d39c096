package io.strata.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Errno;
import io.strata.core.SetAttr;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * With the writeback cache the kernel sends its own mtime as an explicit FATTR_MTIME (no
 * FATTR_MTIME_NOW) for utimensat(UTIME_NOW), truncate and cache flushes: those must reach the
 * backend as {@link SetAttr#MTIME_CACHED}, so a writer who is not the owner may touch the file.
 */
class SetattrWritebackTest {
    private static final int FATTR_SIZE = 8, FATTR_ATIME = 16, FATTR_MTIME = 32, FATTR_ATIME_NOW = 128,
            FATTR_MTIME_NOW = 256, FATTR_CTIME = 1024;

    private static byte[] setattrIn(int valid) {
        return ByteBuffer.allocate(88).order(ByteOrder.LITTLE_ENDIAN).putInt(0, valid).putLong(40, 1234).array();
    }

    private static SetAttr send(boolean writeback, int valid) throws Exception {
        TinyFs fs = new TinyFs();
        try (Wire w = new Wire(fs, writeback)) {
            w.feed(Opcode.SETATTR, 1, 2, setattrIn(valid), 0);
            assertEquals(Errno.EROFS, w.replyError(1));
        }
        return fs.lastSetattr;
    }

    @Test
    void kernelTimesUnderWritebackAreMarkedCached() throws Exception {
        SetAttr touch = send(true, FATTR_ATIME | FATTR_ATIME_NOW | FATTR_MTIME);
        assertTrue(touch.has(SetAttr.MTIME_CACHED), "utimensat(UTIME_NOW, UTIME_NOW)");
        assertTrue(touch.has(SetAttr.MTIME) && touch.has(SetAttr.ATIME_NOW));
        assertEquals(1234_000_000_000L, touch.mtimeNs(), "the kernel's time is kept");
        assertTrue(send(true, FATTR_MTIME | FATTR_CTIME).has(SetAttr.MTIME_CACHED), "a cache flush");
        assertTrue(send(true, FATTR_SIZE | FATTR_MTIME | FATTR_CTIME).has(SetAttr.MTIME_CACHED), "truncate");
    }

    @Test
    void explicitTimesAndTheNowBitAreLeftAlone() throws Exception {
        assertFalse(send(true, FATTR_ATIME | FATTR_MTIME).has(SetAttr.MTIME_CACHED),
                "utimensat with two explicit times stays owner-only");
        assertFalse(send(true, FATTR_MTIME | FATTR_MTIME_NOW).has(SetAttr.MTIME_CACHED));
        assertFalse(send(false, FATTR_MTIME).has(SetAttr.MTIME_CACHED), "without writeback an explicit time is explicit");
        assertFalse(send(true, FATTR_SIZE).has(SetAttr.MTIME_CACHED));
    }
}
