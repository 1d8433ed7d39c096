package io.strata.core.contract;

import static io.strata.core.FileType.S_IFDIR;
import static io.strata.core.FileType.S_IFREG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.core.Access;
import io.strata.core.Attr;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.Session;
import io.strata.core.SetAttr;
import io.strata.core.XattrName;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The contract every Strata file system (backend or stacker) keeps, checked through the SPI with
 * no kernel in front: names as bytes, the rename matrix, readdir under churn, unlinked-but-open
 * files, permissions for other users, references across sessions, and the ENOSYS rules.
 *
 * <p>A subclass supplies a fresh, empty file system per test. Its root must be a directory that
 * root may change; the contract makes it root-owned 0755 itself. Expected errnos are Linux's own
 * (fs/namei.c and friends), so a backend that passes answers as a native file system would.
 */
public abstract class FileSystemContract {
    protected static final Caller ROOT = Caller.ROOT;
    protected static final Caller ALICE = Caller.of(1000, 1000);
    protected static final Caller BOB = Caller.of(1001, 1001);
    /** Alice with supplementary group 500. */
    protected static final Caller ALICE_500 = Caller.of(1000, 1000, 500);
    protected static final long R = FileSystem.ROOT;

    protected FileSystem fs;
    protected Session s;

    /** A new, empty file system. */
    protected abstract FileSystem newFileSystem() throws Exception;

    /** False where the backend cannot act for other uids here (passthrough when not root). */
    protected boolean actsAsOtherUsers() {
        return true;
    }

    @BeforeEach
    void openContract() throws Exception {
        fs = newFileSystem();
        s = Session.attach(fs, "contract", null);
        s.setattr(ROOT, R, new SetAttr(SetAttr.MODE | SetAttr.UID | SetAttr.GID, 0755, 0, 0, 0, 0, 0, 0, -1));
    }

    @AfterEach
    void closeContract() {
        if (s != null) s.close();
        if (fs != null) fs.close();
    }

    // ---- helpers ----

    protected interface Op {
        void run() throws FsException;
    }

    protected static void expect(int errno, Op op) {
        try {
            op.run();
        } catch (FsException e) {
            assertEquals(Errno.name(errno), Errno.name(e.errno()), "errno");
            return;
        }
        fail("expected " + Errno.name(errno) + " but the call succeeded");
    }

    protected static Name n(String s) {
        return Name.of(s);
    }

    protected static Name raw(int... bytes) throws FsException {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
        return Name.of(b);
    }

    protected Set<Feature> features() {
        return fs.features();
    }

    /** Creates a regular file with exactly {@code mode} and closes it. */
    protected Entry file(Caller c, long dir, Name name, int mode, byte[] data) throws FsException {
        Created cr = s.create(c, dir, name, S_IFREG | mode, OpenFlags.O_RDWR, 0);
        if (data.length > 0) {
            int n = s.write(c, cr.entry().ino(), cr.opened().fh(), 0, ByteBuffer.wrap(data), 0);
            assertEquals(data.length, n);
        }
        s.release(cr.entry().ino(), cr.opened().fh(), OpenFlags.O_RDWR);
        return cr.entry();
    }

    protected Entry file(Caller c, long dir, String name, int mode) throws FsException {
        return file(c, dir, n(name), mode, new byte[0]);
    }

    protected Entry dir(Caller c, long parent, String name, int mode) throws FsException {
        return s.mkdir(c, parent, n(name), S_IFDIR | mode, 0);
    }

    protected byte[] read(Caller c, long ino) throws FsException {
        Opened o = s.open(c, ino, OpenFlags.O_RDONLY);
        try {
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            int n;
            long off = 0;
            while ((n = s.read(c, ino, o.fh(), off, b)) > 0) off += n;
            byte[] out = new byte[b.position()];
            b.flip().get(out);
            return out;
        } finally {
            s.release(ino, o.fh(), OpenFlags.O_RDONLY);
        }
    }

    protected void write(Caller c, long ino, byte[] data) throws FsException {
        Opened o = s.open(c, ino, OpenFlags.O_WRONLY);
        try {
            s.write(c, ino, o.fh(), 0, ByteBuffer.wrap(data), 0);
        } finally {
            s.release(ino, o.fh(), OpenFlags.O_WRONLY);
        }
    }

    protected Attr attr(long ino) throws FsException {
        return s.getattr(ROOT, ino, -1).attr();
    }

