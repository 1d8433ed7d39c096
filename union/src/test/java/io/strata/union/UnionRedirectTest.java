package io.strata.union;

import static io.strata.core.FileType.S_IFCHR;
import static io.strata.core.FileType.S_IFDIR;
import static io.strata.core.FileType.S_IFREG;
import static io.strata.union.Stack.ROOT;
import static io.strata.union.Stack.find;
import static io.strata.union.Stack.list;
import static io.strata.union.Stack.put;
import static io.strata.union.Stack.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Attr;
import io.strata.core.Created;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.XattrName;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** redirect_dir: renames of lower and merged directories, over memory layers, checked in the raw upper too. */
class UnionRedirectTest {
    static final long R = FileSystem.ROOT;
    static final XattrName REDIRECT = XattrName.of("trusted.overlay.redirect");
    static final XattrName OPAQUE = XattrName.of("trusted.overlay.opaque");

    Stack st;
    UnionFileSystem u;
    FileSystem lower;

    void stack(int lowers) throws FsException {
        st = new Stack(lowers);
        lower = st.lowers.get(0);
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

    long ino(String path) throws FsException {
        return find(u, R, path).ino();
    }

    long stIno(String path) throws FsException {
        return find(u, R, path).attr().ino();
    }

    String text(String path) throws FsException {
        return read(u, ino(path));
    }

    void mv(String from, String to) throws FsException {
        u.rename(ROOT, parent(from), Name.of(Stack.leaf(from)), parent(to), Name.of(Stack.leaf(to)), 0);
    }

    long parent(String path) throws FsException {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? R : ino(path.substring(0, slash));
    }

    String redirect(String upperPath) throws FsException {
        try {
            return new String(st.upperFs.getxattr(ROOT, find(st.upperFs, st.upperDir, upperPath).ino(), REDIRECT));
        } catch (FsException e) {
            if (e.errno() == Errno.ENODATA) return null;
            throw e;
        }
    }

    boolean isUpperWhiteout(String path) throws FsException {
        Attr a = find(st.upperFs, st.upperDir, path).attr();
        return (a.mode() & 0170000) == S_IFCHR && a.rdev() == 0;
    }

    /** A second union over the same layers (as after a remount): what the format alone says. */
    Map<String, String> reopened() throws FsException {
        try (UnionFileSystem again = UnionFileSystem.open(st.options())) {
            return Tree.of(again);
        }
    }

    void fillLower() throws FsException {
        put(lower, R, "a/f", "f of a");
        put(lower, R, "a/sub/g", "g of a/sub");
        put(lower, R, "x/y/h", "h of x/y");
        Stack.mkdirs(lower, R, "z");
    }

    @Test
    void renameWithinTheParentWritesTheOldNameAndKeepsTheMergedContents() throws Exception {
        stack(1);
        fillLower();
        u = st.open();
        long before = stIno("a"), subBefore = stIno("a/sub");
        mv("/a", "/b");
        assertEquals(List.of("f", "sub"), list(u, ino("b")));
        assertEquals("f of a", text("b/f"));
        assertEquals("g of a/sub", text("b/sub/g"));
        assertEquals(before, stIno("b"), "the directory keeps its inode number");
        assertEquals(subBefore, stIno("b/sub"));
        expect(Errno.ENOENT, () -> ino("a"));
        assertEquals("a", redirect("b"));
        assertTrue(isUpperWhiteout("a"), "the lower a stays hidden at its old name");
        assertFalse(Stack.exists(st.upperFs, st.upperDir, "b/f"), "only the directory itself is copied up");
        assertFalse(list(u, R).contains("a"));
        Map<String, String> tree = Tree.of(u);
        assertEquals(tree, reopened());
        try (UnionFileSystem again = UnionFileSystem.open(st.options())) {
            assertEquals(before, find(again, R, "b").attr().ino(), "the number survives a remount");
        }
        assertEquals(List.of("a", "x", "z"), list(lower, R), "the lower is untouched");
    }

    @Test
    void renameToAnotherParentWritesTheAbsoluteLowerPath() throws Exception {
        stack(1);
        fillLower();
        u = st.open();
        long before = stIno("x/y");
        mv("/x/y", "/z/w");
        assertEquals("/x/y", redirect("z/w"));
        assertTrue(isUpperWhiteout("x/y"));
        assertEquals("h of x/y", text("z/w/h"));
        assertEquals(before, stIno("z/w"));
        assertEquals(List.of(), list(u, ino("x")));
        assertEquals(Tree.of(u), reopened());
    }

    @Test
    void nestedMovesComposeRedirectsFromTheAncestors() throws Exception {
        stack(1);
        fillLower();
        u = st.open();
        mv("/a", "/A");                 // relative: "a"
        mv("/A/sub", "/S");             // built from A's redirect: "/a/sub"
        assertEquals("a", redirect("A"));
        assertEquals("/a/sub", redirect("S"));
        assertEquals("g of a/sub", text("S/g"));
        mv("/A", "/z/A2");              // A had a relative redirect: moving it elsewhere makes it absolute
        assertEquals("/a", redirect("z/A2"));
        mv("/S", "/z/A2/S2");           // already absolute: kept
        assertEquals("/a/sub", redirect("z/A2/S2"));
        mv("/z/A2/S2", "/z/A2/S3");     // same directory, absolute: kept
        assertEquals("/a/sub", redirect("z/A2/S3"));
        assertEquals(List.of("S3", "f"), sorted(list(u, ino("z/A2"))));
        assertEquals("g of a/sub", text("z/A2/S3/g"));
        Map<String, String> tree = Tree.of(u);
        assertEquals(tree, reopened());
        assertFalse(tree.containsKey("/a"));
        assertFalse(tree.containsKey("/A"));
        assertFalse(tree.containsKey("/z/A2/sub"), "sub moved away from under A2");
    }

    @Test
    void moveThenChangeTheChildren() throws Exception {
        stack(1);
        fillLower();
        u = st.open();
        mv("/a", "/z/b");
        long f = ino("z/b/f");
        io.strata.core.Opened o = u.open(ROOT, f, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC);
        u.write(ROOT, f, o.fh(), 0, ByteBuffer.wrap("changed".getBytes()), 0);
        u.release(f, o.fh(), OpenFlags.O_WRONLY);
        u.unlink(ROOT, ino("z/b/sub"), Name.of("g"));
        Created cr = u.create(ROOT, ino("z/b"), Name.of("new"), S_IFREG | 0644, OpenFlags.O_RDWR, 0);
        u.release(cr.entry().ino(), cr.opened().fh(), OpenFlags.O_RDWR);
        u.mkdir(ROOT, ino("z/b/sub"), Name.of("d"), S_IFDIR | 0755, 0);
        assertEquals("changed", text("z/b/f"));
        assertEquals(List.of("f", "new", "sub"), sorted(list(u, ino("z/b"))));
        assertEquals(List.of("d"), list(u, ino("z/b/sub")));
        assertEquals("f of a", read(lower, find(lower, R, "a/f").ino()), "the lower is untouched");
        assertEquals(Tree.of(u), reopened());
    }

    @Test
    void moveBackRestoresTheOriginalView() throws Exception {
        stack(1);
        fillLower();
        u = st.open();
        Map<String, String> original = Tree.of(u);
        mv("/a", "/b");
        mv("/b", "/a");
        assertEquals(original, Tree.of(u));
        mv("/x/y", "/z/y");
        mv("/z/y", "/x/y");
        assertEquals(original, Tree.of(u));
        assertEquals(original, reopened());
    }

    @Test
    void renameOverAnEmptyDirectoryDoesNotMergeWithIt() throws Exception {
        stack(1);
        fillLower();
        put(lower, R, "z/leftover", "deleted through the union");
        u = st.open();
        u.unlink(ROOT, ino("z"), Name.of("leftover")); // z is empty in the union, not in the lower
        mv("/a", "/z");
        assertEquals(List.of("f", "sub"), sorted(list(u, ino("z"))));
        assertEquals("a", redirect("z"));
        expect(Errno.ENOENT, () -> ino("z/leftover"));
        assertEquals(Tree.of(u), reopened());
        // over a non-empty directory: ENOTEMPTY, nothing moved
        expect(Errno.ENOTEMPTY, () -> mv("/x", "/z"));
    }

    @Test
    void rmdirOfAMovedDirectory() throws Exception {
        stack(1);
        fillLower();
        u = st.open();
        mv("/a", "/z/b");
        expect(Errno.ENOTEMPTY, () -> u.rmdir(ROOT, ino("z"), Name.of("b")));
        u.unlink(ROOT, ino("z/b"), Name.of("f"));
        u.unlink(ROOT, ino("z/b/sub"), Name.of("g"));
        u.rmdir(ROOT, ino("z/b"), Name.of("sub"));
        assertEquals(List.of(), list(u, ino("z/b")));
        u.rmdir(ROOT, ino("z"), Name.of("b"));
        expect(Errno.ENOENT, () -> ino("z/b"));
        expect(Errno.ENOENT, () -> ino("a"));
        assertEquals(List.of(), list(u, ino("z")));
        Map<String, String> tree = Tree.of(u);
        assertEquals(tree, reopened());
        assertFalse(tree.keySet().stream().anyMatch(k -> k.startsWith("/a")), tree.toString());
        // a fresh directory at the moved one's name is empty
        u.mkdir(ROOT, ino("z"), Name.of("b"), S_IFDIR | 0755, 0);
        assertEquals(List.of(), list(u, ino("z/b")));
    }

    @Test
    void redirectModes() throws Exception {
        stack(1);
        fillLower();
        u = st.open();
        mv("/a", "/b");
        u.close();
        u = st.open(st.options().withRedirects(RedirectMode.FOLLOW));
        assertEquals("f of a", text("b/f"), "follow: followed");
        expect(Errno.EXDEV, () -> mv("/x", "/x2"));
        u.close();
        u = st.open(st.options().withRedirects(RedirectMode.OFF));
        assertEquals("f of a", text("b/f"), "off: followed (the kernel's redirect_always_follow default)");
        expect(Errno.EXDEV, () -> mv("/b", "/b2"));
        u.close();
        u = st.open(st.options().withRedirects(RedirectMode.NOFOLLOW));
        expect(Errno.EPERM, () -> ino("b"));
        assertEquals("h of x/y", text("x/y/h"));
        assertEquals(RedirectMode.ON, st.options().redirects(), "the union's default");
        assertEquals(RedirectMode.NOFOLLOW, RedirectMode.parse("nofollow"));
        assertThrows(IllegalArgumentException.class, () -> RedirectMode.parse("sideways"));
    }

    @Test
    void redirectsInLowerLayersAreFollowed() throws Exception {
        stack(3);
        FileSystem l1 = st.lowers.get(0), l2 = st.lowers.get(1), l3 = st.lowers.get(2);
        // l1 was once an upper: its "b" came from "a" below, its "q/c" from "/p/c"
        Stack.mkdirs(l1, R, "b");
        put(l1, R, "b/top", "from l1");
        l1.setxattr(ROOT, find(l1, R, "b").ino(), REDIRECT, "a".getBytes(), 0);
        put(l2, R, "a/mid", "from l2");
        put(l3, R, "a/bottom", "from l3");
        put(l3, R, "b/never", "the old b of l3 is not merged: b came from a");
        Stack.mkdirs(l1, R, "q/c");
        l1.setxattr(ROOT, find(l1, R, "q/c").ino(), REDIRECT, "/p/c".getBytes(), 0);
        put(l3, R, "p/c/deep", "from l3 p/c");
        u = st.open();
        assertEquals(List.of("bottom", "mid", "top"), sorted(list(u, ino("b"))));
        assertEquals(List.of("deep"), list(u, ino("q/c")));
        assertEquals("from l3 p/c", text("q/c/deep"));
        // an invalid value: EINVAL for the lookup, as the kernel
        Stack.mkdirs(l1, R, "bad");
        l1.setxattr(ROOT, find(l1, R, "bad").ino(), REDIRECT, "a/b".getBytes(), 0);
        expect(Errno.EINVAL, () -> ino("bad"));
    }

    @Test
    void theOverlayXattrsStayHidden() throws Exception {
        stack(1);
        fillLower();
        u = st.open();
        mv("/a", "/b");
        expect(Errno.ENODATA, () -> u.getxattr(ROOT, ino("b"), REDIRECT));
        assertFalse(u.listxattr(ROOT, ino("b")).contains(REDIRECT));
        assertArrayEquals("a".getBytes(), st.upperFs.getxattr(ROOT, find(st.upperFs, st.upperDir, "b").ino(), REDIRECT));
        expect(Errno.ENODATA, () -> st.upperFs.getxattr(ROOT, find(st.upperFs, st.upperDir, "b").ino(), OPAQUE));
    }

    static List<String> sorted(List<String> l) {
        return l.stream().sorted().toList();
    }
}
