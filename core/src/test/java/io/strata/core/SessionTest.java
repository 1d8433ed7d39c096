package io.strata.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.strata.core.testing.Watchdog;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The session ledger: exact forgets on detach, also when detach races with lookups. */
class SessionTest {
    /** A flat file system of 64 files that only counts references and open handles. */
    static final class CountingFs implements FileSystem {
        final ConcurrentHashMap<Long, AtomicLong> refs = new ConcurrentHashMap<>();
        final AtomicLong opens = new AtomicLong();
        final AtomicLong overForgets = new AtomicLong();
        final CachePolicy policy = CachePolicy.of(CacheMode.EXCLUSIVE);

        private Attr attr(long ino) {
            return new Attr(ino, FileType.S_IFREG | 0644, 1, 0, 0, 0, 0, 0, 4096, 0, 0, 0);
        }

        long total() {
            return refs.values().stream().mapToLong(AtomicLong::get).sum();
        }

        @Override public Entry lookup(Caller c, long parent, Name name) throws FsException {
            long ino = 2 + Math.floorMod(name.hashCode(), 64);
            refs.computeIfAbsent(ino, k -> new AtomicLong()).incrementAndGet();
            return policy.entry(ino, 0, attr(ino));
        }

        @Override public void forget(long ino, long n) {
            AtomicLong r = refs.computeIfAbsent(ino, k -> new AtomicLong());
            if (r.addAndGet(-n) < 0) overForgets.incrementAndGet();
        }

        @Override public void retain(long ino, long n) {
            refs.computeIfAbsent(ino, k -> new AtomicLong()).addAndGet(n);
        }

        @Override public Opened open(Caller c, long ino, int flags) {
            opens.incrementAndGet();
            return Opened.of(7, 0);
        }

        @Override public void release(long ino, long fh, int flags) {
            opens.decrementAndGet();
        }

        @Override public AttrReply getattr(Caller c, long ino, long fh) { return policy.attr(attr(ino)); }
        @Override public AttrReply setattr(Caller c, long ino, SetAttr ch) throws FsException { throw FsException.of(Errno.EROFS); }
        @Override public Entry mknod(Caller c, long p, Name n, int m, int r, int u) throws FsException { throw FsException.of(Errno.EROFS); }
        @Override public Entry mkdir(Caller c, long p, Name n, int m, int u) throws FsException { throw FsException.of(Errno.EROFS); }
        @Override public Entry symlink(Caller c, long p, Name n, byte[] t) throws FsException { throw FsException.of(Errno.EROFS); }
        @Override public Entry link(Caller c, long i, long p, Name n) throws FsException { throw FsException.of(Errno.EROFS); }
        @Override public void unlink(Caller c, long p, Name n) throws FsException { throw FsException.of(Errno.EROFS); }
        @Override public void rmdir(Caller c, long p, Name n) throws FsException { throw FsException.of(Errno.EROFS); }
        @Override public void rename(Caller c, long p, Name n, long np, Name nn, int f) throws FsException { throw FsException.of(Errno.EROFS); }
        @Override public Created create(Caller c, long p, Name n, int m, int f, int u) throws FsException { throw FsException.of(Errno.EROFS); }
        @Override public int read(Caller c, long i, long fh, long off, ByteBuffer dst) { return 0; }
        @Override public int write(Caller c, long i, long fh, long off, ByteBuffer src, int f) throws FsException { throw FsException.of(Errno.EROFS); }
        @Override public void readdir(Caller c, long i, long fh, long cookie, DirSink sink) {}
        @Override public StatFs statfs(Caller c, long i) { return new StatFs(0, 0, 0, 0, 0, 4096, 255, 4096); }
    }

    @Test
    void detachForgetsExactlyWhatTheSessionHeld() throws Exception {
        CountingFs fs = new CountingFs();
        Session a = Session.attach(fs, "a", null), b = Session.attach(fs, "b", null);
        Entry e = a.lookup(Caller.ROOT, 1, Name.of("x"));
        a.lookup(Caller.ROOT, 1, Name.of("x"));
        a.retain(e.ino(), 3);
        b.lookup(Caller.ROOT, 1, Name.of("x"));
        a.open(Caller.ROOT, e.ino(), 0);
        assertEquals(6, fs.total());
        a.forget(e.ino(), 1000); // clamped to a's five
        assertEquals(1, fs.total());
        a.lookup(Caller.ROOT, 1, Name.of("y"));
        a.close();
        assertEquals(1, fs.total(), "only b's reference is left");
        assertEquals(0, fs.opens.get(), "a's open handle was released on detach");
        assertEquals(Errno.ENOTCONN, assertThrows(FsException.class, () -> a.lookup(Caller.ROOT, 1, Name.of("x"))).errno());
        assertEquals(Errno.ENOTCONN, assertThrows(FsException.class,
                () -> a.read(Caller.ROOT, e.ino(), 7, 0, ByteBuffer.allocate(1))).errno(), "every call, I/O included");
        b.close();
        assertEquals(0, fs.total());
        assertEquals(0, fs.overForgets.get());
    }

    @Test
    void detachRacingWithLookupsNeverLeaksOrDoubleForgets() throws Exception {
        try (Watchdog w = new Watchdog("session detach stress", 60_000)) {
            for (int round = 0; round < 200; round++) {
                CountingFs fs = new CountingFs();
                Session s = Session.attach(fs, "stress", null);
                int threads = 4;
                CountDownLatch start = new CountDownLatch(1), done = new CountDownLatch(threads);
                List<Thread> ts = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    ts.add(Thread.ofPlatform().start(() -> {
                        try {
                            start.await();
                            for (int i = 0; i < 500; i++) {
                                Entry e = s.lookup(Caller.ROOT, 1, Name.of("n" + (i + id) % 97));
                                if (i % 3 == 0) s.forget(e.ino(), 1);
                                if (i % 7 == 0) s.retain(e.ino(), 2);
                                if (i % 11 == 0) s.release(e.ino(), s.open(Caller.ROOT, e.ino(), 0).fh(), 0);
                            }
                        } catch (FsException detached) {
                            // ENOTCONN once the session is closed: expected
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } finally {
                            done.countDown();
                        }
                    }));
                }
                start.countDown();
                Thread.sleep(0, 50_000 * (round % 10));
                s.close();
                done.await();
                for (Thread t : ts) t.join();
                assertEquals(0, fs.total(), "round " + round + ": references left behind");
                assertEquals(0, fs.overForgets.get(), "round " + round + ": forgotten twice");
                assertEquals(0, fs.opens.get(), "round " + round + ": handles left open");
            }
        }
    }
}
