package io.strata.core;

import java.util.ArrayList;
import java.util.List;

/**
 * One frontend's attachment to a file system: a FUSE mount, a 9P connection, a nio view, a
 * stacker above. Frontends serve the Session, never the file system directly.
 *
 * <p>A Session records every lookup reference it hands out ({@link RefLedger}) and clamps
 * forgets to what it holds, so detaching ({@link #close()}) forgets exactly what this session
 * still held and nothing another session holds. It subscribes the frontend's invalidation sink for
 * its lifetime. Closing a Session never closes the file system beneath; its owner does that.
 *
 * <p>Calls made after {@link #close()} fail with ENOTCONN (a lazily detached FUSE mount may still
 * have requests in flight). A reference handed out by a call that raced with close is forgotten at
 * once; the ledger's per-inode atomic removal makes that exact (never forgotten twice).
 */
public final class Session extends ForwardingFileSystem {
    private final String label;
    private final RefLedger ledger = new RefLedger();
    /**
     * Open handles this session has not released yet, counted (a backend may hand out the same
     * fh twice, e.g. 0 for every directory).
     */
    private final java.util.concurrent.ConcurrentHashMap<Handle, Integer> handles = new java.util.concurrent.ConcurrentHashMap<>();

    private record Handle(long ino, long fh, boolean dir) {}

    private boolean dropHandle(Handle h) {
        boolean[] had = new boolean[1];
        handles.computeIfPresent(h, (k, n) -> {
            had[0] = true;
            return n == 1 ? null : n - 1;
        });
        return had[0];
    }

    private void releaseLower(Handle h, int flags) {
        if (h.dir) lower.releasedir(h.ino, h.fh);
        else lower.release(h.ino, h.fh, flags);
    }
    private final Invalidations.Subscription subscription;
    private volatile boolean closed;

    private Session(FileSystem fs, String label, Invalidations sink) {
        super(fs);
        this.label = label;
        this.subscription = sink == null ? Invalidations.Subscription.NONE : fs.subscribe(sink);
    }

    /** Attaches a frontend named {@code label} (for logs); {@code sink} may be null. */
    public static Session attach(FileSystem fs, String label, Invalidations sink) {
        return new Session(fs, label, sink);
    }

    public String label() {
        return label;
    }

    /** The file system this session serves. */
    public FileSystem fileSystem() {
        return lower;
    }

    public boolean isClosed() {
        return closed;
    }

    /** References this session holds on {@code ino}. */
    public long held(long ino) {
        return ledger.held(ino);
    }

    /** Number of inodes this session holds references on. */
    public int heldInodes() {
        return ledger.size();
    }

    /** Open handles this session has not released. */
    public int openHandles() {
        return handles.size();
    }

    private Opened opened(long ino, Opened o, boolean dir) {
        Handle h = new Handle(ino, o.fh(), dir);
        handles.merge(h, 1, Integer::sum);
        if (closed && dropHandle(h)) releaseLower(h, 0);
        return o;
    }

    @Override
    public void release(long ino, long fh, int flags) {
        Handle h = new Handle(ino, fh, false);
        if (dropHandle(h)) releaseLower(h, flags);
    }

    @Override
    public void releasedir(long ino, long fh) {
        Handle h = new Handle(ino, fh, true);
        if (dropHandle(h)) releaseLower(h, 0);
    }

