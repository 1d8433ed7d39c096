package io.strata.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Created;
import io.strata.core.StatFs;
import io.strata.core.Errno;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SpaceTest extends FsTestSupport {
    static final int CHUNK = ChunkedData.CHUNK;

    /** statfs must agree with what the accounting says is used. */
    void assertConsistent(MemoryFileSystem f) throws Exception {
        StatFs s = f.statfs(ROOT_CALLER, ROOT);
        long used = f.usedBytes();
        assertEquals((s.blocks() * 4096 - used) / 4096, s.bfree(), "bfree = free bytes / 4096");
        assertEquals(s.bfree(), s.bavail());
        assertEquals(s.files() - f.inodeCount(), s.ffree());
        assertTrue(used <= s.blocks() * 4096, "never over the limit");
    }

    @Test
    void statfsReportsLimitsAndUsage() throws Exception {
        MemoryFileSystem f = newFs(MemoryOptions.defaults(0, 0).withRoot(0, 0, 0755).withSizeLimit(1 << 20).withMaxInodes(100));
        StatFs s = f.statfs(ROOT_CALLER, ROOT);
        assertEquals(256, s.blocks());
        assertEquals(4096, s.bsize());
        assertEquals(4096, s.frsize());
        assertEquals(255, s.namelen());
        assertEquals(100, s.files());
        assertEquals(99, s.ffree(), "the root uses one inode");
        assertConsistent(f);
        long usedBefore = f.usedBytes();
        assertEquals(SpaceAccounting.INODE_BYTES, usedBefore, "just the root");
        Created c = f.create(ROOT_CALLER, ROOT, n("f"), 0644, RW, 0);
        f.write(ROOT_CALLER, c.entry().ino(), c.opened().fh(), 0, ByteBuffer.wrap(new byte[CHUNK]), 0);
        StatFs after = f.statfs(ROOT_CALLER, ROOT);
        assertEquals(98, after.ffree());
        assertEquals(usedBefore + CHUNK + SpaceAccounting.INODE_BYTES, f.usedBytes(), "one chunk plus an inode");
        assertEquals(((1 << 20) - f.usedBytes()) / 4096, after.bfree());
        assertConsistent(f);
    }

    @Test
    void writesBeyondTheLimitAreShortThenEnospcAndLeaveNoGarbage() throws Exception {
        MemoryFileSystem f = newFs(MemoryOptions.defaults(0, 0).withRoot(0, 0, 0755).withSizeLimit(4 * CHUNK));
        Created c = f.create(ROOT_CALLER, ROOT, n("f"), 0644, RW, 0);
        long ino = c.entry().ino(), fh = c.opened().fh();
        byte[] data = new byte[8 * CHUNK];
        Arrays.fill(data, (byte) 7);
        int n = f.write(ROOT_CALLER, ino, fh, 0, ByteBuffer.wrap(data), 0);
        assertEquals(3 * CHUNK, n, "root and file inode charges leave room for three chunks");
        assertEquals(3 * CHUNK, f.getattr(ROOT_CALLER, ino, -1).attr().size());
        assertConsistent(f);
        assertErrno(Errno.ENOSPC, () -> f.write(ROOT_CALLER, ino, fh, n, ByteBuffer.wrap(data), 0));
        assertEquals(3 * CHUNK, f.getattr(ROOT_CALLER, ino, -1).attr().size(), "a failed write changes nothing");
        // overwriting existing chunks needs no new space
        assertEquals(CHUNK, f.write(ROOT_CALLER, ino, fh, 0, ByteBuffer.wrap(new byte[CHUNK]), 0));
        assertErrno(Errno.ENOSPC, () -> f.fallocate(ROOT_CALLER, ino, fh, 0, 0, 10L * CHUNK));
        assertEquals(3 * CHUNK, f.getattr(ROOT_CALLER, ino, -1).attr().size(), "a failed fallocate allocates nothing");
        assertEquals(3L * CHUNK / 512, f.getattr(ROOT_CALLER, ino, -1).attr().blocks());
        assertConsistent(f);

        // everything is readable and the counters add up; freeing makes the space reusable
        ByteBuffer back = ByteBuffer.allocate(3 * CHUNK);
        f.read(ROOT_CALLER, ino, fh, 0, back);
        assertArrayEquals(new byte[CHUNK], Arrays.copyOf(back.array(), CHUNK));
        assertEquals(7, back.array()[CHUNK]);
        f.fallocate(ROOT_CALLER, ino, fh, io.strata.core.FileSystem.FALLOC_PUNCH_HOLE
                | io.strata.core.FileSystem.FALLOC_KEEP_SIZE, 0, CHUNK);
        assertEquals(CHUNK, f.write(ROOT_CALLER, ino, fh, 3L * CHUNK, ByteBuffer.wrap(data, 0, CHUNK), 0),
                "the punched chunk's space is usable again");
        f.release(ino, fh, 0);
        f.unlink(ROOT_CALLER, ROOT, n("f"));
        f.forget(ino, 1);
        assertConsistent(f);
        Created c2 = f.create(ROOT_CALLER, ROOT, n("g"), 0644, RW, 0);
        assertEquals(3 * CHUNK, f.write(ROOT_CALLER, c2.entry().ino(), c2.opened().fh(), 0, ByteBuffer.wrap(data), 0),
                "after deleting, the space is reusable");
    }

    @Test
    void inodeLimitGivesEnospc() throws Exception {
        MemoryFileSystem f = newFs(MemoryOptions.defaults(0, 0).withRoot(0, 0, 0755).withSizeLimit(1 << 20).withMaxInodes(3));
        f.mkdir(ROOT_CALLER, ROOT, n("a"), 0755, 0);
        f.mknod(ROOT_CALLER, ROOT, n("b"), 0644, 0, 0);
        assertErrno(Errno.ENOSPC, () -> f.create(ROOT_CALLER, ROOT, n("c"), 0644, RW, 0));
        assertErrno(Errno.ENOSPC, () -> f.symlink(ROOT_CALLER, ROOT, n("c"), b("x")));
        assertErrno(Errno.ENOENT, () -> f.lookup(ROOT_CALLER, ROOT, n("c")), "nothing half-created");
        assertEquals(0, f.statfs(ROOT_CALLER, ROOT).ffree());
        f.unlink(ROOT_CALLER, ROOT, n("b"));
        assertEquals(0, f.statfs(ROOT_CALLER, ROOT).ffree(), "b is still looked up");
    }

    @Test
    void xattrsCountAgainstTheLimit() throws Exception {
        MemoryFileSystem f = newFs(MemoryOptions.defaults(0, 0).withRoot(0, 0, 0755).withSizeLimit(100_000));
        long ino = f.mknod(ROOT_CALLER, ROOT, n("f"), 0644, 0, 0).ino();
        f.setxattr(ROOT_CALLER, ino, x("user.a"), new byte[60_000], 0);
        assertErrno(Errno.ENOSPC, () -> f.setxattr(ROOT_CALLER, ino, x("user.b"), new byte[60_000], 0));
        f.setxattr(ROOT_CALLER, ino, x("user.a"), new byte[10], 0); // shrinking a value gives space back
        f.setxattr(ROOT_CALLER, ino, x("user.b"), new byte[60_000], 0);
        assertConsistent(f);
    }

    @Test
    void defaultInodeLimitDerivesFromSize() throws Exception {
        MemoryFileSystem f = newFs(MemoryOptions.defaults(0, 0).withSizeLimit(256L << 20));
        assertEquals((256L << 20) / SpaceAccounting.INODE_BYTES, f.statfs(ROOT_CALLER, ROOT).files());
    }
}
