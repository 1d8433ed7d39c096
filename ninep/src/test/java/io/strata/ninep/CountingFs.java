package io.strata.ninep;

import io.strata.core.*;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the lookup references and open handles the server holds on the file system below, and
 * can hold reads of one inode until released (to make requests finish out of order).
 */
final class CountingFs extends ForwardingFileSystem {
    final AtomicLong refs = new AtomicLong(), handles = new AtomicLong();
    volatile long gatedIno = -1;
    volatile CountDownLatch gate = new CountDownLatch(0);
    final CountDownLatch gatedReadStarted = new CountDownLatch(1);

    CountingFs(FileSystem lower) {
        super(lower);
    }

    private Entry counted(Entry e) {
        if (e != null && !e.isNegative()) refs.incrementAndGet();
        return e;
    }

    /**
     * Simulates a backend whose root ".." leads outside the export (as a host directory's would):
     * lookup(ROOT, "..") answers this inode instead. -1: off.
     */
    volatile long outsideIno = -1;

    @Override public Entry lookup(Caller c, long parent, Name name) throws FsException {
        if (parent == FileSystem.ROOT && name.isDotDot() && outsideIno > 0) {
            lower.retain(outsideIno, 1);
            return counted(new Entry(outsideIno, 0, lower.getattr(c, outsideIno, -1).attr(), 0, 0));
        }
        return counted(lower.lookup(c, parent, name));
    }
    @Override public void forget(long ino, long n) { refs.addAndGet(-n); lower.forget(ino, n); }
    @Override public void retain(long ino, long n) throws FsException { lower.retain(ino, n); refs.addAndGet(n); }
    @Override public Entry mknod(Caller c, long p, Name n, int mode, int rdev, int umask) throws FsException { return counted(lower.mknod(c, p, n, mode, rdev, umask)); }
    @Override public Entry mkdir(Caller c, long p, Name n, int mode, int umask) throws FsException { return counted(lower.mkdir(c, p, n, mode, umask)); }
    @Override public Entry symlink(Caller c, long p, Name n, byte[] t) throws FsException { return counted(lower.symlink(c, p, n, t)); }
    @Override public Entry link(Caller c, long ino, long p, Name n) throws FsException { return counted(lower.link(c, ino, p, n)); }

    @Override public Created create(Caller c, long p, Name n, int mode, int flags, int umask) throws FsException {
        Created cr = lower.create(c, p, n, mode, flags, umask);
        counted(cr.entry());
        handles.incrementAndGet();
        return cr;
    }

    @Override public Opened open(Caller c, long ino, int flags) throws FsException { Opened o = lower.open(c, ino, flags); handles.incrementAndGet(); return o; }
    @Override public Opened opendir(Caller c, long ino, int flags) throws FsException { Opened o = lower.opendir(c, ino, flags); handles.incrementAndGet(); return o; }
    @Override public void release(long ino, long fh, int flags) { handles.decrementAndGet(); lower.release(ino, fh, flags); }
    @Override public void releasedir(long ino, long fh) { handles.decrementAndGet(); lower.releasedir(ino, fh); }

    @Override public int read(Caller c, long ino, long fh, long off, ByteBuffer dst) throws FsException {
        if (ino == gatedIno) {
            gatedReadStarted.countDown();
            try {
                if (!gate.await(20, TimeUnit.SECONDS)) throw FsException.of(Errno.EIO);
            } catch (InterruptedException e) {
                throw FsException.of(Errno.EINTR);
            }
        }
        return lower.read(c, ino, fh, off, dst);
    }

    /** Waits (briefly) until the server gave back everything. */
    boolean settles() throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            if (refs.get() == 0 && handles.get() == 0) return true;
            Thread.sleep(10);
        }
        return false;
    }
}