    /** Every name listed in {@code dir}, "." and ".." excluded, in listing order. */
    protected List<Name> list(long dir) throws FsException {
        List<Name> names = new ArrayList<>();
        Opened o = s.opendir(ROOT, dir, 0);
        try {
            long[] cookie = {0};
            boolean[] more = {true};
            while (more[0]) {
                more[0] = false;
                s.readdir(ROOT, dir, o.fh(), cookie[0], (name, ino, type, next) -> {
                    if (!name.isDotOrDotDot()) names.add(name);
                    cookie[0] = next;
                    more[0] = true;
                    return true;
                });
            }
        } finally {
            s.releasedir(dir, o.fh());
        }
        return names;
    }

    protected long lookup(Caller c, long dir, Name name) throws FsException {
        Entry e = s.lookup(c, dir, name);
        s.forget(e.ino(), 1);
        return e.ino();
    }

    // ---- names ----

    @Nested
    class Names {
        @Test
        void bytesThatAreNotUtf8AreDistinctNames() throws Exception {
            Name e9 = raw(0xE9), ff = raw(0xFF);
            Entry a = file(ROOT, R, e9, 0644, "e9".getBytes(StandardCharsets.US_ASCII));
            Entry b = file(ROOT, R, ff, 0644, "ff".getBytes(StandardCharsets.US_ASCII));
            assertNotEquals(a.ino(), b.ino());
            assertEquals(Set.of(e9, ff), new HashSet<>(list(R)));
            assertArrayEquals("e9".getBytes(), read(ROOT, lookup(ROOT, R, e9)));
            assertArrayEquals("ff".getBytes(), read(ROOT, lookup(ROOT, R, ff)));
            Name fe = raw(0xFE, 0x80);
            s.rename(ROOT, R, e9, R, fe, 0);
            expect(Errno.ENOENT, () -> s.lookup(ROOT, R, e9));
            assertEquals(a.ino(), lookup(ROOT, R, fe));
            assertArrayEquals("ff".getBytes(), read(ROOT, lookup(ROOT, R, ff)));
            s.unlink(ROOT, R, fe);
            s.unlink(ROOT, R, ff);
            assertEquals(List.of(), list(R));
        }

        @Test
        void longestNameWorks() throws Exception {
            byte[] b = new byte[Name.MAX];
            java.util.Arrays.fill(b, (byte) 'x');
            b[0] = (byte) 0xC3; // a lone lead byte: not UTF-8 either
            Name longest = Name.of(b);
            file(ROOT, R, longest, 0644, new byte[0]);
            assertEquals(List.of(longest), list(R));
            lookup(ROOT, R, longest);
        }

        @Test
        void dotAndDotDot() throws Exception {
            Entry d = dir(ROOT, R, "d", 0755);
            assertEquals(d.ino(), lookup(ROOT, d.ino(), Name.DOT));
            assertEquals(R, lookup(ROOT, d.ino(), Name.DOTDOT));
            assertEquals(R, lookup(ROOT, R, Name.DOTDOT), "the root's parent is the root");
            expect(Errno.EEXIST, () -> s.mkdir(ROOT, R, Name.DOT, S_IFDIR | 0755, 0));
            expect(Errno.EEXIST, () -> s.mkdir(ROOT, d.ino(), Name.DOTDOT, S_IFDIR | 0755, 0));
            expect(Errno.EINVAL, () -> s.rmdir(ROOT, d.ino(), Name.DOT));
            expect(Errno.ENOTEMPTY, () -> s.rmdir(ROOT, d.ino(), Name.DOTDOT));
            expect(Errno.EISDIR, () -> s.unlink(ROOT, d.ino(), Name.DOT));
            expect(Errno.EBUSY, () -> s.rename(ROOT, d.ino(), Name.DOT, R, n("x"), 0));
            expect(Errno.EBUSY, () -> s.rename(ROOT, R, n("d"), d.ino(), Name.DOTDOT, 0));
        }

        @Test
        void symlinkTargetsAreBytes() throws Exception {
            assumeTrue(features().contains(Feature.SYMLINKS));
            byte[] target = {'.', '.', '/', (byte) 0xE9, '/', (byte) 0xFF, 'z'};
            Entry l = s.symlink(ROOT, R, n("l"), target);
            assertTrue(l.attr().isSymlink());
            assertEquals(target.length, l.attr().size());
            assertArrayEquals(target, s.readlink(ROOT, l.ino()));
            byte[] longTarget = new byte[1000]; // beyond any inline (fast) symlink, within a 1 KiB block
            java.util.Arrays.fill(longTarget, (byte) 0xB5);
            Entry l2 = s.symlink(ROOT, R, n("l2"), longTarget);
            assertArrayEquals(longTarget, s.readlink(ROOT, l2.ino()));
        }

