package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.Opened;
import io.strata.core.testing.Watchdog;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Per-directory locking under load: two directories churned at once (creates and unlinks growing
 * htrees, renames and exchanges inside each, mkdir/rmdir), renames across them (files and a
 * directory, including into a subdirectory and back), readdirplus and lookups, and data writes, all
 * concurrently. A watchdog prints every thread's stack and fails the test on a stall; afterwards
 * the moved names exist exactly once and e2fsck finds nothing to fix.
 */
class Ext2StressTest {
    private static final Caller ROOT = Caller.ROOT;
    private static final Set<Integer> TOLERATED = Set.of(Errno.ENOENT, Errno.EEXIST, Errno.ENOTEMPTY);

    private interface Body {
        void run(int round) throws FsException;
    }

    private static long mkdir(FileSystem fs, long parent, String name) throws FsException {
        Entry e = fs.mkdir(ROOT, parent, Name.of(name), 0755, 0);
        fs.forget(e.ino(), 1);
        return e.ino();
    }

    private static void touch(FileSystem fs, long dir, String name) throws FsException {
        Created c = fs.create(ROOT, dir, Name.of(name), 0644, 1, 0);
        fs.release(c.entry().ino(), c.opened().fh(), 0);
        fs.forget(c.entry().ino(), 1);
    }

    private static List<String> list(FileSystem fs, long dir) throws FsException {
        List<String> out = new ArrayList<>();
        fs.readdir(ROOT, dir, 0, 0, (n, ino, t, next) -> {
            if (!n.isDotOrDotDot()) out.add(n.toString());
            return true;
        });
        return out;
    }

    @Test
    void twoDirectoriesChurnedAtOnce() throws Exception {
        Path tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-stress");
        try {
            Path img = tmp.resolve("img");
            Layout.format(img, 128L << 20, 1024, 128, 2048);
            Set<String> unexpected = ConcurrentHashMap.newKeySet();
            try (Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults())) {
                long a = mkdir(fs, FileSystem.ROOT, "a"), b = mkdir(fs, FileSystem.ROOT, "b");
                long aSub = mkdir(fs, a, "sub");
                mkdir(fs, a, "wander");
                for (int i = 0; i < 10; i++) touch(fs, i % 2 == 0 ? a : b, "mover-" + i);
                touch(fs, a, "x");
                touch(fs, a, "y");
                Created hot = fs.create(ROOT, b, Name.of("hot"), 0644, 2, 0);
                long hotIno = hot.entry().ino();
                List<Body> bodies = new ArrayList<>();
                for (long dir : new long[] {a, b}) {
                    String tag = dir == a ? "a" : "b";
                    bodies.add(r -> { // growth and shrink: htree splits under the directory's lock
                        for (int k = 0; k < 20; k++) touch(fs, dir, tag + "-" + r + "-" + k + "-" + "n".repeat(k));
                        for (int k = 0; k < 20; k += 2) fs.unlink(ROOT, dir, Name.of(tag + "-" + r + "-" + k + "-" + "n".repeat(k)));
                    });
                    bodies.add(r -> { // mkdir, a file inside, rmdir
                        long d = mkdir(fs, dir, tag + "-dir-" + r);
                        touch(fs, d, "inner");
                        fs.unlink(ROOT, d, Name.of("inner"));
                        fs.rmdir(ROOT, dir, Name.of(tag + "-dir-" + r));
                    });
                    bodies.add(r -> { // listings with attributes, and lookups, during the churn
                        Opened o = fs.opendir(ROOT, dir, 0);
                        List<Entry> got = new ArrayList<>();
                        fs.readdirplus(ROOT, dir, o.fh(), 0, (n, i, t, c, e) -> {
                            if (e != null) got.add(e);
                            return true;
                        });
                        fs.releasedir(dir, o.fh());
                        for (Entry e : got) fs.forget(e.ino(), 1);
                        for (String n : List.of("mover-1", "mover-2", "x", "hot")) {
                            try {
                                fs.forget(fs.lookup(ROOT, dir, Name.of(n)).ino(), 1);
                            } catch (FsException e) {
                                if (e.errno() != Errno.ENOENT) throw e;
                            }
                        }
                    });
                }
                bodies.add(r -> { // renames within one directory: plain and exchange
                    fs.rename(ROOT, a, Name.of("x"), a, Name.of("y"), FileSystem.RENAME_EXCHANGE);
                    touch(fs, a, "tmp-" + r);
                    fs.rename(ROOT, a, Name.of("tmp-" + r), a, Name.of("x2"), 0);
                });
                bodies.add(r -> { // renames across the two directories
                    int i = ThreadLocalRandom.current().nextInt(10);
                    boolean inA = r % 2 == 0;
                    fs.rename(ROOT, inA ? a : b, Name.of("mover-" + i), inA ? b : a, Name.of("mover-" + i),
                            FileSystem.RENAME_NOREPLACE);
                });
                bodies.add(r -> { // a directory moving between parents, and into a subdirectory and back
                    switch (r % 3) {
                        case 0 -> fs.rename(ROOT, a, Name.of("wander"), b, Name.of("wander"), 0);
                        case 1 -> fs.rename(ROOT, b, Name.of("wander"), aSub, Name.of("wander"), 0);
                        default -> fs.rename(ROOT, aSub, Name.of("wander"), a, Name.of("wander"), 0);
                    }
                });
                bodies.add(r -> { // data writes beside it all
                    ByteBuffer buf = ByteBuffer.allocate(4096);
                    buf.put(0, (byte) r);
                    fs.write(ROOT, hotIno, hot.opened().fh(), (long) (r % 64) * 4096, buf, 0);
                });
                int rounds = 300;
                ExecutorService pool = Executors.newFixedThreadPool(bodies.size());
                try (Watchdog w = new Watchdog("ext2 stress", 90_000)) {
                    CountDownLatch go = new CountDownLatch(1);
                    List<Future<?>> futures = new ArrayList<>();
                    for (Body body : bodies) {
                        futures.add(pool.submit(() -> {
                            go.await();
                            for (int r = 0; r < rounds; r++) {
                                try {
                                    body.run(r);
                                } catch (FsException e) {
                                    if (!TOLERATED.contains(e.errno())) unexpected.add(e.getMessage() + " " + e.errno());
                                }
                            }
                            return null;
                        }));
                    }
                    go.countDown();
                    for (Future<?> f : futures) f.get();
                } finally {
                    pool.shutdownNow();
                }
                fs.release(hotIno, hot.opened().fh(), 0);
                fs.forget(hotIno, 1);
                assertEquals(Set.of(), Set.copyOf(unexpected));
                List<String> all = new ArrayList<>(list(fs, a));
                all.addAll(list(fs, b));
                all.addAll(list(fs, aSub));
                Set<String> movers = new HashSet<>();
                for (String n : all) if (n.startsWith("mover-") || n.equals("wander")) assertTrue(movers.add(n), "twice: " + n);
                assertEquals(11, movers.size(), "every mover exactly once: " + movers);
                assertTrue(all.contains("x") && all.contains("y"), "x and y (exchanged 300 times) both still there");
            }
            if (TestSupport.haveTool("e2fsck")) {
                TestSupport.Result r = TestSupport.fsck(img);
                assertEquals(0, r.code(), r.out());
            }
        } finally {
            TestSupport.deleteTree(tmp);
        }
    }
}
