package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Attr;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.XattrName;
import io.strata.ext2.tools.Mkfs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Permissions decided by core's Access for callers other than root, including the two defects of
 * issue 7: chown to a supplementary group, and utimensat(UTIME_NOW) by a non-owner who may write
 * (also in the writeback form, an explicit mtime marked MTIME_CACHED). Needs no e2fsprogs except
 * for the final e2fsck.
 */
class PermissionsTest {
    static final Caller ROOT = Caller.ROOT;
    /** alice: uid 1000, primary group 1000, supplementary 2000. bob: 1001/1001, supplementary 2000. */
    static final Caller ALICE = Caller.of(1000, 1000, 2000), BOB = Caller.of(1001, 1001, 2000),
            CAROL = Caller.of(1002, 1002);

    Path tmp, img;
    Ext2FileSystem fs;
    long shared; // a 1777 directory, like /tmp

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-perm");
        img = tmp.resolve("img");
        assertEquals(0, Mkfs.run(new String[] {img.toString(), "8M"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(new ByteArrayOutputStream())));
        fs = Ext2FileSystem.open(img, Ext2Options.defaults());
        shared = fs.mkdir(ROOT, FileSystem.ROOT, Name.of("shared"), 01777, 0).ino();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (fs != null) {
                fs.unmount();
                if (TestSupport.haveTool("e2fsck")) {
                    TestSupport.Result ck = TestSupport.fsck(img);
                    assertEquals(0, ck.code(), ck.out());
                }
            }
        } finally {
            TestSupport.deleteTree(tmp);
        }
    }

    private static void fails(int errno, Executable e) {
        FsException x = assertThrows(FsException.class, e);
        assertEquals(Errno.name(errno), Errno.name(x.errno()), x.getMessage());
    }

    /** A regular file made by {@code c} in the shared directory, mode as given (no umask). */
    private long file(Caller c, String name, int mode) throws FsException {
        Created cr = fs.create(c, shared, Name.of(name), mode, OpenFlags.O_WRONLY, 0);
        fs.release(cr.entry().ino(), cr.opened().fh(), 0);
        return cr.entry().ino();
    }

    private Attr attr(long ino) throws FsException {
        return fs.getattr(ROOT, ino, -1).attr();
    }

    @Test
    void chownToSupplementaryGroupByOwner() throws Exception {
        long f = file(ALICE, "f", 0644);
        fs.setattr(ALICE, f, SetAttr.owner(-1, 2000)); // chown f -1 2000: alice is in 2000
        assertEquals(2000, attr(f).gid());
        assertEquals(1000, attr(f).uid());
        fs.setattr(ALICE, f, new SetAttr(SetAttr.UID | SetAttr.GID, 0, -1, 1000, 0, 0, 0, 0, -1)); // -1: unchanged
        assertEquals(1000, attr(f).gid());
        fs.setattr(ALICE, f, SetAttr.owner(1000, -1)); // to itself
        fails(Errno.EPERM, () -> fs.setattr(ALICE, f, SetAttr.owner(-1, 3000))); // not her group
        fails(Errno.EPERM, () -> fs.setattr(ALICE, f, SetAttr.owner(1001, -1))); // giving away
        fails(Errno.EPERM, () -> fs.setattr(BOB, f, SetAttr.owner(-1, 2000))); // not the owner
        fs.setattr(ROOT, f, SetAttr.owner(1001, 1001));
        assertEquals(1001, attr(f).uid());
    }

    @Test
    void chownClearsSetIdBits() throws Exception {
        long f = file(ALICE, "f", 06755);
        fs.setattr(ALICE, f, SetAttr.owner(-1, 2000));
        assertEquals(0755, attr(f).mode() & 07777);
    }

    @Test
    void utimeNowByNonOwnerWhoMayWrite() throws Exception {
        long f = file(ALICE, "f", 0666);
        long old = 1_000_000_000L * 1_000_000_000L;
        fs.setattr(ALICE, f, SetAttr.times(old, old));
        fs.setattr(BOB, f, SetAttr.timesNow()); // utimensat(UTIME_NOW, UTIME_NOW)
        assertTrue(attr(f).mtimeNs() > old && attr(f).atimeNs() > old);
        // FUSE writeback: UTIME_NOW arrives as an explicit mtime marked MTIME_CACHED
        long cached = old + 123_456_789L;
        fs.setattr(BOB, f, new SetAttr(SetAttr.ATIME | SetAttr.ATIME_NOW | SetAttr.MTIME | SetAttr.MTIME_CACHED,
                0, 0, 0, 0, 0, cached, 0, -1));
        assertEquals(cached, attr(f).mtimeNs());
        fails(Errno.EPERM, () -> fs.setattr(BOB, f, SetAttr.times(old, old))); // explicit times: owner only
        long g = file(ALICE, "g", 0644);
        fails(Errno.EACCES, () -> fs.setattr(BOB, g, SetAttr.timesNow())); // no write permission
        fails(Errno.EACCES, () -> fs.setattr(BOB, g, new SetAttr(SetAttr.MTIME | SetAttr.MTIME_CACHED,
                0, 0, 0, 0, 0, cached, 0, -1)));
    }

    @Test
    void chmodRules() throws Exception {
        long f = file(ALICE, "f", 0644);
        fails(Errno.EPERM, () -> fs.setattr(BOB, f, SetAttr.mode(0777)));
        fs.setattr(ALICE, f, SetAttr.mode(02755)); // her primary group: set-gid kept
        assertEquals(02755, attr(f).mode() & 07777);
        fs.setattr(ROOT, f, SetAttr.owner(-1, 3000));
        fs.setattr(ALICE, f, SetAttr.mode(02755)); // not in group 3000: set-gid dropped
        assertEquals(0755, attr(f).mode() & 07777);
    }

    @Test
    void writeAndTruncateClearSetIdBitsForNonRoot() throws Exception {
        long f = file(ROOT, "f", 06777);
        Opened o = fs.open(BOB, f, OpenFlags.O_WRONLY);
        fs.write(BOB, f, o.fh(), 0, ByteBuffer.wrap(new byte[] {1}), 0);
        fs.release(f, o.fh(), 0);
        assertEquals(0777, attr(f).mode() & 07777);

        fs.setattr(ROOT, f, SetAttr.mode(06777));
        o = fs.open(ROOT, f, OpenFlags.O_WRONLY);
        fs.write(ROOT, f, o.fh(), 0, ByteBuffer.wrap(new byte[] {1}), 0);
        assertEquals(06777, attr(f).mode() & 07777, "root keeps them");
        fs.write(ROOT, f, o.fh(), 0, ByteBuffer.wrap(new byte[] {1}), FileSystem.WRITE_KILL_SUIDGID);
        assertEquals(0777, attr(f).mode() & 07777, "unless the frontend asks");
        fs.release(f, o.fh(), 0);

        fs.setattr(ROOT, f, SetAttr.mode(06777));
        fs.setattr(BOB, f, SetAttr.size(0));
        assertEquals(0777, attr(f).mode() & 07777);
    }

    @Test
    void openChecksAccessMode() throws Exception {
        long f = file(ALICE, "f", 0640);
        fails(Errno.EACCES, () -> fs.open(CAROL, f, OpenFlags.O_RDONLY));
        fails(Errno.EACCES, () -> fs.open(BOB, f, OpenFlags.O_RDONLY)); // group 1000 is not bob's
        fs.setattr(ALICE, f, SetAttr.owner(-1, 2000));
        fs.release(f, fs.open(BOB, f, OpenFlags.O_RDONLY).fh(), 0); // now via his supplementary group
        fails(Errno.EACCES, () -> fs.open(BOB, f, OpenFlags.O_WRONLY));
        fails(Errno.EACCES, () -> fs.open(BOB, f, OpenFlags.O_RDONLY | OpenFlags.O_TRUNC));
        fs.release(f, fs.open(ALICE, f, OpenFlags.O_RDWR).fh(), 0);
    }

    @Test
    void lookupNeedsSearchAndCreateNeedsWrite() throws Exception {
        Entry priv = fs.mkdir(ROOT, FileSystem.ROOT, Name.of("private"), 0700, 0);
        file(ROOT, "x", 0644);
        fs.forget(fs.create(ROOT, priv.ino(), Name.of("secret"), 0644, OpenFlags.O_RDONLY, 0).entry().ino(), 1);
        fails(Errno.EACCES, () -> fs.lookup(ALICE, priv.ino(), Name.of("secret")));
        fails(Errno.EACCES, () -> fs.readdir(ALICE, priv.ino(), 0, 0, (n, i, t, c) -> true));
        fails(Errno.EACCES, () -> fs.mkdir(ALICE, FileSystem.ROOT, Name.of("mine"), 0755, 0));
        fails(Errno.EACCES, () -> fs.create(ALICE, FileSystem.ROOT, Name.of("mine"), 0644, OpenFlags.O_RDWR, 0));
        fails(Errno.EACCES, () -> fs.unlink(ALICE, FileSystem.ROOT, Name.of("shared")));
        fails(Errno.EEXIST, () -> fs.mkdir(ROOT, FileSystem.ROOT, Name.of("private"), 0755, 0));
    }

    @Test
    void stickyDirectory() throws Exception {
        long f = file(ALICE, "alices", 0666);
        fails(Errno.EPERM, () -> fs.unlink(BOB, shared, Name.of("alices")));
        fails(Errno.EPERM, () -> fs.rename(BOB, shared, Name.of("alices"), shared, Name.of("bobs"), 0));
        file(BOB, "bobs", 0644);
        fails(Errno.EPERM, () -> fs.rename(ALICE, shared, Name.of("alices"), shared, Name.of("bobs"), 0));
        fs.rename(ALICE, shared, Name.of("alices"), shared, Name.of("renamed"), 0);
        fs.unlink(ALICE, shared, Name.of("renamed"));
        fs.unlink(ROOT, shared, Name.of("bobs"));
        fs.forget(f, 1);
    }

    @Test
    void movingADirectoryNeedsWriteOnIt() throws Exception {
        long a = fs.mkdir(ALICE, shared, Name.of("a"), 0755, 0).ino();
        long b = fs.mkdir(ALICE, shared, Name.of("b"), 0755, 0).ino();
        long d = fs.mkdir(ALICE, a, Name.of("d"), 0555, 0).ino();
        fails(Errno.EACCES, () -> fs.rename(ALICE, a, Name.of("d"), b, Name.of("d"), 0));
        fs.rename(ALICE, a, Name.of("d"), a, Name.of("e"), 0); // same parent: ".." does not change
        fs.setattr(ALICE, d, SetAttr.mode(0755));
        fs.rename(ALICE, a, Name.of("e"), b, Name.of("d"), 0);
    }

    @Test
    void newObjectsInheritFromSetGidDirectories() throws Exception {
        long dir = fs.mkdir(ROOT, shared, Name.of("team"), 02777, 0).ino();
        fs.setattr(ROOT, dir, SetAttr.owner(-1, 500));
        fs.setattr(ROOT, dir, SetAttr.mode(02777));
        Created f = fs.create(ALICE, dir, Name.of("f"), 0666, OpenFlags.O_RDWR, 022);
        fs.release(f.entry().ino(), f.opened().fh(), 0);
        assertEquals(500, f.entry().attr().gid());
        assertEquals(0644, f.entry().attr().mode() & 07777, "umask applied");
        Entry sub = fs.mkdir(ALICE, dir, Name.of("sub"), 0777, 022);
        assertEquals(500, sub.attr().gid());
        assertEquals(02755, sub.attr().mode() & 07777);
        // a set-gid request for a file in a group alice is not in is dropped
        Created g = fs.create(ALICE, dir, Name.of("g"), 02775, OpenFlags.O_RDWR, 0);
        fs.release(g.entry().ino(), g.opened().fh(), 0);
        assertEquals(0775, g.entry().attr().mode() & 07777);
    }

    @Test
    void devicesNeedRootButWhiteoutsDoNot() throws Exception {
        fails(Errno.EPERM, () -> fs.mknod(ALICE, shared, Name.of("dev"), 0020644, (8 << 8) | 1, 0));
        Entry wh = fs.mknod(ALICE, shared, Name.of("wh"), 0020000, 0, 0);
        assertEquals(0020000, wh.attr().mode() & 0170000);
        Entry dev = fs.mknod(ROOT, shared, Name.of("dev"), 0060600, (8 << 8) | 1, 0);
        assertEquals((8 << 8) | 1, dev.attr().rdev());
    }

    @Test
    void xattrNamespaces() throws Exception {
        long f = file(ALICE, "f", 0644);
        XattrName user = XattrName.of("user.note"), trusted = XattrName.of("trusted.t"),
                security = XattrName.of("security.s");
        fs.setxattr(ALICE, f, user, new byte[] {1}, 0);
        fs.setxattr(ROOT, f, trusted, new byte[] {2}, 0);
        fs.setxattr(ROOT, f, security, new byte[] {3}, 0);
        fails(Errno.EACCES, () -> fs.setxattr(BOB, f, user, new byte[] {9}, 0));
        assertArrayEquals(new byte[] {1}, fs.getxattr(BOB, f, user));
        fails(Errno.EPERM, () -> fs.setxattr(ALICE, f, trusted, new byte[] {9}, 0));
        fails(Errno.ENODATA, () -> fs.getxattr(ALICE, f, trusted));
        fails(Errno.EPERM, () -> fs.setxattr(ALICE, f, security, new byte[] {9}, 0));
        assertArrayEquals(new byte[] {3}, fs.getxattr(BOB, f, security));
        assertFalse(fs.listxattr(ALICE, f).contains(trusted));
        assertTrue(fs.listxattr(ROOT, f).containsAll(java.util.List.of(user, trusted, security)));
        fails(Errno.EOPNOTSUPP, () -> fs.setxattr(ALICE, f, XattrName.of("system.posix_acl_access"), new byte[4], 0));
        fails(Errno.EOPNOTSUPP, () -> fs.setxattr(ROOT, f, XattrName.of("other.x"), new byte[1], 0));
        fails(Errno.EINVAL, () -> fs.setxattr(ALICE, f, XattrName.of("user."), new byte[1], 0));
    }

    @Test
    void accessMatchesAccess() throws Exception {
        long f = file(ALICE, "f", 0750);
        fs.access(ALICE, f, 7);
        fails(Errno.EACCES, () -> fs.access(BOB, f, 4));
        fs.setattr(ALICE, f, SetAttr.owner(-1, 2000));
        fs.access(BOB, f, 5);
        fails(Errno.EACCES, () -> fs.access(BOB, f, 2));
        fs.access(ROOT, f, 7);
    }
}