        @Test
        void xattrNamesAndValuesAreBytes() throws Exception {
            assumeTrue(features().contains(Feature.USER_XATTRS));
            Entry f = file(ROOT, R, "f", 0644);
            XattrName name = XattrName.of(new byte[] {'u', 's', 'e', 'r', '.', (byte) 0xE9});
            byte[] value = {0, (byte) 0xFF, 1, 0};
            s.setxattr(ROOT, f.ino(), name, value, 0);
            assertArrayEquals(value, s.getxattr(ROOT, f.ino(), name));
            assertTrue(s.listxattr(ROOT, f.ino()).contains(name));
            expect(Errno.EEXIST, () -> s.setxattr(ROOT, f.ino(), name, value, FileSystem.XATTR_CREATE));
            s.removexattr(ROOT, f.ino(), name);
            expect(Errno.ENODATA, () -> s.getxattr(ROOT, f.ino(), name));
        }
    }

    // ---- rename matrix ----

    @Nested
    class Rename {
        @Test
        void fileToNewNameAndOverExistingFile() throws Exception {
            Entry a = file(ROOT, R, n("a"), 0644, "A".getBytes());
            Entry b = file(ROOT, R, n("b"), 0644, "B".getBytes());
            s.rename(ROOT, R, n("a"), R, n("c"), 0);
            assertEquals(a.ino(), lookup(ROOT, R, n("c")));
            s.rename(ROOT, R, n("c"), R, n("b"), 0);
            assertEquals(a.ino(), lookup(ROOT, R, n("b")));
            assertArrayEquals("A".getBytes(), read(ROOT, a.ino()));
            assertEquals(0, attr(b.ino()).nlink(), "the replaced file has no name left");
            assertEquals(List.of(n("b")), list(R));
        }

        @Test
        void typeMismatchesAndNonEmptyTargets() throws Exception {
            file(ROOT, R, "f", 0644);
            Entry d = dir(ROOT, R, "d", 0755);
            Entry e = dir(ROOT, R, "e", 0755);
            file(ROOT, e.ino(), "inside", 0644);
            expect(Errno.EISDIR, () -> s.rename(ROOT, R, n("f"), R, n("d"), 0));
            expect(Errno.ENOTDIR, () -> s.rename(ROOT, R, n("d"), R, n("f"), 0));
            expect(Errno.ENOTEMPTY, () -> s.rename(ROOT, R, n("d"), R, n("e"), 0));
            s.rename(ROOT, R, n("e"), R, n("d"), 0); // over an empty directory
            assertEquals(e.ino(), lookup(ROOT, R, n("d")));
            expect(Errno.ENOENT, () -> s.rename(ROOT, R, n("missing"), R, n("x"), 0));
        }

        @Test
        void directoryIntoItselfOrItsDescendant() throws Exception {
            Entry d = dir(ROOT, R, "d", 0755);
            Entry sub = dir(ROOT, d.ino(), "sub", 0755);
            expect(Errno.EINVAL, () -> s.rename(ROOT, R, n("d"), sub.ino(), n("x"), 0));
            expect(Errno.EINVAL, () -> s.rename(ROOT, R, n("d"), d.ino(), n("x"), 0));
        }

        @Test
        void sameInodeAndSameNameAreNoOps() throws Exception {
            assumeTrue(features().contains(Feature.HARD_LINKS));
            Entry a = file(ROOT, R, "a", 0644);
            s.link(ROOT, a.ino(), R, n("b"));
            s.rename(ROOT, R, n("a"), R, n("b"), 0); // two names of one inode: nothing happens
            assertEquals(Set.of(n("a"), n("b")), new HashSet<>(list(R)));
            assertEquals(2, attr(a.ino()).nlink());
            s.rename(ROOT, R, n("a"), R, n("a"), 0);
            assertEquals(a.ino(), lookup(ROOT, R, n("a")));
        }

        @Test
        void directoryMoveUpdatesParentsAndLinkCounts() throws Exception {
            Entry p1 = dir(ROOT, R, "p1", 0755);
            Entry p2 = dir(ROOT, R, "p2", 0755);
            Entry d = dir(ROOT, p1.ino(), "d", 0755);
            int n1 = attr(p1.ino()).nlink(), n2 = attr(p2.ino()).nlink();
            s.rename(ROOT, p1.ino(), n("d"), p2.ino(), n("d"), 0);
            assertEquals(p2.ino(), lookup(ROOT, d.ino(), Name.DOTDOT));
            assertEquals(n1 - 1, attr(p1.ino()).nlink());
            assertEquals(n2 + 1, attr(p2.ino()).nlink());
        }

