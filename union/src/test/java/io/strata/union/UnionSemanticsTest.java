package io.strata.union;

import static io.strata.core.FileType.S_IFCHR;
import static io.strata.core.FileType.S_IFDIR;
import static io.strata.core.FileType.S_IFREG;
import static io.strata.union.Stack.ROOT;
import static io.strata.union.Stack.exists;
import static io.strata.union.Stack.find;
import static io.strata.union.Stack.list;
import static io.strata.union.Stack.put;
import static io.strata.union.Stack.read;
import static io.strata.union.Stack.whiteout;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Attr;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.XattrName;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The union's rules, each checked through the SPI over memory layers, and in the upper's raw format. */
class UnionSemanticsTest {
    static final long R = FileSystem.ROOT;
    static final Caller ALICE = Caller.of(1000, 1000);
    static final XattrName OPAQUE = XattrName.of("trusted.overlay.opaque");

    Stack st;
    UnionFileSystem u;
    FileSystem lower, lower2;

    Stack stack(int lowers) throws FsException {
        st = new Stack(lowers);
        lower = st.lowers.get(0);
        lower2 = lowers > 1 ? st.lowers.get(1) : null;
        return st;
    }

    @AfterEach
    void close() {
        if (st != null) st.close();
    }

    interface Op {
        void run() throws FsException;
    }

    static void expect(int errno, Op op) {
        FsException e = assertThrows(FsException.class, op::run);
        assertEquals(Errno.name(errno), Errno.name(e.errno()));
    }

    Entry at(String path) throws FsException {
        return find(u, R, path);
    }

    long ino(String path) throws FsException {
        return at(path).ino();
    }

    String text(String path) throws FsException {
        return read(u, ino(path));
    }

    void write(long ino, String data, int flags) throws FsException {
        Opened o = u.open(ROOT, ino, flags);
        try {
            u.write(ROOT, ino, o.fh(), 0, ByteBuffer.wrap(data.getBytes()), 0);
        } finally {
            u.release(ino, o.fh(), flags);
        }
    }

    boolean upperHas(String path) {
        return exists(st.upperFs, st.upperDir, path);
    }

    Attr upperAttr(String path) throws FsException {
        return find(st.upperFs, st.upperDir, path).attr();
    }

    boolean isUpperWhiteout(String path) throws FsException {
        Attr a = upperAttr(path);
        return (a.mode() & 0170000) == S_IFCHR && a.rdev() == 0;
    }

    List<String> workLeftovers() throws FsException {
        return list(st.upperFs, find(st.upperFs, st.workDir, "work").ino());
    }

    // ---- lookup merge ----

    @Test
    void upperWinsWhiteoutHidesOpaqueStopsNonDirHidesDirs() throws Exception {
        stack(2);
        put(lower, R, "both", "lower");
        put(lower, R, "gone", "lower");
        put(lower, R, "dir/l1", "1");
        put(lower2, R, "dir/l2", "2");
        put(lower2, R, "dir/x", "from lower2");
        put(lower, R, "dir/x", "from lower1");
        put(lower, R, "opq/l1", "1");
        put(lower2, R, "opq/l2", "2");
        lower.setxattr(ROOT, find(lower, R, "opq").ino(), OPAQUE, "y".getBytes(), 0);
        put(lower2, R, "shadowed/inside", "x"); // a directory in lower2
        put(lower, R, "shadowed", "a file in lower1 hides the directory below");
        put(st.upperFs, st.upperDir, "both", "upper");
        whiteout(st.upperFs, st.upperDir, "gone");
        u = st.open();
        assertEquals("upper", text("both"));
        expect(Errno.ENOENT, () -> at("gone"));
        assertEquals(Set.of("both", "dir", "opq", "shadowed"), new HashSet<>(list(u, R)));
        assertEquals(Set.of("l1", "l2", "x"), new HashSet<>(list(u, ino("dir"))));
        assertEquals("from lower1", text("dir/x"));
        assertEquals(List.of("l1"), list(u, ino("opq")));
        expect(Errno.ENOENT, () -> at("opq/l2"));
        assertTrue(at("shadowed").attr().isRegular());
        expect(Errno.ENOTDIR, () -> at("shadowed/inside"));
    }

