package io.strata.fuse;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import io.strata.core.Errno;
import io.strata.core.InvalidationQueue;
import io.strata.core.Invalidations;
import io.strata.core.Name;
import io.strata.sys.Libc;
import io.strata.sys.SysException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * Sends kernel cache invalidations (FUSE_NOTIFY_*) from its own thread. File systems report
 * changes from anywhere, including inside a request handler; queueing keeps them off the request
 * path, where an entry notification for a directory with a request in flight would deadlock
 * against the kernel's directory lock. The queue is core's {@link InvalidationQueue}: bounded and
 * coalescing per inode, so a flood of host changes costs a fixed amount of memory; what it had to
 * drop is logged.
 */
final class Notifier implements Invalidations, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("strata.fuse");
    static final int INVAL_INODE = 2, INVAL_ENTRY = 3, DELETE = 6;
    /** Distinct pending notices; beyond this new ones are dropped (and counted). */
    static final int CAPACITY = 8192;

    private final int fd;
    private final boolean debug;
    private final InvalidationQueue queue = new InvalidationQueue(CAPACITY);
    private final Thread thread;
    private volatile boolean running = true;

    Notifier(int fd, boolean debug) {
        this.fd = fd;
        this.debug = debug;
        this.thread = Thread.ofPlatform().daemon().name("strata-notify").start(this::loop);
    }

    @Override
    public void inode(long ino, long off, long len) {
        queue.inode(ino, off, len);
    }

    @Override
    public void entry(long parent, Name name) {
        queue.entry(parent, name);
    }

    @Override
    public void delete(long parent, long child, Name name) {
        queue.delete(parent, child, name);
    }

    private void loop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096 + 64, 8);
            while (running) {
                InvalidationQueue.Note n;
                try {
                    n = queue.poll(200, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    return;
                }
                if (n != null) send(buf, n);
                long dropped = queue.takeDropped();
                if (dropped > 0) {
                    LOG.log(System.Logger.Level.WARNING, "dropped " + dropped + " cache invalidations (more than "
                            + CAPACITY + " pending); the kernel may show stale entries until their timeouts");
                }
            }
        }
    }

    private void send(MemorySegment buf, InvalidationQueue.Note n) {
        int len;
        int code;
        switch (n.kind()) {
            case InvalidationQueue.INODE -> {
                code = INVAL_INODE;
                buf.set(JAVA_LONG_UNALIGNED, 16, n.a());
                buf.set(JAVA_LONG_UNALIGNED, 24, n.b());
                buf.set(JAVA_LONG_UNALIGNED, 32, n.c());
                len = 40;
            }
            case InvalidationQueue.ENTRY, InvalidationQueue.DELETE -> {
                code = n.kind() == InvalidationQueue.DELETE ? DELETE : INVAL_ENTRY;
                Name name = n.name();
                int at = 16;
                buf.set(JAVA_LONG_UNALIGNED, at, n.a());
                at += 8;
                if (code == DELETE) {
                    buf.set(JAVA_LONG_UNALIGNED, at, n.b());
                    at += 8;
                }
                buf.set(JAVA_INT_UNALIGNED, at, name.length());
                buf.set(JAVA_INT_UNALIGNED, at + 4, 0);
                at += 8;
                for (int i = 0; i < name.length(); i++) buf.set(JAVA_BYTE, at + i, name.byteAt(i));
                at += name.length();
                buf.set(JAVA_BYTE, at++, (byte) 0);
                len = at;
            }
            default -> {
                return;
            }
        }
        buf.set(JAVA_INT_UNALIGNED, 0, len);
        buf.set(JAVA_INT_UNALIGNED, 4, code);
        buf.set(JAVA_LONG_UNALIGNED, 8, 0L);
        try {
            Libc.write(fd, buf, len);
            if (debug) LOG.log(System.Logger.Level.INFO, "notify " + n);
        } catch (SysException e) {
            // ENOENT: the kernel no longer caches that inode or name, so nothing is stale.
            if (e.errno() != Errno.ENOENT && e.errno() != Errno.ENODEV) {
                LOG.log(System.Logger.Level.WARNING, "notify " + n + " failed: " + e.getMessage());
            }
        }
    }

    /** Stops the thread and waits for it, so the descriptor can be closed afterwards. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