        @Test
        void noreplaceAndExchange() throws Exception {
            Entry f = file(ROOT, R, "f", 0644);
            Entry d = dir(ROOT, R, "d", 0755);
            if (features().contains(Feature.RENAME_NOREPLACE)) {
                expect(Errno.EEXIST, () -> s.rename(ROOT, R, n("f"), R, n("d"), FileSystem.RENAME_NOREPLACE));
                s.rename(ROOT, R, n("f"), R, n("g"), FileSystem.RENAME_NOREPLACE);
                s.rename(ROOT, R, n("g"), R, n("f"), 0);
            }
            if (features().contains(Feature.RENAME_EXCHANGE)) {
                s.rename(ROOT, R, n("f"), R, n("d"), FileSystem.RENAME_EXCHANGE);
                assertEquals(d.ino(), lookup(ROOT, R, n("f")));
                assertEquals(f.ino(), lookup(ROOT, R, n("d")));
                expect(Errno.ENOENT, () -> s.rename(ROOT, R, n("f"), R, n("none"), FileSystem.RENAME_EXCHANGE));
            }
        }
    }

    // ---- readdir ----

    @Nested
    class Readdir {
        @Test
        void survivorsAreListedExactlyOnceUnderChurn() throws Exception {
            Entry d = dir(ROOT, R, "d", 0755);
            Set<Name> stable = new HashSet<>();
            for (int i = 0; i < 300; i++) {
                Name name = n("stable-" + i);
                file(ROOT, d.ino(), name, 0644, new byte[0]);
                stable.add(name);
            }
            for (int i = 0; i < 100; i++) file(ROOT, d.ino(), "churn-" + i, 0644);
            Map<Name, Integer> seen = new HashMap<>();
            Opened o = s.opendir(ROOT, d.ino(), 0);
            long cookie = 0;
            int round = 0;
            while (true) {
                long[] next = {-1};
                int[] taken = {0};
                s.readdir(ROOT, d.ino(), o.fh(), cookie, (name, ino, type, c) -> {
                    if (taken[0] == 7) return false;
                    taken[0]++;
                    seen.merge(name, 1, Integer::sum);
                    next[0] = c;
                    return true;
                });
                if (taken[0] == 0) break;
                cookie = next[0];
                // churn between chunks: remove an old churn file, add a new one
                if (round < 100) {
                    s.unlink(ROOT, d.ino(), n("churn-" + round));
                    file(ROOT, d.ino(), "new-" + round, 0644);
                }
                round++;
            }
            s.releasedir(d.ino(), o.fh());
            for (Name name : stable) assertEquals(1, seen.getOrDefault(name, 0), "listed once: " + name);
            seen.forEach((name, count) -> assertEquals(1, count, "no name twice: " + name));
            assertEquals(1, seen.get(Name.DOT));
            assertEquals(1, seen.get(Name.DOTDOT));
        }

        @Test
        void readdirplusCountsOnlyAcceptedEntries() throws Exception {
            Entry d = dir(ROOT, R, "d", 0755);
            for (int i = 0; i < 10; i++) file(ROOT, d.ino(), "f" + i, 0644);
            Session other = Session.attach(fs, "plus", null);
            try {
                List<Entry> got = new ArrayList<>();
                Opened o = other.opendir(ROOT, d.ino(), 0);
                other.readdirplus(ROOT, d.ino(), o.fh(), 0, (name, ino, type, next, e) -> {
                    if (name.isDotOrDotDot()) {
                        assertNull(e);
                        return true;
                    }
                    if (got.size() == 4) return false;
                    assertEquals(ino, e.ino());
                    assertTrue(e.attr().isRegular(), "the entry carries the child's attributes");
                    got.add(e);
                    return true;
                });
                other.releasedir(d.ino(), o.fh());
                assertEquals(4, got.size());
                assertEquals(4, other.heldInodes());
                for (Entry e : got) assertEquals(1, other.held(e.ino()));
            } finally {
                other.close();
            }
        }
    }

    // ---- lifetime ----