    @Test
    void ociWhiteoutsAndOpaqueMarkersInLowers() throws Exception {
        stack(2);
        put(lower2, R, "x", "hidden by .wh.x above");
        put(lower2, R, "y", "visible");
        put(lower, R, ".wh.x", "");
        put(lower2, R, "d/old", "hidden by the opaque marker");
        put(lower, R, "d/new", "visible");
        put(lower, R, "d/.wh..wh..opq", "");
        u = st.open();
        assertEquals(Set.of("y", "d"), new HashSet<>(list(u, R)), ".wh. names are format, not files");
        expect(Errno.ENOENT, () -> at("x"));
        expect(Errno.ENOENT, () -> at(".wh.x"));
        assertEquals(List.of("new"), list(u, ino("d")));
        expect(Errno.ENOENT, () -> at("d/old"));
    }

    @Test
    void xattrWhiteoutsCountOnlyInDirectoriesMarkedX() throws Exception {
        stack(2);
        put(lower2, R, "marked/f", "hidden");
        put(lower2, R, "plain/f", "stays: its dir is not marked");
        long wf = put(lower, R, "marked/f", "");
        lower.setxattr(ROOT, wf, XattrName.of("trusted.overlay.whiteout"), new byte[0], 0);
        lower.setxattr(ROOT, find(lower, R, "marked").ino(), OPAQUE, "x".getBytes(), 0);
        long pf = put(lower, R, "plain/f", "");
        lower.setxattr(ROOT, pf, XattrName.of("trusted.overlay.whiteout"), new byte[0], 0);
        u = st.open();
        assertEquals(List.of(), list(u, ino("marked")));
        expect(Errno.ENOENT, () -> at("marked/f"));
        assertEquals(List.of("f"), list(u, ino("plain")));
        assertEquals(0, at("plain/f").attr().size(), "the upper-most object wins: the empty file");
    }

    @Test
    void userxattrNamespace() throws Exception {
        stack(2);
        put(lower2, R, "d/below", "x");
        put(lower, R, "d/above", "y");
        lower.setxattr(ROOT, find(lower, R, "d").ino(), XattrName.of("user.overlay.opaque"), "y".getBytes(), 0);
        u = st.open(st.options().withXattrs(XattrNamespace.USER));
        assertEquals(List.of("above"), list(u, ino("d")));
        u.mkdir(ROOT, ino("d"), Name.of("sub"), S_IFDIR | 0755, 0);
        u.unlink(ROOT, ino("d"), Name.of("above"));
        assertTrue(isUpperWhiteout("d/above"));
        expect(Errno.ENODATA, () -> u.getxattr(ROOT, ino("d"), XattrName.of("user.overlay.opaque")));
    }

    // ---- read-only unions and O_RDONLY ----

    @Test
    void readOnlyUnionRefusesChanges() throws Exception {
        stack(1);
        put(lower, R, "f", "data");
        st.union = UnionFileSystem.open(UnionOptions.readOnly(List.of(UnionLayer.of(lower))));
        u = st.union;
        assertTrue(u.readOnly());
        assertEquals("data", text("f"));
        long f = ino("f");
        expect(Errno.EROFS, () -> u.mkdir(ROOT, R, Name.of("d"), S_IFDIR | 0755, 0));
        expect(Errno.EROFS, () -> u.create(ROOT, R, Name.of("n"), S_IFREG | 0644, OpenFlags.O_RDWR, 0));
        expect(Errno.EROFS, () -> u.unlink(ROOT, R, Name.of("f")));
        expect(Errno.EROFS, () -> u.setattr(ROOT, f, SetAttr.mode(0600)));
        expect(Errno.EROFS, () -> u.open(ROOT, f, OpenFlags.O_WRONLY));
        expect(Errno.EROFS, () -> u.setxattr(ROOT, f, XattrName.of("user.k"), new byte[1], 0));
        expect(Errno.EROFS, () -> u.rename(ROOT, R, Name.of("f"), R, Name.of("g"), 0));
        assertEquals(List.of("f"), list(u, R));
    }

