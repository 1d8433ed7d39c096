package io.strata.passthrough;

import static io.strata.sys.PosixFiles.AT_EACCESS;
import static io.strata.sys.PosixFiles.AT_EMPTY_PATH;
import static io.strata.sys.PosixFiles.AT_SYMLINK_NOFOLLOW;
import static io.strata.sys.PosixFiles.EMPTY_PATH;

import io.strata.core.Access;
import io.strata.core.Attr;
import io.strata.core.AttrReply;
import io.strata.core.CacheMode;
import io.strata.core.CachePolicy;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.DirPlusSink;
import io.strata.core.DirSink;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.InvalidationHub;
import io.strata.core.Invalidations;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.StatFs;
import io.strata.core.XattrName;
import io.strata.passthrough.Node.InodeKey;
import io.strata.passthrough.Node.Lease;
import io.strata.passthrough.OpenFiles.OpenFile;
import io.strata.sys.Libc;
import io.strata.sys.PosixFiles;
import io.strata.sys.PosixFiles.Dirent;
import io.strata.sys.PosixFiles.FileHandle;
import io.strata.sys.PosixFiles.Stat;
import io.strata.sys.SysException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Shares a host directory, modelled on virtiofsd's passthrough file system and split by concern as
 * it is: {@link InodeStore} (ids, generations, lookup and open counts, host identity index),
 * {@link FileHandles} and {@link MountFds} (handle identity), {@link Credentials} (acting as the
 * caller), {@link Jail} (resolving names without leaving the share), {@link Watcher} (host changes,
 * SHARED mode) and {@link OpenFiles}.
 *
 * <h2>Identity</h2>
 * A node is keyed by its file handle (name_to_handle_at: includes the inode generation) when
 * handles are in use, else by (dev, ino, mnt_id) while an O_PATH fd pins the inode so its number
 * cannot be reused. The default is {@link PassthroughOptions.Handles#NEVER}. Node ids come from a
 * core InodeTable: reused only with a new generation.
 *
 * <h2>Permissions</h2>
 * When the daemon is root, every operation the kernel would permission-check runs with the
 * caller's uid, gid and supplementary groups on the calling thread ({@link Credentials}), so the
 * host kernel decides exactly (ACLs included) and creates objects owned by the caller. What the
 * host cannot express is decided with core {@link Access}: a cached mtime from a FUSE writeback
 * cache (checked as "owner or may write", then stored as the daemon), device nodes and opening of
 * FIFOs and devices (policy, see {@link PassthroughOptions}). When the daemon is not root, every
 * operation is checked with {@code Access} against the host's attributes and performed as the
 * daemon. {@link #switchesCredentials()} says which.
 *
 * <h2>Locking</h2>
 * <ul>
 * <li>The store's lock guards identity and names (see {@link InodeStore}); no system call runs
 * under it.</li>
 * <li>Each Node's monitor guards its pinned fd's lease count (leaf lock).</li>
 * <li>The {@link Watcher} lock guards watch descriptors; it is never taken together with the
 * store's.</li>
 * <li>An open directory handle's monitor serializes readdir on it (seek + getdents); readdirplus
 * takes the store's lock inside it, never the other way round.</li>
 * <li>Nothing is locked while credentials are switched.</li>
 * </ul>
 */
public final class PassthroughFileSystem implements FileSystem {
    private static final int S_IFCHR = FileType.S_IFCHR, S_IFBLK = FileType.S_IFBLK;
    static final int STATX_MASK = PosixFiles.STATX_BASIC_STATS | PosixFiles.STATX_MNT_ID
            | PosixFiles.STATX_BTIME;

    private final Path src;
    private final PassthroughOptions opts;
    private final CachePolicy policy;
    private final Credentials creds;
    private final FileHandles handles;
    private final MountFds mounts;
    private final Jail jail;
    private final Reaper reaper = new Reaper("strata-passthrough-reaper");
    private final InodeStore store = new InodeStore(reaper);
    private final OpenFiles files = new OpenFiles();
    private final InvalidationHub hub = new InvalidationHub();
    private final Set<Feature> features;
    /** The daemon's umask: the host applies it to what we create; we put back the bits it took. */
    private final int daemonUmask;
    private final int daemonUid;
    private volatile Watcher watcher;
    private volatile boolean closed;

    private PassthroughFileSystem(Path src, PassthroughOptions opts, Credentials creds, FileHandles handles,
                                  MountFds mounts, Jail jail, int rootFd, Stat rootStat) throws IOException {
        this.src = src;
        this.opts = opts;
        this.policy = CachePolicy.of(opts.mode());
        this.creds = creds;
        this.handles = handles;
        this.mounts = mounts;
        this.jail = jail;
        this.daemonUmask = HostFeatures.umask();
        this.daemonUid = Libc.geteuid();
        Object key = handles.inUse() ? handles.root : new InodeKey(rootStat.dev(), rootStat.ino(), rootStat.mntId());
        try {
            store.addRoot(key, rootStat.type(), handles.root, rootFd, rootStat);
        } catch (FsException e) {
            throw new IOException(e.getMessage(), e);
        }
        this.features = HostFeatures.probe(rootFd, opts, daemonUid == 0);
    }

    /** Opens {@code src} for serving. Probes openat2, file handles, credentials and features. */
    public static PassthroughFileSystem open(Path src, PassthroughOptions opts) throws IOException {
        return open(src, opts, true, FileHandles.KERNEL);
    }

    /** Tests: {@code allowSwitch} false forces the checking path; {@code handleSource} injects handle errors. */
    static PassthroughFileSystem open(Path src, PassthroughOptions opts, boolean allowSwitch,
                                      FileHandles.Source handleSource) throws IOException {
        int rootFd = Libc.open(src.toString(), OpenFlags.O_PATH | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0);
        int procFd = -1;
        MountFds mounts = null;
        PassthroughFileSystem fs = null;
        try {
            procFd = Libc.open("/proc/self/fd", OpenFlags.O_PATH | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0);
            mounts = new MountFds(procFd);
            Stat st = PosixFiles.statx(rootFd, EMPTY_PATH, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MASK);
            FileHandles handles = FileHandles.open(opts.handles(), handleSource, rootFd, procFd, mounts);
            fs = new PassthroughFileSystem(src, opts, Credentials.probe(allowSwitch), handles, mounts,
                    new Jail(rootFd, procFd, st), rootFd, st);
            if (opts.mode() == CacheMode.SHARED) fs.startWatcher();
            return fs;
        } catch (IOException | RuntimeException e) {
            if (fs != null) {
                fs.close();
            } else {
                Libc.closeQuietly(rootFd);
                Libc.closeQuietly(procFd);
                if (mounts != null) mounts.close();
            }
            throw e;
        }
    }

    private void startWatcher() throws SysException {
        Watcher w = new Watcher(store, handles, mounts, hub);
        watcher = w;
        w.start();
        Node root = store.root();
        try (Lease l = root.lease(mounts)) {
            w.watch(root, l.fd);
        } catch (FsException e) {
            throw new SysException("watch", "root", e.errno());
        }
    }

    /** True if nodes are keyed by file handle (PREFER on a capable file system, or MANDATORY). */
    public boolean handlesInUse() {
        return handles.inUse();
    }

    /**
     * True if operations run with the caller's credentials (the daemon is root); false if they are
     * checked with core {@link Access} and performed as the daemon.
     */
    public boolean switchesCredentials() {
        return creds.switches();
    }

    public Path source() {
        return src;
    }

    public PassthroughOptions options() {
        return opts;
    }

    /** Number of live nodes (including the root); for tests and diagnostics. */
    public int liveNodes() {
        return store.size();
    }

    /** Number of directories the watcher could not watch (inotify limit); for diagnostics. */
    public int unwatchedDirectories() {
        Watcher w = watcher;
        return w == null ? 0 : w.unwatchedCount();
    }

    /** Tests: pretend the inotify watch limit is {@code n} watches. */
    void setTestWatchLimit(int n) {
        Watcher w = watcher;
        if (w != null) w.testLimit = n;
    }

    // ------------------------------------------------------------------ ownership, capabilities

    @Override
    public Set<Feature> features() {
        return features;
    }

    @Override
    public CachePolicy cachePolicy() {
        return policy;
    }

    @Override
    public Invalidations.Subscription subscribe(Invalidations sink) {
        return hub.subscribe(sink);
    }

    @Override
    public boolean readOnly() {
        return opts.readOnly();
    }

    /** Stops the watcher and closes every descriptor. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Watcher w = watcher;
        watcher = null;
        if (w != null) w.stop();
        for (OpenFile f : files.removeAll()) f.close();
        for (Node n : store.clear()) n.kill();
        reaper.close();
        mounts.close();
        jail.close();
    }

    // ------------------------------------------------------------------ helpers

    /** An FsException for a failed call; expected errnos carry no message (hot, e.g. ENOENT lookups). */
    static FsException fx(SysException e) {
        return SysException.expected(e.errno()) ? FsException.of(e.errno()) : new FsException(e.errno(), e.getMessage());
    }

    private Node node(long ino) throws FsException {
        return store.require(ino);
    }

    private void checkWritable() throws FsException {
        if (opts.readOnly()) throw FsException.of(Errno.EROFS);
    }

    private static Stat fstat(int fd) throws SysException {
        return PosixFiles.statx(fd, EMPTY_PATH, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MASK);
    }

    /** Checking path: the attributes of a parent directory; ENOTDIR first, as the kernel's walk answers. */
    private static Attr dirAttr(int fd) throws SysException, FsException {
        Attr a = attr(fstat(fd));
        if (!a.isDirectory()) throw FsException.of(Errno.ENOTDIR);
        return a;
    }

    /** The host attributes of {@code name} in {@code dirfd} (not following), or null if there is none. */
    private static Stat statOrNull(int dirfd, Name name) throws SysException {
        try {
            return PosixFiles.statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_MASK);
        } catch (SysException e) {
            if (e.errno() == Errno.ENOENT) return null;
            throw e;
        }
    }

    private static int encodeDev(long dev) {
        int major = PosixFiles.major(dev), minor = PosixFiles.minor(dev);
        return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12); // the kernel's new_encode_dev
    }

    private static long decodeDev(int rdev) {
        int major = (rdev >>> 8) & 0xfff, minor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
        return PosixFiles.makedev(major, minor);
    }

    /**
     * Attributes as the host reports them. st_ino is the host inode number (stable, what `ls -i`
     * and git expect); the node id is the frontend identity. Submounts with colliding st_ino under
     * one frontend st_dev are a known limitation (as in virtiofsd without announce_submounts).
     */
    static Attr attr(Stat s) {
        boolean btime = (s.mask() & PosixFiles.STATX_BTIME) != 0;
        return new Attr(s.ino(), s.mode(), s.nlink(), s.uid(), s.gid(), encodeDev(s.rdev()), s.size(), s.blocks(),
                s.blksize(), s.atimeNs(), s.mtimeNs(), s.ctimeNs(), btime ? s.btimeNs() : 0, 0, 0,
                btime ? Attr.BTIME : 0);
    }

    private static boolean dataChanged(Stat a, Stat b) {
        return a.size() != b.size() || a.mtimeNs() != b.mtimeNs() || a.ctimeNs() != b.ctimeNs();
    }

    /**
     * Compares fresh attributes with the node's snapshot; if someone else changed the file (our own
     * writes set localChange), tells the frontends to drop cached data. Returns true if it did.
     */
    private boolean revalidate(Node n, Stat fresh) {
        Stat old = n.snapshot;
        n.snapshot = fresh;
        boolean ours = n.localChange;
        n.localChange = false;
        if (old != null && !ours && dataChanged(old, fresh)) {
            hub.inode(n.ino(), 0, 0);
            return true;
        }
        return false;
    }

    /**
     * Turns a freshly resolved O_PATH descriptor into an Entry: finds the live node for the file or
     * creates one, counts one lookup, remembers the name. Takes ownership of {@code fd}.
     */
    private Entry entryFor(long parent, Name name, int fd, Stat st) throws FsException {
        FileHandle h = null;
        boolean pin = true;
        try {
            if (handles.inUse()) {
                h = handles.of(fd);
                if (h == null && handles.mandatory()) throw new FsException(Errno.EOPNOTSUPP, "no file handle");
                // Directories stay pinned: they are the parents of every name operation, and
                // pinning one costs no data space. Others are opened by handle on demand.
                if (h != null) pin = st.isDir() || !mounts.ensure(h, fd, st);
            }
        } catch (SysException e) {
            Libc.closeQuietly(fd);
            throw fx(e);
        } catch (FsException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
        Object key = h != null ? h : new InodeKey(st.dev(), st.ino(), st.mntId());
        InodeStore.Interned in;
        try {
            in = store.intern(key, h, st.type(), fd, pin, st, parent, name);
        } catch (FsException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
        if (!in.fdAdopted()) Libc.closeQuietly(fd);
        Node n = in.node();
        if (in.created()) {
            Watcher w = watcher;
            if (w != null && n.isDir()) {
                try (Lease l = n.lease(mounts)) {
                    w.watch(n, l.fd);
                } catch (FsException ignored) {
                    // forgotten meanwhile
                }
            }
        } else {
            revalidate(n, st);
        }
        return policy.entry(n.ino(), n.generation(), attr(st));
    }

    private void release(Node dead) {
        if (dead == null) return;
        Watcher w = watcher;
        if (w != null) w.unwatch(dead);
        dead.kill();
    }

    /**
     * The host applied the daemon's umask to an object we just made; put back the permission bits
     * it took that the caller asked for. Only on the object we hold, only if it is still what we
     * made (type, owner, a single name), and as the daemon: the fix is ours, not the caller's (as
     * the caller, chmod would drop an inherited set-group-id bit).
     */
    private void restoreUmaskBits(int fd, Stat st, int type, int perm, int owner) throws SysException {
        int missing = perm & daemonUmask & ~st.mode() & 0777;
        if (missing == 0 || type == FileType.S_IFLNK || st.type() != type || st.uid() != owner) return;
        if (!st.isDir() && st.nlink() != 1) return;
        jail.chmod(Node.fdName(fd), (st.mode() | missing) & 07777);
    }

    /** Who owns what we create: the caller when switching, else the daemon. */
    private int ownerFor(Caller c) {
        return creds.switches() ? c.uid() : daemonUid;
    }

    // ------------------------------------------------------------------ names and attributes

    @Override
    public Entry lookup(Caller c, long parent, Name name) throws FsException {
        Node p = node(parent);
        try (Lease pl = p.lease(mounts)) {
            if (!creds.switches()) Access.checkLookup(c, dirAttr(pl.fd));
            int fd;
            Name remember = name;
            if (name.isDot() || (name.isDotDot() && p == store.root())) {
                // "." (and the root's ".."): the directory itself, reopened as the caller so the
                // host checks search permission as for any lookup in it.
                fd = creds.as(c, () -> jail.openChild(pl.fd, Name.DOT));
                remember = null;
            } else if (name.isDotDot()) {
                fd = creds.as(c, () -> jail.openParent(pl.fd));
                remember = null;
                try {
                    jail.checkInside(fd);
                } catch (FsException | SysException e) {
                    Libc.closeQuietly(fd);
                    throw e;
                }
            } else {
                fd = creds.as(c, () -> jail.openChild(pl.fd, name));
            }
            Stat st;
            try {
                st = fstat(fd);
            } catch (SysException e) {
                Libc.closeQuietly(fd);
                throw e;
            }
            return entryFor(parent, remember, fd, st);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public void forget(long ino, long nlookup) {
        release(store.forget(ino, nlookup));
    }

    @Override
    public void retain(long ino, long n) throws FsException {
        store.retain(ino, n);
    }

    @Override
    public AttrReply getattr(Caller c, long ino, long fh) throws FsException {
        Node n = node(ino);
        OpenFile f = files.on(fh, n);
        Stat st;
        try {
            if (f != null) {
                st = fstat(f.fd);
            } else {
                try (Lease l = n.lease(mounts)) {
                    st = fstat(l.fd);
                }
            }
        } catch (SysException e) {
            throw fx(e);
        }
        n.snapshot = st;
        return policy.attr(attr(st));
    }

    @Override
    public AttrReply setattr(Caller c, long ino, SetAttr ch) throws FsException {
        checkWritable();
        Node n = node(ino);
        OpenFile f = files.on(ch.fh(), n);
        try (Lease l = n.lease(mounts)) {
            Stat cur = fstat(l.fd);
            if (!creds.switches()) ch = Access.checkSetattr(c, attr(cur), ch);
            final SetAttr req = ch;
            if ((req.has(SetAttr.UID) && req.uid() != -1) || (req.has(SetAttr.GID) && req.gid() != -1)) {
                int uid = req.has(SetAttr.UID) ? req.uid() : -1, gid = req.has(SetAttr.GID) ? req.gid() : -1;
                creds.run(c, () -> PosixFiles.fchownat(l.fd, EMPTY_PATH, uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW));
            }
            if (req.has(SetAttr.MODE)) {
                creds.run(c, () -> jail.chmod(l.procName(), req.mode() & 07777));
            }
            if (req.has(SetAttr.SIZE)) {
                if (n.type != FileType.S_IFREG) throw FsException.of(n.isDir() ? Errno.EISDIR : Errno.EINVAL);
                n.localChange = true;
                if (f != null && f.writable()) {
                    creds.run(c, () -> PosixFiles.ftruncate(f.fd, req.size()));
                } else {
                    creds.run(c, () -> {
                        int wfd = jail.reopen(l.procName(), OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK);
                        try {
                            PosixFiles.ftruncate(wfd, req.size());
                        } finally {
                            Libc.closeQuietly(wfd);
                        }
                    });
                }
            }
            if (req.has(SetAttr.KILL_SUIDGID)) killSuidGid(c, l);
            setTimes(c, l, cur, req);
            // CTIME cannot be set on Linux; the host kernel updates it with every change above.
            Stat st = fstat(l.fd);
            n.snapshot = st;
            return policy.attr(attr(st));
        } catch (SysException e) {
            throw fx(e);
        }
    }

    private void setTimes(Caller c, Lease l, Stat cur, SetAttr ch) throws SysException, FsException {
        boolean at = ch.has(SetAttr.ATIME) || ch.has(SetAttr.ATIME_NOW);
        boolean mt = ch.has(SetAttr.MTIME) || ch.has(SetAttr.MTIME_NOW);
        if (!at && !mt) return;
        long a = ch.has(SetAttr.ATIME_NOW) ? PosixFiles.UTIME_NOW : ch.has(SetAttr.ATIME) ? ch.atimeNs()
                : PosixFiles.UTIME_OMIT;
        long m = ch.has(SetAttr.MTIME_NOW) ? PosixFiles.UTIME_NOW : ch.has(SetAttr.MTIME) ? ch.mtimeNs()
                : PosixFiles.UTIME_OMIT;
        boolean cachedMtime = ch.has(SetAttr.MTIME_CACHED) && ch.has(SetAttr.MTIME) && !ch.has(SetAttr.MTIME_NOW);
        if (cachedMtime && creds.switches() && !Access.isOwnerOrRoot(c, cur.uid())) {
            // A writeback cache's mtime is an explicit value that the host allows only to the owner,
            // but it stands for "now" (checked already in the checking path by Access). As the host
            // would for utimensat(UTIME_NOW): anyone who may write the file.
            if (ch.has(SetAttr.ATIME) && !ch.has(SetAttr.ATIME_NOW)) throw FsException.of(Errno.EPERM);
            creds.run(c, () -> PosixFiles.faccessat(l.fd, EMPTY_PATH, Access.W, AT_EMPTY_PATH | AT_EACCESS));
            PosixFiles.utimensat(l.fd, EMPTY_PATH, a, m, AT_EMPTY_PATH);
            return;
        }
        // AT_EMPTY_PATH acts on the O_PATH fd's own object, symlinks included.
        creds.run(c, () -> PosixFiles.utimensat(l.fd, EMPTY_PATH, a, m, AT_EMPTY_PATH));
    }

    /**
     * Clears set-user-id and set-group-id (the latter only with group-exec, as the kernel does), as
     * the daemon: a write that asked for it (FUSE's KILL_SUIDGID) reached the host as the daemon.
     */
    private void killSuidGid(Caller c, Lease l) throws SysException {
        Stat st = fstat(l.fd);
        int mode = st.mode();
        int after = Access.killSuidGid(c, mode, st.gid());
        if (after != mode && FileType.isReg(mode)) jail.chmod(l.procName(), after & 07777);
    }

    @Override
    public byte[] readlink(Caller c, long ino) throws FsException {
        Node n = node(ino);
        if (!FileType.isLink(n.type)) throw FsException.of(Errno.EINVAL);
        try (Lease l = n.lease(mounts)) {
            return PosixFiles.readlinkat(l.fd, EMPTY_PATH);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public Entry mknod(Caller c, long parent, Name name, int mode, int rdev, int umask) throws FsException {
        checkWritable();
        int type = mode & FileType.S_IFMT;
        if (type == 0) type = FileType.S_IFREG;
        boolean device = type == S_IFCHR || type == S_IFBLK;
        boolean whiteout = type == S_IFCHR && rdev == 0; // a 0/0 character device opens nothing
        if (device && !whiteout && !opts.allowDev()) throw new FsException(Errno.EPERM, "device nodes are not allowed");
        if (type != FileType.S_IFREG && type != FileType.S_IFIFO && type != FileType.S_IFSOCK && !device) {
            throw FsException.of(Errno.EINVAL);
        }
        int perm = mode & ~umask & 07777;
        int t = type;
        long dev = decodeDev(rdev);
        return makeNode(c, parent, name, type, perm, device && !whiteout,
                pfd -> PosixFiles.mknodat(pfd, name, t | perm, dev));
    }

    @Override
    public Entry mkdir(Caller c, long parent, Name name, int mode, int umask) throws FsException {
        checkWritable();
        int perm = mode & ~umask & 07777;
        return makeNode(c, parent, name, FileType.S_IFDIR, perm, false, pfd -> PosixFiles.mkdirat(pfd, name, perm));
    }

    @Override
    public Entry symlink(Caller c, long parent, Name name, byte[] target) throws FsException {
        checkWritable();
        return makeNode(c, parent, name, FileType.S_IFLNK, 0777, false, pfd -> PosixFiles.symlinkat(target, pfd, name));
    }

    private interface Maker {
        void make(int parentFd) throws SysException;
    }

    private Entry makeNode(Caller c, long parent, Name name, int type, int perm, boolean needsRoot, Maker maker)
            throws FsException {
        Node p = node(parent);
        try (Lease pl = p.lease(mounts)) {
            if (!creds.switches()) {
                Access.checkCreate(c, dirAttr(pl.fd));
                if (needsRoot && !c.isRoot()) throw FsException.of(Errno.EPERM); // CAP_MKNOD
            }
            int fd = creds.as(c, () -> {
                maker.make(pl.fd);
                return jail.openChild(pl.fd, name);
            });
            Stat st;
            try {
                st = fstat(fd);
                restoreUmaskBits(fd, st, type, perm, ownerFor(c));
                st = fstat(fd);
            } catch (SysException e) {
                Libc.closeQuietly(fd);
                throw e;
            }
            return entryFor(parent, name, fd, st);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public Entry link(Caller c, long ino, long newParent, Name newName) throws FsException {
        checkWritable();
        Node n = node(ino), np = node(newParent);
        try (Lease l = n.lease(mounts); Lease pl = np.lease(mounts)) {
            if (!creds.switches()) {
                Access.checkCreate(c, dirAttr(pl.fd));
                checkHardlinkSource(c, attr(fstat(l.fd)));
            }
            creds.run(c, () -> {
                if (!creds.switchesFor(c) && daemonUid == 0) {
                    try {
                        PosixFiles.linkat(l.fd, EMPTY_PATH, pl.fd, newName, AT_EMPTY_PATH); // CAP_DAC_READ_SEARCH
                        return;
                    } catch (SysException e) {
                        if (e.errno() != Errno.ENOENT && e.errno() != Errno.EPERM) throw e;
                    }
                }
                // Through the magic link (lands on the inode we hold, a symlink included): the
                // host checks the caller's rights on the source (protected_hardlinks) itself.
                PosixFiles.linkat(jail.procSelfFd, l.procName(), pl.fd, newName, PosixFiles.AT_SYMLINK_FOLLOW);
            });
            Stat st = fstat(l.fd);
            if (!store.addLookup(n, newParent, newName)) throw FsException.of(Errno.ESTALE);
            n.snapshot = st;
            return policy.entry(n.ino(), n.generation(), attr(st));
        } catch (SysException e) {
            throw fx(e);
        }
    }

    /** The checking path's may_linkat: owner, or a plain file one may read and write (protected_hardlinks). */
    private static void checkHardlinkSource(Caller c, Attr a) throws FsException {
        if (HostFeatures.PROTECTED_HARDLINKS) Access.checkLinkSource(c, a);
    }

    @Override
    public void unlink(Caller c, long parent, Name name) throws FsException {
        remove(c, parent, name, 0);
    }

    @Override
    public void rmdir(Caller c, long parent, Name name) throws FsException {
        remove(c, parent, name, PosixFiles.AT_REMOVEDIR);
    }

    private void remove(Caller c, long parent, Name name, int flags) throws FsException {
        checkWritable();
        Node p = node(parent);
        try (Lease pl = p.lease(mounts)) {
            if (!creds.switches()) {
                Attr dir = dirAttr(pl.fd);
                Access.check(c, dir, Access.W | Access.X);
                Stat victim = PosixFiles.statx(pl.fd, name, AT_SYMLINK_NOFOLLOW, STATX_MASK);
                Access.checkSticky(c, dir, attr(victim));
            }
            pinBeforeRemoval(parent, name);
            creds.run(c, () -> PosixFiles.unlinkat(pl.fd, name, flags));
        } catch (SysException e) {
            throw fx(e);
        }
        store.forgetName(parent, name);
    }

    /**
     * Handle mode: an inode that loses its last name cannot be opened by handle any more, but the
     * SPI keeps it valid while referenced. So a referenced, unpinned node whose name we are about to
     * remove (unlink, rmdir, rename over it) is pinned by an O_PATH descriptor first. Names removed
     * by the host itself cannot be caught this way (the documented price of handles).
     */
    private void pinBeforeRemoval(long parent, Name name) {
        if (!handles.inUse()) return;
        Node victim = store.named(parent, name);
        if (victim == null || victim.pinned() || victim.handle == null) return;
        try (Lease l = victim.lease(mounts)) {
            int fd = jail.opathOf(l.fd);
            if (!victim.pin(fd)) Libc.closeQuietly(fd);
        } catch (FsException | SysException e) {
            // already gone: nothing to keep
        }
    }

    @Override
    public void rename(Caller c, long parent, Name name, long newParent, Name newName, int flags)
            throws FsException {
        checkWritable();
        Node p = node(parent), np = node(newParent);
        try (Lease pl = p.lease(mounts); Lease npl = np.lease(mounts)) {
            if (!creds.switches()) {
                Attr od = dirAttr(pl.fd), nd = dirAttr(npl.fd);
                Access.checkLookup(c, od);
                Access.checkLookup(c, nd);
                Stat source = PosixFiles.statx(pl.fd, name, AT_SYMLINK_NOFOLLOW, STATX_MASK);
                Stat target = statOrNull(npl.fd, newName);
                Access.checkRename(c, od, attr(source), nd, target == null ? null : attr(target),
                        (flags & RENAME_EXCHANGE) != 0);
            }
            if ((flags & RENAME_EXCHANGE) == 0) pinBeforeRemoval(newParent, newName);
            // SPI flag values are the kernel's RENAME_* values.
            creds.run(c, () -> PosixFiles.renameat2(pl.fd, name, npl.fd, newName, flags));
        } catch (SysException e) {
            throw fx(e);
        }
        store.renamed(parent, name, newParent, newName, (flags & RENAME_EXCHANGE) != 0);
    }

    // ------------------------------------------------------------------ files

    /** Open flags for the host: no creation/follow semantics; writeback caching computes appends itself. */
    private int hostFlags(int flags) {
        int f = flags & ~(OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_NOCTTY | OpenFlags.O_NOFOLLOW
                | OpenFlags.O_DIRECT | OpenFlags.O_PATH);
        if (opts.mode() == CacheMode.EXCLUSIVE) f &= ~OpenFlags.O_APPEND; // the kernel computes append offsets
        return f | OpenFlags.O_CLOEXEC;
    }

    /**
     * With writeback caching (EXCLUSIVE) the kernel reads pages of files opened write-only, so such
     * a descriptor is replaced by a read-write one, opened as the daemon after the caller's own open
     * passed the host's check (as the caller it would need read permission the caller may lack).
     * Returns the descriptor to use; {@code hostFlags[0]} is updated to its flags.
     */
    private int widen(int fd, int[] hostFlags) {
        int hf = hostFlags[0];
        if (opts.mode() != CacheMode.EXCLUSIVE || (hf & OpenFlags.O_ACCMODE) != OpenFlags.O_WRONLY) return fd;
        int rw = (hf & ~(OpenFlags.O_ACCMODE | OpenFlags.O_TRUNC)) | OpenFlags.O_RDWR;
        try {
            int nfd = jail.reopen(Node.fdName(fd), rw);
            Libc.closeQuietly(fd);
            hostFlags[0] = rw;
            return nfd;
        } catch (SysException e) {
            return fd; // the daemon may not read it either (checking path): stay write-only
        }
    }

    private void checkOpenable(Node n) throws FsException {
        int t = n.type;
        if (t == S_IFCHR || t == S_IFBLK) {
            if (!opts.allowDev()) throw new FsException(Errno.EACCES, "device nodes are not opened");
        } else if (t == FileType.S_IFLNK) {
            throw FsException.of(Errno.ELOOP);
        } else if (t != FileType.S_IFREG && t != FileType.S_IFDIR) {
            // FIFOs and sockets are handled by the client kernel, never opened on the host.
            throw FsException.of(Errno.EACCES);
        }
    }

    private Opened register(Node n, int fd, int flags, boolean dir, boolean keepCache) throws FsException {
        if (!store.opened(n)) {
            Libc.closeQuietly(fd);
            throw FsException.of(Errno.ESTALE);
        }
        long fh = files.add(new OpenFile(n, fd, flags, dir ? new PosixFiles.DirBuffer(32 * 1024) : null));
        if (dir) return policy.dir(fh);
        int oflags = policy.fileOpenFlags();
        if (!keepCache) oflags &= ~Opened.KEEP_CACHE;
        int backing = opts.passthroughIo() && opts.mode() != CacheMode.SHARED ? fd : -1;
        return new Opened(fh, oflags, backing);
    }

    @Override
    public Opened open(Caller c, long ino, int flags) throws FsException {
        Node n = node(ino);
        checkOpenable(n);
        if (opts.readOnly() && (OpenFlags.writes(flags) || (flags & OpenFlags.O_TRUNC) != 0)) {
            throw FsException.of(Errno.EROFS);
        }
        int[] hf = {hostFlags(flags)};
        int fd;
        try (Lease l = n.lease(mounts)) {
            if (!creds.switches()) Access.checkOpen(c, attr(fstat(l.fd)), flags);
            fd = creds.as(c, () -> jail.reopen(l.procName(), hf[0]));
        } catch (SysException e) {
            throw fx(e);
        }
        fd = widen(fd, hf);
        boolean changed, setId;
        try {
            Stat st = fstat(fd);
            changed = revalidate(n, st);
            setId = (st.mode() & (FileType.S_ISUID | FileType.S_ISGID)) != 0;
        } catch (SysException e) {
            Libc.closeQuietly(fd);
            throw fx(e);
        }
        if ((flags & OpenFlags.O_TRUNC) != 0) n.localChange = true;
        Opened o = register(n, fd, hf[0], false, !changed);
        // FUSE passthrough writes reach the host with the daemon's credentials, which never clear
        // set-id bits. A non-root writer of a set-id file therefore writes through the daemon,
        // which writes as the caller (the host clears them). Such files are rare; everything else
        // keeps passthrough.
        if (setId && !c.isRoot() && OpenFlags.writes(flags) && o.backingFd() >= 0) o = o.withoutBacking();
        return o;
    }

    @Override
    public Created create(Caller c, long parent, Name name, int mode, int flags, int umask) throws FsException {
        checkWritable();
        Node p = node(parent);
        int perm = mode & ~umask & 07777;
        boolean excl = (flags & OpenFlags.O_EXCL) != 0;
        // What open(2) answers for "." and "..": never resolved here (".." of the root is outside).
        if (name.isDotOrDotDot()) throw FsException.of(excl ? Errno.EEXIST : Errno.EISDIR);
        int[] hf = {hostFlags(flags) | OpenFlags.O_NOFOLLOW}; // a planted symlink must not redirect the create
        try (Lease pl = p.lease(mounts)) {
            boolean[] made = {false};
            int fd;
            if (creds.switches()) {
                fd = creds.as(c, () -> createOrOpen(pl.fd, name, hf[0], perm, excl, made));
            } else {
                fd = checkedCreateOrOpen(c, pl.fd, name, hf[0], perm, flags, made);
            }
            int opath = -1;
            try {
                Stat st = fstat(fd);
                if (made[0]) {
                    int missing = perm & daemonUmask & ~st.mode() & 0777;
                    if (missing != 0) PosixFiles.fchmod(fd, (st.mode() | missing) & 07777);
                    st = fstat(fd);
                }
                fd = widen(fd, hf);
                opath = jail.opathOf(fd);
                int o = opath;
                opath = -1;
                Entry e = entryFor(parent, name, o, st);
                Node n = node(e.ino());
                n.snapshot = st;
                Opened op = register(n, fd, hf[0], false, true);
                fd = -1;
                return new Created(e, op);
            } catch (SysException | FsException | RuntimeException e) {
                Libc.closeQuietly(fd);
                Libc.closeQuietly(opath);
                throw e;
            }
        } catch (SysException e) {
            throw fx(e);
        }
    }

    /** As the caller: create the name, or open the regular file already there (not O_EXCL). */
    private int createOrOpen(int dirfd, Name name, int hf, int perm, boolean excl, boolean[] made)
            throws SysException {
        for (int attempt = 0; ; attempt++) {
            try {
                int fd = PosixFiles.openat(dirfd, name, hf | OpenFlags.O_CREAT | OpenFlags.O_EXCL, perm);
                made[0] = true;
                return fd;
            } catch (SysException e) {
                if (e.errno() != Errno.EEXIST || excl) throw e;
            }
            int fd = openExisting(dirfd, name, hf, attempt < 3);
            if (fd >= 0) return fd;
        }
    }

    /**
     * Opens the regular file {@code name} (looked at through O_PATH first, so a FIFO or device is
     * never opened). Returns -1 if it vanished and {@code retry} is allowed.
     */
    private int openExisting(int dirfd, Name name, int hf, boolean retry) throws SysException {
        int opath;
        try {
            opath = jail.openChild(dirfd, name);
        } catch (SysException e) {
            if (e.errno() == Errno.ENOENT && retry) return -1; // removed meanwhile: create again
            throw e;
        }
        try {
            Stat st = fstat(opath);
            if (!st.isRegular()) {
                throw new SysException("create", name, st.isDir() ? Errno.EISDIR
                        : st.isSymlink() ? Errno.ELOOP : Errno.EACCES);
            }
            return jail.reopen(Node.fdName(opath), hf);
        } finally {
            Libc.closeQuietly(opath);
        }
    }

    /** The checking path of {@link #createOrOpen}: Access decides (lookup, then create or open), the daemon acts. */
    private int checkedCreateOrOpen(Caller c, int dirfd, Name name, int hf, int perm, int flags, boolean[] made)
            throws SysException, FsException {
        Attr dir = dirAttr(dirfd);
        Access.checkLookup(c, dir);
        boolean excl = (flags & OpenFlags.O_EXCL) != 0;
        for (int attempt = 0; ; attempt++) {
            Stat existing = statOrNull(dirfd, name);
            if (existing == null) {
                Access.checkCreate(c, dir);
                try {
                    int fd = PosixFiles.openat(dirfd, name, hf | OpenFlags.O_CREAT | OpenFlags.O_EXCL, perm);
                    made[0] = true;
                    return fd;
                } catch (SysException e) {
                    if (e.errno() != Errno.EEXIST || excl || attempt >= 3) throw e;
                    continue; // appeared meanwhile: open it instead
                }
            }
            if (excl) throw FsException.of(Errno.EEXIST);
            if (existing.isRegular()) Access.checkOpen(c, attr(existing), flags);
            int fd = openExisting(dirfd, name, hf, attempt < 3);
            if (fd >= 0) return fd;
        }
    }

    @Override
    public Created tmpfile(Caller c, long parent, int mode, int flags, int umask) throws FsException {
        checkWritable();
        if (!features.contains(Feature.TMPFILE)) throw FsException.of(Errno.EOPNOTSUPP);
        Node p = node(parent);
        int perm = mode & ~umask & 07777;
        int[] hf = {hostFlags(flags)};
        if ((hf[0] & OpenFlags.O_ACCMODE) == OpenFlags.O_RDONLY) hf[0] |= OpenFlags.O_RDWR; // O_TMPFILE needs write access
        try (Lease pl = p.lease(mounts)) {
            if (!creds.switches()) Access.checkCreate(c, dirAttr(pl.fd));
            int fd = creds.as(c, () -> PosixFiles.openat(pl.fd, Name.DOT, hf[0] | OpenFlags.O_TMPFILE, perm));
            int opath = -1;
            try {
                Stat st = fstat(fd);
                int missing = perm & daemonUmask & ~st.mode() & 0777;
                if (missing != 0) PosixFiles.fchmod(fd, (st.mode() | missing) & 07777);
                fd = widen(fd, hf);
                opath = jail.opathOf(fd);
                st = fstat(fd);
                int o = opath;
                opath = -1;
                Entry e = entryFor(parent, null, o, st);
                Opened op = register(node(e.ino()), fd, hf[0], false, true);
                fd = -1;
                return new Created(e, op);
            } catch (SysException | FsException | RuntimeException e) {
                Libc.closeQuietly(fd);
                Libc.closeQuietly(opath);
                throw e;
            }
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public int read(Caller c, long ino, long fh, long offset, ByteBuffer dst) throws FsException {
        OpenFile f = files.get(fh);
        try {
            return PosixFiles.pread(f.fd, dst, offset);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public int write(Caller c, long ino, long fh, long offset, ByteBuffer src, int writeFlags) throws FsException {
        checkWritable();
        OpenFile f = files.get(fh);
        f.node.localChange = true;
        Stat snap = f.node.snapshot;
        boolean setId = snap != null && snap.isRegular() && (snap.mode() & (FileType.S_ISUID | FileType.S_ISGID)) != 0;
        try {
            int n;
            // The host clears set-id bits on a write only if the writer lacks CAP_FSETID: write as
            // the caller when it matters (the rare set-id file), as the daemon otherwise.
            if (setId && !c.isRoot() && creds.switchesFor(c)) {
                n = creds.as(c, () -> PosixFiles.pwrite(f.fd, src, offset));
            } else {
                n = PosixFiles.pwrite(f.fd, src, offset);
            }
            if ((writeFlags & WRITE_KILL_SUIDGID) != 0) {
                try (Lease l = f.node.lease(mounts)) {
                    killSuidGid(c, l);
                }
            }
            return n;
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public void flush(Caller c, long ino, long fh, long lockOwner) throws FsException {
        OpenFile f;
        try {
            f = files.get(fh);
        } catch (FsException gone) {
            return;
        }
        // close() of a duplicate gives the host file system its close-time work (NFS flushes, lock
        // release) without losing our descriptor, as virtiofsd does.
        try {
            Libc.close(PosixFiles.dup(f.fd));
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public void release(long ino, long fh, int flags) {
        OpenFile f = files.remove(fh);
        if (f == null) return;
        f.close();
        release(store.closed(f.node));
    }

    @Override
    public void fsync(Caller c, long ino, long fh, boolean datasync) throws FsException {
        try {
            PosixFiles.fsync(files.get(fh).fd, datasync);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public void fallocate(Caller c, long ino, long fh, int mode, long offset, long length) throws FsException {
        checkWritable();
        OpenFile f = files.get(fh);
        f.node.localChange = true;
        try {
            PosixFiles.fallocate(f.fd, mode, offset, length); // SPI mode bits are the kernel's FALLOC_FL_*
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public long lseek(Caller c, long ino, long fh, long offset, int whence) throws FsException {
        if (whence != SEEK_DATA && whence != SEEK_HOLE) throw FsException.of(Errno.EINVAL);
        try {
            return PosixFiles.lseek(files.get(fh).fd, offset, whence);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public long copyFileRange(Caller c, long inoIn, long fhIn, long offIn, long inoOut, long fhOut, long offOut,
                              long len, int flags) throws FsException {
        checkWritable();
        OpenFile in = files.get(fhIn), out = files.get(fhOut);
        out.node.localChange = true;
        try {
            return PosixFiles.copyFileRange(in.fd, offIn, out.fd, offOut, len, flags);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    // ------------------------------------------------------------------ directories

    @Override
    public Opened opendir(Caller c, long ino, int flags) throws FsException {
        Node n = node(ino);
        if (!n.isDir()) throw FsException.of(Errno.ENOTDIR);
        int fd;
        try (Lease l = n.lease(mounts)) {
            if (!creds.switches()) Access.check(c, attr(fstat(l.fd)), Access.R);
            fd = creds.as(c, () -> jail.reopen(l.procName(), OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY));
        } catch (SysException e) {
            throw fx(e);
        }
        return register(n, fd, OpenFlags.O_RDONLY, true, false);
    }

    private OpenFile dir(long fh) throws FsException {
        OpenFile f = files.get(fh);
        if (f.dirBuf == null) throw FsException.of(Errno.ENOTDIR);
        return f;
    }

    @Override
    public void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException {
        OpenFile f = dir(fh);
        synchronized (f) {
            try {
                // Seek to the cookie every time: stateless, so a listing resumed after a full reply
                // (or repeated by the kernel) continues exactly after the last entry it accepted.
                PosixFiles.lseek(f.fd, cookie, PosixFiles.SEEK_SET);
                for (List<Dirent> batch; !(batch = PosixFiles.getdents64(f.fd, f.dirBuf)).isEmpty(); ) {
                    for (Dirent d : batch) {
                        if (!sink.add(d.name(), d.ino(), d.type(), d.off())) return;
                    }
                }
            } catch (SysException e) {
                throw fx(e);
            }
        }
    }

    /**
     * Lists and looks up in one pass: each name is resolved relative to the open directory's own
     * descriptor while listing (no second walk from the parent node). The caller's search
     * permission on the directory is checked once; without it names come without entries, as a
     * lookup would fail for each of them.
     */
    @Override
    public void readdirplus(Caller c, long ino, long fh, long cookie, DirPlusSink sink) throws FsException {
        OpenFile f = dir(fh);
        boolean searchable;
        try {
            if (creds.switches()) {
                searchable = true;
                try {
                    creds.run(c, () -> PosixFiles.faccessat(f.fd, EMPTY_PATH, Access.X, AT_EMPTY_PATH | AT_EACCESS));
                } catch (SysException e) {
                    if (e.errno() != Errno.EACCES) throw e;
                    searchable = false;
                }
            } else {
                searchable = Access.allowed(c, attr(fstat(f.fd)), Access.X);
            }
        } catch (SysException e) {
            throw fx(e);
        }
        synchronized (f) {
            try {
                PosixFiles.lseek(f.fd, cookie, PosixFiles.SEEK_SET);
                for (List<Dirent> batch; !(batch = PosixFiles.getdents64(f.fd, f.dirBuf)).isEmpty(); ) {
                    for (Dirent d : batch) {
                        Entry e = null;
                        if (searchable && !d.name().isDotOrDotDot()) e = lookupIn(f, ino, d.name());
                        if (!sink.add(d.name(), e != null ? e.ino() : d.ino(), d.type(), d.off(), e)) {
                            if (e != null) forget(e.ino(), 1);
                            return;
                        }
                    }
                }
            } catch (SysException e) {
                throw fx(e);
            }
        }
    }

    /** One name of an open directory, as the daemon (search permission was checked); null if gone. */
    private Entry lookupIn(OpenFile dir, long ino, Name name) {
        try {
            int fd = jail.openChild(dir.fd, name);
            Stat st;
            try {
                st = fstat(fd);
            } catch (SysException e) {
                Libc.closeQuietly(fd);
                throw e;
            }
            return entryFor(ino, name, fd, st);
        } catch (SysException | FsException e) {
            return null; // removed or replaced since it was listed
        }
    }

    @Override
    public void releasedir(long ino, long fh) {
        release(ino, fh, 0);
    }

    @Override
    public void fsyncdir(Caller c, long ino, long fh, boolean datasync) throws FsException {
        fsync(c, ino, fh, datasync);
    }

    // ------------------------------------------------------------------ misc

    @Override
    public StatFs statfs(Caller c, long ino) throws FsException {
        Node n = store.get(ino);
        if (n == null || n.freed) n = store.root();
        try (Lease l = n.lease(mounts)) {
            PosixFiles.FsStat s = PosixFiles.fstatfs(l.fd);
            return new StatFs(s.blocks(), s.bfree(), s.bavail(), s.files(), s.ffree(), (int) s.bsize(),
                    (int) s.namelen(), (int) s.frsize());
        } catch (SysException e) {
            throw fx(e);
        }
    }

    /** access(2) as the host answers it for the caller (ACLs included), or by Access when not switching. */
    @Override
    public void access(Caller c, long ino, int mask) throws FsException {
        if (!creds.switches()) {
            FileSystem.super.access(c, ino, mask);
            return;
        }
        if ((mask & Access.W) != 0 && opts.readOnly()) throw FsException.of(Errno.EROFS);
        try (Lease l = node(ino).lease(mounts)) {
            creds.run(c, () -> PosixFiles.faccessat(l.fd, EMPTY_PATH, mask & 7, AT_EMPTY_PATH | AT_EACCESS));
        } catch (SysException e) {
            throw fx(e);
        }
    }

    // xattrs go through "/proc/self/fd/N" (PosixFiles.*Of): the magic link lands on the inode we
    // hold, a symlink included, without following it further, so no path is involved.

    @Override
    public void setxattr(Caller c, long ino, XattrName name, byte[] value, int flags) throws FsException {
        checkWritable();
        try (Lease l = node(ino).lease(mounts)) {
            if (!creds.switches()) Access.checkXattr(c, attr(fstat(l.fd)), name, true);
            creds.run(c, () -> PosixFiles.setxattrOf(l.fd, name, value, flags));
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public byte[] getxattr(Caller c, long ino, XattrName name) throws FsException {
        try (Lease l = node(ino).lease(mounts)) {
            if (!creds.switches()) Access.checkXattr(c, attr(fstat(l.fd)), name, false);
            return creds.as(c, () -> PosixFiles.getxattrOf(l.fd, name));
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public List<XattrName> listxattr(Caller c, long ino) throws FsException {
        try (Lease l = node(ino).lease(mounts)) {
            List<byte[]> raw = creds.as(c, () -> PosixFiles.listxattrOf(l.fd));
            List<XattrName> out = new ArrayList<>(raw.size());
            for (byte[] b : raw) {
                XattrName x;
                try {
                    x = XattrName.of(b);
                } catch (FsException unrepresentable) {
                    continue;
                }
                // The host filters for the caller when switching; as the daemon it shows everything.
                if (creds.switches() || Access.listable(c, x)) out.add(x);
            }
            return out;
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public void removexattr(Caller c, long ino, XattrName name) throws FsException {
        checkWritable();
        try (Lease l = node(ino).lease(mounts)) {
            if (!creds.switches()) Access.checkXattr(c, attr(fstat(l.fd)), name, true);
            creds.run(c, () -> PosixFiles.removexattrOf(l.fd, name));
        } catch (SysException e) {
            throw fx(e);
        }
    }
}
