package io.strata.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.core.OpenFlags;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.FileType;
import io.strata.core.SetAttr;
import io.strata.core.Errno;
import org.junit.jupiter.api.Test;

class PermissionTest extends FsTestSupport {

    @Test
    void ownerGroupOtherBitsDecideAccess() throws Exception {
        long f = touch(ALICE, ROOT, "f");
        fs.setattr(ALICE, f, SetAttr.mode(0640));
        fs.access(ALICE, f, 4 | 2);
        assertErrno(Errno.EACCES, () -> fs.access(ALICE, f, 1));
        Caller sameGroup = new Caller(2000, 1000, 1);
        fs.access(sameGroup, f, 4);
        assertErrno(Errno.EACCES, () -> fs.access(sameGroup, f, 2));
        assertErrno(Errno.EACCES, () -> fs.access(BOB, f, 4));
        fs.access(BOB, f, 0); // F_OK
        assertErrno(Errno.EACCES, () -> fs.open(BOB, f, RO));
        assertErrno(Errno.EACCES, () -> fs.open(sameGroup, f, RW));
        fs.release(f, fs.open(sameGroup, f, RO).fh(), 0);
        // owner bits apply to the owner even when group/other would allow more
        fs.setattr(ALICE, f, SetAttr.mode(0077));
        assertErrno(Errno.EACCES, () -> fs.open(ALICE, f, RO));
    }

    @Test
    void rootBypassesExceptExecuteNeedsSomeXBit() throws Exception {
        long f = touch(ALICE, ROOT, "f");
        fs.setattr(ALICE, f, SetAttr.mode(0000));
        fs.access(ROOT_CALLER, f, 4 | 2);
        assertErrno(Errno.EACCES, () -> fs.access(ROOT_CALLER, f, 1));
        fs.setattr(ALICE, f, SetAttr.mode(0001));
        fs.access(ROOT_CALLER, f, 1);
        long d = mkdir(ALICE, ROOT, "d");
        fs.setattr(ALICE, d, SetAttr.mode(0000));
        fs.access(ROOT_CALLER, d, 1); // search on directories is always allowed for root
        fs.lookup(ROOT_CALLER, d, n("."));
    }

    @Test
    void lookupNeedsSearchAndCreateNeedsWriteAndSearch() throws Exception {
        long d = mkdir(ALICE, ROOT, "d");
        touch(ALICE, d, "inside");
        fs.setattr(ALICE, d, SetAttr.mode(0744)); // others: read, no search
        assertErrno(Errno.EACCES, () -> fs.lookup(BOB, d, n("inside")));
        fs.setattr(ALICE, d, SetAttr.mode(0755));
        assertEquals(lookupIno(d, "inside"), fs.lookup(BOB, d, n("inside")).ino());
        assertErrno(Errno.EACCES, () -> fs.create(BOB, d, n("new"), 0644, RW, 0));
        assertErrno(Errno.EACCES, () -> fs.mkdir(BOB, d, n("new"), 0755, 0));
        assertErrno(Errno.EACCES, () -> fs.unlink(BOB, d, n("inside")));
        assertErrno(Errno.EACCES, () -> fs.rename(BOB, d, n("inside"), ROOT, n("stolen"), 0));
        assertErrno(Errno.EACCES, () -> fs.symlink(BOB, d, n("l"), b("x")));
        fs.setattr(ALICE, d, SetAttr.mode(0757));
        fs.create(BOB, d, n("bobs"), 0644, RW, 0);
        fs.unlink(BOB, d, n("inside")); // no sticky bit: anyone with w+x on the directory may remove
    }

    @Test
    void opendirNeedsRead() throws Exception {
        long d = mkdir(ALICE, ROOT, "d");
        fs.setattr(ALICE, d, SetAttr.mode(0711));
        assertErrno(Errno.EACCES, () -> fs.opendir(BOB, d, 0));
        fs.opendir(ALICE, d, 0);
    }

    @Test
    void stickyDirectoryProtectsOthersEntries() throws Exception {
        // root is 01777 in these tests, like /tmp
        long alices = touch(ALICE, ROOT, "alices");
        touch(BOB, ROOT, "bobs");
        assertErrno(Errno.EPERM, () -> fs.unlink(BOB, ROOT, n("alices")));
        assertErrno(Errno.EPERM, () -> fs.rename(BOB, ROOT, n("alices"), ROOT, n("mine"), 0));
        assertErrno(Errno.EPERM, () -> fs.rename(BOB, ROOT, n("bobs"), ROOT, n("alices"), 0), "cannot replace either");
        assertEquals(alices, lookupIno(ROOT, "alices"));
        fs.rename(BOB, ROOT, n("bobs"), ROOT, n("bobs2"), 0);
        fs.unlink(BOB, ROOT, n("bobs2"));
        fs.unlink(ROOT_CALLER, ROOT, n("alices"));
    }

