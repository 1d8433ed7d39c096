package io.strata.passthrough;

import static io.strata.passthrough.Fixture.ROOT;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.CacheMode;
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
            assertEquals(FileSystem.ROOT, f.fs.lookup(ROOT, FileSystem.ROOT, "..").ino());
            assertEquals(FileSystem.ROOT, f.fs.lookup(ROOT, FileSystem.ROOT, ".").ino());
            Entry sub = f.fs.mkdir(ROOT, FileSystem.ROOT, "sub", 0755, 0);
            assertEquals(FileSystem.ROOT, f.fs.lookup(ROOT, sub.ino(), "..").ino());
            assertEquals(sub.ino(), f.fs.lookup(ROOT, sub.ino(), ".").ino());
            assertEquals(Errno.EINVAL, errno(() -> f.fs.lookup(ROOT, FileSystem.ROOT, "../outside")));
            assertEquals(Errno.EINVAL, errno(() -> f.fs.lookup(ROOT, sub.ino(), "../../outside/victim")));
            assertEquals(Errno.EINVAL, errno(() -> f.fs.mkdir(ROOT, FileSystem.ROOT, "../outside/x", 0755, 0)));
            assertEquals(Errno.EINVAL, errno(() -> f.fs.create(ROOT, FileSystem.ROOT, "../evil", 0644,
                    Libc.O_RDWR, 0)));
            assertEquals(Errno.EINVAL, errno(() -> f.fs.unlink(ROOT, FileSystem.ROOT, "../outside/victim")));
            assertEquals(Errno.EINVAL, errno(() -> f.fs.rename(ROOT, FileSystem.ROOT, "sub", FileSystem.ROOT,
                    "../outside/sub", 0)));
            assertEquals(Errno.EINVAL, errno(() -> f.fs.symlink(ROOT, FileSystem.ROOT, "a/b", "x")));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> f.fs.lookup(ROOT, FileSystem.ROOT, "x".repeat(256))));
            assertEquals(before, f.outsideSnapshot());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void symlinksAreNeverFollowed(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            String before = f.outsideSnapshot();
            String target = f.outside.toString();
            Entry ln = f.fs.symlink(ROOT, FileSystem.ROOT, "ln", target);
            assertEquals(FileType.S_IFLNK, ln.attr().type());
            assertEquals(target, f.fs.readlink(ROOT, ln.ino()));
            assertEquals(Errno.ENOTDIR, errno(() -> f.fs.lookup(ROOT, ln.ino(), "victim")));
            assertEquals(Errno.ELOOP, errno(() -> f.fs.open(ROOT, ln.ino(), Libc.O_RDONLY)));
            assertEquals(Errno.ENOTDIR, errno(() -> f.fs.create(ROOT, ln.ino(), "x", 0644, Libc.O_RDWR, 0)));
            assertEquals(Errno.ENOTDIR, errno(() -> f.fs.opendir(ROOT, ln.ino(), 0)));
            // a symlink planted by the host to a file outside, and a dangling one where we create
            Files.createSymbolicLink(f.src.resolve("planted"), f.outside.resolve("victim"));
            Files.createSymbolicLink(f.src.resolve("dangle"), f.outside.resolve("created-by-attack"));
            Entry p = f.fs.lookup(ROOT, FileSystem.ROOT, "planted");
            assertEquals(FileType.S_IFLNK, p.attr().type());
            assertEquals(Errno.ELOOP, errno(() -> f.fs.open(ROOT, p.ino(), Libc.O_RDWR | Libc.O_TRUNC)));
            assertEquals(Errno.ELOOP, errno(() -> f.fs.create(ROOT, FileSystem.ROOT, "dangle", 0644,
                    Libc.O_RDWR | Libc.O_CREAT, 0)));
            // setattr / xattr on the symlink node act on the link itself, never on its target
            f.fs.setattr(ROOT, p.ino(), new io.strata.core.SetAttr(io.strata.core.SetAttr.MTIME, 0, 0, 0, 0, 0,
                    1_000_000_000L, 0, -1));
            assertEquals(Errno.EPERM, errno(() -> f.fs.setxattr(ROOT, p.ino(), "user.x", new byte[1], 0)));
            assertEquals(before, f.outsideSnapshot());
            assertFalse(Files.exists(f.outside.resolve("created-by-attack")));
        }
    }

    /** A directory swapped for a symlink to outside after lookup: operations on the old node stay inside. */
    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void swappedDirectoryCannotRedirect(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            Entry d = f.fs.mkdir(ROOT, FileSystem.ROOT, "d", 0755, 0);
            var c = f.fs.create(ROOT, d.ino(), "file", 0644, Libc.O_RDWR, 0);
            f.fs.write(ROOT, c.entry().ino(), c.opened().fh(), 0,
                    ByteBuffer.wrap("inside".getBytes(StandardCharsets.UTF_8)), 0);
            f.fs.release(c.entry().ino(), c.opened().fh(), 0);
            Files.writeString(f.src.resolve("d/victim"), "inner victim");
            String before = f.outsideSnapshot();

            Files.move(f.src.resolve("d"), f.src.resolve("d.moved"));
            Files.createSymbolicLink(f.src.resolve("d"), f.outside);

            var n = f.fs.create(ROOT, d.ino(), "new", 0644, Libc.O_RDWR, 0);
            f.fs.release(n.entry().ino(), n.opened().fh(), 0);
            assertTrue(Files.exists(f.src.resolve("d.moved/new")));
            f.fs.mkdir(ROOT, d.ino(), "m", 0755, 0);
            assertTrue(Files.isDirectory(f.src.resolve("d.moved/m")));
            f.fs.unlink(ROOT, d.ino(), "victim");
            assertFalse(Files.exists(f.src.resolve("d.moved/victim")));
            assertEquals(Errno.ENOENT, errno(() -> f.fs.unlink(ROOT, d.ino(), "victim")));
            assertEquals(Errno.ENOENT, errno(() -> f.fs.lookup(ROOT, d.ino(), "dir")));
            Entry file = f.fs.lookup(ROOT, d.ino(), "file");
            var o = f.fs.open(ROOT, file.ino(), Libc.O_RDONLY);
            ByteBuffer buf = ByteBuffer.allocateDirect(64);
            int got = f.fs.read(ROOT, file.ino(), o.fh(), 0, buf);
            assertEquals("inside", StandardCharsets.UTF_8.decode(buf.flip().limit(got)).toString());
            f.fs.release(file.ino(), o.fh(), 0);
            // the name now resolves to the symlink, a different node
            Entry now = f.fs.lookup(ROOT, FileSystem.ROOT, "d");
            assertNotEquals(d.ino(), now.ino());
            assertEquals(FileType.S_IFLNK, now.attr().type());

            // Variant: the directory is deleted and replaced by the symlink.
            Files.delete(f.src.resolve("d"));
            Entry e = f.fs.mkdir(ROOT, FileSystem.ROOT, "e", 0755, 0);
            Files.delete(f.src.resolve("e"));
            Files.createSymbolicLink(f.src.resolve("e"), f.outside);
            assertEquals(Errno.ENOENT, errno(() -> f.fs.create(ROOT, e.ino(), "x", 0644, Libc.O_RDWR, 0)));
            assertEquals(Errno.ENOENT, errno(() -> f.fs.mkdir(ROOT, e.ino(), "x", 0755, 0)));
            assertEquals(before, f.outsideSnapshot());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void dotDotOfADirectoryMovedOutsideIsRefused(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            Entry s = f.fs.mkdir(ROOT, FileSystem.ROOT, "s", 0755, 0);
            Files.move(f.src.resolve("s"), f.outside.resolve("s"));
            assertEquals(Errno.EACCES, errno(() -> f.fs.lookup(ROOT, s.ino(), "..")));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void deviceNodesNeedAllowDev(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            int chr = FileType.S_IFCHR | 0666, nullDev = (1 << 8) | 3; // 1:3 = /dev/null
            assertEquals(Errno.EPERM, errno(() -> f.fs.mknod(ROOT, FileSystem.ROOT, "null", chr, nullDev, 0)));
            Process p = new ProcessBuilder("mknod", f.src.resolve("null").toString(), "c", "1", "3").start();
            assertEquals(0, p.waitFor());
            Entry e = f.fs.lookup(ROOT, FileSystem.ROOT, "null");
            assertEquals(nullDev, e.attr().rdev());
            assertEquals(Errno.EACCES, errno(() -> f.fs.open(ROOT, e.ino(), Libc.O_RDWR)));
            Entry fifo = f.fs.mknod(ROOT, FileSystem.ROOT, "fifo", FileType.S_IFIFO | 0644, 0, 0);
            assertEquals(FileType.S_IFIFO, fifo.attr().type());
            assertEquals(Errno.EACCES, errno(() -> f.fs.open(ROOT, fifo.ino(), Libc.O_RDONLY)));
        }
        try (Fixture f = new Fixture(opts(h).withAllowDev(true))) {
            Entry e = f.fs.mknod(ROOT, FileSystem.ROOT, "null", FileType.S_IFCHR | 0666, (1 << 8) | 3, 0);
            assertEquals((1 << 8) | 3, e.attr().rdev());
            var o = f.fs.open(ROOT, e.ino(), Libc.O_RDWR);
            assertEquals(3, f.fs.write(ROOT, e.ino(), o.fh(), 0, ByteBuffer.wrap(new byte[3]), 0));
            f.fs.release(e.ino(), o.fh(), 0);
        }
    }
}
