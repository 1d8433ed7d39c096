package io.strata.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.core.Caller;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.SetAttr;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Permission decisions for callers that are neither root nor the owner, with supplementary groups
 * (CAROL: uid 1002, primary group 1002, supplementary 500 and 777), and the two cases a conformance
 * run found wrong: chgrp to a supplementary group, and "touch" by a non-owner who may write.
 */
class SupplementaryGroupsTest extends FsTestSupport {
    static final long T = 1_600_000_000_000_000_000L;

    /** A file of {@code owner} with exactly {@code mode}, in the sticky 01777 root. */
    long fileOf(Caller owner, String name, int mode) throws Exception {
        long f = touch(owner, ROOT, name);
        fs.setattr(owner, f, SetAttr.mode(mode));
        return f;
    }

    @Test
    void theOwnerMayChgrpToOneOfItsSupplementaryGroups() throws Exception {
        long f = fileOf(CAROL, "f", 0644);
        assertEquals(1002, attr(f).gid());
        fs.setattr(CAROL, f, SetAttr.owner(-1, 500)); // chown f -1:500
        assertEquals(500, attr(f).gid());
        assertEquals(1002, attr(f).uid(), "uid -1: unchanged");
        fs.setattr(CAROL, f, SetAttr.owner(-1, 777));
        assertEquals(777, attr(f).gid());
        fs.setattr(CAROL, f, SetAttr.owner(1002, 1002)); // its own uid and primary group: fine
        assertEquals(1002, attr(f).gid());
        assertErrno(Errno.EPERM, () -> fs.setattr(CAROL, f, SetAttr.owner(-1, 600)), "not a group of carol's");
        assertErrno(Errno.EPERM, () -> fs.setattr(CAROL, f, SetAttr.owner(1001, -1)), "only root gives files away");
        // another user who happens to be in group 500 is still not the owner
        Caller alice500 = Caller.of(ALICE.uid(), ALICE.gid(), 500);
        assertErrno(Errno.EPERM, () -> fs.setattr(alice500, f, SetAttr.owner(-1, 500)));
        assertEquals(1002, attr(f).gid(), "refused requests changed nothing");
    }

    @Test
    void chgrpClearsSetgidUnlessTheNewGroupIsTheCallers() throws Exception {
        long f = fileOf(CAROL, "f", 02755);
        fs.setattr(CAROL, f, SetAttr.owner(-1, 500));
        assertEquals(0755, attr(f).mode() & 07777, "chown of an executable drops set-id bits");
        fs.setattr(CAROL, f, SetAttr.mode(02755));
        assertEquals(02755, attr(f).mode() & 07777, "chmod g+s is kept: carol is in group 500");
        fs.setattr(ROOT_CALLER, f, SetAttr.owner(-1, 600));
        fs.setattr(CAROL, f, SetAttr.mode(02755));
        assertEquals(0755, attr(f).mode() & 07777, "not in group 600: chmod drops g+s");
    }

    @Test
    void groupPermissionsApplyThroughSupplementaryGroups() throws Exception {
        long f = fileOf(ROOT_CALLER, "f", 0640);
        fs.setattr(ROOT_CALLER, f, SetAttr.owner(-1, 500));
        fs.release(f, fs.open(CAROL, f, RO).fh(), 0);
        assertErrno(Errno.EACCES, () -> fs.open(CAROL, f, RW), "the group may read only");
        assertErrno(Errno.EACCES, () -> fs.open(ALICE, f, RO), "alice is not in group 500");
        fs.access(CAROL, f, 4);
        assertErrno(Errno.EACCES, () -> fs.access(CAROL, f, 2));

        long d = fs.mkdir(ROOT_CALLER, ROOT, n("team"), 0770, 0).ino();
        fs.setattr(ROOT_CALLER, d, SetAttr.owner(-1, 777));
        long mine = touch(CAROL, d, "mine");
        assertEquals(mine, fs.lookup(CAROL, d, n("mine")).ino());
        assertErrno(Errno.EACCES, () -> fs.lookup(ALICE, d, n("mine")));
        assertErrno(Errno.EACCES, () -> fs.create(ALICE, d, n("x"), 0644, RW, 0));
        fs.rename(CAROL, d, n("mine"), d, n("ours"), 0);
        fs.unlink(CAROL, d, n("ours"));
    }

