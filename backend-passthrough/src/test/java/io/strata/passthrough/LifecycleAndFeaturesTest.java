package io.strata.passthrough;

import static io.strata.passthrough.Fixture.ROOT;
import static io.strata.passthrough.Fixture.n;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.core.CacheMode;
import io.strata.core.CachePolicy;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Invalidations;
import io.strata.core.Opened;
import io.strata.passthrough.PassthroughOptions.Handles;
import io.strata.sys.Libc;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** v2 lifecycle (subscribe, close, retain) and what features() promises on this host (ext4, root). */
class LifecycleAndFeaturesTest {
    static final long R = FileSystem.ROOT;

    static boolean ext4Root() throws Exception {
        return Libc.geteuid() == 0 && Files.getFileStore(Path.of("/tmp")).type().equals("ext4");
    }

    @Test
    void featuresFollowTheHostTheModeAndTheOptions() throws Exception {
        assumeTrue(ext4Root(), "expectations written for root on ext4");
        try (Fixture f = new Fixture(PassthroughOptions.defaults())) {
            assertEquals(EnumSet.of(Feature.PERMISSIONS, Feature.RENAME_NOREPLACE, Feature.RENAME_EXCHANGE,
                    Feature.RENAME_WHITEOUT, Feature.HARD_LINKS, Feature.SYMLINKS, Feature.TMPFILE, Feature.USER_XATTRS,
                    Feature.TRUSTED_XATTRS, Feature.SECURITY_XATTRS, Feature.FALLOCATE, Feature.PUNCH_HOLE,
                    Feature.SEEK_DATA, Feature.COPY_FILE_RANGE, Feature.READDIRPLUS, Feature.BTIME), f.fs.features());
            assertEquals(CachePolicy.of(CacheMode.SHARED), f.fs.cachePolicy());
        }
        try (Fixture f = new Fixture(PassthroughOptions.defaults().withMode(CacheMode.EXCLUSIVE).withAllowDev(true)
                .withHandles(Handles.PREFER))) {
            Set<Feature> ft = f.fs.features();
            assertTrue(ft.contains(Feature.BACKING_FDS), "exclusive: kernel passthrough I/O");
            assertTrue(ft.contains(Feature.DEVICE_NODES));
            assertFalse(ft.contains(Feature.STABLE_IDS), "node ids are table slots, not stable across restarts");
            assertEquals(CachePolicy.of(CacheMode.EXCLUSIVE), f.fs.cachePolicy());
        }
        try (Fixture f = new Fixture(PassthroughOptions.defaults().withMode(CacheMode.WRITETHROUGH)
                .withPassthroughIo(false).withReadOnly(true))) {
            assertFalse(f.fs.features().contains(Feature.BACKING_FDS));
            assertFalse(f.fs.features().contains(Feature.TMPFILE), "read-only: nothing is created");
            assertEquals(Errno.EROFS, assertThrows(FsException.class,
                    () -> f.fs.tmpfile(ROOT, R, 0600, Libc.O_RDWR, 0)).errno());
        }
    }

    @Test
    void whiteoutsNeedNoAllowDev() throws Exception {
        assumeTrue(ext4Root(), "RENAME_WHITEOUT needs CAP_MKNOD");
        try (Fixture f = new Fixture(PassthroughOptions.defaults())) {
            Files.writeString(f.src.resolve("a"), "a");
            f.fs.rename(ROOT, R, n("a"), R, n("b"), FileSystem.RENAME_WHITEOUT);
            Entry w = f.fs.lookup(ROOT, R, n("a"));
            assertEquals(FileType.S_IFCHR, w.attr().type());
            assertEquals(0, w.attr().rdev());
            Entry made = f.fs.mknod(ROOT, R, n("wh"), FileType.S_IFCHR, 0, 0);
            assertEquals(0, made.attr().rdev());
            assertEquals(Errno.EACCES, assertThrows(FsException.class, () -> f.fs.open(ROOT, w.ino(), Libc.O_RDONLY)).errno(),
                    "device nodes are still not opened");
        }
    }

