package io.strata.fuse;

import static io.strata.fuse.Wire.z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Errno;
import org.junit.jupiter.api.Test;

/** DESTROY ends the connection: the session detaches, the file system stays open for its owner. */
class DestroyTest {
    @Test
    void destroyDetachesTheSessionAndNeverClosesTheFileSystem() throws Exception {
        TinyFs fs = new TinyFs();
        try (Wire w = new Wire(fs, false)) {
            w.feed(Opcode.LOOKUP, 1, 1, z("hello"), 0);
            w.feed(Opcode.LOOKUP, 2, 1, z("sub"), 0);
            w.drain();
            assertEquals(2, w.session.heldInodes());
            w.feed(Opcode.DESTROY, 3, 0, new byte[0], 0);
            assertEquals(0, w.replyError(3));
            assertTrue(w.session.isClosed());
            assertEquals(2, fs.forgets.get(), "what the mount held is forgotten");
            w.feed(Opcode.LOOKUP, 4, 1, z("hello"), 0);
            assertEquals(Errno.ENOTCONN, w.replyError(4), "a straggler after DESTROY");
        }
        assertEquals(0, fs.closes.get(), "only the owner closes the file system");
    }
}
