package io.strata.passthrough;

import io.strata.sys.Libc;

/**
 * Closes dead nodes' pinned descriptors on one thread of its own, off the request path.
 *
 * <p>Why: closing the last descriptor of an unlinked host inode is when the host file system really
 * deletes it (ext4: the orphan list, freeing blocks, journal updates). Done inline, the FORGETs
 * that follow an {@code rm -rf} run on every worker at once and contend inside the host file system
 * (measured on 2 vCPUs: 10k files, 3.2 s with 4 workers, 1.8 s with 1). One thread closing them in
 * order takes that work off the workers and out of their way (1.3 s, the closes included).
 *
 * <p>Bounded: with {@link #CAPACITY} closes pending, the caller closes inline (back-pressure, no
 * unbounded memory). {@link #close} drains: once the file system is closed no descriptor of it is
 * left open and no host deletion is pending.
 *
 * <p>Locking: this object's monitor guards the ring, {@link #closed} and {@link #thread}; it is a
 * leaf lock, never held across a system call.
 */
final class Reaper implements AutoCloseable {
    static final int CAPACITY = 4096;

    private final String name;
    private final int[] ring = new int[CAPACITY];
    private int head;
    private int size;
    private boolean closed;
    private Thread thread;

    Reaper(String name) {
        this.name = name;
    }

    /** Closes {@code fd}, now or soon; the caller gives up the descriptor either way. */
    void close(int fd) {
        synchronized (this) {
            if (!closed && size < CAPACITY) {
                ring[(head + size) % CAPACITY] = fd;
                if (size++ == 0) notifyAll();
                if (thread == null) start();
                return;
            }
        }
        Libc.closeQuietly(fd);
    }

    /** Closes what is pending and stops the thread; later closes happen inline. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            notifyAll();
            t = thread;
        }
        if (t != null && t != Thread.currentThread()) {
            boolean interrupted = false;
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // finish draining: an open fd would outlive the file system
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** Closes still pending, for tests. */
    synchronized int pending() {
        return size;
    }

    private void start() {
        thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
        thread.start();
    }

    private void run() {
        while (true) {
            int fd;
            synchronized (this) {
                while (size == 0 && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        // only close() ends this thread: pending descriptors must be closed
                    }
                }
                if (size == 0) return;
                fd = ring[head];
                head = (head + 1) % CAPACITY;
                size--;
            }
            Libc.closeQuietly(fd);
        }
    }
}
