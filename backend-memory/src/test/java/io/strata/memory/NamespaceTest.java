package io.strata.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Attr;
import io.strata.core.CacheMode;
import io.strata.core.CachePolicy;
import io.strata.core.Entry;
import io.strata.core.FileType;
import io.strata.core.Opened;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.Name;
import java.util.List;
import org.junit.jupiter.api.Test;

class NamespaceTest extends FsTestSupport {

    @Test
    void rootIsInodeOneWithConfiguredOwnerAndMode() throws Exception {
        MemoryFileSystem f = newFs(MemoryOptions.defaults(0, 0).withRoot(1234, 5678, 0755));
        Attr a = f.getattr(ROOT_CALLER, ROOT, -1).attr();
        assertEquals(1, a.ino());
        assertEquals(FileType.S_IFDIR | 0755, a.mode());
        assertEquals(1234, a.uid());
        assertEquals(5678, a.gid());
        assertEquals(2, a.nlink());
    }

    @Test
    void repliesFollowTheCachePolicyOfTheMode() throws Exception {
        MemoryFileSystem f = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withMode(CacheMode.SHARED));
        Entry e = f.mkdir(ROOT_CALLER, ROOT, n("d"), 0755, 0);
        CachePolicy shared = CachePolicy.of(CacheMode.SHARED);
        assertEquals(shared.entryTimeoutNs(), e.entryTimeoutNs());
        assertEquals(shared.attrTimeoutNs(), e.attrTimeoutNs());
        Entry file = f.create(ROOT_CALLER, ROOT, n("x"), 0644, RW, 0).entry();
        Opened o = f.open(ROOT_CALLER, file.ino(), RO);
        assertEquals(shared.fileOpenFlags(), o.flags());
        assertTrue(!o.has(Opened.KEEP_CACHE), "SHARED must not keep the page cache");
        Opened ex = fs.open(ROOT_CALLER, touch(ROOT, "y"), RO);
        assertTrue(ex.has(Opened.KEEP_CACHE), "EXCLUSIVE keeps the page cache");
    }

    @Test
    void createThenLookupFindsSameInode() throws Exception {
        long ino = touch(ROOT, "a");
        Entry e = fs.lookup(ROOT_CALLER, ROOT, n("a"));
        assertEquals(ino, e.ino());
        assertEquals(FileType.S_IFREG | 0644, e.attr().mode()); // 0644 & ~022
        assertEquals(1, e.attr().nlink());
        assertEquals(0, e.attr().size());
    }

    @Test
    void createOnExistingNameIsEexist() throws Exception {
        touch(ROOT, "a");
        assertErrno(Errno.EEXIST, () -> fs.create(ROOT_CALLER, ROOT, n("a"), 0644, RW, 0));
        assertErrno(Errno.EEXIST, () -> fs.mkdir(ROOT_CALLER, ROOT, n("a"), 0755, 0));
        assertErrno(Errno.EEXIST, () -> fs.symlink(ROOT_CALLER, ROOT, n("a"), b("t")));
        assertErrno(Errno.EEXIST, () -> fs.mknod(ROOT_CALLER, ROOT, n("a"), FileType.S_IFIFO | 0644, 0, 0));
        assertErrno(Errno.EEXIST, () -> fs.mkdir(ROOT_CALLER, ROOT, n("."), 0755, 0));
        assertErrno(Errno.EEXIST, () -> fs.mkdir(ROOT_CALLER, ROOT, n(".."), 0755, 0));
    }

    @Test
    void lookupErrors() throws Exception {
        long f = touch(ROOT, "file");
        assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT_CALLER, ROOT, n("missing")));
        assertErrno(Errno.ENOTDIR, () -> fs.lookup(ROOT_CALLER, f, n("x")));
        assertErrno(Errno.ENOTDIR, () -> fs.create(ROOT_CALLER, f, n("x"), 0644, RW, 0));
        assertErrno(Errno.ENOTDIR, () -> fs.readdir(ROOT_CALLER, f, 0, 0, (n, i, t, c) -> true));
    }

    @Test
    void namesLongerThan255BytesAreRejected() throws Exception {
        String ok = "a".repeat(255);
        touch(ROOT, ok);
        assertEquals(1, fs.lookup(ROOT_CALLER, ROOT, n(ok)).attr().nlink());
        // In v2 a name is validated when the Name is made, before it can reach any SPI call.
        String tooLong = "a".repeat(256);
        assertErrno(Errno.ENAMETOOLONG, () -> Name.utf8(tooLong));
        // 128 two-byte characters = 256 bytes of UTF-8, though only 128 chars
        assertErrno(Errno.ENAMETOOLONG, () -> Name.utf8("é".repeat(128)));
        String multiByteOk = "é".repeat(127);
        touch(ROOT, multiByteOk);
        assertTrue(list(ROOT).contains(multiByteOk));
        assertErrno(Errno.EINVAL, () -> Name.utf8("a/b"));
        assertErrno(Errno.ENOENT, () -> Name.utf8(""), "an empty name is ENOENT, as the kernel answers an empty path");
        // 255 bytes that are not UTF-8 at all are a valid name too
        byte[] longest = new byte[255];
        java.util.Arrays.fill(longest, (byte) 0xFF);
        long f = touch(ROOT_CALLER, ROOT, Name.of(longest));
        assertEquals(f, fs.lookup(ROOT_CALLER, ROOT, Name.of(longest)).ino());
        assertEquals(255, fs.statfs(ROOT_CALLER, ROOT).namelen());
    }

    @Test
    void directoryLinkCountIsTwoPlusSubdirectories() throws Exception {
        long d = mkdir(ROOT, "d");
        assertEquals(2, attr(d).nlink());
        assertEquals(3, attr(ROOT).nlink());
        mkdir(d, "s1");
        mkdir(d, "s2");
        touch(d, "file"); // files do not count
        assertEquals(4, attr(d).nlink());
        fs.rmdir(ROOT_CALLER, d, n("s1"));
        assertEquals(3, attr(d).nlink());
        fs.rmdir(ROOT_CALLER, d, n("s2"));
        fs.unlink(ROOT_CALLER, d, n("file"));
        assertEquals(2, attr(d).nlink());
        fs.rmdir(ROOT_CALLER, ROOT, n("d"));
        assertEquals(2, attr(ROOT).nlink());
    }

    @Test
    void hardLinksShareTheInodeAndCountLinks() throws Exception {
        long a = touch(ROOT, "a");
        long d = mkdir(ROOT, "d");
        Entry e = fs.link(ROOT_CALLER, a, d, n("b"));
        assertEquals(a, e.ino());
        assertEquals(2, e.attr().nlink());
        assertEquals(a, lookupIno(d, "b"));
        fs.unlink(ROOT_CALLER, ROOT, n("a"));
        assertEquals(1, attr(a).nlink());
        assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT_CALLER, ROOT, n("a")));
        assertErrno(Errno.EEXIST, () -> fs.link(ROOT_CALLER, a, d, n("b")));
        assertErrno(Errno.EPERM, () -> fs.link(ROOT_CALLER, d, ROOT, n("dirlink")));
    }

    @Test
    void unlinkAndRmdirTypeErrors() throws Exception {
        long d = mkdir(ROOT, "d");
        touch(d, "f");
        touch(ROOT, "file");
        assertErrno(Errno.EISDIR, () -> fs.unlink(ROOT_CALLER, ROOT, n("d")));
        assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir(ROOT_CALLER, ROOT, n("d")));
        assertErrno(Errno.ENOTDIR, () -> fs.rmdir(ROOT_CALLER, ROOT, n("file")));
        assertErrno(Errno.EINVAL, () -> fs.rmdir(ROOT_CALLER, d, n(".")));
        assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir(ROOT_CALLER, d, n("..")));
        assertErrno(Errno.ENOENT, () -> fs.unlink(ROOT_CALLER, ROOT, n("nope")));
        assertErrno(Errno.ENOENT, () -> fs.rmdir(ROOT_CALLER, ROOT, n("nope")));
        fs.unlink(ROOT_CALLER, d, n("f"));
        fs.rmdir(ROOT_CALLER, ROOT, n("d"));
        assertEquals(List.of(".", "..", "file"), list(ROOT));
    }

    @Test
    void openDirectoryForWritingIsEisdir() throws Exception {
        long d = mkdir(ROOT, "d");
        assertErrno(Errno.EISDIR, () -> fs.open(ROOT_CALLER, d, WO));
        assertErrno(Errno.EISDIR, () -> fs.open(ROOT_CALLER, d, RW));
        long fh = fs.open(ROOT_CALLER, d, RO).fh();
        assertErrno(Errno.EISDIR, () -> fs.read(ROOT_CALLER, d, fh, 0, java.nio.ByteBuffer.allocate(1)));
    }

    @Test
    void creationInARemovedDirectoryIsEnoent() throws Exception {
        long d = mkdir(ROOT, "d");
        fs.rmdir(ROOT_CALLER, ROOT, n("d"));
        assertErrno(Errno.ENOENT, () -> fs.create(ROOT_CALLER, d, n("x"), 0644, RW, 0));
        assertErrno(Errno.ENOENT, () -> fs.readdir(ROOT_CALLER, d, 0, 0, (n, i, t, c) -> true));
        assertEquals(0, attr(d).nlink());
    }

    @Test
    void symlinksStoreTargetsAndReadlinkRejectsOthers() throws Exception {
        Entry e = fs.symlink(ROOT_CALLER, ROOT, n("l"), b("../some/where/é"));
        assertEquals(FileType.S_IFLNK | 0777, e.attr().mode());
        assertEquals("../some/where/é".getBytes(java.nio.charset.StandardCharsets.UTF_8).length, e.attr().size());
        assertArrayEquals(b("../some/where/é"), fs.readlink(ROOT_CALLER, e.ino()));
        long f = touch(ROOT, "f");
        assertErrno(Errno.EINVAL, () -> fs.readlink(ROOT_CALLER, f));
        assertErrno(Errno.ELOOP, () -> fs.open(ROOT_CALLER, e.ino(), RO));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.symlink(ROOT_CALLER, ROOT, n("l2"), b("x".repeat(4096))));
        assertErrno(Errno.ENOENT, () -> fs.symlink(ROOT_CALLER, ROOT, n("l3"), b("")));
    }

    @Test
    void mknodRecordsTypeAndRdev() throws Exception {
        Entry fifo = fs.mknod(ROOT_CALLER, ROOT, n("fifo"), FileType.S_IFIFO | 0666, 0, 022);
        assertEquals(FileType.S_IFIFO | 0644, fifo.attr().mode());
        Entry chr = fs.mknod(ROOT_CALLER, ROOT, n("null"), FileType.S_IFCHR | 0666, (1 << 8) | 3, 0);
        assertEquals(FileType.S_IFCHR | 0666, chr.attr().mode());
        assertEquals((1 << 8) | 3, chr.attr().rdev());
        Entry sock = fs.mknod(ROOT_CALLER, ROOT, n("sock"), FileType.S_IFSOCK | 0600, 0, 0);
        assertEquals(FileType.S_IFSOCK, sock.attr().type());
        Entry reg = fs.mknod(ROOT_CALLER, ROOT, n("reg"), 0600, 0, 0); // no type bits = regular file
        assertTrue(reg.attr().isRegular());
        assertErrno(Errno.EPERM, () -> fs.mknod(ROOT_CALLER, ROOT, n("d"), FileType.S_IFDIR | 0755, 0, 0));
        assertErrno(Errno.EPERM, () -> fs.mknod(ALICE, ROOT, n("blk"), FileType.S_IFBLK | 0600, 5, 0));
        List<String> seen = new java.util.ArrayList<>();
        fs.readdir(ROOT_CALLER, ROOT, 0, 0, (n, i, t, c) -> seen.add(n + ":" + t));
        assertTrue(seen.containsAll(List.of("fifo:" + FileType.DT_FIFO, "null:" + FileType.DT_CHR,
                "sock:" + FileType.DT_SOCK, "reg:" + FileType.DT_REG)), seen.toString());
    }

    @Test
    void umaskAndSetgidDirectories() throws Exception {
        Entry d = fs.mkdir(ROOT_CALLER, ROOT, n("shared"), 02775, 0);
        fs.setattr(ROOT_CALLER, d.ino(), new io.strata.core.SetAttr(io.strata.core.SetAttr.GID, 0, 0, 500, 0, 0, 0, 0, -1));
        fs.setattr(ROOT_CALLER, d.ino(), io.strata.core.SetAttr.mode(02777));
        Entry sub = fs.mkdir(ALICE, d.ino(), n("sub"), 0777, 022);
        assertEquals(500, sub.attr().gid(), "gid inherited from a set-gid parent");
        assertEquals(FileType.S_IFDIR | 02755, sub.attr().mode(), "subdirectory inherits S_ISGID, umask applied");
        Entry file = fs.create(ALICE, d.ino(), n("f"), 0666, RW, 027).entry();
        assertEquals(500, file.attr().gid());
        assertEquals(FileType.S_IFREG | 0640, file.attr().mode(), "files get the gid but not S_ISGID");
        Entry plain = fs.mkdir(ALICE, ROOT, n("plain"), 0777, 022);
        assertEquals(1000, plain.attr().gid());
        assertEquals(FileType.S_IFDIR | 0755, plain.attr().mode());
    }

    @Test
    void readdirListsDotEntriesThenChildrenAndHonoursAFullSink() throws Exception {
        long d = mkdir(ROOT, "d");
        for (int i = 0; i < 50; i++) touch(d, "f" + i);
        List<String> all = list(d);
        assertEquals(52, all.size());
        assertEquals(".", all.get(0));
        assertEquals("..", all.get(1));
        assertEquals("f0", all.get(2));
        assertEquals("f49", all.get(51));
        // a sink that takes one entry per call must still see everything exactly once
        assertEquals(all, list(d, 1));
        assertEquals(all, list(d, 7));
        long[] dots = new long[2];
        fs.readdir(ROOT_CALLER, d, 0, 0, (n, ino, t, c) -> {
            if (n.isDot()) dots[0] = ino;
            if (n.isDotDot()) dots[1] = ino;
            return true;
        });
        assertEquals(d, dots[0]);
        assertEquals(ROOT, dots[1]);
    }

    @Test
    void readdirCookiesSurviveRemovalsAndCompaction() throws Exception {
        long d = mkdir(ROOT, "d");
        for (int i = 0; i < 100; i++) touch(d, "f" + i);
        // read up to f9, then delete most entries (forces compaction), then resume
        long[] resume = {0};
        List<String> first = new java.util.ArrayList<>();
        fs.readdir(ROOT_CALLER, d, 0, 0, (n, ino, t, c) -> {
            if (first.size() == 12) return false;
            first.add(n.toString());
            resume[0] = c;
            return true;
        });
        assertEquals("f9", first.get(11));
        for (int i = 0; i < 100; i++) if (i % 10 != 0) fs.unlink(ROOT_CALLER, d, n("f" + i));
        touch(d, "new");
        List<String> rest = new java.util.ArrayList<>();
        fs.readdir(ROOT_CALLER, d, 0, resume[0], (n, ino, t, c) -> rest.add(n.toString()));
        assertEquals(List.of("f10", "f20", "f30", "f40", "f50", "f60", "f70", "f80", "f90", "new"), rest);
    }

    @Test
    void dotAndDotDotLookups() throws Exception {
        long d = mkdir(ROOT, "d");
        assertEquals(d, lookupIno(d, "."));
        assertEquals(ROOT, lookupIno(d, ".."));
        assertEquals(ROOT, lookupIno(ROOT, ".."));
    }

    @Test
    void generationsDifferWhenIdsAreReused() throws Exception {
        io.strata.core.Created cr = fs.create(ROOT_CALLER, ROOT, n("a"), 0644, RW, 0);
        Entry a = cr.entry();
        fs.release(a.ino(), cr.opened().fh(), 0);
        fs.unlink(ROOT_CALLER, ROOT, n("a"));
        fs.forget(a.ino(), 1);
        Entry b = fs.create(ROOT_CALLER, ROOT, n("b"), 0644, RW, 0).entry();
        assertEquals(a.ino(), b.ino(), "the freed id is reused");
        assertNotEquals(a.generation(), b.generation(), "... with a new generation");
    }

    @Test
    void dotNamesFollowLinuxAnswers() throws Exception {
        long d = mkdir(ROOT, "d");
        long f = touch(ROOT, "f");
        for (Name dot : List.of(Name.DOT, Name.DOTDOT)) {
            assertErrno(Errno.EISDIR, () -> fs.unlink(ROOT_CALLER, d, dot), "unlink " + dot);
            assertErrno(Errno.EEXIST, () -> fs.create(ROOT_CALLER, d, dot, 0644, RW, 0));
            assertErrno(Errno.EEXIST, () -> fs.mkdir(ROOT_CALLER, d, dot, 0755, 0));
            assertErrno(Errno.EEXIST, () -> fs.mknod(ROOT_CALLER, d, dot, FileType.S_IFIFO | 0644, 0, 0));
            assertErrno(Errno.EEXIST, () -> fs.symlink(ROOT_CALLER, d, dot, b("t")));
            assertErrno(Errno.EEXIST, () -> fs.link(ROOT_CALLER, f, d, dot));
        }
        assertErrno(Errno.EINVAL, () -> fs.rmdir(ROOT_CALLER, d, Name.DOT));
        assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir(ROOT_CALLER, d, Name.DOTDOT));
        assertErrno(Errno.EINVAL, () -> fs.rmdir(ROOT_CALLER, ROOT, Name.DOT), "not even the root's");
        assertEquals(List.of(".", ".."), list(d));
    }

    @Test
    void searchPermissionComesBeforeTheNameAndWritePermissionAfterIt() throws Exception {
        long d = fs.mkdir(ALICE, ROOT, n("d"), 0755, 0).ino();
        touch(ALICE, d, "exists");
        // like mkdir /usr as a user: EEXIST, though the user could not have created it anyway
        assertErrno(Errno.EEXIST, () -> fs.mkdir(BOB, d, n("exists"), 0755, 0));
        assertErrno(Errno.EACCES, () -> fs.mkdir(BOB, d, n("new"), 0755, 0));
        assertErrno(Errno.ENOENT, () -> fs.unlink(BOB, d, n("missing")));
        assertErrno(Errno.EACCES, () -> fs.unlink(BOB, d, n("exists")));
        fs.setattr(ALICE, d, io.strata.core.SetAttr.mode(0700));
        assertErrno(Errno.EACCES, () -> fs.mkdir(BOB, d, n("exists"), 0755, 0), "no search permission at all");
        assertErrno(Errno.EACCES, () -> fs.unlink(BOB, d, n("missing")));
        assertErrno(Errno.EACCES, () -> fs.rename(BOB, d, n("missing"), ROOT, n("x"), 0));
    }

    @Test
    void featuresListExactlyWhatMemorySupports() {
        assertEquals(java.util.EnumSet.of(Feature.PERMISSIONS, Feature.RENAME_NOREPLACE, Feature.RENAME_EXCHANGE,
                Feature.RENAME_WHITEOUT, Feature.HARD_LINKS, Feature.SYMLINKS, Feature.DEVICE_NODES, Feature.TMPFILE,
                Feature.USER_XATTRS, Feature.TRUSTED_XATTRS, Feature.SECURITY_XATTRS, Feature.FALLOCATE,
                Feature.PUNCH_HOLE, Feature.SEEK_DATA, Feature.COPY_FILE_RANGE, Feature.READDIRPLUS,
                Feature.STATELESS_DIRS), fs.features());
    }

    /** STATELESS_DIRS: with fh 0 and no opendir, a listing resumed by cookie (3 names a call) is complete. */
    @Test
    void readdirWithoutOpendirResumesFromTheCookieAlone() throws Exception {
        long d = fs.mkdir(ROOT_CALLER, ROOT, n("d"), 0755, 0).ino();
        java.util.Set<String> want = new java.util.TreeSet<>(List.of(".", ".."));
        for (int i = 0; i < 50; i++) {
            touch(d, "f" + i);
            want.add("f" + i);
        }
        for (boolean plus : new boolean[] {false, true}) {
            java.util.Set<String> got = new java.util.TreeSet<>();
            long[] cookie = {0};
            for (int calls = 0; calls < 100; calls++) {
                int[] taken = {0};
                if (plus) {
                    fs.readdirplus(ROOT_CALLER, d, 0, cookie[0], (name, child, dtype, next, e) -> {
                        if (taken[0] == 3) return false;
                        taken[0]++;
                        assertTrue(got.add(name.toString()), "once: " + name);
                        if (e != null) fs.forget(e.ino(), 1);
                        cookie[0] = next;
                        return true;
                    });
                } else {
                    fs.readdir(ROOT_CALLER, d, 0, cookie[0], (name, child, dtype, next) -> {
                        if (taken[0] == 3) return false;
                        taken[0]++;
                        assertTrue(got.add(name.toString()), "once: " + name);
                        cookie[0] = next;
                        return true;
                    });
                }
                if (taken[0] == 0) break;
            }
            assertEquals(want, got, plus ? "readdirplus" : "readdir");
        }
    }

    @Test
    void cachePolicyIsTheOneTheRepliesUse() throws Exception {
        for (CacheMode mode : CacheMode.values()) {
            MemoryFileSystem f = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withMode(mode));
            CachePolicy p = f.cachePolicy();
            assertEquals(CachePolicy.of(mode), p);
            Entry e = f.mkdir(ROOT_CALLER, ROOT, n("d"), 0755, 0);
            assertEquals(p.entryTimeoutNs(), e.entryTimeoutNs());
            assertEquals(p.attrTimeoutNs(), f.getattr(ROOT_CALLER, ROOT, -1).attrTimeoutNs());
            assertEquals(p.dirOpenFlags(), f.opendir(ROOT_CALLER, e.ino(), 0).flags());
            f.close();
        }
    }

    @Test
    void closeDropsEverything() throws Exception {
        io.strata.core.Created c = fs.create(ROOT_CALLER, ROOT, n("f"), 0644, RW, 0);
        long f = c.entry().ino(), fh = c.opened().fh();
        write(f, fh, 0, new byte[100_000]);
        fs.close();
        assertErrno(Errno.ESTALE, () -> fs.getattr(ROOT_CALLER, f, -1));
        assertErrno(Errno.ESTALE, () -> fs.getattr(ROOT_CALLER, ROOT, -1), "the root too");
        assertErrno(Errno.ESTALE, () -> fs.lookup(ROOT_CALLER, ROOT, n("f")));
        assertErrno(Errno.EBADF, () -> read(f, fh, 0, 1), "handles are gone");
        assertEquals(0, fs.openHandles());
        fs.forget(f, 1); // late calls from a frontend are harmless
        fs.release(f, fh, 0);
    }
}