    @Test
    void readingNeverCopiesUp() throws Exception {
        stack(1);
        put(lower, R, "a/b/f", "lower data");
        u = st.open();
        assertEquals("lower data", text("a/b/f"));
        u.getattr(ROOT, ino("a/b/f"), -1);
        u.listxattr(ROOT, ino("a/b/f"));
        list(u, ino("a/b"));
        assertEquals(List.of(), list(st.upperFs, st.upperDir));
    }

    // ---- copy-up ----

    @Test
    void writeCopiesUpDataMetadataAndXattrsAtomically() throws Exception {
        stack(1);
        long lf = put(lower, R, "dir/f", "0123456789".getBytes(), 0640);
        lower.setattr(ROOT, lf, SetAttr.owner(1000, 500));
        lower.setattr(ROOT, lf, SetAttr.mode(0640));
        lower.setattr(ROOT, lf, SetAttr.times(1_000_000_000L, 2_000_000_000L));
        lower.setxattr(ROOT, lf, XattrName.of("user.kept"), "v".getBytes(), 0);
        lower.setxattr(ROOT, lf, XattrName.of("trusted.overlay.origin"), "junk".getBytes(), 0);
        long ld = find(lower, R, "dir").ino();
        lower.setattr(ROOT, ld, SetAttr.owner(1000, 1000));
        lower.setattr(ROOT, ld, SetAttr.mode(0750));
        u = st.open();
        Attr before = at("dir/f").attr();
        long f = ino("dir/f");
        Opened o = u.open(ROOT, f, OpenFlags.O_RDWR);
        u.write(ROOT, f, o.fh(), 2, ByteBuffer.wrap("AB".getBytes()), 0);
        u.release(f, o.fh(), OpenFlags.O_RDWR);
        assertEquals("01AB456789", text("dir/f"));
        assertEquals("0123456789", read(lower, lf), "the lower never changes");
        Attr up = upperAttr("dir/f");
        assertEquals(1000, up.uid());
        assertEquals(500, up.gid());
        assertEquals(0640, up.mode() & 07777);
        assertEquals(1000, upperAttr("dir").uid(), "the parent was copied up with its owner");
        assertEquals(0750, upperAttr("dir").mode() & 07777);
        long upIno = find(st.upperFs, st.upperDir, "dir/f").ino();
        assertArrayEquals("v".getBytes(), st.upperFs.getxattr(ROOT, upIno, XattrName.of("user.kept")));
        expect(Errno.ENODATA, () -> st.upperFs.getxattr(ROOT, upIno, XattrName.of("trusted.overlay.origin")));
        Attr after = at("dir/f").attr();
        assertEquals(before.ino(), after.ino(), "st_ino is stable across copy-up");
        assertEquals(List.of(), workLeftovers());
        // the node forgotten and looked up again: still the same st_ino
        st.union.close();
        u = st.open();
        assertEquals(before.ino(), at("dir/f").attr().ino(), "st_ino stays the lower origin's");
    }

