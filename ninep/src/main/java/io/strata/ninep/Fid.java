package io.strata.ninep;

import io.strata.core.Caller;
import io.strata.core.Name;
import io.strata.core.Session;
import io.strata.core.XattrName;
import io.strata.ninep.wire.Qid;

/**
 * One client fid: the inode it names (holding exactly one SPI lookup reference on it), the caller
 * it acts for (fixed at attach, inherited by walks), and what it has been turned into: an open
 * file or directory (an SPI handle), an xattr being read, or an xattr being written.
 *
 * <p>Lifetime: requests {@linkplain FidTable#use use} a fid (a count of users); a clunk, remove,
 * Tversion or disconnect marks it clunked. The SPI handle and reference are released once it is
 * clunked and its last user is done, so a request racing with a clunk never sees a handle the
 * backend already released (and may have reused for another file).
 *
 * <p>Locking: the fid's monitor guards every mutable field; it is never held while calling the
 * file system.
 */
final class Fid {
    enum Kind { PLAIN, FILE, DIR, XATTR_READ, XATTR_WRITE }

    /**
     * Where the fid points: its inode, qid, and the directory and name it was reached by (for
     * Trename/Tremove; {@code parent} 0 when unknown: the attach root, or a walk ending in "." or "..").
     */
    record Target(long ino, Qid qid, long parent, Name name) {}

    final Caller caller;
    private Target target;
    private Kind kind = Kind.PLAIN;
    private long fh = -1;
    private int openFlags;
    // XATTR_READ: the value or the name list; XATTR_WRITE: the buffer being filled
    private byte[] xattr;
    private int xattrFill;
    private XattrName xattrName;
    private int xattrFlags;

    private int users;
    private boolean clunked, released;

    Fid(Caller caller, Target target) {
        this.caller = caller;
        this.target = target;
    }

    static Fid xattrReader(Caller caller, Target target, byte[] value) {
        Fid f = new Fid(caller, target);
        f.kind = Kind.XATTR_READ;
        f.xattr = value;
        return f;
    }

    synchronized Target target() {
        return target;
    }

    synchronized Kind kind() {
        return kind;
    }

    synchronized long fh() {
        return fh;
    }

    /** Moves a not-yet-opened fid to another inode (walk onto itself); returns the old target. */
    synchronized Target retarget(Target t) throws io.strata.core.FsException {
        if (kind != Kind.PLAIN) throw io.strata.core.FsException.of(io.strata.core.Errno.EBADF);
        Target old = target;
        target = t;
        return old;
    }

    /** Keeps the reference but records a new parent/name (after a rename). */
    synchronized void renamed(long parent, Name name) {
        target = new Target(target.ino, target.qid, parent, name);
    }

    /** Records an open; the fid must still be plain (checked by the caller beforehand, rechecked here). */
    synchronized boolean opened(Target t, Kind k, long handle, int flags) {
        if (kind != Kind.PLAIN || clunked) return false;
        target = t;
        kind = k;
        fh = handle;
        openFlags = flags;
        return true;
    }

    synchronized void startXattrWrite(XattrName name, int size, int flags) throws io.strata.core.FsException {
        if (kind != Kind.PLAIN) throw io.strata.core.FsException.of(io.strata.core.Errno.EBADF);
        kind = Kind.XATTR_WRITE;
        xattr = new byte[size];
        xattrName = name;
        xattrFlags = flags;
    }

    /** Bytes of the xattr value (or name list) from {@code offset}, at most {@code max}. */
    synchronized byte[] xattrRead(long offset, int max) throws io.strata.core.FsException {
        if (kind != Kind.XATTR_READ) throw io.strata.core.FsException.of(io.strata.core.Errno.EBADF);
        if (offset < 0) throw io.strata.core.FsException.of(io.strata.core.Errno.EINVAL);
        if (offset >= xattr.length) return new byte[0];
        int n = (int) Math.min(max, xattr.length - offset);
        return java.util.Arrays.copyOfRange(xattr, (int) offset, (int) offset + n);
    }

    /** Appends to the xattr being written; writes must come in order and stay within the declared size. */
    synchronized int xattrWrite(long offset, java.nio.ByteBuffer data) throws io.strata.core.FsException {
        if (kind != Kind.XATTR_WRITE) throw io.strata.core.FsException.of(io.strata.core.Errno.EBADF);
        int n = data.remaining();
        if (offset != xattrFill || n > xattr.length - xattrFill) throw io.strata.core.FsException.of(io.strata.core.Errno.EINVAL);
        data.get(xattr, xattrFill, n);
        xattrFill += n;
        return n;
    }

    /** The pending xattr write (name, value, flags), or null if this fid is not one. */
    synchronized XattrCommit pendingXattr() throws io.strata.core.FsException {
        if (kind != Kind.XATTR_WRITE) return null;
        if (xattrFill != xattr.length) throw io.strata.core.FsException.of(io.strata.core.Errno.EINVAL);
        return new XattrCommit(xattrName, xattr.clone(), xattrFlags);
    }

    record XattrCommit(XattrName name, byte[] value, int flags) {}

    // ---- users and clunking (FidTable) ----

    synchronized boolean enter() {
        if (clunked) return false;
        users++;
        return true;
    }

    /** True if the caller must now release the fid's SPI state. */
    synchronized boolean leave() {
        users--;
        return takeRelease();
    }

    /** True if the caller must now release the fid's SPI state. */
    synchronized boolean clunk() {
        clunked = true;
        return takeRelease();
    }

    private boolean takeRelease() {
        if (clunked && users == 0 && !released) {
            released = true;
            return true;
        }
        return false;
    }

    /** Gives back the open handle and the lookup reference. Called exactly once, by whoever won {@link #takeRelease}. */
    void releaseIn(Session s) {
        Target t;
        Kind k;
        long h;
        int flags;
        synchronized (this) {
            t = target;
            k = kind;
            h = fh;
            flags = openFlags;
        }
        if (k == Kind.FILE) s.release(t.ino, h, flags);
        else if (k == Kind.DIR) s.releasedir(t.ino, h);
        s.forget(t.ino, 1);
    }
}
