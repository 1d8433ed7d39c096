package io.strata.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Created;
import io.strata.core.FsException;
import io.strata.core.Errno;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConcurrencyTest extends FsTestSupport {

    interface Body {
        void run(int thread) throws Exception;
    }

    /** Runs {@code n} threads started together; rethrows the first failure. */
    static void parallel(int n, Body body) throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(n);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            int id = t;
            fs.add(ex.submit(() -> {
                start.await();
                body.run(id);
                return null;
            }));
        }
        start.countDown();
        try {
            for (Future<?> f : fs) f.get(50, TimeUnit.SECONDS);
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void readdirReturnsEverySurvivingEntryExactlyOnceWhileOthersChurn() throws Exception {
        long d = mkdir(ROOT, "d");
        int stable = 3000;
        for (int i = 0; i < stable; i++) {
            touch(d, "s" + i);
            if (i % 3 == 0) touch(d, "c-init-" + i); // churners delete these, forcing compaction
        }
        AtomicBoolean stop = new AtomicBoolean();
        int churners = 3, listers = 3;
        parallel(churners + listers, t -> {
            if (t < churners) {
                Random r = new Random(t);
                int i = 0;
                while (!stop.get()) {
                    String name = "c" + t + "-" + (i++);
                    fs.forget(touch(d, name), 1);
                    // rename onto a bounded set of names (replacing older ones) or delete: the
                    // directory stays a few thousand entries while slots, cookies and compaction churn
                    if (r.nextBoolean()) fs.rename(ROOT_CALLER, d, n(name), d, n("m" + t + "-" + r.nextInt(100)), 0);
                    else fs.unlink(ROOT_CALLER, d, n(name));
                    try {
                        fs.unlink(ROOT_CALLER, d, n("c-init-" + r.nextInt(stable)));
                    } catch (FsException e) {
                        assertEquals(Errno.ENOENT, e.errno());
                    }
                }
            } else {
                try {
                    int[] perCalls = {1, 3, 17, 40, 100, 1000, Integer.MAX_VALUE};
                    for (int round = 0; round < 3 * perCalls.length; round++) {
                        int perCall = perCalls[round % perCalls.length];
                        Map<String, Integer> seen = new HashMap<>();
                        for (String n : list(d, perCall)) seen.merge(n, 1, Integer::sum);
                        for (var e : seen.entrySet()) {
                            assertEquals(1, e.getValue(), "listed twice: " + e.getKey());
                        }
                        for (int i = 0; i < stable; i++) assertTrue(seen.containsKey("s" + i), "missing s" + i);
                        assertTrue(seen.containsKey(".") && seen.containsKey(".."));
                    }
                } finally {
                    stop.set(true);
                }
            }
        });
        // quiescent: the listing is exactly the directory
        List<String> finalList = list(d, 13);
        assertEquals(finalList.size(), new java.util.HashSet<>(finalList).size());
        for (String n : finalList) if (!n.equals(".") && !n.equals("..")) lookupIno(d, n);
    }

    @Test
    void concurrentWritersOnDifferentFiles() throws Exception {
        int threads = 8, size = 8 << 20;
        long[] inos = new long[threads], fhs = new long[threads];
        for (int t = 0; t < threads; t++) {
            Created c = fs.create(ROOT_CALLER, ROOT, n("w" + t), 0644, RW, 0);
            inos[t] = c.entry().ino();
            fhs[t] = c.opened().fh();
        }
        parallel(threads, t -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(100_000);
            for (long off = 0; off < size; off += buf.capacity()) {
                buf.clear();
                for (int k = 0; k < buf.capacity(); k++) buf.put((byte) (t * 31 + (off + k) % 251));
                buf.flip();
                int want = (int) Math.min(buf.remaining(), size - off);
                buf.limit(want);
                assertEquals(want, fs.write(ROOT_CALLER, inos[t], fhs[t], off, buf, 0));
            }
        });
        for (int t = 0; t < threads; t++) {
            assertEquals(size, attr(inos[t]).size());
            byte[] back = read(inos[t], fhs[t], 0, size);
            byte[] expect = new byte[size];
            for (int k = 0; k < size; k++) expect[k] = (byte) (t * 31 + k % 251);
            assertArrayEquals(expect, back, "file " + t);
        }
    }

    @Test
    void readersNeverSeeATornWrite() throws Exception {
        Created c = fs.create(ROOT_CALLER, ROOT, n("shared"), 0644, RW, 0);
        long ino = c.entry().ino(), fh = c.opened().fh();
        int len = 3 * ChunkedData.CHUNK + 77; // spans chunks: each write must still be atomic
        write(ino, fh, 0, new byte[len]);
        AtomicBoolean stop = new AtomicBoolean();
        parallel(4, t -> {
            if (t == 0) {
                try {
                    for (int v = 1; v <= 300; v++) {
                        byte[] b = new byte[len];
                        java.util.Arrays.fill(b, (byte) v);
                        write(ino, fh, 0, b);
                    }
                } finally {
                    stop.set(true);
                }
            } else {
                while (!stop.get()) {
                    byte[] b = read(ino, fh, 0, len);
                    for (byte x : b) if (x != b[0]) throw new AssertionError("torn read: " + x + " vs " + b[0]);
                }
            }
        });
    }

    @Test
    void crossedCopyFileRangesDoNotDeadlock() throws Exception {
        Created a = fs.create(ROOT_CALLER, ROOT, n("a"), 0644, RW, 0), b = fs.create(ROOT_CALLER, ROOT, n("b"), 0644, RW, 0);
        long ai = a.entry().ino(), af = a.opened().fh(), bi = b.entry().ino(), bf = b.opened().fh();
        write(ai, af, 0, new byte[200_000]);
        write(bi, bf, 0, new byte[200_000]);
        parallel(4, t -> {
            for (int i = 0; i < 2000; i++) {
                switch (t) {
                    case 0 -> fs.copyFileRange(ROOT_CALLER, ai, af, i, bi, bf, 1000 + i, 50_000, 0);
                    case 1 -> fs.copyFileRange(ROOT_CALLER, bi, bf, i, ai, af, 1000 + i, 50_000, 0);
                    case 2 -> write(ai, af, i * 7L, new byte[3000]);
                    default -> read(bi, bf, i * 11L, 70_000);
                }
            }
        });
        assertEquals(200_000, attr(ai).size());
        assertEquals(200_000, attr(bi).size());
    }

    @Test
    void namespaceChurnKeepsLinkCountsAndAccountingExact() throws Exception {
        long baseInodes = fs.inodeCount(), baseBytes = fs.usedBytes();
        long a = mkdir(ROOT, "a"), b = mkdir(ROOT, "b");
        parallel(6, t -> {
            Random r = new Random(100 + t);
            for (int i = 0; i < 2000; i++) {
                String n = "t" + t + "-" + r.nextInt(20);
                long from = r.nextBoolean() ? a : b, to = r.nextBoolean() ? a : b;
                try {
                    switch (r.nextInt(6)) {
                        case 0 -> fs.forget(fs.mkdir(ROOT_CALLER, from, n(n), 0755, 0).ino(), 1);
                        case 1 -> {
                            Created c = fs.create(ROOT_CALLER, from, n(n), 0644, RW, 0);
                            fs.write(ROOT_CALLER, c.entry().ino(), c.opened().fh(), 0, ByteBuffer.wrap(new byte[5000]), 0);
                            fs.release(c.entry().ino(), c.opened().fh(), 0);
                            fs.forget(c.entry().ino(), 1);
                        }
                        case 2 -> fs.rename(ROOT_CALLER, from, n(n), to, n(n), 0);
                        case 3 -> fs.rename(ROOT_CALLER, from, n(n), to, n(n), io.strata.core.FileSystem.RENAME_EXCHANGE);
                        case 4 -> fs.unlink(ROOT_CALLER, from, n(n));
                        default -> fs.rmdir(ROOT_CALLER, from, n(n));
                    }
                } catch (FsException e) {
                    int x = e.errno();
                    assertTrue(x == Errno.ENOENT || x == Errno.EEXIST || x == Errno.EISDIR || x == Errno.ENOTDIR
                            || x == Errno.ENOTEMPTY, "unexpected " + e);
                }
            }
        });
        for (long dir : new long[] {a, b}) {
            List<String> names = list(dir);
            int subdirs = 0;
            for (String n : names) {
                if (n.equals(".") || n.equals("..")) continue;
                io.strata.core.Entry e = fs.lookup(ROOT_CALLER, dir, n(n));
                if (e.attr().isDirectory()) {
                    subdirs++;
                    assertEquals(2, e.attr().nlink());
                    assertEquals(dir, lookupIno(e.ino(), ".."), "'..' of " + n);
                    fs.forget(dir, 1);
                } else {
                    assertEquals(1, e.attr().nlink(), n);
                }
                fs.forget(e.ino(), 1);
            }
            assertEquals(2 + subdirs, attr(dir).nlink(), "2 + subdirectories");
            for (String n : names) {
                if (n.equals(".") || n.equals("..")) continue;
                io.strata.core.Entry e = fs.lookup(ROOT_CALLER, dir, n(n));
                if (e.attr().isDirectory()) fs.rmdir(ROOT_CALLER, dir, n(n));
                else fs.unlink(ROOT_CALLER, dir, n(n));
                fs.forget(e.ino(), 1); // the last reference: the inode goes now
            }
        }
        assertEquals(2, attr(a).nlink());
        assertEquals(2, attr(b).nlink());
        fs.rmdir(ROOT_CALLER, ROOT, n("a"));
        fs.rmdir(ROOT_CALLER, ROOT, n("b"));
        fs.forget(a, 1);
        fs.forget(b, 1);
        assertEquals(baseInodes, fs.inodeCount(), "every inode freed");
        assertEquals(baseBytes, fs.usedBytes(), "every byte released");
    }
}
