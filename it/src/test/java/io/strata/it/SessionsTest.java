package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.CacheMode;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.Session;
import io.strata.fuse.FuseConfig;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One file system, several frontends at once: a memory backend mounted twice and served to an
 * in-process view (a core Session used through the SPI). Whoever built the file system owns it;
 * ending one frontend leaves the others working, and a detaching session forgets exactly the
 * references it held.
 */
@Tag(Privileges.TAG)
class SessionsTest {
    private static final Caller ROOT = Caller.ROOT;

    @BeforeEach
    void privileges() {
        Privileges.assumeRootAndFuse();
    }

    // ---- the view: plain SPI calls, as a nio frontend or a 9P server would make them ----

    private static String read(FileSystem v, String name) throws FsException {
        Entry e = v.lookup(ROOT, FileSystem.ROOT, Name.of(name));
        Opened o = v.open(ROOT, e.ino(), OpenFlags.O_RDONLY);
        try {
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            while (v.read(ROOT, e.ino(), o.fh(), b.position(), b) > 0) {
                // until EOF
            }
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
        } finally {
            v.release(e.ino(), o.fh(), OpenFlags.O_RDONLY);
        }
    }

    private static long create(FileSystem v, String name, String content) throws FsException {
        int flags = OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL;
        Created c = v.create(ROOT, FileSystem.ROOT, Name.of(name), FileType.S_IFREG | 0644, flags, 022);
        long ino = c.entry().ino();
        try {
            ByteBuffer src = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
            while (src.hasRemaining()) v.write(ROOT, ino, c.opened().fh(), src.position(), src, 0);
        } finally {
            v.release(ino, c.opened().fh(), flags);
        }
        return ino;
    }

    private static List<String> list(FileSystem v) throws FsException {
        List<String> names = new ArrayList<>();
        Opened d = v.opendir(ROOT, FileSystem.ROOT, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);
        try {
            long[] cookie = {0};
            int before;
            do {
                before = names.size();
                v.readdir(ROOT, FileSystem.ROOT, d.fh(), cookie[0], (name, ino, dtype, next) -> {
                    if (!name.isDotOrDotDot()) names.add(name.toString());
                    cookie[0] = next;
                    return true;
                });
            } while (names.size() != before);
        } finally {
            v.releasedir(FileSystem.ROOT, d.fh());
        }
        names.sort(null);
        return names;
    }

