package io.strata.core;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

/**
 * A FileSystem that forwards every call to another: the base of {@link Session} and of 1:1
 * stackers (verity). Ids are passed through unchanged.
 *
 * <p>Stacking rule: a backing fd for kernel passthrough I/O would let the kernel read and write
 * the lower file without this layer seeing it, so {@link #open}, {@link #create} and
 * {@link #tmpfile} strip it unless {@link #passesBackingFds()} says this layer means to re-emit it.
 */
public abstract class ForwardingFileSystem implements FileSystem {
    protected final FileSystem lower;

    protected ForwardingFileSystem(FileSystem lower) {
        this.lower = lower;
    }

    /** True only for layers that never need to see reads and writes (a Session, a pure rename layer). */
    protected boolean passesBackingFds() {
        return false;
    }

    private Opened filter(Opened o) {
        return passesBackingFds() || o.backingFd() < 0 ? o : o.withoutBacking();
    }

    private Created filter(Created c) {
        return passesBackingFds() || c.opened().backingFd() < 0 ? c : new Created(c.entry(), c.opened().withoutBacking());
    }

    /** Does not close the lower file system: whoever built it owns it (layers may be shared). */
    @Override public void close() {}
    @Override public Set<Feature> features() {
        Set<Feature> f = java.util.EnumSet.copyOf(lower.features());
        if (!passesBackingFds()) f.remove(Feature.BACKING_FDS);
        return f;
    }
    @Override public CachePolicy cachePolicy() { return lower.cachePolicy(); }
    @Override public Invalidations.Subscription subscribe(Invalidations sink) { return lower.subscribe(sink); }
    @Override public boolean readOnly() { return lower.readOnly(); }

    @Override public Entry lookup(Caller c, long parent, Name name) throws FsException { return lower.lookup(c, parent, name); }
    @Override public void forget(long ino, long nlookup) { lower.forget(ino, nlookup); }
    @Override public void retain(long ino, long n) throws FsException { lower.retain(ino, n); }
    @Override public List<Entry> walk(Caller c, long parent, List<Name> names) throws FsException { return lower.walk(c, parent, names); }
    @Override public AttrReply getattr(Caller c, long ino, long fh) throws FsException { return lower.getattr(c, ino, fh); }
    @Override public AttrReply setattr(Caller c, long ino, SetAttr changes) throws FsException { return lower.setattr(c, ino, changes); }
    @Override public byte[] readlink(Caller c, long ino) throws FsException { return lower.readlink(c, ino); }
    @Override public Entry mknod(Caller c, long parent, Name name, int mode, int rdev, int umask) throws FsException { return lower.mknod(c, parent, name, mode, rdev, umask); }
    @Override public Entry mkdir(Caller c, long parent, Name name, int mode, int umask) throws FsException { return lower.mkdir(c, parent, name, mode, umask); }
    @Override public Entry symlink(Caller c, long parent, Name name, byte[] target) throws FsException { return lower.symlink(c, parent, name, target); }
    @Override public Entry link(Caller c, long ino, long newParent, Name newName) throws FsException { return lower.link(c, ino, newParent, newName); }
    @Override public void unlink(Caller c, long parent, Name name) throws FsException { lower.unlink(c, parent, name); }
    @Override public void rmdir(Caller c, long parent, Name name) throws FsException { lower.rmdir(c, parent, name); }
    @Override public void rename(Caller c, long parent, Name name, long newParent, Name newName, int flags) throws FsException { lower.rename(c, parent, name, newParent, newName, flags); }
    @Override public Opened open(Caller c, long ino, int flags) throws FsException { return filter(lower.open(c, ino, flags)); }
    @Override public Created create(Caller c, long parent, Name name, int mode, int flags, int umask) throws FsException { return filter(lower.create(c, parent, name, mode, flags, umask)); }
    @Override public Created tmpfile(Caller c, long parent, int mode, int flags, int umask) throws FsException { return filter(lower.tmpfile(c, parent, mode, flags, umask)); }
    @Override public int read(Caller c, long ino, long fh, long offset, ByteBuffer dst) throws FsException { return lower.read(c, ino, fh, offset, dst); }
    @Override public int write(Caller c, long ino, long fh, long offset, ByteBuffer src, int writeFlags) throws FsException { return lower.write(c, ino, fh, offset, src, writeFlags); }
    @Override public void flush(Caller c, long ino, long fh, long lockOwner) throws FsException { lower.flush(c, ino, fh, lockOwner); }
    @Override public void release(long ino, long fh, int flags) { lower.release(ino, fh, flags); }
    @Override public void fsync(Caller c, long ino, long fh, boolean datasync) throws FsException { lower.fsync(c, ino, fh, datasync); }
    @Override public void fallocate(Caller c, long ino, long fh, int mode, long offset, long length) throws FsException { lower.fallocate(c, ino, fh, mode, offset, length); }
    @Override public long lseek(Caller c, long ino, long fh, long offset, int whence) throws FsException { return lower.lseek(c, ino, fh, offset, whence); }
    @Override public long copyFileRange(Caller c, long inoIn, long fhIn, long offIn, long inoOut, long fhOut, long offOut, long len, int flags) throws FsException { return lower.copyFileRange(c, inoIn, fhIn, offIn, inoOut, fhOut, offOut, len, flags); }
    @Override public Ioctl.Reply ioctl(Caller c, long ino, long fh, int cmd, byte[] in, int outSize) throws FsException { return lower.ioctl(c, ino, fh, cmd, in, outSize); }
    @Override public Opened opendir(Caller c, long ino, int flags) throws FsException { return lower.opendir(c, ino, flags); }
    @Override public void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException { lower.readdir(c, ino, fh, cookie, sink); }
    @Override public void readdirplus(Caller c, long ino, long fh, long cookie, DirPlusSink sink) throws FsException { lower.readdirplus(c, ino, fh, cookie, sink); }
    @Override public void releasedir(long ino, long fh) { lower.releasedir(ino, fh); }
    @Override public void fsyncdir(Caller c, long ino, long fh, boolean datasync) throws FsException { lower.fsyncdir(c, ino, fh, datasync); }
    @Override public StatFs statfs(Caller c, long ino) throws FsException { return lower.statfs(c, ino); }
    @Override public void access(Caller c, long ino, int mask) throws FsException { lower.access(c, ino, mask); }
    @Override public void setxattr(Caller c, long ino, XattrName name, byte[] value, int flags) throws FsException { lower.setxattr(c, ino, name, value, flags); }
    @Override public byte[] getxattr(Caller c, long ino, XattrName name) throws FsException { return lower.getxattr(c, ino, name); }
    @Override public List<XattrName> listxattr(Caller c, long ino) throws FsException { return lower.listxattr(c, ino); }
    @Override public void removexattr(Caller c, long ino, XattrName name) throws FsException { lower.removexattr(c, ino, name); }
}
