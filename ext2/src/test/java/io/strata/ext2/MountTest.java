package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Errno;
import io.strata.core.Name;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Feature checks, mount state, permissions, concurrency and a throughput measurement. */
class MountTest {
    Path tmp;

    @BeforeEach
    void setUp() throws Exception {
        TestSupport.assumeE2fsprogs();
        tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-mount");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (tmp != null) TestSupport.deleteTree(tmp);
    }

    @Test
    void ext4IsRefusedNamingTheFeature() throws Exception {
        Path img = tmp.resolve("img");
        TestSupport.Result r = TestSupport.run("mke2fs", "-q", "-F", "-t", "ext4", img.toString(), "16M");
        assertEquals(0, r.code(), r.out());
        IOException e = assertThrows(IOException.class, () -> Ext2FileSystem.open(img, Ext2Options.defaults()));
        assertTrue(e.getMessage().contains("unsupported feature") && e.getMessage().contains("extents"), e.getMessage());
    }

    @Test
    void ext3MountsReadOnly() throws Exception {
        Path img = tmp.resolve("img");
        TestSupport.Result r = TestSupport.run("mke2fs", "-q", "-F", "-t", "ext3", img.toString(), "16M");
        assertEquals(0, r.code(), r.out());
        Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults());
        try {
            assertTrue(fs.readOnly());
            FsException e = assertThrows(FsException.class, () -> fs.mkdir(Caller.ROOT, FileSystem.ROOT, Name.of("x"), 0755, 0));
            assertEquals(Errno.EROFS, e.errno());
        } finally {
            fs.close();
        }
    }

    @Test
    void stateDirtyWhileMountedCleanAfter() throws Exception {
        Path img = tmp.resolve("img");
        TestSupport.mke2fs(img, "16M", 1024, 128, null);
        Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults());
        String during = TestSupport.run("dumpe2fs", "-h", img.toString()).out();
        assertTrue(during.contains("Filesystem state:         not clean"), during);
        fs.close();
        String after = TestSupport.run("dumpe2fs", "-h", img.toString()).out();
        assertTrue(after.contains("Filesystem state:         clean"), after);
        assertTrue(after.contains("Mount count:              1"), after);
    }

    @Test
    void permissionsAreChecked() throws Exception {
        Path img = tmp.resolve("img");
        TestSupport.mke2fs(img, "16M", 1024, 128, null);
        Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults());
        try {
            Caller alice = new Caller(1000, 1000, 1), bob = new Caller(1001, 1001, 2);
            FsException e = assertThrows(FsException.class, () -> fs.mkdir(alice, FileSystem.ROOT, Name.of("a"), 0755, 0));
            assertEquals(Errno.EACCES, e.errno());
            var home = fs.mkdir(Caller.ROOT, FileSystem.ROOT, Name.of("home"), 0777 | 01000, 0);
            Created c = fs.create(alice, home.ino(), Name.of("mine"), 0600, 1, 022);
            fs.release(c.entry().ino(), c.opened().fh(), 0);
            assertEquals(Errno.EACCES, assertThrows(FsException.class, () -> fs.open(bob, c.entry().ino(), 0)).errno());
            assertEquals(Errno.EPERM, assertThrows(FsException.class, () -> fs.unlink(bob, home.ino(), Name.of("mine"))).errno());
            assertEquals(Errno.EPERM, assertThrows(FsException.class,
                    () -> fs.setattr(bob, c.entry().ino(), io.strata.core.SetAttr.mode(0777))).errno());
            fs.unlink(alice, home.ino(), Name.of("mine"));
        } finally {
            fs.close();
        }
    }

    @Test
    void parallelWritersAndThroughput() throws Exception {
        Path img = tmp.resolve("img");
        TestSupport.mke2fs(img, "1200M", 4096, 256, null);
        Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults());
        int threads = 4;
        long perFile = 128L << 20;
        ExecutorService ex = Executors.newFixedThreadPool(threads);
        long t0 = System.nanoTime();
        try {
            List<Future<?>> fut = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int id = t;
                fut.add(ex.submit(() -> {
                    Created c = fs.create(Caller.ROOT, FileSystem.ROOT, Name.of("big" + id), 0644, 1, 0);
                    ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
                    for (int i = 0; i < b.capacity(); i++) b.put(i, (byte) (i * 31 + id));
                    for (long off = 0; off < perFile; off += b.capacity()) {
                        b.clear();
                        while (b.hasRemaining()) fs.write(Caller.ROOT, c.entry().ino(), c.opened().fh(), off + b.position(), b, 0);
                    }
                    fs.release(c.entry().ino(), c.opened().fh(), 0);
                    fs.forget(c.entry().ino(), 1);
                    return null;
                }));
            }
            for (Future<?> f : fut) f.get();
            fs.sync();
        } finally {
            ex.shutdown();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("ext2 SPI sequential write: %d MiB in %.2f s = %.0f MiB/s (%d threads, incl. sync)%n",
                threads * perFile >> 20, secs, (threads * perFile >> 20) / secs, threads);
        long t1 = System.nanoTime();
        byte[] got = TestSupport.readAll(fs, fs.lookup(Caller.ROOT, FileSystem.ROOT, Name.of("big2")).ino());
        double rs = (System.nanoTime() - t1) / 1e9;
        System.out.printf("ext2 SPI sequential read: %d MiB in %.2f s = %.0f MiB/s%n", perFile >> 20, rs, (perFile >> 20) / rs);
        assertEquals(perFile, got.length);
        for (int i = 0; i < got.length; i += 4093) assertEquals((byte) ((i % (1 << 20)) * 31 + 2), got[i]);
        fs.close();
        TestSupport.Result ck = TestSupport.fsck(img);
        assertEquals(0, ck.code(), ck.out());
        // contiguity: few extents per file
        String st = TestSupport.run("debugfs", "-R", "stat /big0", img.toString()).out();
        assertTrue(st.contains("BLOCKS"), st);
    }
}