    @Test
    void touchByANonOwnerWhoMayWriteIsAllowed() throws Exception {
        long f = fileOf(ALICE, "f", 0660);
        fs.setattr(ROOT_CALLER, f, SetAttr.owner(-1, 500)); // carol may write through group 500
        long t = tick();
        fs.setattr(CAROL, f, SetAttr.timesNow()); // utimensat(UTIME_NOW, UTIME_NOW)
        assertEquals(t, attr(f).mtimeNs());
        assertEquals(t, attr(f).atimeNs());
        // FUSE writeback: the same touch arrives as an explicit mtime marked MTIME_CACHED
        SetAttr cached = new SetAttr(SetAttr.ATIME | SetAttr.ATIME_NOW | SetAttr.MTIME | SetAttr.MTIME_CACHED,
                0, 0, 0, 0, 0, T, 0, -1);
        long t2 = tick();
        fs.setattr(CAROL, f, cached);
        assertEquals(T, attr(f).mtimeNs(), "the cached time is stored as given");
        assertEquals(t2, attr(f).atimeNs());
        assertEquals(t2, attr(f).ctimeNs());
        // explicit times stay the owner's
        assertErrno(Errno.EPERM, () -> fs.setattr(CAROL, f, SetAttr.times(5, 6)));
        assertErrno(Errno.EPERM, () -> fs.setattr(CAROL, f, new SetAttr(SetAttr.MTIME, 0, 0, 0, 0, 0, 6, 0, -1)));
        assertErrno(Errno.EPERM, () -> fs.setattr(CAROL, f, new SetAttr(SetAttr.ATIME | SetAttr.MTIME
                | SetAttr.MTIME_CACHED, 0, 0, 0, 0, 5, 6, 0, -1)), "an explicit atime is not excused by MTIME_CACHED");
        assertEquals(T, attr(f).mtimeNs(), "refused requests changed nothing");
        fs.setattr(ALICE, f, SetAttr.times(5, 6));
        assertEquals(6, attr(f).mtimeNs());
    }

    @Test
    void touchWithoutWriteAccessIsRefused() throws Exception {
        long f = fileOf(ALICE, "f", 0644);
        assertErrno(Errno.EACCES, () -> fs.setattr(CAROL, f, SetAttr.timesNow()));
        SetAttr cached = new SetAttr(SetAttr.MTIME | SetAttr.MTIME_CACHED, 0, 0, 0, 0, 0, T, 0, -1);
        assertErrno(Errno.EACCES, () -> fs.setattr(CAROL, f, cached));
        assertErrno(Errno.EPERM, () -> fs.setattr(CAROL, f, SetAttr.times(1, 2)));
        fs.setattr(ALICE, f, SetAttr.timesNow()); // the owner needs no write permission
        fs.setattr(ALICE, f, cached);
        assertEquals(T, attr(f).mtimeNs());
    }

    @Test
    void setgidDirectoriesAndRequestedSetgidFollowGroupMembership() throws Exception {
        long d = fs.mkdir(ROOT_CALLER, ROOT, n("shared"), 02777, 0).ino();
        fs.setattr(ROOT_CALLER, d, new SetAttr(SetAttr.MODE | SetAttr.GID, 02777, 0, 500, 0, 0, 0, 0, -1));
        Entry carols = fs.create(CAROL, d, n("c"), 02775, RW, 0).entry();
        assertEquals(500, carols.attr().gid());
        assertEquals(02775, carols.attr().mode() & 07777, "carol is in group 500: she may keep g+s");
        Entry alices = fs.create(ALICE, d, n("a"), 02775, RW, 0).entry();
        assertEquals(500, alices.attr().gid());
        assertEquals(0775, alices.attr().mode() & 07777, "alice is not: inode_init_owner drops g+s");
        Entry sub = fs.mkdir(ALICE, d, n("sub"), 0755, 0);
        assertEquals(02755, sub.attr().mode() & 07777, "directories inherit g+s whoever makes them");
    }

    @Test
    void writesAndTruncatesByOthersClearSetIdBits() throws Exception {
        long f = fileOf(ROOT_CALLER, "suid", 06777);
        long fh = fs.open(CAROL, f, RW).fh();
        fs.write(CAROL, f, fh, 0, ByteBuffer.wrap(new byte[] {1}), 0);
        assertEquals(0777, attr(f).mode() & 07777);
        fs.setattr(ROOT_CALLER, f, SetAttr.mode(06777));
        fs.release(f, fs.open(CAROL, f, RW | io.strata.core.OpenFlags.O_TRUNC).fh(), 0);
        assertEquals(0777, attr(f).mode() & 07777, "O_TRUNC is a write too");
        fs.setattr(ROOT_CALLER, f, SetAttr.mode(06777));
        fs.setattr(CAROL, f, SetAttr.size(0));
        assertEquals(0777, attr(f).mode() & 07777, "so is truncate");
        fs.setattr(ROOT_CALLER, f, SetAttr.mode(06777));
        fs.write(ROOT_CALLER, f, fh, 0, ByteBuffer.wrap(new byte[] {1}), 0);
        assertEquals(06777, attr(f).mode() & 07777, "root keeps them");
        fs.release(f, fh, 0);
    }

    @Test
    void userXattrsThroughGroupWrite() throws Exception {
        long f = fileOf(ROOT_CALLER, "f", 0664);
        fs.setattr(ROOT_CALLER, f, SetAttr.owner(-1, 777));
        fs.setxattr(CAROL, f, x("user.k"), b("v"), 0);
        assertArrayEquals(b("v"), fs.getxattr(ALICE, f, x("user.k")), "others may read");
        assertErrno(Errno.EACCES, () -> fs.setxattr(ALICE, f, x("user.k"), b("w"), 0));
        assertErrno(Errno.EACCES, () -> fs.removexattr(ALICE, f, x("user.k")));
        assertErrno(Errno.EPERM, () -> fs.setxattr(CAROL, f, x("trusted.k"), b("w"), 0));
        assertErrno(Errno.EPERM, () -> fs.setxattr(CAROL, f, x("security.k"), b("w"), 0));
        fs.removexattr(CAROL, f, x("user.k"));
    }
}
