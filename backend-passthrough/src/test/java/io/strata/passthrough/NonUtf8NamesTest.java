package io.strata.passthrough;

import static io.strata.passthrough.Fixture.ROOT;
import static io.strata.passthrough.Fixture.n;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.Opened;
import io.strata.core.XattrName;
import io.strata.passthrough.PassthroughOptions.Handles;
import io.strata.sys.Libc;
import io.strata.sys.PosixFiles;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Host names are bytes: 0xE9 and 0xFF (both invalid UTF-8, both U+FFFD once decoded) are two
 * different files, whether the host or a frontend made them, through every name operation.
 */
class NonUtf8NamesTest {
    static final long R = FileSystem.ROOT;

    static Name raw(int... bytes) throws FsException {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
        return Name.of(b);
    }

    static String read(Fixture f, long ino) throws FsException {
        Opened o = f.fs.open(ROOT, ino, Libc.O_RDONLY);
        try {
            ByteBuffer b = ByteBuffer.allocateDirect(64);
            int n = f.fs.read(ROOT, ino, o.fh(), 0, b);
            byte[] out = new byte[n];
            b.flip().get(out);
            return new String(out);
        } finally {
            f.fs.release(ino, o.fh(), 0);
        }
    }

    static Set<Name> list(Fixture f, long dir) throws FsException {
        Set<Name> names = new HashSet<>();
        Opened d = f.fs.opendir(ROOT, dir, 0);
        try {
            f.fs.readdir(ROOT, dir, d.fh(), 0, (name, ino, type, next) -> {
                if (!name.isDotOrDotDot()) assertTrue(names.add(name), "listed twice: " + name);
                return true;
            });
        } finally {
            f.fs.releasedir(dir, d.fh());
        }
        return names;
    }