    @Test
    void stickyDirectoryOwnerMayRemoveAnything() throws Exception {
        long d = fs.mkdir(ALICE, ROOT, n("d"), 01777, 0).ino();
        touch(BOB, d, "bobs");
        fs.unlink(ALICE, d, n("bobs"));
    }

    @Test
    void onlyOwnerOrRootMayChmod() throws Exception {
        long f = touch(ALICE, ROOT, "f");
        assertErrno(Errno.EPERM, () -> fs.setattr(BOB, f, SetAttr.mode(0777)));
        fs.setattr(ALICE, f, SetAttr.mode(0600));
        fs.setattr(ROOT_CALLER, f, SetAttr.mode(0604));
        assertEquals(FileType.S_IFREG | 0604, attr(f).mode());
    }

    @Test
    void chmodByNonMemberClearsSetgid() throws Exception {
        long f = touch(ALICE, ROOT, "f");
        fs.setattr(ROOT_CALLER, f, new SetAttr(SetAttr.GID, 0, 0, 4242, 0, 0, 0, 0, -1));
        fs.setattr(ALICE, f, SetAttr.mode(02755));
        assertEquals(0755, attr(f).mode() & 07777, "alice is not in group 4242");
        fs.setattr(ROOT_CALLER, f, SetAttr.mode(02755));
        assertEquals(02755, attr(f).mode() & 07777, "root may");
        long g = touch(ALICE, ROOT, "g");
        fs.setattr(ALICE, g, SetAttr.mode(02755));
        assertEquals(02755, attr(g).mode() & 07777, "alice is in group 1000");
    }

    @Test
    void chownRules() throws Exception {
        long f = touch(ALICE, ROOT, "f");
        SetAttr toBob = new SetAttr(SetAttr.UID, 0, BOB.uid(), 0, 0, 0, 0, 0, -1);
        assertErrno(Errno.EPERM, () -> fs.setattr(ALICE, f, toBob), "only root gives files away");
        SetAttr group = new SetAttr(SetAttr.GID, 0, 0, 777, 0, 0, 0, 0, -1);
        assertErrno(Errno.EPERM, () -> fs.setattr(BOB, f, group));
        // the owner may pick a group she is in (Linux chgrp_ok), not any group
        assertErrno(Errno.EPERM, () -> fs.setattr(ALICE, f, group), "alice is not in group 777");
        fs.setattr(Caller.of(ALICE.uid(), ALICE.gid(), 777), f, group);
        assertEquals(777, attr(f).gid());
        fs.setattr(ALICE, f, new SetAttr(SetAttr.UID, 0, ALICE.uid(), 0, 0, 0, 0, 0, -1)); // no-op chown is fine
        fs.setattr(ROOT_CALLER, f, toBob);
        assertEquals(BOB.uid(), attr(f).uid());
    }

    @Test
    void chownClearsSetuidAndSetgidOfExecutables() throws Exception {
        long f = touch(ALICE, ROOT, "f");
        fs.setattr(ALICE, f, SetAttr.mode(06755));
        assertEquals(06755, attr(f).mode() & 07777);
        fs.setattr(ROOT_CALLER, f, new SetAttr(SetAttr.UID, 0, BOB.uid(), 0, 0, 0, 0, 0, -1));
        assertEquals(0755, attr(f).mode() & 07777);
        long noExec = touch(ALICE, ROOT, "g");
        fs.setattr(ALICE, noExec, SetAttr.mode(06644));
        fs.setattr(ROOT_CALLER, noExec, new SetAttr(SetAttr.UID, 0, BOB.uid(), 0, 0, 0, 0, 0, -1));
        // chown_common: set-user-id always goes; set-group-id without group x (a mandatory-locking
        // marker, nothing to escalate) stays for a caller in the group (root here)
        assertEquals(02644, attr(noExec).mode() & 07777, "no group x bit: S_ISGID kept, S_ISUID cleared");
        long d = fs.mkdir(ALICE, ROOT, n("d"), 02755, 0).ino();
        fs.setattr(ALICE, d, SetAttr.mode(02755));
        fs.setattr(ROOT_CALLER, d, new SetAttr(SetAttr.UID, 0, BOB.uid(), 0, 0, 0, 0, 0, -1));
        assertEquals(02755, attr(d).mode() & 07777, "directories keep S_ISGID");
    }