    @Nested
    class Lifetime {
        @Test
        void unlinkedButOpenFileStaysReadableUntilReleased() throws Exception {
            Created cr = s.create(ROOT, R, n("f"), S_IFREG | 0644, OpenFlags.O_RDWR, 0);
            long ino = cr.entry().ino(), fh = cr.opened().fh();
            s.write(ROOT, ino, fh, 0, ByteBuffer.wrap("still here".getBytes()), 0);
            s.unlink(ROOT, R, n("f"));
            expect(Errno.ENOENT, () -> s.lookup(ROOT, R, n("f")));
            assertEquals(0, s.getattr(ROOT, ino, fh).attr().nlink());
            ByteBuffer b = ByteBuffer.allocate(64);
            s.read(ROOT, ino, fh, 0, b);
            assertEquals("still here", new String(b.array(), 0, b.position()));
            s.write(ROOT, ino, fh, 10, ByteBuffer.wrap("!".getBytes()), 0);
            s.release(ino, fh, OpenFlags.O_RDWR);
            s.forget(ino, 1);
            expect(Errno.ESTALE, () -> s.getattr(ROOT, ino, -1));
        }

        @Test
        void referencesBelongToTheirSession() throws Exception {
            Entry f = file(ROOT, R, "f", 0644);
            s.forget(f.ino(), 1);
            Session a = Session.attach(fs, "a", null), b = Session.attach(fs, "b", null);
            try {
                Entry ea = a.lookup(ROOT, R, n("f"));
                a.retain(ea.ino(), 2);
                assertEquals(3, a.held(ea.ino()));
                b.lookup(ROOT, R, n("f"));
                a.forget(ea.ino(), 100); // more than it holds: clamped, b's reference survives
                assertEquals(0, a.held(ea.ino()));
                b.unlink(ROOT, R, n("f"));
                assertEquals(0, b.getattr(ROOT, ea.ino(), -1).attr().nlink(), "b still holds it");
                a.lookup(ROOT, R, Name.DOT);
                a.close();
                assertEquals(0, a.heldInodes());
                expect(Errno.ENOTCONN, () -> a.getattr(ROOT, R, -1));
                b.getattr(ROOT, ea.ino(), -1);
                b.close(); // forgets b's reference: the unlinked inode is gone
                expect(Errno.ESTALE, () -> s.getattr(ROOT, ea.ino(), -1));
            } finally {
                a.close();
                b.close();
            }
        }

        @Test
        void retainOfUnknownInodeIsStale() {
            expect(Errno.ESTALE, () -> s.retain(0x7fff_fff0L, 1));
        }

        @Test
        void walkResolvesSeveralNamesAndStopsAtTheFirstMissing() throws Exception {
            Entry a = dir(ROOT, R, "a", 0755);
            Entry b = dir(ROOT, a.ino(), "b", 0755);
            Entry c = file(ROOT, b.ino(), "c", 0644);
            Session w = Session.attach(fs, "walk", null);
            try {
                List<Entry> got = w.walk(ROOT, R, List.of(n("a"), n("b"), n("c")));
                assertEquals(List.of(a.ino(), b.ino(), c.ino()), got.stream().map(Entry::ino).toList());
                assertTrue(got.get(2).attr().isRegular());
                assertEquals(1, w.held(c.ino()));
                List<Entry> partial = w.walk(ROOT, R, List.of(n("a"), n("nope"), n("c")));
                assertEquals(1, partial.size());
                expect(Errno.ENOENT, () -> w.walk(ROOT, R, List.of(n("nope"))));
                assertEquals(1, w.walk(ROOT, b.ino(), List.of(n("c"), n("x"))).size(), "stops below a file");
                expect(Errno.ENOTDIR, () -> w.walk(ROOT, c.ino(), List.of(n("x"))));
            } finally {
                w.close();
            }
        }

        @Test
        void hardLinksShareTheInode() throws Exception {
            assumeTrue(features().contains(Feature.HARD_LINKS));
            Entry a = file(ROOT, R, n("a"), 0644, "data".getBytes());
            Entry b = s.link(ROOT, a.ino(), R, n("b"));
            assertEquals(a.ino(), b.ino());
            assertEquals(2, b.attr().nlink());
            s.unlink(ROOT, R, n("a"));
            assertArrayEquals("data".getBytes(), read(ROOT, b.ino()));
            assertEquals(1, attr(b.ino()).nlink());
            expect(Errno.EPERM, () -> s.link(ROOT, R, R, n("rootlink")));
        }
    }

    // ---- permissions without a kernel ----

    @Nested
    class Permissions {
        @BeforeEach
        void needOtherUsers() {
            assumeTrue(actsAsOtherUsers(), "this backend cannot act as other users here (needs root)");
        }

