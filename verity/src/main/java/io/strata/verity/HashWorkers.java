package io.strata.verity;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hashes long runs of blocks on several cores. One shared pool of daemon threads (one per
 * processor, created on first use); a run is cut into one slice per thread, each slice a tight
 * {@link BlockHasher#hashRun} loop writing its own disjoint range of the output, so the slices
 * share nothing but the (read-only) input. Short runs are hashed on the calling thread: handing
 * off costs more than it saves below {@link #MIN_PARALLEL_BYTES}.
 *
 * <p>Every digest is the same whichever thread computes it, so the result does not depend on the
 * split (tested: parallel and serial trees are byte-identical).
 */
final class HashWorkers {
    /** Runs shorter than this are hashed by the caller alone. */
    static final int MIN_PARALLEL_BYTES = 256 * 1024;
    static final int THREADS = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));

    private HashWorkers() {}

    private static final class Pool {
        static final AtomicInteger SEQ = new AtomicInteger();
        static final ExecutorService POOL = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new PoolThread(r, "strata-verity-hash-" + SEQ.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    private static final class PoolThread extends Thread {
        PoolThread(Runnable r, String name) {
            super(r, name);
        }
    }

    /**
     * False on a pool thread: work that a pool task starts (a verity layer read through another
     * one) runs on that thread alone, so pool tasks never wait for the pool and cannot deadlock it.
     */
    private static boolean mayFanOut() {
        return THREADS > 1 && !(Thread.currentThread() instanceof PoolThread);
    }

    /** A run of block hashes being computed; {@link #await} returns when all are in {@code out}. */
    interface Pending {
        Pending DONE = () -> {};

        void await();
    }

    /**
     * Hashes {@code count} blocks at {@code data[off]} into {@code out[outOff]} on the pool and
     * returns without waiting (the caller may read the next chunk meanwhile). Neither array may be
     * touched until {@link Pending#await}. Short runs are hashed before returning.
     */
    static Pending submit(BlockHasher h, byte[] data, int off, int count, int bs, byte[] out, int outOff) {
        if (!mayFanOut() || (long) count * bs < MIN_PARALLEL_BYTES) {
            h.hashRun(data, off, count, bs, out, outOff);
            return Pending.DONE;
        }
        int d = h.digestSize(), slices = THREADS;
        Future<?>[] parts = new Future<?>[slices];
        int from = 0;
        for (int i = 0; i < slices; i++) {
            int n = count / slices + (i < count % slices ? 1 : 0), start = from;
            parts[i] = Pool.POOL.submit(() -> h.hashRun(data, off + start * bs, n, bs, out, outOff + start * d));
            from += n;
        }
        return () -> {
            for (Future<?> f : parts) join(f);
        };
    }

    /**
     * Hashes blocks [from, from+count) of some run into their slots of the output. The slice with
     * {@code from == 0} always runs on the thread that called {@link #hash(int, int, Slice)} (so it
     * may touch memory only that thread can, such as a confined FUSE buffer); it is
     * {@link #callerBlocks} long.
     */
    @FunctionalInterface
    interface Slice {
        void hash(int from, int count);
    }

    /** How many blocks of a run of {@code count} the calling thread hashes itself (the rest: the pool). */
    static int callerBlocks(int count, int bs) {
        if (!mayFanOut() || (long) count * bs < MIN_PARALLEL_BYTES) return count;
        return count / THREADS + count % THREADS;
    }

    /** {@link #hash(int, int, Slice)} of a run in a heap array. */
    static void hash(BlockHasher h, byte[] data, int off, int count, int bs, byte[] out, int outOff) {
        int d = h.digestSize();
        hash(count, bs, (from, n) -> h.hashRun(data, off + from * bs, n, bs, out, outOff + from * d));
    }

    /**
     * Hashes a run of {@code count} blocks and waits: one slice on the calling thread, the others
     * on the pool (the caller works instead of idling, so one FUSE request uses every core).
     */
    static void hash(int count, int bs, Slice run) {
        int mine = callerBlocks(count, bs);
        if (mine == count) {
            run.hash(0, count);
            return;
        }
        int slices = THREADS;
        Future<?>[] parts = new Future<?>[slices - 1];
        int per = count / slices, from = mine; // the caller's slice is first
        for (int i = 0; i < slices - 1; i++) {
            int start = from;
            parts[i] = Pool.POOL.submit(() -> run.hash(start, per));
            from += per;
        }
        try {
            run.hash(0, mine);
        } finally {
            for (Future<?> f : parts) join(f); // never return while a slice still writes
        }
    }

    /** Work that may fail with an IOException. */
    @FunctionalInterface
    interface IoTask {
        void run() throws IOException;
    }

    /**
     * Runs {@code task} on the calling thread and on every pool thread at once and waits for all;
     * then rethrows the first failure (an IOException or RuntimeException as itself).
     */
    static void onEveryThread(IoTask task) throws IOException {
        Future<?>[] parts = new Future<?>[mayFanOut() ? THREADS - 1 : 0];
        for (int i = 0; i < parts.length; i++) parts[i] = Pool.POOL.submit(() -> {
            task.run();
            return null;
        });
        Throwable first = null;
        try {
            task.run();
        } catch (IOException | RuntimeException e) {
            first = e;
        }
        for (Future<?> f : parts) {
            try {
                join(f);
            } catch (IllegalStateException e) {
                if (first == null) first = e.getCause();
            }
        }
        if (first instanceof IOException e) throw e;
        if (first instanceof RuntimeException e) throw e;
        if (first instanceof Error e) throw e;
        if (first != null) throw new IllegalStateException(first);
    }

    private static void join(Future<?> f) {
        boolean interrupted = false;
        while (true) {
            try {
                f.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the slice writes into our arrays: never abandon it
            } catch (ExecutionException e) {
                throw new IllegalStateException("block hashing failed", e.getCause());
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
