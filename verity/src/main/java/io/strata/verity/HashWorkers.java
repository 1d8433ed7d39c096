package io.strata.verity;

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
            Thread t = new Thread(r, "strata-verity-hash-" + SEQ.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
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
        if (THREADS == 1 || (long) count * bs < MIN_PARALLEL_BYTES) {
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
     * Hashes the run and waits: one slice on the calling thread, the others on the pool (the caller
     * works instead of idling, so a FUSE worker's request uses every core).
     */
    static void hash(BlockHasher h, byte[] data, int off, int count, int bs, byte[] out, int outOff) {
        if (THREADS == 1 || (long) count * bs < MIN_PARALLEL_BYTES) {
            h.hashRun(data, off, count, bs, out, outOff);
            return;
        }
        int d = h.digestSize(), slices = THREADS;
        Future<?>[] parts = new Future<?>[slices - 1];
        int per = count / slices, from = per + count % slices; // the caller's slice is first
        for (int i = 0; i < slices - 1; i++) {
            int start = from;
            parts[i] = Pool.POOL.submit(() -> h.hashRun(data, off + start * bs, per, bs, out, outOff + start * d));
            from += per;
        }
        h.hashRun(data, off, per + count % slices, bs, out, outOff);
        for (Future<?> f : parts) join(f);
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
