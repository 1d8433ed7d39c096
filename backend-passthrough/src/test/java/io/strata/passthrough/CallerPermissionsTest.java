package io.strata.passthrough;

import static io.strata.passthrough.Fixture.ROOT;
import static io.strata.passthrough.Fixture.n;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.core.Access;
import io.strata.core.Attr;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Groups;
import io.strata.core.Name;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.XattrName;
import io.strata.sys.Libc;
import io.strata.sys.PosixFiles;
import io.strata.sys.SysException;
import io.strata.sys.ThreadCredentials;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Operations by another user (nobody, with supplementary group 4242) on root's files: every one
 * must be refused exactly as the host kernel refuses the same system call made by that user
 * (computed here, on a thread switched to that user), and what the user creates must belong to it.
 * Runs both ways the backend works: switching credentials (the kernel decides) and checking with
 * core Access (forced here although we are root; the real case is a non-root daemon).
 */
class CallerPermissionsTest {
    static final Caller NOBODY = new Caller(65534, 65534, 7, Groups.of(4242));
    static final long R = FileSystem.ROOT;

    Fixture f;
    ExecutorService hostThread;
    int dfd = -1;

    void open(boolean switching) throws Exception {
        f = new Fixture(PassthroughOptions.defaults().withAllowDev(true), switching, FileHandles.KERNEL);
        assertEquals(switching, f.fs.switchesCredentials());
        Path s = f.src;
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwxr-xr-x"));
        file(s.resolve("secret"), "rw-------", 0);
        file(s.resolve("pub"), "rw-r--r--", 0);
        file(s.resolve("grp"), "rw-r-----", 4242);
        Files.createDirectory(s.resolve("d"));
        file(s.resolve("d/f"), "rw-r--r--", 0);
        Files.createDirectory(s.resolve("priv"));
        Files.setPosixFilePermissions(s.resolve("priv"), PosixFilePermissions.fromString("rwx------"));
        file(s.resolve("priv/inner"), "rw-r--r--", 0);
        Files.createDirectory(s.resolve("tmp"));
        Files.setAttribute(s.resolve("tmp"), "unix:mode", 01777);
        file(s.resolve("tmp/roots"), "rw-rw-rw-", 0);
        Files.createDirectory(s.resolve("open"));
        Files.setPosixFilePermissions(s.resolve("open"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.createDirectory(s.resolve("sgid"));
        Files.setAttribute(s.resolve("sgid"), "unix:gid", 4242);
        Files.setAttribute(s.resolve("sgid"), "unix:mode", 02777);
        PosixFiles.setxattrOf(fd(s.resolve("pub")), XattrName.of("trusted.t"), new byte[] {1}, 0);
        dfd = Libc.open(s.toString(), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        hostThread = Executors.newSingleThreadExecutor();
    }

    private static void file(Path p, String perms, int gid) throws Exception {
        Files.writeString(p, "data");
        Files.setAttribute(p, "unix:gid", gid);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }

    /** An O_PATH descriptor closed with the test. */
    private final java.util.List<Integer> fds = new java.util.ArrayList<>();

    private int fd(Path p) throws SysException {
        int fd = Libc.open(p.toString(), Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        fds.add(fd);
        return fd;
    }

    @BeforeEach
    void needRoot() {
        assumeTrue(Libc.geteuid() == 0, "acting as other users needs root");
    }

    @AfterEach
    void close() throws Exception {
        for (int fd : fds) Libc.closeQuietly(fd);
        Libc.closeQuietly(dfd);
        if (hostThread != null) hostThread.shutdownNow();
        if (f != null) f.close();
    }

    interface HostCall {
        void run() throws SysException;
    }

    interface SpiCall {
        void run() throws FsException;
    }

    /** The host kernel's answer (0 or errno) to {@code call} made by {@code c} itself. */
    int host(Caller c, HostCall call) throws Exception {
        int[] mine = ThreadCredentials.getgroups();
        return hostThread.submit(() -> {
            ThreadCredentials.setgroups(c.groups().toArray());
            ThreadCredentials.setresgid(-1, c.gid(), -1);
            ThreadCredentials.setresuid(-1, c.uid(), -1);
            try {
                call.run();
                return 0;
            } catch (SysException e) {
                return e.errno();
            } finally {
                ThreadCredentials.setresuid(-1, 0, -1);
                ThreadCredentials.setresgid(-1, 0, -1);
                ThreadCredentials.setgroups(mine);
            }
        }).get();
    }

    static int spi(SpiCall call) {
        try {
            call.run();
            return 0;
        } catch (FsException e) {
            return e.errno();
        }
    }

    /** The host answers {@code expected} and so does the SPI. */
    void same(String what, int expected, HostCall host, SpiCall spi) throws Exception {
        int h = host(NOBODY, host);
        assertEquals(Errno.name(expected), Errno.name(h), what + ": the host kernel's answer (test setup)");
        assertEquals(Errno.name(h), Errno.name(spi(spi)), what + ": the SPI answers as the host");
    }

    long ino(String path) throws FsException {
        long at = R;
        for (String part : path.split("/")) {
            Entry e = f.fs.lookup(ROOT, at, n(part));
            at = e.ino();
        }
        return at;
    }

    static byte[] b(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "switching={0}")
    @ValueSource(booleans = {true, false})
    void refusedExactlyAsTheHostRefuses(boolean switching) throws Exception {
        open(switching);
        long secret = ino("secret"), pub = ino("pub"), grp = ino("grp"), d = ino("d"), priv = ino("priv");
        long tmp = ino("tmp"), open = ino("open");
        int secretFd = fd(f.src.resolve("secret")), pubFd = fd(f.src.resolve("pub"));

        same("open 0600 for reading", Errno.EACCES,
                () -> Libc.close(PosixFiles.openat(dfd, b("secret"), Libc.O_RDONLY | Libc.O_CLOEXEC, 0)),
                () -> f.fs.release(secret, f.fs.open(NOBODY, secret, Libc.O_RDONLY).fh(), 0));
        same("open 0644 for writing", Errno.EACCES,
                () -> Libc.close(PosixFiles.openat(dfd, b("pub"), Libc.O_WRONLY | Libc.O_CLOEXEC, 0)),
                () -> f.fs.release(pub, f.fs.open(NOBODY, pub, Libc.O_WRONLY).fh(), 0));
        same("read through a supplementary group", 0,
                () -> Libc.close(PosixFiles.openat(dfd, b("grp"), Libc.O_RDONLY | Libc.O_CLOEXEC, 0)),
                () -> f.fs.release(grp, f.fs.open(NOBODY, grp, Libc.O_RDONLY).fh(), 0));
        same("create in root's 0755 directory", Errno.EACCES,
                () -> Libc.close(PosixFiles.openat(dfd, b("mine"), Libc.O_CREAT | Libc.O_EXCL | Libc.O_WRONLY, 0644)),
                () -> f.fs.create(NOBODY, R, n("mine"), 0644, Libc.O_WRONLY, 0));
        same("mkdir in root's 0755 directory", Errno.EACCES,
                () -> PosixFiles.mkdirat(dfd, b("mine"), 0755),
                () -> f.fs.mkdir(NOBODY, R, n("mine"), 0755, 0));
        same("symlink in root's 0755 directory", Errno.EACCES,
                () -> PosixFiles.symlinkat(b("x"), dfd, b("mine")),
                () -> f.fs.symlink(NOBODY, R, n("mine"), b("x")));
        same("chmod of root's file", Errno.EPERM,
                () -> PosixFiles.fchmodat(dfd, b("secret"), 0666, 0),
                () -> f.fs.setattr(NOBODY, secret, SetAttr.mode(0666)));
        same("chown of root's file to oneself", Errno.EPERM,
                () -> PosixFiles.fchownat(dfd, b("secret"), 65534, -1, PosixFiles.AT_SYMLINK_NOFOLLOW),
                () -> f.fs.setattr(NOBODY, secret, SetAttr.owner(65534, -1)));
        same("chgrp of root's file to one's own group", Errno.EPERM,
                () -> PosixFiles.fchownat(dfd, b("pub"), -1, 4242, PosixFiles.AT_SYMLINK_NOFOLLOW),
                () -> f.fs.setattr(NOBODY, pub, SetAttr.owner(-1, 4242)));
        same("explicit times on root's file", Errno.EPERM,
                () -> PosixFiles.utimensat(dfd, b("pub"), 5_000_000_000L, 5_000_000_000L, 0),
                () -> f.fs.setattr(NOBODY, pub, SetAttr.times(5_000_000_000L, 5_000_000_000L)));
        same("touch (times now) without write access", Errno.EACCES,
                () -> PosixFiles.utimensat(dfd, b("pub"), PosixFiles.UTIME_NOW, PosixFiles.UTIME_NOW, 0),
                () -> f.fs.setattr(NOBODY, pub, SetAttr.timesNow()));
        same("truncate without write access", Errno.EACCES,
                () -> Libc.close(PosixFiles.openat(dfd, b("pub"), Libc.O_WRONLY | Libc.O_TRUNC, 0)),
                () -> f.fs.setattr(NOBODY, pub, SetAttr.size(0)));
        same("unlink in root's 0755 directory", Errno.EACCES,
                () -> PosixFiles.unlinkat(dfd, b("d/f"), 0),
                () -> f.fs.unlink(NOBODY, d, n("f")));
        same("rmdir in root's 0755 directory", Errno.EACCES,
                () -> PosixFiles.unlinkat(dfd, b("d"), PosixFiles.AT_REMOVEDIR),
                () -> f.fs.rmdir(NOBODY, R, n("d")));
        same("rename out of root's directory", Errno.EACCES,
                () -> PosixFiles.renameat2(dfd, b("d/f"), dfd, b("open/f"), 0),
                () -> f.fs.rename(NOBODY, d, n("f"), open, n("f"), 0));
        same("unlink of another's file in a sticky directory", Errno.EPERM,
                () -> PosixFiles.unlinkat(dfd, b("tmp/roots"), 0),
                () -> f.fs.unlink(NOBODY, tmp, n("roots")));
        same("lookup in a 0700 directory", Errno.EACCES,
                () -> Libc.close(PosixFiles.openat(dfd, b("priv/inner"), Libc.O_PATH | Libc.O_CLOEXEC, 0)),
                () -> f.fs.forget(f.fs.lookup(NOBODY, priv, n("inner")).ino(), 1));
        same("opendir of a 0700 directory", Errno.EACCES,
                () -> Libc.close(PosixFiles.openat(dfd, b("priv"), Libc.O_RDONLY | Libc.O_DIRECTORY, 0)),
                () -> f.fs.releasedir(priv, f.fs.opendir(NOBODY, priv, 0).fh()));
        same("access R of 0600", Errno.EACCES,
                () -> PosixFiles.faccessat(secretFd, PosixFiles.EMPTY_PATH, Access.R,
                        PosixFiles.AT_EMPTY_PATH | PosixFiles.AT_EACCESS),
                () -> f.fs.access(NOBODY, secret, Access.R));
        same("access R through a supplementary group", 0,
                () -> PosixFiles.faccessat(dfd, b("grp"), Access.R, PosixFiles.AT_EACCESS),
                () -> f.fs.access(NOBODY, grp, Access.R));
        same("user xattr without write access", Errno.EACCES,
                () -> PosixFiles.setxattrOf(pubFd, XattrName.of("user.k"), b("v"), 0),
                () -> f.fs.setxattr(NOBODY, pub, XattrName.of("user.k"), b("v"), 0));
        same("reading a trusted xattr", Errno.ENODATA,
                () -> PosixFiles.getxattrOf(pubFd, XattrName.of("trusted.t")),
                () -> f.fs.getxattr(NOBODY, pub, XattrName.of("trusted.t")));
        same("hard link to a file one may not read and write (protected_hardlinks)",
                protectedHardlinks() ? Errno.EPERM : 0,
                () -> PosixFiles.linkat(dfd, b("secret"), dfd, b("open/hl-host"), 0),
                () -> f.fs.link(NOBODY, secret, open, n("hl")));
        same("device node", Errno.EPERM,
                () -> PosixFiles.mknodat(dfd, b("open/null-host"), FileType.S_IFCHR | 0666, PosixFiles.makedev(1, 3)),
                () -> f.fs.mknod(NOBODY, open, n("null"), FileType.S_IFCHR | 0666, (1 << 8) | 3, 0));

        // a file of its own: trusted.* is root's whatever the owner
        Created mine = f.fs.create(NOBODY, open, n("own"), 0644, Libc.O_RDWR, 0);
        f.fs.release(mine.entry().ino(), mine.opened().fh(), 0);
        int ownFd = fd(f.src.resolve("open/own"));
        same("trusted xattr on one's own file", Errno.EPERM,
                () -> PosixFiles.setxattrOf(ownFd, XattrName.of("trusted.x"), b("v"), 0),
                () -> f.fs.setxattr(NOBODY, mine.entry().ino(), XattrName.of("trusted.x"), b("v"), 0));
        assertFalse(f.fs.listxattr(NOBODY, pub).contains(XattrName.of("trusted.t")), "trusted.* hidden");
        assertTrue(f.fs.listxattr(ROOT, pub).contains(XattrName.of("trusted.t")));

        // nothing changed on the host
        Attr s = f.fs.getattr(ROOT, secret, -1).attr();
        assertEquals(0600, s.mode() & 07777);
        assertEquals(0, s.uid());
        assertEquals("data", Files.readString(f.src.resolve("pub")));
        assertTrue(Files.exists(f.src.resolve("d/f")) && Files.exists(f.src.resolve("tmp/roots")));
    }

    private static boolean protectedHardlinks() throws Exception {
        return Files.readString(Path.of("/proc/sys/fs/protected_hardlinks")).trim().equals("1");
    }

    @ParameterizedTest(name = "switching={0}")
    @ValueSource(booleans = {true})
    void creationsBelongToTheCaller(boolean switching) throws Exception {
        open(switching);
        long open = ino("open"), sgid = ino("sgid");
        Created c = f.fs.create(NOBODY, open, n("file"), 0640, Libc.O_RDWR, 0);
        f.fs.release(c.entry().ino(), c.opened().fh(), 0);
        Entry dir = f.fs.mkdir(NOBODY, open, n("dir"), 0750, 0);
        Entry link = f.fs.symlink(NOBODY, open, n("link"), b("target"));
        Entry fifo = f.fs.mknod(NOBODY, open, n("fifo"), FileType.S_IFIFO | 0600, 0, 0);
        Created tmp = f.fs.tmpfile(NOBODY, open, 0600, Libc.O_RDWR, 0);
        f.fs.release(tmp.entry().ino(), tmp.opened().fh(), 0);
        for (Entry e : new Entry[] {c.entry(), dir, link, fifo, tmp.entry()}) {
            assertEquals(65534, e.attr().uid(), "owned by the caller: " + e);
            assertEquals(65534, e.attr().gid(), "the caller's group: " + e);
        }
        // on the host, too (not created as root and chowned later: there is no root-owned moment to see)
        assertEquals(65534, Files.getAttribute(f.src.resolve("open/file"), "unix:uid"));
        assertEquals(0640, c.entry().attr().mode() & 07777);
        assertEquals(0750, dir.attr().mode() & 07777);
        // a set-group-id directory gives its group, and subdirectories its bit
        Entry inSgid = f.fs.mkdir(NOBODY, sgid, n("sub"), 0777, 0);
        assertEquals(4242, inSgid.attr().gid());
        assertEquals(02777, inSgid.attr().mode() & 07777, "umask bits restored without losing set-group-id");
        Created fileInSgid = f.fs.create(NOBODY, sgid, n("f"), 0666, Libc.O_RDWR, 0);
        f.fs.release(fileInSgid.entry().ino(), fileInSgid.opened().fh(), 0);
        assertEquals(4242, fileInSgid.entry().attr().gid());
        assertEquals(0666, fileInSgid.entry().attr().mode() & 07777);
    }

    /** readdirplus by a caller who may read a directory but not search it: names without entries. */
    @ParameterizedTest(name = "switching={0}")
    @ValueSource(booleans = {true, false})
    void readdirplusWithoutSearchPermissionGivesNoEntries(boolean switching) throws Exception {
        open(switching);
        Files.setPosixFilePermissions(f.src.resolve("d"), PosixFilePermissions.fromString("rwxr--r--"));
        long d = ino("d");
        int live = f.fs.liveNodes();
        Opened o = f.fs.opendir(NOBODY, d, 0);
        java.util.List<Name> names = new java.util.ArrayList<>();
        f.fs.readdirplus(NOBODY, d, o.fh(), 0, (name, ino, type, next, e) -> {
            assertNull(e, "no entry without search permission: " + name);
            names.add(name);
            return true;
        });
        f.fs.releasedir(d, o.fh());
        assertTrue(names.contains(n("f")));
        assertEquals(live, f.fs.liveNodes());
        assertEquals(Errno.EACCES, spi(() -> f.fs.lookup(NOBODY, d, n("f"))));
    }

    /** A write by another user clears set-id bits, as the host clears them for that user's own write. */
    @ParameterizedTest(name = "switching={0}")
    @ValueSource(booleans = {true})
    void writesByOthersClearSetIdBitsAsTheHostDoes(boolean switching) throws Exception {
        open(switching);
        long open = ino("open");
        for (String name : new String[] {"spi", "host"}) {
            Path p = f.src.resolve("open/" + name);
            Files.writeString(p, "x");
            Files.setAttribute(p, "unix:mode", 06777);
        }
        int hostMode = host(NOBODY, () -> {
            int fd = PosixFiles.openat(dfd, b("open/host"), Libc.O_WRONLY | Libc.O_CLOEXEC, 0);
            try {
                PosixFiles.pwrite(fd, ByteBuffer.wrap(b("nobody")), 0);
            } finally {
                Libc.close(fd);
            }
        });
        assertEquals(0, hostMode);
        long spi = ino("open/spi");
        Opened o = f.fs.open(NOBODY, spi, Libc.O_WRONLY);
        f.fs.write(NOBODY, spi, o.fh(), 0, ByteBuffer.wrap(b("nobody")), 0);
        f.fs.release(spi, o.fh(), 0);
        int expected = (int) Files.getAttribute(f.src.resolve("open/host"), "unix:mode") & 07777;
        assertEquals(0777, expected, "the host cleared both bits (test setup)");
        assertEquals(expected, f.fs.getattr(ROOT, spi, -1).attr().mode() & 07777);
        // root's own write keeps them
        Files.setAttribute(f.src.resolve("open/spi"), "unix:mode", 06777);
        Opened r = f.fs.open(ROOT, spi, Libc.O_WRONLY);
        f.fs.write(ROOT, spi, r.fh(), 0, ByteBuffer.wrap(b("root")), 0);
        f.fs.release(spi, r.fh(), 0);
        assertEquals(06777, f.fs.getattr(ROOT, spi, -1).attr().mode() & 07777);
    }

    /** A writeback cache's mtime: allowed to anyone who may write (not only the owner), and stored. */
    @ParameterizedTest(name = "switching={0}")
    @ValueSource(booleans = {true, false})
    void cachedMtimeNeedsWriteAccessNotOwnership(boolean switching) throws Exception {
        open(switching);
        Files.writeString(f.src.resolve("open/shared"), "x");
        Files.setPosixFilePermissions(f.src.resolve("open/shared"), PosixFilePermissions.fromString("rw-rw-rw-"));
        long shared = ino("open/shared"), pub = ino("pub");
        SetAttr cached = new SetAttr(SetAttr.MTIME | SetAttr.MTIME_CACHED, 0, 0, 0, 0, 0, 1_700_000_000_000_000_000L,
                0, -1);
        f.fs.setattr(NOBODY, shared, cached);
        assertEquals(1_700_000_000_000_000_000L, f.fs.getattr(ROOT, shared, -1).attr().mtimeNs());
        assertEquals(Errno.EACCES, spi(() -> f.fs.setattr(NOBODY, pub, cached)));
        assertEquals(Errno.EPERM, spi(() -> f.fs.setattr(NOBODY, shared, SetAttr.times(1, 1))));
    }
}
