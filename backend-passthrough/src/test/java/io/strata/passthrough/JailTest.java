package io.strata.passthrough;

import static io.strata.passthrough.Fixture.ROOT;
import static io.strata.passthrough.Fixture.n;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Bytes;
import io.strata.core.CacheMode;
import io.strata.core.Name;
import io.strata.core.XattrName;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.passthrough.PassthroughOptions.Handles;
import io.strata.core.Errno;
import io.strata.sys.Libc;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class JailTest {
    static PassthroughOptions opts(Handles h) {
        return PassthroughOptions.defaults().withMode(CacheMode.SHARED).withHandles(h);
    }

    static int errno(Executable e) {
        return assertThrows(FsException.class, e::run).errno();
    }

    interface Executable {
        void run() throws Exception;
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void dotsAndSlashes(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            String before = f.outsideSnapshot();
            assertEquals(FileSystem.ROOT, f.fs.lookup(ROOT, FileSystem.ROOT, n("..")).ino());
            assertEquals(FileSystem.ROOT, f.fs.lookup(ROOT, FileSystem.ROOT, n(".")).ino());
            Entry sub = f.fs.mkdir(ROOT, FileSystem.ROOT, n("sub"), 0755, 0);
            assertEquals(FileSystem.ROOT, f.fs.lookup(ROOT, sub.ino(), n("..")).ino());
            assertEquals(sub.ino(), f.fs.lookup(ROOT, sub.ino(), n(".")).ino());
            // Names are single components by construction: '/' and NUL never reach the backend.
            assertEquals(Errno.EINVAL, errno(() -> Name.utf8("../outside")));
            assertEquals(Errno.EINVAL, errno(() -> Name.utf8("../../outside/victim")));
            assertEquals(Errno.EINVAL, errno(() -> Name.of(new byte[] {'a', 0})));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> Name.utf8("x".repeat(256))));
            // "." and ".." in changing operations are the host's to refuse, from inside
            long r = FileSystem.ROOT;
            assertEquals(Errno.EEXIST, errno(() -> f.fs.mkdir(ROOT, r, Name.DOTDOT, 0755, 0)));
            assertEquals(Errno.EEXIST, errno(() -> f.fs.mkdir(ROOT, sub.ino(), Name.DOTDOT, 0755, 0)));
            assertEquals(Errno.EEXIST, errno(() -> f.fs.symlink(ROOT, r, Name.DOTDOT, Bytes.utf8("x"))));
            assertEquals(Errno.EEXIST, errno(() -> f.fs.mknod(ROOT, r, Name.DOTDOT, FileType.S_IFIFO | 0644, 0, 0)));
            assertEquals(Errno.ENOTEMPTY, errno(() -> f.fs.rmdir(ROOT, r, Name.DOTDOT)));
            assertEquals(Errno.EINVAL, errno(() -> f.fs.rmdir(ROOT, sub.ino(), Name.DOT)));
            assertEquals(Errno.EISDIR, errno(() -> f.fs.unlink(ROOT, r, Name.DOTDOT)));
            assertEquals(Errno.EBUSY, errno(() -> f.fs.rename(ROOT, r, Name.DOTDOT, r, n("x"), 0)));
            assertEquals(Errno.EBUSY, errno(() -> f.fs.rename(ROOT, r, n("sub"), sub.ino(), Name.DOTDOT, 0)));
            assertEquals(Errno.EISDIR, errno(() -> f.fs.create(ROOT, r, Name.DOTDOT, 0644, Libc.O_RDWR, 0)));
            assertEquals(Errno.EEXIST, errno(() -> f.fs.create(ROOT, r, Name.DOTDOT, 0644, Libc.O_RDWR | Libc.O_EXCL, 0)));
            Files.writeString(f.src.resolve("file"), "x");
            Entry file = f.fs.lookup(ROOT, r, n("file"));
            assertEquals(Errno.EEXIST, errno(() -> f.fs.link(ROOT, file.ino(), r, Name.DOTDOT)));
            assertTrue(Files.isDirectory(f.src.resolve("sub")));
            assertEquals(before, f.outsideSnapshot());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void symlinksAreNeverFollowed(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            String before = f.outsideSnapshot();
            String target = f.outside.toString();
            Entry ln = f.fs.symlink(ROOT, FileSystem.ROOT, n("ln"), Bytes.utf8(target));
            assertEquals(FileType.S_IFLNK, ln.attr().type());
            assertArrayEquals(Bytes.utf8(target), f.fs.readlink(ROOT, ln.ino()));
            assertEquals(Errno.ENOTDIR, errno(() -> f.fs.lookup(ROOT, ln.ino(), n("victim"))));
            assertEquals(Errno.ELOOP, errno(() -> f.fs.open(ROOT, ln.ino(), Libc.O_RDONLY)));
            assertEquals(Errno.ENOTDIR, errno(() -> f.fs.create(ROOT, ln.ino(), n("x"), 0644, Libc.O_RDWR, 0)));
            assertEquals(Errno.ENOTDIR, errno(() -> f.fs.opendir(ROOT, ln.ino(), 0)));
            // a symlink planted by the host to a file outside, and a dangling one where we create
            Files.createSymbolicLink(f.src.resolve("planted"), f.outside.resolve("victim"));
            Files.createSymbolicLink(f.src.resolve("dangle"), f.outside.resolve("created-by-attack"));
            Entry p = f.fs.lookup(ROOT, FileSystem.ROOT, n("planted"));
            assertEquals(FileType.S_IFLNK, p.attr().type());
            assertEquals(Errno.ELOOP, errno(() -> f.fs.open(ROOT, p.ino(), Libc.O_RDWR | Libc.O_TRUNC)));
            assertEquals(Errno.ELOOP, errno(() -> f.fs.create(ROOT, FileSystem.ROOT, n("dangle"), 0644,
                    Libc.O_RDWR | Libc.O_CREAT, 0)));
            // setattr / xattr on the symlink node act on the link itself, never on its target
            f.fs.setattr(ROOT, p.ino(), new io.strata.core.SetAttr(io.strata.core.SetAttr.MTIME, 0, 0, 0, 0, 0,
                    1_000_000_000L, 0, -1));
            assertEquals(Errno.EPERM, errno(() -> f.fs.setxattr(ROOT, p.ino(), XattrName.of("user.x"), new byte[1], 0)));
            // chmod and chown reach the link (Linux refuses to chmod one), never the victim
            Object victimMode = Files.getAttribute(f.outside.resolve("victim"), "unix:mode");
            assertEquals(Errno.EOPNOTSUPP, errno(() -> f.fs.setattr(ROOT, p.ino(), io.strata.core.SetAttr.mode(0777))));
            f.fs.setattr(ROOT, p.ino(), io.strata.core.SetAttr.owner(1234, -1));
            assertEquals(victimMode, Files.getAttribute(f.outside.resolve("victim"), "unix:mode"));
            assertEquals(0, Files.getAttribute(f.outside.resolve("victim"), "unix:uid"));
            assertEquals(1234, Files.getAttribute(f.src.resolve("planted"), "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS));
            // a hard link of the symlink node is another symlink, not a link to the victim
            Entry hl = f.fs.link(ROOT, p.ino(), FileSystem.ROOT, n("hl"));
            assertEquals(FileType.S_IFLNK, hl.attr().type());
            assertEquals(1, Files.getAttribute(f.outside.resolve("victim"), "unix:nlink"));
            // access on the node checks the link, whatever the victim's mode
            f.fs.access(ROOT, p.ino(), 0);
            assertEquals(before, f.outsideSnapshot());
            assertFalse(Files.exists(f.outside.resolve("created-by-attack")));
        }
    }

    /** A directory swapped for a symlink to outside after lookup: operations on the old node stay inside. */
    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void swappedDirectoryCannotRedirect(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            Entry d = f.fs.mkdir(ROOT, FileSystem.ROOT, n("d"), 0755, 0);
            var c = f.fs.create(ROOT, d.ino(), n("file"), 0644, Libc.O_RDWR, 0);
            f.fs.write(ROOT, c.entry().ino(), c.opened().fh(), 0,
                    ByteBuffer.wrap("inside".getBytes(StandardCharsets.UTF_8)), 0);
            f.fs.release(c.entry().ino(), c.opened().fh(), 0);
            Files.writeString(f.src.resolve("d/victim"), "inner victim");
            String before = f.outsideSnapshot();

            Files.move(f.src.resolve("d"), f.src.resolve("d.moved"));
            Files.createSymbolicLink(f.src.resolve("d"), f.outside);

            var made = f.fs.create(ROOT, d.ino(), n("new"), 0644, Libc.O_RDWR, 0);
            f.fs.release(made.entry().ino(), made.opened().fh(), 0);
            assertTrue(Files.exists(f.src.resolve("d.moved/new")));
            f.fs.mkdir(ROOT, d.ino(), n("m"), 0755, 0);
            assertTrue(Files.isDirectory(f.src.resolve("d.moved/m")));
            f.fs.unlink(ROOT, d.ino(), n("victim"));
            assertFalse(Files.exists(f.src.resolve("d.moved/victim")));
            assertEquals(Errno.ENOENT, errno(() -> f.fs.unlink(ROOT, d.ino(), n("victim"))));
            assertEquals(Errno.ENOENT, errno(() -> f.fs.lookup(ROOT, d.ino(), n("dir"))));
            Entry file = f.fs.lookup(ROOT, d.ino(), n("file"));
            var o = f.fs.open(ROOT, file.ino(), Libc.O_RDONLY);
            ByteBuffer buf = ByteBuffer.allocateDirect(64);
            int got = f.fs.read(ROOT, file.ino(), o.fh(), 0, buf);
            assertEquals("inside", StandardCharsets.UTF_8.decode(buf.flip().limit(got)).toString());
            f.fs.release(file.ino(), o.fh(), 0);
            // the name now resolves to the symlink, a different node
            Entry now = f.fs.lookup(ROOT, FileSystem.ROOT, n("d"));
            assertNotEquals(d.ino(), now.ino());
            assertEquals(FileType.S_IFLNK, now.attr().type());

            // Variant: the directory is deleted and replaced by the symlink.
            Files.delete(f.src.resolve("d"));
            Entry e = f.fs.mkdir(ROOT, FileSystem.ROOT, n("e"), 0755, 0);
            Files.delete(f.src.resolve("e"));
            Files.createSymbolicLink(f.src.resolve("e"), f.outside);
            assertEquals(Errno.ENOENT, errno(() -> f.fs.create(ROOT, e.ino(), n("x"), 0644, Libc.O_RDWR, 0)));
            assertEquals(Errno.ENOENT, errno(() -> f.fs.mkdir(ROOT, e.ino(), n("x"), 0755, 0)));
            assertEquals(before, f.outsideSnapshot());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void dotDotOfADirectoryMovedOutsideIsRefused(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            Entry s = f.fs.mkdir(ROOT, FileSystem.ROOT, n("s"), 0755, 0);
            Files.move(f.src.resolve("s"), f.outside.resolve("s"));
            assertEquals(Errno.EACCES, errno(() -> f.fs.lookup(ROOT, s.ino(), n(".."))));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void deviceNodesNeedAllowDev(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            int chr = FileType.S_IFCHR | 0666, nullDev = (1 << 8) | 3; // 1:3 = /dev/null
            assertEquals(Errno.EPERM, errno(() -> f.fs.mknod(ROOT, FileSystem.ROOT, n("null"), chr, nullDev, 0)));
            Process p = new ProcessBuilder("mknod", f.src.resolve("null").toString(), "c", "1", "3").start();
            assertEquals(0, p.waitFor());
            Entry e = f.fs.lookup(ROOT, FileSystem.ROOT, n("null"));
            assertEquals(nullDev, e.attr().rdev());
            assertEquals(Errno.EACCES, errno(() -> f.fs.open(ROOT, e.ino(), Libc.O_RDWR)));
            Entry fifo = f.fs.mknod(ROOT, FileSystem.ROOT, n("fifo"), FileType.S_IFIFO | 0644, 0, 0);
            assertEquals(FileType.S_IFIFO, fifo.attr().type());
            assertEquals(Errno.EACCES, errno(() -> f.fs.open(ROOT, fifo.ino(), Libc.O_RDONLY)));
        }
        try (Fixture f = new Fixture(opts(h).withAllowDev(true))) {
            Entry e = f.fs.mknod(ROOT, FileSystem.ROOT, n("null"), FileType.S_IFCHR | 0666, (1 << 8) | 3, 0);
            assertEquals((1 << 8) | 3, e.attr().rdev());
            var o = f.fs.open(ROOT, e.ino(), Libc.O_RDWR);
            assertEquals(3, f.fs.write(ROOT, e.ino(), o.fh(), 0, ByteBuffer.wrap(new byte[3]), 0));
            f.fs.release(e.ino(), o.fh(), 0);
        }
    }
}