    /**
     * The same with a real java.nio view (the nio provider's view of any Strata file system):
     * Files.* calls beside two FUSE mounts, all on one memory backend; closing the view or
     * unmounting a mount leaves the rest working.
     */
    @Test
    void javaNioViewBesideTwoMounts() throws Exception {
        var fs = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(64L << 20).withMode(CacheMode.SHARED));
        FuseConfig cfg = FuseConfig.defaults(CacheMode.SHARED).withNames("strata-it", "strata");
        Mounted m1 = null, m2 = null;
        java.nio.file.FileSystem nio = null;
        try {
            m1 = Mounted.serve(fs, cfg);
            m2 = Mounted.serve(fs, cfg);
            nio = io.strata.nio.StrataNio.open(fs);
            Files.writeString(nio.getPath("/from-nio"), "written through java.nio");
            Files.createDirectories(nio.getPath("/d/e"));
            assertEquals("written through java.nio", Files.readString(m1.path("from-nio")));
            assertEquals("written through java.nio", Files.readString(m2.path("from-nio")));
            assertTrue(Files.isDirectory(m2.path("d/e")));
            Files.writeString(m1.path("d/e/from-fuse"), "written through mount 1");
            assertEquals("written through mount 1", Files.readString(nio.getPath("/d/e/from-fuse")));
            try (var list = Files.list(nio.getPath("/"))) {
                assertEquals(List.of("/d", "/from-nio"), list.map(Path::toString).sorted().toList());
            }
            Path dir1 = m1.dir;
            m1.close();
            m1 = null;
            assertFalse(Mounted.isMounted(dir1));
            Files.writeString(nio.getPath("/after"), "view still works");
            assertEquals("view still works", Files.readString(m2.path("after")));
            nio.close();
            nio = null;
            Files.writeString(m2.path("last"), "mount 2 still works");
            assertEquals("mount 2 still works", Files.readString(m2.path("last")));
        } finally {
            if (nio != null) nio.close();
            try {
                if (m1 != null) m1.close();
            } finally {
                try {
                    if (m2 != null) m2.close();
                } finally {
                    fs.close();
                }
            }
        }
    }

    /**
     * A mount unmounted while a process still has a file open on it is only detached lazily: its
     * FuseSession gives up waiting, detaches its session (the straggler's requests get ENOTCONN)
     * and returns. The file system stays open and the other mount and the view keep working.
     */
    @Test
    void lazilyDetachedMountLeavesTheOthersWorking() throws Exception {
        var fs = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(64L << 20).withMode(CacheMode.SHARED));
        FuseConfig cfg = FuseConfig.defaults(CacheMode.SHARED).withNames("strata-it", "strata");
        Path ready = Files.createTempFile(Path.of("/tmp"), "strata-it-ready", "");
        Path go = ready.resolveSibling(ready.getFileName() + ".go");
        Files.delete(ready);
        Mounted m1 = null, m2 = null;
        Session view = null;
        Process holder = null;
        try {
            m1 = Mounted.serve(fs, cfg);
            m2 = Mounted.serve(fs, cfg);
            view = Session.attach(fs, "view", null);
            Files.writeString(m1.path("held"), "before");
            String py = "import os,sys,time,errno\n"
                    + "fd = os.open(sys.argv[1], os.O_RDWR)\n"
                    + "open(sys.argv[2], 'w').close()\n"
                    + "while not os.path.exists(sys.argv[3]): time.sleep(0.02)\n"
                    + "try:\n os.pwrite(fd, b'late', 0); print('ok')\n"
                    + "except OSError as e:\n print(errno.errorcode[e.errno])\n";
            holder = new ProcessBuilder("/usr/bin/python3", "-c", py, m1.path("held").toString(), ready.toString(), go.toString())
                    .redirectErrorStream(true).start();
            for (int i = 0; i < 500 && !Files.exists(ready); i++) Thread.sleep(20);
            assertTrue(Files.exists(ready), "the holder has the file open");

            Path dir1 = m1.dir;
            m1.close(); // busy: detached lazily, returns after FuseSession's wait
            m1 = null;
            assertFalse(Mounted.isMounted(dir1), "gone from the mount table");
            Files.writeString(m2.path("after"), "mount 2 works");
            assertEquals("mount 2 works", read(view, "after"));
            create(view, "afterview", "the view works");
            assertEquals("the view works", Files.readString(m2.path("afterview")));

            Files.createFile(go);
            assertTrue(holder.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "the straggler is answered, not hung");
            String late = new String(holder.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertEquals("ENOTCONN", late, "a request on the detached mount's session after it ended");
            assertEquals("before", Files.readString(m2.path("held")), "it changed nothing");
            assertEquals(List.of("after", "afterview", "held"), ls(m2));
        } finally {
            if (holder != null) holder.destroyForcibly().waitFor();
            Files.deleteIfExists(ready);
            Files.deleteIfExists(go);
            if (view != null) view.close();
            try {
                if (m1 != null) m1.close();
            } finally {
                try {
                    if (m2 != null) m2.close();
                } finally {
                    fs.close();
                }
            }
        }
    }

    private static List<String> ls(Mounted m) throws Exception {
        return Sh.ok("LC_ALL=C ls " + q(m.dir)).lines().toList();
    }

    private static long ino(Path p) throws Exception {
        return ((Number) Files.getAttribute(p, "unix:ino")).longValue();
    }

    @Test
    void oneMemoryBackendTwoMountsAndAView() throws Exception {
        // SHARED: each mount revalidates every name and attribute, so it sees what the others did.
        var fs = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(64L << 20).withMode(CacheMode.SHARED));
        FuseConfig cfg = FuseConfig.defaults(CacheMode.SHARED).withNames("strata-it", "strata");
        Mounted m1 = null, m2 = null;
        Session view = null, other = null;
        try {
            m1 = Mounted.serve(fs, cfg);
            m2 = Mounted.serve(fs, cfg);
            view = Session.attach(fs, "view", null);

            Files.writeString(m1.path("from1"), "one");
            assertEquals("one", Files.readString(m2.path("from1")), "mount 1 -> mount 2");
            assertEquals("one", read(view, "from1"), "mount 1 -> view");
            Files.writeString(m2.path("from2"), "two");
            assertEquals("two", Files.readString(m1.path("from2")), "mount 2 -> mount 1");
            assertEquals("two", read(view, "from2"), "mount 2 -> view");
            create(view, "fromview", "three");
            assertEquals("three", Files.readString(m1.path("fromview")), "view -> mount 1");
            assertEquals("three", Files.readString(m2.path("fromview")), "view -> mount 2");
            long one = view.lookup(ROOT, FileSystem.ROOT, Name.of("from1")).ino();
            assertEquals(one, ino(m1.path("from1")), "one inode, whoever looks");
            assertEquals(one, ino(m2.path("from1")));
            Files.writeString(m2.path("from1"), "one, rewritten");
            assertEquals("one, rewritten", Files.readString(m1.path("from1")));
            assertEquals("one, rewritten", read(view, "from1"));
            Sh.ok("mkdir " + q(m1.path("dir")) + " && echo deep > " + q(m1.path("dir/f")));
            assertEquals("deep\n", Files.readString(m2.path("dir/f")));

            // Unmounting mount 1 ends that frontend only: the file system is not closed under the others.
            Path dir1 = m1.dir;
            m1.close();
            m1 = null;
            assertFalse(Mounted.isMounted(dir1));
            Files.writeString(m2.path("after"), "four");
            assertEquals("four", read(view, "after"), "mount 2 -> view after mount 1 is gone");
            create(view, "afterview", "five");
            assertEquals("five", Files.readString(m2.path("afterview")), "view -> mount 2 after mount 1 is gone");
            List<String> all = List.of("after", "afterview", "dir", "from1", "from2", "fromview");
            assertEquals(all, ls(m2));
            assertEquals(all, list(view));

            // The view detaches: it forgets exactly the references it holds, no more, no less.
            long viewOnly = create(view, "viewonly", "only the view looked this up");
            Session o = Session.attach(fs, "other", null);
            other = o;
            // (no mount ever looks these two up: the kernel's own references would keep them alive)
            long both = create(o, "twoviews", "looked up by two sessions");
            assertEquals(both, view.lookup(ROOT, FileSystem.ROOT, Name.of("twoviews")).ino());
            assertTrue(view.heldInodes() >= 5, "the view holds what it looked up: " + view.heldInodes());
            view.close();
            assertEquals(0, view.heldInodes(), "nothing held after close");
            assertEquals(0, view.openHandles());
            Session closed = view;
            FsException late = assertThrows(FsException.class, () -> read(closed, "from1"));
            assertEquals(Errno.ENOTCONN, late.errno(), "a detached session refuses calls");
            // Unlinked, the file only the view had looked up is gone at once: its references were forgotten.
            o.unlink(ROOT, FileSystem.ROOT, Name.of("viewonly"));
            FsException stale = assertThrows(FsException.class, () -> o.getattr(ROOT, viewOnly, -1));
            assertEquals(Errno.ESTALE, stale.errno(), "freed once its name and the view's references are gone");
            // The one another session also holds lives on (unlinked) until that session forgets it.
            o.unlink(ROOT, FileSystem.ROOT, Name.of("twoviews"));
            assertEquals(0, o.getattr(ROOT, both, -1).attr().nlink(), "still held by the other session");
            o.forget(both, 1);
            Session third = Session.attach(fs, "third", null);
            try {
                FsException gone = assertThrows(FsException.class, () -> third.getattr(ROOT, both, -1));
                assertEquals(Errno.ESTALE, gone.errno(), "freed after the last reference went");
                assertEquals("four", read(third, "after"), "a new session works");
            } finally {
                third.close();
            }

            // The file system keeps working for mount 2.
            Files.writeString(m2.path("last"), "six");
            assertEquals("six", Files.readString(m2.path("last")));
            assertEquals(List.of("after", "afterview", "dir", "from1", "from2", "fromview", "last"), ls(m2));
        } finally {
            if (view != null) view.close();
            if (other != null) other.close();
            try {
                if (m1 != null) m1.close();
            } finally {
                try {
                    if (m2 != null) m2.close();
                } finally {
                    fs.close(); // the owner closes, once nothing serves it
                }
            }
        }
    }
}
