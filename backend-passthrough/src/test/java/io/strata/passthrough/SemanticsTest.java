package io.strata.passthrough;

import static io.strata.passthrough.Fixture.ROOT;
import static io.strata.passthrough.Fixture.n;
import static io.strata.passthrough.Fixture.USER;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Bytes;
import io.strata.core.CacheMode;
import io.strata.core.Caller;
import io.strata.core.Name;
import io.strata.core.XattrName;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.Errno;
import io.strata.sys.Libc;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SemanticsTest {
    static ByteBuffer bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocateDirect(b.length).put(b).flip();
    }

    static String read(Fixture f, long ino, long fh, long off, int len) throws FsException {
        ByteBuffer b = ByteBuffer.allocateDirect(len);
        int n = f.fs.read(ROOT, ino, fh, off, b);
        assertEquals(n, b.position());
        return StandardCharsets.UTF_8.decode(b.flip()).toString();
    }

    @Test
    void createWriteReadTruncate() throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults())) {
            Created c = f.fs.create(USER, FileSystem.ROOT, n("f"), 0640, Libc.O_RDWR, 022);
            long ino = c.entry().ino(), fh = c.opened().fh();
            assertEquals(0640, c.entry().attr().mode() & 07777);
            assertEquals(1000, c.entry().attr().uid());
            assertEquals(1000, c.entry().attr().gid());
            assertEquals(-1, c.opened().backingFd()); // SHARED: no kernel passthrough
            assertFalse(c.opened().has(Opened.KEEP_CACHE));
            assertEquals(11, f.fs.write(USER, ino, fh, 0, bytes("hello world"), 0));
            assertEquals("world", read(f, ino, fh, 6, 100));
            assertEquals("", read(f, ino, fh, 11, 10));
            f.fs.fsync(USER, ino, fh, true);
            f.fs.flush(USER, ino, fh, 0);
            f.fs.release(ino, fh, 0);
            assertEquals("hello world", Files.readString(f.src.resolve("f")));
            Opened o = f.fs.open(USER, ino, Libc.O_WRONLY | Libc.O_TRUNC);
            assertEquals(0, f.fs.getattr(USER, ino, o.fh()).attr().size());
            f.fs.release(ino, o.fh(), 0);
            // mode exactly as asked even though the JVM's umask (022) would have removed bits
            Created w = f.fs.create(USER, FileSystem.ROOT, n("w"), 0666, Libc.O_RDWR, 0);
            assertEquals(0666, Files.getAttribute(f.src.resolve("w"), "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    instanceof Integer m ? m & 07777 : -1);
            f.fs.release(w.entry().ino(), w.opened().fh(), 0);
            // O_EXCL on an existing name
            FsException e = assertThrows(FsException.class,
                    () -> f.fs.create(USER, FileSystem.ROOT, n("f"), 0644, Libc.O_RDWR | Libc.O_EXCL, 0));
            assertEquals(Errno.EEXIST, e.errno());
            // without O_EXCL an existing file is opened, not re-owned
            Files.setAttribute(f.src.resolve("w"), "unix:uid", 7);
            Created again = f.fs.create(USER, FileSystem.ROOT, n("w"), 0600, Libc.O_RDWR, 0);
            assertEquals(w.entry().ino(), again.entry().ino());
            assertEquals(7, again.entry().attr().uid());
            f.fs.release(again.entry().ino(), again.opened().fh(), 0);
        }
    }

    @Test
    void exclusiveModeKeepsCacheAndPassesThroughBackingFd() throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults().withMode(CacheMode.EXCLUSIVE))) {
            Files.writeString(f.src.resolve("f"), "one");
            Entry e = f.fs.lookup(ROOT, FileSystem.ROOT, n("f"));
            assertTrue(e.entryTimeoutNs() > 0);
            Opened o = f.fs.open(ROOT, e.ino(), Libc.O_RDONLY);
            assertTrue(o.has(Opened.KEEP_CACHE));
            assertTrue(o.backingFd() >= 0);
            f.fs.release(e.ino(), o.fh(), 0);
            // changed behind our back: the next open drops the cache and invalidates
            Files.writeString(f.src.resolve("f"), "three");
            Opened o2 = f.fs.open(ROOT, e.ino(), Libc.O_RDONLY);
            assertFalse(o2.has(Opened.KEEP_CACHE));
            assertTrue(f.inval.await("inode " + e.ino() + " 0 0", 100));
            f.fs.release(e.ino(), o2.fh(), 0);
            // our own writes do not count as foreign changes
            Opened w = f.fs.open(ROOT, e.ino(), Libc.O_WRONLY);
            f.fs.write(ROOT, e.ino(), w.fh(), 0, bytes("x"), 0);
            f.fs.release(e.ino(), w.fh(), 0);
            Opened o3 = f.fs.open(ROOT, e.ino(), Libc.O_RDONLY);
            assertTrue(o3.has(Opened.KEEP_CACHE));
            f.fs.release(e.ino(), o3.fh(), 0);
            assertTrue(f.fs.options().passthroughIo());
        }
    }

    @Test
    void mkdirSymlinkRenameUnlinkRmdir() throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults())) {
            Entry d = f.fs.mkdir(USER, FileSystem.ROOT, n("d"), 0750, 0);
            assertTrue(d.attr().isDirectory());
            assertEquals(0750, d.attr().mode() & 07777);
            assertEquals(1000, d.attr().uid());
            Entry s = f.fs.symlink(USER, d.ino(), n("s"), Bytes.utf8("../whatever"));
            assertEquals(1000, s.attr().uid());
            assertEquals("../whatever", Files.readSymbolicLink(f.src.resolve("d/s")).toString());
            assertArrayEquals(Bytes.utf8("../whatever"), f.fs.readlink(USER, s.ino()));
            Files.writeString(f.src.resolve("a"), "A");
            Files.writeString(f.src.resolve("b"), "B");
            FsException e = assertThrows(FsException.class, () -> f.fs.rename(ROOT, FileSystem.ROOT, n("a"),
                    FileSystem.ROOT, n("b"), FileSystem.RENAME_NOREPLACE));
            assertEquals(Errno.EEXIST, e.errno());
            f.fs.rename(ROOT, FileSystem.ROOT, n("a"), FileSystem.ROOT, n("b"), FileSystem.RENAME_EXCHANGE);
            assertEquals("B", Files.readString(f.src.resolve("a")));
            f.fs.rename(ROOT, FileSystem.ROOT, n("a"), d.ino(), n("moved"), 0);
            assertEquals("B", Files.readString(f.src.resolve("d/moved")));
            e = assertThrows(FsException.class, () -> f.fs.rmdir(ROOT, FileSystem.ROOT, n("d")));
            assertEquals(Errno.ENOTEMPTY, e.errno());
            f.fs.unlink(ROOT, d.ino(), n("moved"));
            f.fs.unlink(ROOT, d.ino(), n("s"));
            f.fs.rmdir(ROOT, FileSystem.ROOT, n("d"));
            assertFalse(Files.exists(f.src.resolve("d")));
            // setgid directory: children keep its group, subdirectories inherit the bit (the user
            // may write it through its supplementary group 4242)
            Entry g = f.fs.mkdir(ROOT, FileSystem.ROOT, n("g"), 0775, 0);
            f.fs.setattr(ROOT, g.ino(), new SetAttr(SetAttr.MODE | SetAttr.GID, 02775, 0, 4242, 0, 0, 0, 0, -1));
            Entry gsub = f.fs.mkdir(Caller.of(1000, 1000, 4242), g.ino(), n("sub"), 0755, 0);
            assertEquals(4242, gsub.attr().gid());
            assertEquals(1000, gsub.attr().uid());
            assertEquals(02755, gsub.attr().mode() & 07777);
        }
    }

    @Test
    void setattrReaddirXattrStatfsAccess() throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults())) {
            Created c = f.fs.create(ROOT, FileSystem.ROOT, n("f"), 0644, Libc.O_RDWR, 0);
            long ino = c.entry().ino();
            f.fs.release(ino, c.opened().fh(), 0);
            var a = f.fs.setattr(ROOT, ino, new SetAttr(SetAttr.SIZE | SetAttr.MODE | SetAttr.UID | SetAttr.MTIME
                    | SetAttr.ATIME, 0600, 1000, 0, 5000, 1_234_000_000_005L, 2_000_000_000_000L, 0, -1)).attr();
            assertEquals(5000, a.size());
            assertEquals(0600, a.mode() & 07777);
            assertEquals(1000, a.uid());
            assertEquals(1_234_000_000_005L, a.atimeNs());
            assertEquals(2_000_000_000_000L, a.mtimeNs());
            // suid is killed on request
            f.fs.setattr(ROOT, ino, SetAttr.mode(04755));
            Opened o = f.fs.open(ROOT, ino, Libc.O_RDWR);
            f.fs.write(ROOT, ino, o.fh(), 0, bytes("z"), FileSystem.WRITE_KILL_SUIDGID);
            assertEquals(0755, f.fs.getattr(ROOT, ino, o.fh()).attr().mode() & 07777);
            // fallocate / SEEK_DATA / SEEK_HOLE / copy_file_range
            f.fs.write(ROOT, ino, o.fh(), 8192, bytes("d"), 0);
            f.fs.fallocate(ROOT, ino, o.fh(), FileSystem.FALLOC_PUNCH_HOLE | FileSystem.FALLOC_KEEP_SIZE, 0, 4096);
            assertEquals(8192, f.fs.lseek(ROOT, ino, o.fh(), 0, FileSystem.SEEK_DATA));
            assertEquals(0, f.fs.lseek(ROOT, ino, o.fh(), 0, FileSystem.SEEK_HOLE));
            f.fs.write(ROOT, ino, o.fh(), 0, bytes("0123456789"), 0);
            Created c2 = f.fs.create(ROOT, FileSystem.ROOT, n("g"), 0644, Libc.O_RDWR, 0);
            assertEquals(4, f.fs.copyFileRange(ROOT, ino, o.fh(), 3, c2.entry().ino(), c2.opened().fh(), 1, 4, 0));
            assertEquals("\0" + "3456", Files.readString(f.src.resolve("g")));
            f.fs.release(ino, o.fh(), 0);
            f.fs.release(c2.entry().ino(), c2.opened().fh(), 0);

            f.fs.setxattr(ROOT, ino, XattrName.of("user.k"), "v".getBytes(), 0);
            f.fs.setxattr(ROOT, ino, XattrName.of("trusted.t"), "tv".getBytes(), FileSystem.XATTR_CREATE);
            assertArrayEquals("v".getBytes(), f.fs.getxattr(ROOT, ino, XattrName.of("user.k")));
            assertTrue(f.fs.listxattr(ROOT, ino).containsAll(List.of(XattrName.of("user.k"), XattrName.of("trusted.t"))));
            FsException e = assertThrows(FsException.class,
                    () -> f.fs.setxattr(ROOT, ino, XattrName.of("user.k"), new byte[0], FileSystem.XATTR_CREATE));
            assertEquals(Errno.EEXIST, e.errno());
            f.fs.removexattr(ROOT, ino, XattrName.of("user.k"));
            e = assertThrows(FsException.class, () -> f.fs.getxattr(ROOT, ino, XattrName.of("user.k")));
            assertEquals(Errno.ENODATA, e.errno());

            for (int i = 0; i < 50; i++) Files.writeString(f.src.resolve("n" + i), "");
            Opened d = f.fs.opendir(ROOT, FileSystem.ROOT, 0);
            Set<Name> seen = new HashSet<>();
            List<Name> order = new ArrayList<>();
            long[] cookie = {0};
            int calls = 0;
            for (boolean more = true; more; calls++) {
                int[] taken = {0};
                long start = cookie[0];
                f.fs.readdir(ROOT, FileSystem.ROOT, d.fh(), start, (name, dino, type, next) -> {
                    if (taken[0] == 7) return false; // a small reply buffer
                    taken[0]++;
                    assertTrue(seen.add(name), "twice: " + name);
                    order.add(name);
                    cookie[0] = next;
                    return true;
                });
                more = taken[0] > 0;
            }
            f.fs.releasedir(FileSystem.ROOT, d.fh());
            assertEquals(54, seen.size()); // . .. f g n0..n49
            assertTrue(seen.containsAll(List.of(Name.DOT, Name.DOTDOT, n("f"), n("g"), n("n49"))));
            assertTrue(calls > 7);

            var st = f.fs.statfs(ROOT, FileSystem.ROOT);
            assertTrue(st.blocks() > 0 && st.namelen() == 255);

            f.fs.setattr(ROOT, ino, new SetAttr(SetAttr.MODE | SetAttr.UID | SetAttr.GID, 0640, 1000, 2000, 0, 0, 0,
                    0, -1));
            f.fs.access(USER, ino, 6);
            e = assertThrows(FsException.class, () -> f.fs.access(USER, ino, 1));
            assertEquals(Errno.EACCES, e.errno());
            f.fs.access(new io.strata.core.Caller(5, 2000, 1), ino, 4);
            e = assertThrows(FsException.class, () -> f.fs.access(new io.strata.core.Caller(5, 2000, 1), ino, 2));
            assertEquals(Errno.EACCES, e.errno());
            e = assertThrows(FsException.class, () -> f.fs.access(new io.strata.core.Caller(5, 5, 1), ino, 4));
            assertEquals(Errno.EACCES, e.errno());
        }
    }

    @Test
    void tmpfileAndReadOnly() throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults())) {
            Created t = f.fs.tmpfile(USER, FileSystem.ROOT, 0600, Libc.O_RDWR, 0);
            assertEquals(0, t.entry().attr().nlink());
            assertEquals(1000, t.entry().attr().uid());
            f.fs.write(USER, t.entry().ino(), t.opened().fh(), 0, bytes("tmp"), 0);
            f.fs.link(ROOT, t.entry().ino(), FileSystem.ROOT, n("linked"));
            assertEquals("tmp", Files.readString(f.src.resolve("linked")));
            f.fs.release(t.entry().ino(), t.opened().fh(), 0);
        }
        try (Fixture f = new Fixture(PassthroughOptions.defaults().withReadOnly(true))) {
            Files.writeString(f.src.resolve("f"), "ro");
            Entry e = f.fs.lookup(ROOT, FileSystem.ROOT, n("f"));
            assertTrue(f.fs.readOnly());
            for (FsCall call : List.<FsCall>of(
                    () -> f.fs.open(ROOT, e.ino(), Libc.O_RDWR),
                    () -> f.fs.create(ROOT, FileSystem.ROOT, n("x"), 0644, Libc.O_RDWR, 0),
                    () -> f.fs.mkdir(ROOT, FileSystem.ROOT, n("x"), 0755, 0),
                    () -> f.fs.unlink(ROOT, FileSystem.ROOT, n("f")),
                    () -> f.fs.setattr(ROOT, e.ino(), SetAttr.size(0)),
                    () -> f.fs.setxattr(ROOT, e.ino(), XattrName.of("user.a"), new byte[0], 0))) {
                FsException x = assertThrows(FsException.class, call::run);
                assertEquals(Errno.EROFS, x.errno());
            }
            Opened o = f.fs.open(ROOT, e.ino(), Libc.O_RDONLY);
            assertEquals("ro", read(f, e.ino(), o.fh(), 0, 10));
            f.fs.release(e.ino(), o.fh(), 0);
            assertEquals("ro", Files.readString(f.src.resolve("f")));
            assertEquals(FileType.S_IFREG, e.attr().type());
        }
    }

    interface FsCall {
        void run() throws Exception;
    }
}
