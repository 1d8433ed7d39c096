package io.strata.sys;

import static io.strata.sys.PosixFiles.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PosixFilesTest {
    Path dir;
    int dfd = -1;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "strata-posix");
        dfd = Libc.open(dir.toString(), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
    }

    @AfterEach
    void tearDown() throws Exception {
        Libc.closeQuietly(dfd);
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void createWriteReadStat() throws Exception {
        int fd = openat(dfd, "f", Libc.O_CREAT | Libc.O_RDWR | Libc.O_EXCL | Libc.O_CLOEXEC, 0640);
        try {
            ByteBuffer src = ByteBuffer.allocateDirect(5).put("hello".getBytes()).flip();
            assertEquals(5, pwrite(fd, src, 10));
            assertEquals(5, src.position());
            ByteBuffer heap = ByteBuffer.allocate(3);
            assertEquals(3, pread(fd, heap, 11));
            assertEquals("ell", new String(heap.array()));
            Stat st = fstat(fd);
            assertEquals(15, st.size());
            assertTrue(st.isRegular());
            assertEquals(0640, st.mode() & 07777);
            assertTrue(st.mntId() != 0);
            Stat st2 = statx(dfd, "f", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID);
            assertEquals(st.ino(), st2.ino());
            assertEquals(st.dev(), st2.dev());
            assertEquals(Files.getAttribute(dir.resolve("f"), "unix:ino"), st.ino());
            ftruncate(fd, 3);
            assertEquals(3, fstat(fd).size());
            fallocate(fd, 0, 0, 8192);
            assertEquals(8192, fstat(fd).size());
            assertEquals(0, lseek(fd, 0, SEEK_DATA));
            fsync(fd, true);
            fsync(fd, false);
            fchmod(fd, 0600);
            assertEquals(0600, fstat(fd).mode() & 07777);
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void namesAndLinks() throws Exception {
        mkdirat(dfd, "d", 0755);
        symlinkat("/etc/passwd", dfd, "s");
        assertEquals("/etc/passwd", readlinkat(dfd, "s"));
        int sfd = openat(dfd, "s", Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        assertEquals("/etc/passwd", readlinkat(sfd, ""));
        assertTrue(fstat(sfd).isSymlink());
        Libc.close(sfd);
        Libc.close(openat(dfd, "a", Libc.O_CREAT | Libc.O_WRONLY | Libc.O_CLOEXEC, 0644));
        int afd = openat(dfd, "a", Libc.O_PATH | Libc.O_CLOEXEC, 0);
        linkat(afd, "", dfd, "b", AT_EMPTY_PATH);
        assertEquals(2, fstat(afd).nlink());
        renameat2(dfd, "b", dfd, "c", 0);
        SysException e = assertThrows(SysException.class, () -> renameat2(dfd, "a", dfd, "c", RENAME_NOREPLACE));
        assertEquals(Errno.EEXIST, e.errno());
        renameat2(dfd, "a", dfd, "d", RENAME_EXCHANGE);
        assertTrue(Files.isDirectory(dir.resolve("a")));
        unlinkat(dfd, "c", 0);
        unlinkat(dfd, "a", AT_REMOVEDIR);
        fchownat(afd, "", 1234, 5678, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        Stat st = fstat(afd);
        assertEquals(1234, st.uid());
        assertEquals(5678, st.gid());
        utimensat(afd, "", 1_500_000_000_123_456_789L, UTIME_OMIT, AT_EMPTY_PATH);
        assertEquals(1_500_000_000_123_456_789L, fstat(afd).atimeNs());
        mknodat(dfd, "fifo", 0010644, 0);
        assertEquals(0010000, statx(dfd, "fifo", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS).type());
        Libc.close(afd);
    }

    @Test
    void openat2Resolve() throws Exception {
        symlinkat("/etc", dfd, "out");
        mkdirat(dfd, "sub", 0755);
        SysException e = assertThrows(SysException.class,
                () -> openat2(dfd, "../x", Libc.O_PATH, 0, RESOLVE_BENEATH));
        assertEquals(Errno.EXDEV, e.errno());
        e = assertThrows(SysException.class, () -> openat2(dfd, "out/passwd", Libc.O_PATH, 0, RESOLVE_BENEATH));
        assertEquals(Errno.EXDEV, e.errno());
        int fd = openat2(dfd, "sub", Libc.O_PATH | Libc.O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        assertTrue(fstat(fd).isDir());
        Libc.close(fd);
    }

    @Test
    void getdentsListsEverythingAndResumes() throws Exception {
        for (int i = 0; i < 300; i++) Libc.close(openat(dfd, "file-" + i, Libc.O_CREAT | Libc.O_WRONLY, 0644));
        int fd = openat(dfd, ".", Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        try (DirBuffer buf = new DirBuffer(1024)) {
            java.util.Set<String> names = new java.util.HashSet<>();
            long resume = -1;
            for (List<Dirent> l; !(l = getdents64(fd, buf)).isEmpty(); ) {
                for (Dirent d : l) names.add(d.name());
                if (resume < 0) resume = l.get(0).off();
            }
            assertEquals(302, names.size());
            assertTrue(names.contains(".") && names.contains("..") && names.contains("file-299"));
            lseek(fd, resume, SEEK_SET);
            assertFalse(getdents64(fd, buf).isEmpty());
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void fileHandlesRoundTrip() throws Exception {
        Libc.close(openat(dfd, "h", Libc.O_CREAT | Libc.O_WRONLY, 0644));
        FileHandle h;
        try {
            h = nameToHandleAt(dfd, "h", 0);
        } catch (SysException e) {
            assertEquals(Errno.EOPNOTSUPP, e.errno());
            return; // file system without export support
        }
        int pfd = openat(dfd, "h", Libc.O_PATH, 0);
        assertEquals(h, nameToHandleAt(pfd, "", AT_EMPTY_PATH));
        assertEquals(fstat(pfd).mntId(), h.mountId());
        int mfd = openat(dfd, ".", Libc.O_RDONLY | Libc.O_DIRECTORY, 0);
        int fd = openByHandleAt(mfd, h, Libc.O_PATH);
        assertEquals(fstat(pfd).ino(), fstat(fd).ino());
        Libc.close(fd);
        Libc.close(pfd);
        unlinkat(dfd, "h", 0);
        SysException e = assertThrows(SysException.class, () -> openByHandleAt(mfd, h, Libc.O_PATH));
        assertEquals(Errno.ESTALE, e.errno());
        Libc.close(mfd);
    }

    @Test
    void xattrsAndStatfsAndCopy() throws Exception {
        int fd = openat(dfd, "x", Libc.O_CREAT | Libc.O_RDWR, 0644);
        try {
            String proc = "/proc/self/fd/" + fd;
            setxattr(proc, "user.k", "v1".getBytes(), 0, true);
            fsetxattr(fd, "user.e", new byte[0], XATTR_CREATE);
            assertArrayEquals("v1".getBytes(), getxattr(proc, "user.k", true));
            assertArrayEquals("v1".getBytes(), fgetxattr(fd, "user.k"));
            assertEquals(0, fgetxattr(fd, "user.e").length);
            assertTrue(listxattr(proc, true).containsAll(List.of("user.k", "user.e")));
            assertTrue(flistxattr(fd).contains("user.k"));
            removexattr(proc, "user.k", true);
            fremovexattr(fd, "user.e");
            SysException e = assertThrows(SysException.class, () -> fgetxattr(fd, "user.k"));
            assertEquals(Errno.ENODATA, e.errno());
            FsStat fs = fstatfs(dfd);
            assertTrue(fs.blocks() > 0 && fs.namelen() >= 255 && fs.bsize() > 0);

            pwrite(fd, ByteBuffer.wrap("copy me".getBytes(StandardCharsets.UTF_8)), 0);
            int out = openat(dfd, "y", Libc.O_CREAT | Libc.O_RDWR, 0644);
            assertEquals(7, copyFileRange(fd, 0, out, 3, 7, 0));
            ByteBuffer b = ByteBuffer.allocate(10);
            pread(out, b, 0);
            assertEquals("copy me", new String(b.array(), 3, 7));
            Libc.close(out);
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void devHelpers() {
        long d = makedev(259, 70000);
        assertEquals(259, major(d));
        assertEquals(70000, minor(d));
        assertEquals((8L << 8) | 1, makedev(8, 1));
    }
}
