package io.strata.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The one-int inode lock with hashed wait queues: exclusion, sharing, writer preference, no lost wakeups. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InodeLockTest {

    /** A lock with two plain counters that must always be seen equal under the read lock. */
    static final class Counted extends InodeLock {
        long a, b;

        Counted(int ino) {
            super(ino, 0);
        }

        @Override
        protected boolean linked() {
            return true;
        }
    }

    static Thread start(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void writersExcludeEachOtherAndReadersNeverSeeHalfAWrite() throws Exception {
        // 300 inodes on 256 queues: some share a queue, so wakeups for one reach waiters of another
        Counted[] locks = new Counted[300];
        for (int i = 0; i < locks.length; i++) locks[i] = new Counted(i + 1);
        int writers = 4, readers = 4, rounds = 20_000;
        AtomicInteger torn = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        Thread[] ws = new Thread[writers], rs = new Thread[readers];
        for (int w = 0; w < writers; w++) {
            int seed = w;
            ws[w] = start(() -> {
                for (int i = 0; i < rounds; i++) {
                    Counted l = locks[(i * 7 + seed) % 8]; // a few hot inodes: real contention
                    l.writeLock();
                    try {
                        l.a++;
                        Thread.onSpinWait();
                        l.b++;
                    } finally {
                        l.writeUnlock();
                    }
                }
            });
        }
        for (int r = 0; r < readers; r++) {
            int seed = r;
            rs[r] = start(() -> {
                for (int i = 0; !stop.get(); i++) {
                    Counted l = locks[(i + seed) % 8];
                    l.readLock();
                    try {
                        if (l.a != l.b) torn.incrementAndGet();
                    } finally {
                        l.readUnlock();
                    }
                }
            });
        }
        for (Thread t : ws) t.join();
        stop.set(true);
        for (Thread t : rs) t.join();
        long total = 0;
        for (Counted l : locks) {
            assertEquals(l.a, l.b);
            total += l.a;
        }
        assertEquals((long) writers * rounds, total, "no increment lost: writers excluded each other");
        assertEquals(0, torn.get(), "no reader saw a write half done");
    }

    @Test
    void readersShareTheLock() throws Exception {
        Counted l = new Counted(1);
        l.readLock();
        CountDownLatch second = new CountDownLatch(1);
        Thread t = start(() -> {
            l.readLock();
            second.countDown();
            l.readUnlock();
        });
        assertTrue(second.await(10, TimeUnit.SECONDS), "a second reader gets in while the first holds it");
        t.join();
        l.readUnlock();
        l.writeLock(); // and everything was released
        l.writeUnlock();
    }

    @Test
    void aWaitingWriterHoldsNewReadersBackAndGetsTheLockWhenTheReadersLeave() throws Exception {
        Counted l = new Counted(42);
        l.readLock();
        CountDownLatch writerIn = new CountDownLatch(1), writerMayLeave = new CountDownLatch(1);
        Thread writer = start(() -> {
            l.writeLock();
            writerIn.countDown();
            try {
                writerMayLeave.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            l.writeUnlock();
        });
        assertFalse(writerIn.await(300, TimeUnit.MILLISECONDS), "a reader holds the lock");
        CountDownLatch lateReaderIn = new CountDownLatch(1);
        Thread lateReader = start(() -> {
            l.readLock();
            lateReaderIn.countDown();
            l.readUnlock();
        });
        assertFalse(lateReaderIn.await(300, TimeUnit.MILLISECONDS), "a new reader queues behind the waiting writer");
        l.readUnlock();
        assertTrue(writerIn.await(10, TimeUnit.SECONDS), "the writer is woken when the last reader leaves");
        assertFalse(lateReaderIn.await(100, TimeUnit.MILLISECONDS), "the writer holds it now");
        writerMayLeave.countDown();
        assertTrue(lateReaderIn.await(10, TimeUnit.SECONDS), "the reader is woken when the writer leaves");
        writer.join();
        lateReader.join();
    }

    @Test
    void interruptsDoNotBreakLocking() throws Exception {
        Counted l = new Counted(7);
        l.writeLock();
        AtomicBoolean sawInterrupt = new AtomicBoolean();
        CountDownLatch in = new CountDownLatch(1);
        Thread t = start(() -> {
            l.writeLock(); // uninterruptible: waits through the interrupt
            sawInterrupt.set(Thread.currentThread().isInterrupted());
            in.countDown();
            l.writeUnlock();
        });
        Thread.sleep(100);
        t.interrupt();
        assertFalse(in.await(200, TimeUnit.MILLISECONDS), "an interrupt does not grant the lock");
        l.writeUnlock();
        assertTrue(in.await(10, TimeUnit.SECONDS));
        t.join();
        assertTrue(sawInterrupt.get(), "the interrupt status is kept for the caller");
    }
}