    /** Made on the host with raw bytes: looked up, listed, read, renamed and removed through the SPI. */
    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void hostMadeNamesStayDistinct(Handles h) throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults().withHandles(h))) {
            int dfd = Libc.open(f.src.toString(), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
            try {
                for (int b : new int[] {0xE9, 0xFF}) {
                    int fd = PosixFiles.openat(dfd, new byte[] {(byte) b}, Libc.O_CREAT | Libc.O_WRONLY | Libc.O_CLOEXEC, 0644);
                    Libc.write(fd, java.lang.foreign.Arena.ofAuto().allocateFrom(Integer.toHexString(b)), 2);
                    Libc.close(fd);
                }
            } finally {
                Libc.close(dfd);
            }
            Name e9 = raw(0xE9), ff = raw(0xFF);
            assertEquals(Set.of(e9, ff), list(f, R));
            Entry a = f.fs.lookup(ROOT, R, e9), b = f.fs.lookup(ROOT, R, ff);
            assertNotEquals(a.ino(), b.ino());
            assertEquals("e9", read(f, a.ino()));
            assertEquals("ff", read(f, b.ino()));
            // a readdirplus entry for each, the same nodes as the lookups found
            List<Long> plus = new ArrayList<>();
            Opened d = f.fs.opendir(ROOT, R, 0);
            f.fs.readdirplus(ROOT, R, d.fh(), 0, (name, ino, type, next, e) -> {
                if (e != null) plus.add(e.ino());
                return true;
            });
            f.fs.releasedir(R, d.fh());
            assertEquals(Set.of(a.ino(), b.ino()), new HashSet<>(plus));
            for (long ino : plus) f.fs.forget(ino, 1);

            Name fe = raw(0xFE, 0x80);
            f.fs.rename(ROOT, R, e9, R, fe, FileSystem.RENAME_NOREPLACE);
            assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> f.fs.lookup(ROOT, R, e9)).errno());
            assertEquals(a.ino(), f.fs.lookup(ROOT, R, fe).ino());
            assertEquals("ff", read(f, f.fs.lookup(ROOT, R, ff).ino()));
            f.fs.unlink(ROOT, R, ff);
            assertEquals(Set.of(fe), list(f, R));
            f.fs.unlink(ROOT, R, fe);
            assertEquals(Set.of(), list(f, R));
        }
    }

    /** Made through the SPI: the host sees exactly those bytes, for files, directories, links and xattrs. */
    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void frontendMadeNamesReachTheHostAsBytes(Handles h) throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults().withHandles(h))) {
            Name e9 = raw(0xE9), ff = raw(0xFF);
            Created c = f.fs.create(ROOT, R, e9, 0644, Libc.O_RDWR, 0);
            f.fs.write(ROOT, c.entry().ino(), c.opened().fh(), 0, ByteBuffer.wrap("E".getBytes()), 0);
            f.fs.release(c.entry().ino(), c.opened().fh(), 0);
            Entry dir = f.fs.mkdir(ROOT, R, ff, 0755, 0);
            assertNotEquals(c.entry().ino(), dir.ino());
            int dfd = Libc.open(f.src.toString(), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
            try {
                assertTrue(PosixFiles.statx(dfd, new byte[] {(byte) 0xE9}, PosixFiles.AT_SYMLINK_NOFOLLOW,
                        PosixFiles.STATX_BASIC_STATS).isRegular());
                assertTrue(PosixFiles.statx(dfd, new byte[] {(byte) 0xFF}, PosixFiles.AT_SYMLINK_NOFOLLOW,
                        PosixFiles.STATX_BASIC_STATS).isDir());
                // a symlink whose target is not UTF-8, and a hard link under another such name
                byte[] target = {(byte) 0xFF, '/', (byte) 0xE9};
                Entry l = f.fs.symlink(ROOT, dir.ino(), raw(0xC3), target);
                assertArrayEquals(target, f.fs.readlink(ROOT, l.ino()));
                assertArrayEquals(target, PosixFiles.readlinkat(dfd, new byte[] {(byte) 0xFF, '/', (byte) 0xC3}));
                Entry hl = f.fs.link(ROOT, c.entry().ino(), dir.ino(), raw(0x80));
                assertEquals(c.entry().ino(), hl.ino());
                assertEquals(Set.of(raw(0xC3), raw(0x80)), list(f, dir.ino()));
                // an xattr name that is not UTF-8 either
                XattrName x = XattrName.of(new byte[] {'u', 's', 'e', 'r', '.', (byte) 0xE9});
                f.fs.setxattr(ROOT, c.entry().ino(), x, new byte[] {1, 2}, 0);
                assertTrue(f.fs.listxattr(ROOT, c.entry().ino()).contains(x));
                assertArrayEquals(new byte[] {1, 2}, f.fs.getxattr(ROOT, c.entry().ino(), x));
                f.fs.removexattr(ROOT, c.entry().ino(), x);
                // exchange the file and the directory: each name now answers with the other node
                f.fs.rename(ROOT, R, e9, R, ff, FileSystem.RENAME_EXCHANGE);
                assertEquals(dir.ino(), f.fs.lookup(ROOT, R, e9).ino());
                assertEquals(c.entry().ino(), f.fs.lookup(ROOT, R, ff).ino());
                assertTrue(PosixFiles.statx(dfd, new byte[] {(byte) 0xE9}, PosixFiles.AT_SYMLINK_NOFOLLOW,
                        PosixFiles.STATX_BASIC_STATS).isDir());
                assertEquals("E", read(f, f.fs.lookup(ROOT, R, ff).ino()));
                f.fs.unlink(ROOT, f.fs.lookup(ROOT, R, e9).ino(), raw(0xC3));
                f.fs.unlink(ROOT, f.fs.lookup(ROOT, R, e9).ino(), raw(0x80));
                f.fs.rmdir(ROOT, R, e9);
                f.fs.unlink(ROOT, R, ff);
                assertEquals(Set.of(), list(f, R));
            } finally {
                Libc.close(dfd);
            }
        }
    }

    /** SHARED: host changes under such names arrive as invalidations carrying the same bytes. */
    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void invalidationsCarryTheBytes(Handles h) throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults().withHandles(h))) {
            int dfd = Libc.open(f.src.toString(), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
            try {
                Libc.close(PosixFiles.openat(dfd, new byte[] {(byte) 0xE9}, Libc.O_CREAT | Libc.O_WRONLY | Libc.O_CLOEXEC, 0644));
                assertTrue(f.inval.await("entry " + R + " \\xE9", 2000));
                Entry e = f.fs.lookup(ROOT, R, raw(0xE9));
                PosixFiles.unlinkat(dfd, new byte[] {(byte) 0xE9}, 0);
                assertTrue(f.inval.await("delete " + R + " " + e.ino() + " \\xE9", 2000));
                Libc.close(PosixFiles.openat(dfd, new byte[] {(byte) 0xFF}, Libc.O_CREAT | Libc.O_WRONLY | Libc.O_CLOEXEC, 0644));
                assertTrue(f.inval.await("entry " + R + " \\xFF", 2000));
                assertTrue(f.inval.names.contains(raw(0xE9)));
                assertTrue(f.inval.names.contains(raw(0xFF)));
            } finally {
                Libc.close(dfd);
            }
        }
    }

    /** The UTF-8 spelling of U+FFFD (what a lossy decoder made of both) is a third name, not an alias. */
    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER"})
    void replacementCharacterIsNotAnAlias(Handles h) throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults().withHandles(h))) {
            Created c = f.fs.create(ROOT, R, raw(0xE9), 0644, Libc.O_RDWR, 0);
            f.fs.release(c.entry().ino(), c.opened().fh(), 0);
            assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> f.fs.lookup(ROOT, R, n("\uFFFD"))).errno());
            Created d = f.fs.create(ROOT, R, n("\uFFFD"), 0644, Libc.O_RDWR | Libc.O_EXCL, 0);
            f.fs.release(d.entry().ino(), d.opened().fh(), 0);
            assertNotEquals(c.entry().ino(), d.entry().ino());
            assertEquals(2, list(f, R).size());
        }
    }
}
