package io.strata.sys;

import static io.strata.sys.PosixFiles.*;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Errno;
import io.strata.core.Name;
import io.strata.core.XattrName;
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

    /** A path or name typed in a test, as bytes. */
    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
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
        int fd = openat(dfd, b("f"), Libc.O_CREAT | Libc.O_RDWR | Libc.O_EXCL | Libc.O_CLOEXEC, 0640);
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
            Stat st2 = statx(dfd, b("f"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID);
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
        mkdirat(dfd, b("d"), 0755);
        symlinkat(b("/etc/passwd"), dfd, b("s"));
        assertArrayEquals(b("/etc/passwd"), readlinkat(dfd, b("s")));
        int sfd = openat(dfd, b("s"), Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        assertArrayEquals(b("/etc/passwd"), readlinkat(sfd, EMPTY_PATH));
        assertTrue(fstat(sfd).isSymlink());
        Libc.close(sfd);
        Libc.close(openat(dfd, b("a"), Libc.O_CREAT | Libc.O_WRONLY | Libc.O_CLOEXEC, 0644));
        int afd = openat(dfd, b("a"), Libc.O_PATH | Libc.O_CLOEXEC, 0);
        linkat(afd, EMPTY_PATH, dfd, b("b"), AT_EMPTY_PATH);
        assertEquals(2, fstat(afd).nlink());
        renameat2(dfd, b("b"), dfd, b("c"), 0);
        SysException e = assertThrows(SysException.class, () -> renameat2(dfd, b("a"), dfd, b("c"), RENAME_NOREPLACE));
        assertEquals(Errno.EEXIST, e.errno());
        renameat2(dfd, Name.of("a"), dfd, Name.of("d"), RENAME_EXCHANGE);
        assertTrue(Files.isDirectory(dir.resolve("a")));
        unlinkat(dfd, b("c"), 0);
        unlinkat(dfd, Name.of("a"), AT_REMOVEDIR);
        fchownat(afd, EMPTY_PATH, 1234, 5678, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        Stat st = fstat(afd);
        assertEquals(1234, st.uid());
        assertEquals(5678, st.gid());
        utimensat(afd, EMPTY_PATH, 1_500_000_000_123_456_789L, UTIME_OMIT, AT_EMPTY_PATH);
        assertEquals(1_500_000_000_123_456_789L, fstat(afd).atimeNs());
        mknodat(dfd, b("fifo"), 0010644, 0);
        assertEquals(0010000, statx(dfd, b("fifo"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS).type());
        Libc.close(afd);
    }

    @Test
    void openat2Resolve() throws Exception {
        symlinkat(b("/etc"), dfd, b("out"));
        mkdirat(dfd, b("sub"), 0755);
        SysException e = assertThrows(SysException.class,
                () -> openat2(dfd, b("../x"), Libc.O_PATH, 0, RESOLVE_BENEATH));
        assertEquals(Errno.EXDEV, e.errno());
        e = assertThrows(SysException.class, () -> openat2(dfd, b("out/passwd"), Libc.O_PATH, 0, RESOLVE_BENEATH));
        assertEquals(Errno.EXDEV, e.errno());
        int fd = openat2(dfd, Name.of("sub"), Libc.O_PATH | Libc.O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        assertTrue(fstat(fd).isDir());
        Libc.close(fd);
    }

    @Test
    void getdentsListsEverythingAndResumes() throws Exception {
        for (int i = 0; i < 300; i++) Libc.close(openat(dfd, Name.of("file-" + i), Libc.O_CREAT | Libc.O_WRONLY, 0644));
        int fd = openat(dfd, b("."), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        try (DirBuffer buf = new DirBuffer(1024)) {
            java.util.Set<Name> names = new java.util.HashSet<>();
            long resume = -1;
            for (List<Dirent> l; !(l = getdents64(fd, buf)).isEmpty(); ) {
                for (Dirent d : l) names.add(d.name());
                if (resume < 0) resume = l.get(0).off();
            }
            assertEquals(302, names.size());
            assertTrue(names.contains(Name.DOT) && names.contains(Name.DOTDOT) && names.contains(Name.of("file-299")));
            lseek(fd, resume, SEEK_SET);
            assertFalse(getdents64(fd, buf).isEmpty());
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void fileHandlesRoundTrip() throws Exception {
        Libc.close(openat(dfd, b("h"), Libc.O_CREAT | Libc.O_WRONLY, 0644));
        FileHandle h;
        try {
            h = nameToHandleAt(dfd, b("h"), 0);
        } catch (SysException e) {
            assertEquals(Errno.EOPNOTSUPP, e.errno());
            return; // file system without export support
        }
        int pfd = openat(dfd, b("h"), Libc.O_PATH, 0);
        assertEquals(h, nameToHandleAt(pfd, EMPTY_PATH, AT_EMPTY_PATH));
        assertEquals(fstat(pfd).mntId(), h.mountId());
        int mfd = openat(dfd, b("."), Libc.O_RDONLY | Libc.O_DIRECTORY, 0);
        int fd = openByHandleAt(mfd, h, Libc.O_PATH);
        assertEquals(fstat(pfd).ino(), fstat(fd).ino());
        Libc.close(fd);
        Libc.close(pfd);
        unlinkat(dfd, b("h"), 0);
        SysException e = assertThrows(SysException.class, () -> openByHandleAt(mfd, h, Libc.O_PATH));
        assertEquals(Errno.ESTALE, e.errno());
        Libc.close(mfd);
    }

    @Test
    void xattrsAndStatfsAndCopy() throws Exception {
        int fd = openat(dfd, b("x"), Libc.O_CREAT | Libc.O_RDWR, 0644);
        int opath = openat(dfd, b("x"), Libc.O_PATH | Libc.O_CLOEXEC, 0);
        try {
            setxattrOf(opath, b("user.k"), b("v1"), 0);
            fsetxattr(fd, b("user.e"), new byte[0], XATTR_CREATE);
            byte[] big = new byte[3000]; // ext4 keeps all of a file's xattrs in one block
            for (int i = 0; i < big.length; i++) big[i] = (byte) i;
            setxattrOf(opath, XattrName.of("user.big"), big, 0);
            assertArrayEquals(b("v1"), getxattrOf(opath, b("user.k")));
            assertArrayEquals(b("v1"), fgetxattr(fd, b("user.k")));
            assertArrayEquals(big, getxattrOf(fd, XattrName.of("user.big")));
            assertEquals(0, fgetxattr(fd, b("user.e")).length);
            List<String> names = listxattrOf(opath).stream().map(n -> new String(n, StandardCharsets.UTF_8)).toList();
            assertTrue(names.containsAll(List.of("user.k", "user.e", "user.big")), names.toString());
            assertEquals(names, flistxattr(fd).stream().map(n -> new String(n, StandardCharsets.UTF_8)).toList());
            removexattrOf(opath, b("user.k"));
            fremovexattr(fd, b("user.e"));
            removexattrOf(opath, XattrName.of("user.big"));
            SysException e = assertThrows(SysException.class, () -> fgetxattr(fd, b("user.k")));
            assertEquals(Errno.ENODATA, e.errno());
            assertEquals(0, e.getStackTrace().length);
            FsStat fs = fstatfs(dfd);
            assertTrue(fs.blocks() > 0 && fs.namelen() >= 255 && fs.bsize() > 0);

            pwrite(fd, ByteBuffer.wrap("copy me".getBytes(StandardCharsets.UTF_8)), 0);
            int out = openat(dfd, b("y"), Libc.O_CREAT | Libc.O_RDWR, 0644);
            assertEquals(7, copyFileRange(fd, 0, out, 3, 7, 0));
            ByteBuffer bb = ByteBuffer.allocate(10);
            pread(out, bb, 0);
            assertEquals("copy me", new String(bb.array(), 3, 7));
            Libc.close(out);
        } finally {
            Libc.close(fd);
            Libc.close(opath);
        }
    }

    /** Values beyond the per-thread 4 KiB buffer take the probing path (tmpfs holds them; ext4 does not). */
    @Test
    void largeXattrValues() throws Exception {
        Path shm = Path.of("/dev/shm");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(shm), "no /dev/shm");
        Path f = Files.createTempFile(shm, "strata-xattr", ".bin");
        int fd = Libc.open(f.toString(), Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        try {
            byte[] big = new byte[20_000];
            for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 7);
            try {
                fsetxattr(fd, b("user.big"), big, 0);
            } catch (SysException e) {
                org.junit.jupiter.api.Assumptions.assumeTrue(false, "no large user xattrs on /dev/shm: " + e.getMessage());
            }
            assertArrayEquals(big, fgetxattr(fd, b("user.big")));
            assertArrayEquals(big, getxattrOf(fd, XattrName.of("user.big")));
            List<byte[]> names = new java.util.ArrayList<>();
            for (int i = 0; i < 300; i++) {
                byte[] name = b("user.long-name-to-fill-the-list-beyond-4k-" + i);
                fsetxattr(fd, name, new byte[0], 0);
                names.add(name);
            }
            List<String> listed = flistxattr(fd).stream().map(n -> new String(n, StandardCharsets.UTF_8)).toList();
            assertEquals(301, listed.size());
            assertTrue(listed.contains("user.long-name-to-fill-the-list-beyond-4k-299"));
        } finally {
            Libc.close(fd);
            Files.delete(f);
        }
    }

    /** The bytes 0xE9 and 0xFF are two different names on the host, and every call keeps them apart. */
    @Test
    void namesThatAreNotUtf8StayDistinctEverywhere() throws Exception {
        byte[] e9 = {(byte) 0xE9}, ff = {(byte) 0xFF};
        Libc.close(openat(dfd, e9, Libc.O_CREAT | Libc.O_EXCL | Libc.O_WRONLY, 0644));
        Libc.close(openat(dfd, Name.of(ff), Libc.O_CREAT | Libc.O_EXCL | Libc.O_WRONLY, 0600));
        assertEquals(0644, statx(dfd, e9, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS).mode() & 07777);
        assertEquals(0600, statx(dfd, Name.of(ff), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS).mode() & 07777);
        int fd = openat(dfd, b("."), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        java.util.Set<Name> listed = new java.util.HashSet<>();
        try (DirBuffer buf = new DirBuffer(4096)) {
            for (List<Dirent> l; !(l = getdents64(fd, buf)).isEmpty(); ) for (Dirent d : l) listed.add(d.name());
        } finally {
            Libc.close(fd);
        }
        assertEquals(java.util.Set.of(Name.DOT, Name.DOTDOT, Name.of(e9), Name.of(ff)), listed);
        // a symlink whose target is not UTF-8 either, read back byte for byte
        byte[] target = {'.', '/', (byte) 0xE9, (byte) 0x80, 'x'};
        symlinkat(target, dfd, Name.of(new byte[] {(byte) 0xC3}));
        assertArrayEquals(target, readlinkat(dfd, new byte[] {(byte) 0xC3}));
        byte[] fe = {(byte) 0xFE, (byte) 0x80};
        renameat2(dfd, Name.of(e9), dfd, Name.of(fe), RENAME_NOREPLACE);
        assertEquals(Errno.ENOENT, assertThrows(SysException.class,
                () -> statx(dfd, e9, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS)).errno());
        assertEquals(0644, statx(dfd, fe, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS).mode() & 07777);
        linkat(dfd, fe, dfd, Name.of(new byte[] {(byte) 0x81}), 0);
        assertEquals(2, statx(dfd, fe, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS).nlink());
        unlinkat(dfd, Name.of(fe), 0);
        unlinkat(dfd, new byte[] {(byte) 0x81}, 0);
        unlinkat(dfd, ff, 0);
        unlinkat(dfd, new byte[] {(byte) 0xC3}, 0);
        mkdirat(dfd, Name.of(e9), 0700);
        unlinkat(dfd, e9, AT_REMOVEDIR);
        try (java.util.stream.Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void badPathsAreRefusedBeforeTheCall() {
        SysException nul = assertThrows(SysException.class, () -> openat(dfd, new byte[] {'a', 0, 'b'}, Libc.O_RDONLY, 0));
        assertEquals(Errno.EINVAL, nul.errno());
        byte[] huge = new byte[4096];
        java.util.Arrays.fill(huge, (byte) 'x');
        assertEquals(Errno.ENAMETOOLONG, assertThrows(SysException.class, () -> mkdirat(dfd, huge, 0755)).errno());
        // a 256-byte component is the kernel's to refuse
        byte[] component = java.util.Arrays.copyOf(huge, 256);
        assertEquals(Errno.ENAMETOOLONG, assertThrows(SysException.class, () -> mkdirat(dfd, component, 0755)).errno());
    }

    @Test
    void faccessatChecksTheObjectOfADescriptor() throws Exception {
        Libc.close(openat(dfd, b("ro"), Libc.O_CREAT | Libc.O_WRONLY, 0444));
        int pfd = openat(dfd, b("ro"), Libc.O_PATH | Libc.O_CLOEXEC, 0);
        try {
            faccessat(pfd, EMPTY_PATH, 4, AT_EMPTY_PATH | AT_EACCESS);
            // root may write anything, but nobody executes a file without an x bit
            SysException e = assertThrows(SysException.class,
                    () -> faccessat(pfd, EMPTY_PATH, 1, AT_EMPTY_PATH | AT_EACCESS));
            assertEquals(Errno.EACCES, e.errno());
        } finally {
            Libc.close(pfd);
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
