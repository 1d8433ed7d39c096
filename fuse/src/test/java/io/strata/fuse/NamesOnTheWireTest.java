package io.strata.fuse;

import static io.strata.fuse.Wire.cat;
import static io.strata.fuse.Wire.le;
import static io.strata.fuse.Wire.z;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.strata.core.CacheMode;
import io.strata.core.CachePolicy;
import io.strata.core.Errno;
import io.strata.core.Feature;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Names, symlink targets and xattr names cross the wire as the bytes they are: no decoding, so
 * the one-byte names 0xE9 and 0xFF stay two names. Also: negative entries from the backend's
 * policy.
 */
class NamesOnTheWireTest {
    private final TinyFs fs = new TinyFs();

    private static byte[] readIn(long fh, long cookie, int size) {
        return ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putLong(fh).putLong(cookie).putInt(size).array();
    }

    private record Dirent(long ino, long next, byte[] name, long nodeid) {}

    private static List<Dirent> dirents(ByteBuffer b, boolean plus) {
        List<Dirent> out = new ArrayList<>();
        while (b.remaining() > 0) {
            long nodeid = 0;
            if (plus) {
                nodeid = b.getLong(b.position());
                b.position(b.position() + Reply.ENTRY_OUT_SIZE);
            }
            long ino = b.getLong(), next = b.getLong();
            int len = b.getInt();
            b.getInt(); // type
            byte[] name = new byte[len];
            b.get(name);
            b.position((b.position() + 7) & ~7);
            out.add(new Dirent(ino, next, name, nodeid));
        }
        return out;
    }

    @Test
    void readdirWritesTheNameBytes() throws Exception {
        try (Wire w = new Wire(fs, false)) {
            w.feed(Opcode.READDIR, 1, 1, readIn(0, 0, 4096), 0);
            Wire.Answer a = w.answer(1);
            assertEquals(0, a.error());
            List<Dirent> d = dirents(a.body(), false);
            assertEquals(7, d.size());
            assertArrayEquals(new byte[] {(byte) 0xE9}, d.get(4).name());
            assertArrayEquals(new byte[] {(byte) 0xFF}, d.get(5).name());
            assertEquals(4, d.get(4).ino());
            assertEquals(5, d.get(5).ino());
        }
    }

    @Test
    void readdirplusHandsOutOneReferencePerEntryThroughTheSession() throws Exception {
        try (Wire w = new Wire(fs, false)) {
            w.feed(Opcode.READDIRPLUS, 2, 1, readIn(0, 0, 4096), 0);
            Wire.Answer a = w.answer(2);
            assertEquals(0, a.error());
            List<Dirent> d = dirents(a.body(), true);
            assertEquals(7, d.size());
            assertEquals(0, d.get(0).nodeid(), "\".\" comes without an entry");
            assertEquals(0, d.get(1).nodeid(), "\"..\" comes without an entry");
            assertEquals(4, d.get(4).nodeid());
            assertArrayEquals(new byte[] {(byte) 0xFF}, d.get(5).name());
            assertEquals(5, fs.lookups.get(), "hello, sub, 0xE9, 0xFF, link");
            for (long ino = 2; ino <= 6; ino++) assertEquals(1, w.session.held(ino), "session holds ino " + ino);
            // A small buffer takes fewer entries; what did not fit is not held.
            w.feed(Opcode.READDIRPLUS, 3, 1, readIn(0, 2, Reply.ENTRY_OUT_SIZE + 32), 0);
            List<Dirent> one = dirents(w.answer(3).body(), true);
            assertEquals(1, one.size());
            assertEquals(2, w.session.held(2));
            assertEquals(1, w.session.held(3), "the entry that did not fit is not held");
            assertEquals(7, fs.lookups.get());
            assertEquals(1, fs.forgets.get(), "the file system gave back the entry that did not fit");
        }
        assertEquals(fs.lookups.get(), fs.forgets.get(), "detaching forgets exactly what the session held");
    }

