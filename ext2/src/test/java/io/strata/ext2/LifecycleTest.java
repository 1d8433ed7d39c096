package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.CacheMode;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Session;
import io.strata.ext2.tools.Mkfs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The v2 lifecycle on ext2: capabilities, "." and ".." and the other name rules, counted lookup
 * references (lookup, retain, readdirplus, forget, a detaching Session), and close by the owner.
 */
class LifecycleTest {
    static final Caller ROOT = Caller.ROOT;

    Path tmp, img;
    Ext2FileSystem fs;

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-life");
        img = tmp.resolve("img");
        assertEquals(0, Mkfs.run(new String[] {img.toString(), "8M"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(new ByteArrayOutputStream())));
        fs = Ext2FileSystem.open(img, Ext2Options.defaults());
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

    private long refs(long ino) {
        return fs.volume().inodes.lookupsOf(ino == FileSystem.ROOT ? 2 : (int) ino);
    }

    private long file(long dir, String name) throws FsException {
        Created c = fs.create(ROOT, dir, Name.of(name), 0644, OpenFlags.O_RDWR, 0);
        fs.release(c.entry().ino(), c.opened().fh(), 0);
        return c.entry().ino();
    }

    @Test
    void featuresAndCachePolicy() throws Exception {
        assertTrue(fs.features().containsAll(List.of(Feature.PERMISSIONS, Feature.HARD_LINKS, Feature.SYMLINKS,
                Feature.DEVICE_NODES, Feature.USER_XATTRS, Feature.TRUSTED_XATTRS, Feature.SECURITY_XATTRS,
                Feature.STABLE_IDS, Feature.READDIRPLUS, Feature.STATELESS_DIRS)));
        for (Feature f : List.of(Feature.TMPFILE, Feature.FALLOCATE, Feature.PUNCH_HOLE, Feature.BACKING_FDS,
                Feature.RENAME_WHITEOUT, Feature.VERITY, Feature.COPY_FILE_RANGE)) {
            assertFalse(fs.features().contains(f), f.toString());
        }
        assertEquals(CacheMode.EXCLUSIVE, fs.cachePolicy().mode());
        fails(Errno.EOPNOTSUPP, () -> fs.tmpfile(ROOT, FileSystem.ROOT, 0644, OpenFlags.O_RDWR, 0));
        fails(Errno.EOPNOTSUPP, () -> fs.fallocate(ROOT, FileSystem.ROOT, 0, 0, 0, 1));
        fs.unmount();
        fs = Ext2FileSystem.open(img, new Ext2Options(false, 1 << 20, CacheMode.SHARED));
        assertEquals(CacheMode.SHARED, fs.cachePolicy().mode());
        assertEquals(0, fs.cachePolicy().entryTimeoutNs());
    }

    /** STATELESS_DIRS: with fh 0 and no opendir, a listing resumed by cookie (3 names a call) is complete. */
    @Test
    void readdirWithoutOpendirResumesFromTheCookieAlone() throws Exception {
        long d = fs.mkdir(ROOT, FileSystem.ROOT, Name.of("d"), 0755, 0).ino();
        java.util.Set<String> want = new java.util.TreeSet<>(List.of(".", ".."));
        for (int i = 0; i < 200; i++) { // several directory blocks
            file(d, "a-longer-name-to-fill-blocks-" + i);
            want.add("a-longer-name-to-fill-blocks-" + i);
        }
        for (boolean plus : new boolean[] {false, true}) {
            java.util.Set<String> got = new java.util.TreeSet<>();
            long[] cookie = {0};
            for (int calls = 0; calls < 200; calls++) {
                int[] taken = {0};
                if (plus) {
                    fs.readdirplus(ROOT, d, 0, cookie[0], (name, child, dtype, next, e) -> {
                        if (taken[0] == 3) return false;
                        taken[0]++;
                        assertTrue(got.add(name.toString()), "once: " + name);
                        if (e != null) fs.forget(e.ino(), 1);
                        cookie[0] = next;
                        return true;
                    });
                } else {
                    fs.readdir(ROOT, d, 0, cookie[0], (name, child, dtype, next) -> {
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
    void dotAndDotDotAreCountedEntries() throws Exception {
        Entry d = fs.mkdir(ROOT, FileSystem.ROOT, Name.of("d"), 0755, 0);
        assertEquals(1, refs(d.ino()));
        Entry self = fs.lookup(ROOT, d.ino(), Name.DOT);
        assertEquals(d.ino(), self.ino());
        assertEquals(d.generation(), self.generation());
        assertEquals(2, refs(d.ino()));
        Entry up = fs.lookup(ROOT, d.ino(), Name.utf8("..")); // made from text, as a frontend would
        assertEquals(FileSystem.ROOT, up.ino());
        Entry rootUp = fs.lookup(ROOT, FileSystem.ROOT, Name.DOTDOT);
        assertEquals(FileSystem.ROOT, rootUp.ino());
        assertEquals(2, refs(FileSystem.ROOT));
        fs.forget(FileSystem.ROOT, 2);
        assertEquals(0, refs(FileSystem.ROOT));
        fs.forget(d.ino(), 2);
        assertEquals(0, refs(d.ino()));
        fails(Errno.ENOTDIR, () -> fs.lookup(ROOT, file(FileSystem.ROOT, "f"), Name.DOT));
    }

    @Test
    void dotNamesAreRefusedAsTheKernelDoes() throws Exception {
        long d = fs.mkdir(ROOT, FileSystem.ROOT, Name.of("d"), 0755, 0).ino();
        long f = file(d, "f");
        for (Name dot : List.of(Name.DOT, Name.DOTDOT, Name.utf8("."), Name.utf8(".."))) {
            fails(Errno.EEXIST, () -> fs.mkdir(ROOT, d, dot, 0755, 0));
            fails(Errno.EEXIST, () -> fs.create(ROOT, d, dot, 0644, OpenFlags.O_RDWR, 0));
            fails(Errno.EEXIST, () -> fs.mknod(ROOT, d, dot, 0010644, 0, 0));
            fails(Errno.EEXIST, () -> fs.symlink(ROOT, d, dot, new byte[] {'x'}));
            fails(Errno.EEXIST, () -> fs.link(ROOT, f, d, dot));
            fails(Errno.EISDIR, () -> fs.unlink(ROOT, d, dot));
            fails(Errno.EBUSY, () -> fs.rename(ROOT, d, dot, d, Name.of("z"), 0));
            fails(Errno.EBUSY, () -> fs.rename(ROOT, d, Name.of("f"), d, dot, 0));
            fails(Errno.EEXIST, () -> fs.rename(ROOT, d, Name.of("f"), d, dot, FileSystem.RENAME_NOREPLACE));
        }
        fails(Errno.EINVAL, () -> fs.rmdir(ROOT, d, Name.DOT));
        fails(Errno.ENOTEMPTY, () -> fs.rmdir(ROOT, d, Name.DOTDOT));
        fails(Errno.ENOENT, () -> fs.lookup(ROOT, d, Name.of("missing")));
        fails(Errno.ENOENT, () -> Name.of(new byte[0])); // empty names never reach the SPI
        fails(Errno.ENOENT, () -> fs.symlink(ROOT, d, Name.of("s"), new byte[0]));
        fails(Errno.ENAMETOOLONG, () -> fs.symlink(ROOT, d, Name.of("s"), new byte[fs.volume().superblock().blockSize()]));
        fs.forget(d, 1);
        fs.forget(f, 1);
    }

    @Test
    void retainAndForget() throws Exception {
        long f = file(FileSystem.ROOT, "f");
        assertEquals(1, refs(f));
        fs.retain(f, 2);
        assertEquals(3, refs(f));
        fs.unlink(ROOT, FileSystem.ROOT, Name.of("f"));
        assertEquals(0, fs.getattr(ROOT, f, -1).attr().nlink()); // unlinked but referenced: still there
        fs.forget(f, 2);
        fs.getattr(ROOT, f, -1);
        long free = fs.statfs(ROOT, FileSystem.ROOT).ffree();
        fs.forget(f, 1); // the last reference: freed now
        assertEquals(free + 1, fs.statfs(ROOT, FileSystem.ROOT).ffree());
        fails(Errno.ESTALE, () -> fs.getattr(ROOT, f, -1));
        fails(Errno.ESTALE, () -> fs.retain(f, 1));
        fails(Errno.ESTALE, () -> fs.retain(fs.volume().superblock().inodesCount() - 1, 1)); // never used
        fails(Errno.ESTALE, () -> fs.retain(2, 1)); // ext2's bad-blocks inode is not exposed
        fs.forget(123456789L, 5); // unknown ids: ignored
        fs.retain(FileSystem.ROOT, 1);
        fs.forget(FileSystem.ROOT, 1);
    }

    @Test
    void readdirplusCountsAcceptedEntriesOnly() throws Exception {
        long d = fs.mkdir(ROOT, FileSystem.ROOT, Name.of("d"), 0755, 0).ino();
        long a = file(d, "a"), b = file(d, "b"), c = file(d, "c");
        for (long x : new long[] {d, a, b, c}) fs.forget(x, 1);
        List<Name> seen = new ArrayList<>();
        long[] cookie = {0};
        // accept ".", "..", and one file; refuse the next
        fs.readdirplus(ROOT, d, 0, 0, (n, ino, t, next, e) -> {
            if (seen.size() == 3) return false;
            if (n.equals(Name.DOT) || n.equals(Name.DOTDOT)) assertNull(e);
            else assertNotNull(e);
            seen.add(n);
            cookie[0] = next;
            return true;
        });
        assertEquals(3, seen.size());
        long accepted = fs.lookup(ROOT, d, seen.get(2)).ino();
        fs.forget(accepted, 1);
        long total = refs(a) + refs(b) + refs(c);
        assertEquals(1, total, "one reference for the one accepted entry, none for the refused one");
        assertEquals(1, refs(accepted));
        // resume: the refused entry comes again
        fs.readdirplus(ROOT, d, 0, cookie[0], (n, ino, t, next, e) -> {
            seen.add(n);
            fs.forget(e.ino(), 1);
            return true;
        });
        assertEquals(List.of("a", "b", "c"), seen.subList(2, 5).stream().map(Name::toString).sorted().toList());
        fs.forget(accepted, 1);
        assertEquals(0, refs(a) + refs(b) + refs(c));
    }

    @Test
    void detachingSessionForgetsItsReferences() throws Exception {
        Session s = Session.attach(fs, "test", null);
        long f = file(FileSystem.ROOT, "f");
        fs.forget(f, 1);
        Entry e = s.lookup(ROOT, FileSystem.ROOT, Name.of("f"));
        s.retain(e.ino(), 1);
        s.readdirplus(ROOT, FileSystem.ROOT, 0, 0, (n, ino, t, next, x) -> true);
        long open = s.open(ROOT, e.ino(), OpenFlags.O_RDONLY).fh();
        assertTrue(refs(f) >= 3);
        fs.unlink(ROOT, FileSystem.ROOT, Name.of("f"));
        long free = fs.statfs(ROOT, FileSystem.ROOT).ffree();
        s.close(); // releases the handle and forgets every reference it handed out
        assertEquals(0, refs(f));
        assertEquals(free + 1, fs.statfs(ROOT, FileSystem.ROOT).ffree(), "the orphan is freed");
        fails(Errno.EBADF, () -> fs.read(ROOT, f, open, 0, java.nio.ByteBuffer.allocate(1)));
        fails(Errno.ENOTCONN, () -> s.lookup(ROOT, FileSystem.ROOT, Name.DOT));
        fs.getattr(ROOT, FileSystem.ROOT, -1); // the file system itself goes on
    }

    @Test
    void closeIsTheOwnersAndFinal() throws Exception {
        long f = file(FileSystem.ROOT, "f");
        fs.close();
        fails(Errno.EIO, () -> fs.getattr(ROOT, f, -1));
        fs.forget(f, 1); // ignored after close
        fs.close(); // idempotent
        fs.unmount();
    }
}
