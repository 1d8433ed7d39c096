package io.strata.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.core.AttrReply;
import io.strata.core.Caller;
import io.strata.core.Errno;
import io.strata.core.FsException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The daemon never dies from a request: whatever a file system throws (a RuntimeException, or an
 * Error such as the NoSuchMethodError a stale jar gives), the request is answered with EIO and the
 * worker serves the next one. An unanswered request would hang its caller forever.
 */
class WorkerSurvivesTest {
    private static byte[] getattrIn() {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(0).putLong(0).array();
    }

    @Test
    void errorsBecomeEioAndTheWorkerGoesOn() throws Exception {
        int[] calls = {0};
        TinyFs fs = new TinyFs() {
            @Override
            public AttrReply getattr(Caller c, long ino, long fh) throws FsException {
                calls[0]++;
                if (calls[0] == 1) throw new NoSuchMethodError("stale jar");
                if (calls[0] == 2) throw new IllegalStateException("bug");
                return super.getattr(c, ino, fh);
            }
        };
        try (Wire w = new Wire(fs, false)) {
            w.feed(Opcode.GETATTR, 1, 1, getattrIn(), 0);
            assertEquals(Errno.EIO, w.replyError(1));
            w.feed(Opcode.GETATTR, 2, 1, getattrIn(), 0);
            assertEquals(Errno.EIO, w.replyError(2));
            w.feed(Opcode.GETATTR, 3, 1, getattrIn(), 0);
            assertEquals(0, w.replyError(3), "the same worker answers the next request");
        }
    }
}
