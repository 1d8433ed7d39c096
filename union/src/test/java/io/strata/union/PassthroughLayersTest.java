package io.strata.union;

import static io.strata.core.FileType.S_IFDIR;
import static io.strata.core.FileType.S_IFREG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.passthrough.PassthroughFileSystem;
import io.strata.passthrough.PassthroughOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Host directories as layers: a passthrough lower, and one passthrough rooted at the common parent
 * of upper/ and work/ (as the CLI will do). After changes through the union, the upper directory
 * is checked in its raw on-disk format (stat, getfattr) and, where this machine can mount a kernel
 * overlay, the kernel's view of the same lower+upper must equal the Strata view.
 */
class PassthroughLayersTest {
    static final Caller ROOT = Caller.ROOT;
    static final long R = FileSystem.ROOT;

    Path base, lower, rw, upper, work;
    PassthroughFileSystem lowerFs, rwFs;
    UnionFileSystem u;

    @BeforeEach
    void layers() throws Exception {
        assumeTrue(io.strata.sys.Libc.geteuid() == 0, "whiteouts (0/0 devices) and trusted.* xattrs need root");
        base = Files.createTempDirectory(Path.of("/tmp"), "strata-union");
        lower = Files.createDirectories(base.resolve("lower"));
        rw = Files.createDirectories(base.resolve("rw"));
        upper = Files.createDirectories(rw.resolve("upper"));
        work = Files.createDirectories(rw.resolve("work"));
        Files.writeString(lower.resolve("edit"), "lower text\n");
        Files.writeString(lower.resolve("gone"), "to be removed\n");
        Files.createDirectories(lower.resolve("dir/sub"));
        Files.writeString(lower.resolve("dir/keep"), "kept\n");
        Files.writeString(lower.resolve("dir/move"), "moved\n");
        Files.writeString(lower.resolve("dir/sub/deep"), "deep\n");
        Files.createDirectories(lower.resolve("emptied"));
        Files.writeString(lower.resolve("emptied/only"), "x\n");
        Files.createSymbolicLink(lower.resolve("link"), Path.of("dir/keep"));
        try (FileChannel ch = FileChannel.open(lower.resolve("sparse"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("head".getBytes()), 0);
            ch.write(ByteBuffer.wrap("tail".getBytes()), 32L << 20);
        }
        Tree.run("chown", "1000:1000", lower.resolve("edit").toString());
        Tree.run("chmod", "0640", lower.resolve("edit").toString());
        Tree.run("setfattr", "-n", "user.color", "-v", "blue", lower.resolve("edit").toString());
        lowerFs = PassthroughFileSystem.open(lower, PassthroughOptions.defaults().withReadOnly(true));
        rwFs = PassthroughFileSystem.open(rw, PassthroughOptions.defaults());
        long up = rwFs.lookup(ROOT, R, Name.of("upper")).ino();
        long wk = rwFs.lookup(ROOT, R, Name.of("work")).ino();
        u = UnionFileSystem.open(UnionOptions.of(List.of(UnionLayer.of(lowerFs)), new UnionLayer(rwFs, up),
                new UnionLayer(rwFs, wk)));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (u != null) u.close();
        if (rwFs != null) rwFs.close();
        if (lowerFs != null) lowerFs.close();
        if (base != null) {
            Tree.run("umount", base.resolve("mnt").toString());
            Tree.deleteTree(base);
        }
    }

    long ino(String path) throws Exception {
        return Stack.find(u, R, path).ino();
    }

    @Test
    void upperIsKernelOverlayFormatAndTheKernelSeesTheSameTree() throws Exception {
        long edit = ino("edit");
        long stBefore = u.getattr(ROOT, edit, -1).attr().ino();
        Opened o = u.open(ROOT, edit, OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        u.write(ROOT, edit, o.fh(), 11, ByteBuffer.wrap("appended\n".getBytes()), 0);
        u.release(edit, o.fh(), OpenFlags.O_WRONLY);
        assertEquals(stBefore, u.getattr(ROOT, edit, -1).attr().ino());
        u.unlink(ROOT, R, Name.of("gone"));
        u.unlink(ROOT, ino("emptied"), Name.of("only"));
        u.rmdir(ROOT, R, Name.of("emptied"));
        Entry again = u.mkdir(ROOT, R, Name.of("emptied"), S_IFDIR | 0755, 0);
        Created cr = u.create(ROOT, again.ino(), Name.of("fresh"), S_IFREG | 0600, OpenFlags.O_RDWR, 0);
        u.write(ROOT, cr.entry().ino(), cr.opened().fh(), 0, ByteBuffer.wrap("new\n".getBytes()), 0);
        u.release(cr.entry().ino(), cr.opened().fh(), OpenFlags.O_RDWR);
        u.rename(ROOT, ino("dir"), Name.of("move"), R, Name.of("moved"), 0);
        u.setattr(ROOT, ino("sparse"), SetAttr.mode(0600));
        u.setattr(ROOT, ino("link"), SetAttr.owner(1000, 1000));
        Map<String, String> strata = Tree.of(u);
        assertFalse(strata.containsKey("/gone"));
        assertEquals(List.of("fresh"), Stack.list(u, again.ino()));

        // the raw upper: kernel overlayfs format
        assertEquals("character special file:0,0", stat("%F:%t,%T", "gone"));
        assertEquals("character special file:0,0", stat("%F:%t,%T", "dir/move"));
        assertEquals("directory", stat("%F", "emptied"));
        assertEquals("y", xattr("emptied", "trusted.overlay.opaque"));
        assertEquals("", xattr("dir", "trusted.overlay.opaque"), "a copied-up parent merges: not opaque");
        assertEquals("1000:1000:640", stat("%u:%g:%a", "edit"));
        assertEquals("blue", xattr("edit", "user.color"));
        assertEquals("lower text\nappended\n", Files.readString(upper.resolve("edit")));
        assertEquals("lower text\n", Files.readString(lower.resolve("edit")), "the lower is untouched");
        long blocks = Long.parseLong(stat("%b", "sparse"));
        assertTrue(blocks < 2048, "the copied-up sparse file keeps its holes: " + blocks + " blocks");
        assertEquals("symbolic link:1000", stat("%F:%u", "link"));
        assertEquals(List.of(), Tree.lines(Tree.run("ls", "-A", work.resolve("work").toString()).out()),
                "nothing is left in the work dir");

        // the kernel's overlay over the same directories shows the same tree
        u.close();
        u = null;
        Path mnt = Files.createDirectories(base.resolve("mnt"));
        Tree.Result m = Tree.run("mount", "-t", "overlay", "overlay", "-o",
                "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work, mnt.toString());
        assumeTrue(m.code() == 0, "no kernel overlay here: " + m.out());
        try {
            assertEquals(strata, Tree.of(mnt));
        } finally {
            Tree.run("umount", mnt.toString());
        }
    }

    @Test
    void whatTheKernelWritesStrataReads() throws Exception {
        u.close();
        u = null;
        Path mnt = Files.createDirectories(base.resolve("mnt"));
        Tree.Result m = Tree.run("mount", "-t", "overlay", "overlay", "-o",
                "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work, mnt.toString());
        assumeTrue(m.code() == 0, "no kernel overlay here: " + m.out());
        Map<String, String> kernel;
        try {
            Files.delete(mnt.resolve("gone"));
            Files.delete(mnt.resolve("emptied/only"));
            Files.delete(mnt.resolve("emptied"));
            Files.createDirectory(mnt.resolve("emptied"));
            Files.writeString(mnt.resolve("emptied/k"), "kernel\n");
            Files.writeString(mnt.resolve("edit"), "rewritten\n", StandardOpenOption.APPEND);
            Files.delete(mnt.resolve("dir/sub/deep"));
            kernel = Tree.of(mnt);
        } finally {
            Tree.run("umount", mnt.toString());
        }
        long up = rwFs.lookup(ROOT, R, Name.of("upper")).ino();
        long wk = rwFs.lookup(ROOT, R, Name.of("work")).ino();
        u = UnionFileSystem.open(UnionOptions.of(List.of(UnionLayer.of(lowerFs)), new UnionLayer(rwFs, up),
                new UnionLayer(rwFs, wk)));
        assertEquals(kernel, Tree.of(u));
    }

    /** Mounts the kernel overlay on lower/upper with {@code redirect_dir=on}; false if it cannot. */
    private boolean kernelMount(Path mnt) throws Exception {
        Tree.Result m = Tree.run("mount", "-t", "overlay", "overlay", "-o",
                "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work + ",redirect_dir=on", mnt.toString());
        return m.code() == 0;
    }

    @Test
    void directoriesStrataMovedByRedirectLookTheSameUnderTheKernel() throws Exception {
        long dirIno = u.getattr(ROOT, ino("dir"), -1).attr().ino();
        u.rename(ROOT, R, Name.of("dir"), R, Name.of("renamed"), 0);                 // relative redirect
        u.rename(ROOT, ino("renamed"), Name.of("sub"), ino("emptied"), Name.of("sub2"), 0); // absolute, into a merged dir
        Opened o = u.open(ROOT, ino("renamed/keep"), OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        u.write(ROOT, ino("renamed/keep"), o.fh(), 5, ByteBuffer.wrap("more\n".getBytes()), 0);
        u.release(ino("renamed/keep"), o.fh(), OpenFlags.O_WRONLY);
        u.unlink(ROOT, ino("renamed"), Name.of("move"));
        u.mkdir(ROOT, ino("emptied/sub2"), Name.of("made"), S_IFDIR | 0755, 0);
        u.rename(ROOT, R, Name.of("emptied"), R, Name.of("e2"), 0);                  // a parent of a redirected dir moves
        assertEquals(dirIno, u.getattr(ROOT, ino("renamed"), -1).attr().ino(), "st_ino survives the move");
        Map<String, String> strata = Tree.of(u);
        assertTrue(strata.containsKey("/e2/sub2/deep"), strata.toString());
        assertFalse(strata.containsKey("/dir"), strata.toString());

        assertEquals("dir", xattr("renamed", "trusted.overlay.redirect"));
        assertEquals("/dir/sub", xattr("e2/sub2", "trusted.overlay.redirect"));
        assertEquals("emptied", xattr("e2", "trusted.overlay.redirect"));
        assertEquals("character special file:0,0", stat("%F:%t,%T", "dir"));
        assertEquals("character special file:0,0", stat("%F:%t,%T", "emptied"));

        u.close();
        u = null;
        Path mnt = Files.createDirectories(base.resolve("mnt"));
        assumeTrue(kernelMount(mnt), "no kernel overlay with redirect_dir here");
        try {
            assertEquals(strata, Tree.of(mnt));
        } finally {
            Tree.run("umount", mnt.toString());
        }
    }

    @Test
    void redirectsTheKernelWroteStrataFollows() throws Exception {
        u.close();
        u = null;
        Path mnt = Files.createDirectories(base.resolve("mnt"));
        assumeTrue(kernelMount(mnt), "no kernel overlay with redirect_dir here");
        Map<String, String> kernel;
        try {
            Files.move(mnt.resolve("dir"), mnt.resolve("emptied/d2"));            // the kernel: rename(2), redirect
            Files.move(mnt.resolve("emptied/d2/sub"), mnt.resolve("sub3"));
            Files.move(mnt.resolve("emptied"), mnt.resolve("e3"));
            Files.writeString(mnt.resolve("sub3/deep"), "kernel was here\n", StandardOpenOption.APPEND);
            Files.delete(mnt.resolve("e3/d2/keep"));
            kernel = Tree.of(mnt);
        } finally {
            Tree.run("umount", mnt.toString());
        }
        assertEquals("/dir", xattr("e3/d2", "trusted.overlay.redirect"), "the kernel did write a redirect");
        long up = rwFs.lookup(ROOT, R, Name.of("upper")).ino();
        long wk = rwFs.lookup(ROOT, R, Name.of("work")).ino();
        u = UnionFileSystem.open(UnionOptions.of(List.of(UnionLayer.of(lowerFs)), new UnionLayer(rwFs, up),
                new UnionLayer(rwFs, wk)));
        assertEquals(kernel, Tree.of(u));
        assertTrue(kernel.containsKey("/sub3/deep") && kernel.containsKey("/e3/only"), kernel.toString());
    }

    @Test
    void hostChangesToALowerReachSubscribersWithUnionIds() throws Exception {
        java.util.concurrent.LinkedBlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
        io.strata.core.Invalidations sink = new io.strata.core.Invalidations() {
            @Override public void inode(long ino, long off, long len) { got.add("inode " + ino); }
            @Override public void entry(long parent, Name name) { got.add("entry " + parent + " " + name); }
            @Override public void delete(long parent, long child, Name name) { got.add("delete " + parent + " " + name); }
        };
        try (io.strata.core.Invalidations.Subscription sub = u.subscribe(sink)) {
            Entry dir = u.lookup(ROOT, R, Name.of("dir"));
            Entry keep = u.lookup(ROOT, dir.ino(), Name.of("keep"));
            Files.writeString(lower.resolve("dir/keep"), "changed on the host\n", StandardOpenOption.APPEND);
            assertTrue(await(got, "inode " + keep.ino()), "a data change of a lower file: " + got);
            Files.writeString(lower.resolve("dir/new"), "x");
            assertTrue(await(got, "entry " + dir.ino() + " new"), "a new name in a lower dir: " + got);
            assertEquals("kept\nchanged on the host\n", new String(Tree.readAll(u, keep.ino())));
        }
    }

    private static boolean await(java.util.concurrent.BlockingQueue<String> q, String want) throws InterruptedException {
        long end = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < end) {
            String s = q.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (want.equals(s)) return true;
        }
        return false;
    }

    private String stat(String format, String path) throws Exception {
        return Tree.run("stat", "-c", format, upper.resolve(path).toString()).out();
    }

    private String xattr(String path, String name) throws Exception {
        Tree.Result r = Tree.run("getfattr", "--absolute-names", "--only-values", "-h", "-n", name, upper.resolve(path).toString());
        return r.code() == 0 ? r.out() : "";
    }
}
