package io.strata.union;

import static io.strata.core.FileType.S_IFDIR;
import static io.strata.core.FileType.S_IFREG;
import static io.strata.union.Stack.ROOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.testing.Watchdog;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Many threads at once on one union: copy-ups of one lower file, renames of files and directories
 * between two directories in both directions (opposite lock orders if the union got them wrong),
 * mkdir/rmdir races, and readdir/readdirplus/lookups during the churn. A Watchdog fails the test
 * and dumps every thread's stack if anything stalls; afterwards the invariants must hold.
 */
class UnionStressTest {
    static final long R = FileSystem.ROOT;
    static final int ROUNDS = 300;
    static final Set<Integer> TOLERATED = Set.of(Errno.ENOENT, Errno.EEXIST, Errno.ENOTEMPTY, Errno.ESTALE, Errno.EAGAIN);

    interface Body {
        void run(int round) throws FsException;
    }

    static void await(java.util.concurrent.CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void parallelCopyUpsRenamesRmdirsAndListings() throws Exception {
        try (Stack st = new Stack(1)) {
            FileSystem lower = st.lowers.get(0);
            byte[] hot = new byte[4 << 20]; // big enough that a copy-up takes a while
            java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(4);
            Stack.put(lower, R, "hot", hot, 0644);
            for (int i = 0; i < 10; i++) Stack.put(lower, R, "a/x" + i, "file " + i);
            Stack.mkdirs(lower, R, "b");
            for (int i = 0; i < 5; i++) Stack.put(lower, R, "a/ld/f" + i, "lower dir file " + i); // moves by redirect
            for (int i = 0; i < 50; i++) Stack.put(lower, R, "list/l" + i, "l");
            UnionFileSystem u = st.open();
            long a = Stack.find(u, R, "a").ino(), b = Stack.find(u, R, "b").ino();
            long hotIno = Stack.find(u, R, "hot").ino();
            Entry sub = u.mkdir(ROOT, a, Name.of("sub"), S_IFDIR | 0755, 0); // upper-only: may move
            Stack.put(u, sub.ino(), "inner", "in sub");
            long list = Stack.find(u, R, "list").ino();
            Set<String> unexpected = java.util.concurrent.ConcurrentHashMap.newKeySet();
            List<Body> bodies = new ArrayList<>();
            int writers = 4;
            for (int t = 0; t < writers; t++) {
                int me = t;
                bodies.add(round -> { // copy-up of one file from many threads at once, each writing its own slot
                    if (round == 0) await(together);
                    Opened o = u.open(ROOT, hotIno, OpenFlags.O_RDWR);
                    try {
                        if (round == 0) {
                            u.write(ROOT, hotIno, o.fh(), me * 1024L, ByteBuffer.wrap(new byte[] {(byte) (me + 1)}), 0);
                        } else {
                            ByteBuffer slot = ByteBuffer.allocate(1);
                            u.read(ROOT, hotIno, o.fh(), me * 1024L, slot);
                            if (slot.get(0) != me + 1) unexpected.add("writer " + me + " lost its write (a second copy-up?)");
                        }
                    } finally {
                        u.release(hotIno, o.fh(), OpenFlags.O_RDWR);
                    }
                });
            }
            for (int dirn = 0; dirn < 2; dirn++) {
                long from = dirn == 0 ? a : b, to = dirn == 0 ? b : a;
                bodies.add(round -> { // files and a directory move both ways between a and b
                    u.rename(ROOT, from, Name.of("x" + round % 10), to, Name.of("x" + round % 10), 0);
                    if (round % 7 == 0) u.rename(ROOT, from, Name.of("sub"), to, Name.of("sub"), 0);
                    if (round % 5 == 0) u.rename(ROOT, from, Name.of("ld"), to, Name.of("ld"), 0);
                });
            }
            for (int t = 0; t < 2; t++) {
                bodies.add(round -> { // mkdir / create / unlink / rmdir racing on one name
                    try {
                        u.forget(u.mkdir(ROOT, list, Name.of("tmpd"), S_IFDIR | 0755, 0).ino(), 1);
                    } catch (FsException e) {
                        if (e.errno() != Errno.EEXIST) throw e;
                    }
                    Entry d = u.lookup(ROOT, list, Name.of("tmpd"));
                    try {
                        Created cr = u.create(ROOT, d.ino(), Name.of("f" + round % 3), S_IFREG | 0644, OpenFlags.O_RDWR, 0);
                        u.release(cr.entry().ino(), cr.opened().fh(), OpenFlags.O_RDWR);
                        u.forget(cr.entry().ino(), 1);
                        u.unlink(ROOT, d.ino(), Name.of("f" + round % 3));
                    } finally {
                        u.forget(d.ino(), 1);
                    }
                    u.rmdir(ROOT, list, Name.of("tmpd"));
                });
            }
            bodies.add(round -> { // listings during the churn
                for (long dir : new long[] {R, a, b, list}) {
                    Opened o = u.opendir(ROOT, dir, 0);
                    try {
                        List<Entry> got = new ArrayList<>();
                        u.readdirplus(ROOT, dir, o.fh(), 0, (n, i, t, c, e) -> {
                            if (e != null) got.add(e);
                            return true;
                        });
                        for (Entry e : got) u.forget(e.ino(), 1);
                    } finally {
                        u.releasedir(dir, o.fh());
                    }
                }
                Set<String> names = new HashSet<>(Stack.list(u, list));
                for (int i = 0; i < 50; i++) assertTrue(names.contains("l" + i), "a survivor vanished from a listing");
            });
            ExecutorService pool = Executors.newFixedThreadPool(bodies.size());
            try (Watchdog w = new Watchdog("union stress", 60_000)) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> fs = new ArrayList<>();
                for (Body body : bodies) {
                    fs.add(pool.submit(() -> {
                        go.await();
                        for (int r = 0; r < ROUNDS; r++) {
                            try {
                                body.run(r);
                            } catch (FsException e) {
                                if (!TOLERATED.contains(e.errno())) unexpected.add(e.getMessage());
                            }
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : fs) f.get();
            } finally {
                pool.shutdownNow();
            }
            assertEquals(Set.of(), Set.copyOf(unexpected));
            // invariants: every writer's byte is there, every moved file exists exactly once
            byte[] want = hot.clone();
            for (int t = 0; t < writers; t++) want[t * 1024] = (byte) (t + 1);
            assertArrayEquals(want, Tree.readAll(u, hotIno));
            List<String> all = new ArrayList<>(Stack.list(u, a));
            all.addAll(Stack.list(u, b));
            Set<String> expected = new HashSet<>();
            for (int i = 0; i < 10; i++) expected.add("x" + i);
            expected.add("sub");
            expected.add("ld");
            assertEquals(expected, new HashSet<>(all));
            assertEquals(all.size(), new HashSet<>(all).size(), "no name in both directories");
            String ldAt = Stack.list(u, a).contains("ld") ? "a/ld" : "b/ld";
            assertEquals(Set.of("f0", "f1", "f2", "f3", "f4"), new HashSet<>(Stack.list(u, Stack.find(u, R, ldAt).ino())),
                    "the redirected lower dir keeps its contents");
            try (UnionFileSystem again = UnionFileSystem.open(st.options())) {
                assertEquals(Tree.of(u), Tree.of(again), "the upper's format alone gives the same tree");
            }
            assertEquals(List.of(), Stack.list(st.upperFs, Stack.find(st.upperFs, st.workDir, "work").ino()));
            assertEquals(1, Stack.list(st.upperFs, st.upperDir).stream().filter("hot"::equals).count());
        }
    }
}