        @Test
        void othersCannotReadOrChangeRootsFiles() throws Exception {
            Entry secret = file(ROOT, R, n("secret"), 0600, "s".getBytes());
            Entry d = dir(ROOT, R, "d", 0755);
            expect(Errno.EACCES, () -> s.open(ALICE, secret.ino(), OpenFlags.O_RDONLY));
            expect(Errno.EACCES, () -> s.create(ALICE, d.ino(), n("mine"), S_IFREG | 0644, OpenFlags.O_RDWR, 0));
            expect(Errno.EACCES, () -> s.mkdir(ALICE, d.ino(), n("mine"), S_IFDIR | 0755, 0));
            expect(Errno.EPERM, () -> s.setattr(ALICE, secret.ino(), SetAttr.mode(0666)));
            expect(Errno.EPERM, () -> s.setattr(ALICE, secret.ino(), SetAttr.owner(1000, -1)));
            expect(Errno.EPERM, () -> s.setattr(ALICE, secret.ino(), SetAttr.times(0, 0)));
            expect(Errno.EACCES, () -> s.setattr(ALICE, secret.ino(), SetAttr.timesNow()));
            expect(Errno.EACCES, () -> s.setattr(ALICE, secret.ino(), SetAttr.size(0)));
            expect(Errno.EACCES, () -> s.unlink(ALICE, R, n("secret")));
            expect(Errno.EACCES, () -> s.rename(ALICE, R, n("secret"), d.ino(), n("x"), 0));
            expect(Errno.EACCES, () -> s.access(ALICE, secret.ino(), Access.R));
            s.access(ROOT, secret.ino(), Access.R | Access.W);
            assertArrayEquals("s".getBytes(), read(ROOT, secret.ino()));
            assertEquals(0600, attr(secret.ino()).mode() & 07777, "nothing changed");
        }

        @Test
        void protectedHardlinks() throws Exception {
            assumeTrue(features().contains(Feature.HARD_LINKS));
            Entry pub = dir(ROOT, R, "pub", 0777);
            Entry readable = file(ROOT, R, "readable", 0644);
            Entry shared = file(ROOT, R, "shared", 0666);
            Entry setuid = file(ROOT, R, n("setuid"), 04777, new byte[0]);
            s.setattr(ROOT, setuid.ino(), SetAttr.mode(04777));
            expect(Errno.EPERM, () -> s.link(ALICE, readable.ino(), pub.ino(), n("pinned")));
            expect(Errno.EPERM, () -> s.link(ALICE, setuid.ino(), pub.ino(), n("pinned")));
            s.forget(s.link(ALICE, shared.ino(), pub.ino(), n("mine")).ino(), 1);
            Entry own = file(ALICE, pub.ino(), "own", 0400);
            s.forget(s.link(ALICE, own.ino(), pub.ino(), n("own2")).ino(), 1);
        }

        @Test
        void searchPermissionGuardsLookup() throws Exception {
            Entry priv = dir(ROOT, R, "priv", 0700);
            file(ROOT, priv.ino(), "f", 0644);
            expect(Errno.EACCES, () -> s.lookup(ALICE, priv.ino(), n("f")));
            List<Entry> partial = s.walk(ALICE, R, List.of(n("priv"), n("f")));
            assertEquals(List.of(priv.ino()), partial.stream().map(Entry::ino).toList(), "the walk stops at priv");
            s.forget(priv.ino(), 1);
            expect(Errno.EACCES, () -> s.walk(ALICE, priv.ino(), List.of(n("f"))));
        }

        @Test
        void ownersCreateWithTheirOwnIdentity() throws Exception {
            Entry pub = dir(ROOT, R, "pub", 0777);
            Entry f = file(ALICE, pub.ino(), "mine", 0640);
            assertEquals(1000, f.attr().uid());
            assertEquals(1000, f.attr().gid());
            assertEquals(0640, f.attr().mode() & 07777);
            Entry sub = dir(ALICE, pub.ino(), "sub", 0750);
            assertEquals(1000, sub.attr().uid());
            expect(Errno.EACCES, () -> s.open(BOB, f.ino(), OpenFlags.O_RDONLY));
            write(ALICE, f.ino(), "alice".getBytes());
            s.setattr(ALICE, f.ino(), SetAttr.mode(0644));
            assertArrayEquals("alice".getBytes(), read(BOB, f.ino()));
        }