    /** Detaches: unsubscribes and forgets every reference still held. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        subscription.close();
        // Handles first: an inode may be freed only after its last handle and reference go.
        for (Handle h : handles.keySet()) {
            Integer n = handles.remove(h);
            for (int i = 0; n != null && i < n; i++) releaseLower(h, 0);
        }
        ledger.drain((ino, n) -> lower.forget(ino, n));
    }

    @Override
    protected boolean passesBackingFds() {
        return true; // the frontend itself decides what to do with a backing fd
    }

    private void live() throws FsException {
        if (closed) throw new FsException(Errno.ENOTCONN, "session " + label + " is detached");
    }

    private Entry track(Entry e) throws FsException {
        if (e == null || e.isNegative()) return e;
        ledger.add(e.ino(), 1);
        if (closed) {
            long n = ledger.remove(e.ino(), 1);
            if (n > 0) lower.forget(e.ino(), n);
            live();
        }
        return e;
    }

    @Override
    public Entry lookup(Caller c, long parent, Name name) throws FsException {
        live();
        return track(lower.lookup(c, parent, name));
    }

    @Override
    public void forget(long ino, long nlookup) {
        long n = ledger.remove(ino, nlookup);
        if (n > 0) lower.forget(ino, n);
    }

    @Override
    public void retain(long ino, long n) throws FsException {
        live();
        lower.retain(ino, n);
        ledger.add(ino, n);
        if (closed) {
            long m = ledger.remove(ino, n);
            if (m > 0) lower.forget(ino, m);
            live();
        }
    }

    @Override
    public List<Entry> walk(Caller c, long parent, List<Name> names) throws FsException {
        live();
        List<Entry> out = lower.walk(c, parent, names);
        List<Entry> kept = new ArrayList<>(out.size());
        FsException late = null;
        for (Entry e : out) {
            try {
                kept.add(track(e));
            } catch (FsException x) {
                late = x;
            }
        }
        if (late != null) throw late;
        return kept;
    }

    @Override
    public Entry mknod(Caller c, long parent, Name name, int mode, int rdev, int umask) throws FsException {
        live();
        return track(lower.mknod(c, parent, name, mode, rdev, umask));
    }

    @Override
    public Entry mkdir(Caller c, long parent, Name name, int mode, int umask) throws FsException {
        live();
        return track(lower.mkdir(c, parent, name, mode, umask));
    }

    @Override
    public Entry symlink(Caller c, long parent, Name name, byte[] target) throws FsException {
        live();
        return track(lower.symlink(c, parent, name, target));
    }

    @Override
    public Entry link(Caller c, long ino, long newParent, Name newName) throws FsException {
        live();
        return track(lower.link(c, ino, newParent, newName));
    }

    @Override
    public Created create(Caller c, long parent, Name name, int mode, int flags, int umask) throws FsException {
        live();
        Created cr = lower.create(c, parent, name, mode, flags, umask);
        opened(cr.entry().ino(), cr.opened(), false);
        track(cr.entry());
        return cr;
    }

    @Override
    public Created tmpfile(Caller c, long parent, int mode, int flags, int umask) throws FsException {
        live();
        Created cr = lower.tmpfile(c, parent, mode, flags, umask);
        opened(cr.entry().ino(), cr.opened(), false);
        track(cr.entry());
        return cr;
    }

    @Override
    public void readdirplus(Caller c, long ino, long fh, long cookie, DirPlusSink sink) throws FsException {
        live();
        lower.readdirplus(c, ino, fh, cookie, (name, child, dtype, next, e) -> {
            if (!sink.add(name, child, dtype, next, e)) return false;
            if (e != null) {
                try {
                    track(e);
                } catch (FsException detached) {
                    return false;
                }
            }
            return true;
        });
    }

    // Every other call: refuse after detach, otherwise forward.

    @Override public AttrReply getattr(Caller c, long ino, long fh) throws FsException { live(); return lower.getattr(c, ino, fh); }
    @Override public AttrReply setattr(Caller c, long ino, SetAttr changes) throws FsException { live(); return lower.setattr(c, ino, changes); }
    @Override public byte[] readlink(Caller c, long ino) throws FsException { live(); return lower.readlink(c, ino); }
    @Override public void unlink(Caller c, long parent, Name name) throws FsException { live(); lower.unlink(c, parent, name); }
    @Override public void rmdir(Caller c, long parent, Name name) throws FsException { live(); lower.rmdir(c, parent, name); }
    @Override public void rename(Caller c, long parent, Name name, long newParent, Name newName, int flags) throws FsException { live(); lower.rename(c, parent, name, newParent, newName, flags); }
    @Override public Opened open(Caller c, long ino, int flags) throws FsException { live(); return opened(ino, lower.open(c, ino, flags), false); }
    @Override public Opened opendir(Caller c, long ino, int flags) throws FsException { live(); return opened(ino, lower.opendir(c, ino, flags), true); }
    @Override public void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException { live(); lower.readdir(c, ino, fh, cookie, sink); }
    @Override public StatFs statfs(Caller c, long ino) throws FsException { live(); return lower.statfs(c, ino); }
    @Override public int read(Caller c, long ino, long fh, long offset, java.nio.ByteBuffer dst) throws FsException { live(); return lower.read(c, ino, fh, offset, dst); }
    @Override public int write(Caller c, long ino, long fh, long offset, java.nio.ByteBuffer src, int writeFlags) throws FsException { live(); return lower.write(c, ino, fh, offset, src, writeFlags); }
    @Override public void flush(Caller c, long ino, long fh, long lockOwner) throws FsException { live(); lower.flush(c, ino, fh, lockOwner); }
    @Override public void fsync(Caller c, long ino, long fh, boolean datasync) throws FsException { live(); lower.fsync(c, ino, fh, datasync); }
    @Override public void fallocate(Caller c, long ino, long fh, int mode, long offset, long length) throws FsException { live(); lower.fallocate(c, ino, fh, mode, offset, length); }
    @Override public long lseek(Caller c, long ino, long fh, long offset, int whence) throws FsException { live(); return lower.lseek(c, ino, fh, offset, whence); }
    @Override public long copyFileRange(Caller c, long inoIn, long fhIn, long offIn, long inoOut, long fhOut, long offOut, long len, int flags) throws FsException { live(); return lower.copyFileRange(c, inoIn, fhIn, offIn, inoOut, fhOut, offOut, len, flags); }
    @Override public Ioctl.Reply ioctl(Caller c, long ino, long fh, int cmd, byte[] in, int outSize) throws FsException { live(); return lower.ioctl(c, ino, fh, cmd, in, outSize); }
    @Override public void fsyncdir(Caller c, long ino, long fh, boolean datasync) throws FsException { live(); lower.fsyncdir(c, ino, fh, datasync); }
    @Override public void access(Caller c, long ino, int mask) throws FsException { live(); lower.access(c, ino, mask); }
    @Override public void setxattr(Caller c, long ino, XattrName name, byte[] value, int flags) throws FsException { live(); lower.setxattr(c, ino, name, value, flags); }
    @Override public byte[] getxattr(Caller c, long ino, XattrName name) throws FsException { live(); return lower.getxattr(c, ino, name); }
    @Override public List<XattrName> listxattr(Caller c, long ino) throws FsException { live(); return lower.listxattr(c, ino); }
    @Override public void removexattr(Caller c, long ino, XattrName name) throws FsException { live(); lower.removexattr(c, ino, name); }
}