    @Test
    void killSuidgidOnWriteAndSetattr() throws Exception {
        Created c = fs.create(ALICE, ROOT, n("f"), 06755, RW, 0);
        long f = c.entry().ino();
        assertEquals(06755, c.entry().attr().mode() & 07777);
        long fh = c.opened().fh();
        fs.write(ROOT_CALLER, f, fh, 0, java.nio.ByteBuffer.wrap(new byte[1]), 0);
        assertEquals(06755, attr(f).mode() & 07777, "root, no flag: untouched (CAP_FSETID)");
        fs.write(ALICE, f, fh, 0, java.nio.ByteBuffer.wrap(new byte[1]), io.strata.core.FileSystem.WRITE_CACHE);
        assertEquals(06755, attr(f).mode() & 07777, "writeback: the kernel dealt with the bits at write(2) time");
        fs.write(ROOT_CALLER, f, fh, 0, java.nio.ByteBuffer.wrap(new byte[1]),
                io.strata.core.FileSystem.WRITE_KILL_SUIDGID);
        assertEquals(0755, attr(f).mode() & 07777, "the frontend asked for it");
        fs.setattr(ALICE, f, SetAttr.mode(06755));
        fs.write(ALICE, f, fh, 0, java.nio.ByteBuffer.wrap(new byte[1]), 0);
        assertEquals(0755, attr(f).mode() & 07777, "a writer without CAP_FSETID clears them (file_remove_privs)");
        fs.setattr(ALICE, f, SetAttr.mode(02745));
        fs.write(ALICE, f, fh, 0, java.nio.ByteBuffer.wrap(new byte[1]), 0);
        assertEquals(02745, attr(f).mode() & 07777, "S_ISGID without group x is not a privilege: kept");
        fs.setattr(ALICE, f, SetAttr.mode(06755));
        fs.setattr(ALICE, f, new SetAttr(SetAttr.KILL_SUIDGID | SetAttr.SIZE, 0, 0, 0, 0, 0, 0, 0, -1));
        assertEquals(0755, attr(f).mode() & 07777);
    }

    @Test
    void explicitTimesNeedOwnershipNowNeedsWriteAccess() throws Exception {
        long f = touch(ALICE, ROOT, "f");
        fs.setattr(ALICE, f, SetAttr.mode(0666));
        SetAttr explicit = new SetAttr(SetAttr.MTIME, 0, 0, 0, 0, 0, 5, 0, -1);
        SetAttr now = new SetAttr(SetAttr.MTIME | SetAttr.MTIME_NOW | SetAttr.ATIME | SetAttr.ATIME_NOW,
                0, 0, 0, 0, 0, 0, 0, -1);
        assertErrno(Errno.EPERM, () -> fs.setattr(BOB, f, explicit));
        fs.setattr(BOB, f, now); // writable by bob
        fs.setattr(ALICE, f, SetAttr.mode(0644));
        assertErrno(Errno.EACCES, () -> fs.setattr(BOB, f, now));
        fs.setattr(ALICE, f, explicit);
        assertEquals(5, attr(f).mtimeNs());
    }

    @Test
    void truncateNeedsWritePermissionOrAWritableHandle() throws Exception {
        Created c = fs.create(ALICE, ROOT, n("f"), 0444, RW, 0);
        long f = c.entry().ino();
        // the creator's handle is writable although the mode is read-only
        fs.write(ALICE, f, c.opened().fh(), 0, java.nio.ByteBuffer.wrap("abc".getBytes()), 0);
        assertErrno(Errno.EACCES, () -> fs.setattr(ALICE, f, SetAttr.size(1)));
        fs.setattr(ALICE, f, new SetAttr(SetAttr.SIZE, 0, 0, 0, 1, 0, 0, 0, c.opened().fh()));
        assertEquals(1, attr(f).size());
        assertErrno(Errno.EACCES, () -> fs.open(ALICE, f, WO));
        assertErrno(Errno.EACCES, () -> fs.open(ALICE, f, RO | OpenFlags.O_TRUNC));
    }

    @Test
    void renameOfDirectoryAcrossParentsNeedsWriteOnIt() throws Exception {
        long d1 = fs.mkdir(ALICE, ROOT, n("d1"), 0777, 0).ino();
        long d2 = fs.mkdir(ALICE, ROOT, n("d2"), 0777, 0).ino();
        fs.mkdir(ALICE, d1, n("sub"), 0755, 0);
        assertErrno(Errno.EACCES, () -> fs.rename(BOB, d1, n("sub"), d2, n("sub"), 0), "'..' of sub would change");
        fs.rename(BOB, d1, n("sub"), d1, n("renamed"), 0); // same parent: fine
        fs.rename(ALICE, d1, n("renamed"), d2, n("sub"), 0);
    }
}