    @Test
    void copyUpKeepsTimesAndHoles() throws Exception {
        stack(1);
        long lf = put(lower, R, "sparse", "head".getBytes(), 0644);
        Opened lo = lower.open(ROOT, lf, OpenFlags.O_RDWR);
        lower.write(ROOT, lf, lo.fh(), 8L << 20, ByteBuffer.wrap("tail".getBytes()), 0);
        lower.release(lf, lo.fh(), OpenFlags.O_RDWR);
        lower.setattr(ROOT, lf, new SetAttr(SetAttr.SIZE, 0, 0, 0, 16L << 20, 0, 0, 0, -1));
        lower.setattr(ROOT, lf, SetAttr.times(3_000_000_000L, 4_000_000_000L));
        u = st.open();
        long f = ino("sparse");
        u.setattr(ROOT, f, SetAttr.mode(0600)); // metadata change: copy-up
        Entry ue = find(st.upperFs, st.upperDir, "sparse");
        assertEquals(16L << 20, ue.attr().size());
        assertTrue(ue.attr().blocks() * 512 < (1L << 20), "holes stay holes: " + ue.attr().blocks() + " blocks");
        assertEquals(4_000_000_000L, ue.attr().mtimeNs());
        assertEquals(0600, ue.attr().mode() & 07777);
        Opened o = u.open(ROOT, f, OpenFlags.O_RDONLY);
        ByteBuffer b = ByteBuffer.allocate(4);
        u.read(ROOT, f, o.fh(), 8L << 20, b);
        assertEquals("tail", new String(b.array()));
        u.release(f, o.fh(), OpenFlags.O_RDONLY);
    }

    @Test
    void timesOfARemovedLowerFileAreAcceptedAndDropped() throws Exception {
        // the FUSE writeback cache flushes cached times of an inode after its unlink
        stack(1);
        put(lower, R, "gone", "lower data");
        u = st.open();
        long f = ino("gone");
        u.unlink(ROOT, R, Name.of("gone"));
        SetAttr times = new SetAttr(SetAttr.MTIME | SetAttr.CTIME, 0, 0, 0, 0, 0, 1_000_000_000L, 1_000_000_000L, -1);
        u.setattr(ROOT, f, times);
        expect(Errno.ENOENT, () -> u.setattr(ROOT, f, SetAttr.mode(0600)));
        assertFalse(exists(u, R, "gone"));
        assertTrue(exists(lower, R, "gone"), "the lower never changes");
    }

    @Test
    void everyKindOfChangeCopiesUp() throws Exception {
        stack(1);
        for (String n : List.of("chmod", "setx", "rmx", "link", "trunc")) put(lower, R, n, "content of " + n);
        lower.setxattr(ROOT, find(lower, R, "rmx").ino(), XattrName.of("user.x"), "1".getBytes(), 0);
        lower.symlink(ROOT, R, Name.of("sym"), "target".getBytes());
        u = st.open();
        u.setattr(ROOT, ino("chmod"), SetAttr.mode(0600));
        assertEquals(0600, upperAttr("chmod").mode() & 07777);
        u.setxattr(ROOT, ino("setx"), XattrName.of("user.y"), "2".getBytes(), 0);
        assertTrue(upperHas("setx"));
        u.removexattr(ROOT, ino("rmx"), XattrName.of("user.x"));
        assertTrue(upperHas("rmx"));
        expect(Errno.ENODATA, () -> u.getxattr(ROOT, ino("rmx"), XattrName.of("user.x")));
        Entry l = u.link(ROOT, ino("link"), R, Name.of("link2"));
        assertEquals(ino("link"), l.ino(), "a hard link to a lower file is the same union inode");
        assertEquals(2, l.attr().nlink());
        assertEquals(find(st.upperFs, st.upperDir, "link").ino(), find(st.upperFs, st.upperDir, "link2").ino());
        long t = ino("trunc");
        Opened o = u.open(ROOT, t, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC);
        u.release(t, o.fh(), OpenFlags.O_WRONLY);
        assertEquals("", text("trunc"));
        assertEquals("content of trunc", read(lower, find(lower, R, "trunc").ino()));
        u.setattr(ROOT, ino("sym"), SetAttr.owner(1000, 1000));
        assertArrayEquals("target".getBytes(), u.readlink(ROOT, ino("sym")));
        assertEquals(1000, upperAttr("sym").uid());
        assertEquals(List.of(), workLeftovers());
    }

    // ---- removal ----