    @Test
    void readlinkRepliesTheTargetBytesAndSymlinkPassesThemOn() throws Exception {
        try (Wire w = new Wire(fs, false)) {
            w.feed(Opcode.READLINK, 4, 6, new byte[0], 0);
            Wire.Answer a = w.answer(4);
            assertEquals(0, a.error());
            byte[] target = new byte[a.body().remaining()];
            a.body().get(target);
            assertArrayEquals(TinyFs.LINK_TARGET, target);
            w.feed(Opcode.SYMLINK, 5, 1, cat(z("new"), z((byte) 0xFF, (byte) '/', (byte) 0xE9)), 0);
            assertEquals(Errno.EROFS, w.replyError(5));
            assertArrayEquals(new byte[] {(byte) 0xFF, '/', (byte) 0xE9}, fs.lastSymlinkTarget);
        }
    }

    @Test
    void lookupFindsEachOneByteNameAsItself() throws Exception {
        try (Wire w = new Wire(fs, false)) {
            w.feed(Opcode.LOOKUP, 6, 1, z((byte) 0xE9), 0);
            assertEquals(4, w.answer(6).body().getLong(0));
            w.feed(Opcode.LOOKUP, 7, 1, z((byte) 0xFF), 0);
            assertEquals(5, w.answer(7).body().getLong(0));
            w.feed(Opcode.LOOKUP, 8, 1, z("\uFFFD"), 0);
            assertEquals(Errno.ENOENT, w.replyError(8), "the replacement character names neither");
        }
    }

    @Test
    void listxattrWritesNameBytesAndAnswersSizeProbes() throws Exception {
        try (Wire w = new Wire(fs, false)) {
            byte[] expected = cat(z(TinyFs.X_E9.bytes()), z(TinyFs.X_PLAIN.bytes()));
            w.feed(Opcode.LISTXATTR, 9, 2, le(0, 0), 0);
            assertEquals(expected.length, w.answer(9).body().getInt(0), "size probe");
            w.feed(Opcode.LISTXATTR, 10, 2, le(expected.length, 0), 0);
            Wire.Answer a = w.answer(10);
            byte[] got = new byte[a.body().remaining()];
            a.body().get(got);
            assertArrayEquals(expected, got);
            w.feed(Opcode.LISTXATTR, 11, 2, le(expected.length - 1, 0), 0);
            assertEquals(Errno.ERANGE, w.replyError(11));
            w.feed(Opcode.GETXATTR, 12, 2, cat(le(100, 0), z(TinyFs.X_E9.bytes())), 0);
            Wire.Answer v = w.answer(12);
            assertEquals(0, v.error());
            assertEquals(2, v.body().remaining());
            assertEquals((byte) 0xE9, v.body().get(1));
        }
    }

    @Test
    void enoentBecomesANegativeEntryWhenThePolicyAllowsIt() throws Exception {
        TinyFs exclusive = new TinyFs(EnumSet.of(Feature.PERMISSIONS), CacheMode.EXCLUSIVE);
        try (Wire w = new Wire(exclusive, false)) {
            w.feed(Opcode.LOOKUP, 13, 1, z("nope"), 0);
            Wire.Answer a = w.answer(13);
            assertEquals(0, a.error(), "a negative entry is a successful reply");
            ByteBuffer b = a.body();
            assertEquals(Reply.ENTRY_OUT_SIZE, b.remaining());
            assertEquals(0, b.getLong(0), "nodeid 0");
            long timeout = CachePolicy.of(CacheMode.EXCLUSIVE).negativeTimeoutNs();
            assertNotEquals(0, timeout);
            assertEquals(timeout / 1_000_000_000L, b.getLong(16), "entry_valid from negativeTimeoutNs");
            assertEquals(0, w.session.heldInodes(), "a negative entry carries no reference");
        }
        try (Wire w = new Wire(fs, false)) { // SHARED: negativeTimeoutNs 0
            w.feed(Opcode.LOOKUP, 14, 1, z("nope"), 0);
            assertEquals(Errno.ENOENT, w.replyError(14));
        }
    }
}
