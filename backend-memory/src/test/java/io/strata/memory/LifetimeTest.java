package io.strata.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.core.OpenFlags;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import org.junit.jupiter.api.Test;

class LifetimeTest extends FsTestSupport {

    @Test
    void everyEntryCountsOneLookup() throws Exception {
        long f = touch(ROOT, "f");
        assertEquals(1, fs.lookupCount(f), "create");
        fs.lookup(ROOT_CALLER, ROOT, n("f"));
        fs.lookup(ROOT_CALLER, ROOT, n("f"));
        assertEquals(3, fs.lookupCount(f));
        fs.link(ROOT_CALLER, f, ROOT, n("g"));
        assertEquals(4, fs.lookupCount(f), "link");
        long d = mkdir(ROOT, "d");
        assertEquals(1, fs.lookupCount(d), "mkdir");
        long s = fs.symlink(ROOT_CALLER, ROOT, n("s"), b("t")).ino();
        assertEquals(1, fs.lookupCount(s), "symlink");
        fs.forget(f, 3);
        assertEquals(1, fs.lookupCount(f));
        assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT_CALLER, ROOT, n("missing")));
    }

    @Test
    void unlinkedInodeLivesUntilTheLastForget() throws Exception {
        long f = touch(ROOT, "f");
        fs.lookup(ROOT_CALLER, ROOT, n("f")); // 2 lookups
        long inodes = fs.inodeCount();
        fs.unlink(ROOT_CALLER, ROOT, n("f"));
        assertEquals(0, attr(f).nlink(), "still there: the kernel holds references");
        fs.forget(f, 1);
        assertEquals(0, attr(f).nlink());
        fs.forget(f, 1);
        assertErrno(Errno.ESTALE, () -> fs.getattr(ROOT_CALLER, f, -1));
        assertEquals(inodes - 1, fs.inodeCount());
    }

    @Test
    void forgetAloneDoesNotFreeALinkedInode() throws Exception {
        long f = touch(ROOT, "f");
        fs.forget(f, 1);
        assertEquals(1, attr(f).nlink());
        Entry e = fs.lookup(ROOT_CALLER, ROOT, n("f"));
        assertEquals(f, e.ino());
        fs.forget(f, 5); // over-forgetting clamps at zero instead of going negative
        assertEquals(0, fs.lookupCount(f));
        fs.unlink(ROOT_CALLER, ROOT, n("f"));
        assertErrno(Errno.ESTALE, () -> fs.getattr(ROOT_CALLER, f, -1), "no name, no lookups, no handles");
    }

    @Test
    void openHandleKeepsAnUnlinkedForgottenFile() throws Exception {
        Created c = fs.create(ROOT_CALLER, ROOT, n("f"), 0644, RW, 0);
        long f = c.entry().ino(), fh = c.opened().fh();
        write(f, fh, 0, "data");
        fs.forget(f, 1);
        fs.unlink(ROOT_CALLER, ROOT, n("f"));
        assertEquals("data", readString(f, fh, 0, 4));
        fs.release(f, fh, 0);
        assertErrno(Errno.ESTALE, () -> fs.getattr(ROOT_CALLER, f, -1));
        assertEquals(0, fs.openHandles());
    }

    @Test
    void removedDirectoryIsFreedAfterForget() throws Exception {
        long d = mkdir(ROOT, "d");
        fs.rmdir(ROOT_CALLER, ROOT, n("d"));
        assertEquals(0, attr(d).nlink());
        fs.forget(d, 1);
        assertErrno(Errno.ESTALE, () -> fs.getattr(ROOT_CALLER, d, -1));
    }

    @Test
    void tmpfileIsUnnamedUntilLinked() throws Exception {
        Created c = fs.tmpfile(ROOT_CALLER, ROOT, 0600, RW, 0);
        long t = c.entry().ino();
        assertEquals(0, c.entry().attr().nlink());
        write(t, c.opened().fh(), 0, "tmp");
        fs.link(ROOT_CALLER, t, ROOT, n("now-named"));
        assertEquals(1, attr(t).nlink());
        fs.release(t, c.opened().fh(), 0);
        fs.forget(t, 2);
        long fh = open(lookupIno(ROOT, "now-named"), RO);
        assertEquals("tmp", readString(t, fh, 0, 10));
    }

    @Test
    void tmpfileWithOexclCanNeverBeLinked() throws Exception {
        Created c = fs.tmpfile(ROOT_CALLER, ROOT, 0600, RW | OpenFlags.O_EXCL, 0);
        assertErrno(Errno.ENOENT, () -> fs.link(ROOT_CALLER, c.entry().ino(), ROOT, n("name")));
        long inodes = fs.inodeCount();
        fs.release(c.entry().ino(), c.opened().fh(), 0);
        fs.forget(c.entry().ino(), 1);
        assertEquals(inodes - 1, fs.inodeCount(), "freed on last close");
    }

    @Test
    void linkOfAnUnlinkedFileIsEnoent() throws Exception {
        long f = touch(ROOT, "f");
        fs.unlink(ROOT_CALLER, ROOT, n("f"));
        assertErrno(Errno.ENOENT, () -> fs.link(ROOT_CALLER, f, ROOT, n("back")));
    }

    @Test
    void freedSpaceAndIdsComeBack() throws Exception {
        long baseInodes = fs.inodeCount(), baseBytes = fs.usedBytes();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 100; i++) {
                Created c = fs.create(ROOT_CALLER, ROOT, n("f" + i), 0644, RW, 0);
                write(c.entry().ino(), c.opened().fh(), 0, new byte[10_000]);
                fs.setxattr(ROOT_CALLER, c.entry().ino(), x("user.x"), new byte[100], 0);
                fs.release(c.entry().ino(), c.opened().fh(), 0);
                fs.forget(c.entry().ino(), 1);
            }
            for (int i = 0; i < 100; i++) fs.unlink(ROOT_CALLER, ROOT, n("f" + i));
            assertEquals(baseInodes, fs.inodeCount());
            assertEquals(baseBytes, fs.usedBytes());
        }
    }
}
