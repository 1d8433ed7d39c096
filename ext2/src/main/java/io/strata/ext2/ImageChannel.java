package io.strata.ext2;

import io.strata.core.HostLocks;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The image file, immune to thread interrupts. An interrupt during FileChannel I/O closes the
 * channel for every thread (ClosedByInterruptException for the interrupted one,
 * AsynchronousCloseException / ClosedChannelException for the others), and callers here can be
 * interrupted at any time (java.nio users, FUSE INTERRUPT, virtual threads). So every call clears
 * the caller's interrupt status, runs, and on a close it did not ask for reopens the file once and
 * retries; the interrupt status is restored afterwards. Reads and writes are positional and retried
 * from where the buffer's position says they got to, so a retry never shifts data.
 *
 * <p>The read-write image lock ({@link HostLocks}) is a POSIX record lock: the kernel drops it when
 * the process closes <em>any</em> descriptor of the file, so an interrupt-close of the I/O channel
 * loses it even though it is held on a separate channel that is never used for I/O. A reopen
 * therefore takes it again, on that lock channel.
 *
 * <p>{@code reopen} guards replacing {@code ch}, the lock channel and {@code lock}; {@code ch} is
 * volatile so I/O reads it without the lock.
 */
final class ImageChannel implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ImageChannel.class.getName());

    private final Path path;
    private final boolean writable;
    private final ReentrantLock reopen = new ReentrantLock();
    private volatile FileChannel ch;
    private FileChannel lockCh; // guarded by reopen; null for read-only opens
    private FileLock lock; // guarded by reopen
    private volatile boolean closed;
    private volatile long reopens;

    private ImageChannel(Path path, boolean writable) throws IOException {
        this.path = path;
        this.writable = writable;
        this.ch = openChannel();
    }

    /** Opens the image; a writable open also takes the exclusive image lock (HeldException if taken). */
    static ImageChannel open(Path path, boolean writable) throws IOException {
        ImageChannel c = new ImageChannel(path, writable);
        if (writable) {
            try {
                c.lockCh = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                c.lock = HostLocks.lockExclusive(c.lockCh, path, "ext2: image " + path);
            } catch (IOException | RuntimeException e) {
                c.close();
                throw e;
            }
        }
        return c;
    }

    private FileChannel openChannel() throws IOException {
        return writable ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(path, StandardOpenOption.READ);
    }

    @FunctionalInterface
    interface Op<T> {
        T run(FileChannel c) throws IOException;
    }

    /** Runs {@code op} (which must be safe to repeat) on the channel, reopening it after an unwanted close. */
    <T> T call(Op<T> op) throws IOException {
        boolean interrupted = Thread.interrupted(); // an interrupt pending now would close the channel at once
        try {
            for (;;) {
                FileChannel c = ch;
                try {
                    return op.run(c);
                } catch (ClosedChannelException e) { // ClosedByInterrupt, AsynchronousClose, or closed before we started
                    if (closed) throw e;
                    interrupted |= Thread.interrupted();
                    reopenAfter(c);
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** Replaces {@code failed} unless another thread already did; takes the image lock again. */
    private void reopenAfter(FileChannel failed) throws IOException {
        reopen.lock();
        try {
            if (closed) throw new ClosedChannelException();
            FileChannel cur = ch;
            if (cur != failed && cur.isOpen()) return; // someone else reopened: just retry
            try {
                cur.close();
            } catch (IOException ignored) {
                // already closed by the interrupt
            }
            ch = openChannel();
            reopens++;
            if (lockCh != null) relock();
        } finally {
            reopen.unlock();
        }
    }

    /** The kernel dropped the POSIX lock with the closed descriptor: take it again (guarded by reopen). */
    private void relock() throws IOException {
        for (int attempt = 0; ; attempt++) {
            boolean intr = Thread.interrupted();
            try {
                if (!lockCh.isOpen()) {
                    lockCh = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    lock = null;
                }
                if (lock != null && lock.isValid()) lock.release(); // stale in the JVM's table; the kernel lock is gone
                lock = lockCh.tryLock();
                if (lock == null) {
                    LOG.log(System.Logger.Level.ERROR, "ext2: " + path + ": the image lock was lost while reopening the "
                            + "image after an interrupt and another process took it; do not let it write the image");
                }
                return;
            } catch (ClosedChannelException e) {
                if (attempt > 100) throw e; // interrupted over and over while locking
            } finally {
                if (intr) Thread.currentThread().interrupt();
            }
        }
    }

    /** Reads {@code dst} full from {@code pos}; returns false (rest of dst untouched) at the end of the file. */
    boolean readFully(ByteBuffer dst, long pos) throws IOException {
        int p0 = dst.position();
        return call(c -> {
            while (dst.hasRemaining()) {
                if (c.read(dst, pos + dst.position() - p0) < 0) return false;
            }
            return true;
        });
    }

    void writeFully(ByteBuffer src, long pos) throws IOException {
        int p0 = src.position();
        call(c -> {
            while (src.hasRemaining()) c.write(src, pos + src.position() - p0);
            return null;
        });
    }

    void force(boolean metaData) throws IOException {
        call(c -> {
            c.force(metaData);
            return null;
        });
    }

    long size() throws IOException {
        return call(FileChannel::size);
    }

    /** How many times the image was reopened after an interrupt (for tests and the log). */
    long reopens() {
        return reopens;
    }

    /** Whether the image lock is held (writable opens). */
    boolean locked() {
        reopen.lock();
        try {
            return lock != null && lock.isValid();
        } finally {
            reopen.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        reopen.lock();
        try {
            closed = true;
            try {
                ch.close();
            } finally {
                if (lockCh != null) lockCh.close(); // releases the lock
            }
        } finally {
            reopen.unlock();
        }
    }
}