        @Test
        void stickyDirectoriesProtectOthersEntries() throws Exception {
            Entry tmp = dir(ROOT, R, "tmp", 01777);
            file(ALICE, tmp.ino(), "alices", 0666);
            expect(Errno.EPERM, () -> s.unlink(BOB, tmp.ino(), n("alices")));
            expect(Errno.EPERM, () -> s.rename(BOB, tmp.ino(), n("alices"), tmp.ino(), n("bobs"), 0));
            s.unlink(ALICE, tmp.ino(), n("alices"));
            file(ALICE, tmp.ino(), "again", 0666);
            s.unlink(ROOT, tmp.ino(), n("again"));
        }

        @Test
        void supplementaryGroupsCount() throws Exception {
            Entry shared = file(ROOT, R, n("shared"), 0660, "g".getBytes());
            s.setattr(ROOT, shared.ino(), SetAttr.owner(0, 500));
            expect(Errno.EACCES, () -> s.open(ALICE, shared.ino(), OpenFlags.O_RDONLY));
            assertArrayEquals("g".getBytes(), read(ALICE_500, shared.ino()));
            write(ALICE_500, shared.ino(), "w".getBytes());
        }

        @Test
        void chgrpToOwnSupplementaryGroupOnly() throws Exception {
            Entry pub = dir(ROOT, R, "pub", 0777);
            Entry f = file(ALICE_500, pub.ino(), "f", 0644);
            s.setattr(ALICE_500, f.ino(), SetAttr.owner(-1, 500));
            assertEquals(500, attr(f.ino()).gid());
            expect(Errno.EPERM, () -> s.setattr(ALICE_500, f.ino(), SetAttr.owner(-1, 600)));
            expect(Errno.EPERM, () -> s.setattr(ALICE_500, f.ino(), SetAttr.owner(1001, -1)));
            expect(Errno.EPERM, () -> s.setattr(BOB, f.ino(), SetAttr.owner(-1, 1001)));
        }

        @Test
        void timesNowNeedWriteAccessExplicitTimesNeedOwnership() throws Exception {
            Entry f = file(ROOT, R, n("f"), 0666, new byte[0]);
            s.setattr(ALICE, f.ino(), SetAttr.timesNow());
            SetAttr cached = new SetAttr(SetAttr.ATIME_NOW | SetAttr.ATIME | SetAttr.MTIME | SetAttr.MTIME_CACHED,
                    0, 0, 0, 0, 0, 1_700_000_000_000_000_000L, 0, -1);
            s.setattr(ALICE, f.ino(), cached);
            assertEquals(1_700_000_000_000_000_000L, attr(f.ino()).mtimeNs());
            expect(Errno.EPERM, () -> s.setattr(ALICE, f.ino(), SetAttr.times(5_000_000_000L, 5_000_000_000L)));
            s.setattr(ROOT, f.ino(), SetAttr.times(5_000_000_000L, 6_000_000_000L));
            assertEquals(6_000_000_000L, attr(f.ino()).mtimeNs());
        }

        @Test
        void writesByOthersClearSetIdBits() throws Exception {
            Entry f = file(ROOT, R, n("suid"), 06777, new byte[0]);
            s.setattr(ROOT, f.ino(), SetAttr.mode(06777)); // in case the create masked set-id bits
            assertEquals(06777, attr(f.ino()).mode() & 07777);
            write(ROOT, f.ino(), "root".getBytes());
            assertEquals(06777, attr(f.ino()).mode() & 07777, "root keeps the bits (CAP_FSETID)");
            write(ALICE, f.ino(), "alice".getBytes());
            assertEquals(0777, attr(f.ino()).mode() & 07777, "a write by another user clears both");
            s.setattr(ROOT, f.ino(), SetAttr.mode(04755));
            s.setattr(ROOT, f.ino(), SetAttr.owner(1000, -1));
            assertEquals(0755, attr(f.ino()).mode() & 07777, "chown clears set-user-id");
        }

        @Test
        void setgidWithoutGroupExecuteSurvivesOnlyGroupMembers() throws Exception {
            Entry f = file(ROOT, R, n("lockfile"), 0666, new byte[0]);
            s.setattr(ROOT, f.ino(), SetAttr.owner(-1, 500));
            s.setattr(ROOT, f.ino(), SetAttr.mode(02666));
            write(ALICE_500, f.ino(), "member".getBytes());
            assertEquals(02666, attr(f.ino()).mode() & 07777, "a member of the group keeps it");
            write(ALICE, f.ino(), "outsider".getBytes());
            assertEquals(0666, attr(f.ino()).mode() & 07777, "an outsider's write clears it");
        }