    @Test
    void unlinkLeavesWhiteoutsOnlyWhereNeeded() throws Exception {
        stack(1);
        put(lower, R, "lowerfile", "x");
        put(lower, R, "copied", "x");
        u = st.open();
        u.setattr(ROOT, ino("copied"), SetAttr.mode(0600));
        Created cr = u.create(ROOT, R, Name.of("mine"), S_IFREG | 0644, OpenFlags.O_RDWR, 0);
        u.release(cr.entry().ino(), cr.opened().fh(), OpenFlags.O_RDWR);
        for (String n : List.of("lowerfile", "copied", "mine")) u.unlink(ROOT, R, Name.of(n));
        assertTrue(isUpperWhiteout("lowerfile"));
        assertTrue(isUpperWhiteout("copied"));
        assertFalse(upperHas("mine"), "no lower entry: no whiteout");
        assertEquals(List.of(), list(u, R));
        assertTrue(exists(lower, R, "lowerfile"), "the lower never changes");
        // a removed lower file that is still referenced reports no links
        assertEquals(0, u.getattr(ROOT, cr.entry().ino(), -1).attr().nlink());
    }

    @Test
    void whiteoutAlwaysLeavesOneEvenWithoutLower() throws Exception {
        stack(1);
        u = st.open(st.options().withWhiteouts(WhiteoutMode.ALWAYS));
        Created cr = u.create(ROOT, R, Name.of("mine"), S_IFREG | 0644, OpenFlags.O_RDWR, 0);
        u.release(cr.entry().ino(), cr.opened().fh(), OpenFlags.O_RDWR);
        u.unlink(ROOT, R, Name.of("mine"));
        assertTrue(isUpperWhiteout("mine"));
    }

    @Test
    void rmdirChecksEveryLayerAndRemovesTheUppersWhiteouts() throws Exception {
        stack(2);
        put(lower, R, "d/a", "1");
        put(lower2, R, "d/b", "2");
        u = st.open();
        long d = ino("d");
        expect(Errno.ENOTEMPTY, () -> u.rmdir(ROOT, R, Name.of("d")));
        u.unlink(ROOT, d, Name.of("a"));
        expect(Errno.ENOTEMPTY, () -> u.rmdir(ROOT, R, Name.of("d")));
        u.unlink(ROOT, d, Name.of("b"));
        assertTrue(isUpperWhiteout("d/a") && isUpperWhiteout("d/b"));
        assertEquals(List.of(), list(u, d));
        u.rmdir(ROOT, R, Name.of("d"));
        assertTrue(isUpperWhiteout("d"), "the merged dir became a whiteout");
        expect(Errno.ENOENT, () -> at("d"));
        assertEquals(List.of(), list(u, R));
        assertEquals(List.of(), workLeftovers());
    }

    @Test
    void newDirectoryOverAWhiteoutIsOpaque() throws Exception {
        stack(1);
        put(lower, R, "d/old", "lower");
        u = st.open();
        u.unlink(ROOT, ino("d"), Name.of("old"));
        u.rmdir(ROOT, R, Name.of("d"));
        Entry nd = u.mkdir(ROOT, R, Name.of("d"), S_IFDIR | 0700, 0);
        assertEquals(List.of(), list(u, nd.ino()));
        long ud = find(st.upperFs, st.upperDir, "d").ino();
        assertArrayEquals("y".getBytes(), st.upperFs.getxattr(ROOT, ud, OPAQUE));
        assertEquals(0700, upperAttr("d").mode() & 07777);
        expect(Errno.ENODATA, () -> u.getxattr(ROOT, nd.ino(), OPAQUE)); // the overlay's own xattrs stay hidden
        assertFalse(u.listxattr(ROOT, nd.ino()).contains(OPAQUE));
        expect(Errno.EPERM, () -> u.setxattr(ROOT, nd.ino(), OPAQUE, "y".getBytes(), 0));
    }

    // ---- rename ----

