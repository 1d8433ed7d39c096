package io.strata.fuse;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import io.strata.core.Invalidations;
import io.strata.core.Errno;
import io.strata.sys.Libc;
import io.strata.sys.SysException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Sends kernel cache invalidations (FUSE_NOTIFY_*) from its own thread. File systems call the
 * {@link Invalidations} methods from anywhere, including inside a request handler; queueing keeps
 * them off the request path, where an entry notification for a directory with a request in flight
 * would deadlock against the kernel's directory lock.
 */
final class Notifier implements Invalidations, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("strata.fuse");
    static final int INVAL_INODE = 2, INVAL_ENTRY = 3, DELETE = 6;

    private record Note(int code, long a, long b, long c, String name) {}

    private final int fd;
    private final boolean debug;
    private final LinkedBlockingQueue<Note> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean running = true;

    Notifier(int fd, boolean debug) {
        this.fd = fd;
        this.debug = debug;
        this.thread = Thread.ofPlatform().daemon().name("strata-notify").start(this::loop);
    }

    @Override
    public void inode(long ino, long off, long len) {
        queue.add(new Note(INVAL_INODE, ino, off, len, null));
    }

    @Override
    public void entry(long parent, String name) {
        queue.add(new Note(INVAL_ENTRY, parent, 0, 0, name));
    }

    @Override
    public void delete(long parent, long child, String name) {
        queue.add(new Note(DELETE, parent, child, 0, name));
    }

    private void loop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096 + 64, 8);
            while (running) {
                Note n;
                try {
                    n = queue.poll(200, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    return;
                }
                if (n != null) send(buf, n);
            }
        }
    }

    private void send(MemorySegment buf, Note n) {
        int len = 16;
        switch (n.code) {
            case INVAL_INODE -> {
                buf.set(JAVA_LONG_UNALIGNED, 16, n.a);
                buf.set(JAVA_LONG_UNALIGNED, 24, n.b);
                buf.set(JAVA_LONG_UNALIGNED, 32, n.c);
                len = 40;
            }
            case INVAL_ENTRY, DELETE -> {
                byte[] name = n.name.getBytes(StandardCharsets.UTF_8);
                if (name.length > 4000) return;
                int at = 16;
                buf.set(JAVA_LONG_UNALIGNED, at, n.a);
                at += 8;
                if (n.code == DELETE) {
                    buf.set(JAVA_LONG_UNALIGNED, at, n.b);
                    at += 8;
                }
                buf.set(JAVA_INT_UNALIGNED, at, name.length);
                buf.set(JAVA_INT_UNALIGNED, at + 4, 0);
                at += 8;
                MemorySegment.copy(name, 0, buf, JAVA_BYTE, at, name.length);
                at += name.length;
                buf.set(JAVA_BYTE, at++, (byte) 0);
                len = at;
            }
            default -> { return; }
        }
        buf.set(JAVA_INT_UNALIGNED, 0, len);
        buf.set(JAVA_INT_UNALIGNED, 4, n.code);
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

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