        @Test
        void setgidDirectoriesPassTheirGroupOn() throws Exception {
            Entry d = dir(ROOT, R, "d", 02777);
            s.setattr(ROOT, d.ino(), new SetAttr(SetAttr.MODE | SetAttr.GID, 02777, 0, 500, 0, 0, 0, 0, -1));
            Entry f = file(ALICE, d.ino(), "f", 0644);
            assertEquals(500, f.attr().gid());
            Entry sub = dir(ALICE, d.ino(), "sub", 0755);
            assertEquals(500, sub.attr().gid());
            assertEquals(02000, sub.attr().mode() & 02000, "a new directory inherits set-group-id");
        }

        @Test
        void userXattrsFollowFilePermissions() throws Exception {
            assumeTrue(features().contains(Feature.USER_XATTRS));
            Entry f = file(ROOT, R, n("f"), 0644, new byte[0]);
            XattrName user = XattrName.of("user.k");
            s.setxattr(ROOT, f.ino(), user, "v".getBytes(), 0);
            assertArrayEquals("v".getBytes(), s.getxattr(ALICE, f.ino(), user));
            expect(Errno.EACCES, () -> s.setxattr(ALICE, f.ino(), user, "x".getBytes(), 0));
            expect(Errno.EACCES, () -> s.removexattr(ALICE, f.ino(), user));
            if (features().contains(Feature.TRUSTED_XATTRS)) {
                XattrName trusted = XattrName.of("trusted.k");
                expect(Errno.EPERM, () -> s.setxattr(ALICE, f.ino(), trusted, "x".getBytes(), 0));
                s.setxattr(ROOT, f.ino(), trusted, "t".getBytes(), 0);
                expect(Errno.ENODATA, () -> s.getxattr(ALICE, f.ino(), trusted));
                assertFalse(s.listxattr(ALICE, f.ino()).contains(trusted), "trusted.* is hidden from users");
                assertTrue(s.listxattr(ROOT, f.ino()).contains(trusted));
            }
        }
    }

    // ---- optional operations ----

    @Nested
    class Optional {
        @Test
        void declaredFeaturesNeverAnswerNotSupported() throws Exception {
            Entry f = file(ROOT, R, n("f"), 0644, new byte[8192]);
            Opened o = s.open(ROOT, f.ino(), OpenFlags.O_RDWR);
            try {
                if (features().contains(Feature.FALLOCATE)) {
                    s.fallocate(ROOT, f.ino(), o.fh(), 0, 0, 16384);
                    assertEquals(16384, attr(f.ino()).size());
                } else {
                    expect(Errno.EOPNOTSUPP, () -> s.fallocate(ROOT, f.ino(), o.fh(), 0, 0, 16384));
                }
                if (features().contains(Feature.SEEK_DATA)) {
                    assertEquals(0, s.lseek(ROOT, f.ino(), o.fh(), 0, FileSystem.SEEK_DATA));
                }
            } finally {
                s.release(f.ino(), o.fh(), OpenFlags.O_RDWR);
            }
            if (features().contains(Feature.TMPFILE)) {
                Created t = s.tmpfile(ROOT, R, S_IFREG | 0600, OpenFlags.O_RDWR, 0);
                s.release(t.entry().ino(), t.opened().fh(), OpenFlags.O_RDWR);
                s.forget(t.entry().ino(), 1);
            } else {
                expect(Errno.EOPNOTSUPP, () -> s.tmpfile(ROOT, R, S_IFREG | 0600, OpenFlags.O_RDWR, 0));
            }
        }

        @Test
        void ioctlsOutsideTheAllowListAreNotForTheFileSystem() throws Exception {
            Entry f = file(ROOT, R, "f", 0644);
            Opened o = s.open(ROOT, f.ino(), OpenFlags.O_RDONLY);
            try {
                if (!features().contains(Feature.VERITY)) {
                    expect(Errno.ENOTTY, () -> s.ioctl(ROOT, f.ino(), o.fh(), io.strata.core.Ioctl.FS_IOC_MEASURE_VERITY,
                            new byte[4], 256));
                }
            } finally {
                s.release(f.ino(), o.fh(), OpenFlags.O_RDONLY);
            }
        }

        @Test
        void readOnlyIsEnforced() throws Exception {
            if (!fs.readOnly()) return;
            expect(Errno.EROFS, () -> s.mkdir(ROOT, R, n("x"), S_IFDIR | 0755, 0));
        }
    }
}