    @Test
    void renameOfLowerFileLeavesAWhiteout() throws Exception {
        stack(1);
        put(lower, R, "src", "data");
        put(lower, R, "dst", "old");
        u = st.open();
        long stIno = at("src").attr().ino();
        u.rename(ROOT, R, Name.of("src"), R, Name.of("dst"), 0);
        assertEquals("data", text("dst"));
        assertEquals(stIno, at("dst").attr().ino());
        expect(Errno.ENOENT, () -> at("src"));
        assertTrue(isUpperWhiteout("src"));
        assertEquals(List.of("dst"), list(u, R));
        put(lower, R, "other", "lower only");
        expect(Errno.EEXIST, () -> u.rename(ROOT, R, Name.of("dst"), R, Name.of("other"), FileSystem.RENAME_NOREPLACE));
        u.rename(ROOT, R, Name.of("dst"), R, Name.of("other"), 0);
        assertEquals("data", text("other"));
        assertTrue(isUpperWhiteout("dst"), "dst had a lower entry too");
    }

    @Test
    void renameOfMergedDirectoryIsExdevWithoutRedirectsAndUpperDirsMove() throws Exception {
        stack(1);
        put(lower, R, "merged/f", "x");
        put(lower, R, "taken/f", "lower contents under the target name");
        u = st.open(st.options().withRedirects(RedirectMode.FOLLOW)); // follow only: no redirects made
        expect(Errno.EXDEV, () -> u.rename(ROOT, R, Name.of("merged"), R, Name.of("m2"), 0));
        assertFalse(upperHas("merged"), "EXDEV before any copy-up, as the kernel");
        Entry nd = u.mkdir(ROOT, R, Name.of("fresh"), S_IFDIR | 0755, 0);
        put(u, nd.ino(), "inner", "mine");
        u.rename(ROOT, R, Name.of("fresh"), R, Name.of("moved"), 0);
        assertEquals("mine", text("moved/inner"));
        assertFalse(upperHas("fresh"), "no lower had the old name: no whiteout");
        // onto a name whose lower dir must stay hidden
        u.unlink(ROOT, ino("taken"), Name.of("f"));
        u.rmdir(ROOT, R, Name.of("taken"));
        u.rename(ROOT, R, Name.of("moved"), R, Name.of("taken"), 0);
        assertEquals(List.of("inner"), list(u, ino("taken")), "the moved dir is opaque over the lower one");
        long ud = find(st.upperFs, st.upperDir, "taken").ino();
        assertArrayEquals("y".getBytes(), st.upperFs.getxattr(ROOT, ud, OPAQUE));
    }

    @Test
    void renameOverAnAncestorIsNotEmptyAndRenameIntoADescendantIsInvalid() throws Exception {
        stack(1);
        u = st.open();
        Entry a = u.mkdir(ROOT, R, Name.of("a"), S_IFDIR | 0755, 0);
        Entry b = u.mkdir(ROOT, a.ino(), Name.of("b"), S_IFDIR | 0755, 0);
        Entry c = u.mkdir(ROOT, b.ino(), Name.of("c"), S_IFDIR | 0755, 0);
        Entry d = u.mkdir(ROOT, c.ino(), Name.of("d"), S_IFDIR | 0755, 0);
        expect(Errno.ENOTEMPTY, () -> u.rename(ROOT, c.ino(), Name.of("d"), a.ino(), Name.of("b"), 0));
        expect(Errno.ENOTEMPTY, () -> u.rename(ROOT, c.ino(), Name.of("d"), b.ino(), Name.of("c"), 0));
        expect(Errno.EINVAL, () -> u.rename(ROOT, R, Name.of("a"), d.ino(), Name.of("x"), 0));
        u.rename(ROOT, c.ino(), Name.of("d"), R, Name.of("d"), 0);
        assertEquals(Set.of("a", "d"), new HashSet<>(list(u, R)));
        assertEquals(R, u.lookup(ROOT, d.ino(), Name.DOTDOT).ino());
    }