    /** Every subscriber gets every notice until it unsubscribes; close() stops them all. */
    @Test
    void subscriptionsAreMulticastAndEndWithClose() throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults())) {
            Fixture.Recording second = new Fixture.Recording();
            Invalidations.Subscription sub = f.fs.subscribe(second);
            Files.writeString(f.src.resolve("x"), "x");
            assertTrue(f.inval.await("entry " + R + " x", 2000));
            assertTrue(second.await("entry " + R + " x", 2000));
            sub.close();
            sub.close(); // idempotent
            Files.writeString(f.src.resolve("y"), "y");
            assertTrue(f.inval.await("entry " + R + " y", 2000));
            assertFalse(second.drain(300).contains("entry " + R + " y"));
        }
    }

    private static int openDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    /** close() releases every descriptor: nodes, open files and directories, mount fds, the watcher. */
    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void closeReleasesEverything(Handles h) throws Exception {
        Path base = Files.createTempDirectory(Path.of("/tmp"), "strata-close");
        try {
            for (int i = 0; i < 20; i++) Files.writeString(base.resolve("f" + i), "x");
            Files.createDirectory(base.resolve("d"));
            int before = openDescriptors();
            PassthroughFileSystem fs = PassthroughFileSystem.open(base, PassthroughOptions.defaults().withHandles(h));
            for (int i = 0; i < 20; i++) {
                Entry e = fs.lookup(ROOT, R, n("f" + i));
                fs.open(ROOT, e.ino(), Libc.O_RDONLY); // never released: close must
            }
            Entry d = fs.lookup(ROOT, R, n("d"));
            fs.opendir(ROOT, d.ino(), 0);
            Created c = fs.create(ROOT, d.ino(), n("new"), 0644, Libc.O_RDWR, 0);
            assertTrue(openDescriptors() > before + 20);
            fs.close();
            fs.close(); // idempotent
            assertEquals(before, openDescriptors());
            assertEquals(Errno.ESTALE, assertThrows(FsException.class, () -> fs.getattr(ROOT, c.entry().ino(), -1)).errno());
        } finally {
            Fixture.deleteTree(base);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void retainAddsReferencesWithoutAName(Handles h) throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults().withHandles(h))) {
            Files.writeString(f.src.resolve("f"), "x");
            Entry e = f.fs.lookup(ROOT, R, n("f"));
            int live = f.fs.liveNodes();
            f.fs.retain(e.ino(), 2);
            f.fs.forget(e.ino(), 2);
            assertEquals(live, f.fs.liveNodes(), "one reference left");
            f.fs.forget(e.ino(), 1);
            assertEquals(live - 1, f.fs.liveNodes());
            assertEquals(Errno.ESTALE, assertThrows(FsException.class, () -> f.fs.retain(e.ino(), 1)).errno());
            // the root is always there
            f.fs.retain(R, 1);
            f.fs.forget(R, 5);
            assertTrue(f.fs.getattr(ROOT, R, -1).attr().isDirectory());
        }
    }

    /** The native readdirplus: one reference per accepted entry, none for refused ones, attributes included. */
    @Test
    void readdirplusReferencesOnlyWhatWasTaken() throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults())) {
            for (int i = 0; i < 10; i++) Files.writeString(f.src.resolve("f" + i), "data" + i);
            int live = f.fs.liveNodes();
            Opened d = f.fs.opendir(ROOT, R, 0);
            java.util.List<Entry> got = new java.util.ArrayList<>();
            f.fs.readdirplus(ROOT, R, d.fh(), 0, (name, ino, type, next, e) -> {
                if (name.isDotOrDotDot()) {
                    assertNull(e);
                    return true;
                }
                if (got.size() == 3) return false;
                assertEquals(5, e.attr().size());
                assertEquals(FileType.DT_REG, type);
                got.add(e);
                return true;
            });
            f.fs.releasedir(R, d.fh());
            assertEquals(live + 3, f.fs.liveNodes());
            for (Entry e : got) f.fs.forget(e.ino(), 1);
            assertEquals(live, f.fs.liveNodes());
        }
    }
}
