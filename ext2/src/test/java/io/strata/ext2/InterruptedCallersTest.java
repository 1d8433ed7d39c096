package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.CacheMode;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.FileSystem;
import io.strata.core.HostLocks;
import io.strata.core.Name;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Interrupts never lose an image's data: an interrupt in the middle of FileChannel I/O closes the
 * channel for every thread; {@link ImageChannel} reopens it and retries, and unmount stops the
 * flusher without interrupting it.
 */
class InterruptedCallersTest {
    private static final Caller ROOT = Caller.ROOT;

    private static byte[] content(int file) {
        Random r = new Random(file * 7919L);
        byte[] b = new byte[16 * 1024 + r.nextInt(240 * 1024)];
        r.nextBytes(b);
        return b;
    }

    private static Ext2Options opts() {
        return new Ext2Options(false, 1 << 20, CacheMode.EXCLUSIVE);
    }

    @Test
    void writersInterruptedThousandsOfTimesLoseNothing() throws Exception {
        TestSupport.assumeE2fsprogs();
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-intr");
        Path img = dir.resolve("disk.img");
        try {
            Layout.format(img, 64L << 20, 1024, 256, 4096);
            Map<String, byte[]> written = new ConcurrentHashMap<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long interrupts = 0, reopens;
            Ext2FileSystem fs = Ext2FileSystem.open(img, opts());
            try {
                int threads = 4, files = 60;
                List<Thread> writers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    writers.add(Thread.ofPlatform().name("writer-" + t).start(() -> {
                        try {
                            for (int f = id; f < files; f += threads) {
                                byte[] data = content(f);
                                String name = "f" + f;
                                Created c = fs.create(ROOT, FileSystem.ROOT, Name.of(name), 0644, 1, 0);
                                long ino = c.entry().ino(), fh = c.opened().fh();
                                for (int off = 0; off < data.length; off += 1024) {
                                    int n = Math.min(1024, data.length - off);
                                    fs.write(ROOT, ino, fh, off, ByteBuffer.wrap(data, off, n), 0);
                                    if ((off / 1024) % 5 == f % 5) fs.fsync(ROOT, ino, fh, false);
                                }
                                fs.release(ino, fh, 0);
                                fs.forget(ino, 1);
                                written.put(name, data);
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }));
                }
                Random r = new Random(1);
                while (writers.stream().anyMatch(Thread::isAlive)) {
                    writers.get(r.nextInt(threads)).interrupt();
                    interrupts++;
                    LockSupport.parkNanos(10_000);
                }
                for (Thread w : writers) w.join();
                reopens = fs.volume().ch.reopens();
                // the image lock survives reopens (the kernel dropped it with the closed descriptor)
                assertTrue(fs.volume().ch.locked());
                assertEquals(OptionalLong.of(ProcessHandle.current().pid()), HostLocks.holder(img));
            } finally {
                fs.close();
            }
            if (failure.get() != null) throw new AssertionError("a writer failed", failure.get());
            System.out.println("InterruptedCallersTest: " + interrupts + " interrupts, " + reopens + " reopens");
            assertTrue(interrupts >= 1000, "only " + interrupts + " interrupts");
            assertTrue(reopens > 0, "no interrupt hit the channel; the test proves nothing");
            TestSupport.Result fsck = TestSupport.fsck(img);
            assertEquals(0, fsck.code(), fsck.out());
            checkContents(img, written, 60);
        } finally {
            TestSupport.deleteTree(dir);
        }
    }

    @Test
    void unmountWhileTheFlusherIsBusyLeavesACleanImage() throws Exception {
        TestSupport.assumeE2fsprogs();
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-intr");
        Path img = dir.resolve("disk.img");
        try {
            Layout.format(img, 512L << 20, 1024, 256, 4096);
            Map<String, byte[]> written = new ConcurrentHashMap<>();
            boolean busy = false;
            Ext2FileSystem fs = Ext2FileSystem.open(img, opts());
            try {
                // create files until the background flusher (every 5 s) is in the middle of writing
                // lots of dirty metadata, then unmount at once
                long start = System.nanoTime();
                int f = 0;
                byte[] small = new byte[1500];
                while (!busy && System.nanoTime() - start < 20_000_000_000L && f < 2_000_000) {
                    if (f >= 60_000) { // a sliding window of 60k live files: unlink the oldest
                        String old = "g" + (f - 60_000);
                        fs.unlink(ROOT, FileSystem.ROOT, Name.of(old));
                        written.remove(old);
                    }
                    String name = "g" + f;
                    Created c = fs.create(ROOT, FileSystem.ROOT, Name.of(name), 0644, 1, 0);
                    small[0] = (byte) f;
                    small[1] = (byte) (f >> 8);
                    fs.write(ROOT, c.entry().ino(), c.opened().fh(), 0, ByteBuffer.wrap(small), 0);
                    fs.release(c.entry().ino(), c.opened().fh(), 0);
                    fs.forget(c.entry().ino(), 1);
                    written.put(name, small.clone());
                    f++;
                    busy = System.nanoTime() - start > 4_000_000_000L && fs.volume().flushInProgress();
                }
            } finally {
                fs.close();
            }
            assertTrue(busy, "never caught the flusher writing; the test proves nothing");
            TestSupport.Result fsck = TestSupport.fsck(img);
            assertEquals(0, fsck.code(), fsck.out());
            checkContents(img, written, written.size());
        } finally {
            TestSupport.deleteTree(dir);
        }
    }

    private static void checkContents(Path img, Map<String, byte[]> written, int expected) throws Exception {
        assertEquals(expected, written.size());
        try (Ext2FileSystem fs = Ext2FileSystem.open(img, new Ext2Options(true, 1 << 20, CacheMode.EXCLUSIVE))) {
            for (Map.Entry<String, byte[]> e : written.entrySet()) {
                long ino = fs.lookup(ROOT, FileSystem.ROOT, Name.of(e.getKey())).ino();
                var o = fs.open(ROOT, ino, 0);
                ByteBuffer got = ByteBuffer.allocate(e.getValue().length + 1);
                while (got.hasRemaining() && fs.read(ROOT, ino, o.fh(), got.position(), got) > 0) { }
                got.flip();
                byte[] b = new byte[got.remaining()];
                got.get(b);
                assertArrayEquals(e.getValue(), b, e.getKey());
                fs.release(ino, o.fh(), 0);
            }
        }
    }
}