    // ---- readdir ----

    @Test
    void readdirSnapshotsHaveStableCookiesAndReaddirplusGivesEntries() throws Exception {
        stack(1);
        for (int i = 0; i < 20; i++) put(lower, R, "d/l" + i, "x");
        u = st.open();
        long d = ino("d");
        for (int i = 0; i < 10; i++) put(u, d, "u" + i, "y");
        Opened o = u.opendir(ROOT, d, 0);
        List<String> got = new ArrayList<>();
        long cookie = 0;
        while (true) {
            long[] next = {-1};
            u.readdir(ROOT, d, o.fh(), cookie, (n, i, t, c) -> {
                if (got.size() % 5 == 4 && next[0] >= 0) return false;
                got.add(n.toString());
                next[0] = c;
                return true;
            });
            if (next[0] < 0) break;
            cookie = next[0];
            put(u, d, "new" + cookie, "churn"); // changes between chunks do not disturb the snapshot
            if (cookie < 20) u.unlink(ROOT, d, Name.of("l" + cookie));
        }
        u.releasedir(d, o.fh());
        assertEquals(32, got.size(), got.toString());
        assertEquals(32, new HashSet<>(got).size(), "every name once");
        assertTrue(got.indexOf("u0") < got.indexOf("l0"), "upper names first");
        Opened p = u.opendir(ROOT, d, 0);
        List<Entry> entries = new ArrayList<>();
        u.readdirplus(ROOT, d, p.fh(), 0, (n, i, t, c, e) -> {
            if (e != null) {
                assertEquals(i, e.ino());
                entries.add(e);
            }
            return true;
        });
        u.releasedir(d, p.fh());
        assertFalse(entries.isEmpty());
        for (Entry e : entries) u.forget(e.ino(), 1);
    }

    @Test
    void theWorkDirIsHiddenWhenItLivesInTheUpper() throws Exception {
        stack(1);
        put(lower, R, "f", "x");
        long work = Stack.mkdirs(st.upperFs, st.upperDir, "w");
        u = st.open(UnionOptions.of(List.of(UnionLayer.of(lower)), new UnionLayer(st.upperFs, st.upperDir),
                new UnionLayer(st.upperFs, work)));
        assertEquals(List.of("f"), list(u, R));
        expect(Errno.ENOENT, () -> at("w"));
        u.setattr(ROOT, ino("f"), SetAttr.mode(0600));
        assertEquals(List.of("f"), list(u, R));
    }

    // ---- permissions and ownership ----

    @Test
    void theUnionChecksTheRealCallerAndCreatesWithTheirIdentity() throws Exception {
        stack(1);
        put(lower, R, "rootfile", "secret".getBytes(), 0600);
        Stack.mkdirs(lower, R, "pub");
        lower.setattr(ROOT, find(lower, R, "pub").ino(), SetAttr.mode(0777));
        u = st.open();
        expect(Errno.EACCES, () -> u.open(ALICE, ino("rootfile"), OpenFlags.O_RDONLY));
        expect(Errno.EACCES, () -> u.open(ALICE, ino("rootfile"), OpenFlags.O_WRONLY));
        expect(Errno.EPERM, () -> u.setattr(ALICE, ino("rootfile"), SetAttr.mode(0666)));
        assertFalse(upperHas("rootfile"), "a refused change copies nothing up");
        expect(Errno.EACCES, () -> u.mkdir(ALICE, R, Name.of("nope"), S_IFDIR | 0755, 0));
        Created cr = u.create(ALICE, ino("pub"), Name.of("hers"), S_IFREG | 0640, OpenFlags.O_RDWR, 022);
        u.release(cr.entry().ino(), cr.opened().fh(), OpenFlags.O_RDWR);
        assertEquals(1000, cr.entry().attr().uid());
        Attr a = upperAttr("pub/hers");
        assertEquals(1000, a.uid());
        assertEquals(1000, a.gid());
        assertEquals(0640, a.mode() & 07777);
        Entry sub = u.mkdir(ALICE, ino("pub"), Name.of("sub"), S_IFDIR | 0777, 022);
        assertEquals(0755, upperAttr("pub/sub").mode() & 07777);
        assertEquals(1000, upperAttr("pub/sub").uid());
        assertEquals(0777, upperAttr("pub").mode() & 07777, "the copied-up parent keeps its mode");
        assertEquals(0, upperAttr("pub").uid());
        u.forget(sub.ino(), 1);
        u.forget(cr.entry().ino(), 1);
        assertEquals(List.of(), workLeftovers());
    }

    @Test
    void mknodOfAWhiteoutIsRefused() throws Exception {
        stack(1);
        u = st.open();
        expect(Errno.EPERM, () -> u.mknod(ROOT, R, Name.of("w"), S_IFCHR, 0, 0));
        expect(Errno.EPERM, () -> u.mknod(ALICE, R, Name.of("dev"), S_IFCHR, 0x0103, 0));
    }

    // ---- references and lifetime ----

    @Test
    void layerReferencesLiveAsLongAsTheUnionNode() throws Exception {
        stack(1);
        long lf = put(lower, R, "d/f", "x");
        u = st.open();
        Entry d = u.lookup(ROOT, R, Name.of("d"));
        Entry f = u.lookup(ROOT, d.ino(), Name.of("f"));
        assertEquals(1, st.union.heldOn(lower, lf));
        assertEquals(3, st.union.liveNodes());
        u.forget(d.ino(), 1);
        assertEquals(3, st.union.liveNodes(), "the child pins its parent");
        u.forget(f.ino(), 1);
        assertEquals(1, st.union.liveNodes(), "only the root is left");
        assertEquals(0, st.union.heldOn(lower, lf));
        expect(Errno.ESTALE, () -> u.getattr(ROOT, f.ino(), -1));
    }

    @Test
    void twoUnionsShareALayerAndCloseIndependently() throws Exception {
        stack(1);
        long lf = put(lower, R, "f", "shared");
        u = st.open();
        UnionFileSystem other = UnionFileSystem.open(UnionOptions.readOnly(List.of(UnionLayer.of(lower))));
        try {
            Entry a = u.lookup(ROOT, R, Name.of("f"));
            Entry b = other.lookup(ROOT, R, Name.of("f"));
            assertEquals(1, st.union.heldOn(lower, lf));
            assertEquals(1, other.heldOn(lower, lf));
            st.union.close();
            expect(Errno.ENOTCONN, () -> u.getattr(ROOT, a.ino(), -1));
            assertEquals("shared", read(other, b.ino()), "the other union still works");
            assertEquals(0, st.union.heldOn(lower, lf));
        } finally {
            other.close();
        }
        assertEquals(List.of("f"), list(lower, R), "closing unions never closes layers");
    }

    @Test
    void leftoversInTheWorkDirAreCleanedAtOpen() throws Exception {
        stack(1);
        long w = Stack.mkdirs(st.upperFs, st.workDir, "work");
        put(st.upperFs, w, "#half-copied", "junk");
        put(st.upperFs, w, "#dir/inner", "junk");
        u = st.open();
        assertEquals(List.of(), workLeftovers());
    }

    @Test
    void statfsComesFromTheUpper() throws Exception {
        stack(1);
        u = st.open();
        assertEquals(st.upperFs.statfs(ROOT, R), u.statfs(ROOT, R));
    }

    @Test
    void unsupportedCopyModesAreRefusedPlainly() throws Exception {
        stack(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UnionFileSystem.open(st.options().withCopyMode(CopyMode.MASQUERADE)));
        assertTrue(e.getMessage().contains("not implemented"));
        assertNull(st.union);
        assertNotEquals(CopyMode.TRANSPARENT, CopyMode.parse("traditional"));
    }
}
