package io.strata.passthrough;

import static io.strata.sys.PosixFiles.AT_EMPTY_PATH;
import static io.strata.sys.PosixFiles.AT_SYMLINK_NOFOLLOW;

import io.strata.core.Attr;
import io.strata.core.AttrReply;
import io.strata.core.CacheMode;
import io.strata.core.CachePolicy;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.DirSink;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsContext;
import io.strata.core.FsException;
import io.strata.core.Invalidations;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.StatFs;
import io.strata.passthrough.Node.InodeKey;
import io.strata.passthrough.Node.Lease;
import io.strata.passthrough.Node.NameKey;
import io.strata.passthrough.PassthroughOptions.Handles;
import io.strata.core.Errno;
import io.strata.sys.Inotify;
import io.strata.sys.Libc;
import io.strata.sys.PosixFiles;
import io.strata.sys.PosixFiles.Dirent;
import io.strata.sys.PosixFiles.FileHandle;
import io.strata.sys.PosixFiles.Stat;
import io.strata.sys.SysException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shares a host directory, modelled on virtiofsd's passthrough file system.
 *
 * <h2>Identity</h2>
 * Every {@link Node} is identified by a file handle (name_to_handle_at: includes the inode
 * generation) when handles are in use, else by (dev, ino, mnt_id) while an O_PATH fd pins the inode
 * so its number cannot be reused. One index maps keys to live nodes, so hard links resolve to one
 * node and two live nodes for one file cannot exist. Node ids come from a counter and are never
 * reused; the generation is constant (0).
 *
 * <h2>Jail</h2>
 * Names are single components resolved relative to the parent's held descriptor with O_NOFOLLOW
 * (openat2 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS where the kernel has it). Names with '/' are
 * refused, "." is the directory, ".." is resolved and then verified to lie inside the source
 * (".." of the root is the root). Symlinks are never followed by the server: readlink returns the
 * text, opening a symlink node fails with ELOOP. Every operation acts on held descriptors, never on
 * paths, so a directory swapped for a symlink after lookup cannot redirect us. Reopening a node for
 * I/O goes through /proc/self/fd/N (the magic link lands on the inode we hold, never on a path).
 *
 * <h2>Credentials</h2>
 * We run as root and create objects as root, then fchown them to the caller (uid, and gid unless
 * the parent is set-group-id) and fix the mode; virtiofsd switches fsuid/fsgid instead. Between
 * create and chown the object briefly belongs to root with a mode no wider than requested.
 * Permission checks are the kernel's: the CLI mounts passthrough with FUSE default_permissions;
 * {@link #access} implements the mode-bit check for frontends that ask.
 *
 * <h2>Locking</h2>
 * <ul>
 * <li>{@code table} (a plain monitor) guards {@link #byKey}, {@link #names}, writes to {@link #byId}
 * and every node's lookups / opens / names. Never held across a system call that can block on the
 * file system, except closing nothing: descriptors are closed after leaving it.</li>
 * <li>{@link #byId} and {@link #files} are concurrent maps read without locks.</li>
 * <li>Each Node's monitor guards its pinned fd's lease count (leaf lock).</li>
 * <li>The {@link Watcher} lock guards watch descriptors; it is never taken while holding
 * {@code table} and vice versa.</li>
 * <li>An open directory handle's monitor serializes readdir on it (seek + getdents).</li>
 * </ul>
 */
public final class PassthroughFileSystem implements FileSystem {
    private static final int OPATH = Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC;
    private static final long RESOLVE = PosixFiles.RESOLVE_BENEATH | PosixFiles.RESOLVE_NO_MAGICLINKS;
    private static final int S_IFCHR = FileType.S_IFCHR, S_IFBLK = FileType.S_IFBLK;

    private final Path src;
    private final PassthroughOptions opts;
    private final CachePolicy policy;
    private final boolean useHandles;
    private final boolean openat2;
    private final boolean root;
    private final int procSelfFd;
    private final Node rootNode;

    private final Object table = new Object();
    private final Map<Object, Node> byKey = new HashMap<>();
    private final Map<NameKey, Node> names = new HashMap<>();
    private final Map<Long, Node> byId = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(FileSystem.ROOT + 1);

    /** Descriptors on each mount (by mount id) for open_by_handle_at; never O_PATH (the kernel refuses those). */
    private final Map<Integer, Integer> mountFds = new ConcurrentHashMap<>();

    private final Map<Long, OpenFile> files = new ConcurrentHashMap<>();
    private final AtomicLong nextFh = new AtomicLong(1);

    private volatile Invalidations inval = Invalidations.NONE;
    private volatile Watcher watcher;

    /** An open file or directory: a real descriptor (never O_PATH) plus, for directories, a buffer. */
    private static final class OpenFile {
        final Node node;
        final int fd;
        final int flags;
        final PosixFiles.DirBuffer dirBuf;

        OpenFile(Node node, int fd, int flags, PosixFiles.DirBuffer dirBuf) {
            this.node = node;
            this.fd = fd;
            this.flags = flags;
            this.dirBuf = dirBuf;
        }
    }

    private PassthroughFileSystem(Path src, PassthroughOptions opts, int rootFd, int procSelfFd, boolean useHandles,
                                  boolean openat2, Node rootNode) {
        this.src = src;
        this.opts = opts;
        this.policy = CachePolicy.of(opts.mode());
        this.procSelfFd = procSelfFd;
        this.useHandles = useHandles;
        this.openat2 = openat2;
        this.root = Libc.geteuid() == 0;
        this.rootNode = rootNode;
    }

    /** Opens {@code src} for serving. Probes openat2 and file-handle support. */
    public static PassthroughFileSystem open(Path src, PassthroughOptions opts) throws IOException {
        int rootFd = Libc.open(src.toString(), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        int procFd = -1, mountFd = -1;
        try {
            procFd = Libc.open("/proc/self/fd", Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
            Stat st = PosixFiles.fstat(rootFd);
            boolean openat2 = probeOpenat2(rootFd);
            FileHandle h = null;
            if (opts.handles() != Handles.NEVER) {
                try {
                    h = PosixFiles.nameToHandleAt(rootFd, "", AT_EMPTY_PATH);
                    mountFd = PosixFiles.openat(procFd, Integer.toString(rootFd),
                            Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
                    // open_by_handle_at needs CAP_DAC_READ_SEARCH: prove it works before relying on it.
                    Libc.close(PosixFiles.openByHandleAt(mountFd, h, Libc.O_PATH | Libc.O_CLOEXEC));
                } catch (SysException e) {
                    if (opts.handles() == Handles.MANDATORY) throw e;
                    h = null;
                    Libc.closeQuietly(mountFd);
                    mountFd = -1;
                }
            }
            Object key = h != null ? h : new InodeKey(st.dev(), st.ino(), st.mntId());
            Node rootNode = new Node(FileSystem.ROOT, key, st.type(), h, rootFd, st);
            rootNode.lookups = Long.MAX_VALUE / 2; // the root is never forgotten
            PassthroughFileSystem fs = new PassthroughFileSystem(src, opts, rootFd, procFd, h != null, openat2,
                    rootNode);
            if (h != null) fs.mountFds.put(h.mountId(), mountFd);
            fs.byKey.put(key, rootNode);
            fs.byId.put(FileSystem.ROOT, rootNode);
            return fs;
        } catch (IOException | RuntimeException e) {
            Libc.closeQuietly(rootFd);
            Libc.closeQuietly(procFd);
            Libc.closeQuietly(mountFd);
            throw e;
        }
    }

    private static boolean probeOpenat2(int dirfd) {
        try {
            Libc.close(PosixFiles.openat2(dirfd, ".", OPATH, 0, RESOLVE));
            return true;
        } catch (SysException e) {
            return false; // ENOSYS before 5.6, or blocked by a seccomp filter
        }
    }

    /** True if nodes are keyed by file handle (PREFER on a capable file system, or MANDATORY). */
    public boolean handlesInUse() {
        return useHandles;
    }

    public Path source() {
        return src;
    }

    public PassthroughOptions options() {
        return opts;
    }

    /** Number of live nodes (including the root); for tests and diagnostics. */
    public int liveNodes() {
        return byId.size();
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

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void init(FsContext context) throws FsException {
        inval = context.invalidations();
        if (opts.mode() == CacheMode.SHARED && watcher == null) {
            try {
                Watcher w = new Watcher(this);
                watcher = w;
                w.start();
                try (Lease l = rootNode.lease(this)) {
                    w.watch(rootNode, l.fd);
                }
            } catch (SysException e) {
                throw fx(e);
            }
        }
    }

    @Override
    public void destroy() {
        Watcher w = watcher;
        watcher = null;
        if (w != null) w.stop();
        for (OpenFile f : files.values()) closeOpenFile(f);
        files.clear();
        List<Node> all;
        synchronized (table) {
            all = new ArrayList<>(byId.values());
            byId.clear();
            byKey.clear();
            names.clear();
        }
        for (Node n : all) {
            n.freed = true;
            n.kill();
        }
        for (int fd : mountFds.values()) Libc.closeQuietly(fd);
        mountFds.clear();
        Libc.closeQuietly(procSelfFd);
    }

    // ------------------------------------------------------------------ helpers

    static FsException fx(SysException e) {
        return new FsException(e.errno(), e.getMessage());
    }

    private Node node(long ino) throws FsException {
        Node n = byId.get(ino);
        if (n == null) throw new FsException(Errno.ESTALE, "unknown node " + ino);
        return n;
    }

    private void checkWritable() throws FsException {
        if (opts.readOnly()) throw FsException.of(Errno.EROFS);
    }

    /** A single path component: no '/', no NUL, not empty, at most 255 bytes. */
    private static void checkName(String name, boolean allowDots) throws FsException {
        if (name == null || name.isEmpty()) throw FsException.of(Errno.ENOENT);
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) throw new FsException(Errno.EINVAL, "bad name");
        if (!allowDots && (name.equals(".") || name.equals(".."))) throw new FsException(Errno.EINVAL, name);
        if (name.length() > 255 || name.getBytes(StandardCharsets.UTF_8).length > 255) {
            throw FsException.of(Errno.ENAMETOOLONG);
        }
    }

    /** O_PATH|O_NOFOLLOW descriptor on {@code name} in the directory {@code dirfd}; never leaves it. */
    private int openChild(int dirfd, String name) throws SysException {
        if (openat2) return PosixFiles.openat2(dirfd, name, OPATH, 0, RESOLVE);
        return PosixFiles.openat(dirfd, name, OPATH, 0); // single component + O_NOFOLLOW: cannot escape
    }

    /** Reopens a held inode with real open flags through its /proc/self/fd magic link. */
    private int reopen(Lease l, int flags) throws SysException {
        return PosixFiles.openat(procSelfFd, l.procName(), flags | Libc.O_CLOEXEC, 0);
    }

    private int reopen(Node n, int flags) throws FsException {
        try (Lease l = n.lease(this)) {
            return reopen(l, flags);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    int mountFd(int mountId) throws SysException {
        Integer fd = mountFds.get(mountId);
        if (fd == null) throw new SysException("no descriptor for mount " + mountId, Errno.ESTALE);
        return fd;
    }

    /**
     * Makes sure we hold a mount fd for a handle's mount, opened from the object itself (it is on that
     * mount). Only directories and regular files are opened: opening a device or FIFO has side
     * effects. Returns false if none could be had; the node is then pinned by its O_PATH fd instead.
     */
    private boolean ensureMountFd(FileHandle h, int opathFd, Stat st) {
        if (mountFds.containsKey(h.mountId())) return true;
        if (!st.isDir() && !st.isRegular()) return false;
        synchronized (mountFds) {
            if (mountFds.containsKey(h.mountId())) return true;
            try {
                int flags = Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_NOCTTY | (st.isDir() ? Libc.O_DIRECTORY : 0);
                int fd = PosixFiles.openat(procSelfFd, Integer.toString(opathFd), flags | Libc.O_CLOEXEC, 0);
                mountFds.put(h.mountId(), fd);
                return true;
            } catch (SysException e) {
                return false;
            }
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
     * and git expect); the node id is the FUSE identity. Submounts with colliding st_ino under one
     * FUSE st_dev are a known limitation (as in virtiofsd without announce_submounts).
     */
    static Attr attr(Stat s) {
        return new Attr(s.ino(), s.mode(), s.nlink(), s.uid(), s.gid(), encodeDev(s.rdev()), s.size(), s.blocks(),
                s.blksize(), s.atimeNs(), s.mtimeNs(), s.ctimeNs());
    }

    private static boolean dataChanged(Stat a, Stat b) {
        return a.size() != b.size() || a.mtimeNs() != b.mtimeNs() || a.ctimeNs() != b.ctimeNs();
    }

    /**
     * Compares fresh attributes with the node's snapshot; if someone else changed the file (our own
     * writes set localChange), tells the frontend to drop cached data. Returns true if it did.
     */
    private boolean revalidate(Node n, Stat fresh) {
        Stat old = n.snapshot;
        n.snapshot = fresh;
        boolean ours = n.localChange;
        n.localChange = false;
        if (old != null && !ours && dataChanged(old, fresh)) {
            inval.inode(n.id, 0, 0);
            return true;
        }
        return false;
    }

    private Stat fstat(int fd) throws FsException {
        try {
            return PosixFiles.fstat(fd);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    /**
     * Turns a freshly resolved O_PATH descriptor into an Entry: finds the live node for the file or
     * creates one, counts one lookup, remembers the name. Takes ownership of {@code fd}.
     */
    private Entry entryFor(long parent, String name, int fd, Stat st) throws FsException {
        FileHandle h = null;
        boolean pin = true;
        try {
            if (useHandles) {
                try {
                    h = PosixFiles.nameToHandleAt(fd, "", AT_EMPTY_PATH);
                    // Directories stay pinned: they are the parents of every name operation, and
                    // pinning one costs no data space. Others are opened by handle on demand.
                    pin = st.isDir() || !ensureMountFd(h, fd, st);
                } catch (SysException e) {
                    if (opts.handles() == Handles.MANDATORY) throw fx(e);
                    // Cannot export this object (e.g. a different file system mounted below SRC that
                    // lacks export ops); such files are always handle-less, so the key is stable.
                }
            }
        } catch (FsException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
        Object key = h != null ? h : new InodeKey(st.dev(), st.ino(), st.mntId());
        Node n;
        boolean created = false;
        boolean keepFd;
        synchronized (table) {
            n = byKey.get(key);
            if (n == null) {
                n = new Node(nextId.getAndIncrement(), key, st.type(), h, pin ? fd : -1, st);
                byKey.put(key, n);
                byId.put(n.id, n);
                created = true;
                keepFd = pin;
            } else {
                keepFd = false;
            }
            n.lookups++;
            if (name != null) rememberName(n, new NameKey(parent, name));
        }
        if (!keepFd) Libc.closeQuietly(fd);
        if (created) {
            Watcher w = watcher;
            if (w != null && n.isDir()) {
                try (Lease l = n.lease(this)) {
                    w.watch(n, l.fd);
                } catch (FsException ignored) {
                    // forgotten meanwhile
                }
            }
        } else {
            revalidate(n, st);
        }
        return policy.entry(n.id, 0, attr(st));
    }

    /** Caller holds table. */
    private void rememberName(Node n, NameKey k) {
        Node old = names.put(k, n);
        if (old != null && old != n) old.names.remove(k);
        n.names.add(k);
    }

    /** Caller holds table. */
    private void forgetName(NameKey k) {
        Node old = names.remove(k);
        if (old != null) old.names.remove(k);
    }

    /** Caller holds table; returns the node if it must be released outside the lock. */
    private Node maybeFree(Node n) {
        if (n.lookups > 0 || n.opens > 0 || n.id == FileSystem.ROOT || n.freed) return null;
        byId.remove(n.id);
        byKey.remove(n.key, n);
        for (NameKey k : n.names) names.remove(k, n);
        n.names.clear();
        n.freed = true;
        return n;
    }

    private void release(Node dead) {
        if (dead == null) return;
        Watcher w = watcher;
        if (w != null) w.unwatch(dead);
        dead.kill();
    }

    /** Gives a new object to the caller: chown to uid (and gid unless the parent is setgid), exact mode. */
    private void adopt(Caller c, int parentFd, int fd, Stat st, int wantMode) throws FsException {
        try {
            boolean setgidParent = (PosixFiles.fstat(parentFd).mode() & FileType.S_ISGID) != 0;
            boolean chowned = false;
            if (root) {
                int gid = setgidParent ? -1 : c.gid();
                if (st.uid() != c.uid() || (gid != -1 && st.gid() != gid)) {
                    PosixFiles.fchownat(fd, "", c.uid(), gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
                    chowned = true;
                }
            }
            if (st.isSymlink()) return;
            int want = wantMode & 07777;
            if (st.isDir() && setgidParent) want |= FileType.S_ISGID;
            // Our process umask may have removed bits; chown may have cleared suid/sgid.
            if (chowned || (st.mode() & 07777) != want) {
                PosixFiles.fchmodat(procSelfFd, Integer.toString(fd), want, 0);
            }
        } catch (SysException e) {
            throw fx(e);
        }
    }

    // ------------------------------------------------------------------ names and attributes

    @Override
    public Entry lookup(Caller c, long parent, String name) throws FsException {
        checkName(name, true);
        Node p = node(parent);
        try (Lease pl = p.lease(this)) {
            if (name.equals(".")) {
                return entryFor(parent, null, PosixFiles.dup(pl.fd), PosixFiles.fstat(pl.fd));
            }
            if (name.equals("..")) {
                if (p == rootNode) return entryFor(parent, null, PosixFiles.dup(pl.fd), PosixFiles.fstat(pl.fd));
                int fd = PosixFiles.openat(pl.fd, "..", Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
                try {
                    checkInside(fd);
                } catch (FsException e) {
                    Libc.closeQuietly(fd);
                    throw e;
                }
                return entryFor(parent, null, fd, PosixFiles.fstat(fd));
            }
            int fd = openChild(pl.fd, name);
            Stat st;
            try {
                st = PosixFiles.fstat(fd);
            } catch (SysException e) {
                Libc.closeQuietly(fd);
                throw e;
            }
            return entryFor(parent, name, fd, st);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    /** Walks ".." from {@code dirfd} until the root of the share (inside) or of the host (outside: EACCES). */
    private void checkInside(int dirfd) throws FsException, SysException {
        Stat rootSt = rootNode.snapshot;
        int cur = PosixFiles.dup(dirfd);
        try {
            for (int depth = 0; depth < 4096; depth++) {
                Stat s = PosixFiles.fstat(cur);
                if (s.dev() == rootSt.dev() && s.ino() == rootSt.ino()) return;
                int up = PosixFiles.openat(cur, "..", Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
                Stat us = PosixFiles.fstat(up);
                Libc.closeQuietly(cur);
                cur = up;
                if (us.dev() == s.dev() && us.ino() == s.ino()) break; // reached "/"
            }
        } finally {
            Libc.closeQuietly(cur);
        }
        throw new FsException(Errno.EACCES, "parent lies outside the shared directory");
    }

    @Override
    public void forget(long ino, long nlookup) {
        Node dead;
        synchronized (table) {
            Node n = byId.get(ino);
            if (n == null || n == rootNode) return;
            n.lookups = Math.max(0, n.lookups - nlookup);
            dead = maybeFree(n);
        }
        release(dead);
    }

    @Override
    public AttrReply getattr(Caller c, long ino, long fh) throws FsException {
        OpenFile f = fh > 0 ? files.get(fh) : null;
        Node n = node(ino);
        Stat st;
        if (f != null && f.node == n) {
            st = fstat(f.fd);
        } else {
            try (Lease l = n.lease(this)) {
                st = fstat(l.fd);
            }
        }
        n.snapshot = st;
        return policy.attr(attr(st));
    }

    @Override
    public AttrReply setattr(Caller c, long ino, SetAttr ch) throws FsException {
        checkWritable();
        Node n = node(ino);
        OpenFile f = ch.fh() > 0 ? files.get(ch.fh()) : null;
        if (f != null && f.node != n) f = null;
        try (Lease l = n.lease(this)) {
            if (ch.has(SetAttr.MODE)) {
                PosixFiles.fchmodat(procSelfFd, l.procName(), ch.mode() & 07777, 0);
            }
            if (ch.has(SetAttr.UID) || ch.has(SetAttr.GID)) {
                PosixFiles.fchownat(l.fd, "", ch.has(SetAttr.UID) ? ch.uid() : -1, ch.has(SetAttr.GID) ? ch.gid() : -1,
                        AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
            }
            if (ch.has(SetAttr.SIZE)) {
                if (n.type != FileType.S_IFREG) throw FsException.of(n.isDir() ? Errno.EISDIR : Errno.EINVAL);
                n.localChange = true;
                if (f != null && (f.flags & Libc.O_ACCMODE) != Libc.O_RDONLY) {
                    PosixFiles.ftruncate(f.fd, ch.size());
                } else {
                    int wfd = reopen(l, Libc.O_WRONLY | Libc.O_NONBLOCK);
                    try {
                        PosixFiles.ftruncate(wfd, ch.size());
                    } finally {
                        Libc.closeQuietly(wfd);
                    }
                }
            }
            if (ch.has(SetAttr.KILL_SUIDGID)) killSuidGid(l);
            boolean at = ch.has(SetAttr.ATIME) || ch.has(SetAttr.ATIME_NOW);
            boolean mt = ch.has(SetAttr.MTIME) || ch.has(SetAttr.MTIME_NOW);
            if (at || mt) {
                long a = ch.has(SetAttr.ATIME_NOW) ? PosixFiles.UTIME_NOW : ch.has(SetAttr.ATIME) ? ch.atimeNs()
                        : PosixFiles.UTIME_OMIT;
                long m = ch.has(SetAttr.MTIME_NOW) ? PosixFiles.UTIME_NOW : ch.has(SetAttr.MTIME) ? ch.mtimeNs()
                        : PosixFiles.UTIME_OMIT;
                // AT_EMPTY_PATH acts on the O_PATH fd's own object, symlinks included.
                PosixFiles.utimensat(l.fd, "", a, m, AT_EMPTY_PATH);
            }
            // CTIME cannot be set on Linux; the host kernel updates it with every change above.
            Stat st = PosixFiles.fstat(l.fd);
            n.snapshot = st;
            return policy.attr(attr(st));
        } catch (SysException e) {
            throw fx(e);
        }
    }

    /**
     * Clears set-user-id and set-group-id (the latter only with group-exec, as the kernel does). We run
     * with CAP_FSETID, so the host kernel would not clear them on our writes by itself.
     */
    private void killSuidGid(Lease l) throws SysException {
        int mode = PosixFiles.fstat(l.fd).mode();
        int kill = FileType.S_ISUID | ((mode & 0010) != 0 ? FileType.S_ISGID : 0);
        if ((mode & kill) != 0 && FileType.isReg(mode)) {
            PosixFiles.fchmodat(procSelfFd, l.procName(), mode & 07777 & ~kill, 0);
        }
    }

    @Override
    public String readlink(Caller c, long ino) throws FsException {
        Node n = node(ino);
        if (!FileType.isLink(n.type)) throw FsException.of(Errno.EINVAL);
        try (Lease l = n.lease(this)) {
            return PosixFiles.readlinkat(l.fd, "");
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public Entry mknod(Caller c, long parent, String name, int mode, int rdev, int umask) throws FsException {
        checkWritable();
        checkName(name, false);
        int type = mode & FileType.S_IFMT;
        if ((type == S_IFCHR || type == S_IFBLK) && !opts.allowDev()) {
            throw new FsException(Errno.EPERM, "device nodes are not allowed");
        }
        if (type != FileType.S_IFREG && type != FileType.S_IFIFO && type != FileType.S_IFSOCK && type != S_IFCHR
                && type != S_IFBLK) {
            throw FsException.of(Errno.EINVAL);
        }
        int perm = mode & ~umask & 07777;
        return makeNode(c, parent, name, perm,
                pfd -> PosixFiles.mknodat(pfd, name, type | perm, decodeDev(rdev)));
    }

    @Override
    public Entry mkdir(Caller c, long parent, String name, int mode, int umask) throws FsException {
        checkWritable();
        checkName(name, false);
        int perm = mode & ~umask & 07777;
        return makeNode(c, parent, name, perm, pfd -> PosixFiles.mkdirat(pfd, name, perm));
    }

    @Override
    public Entry symlink(Caller c, long parent, String name, String target) throws FsException {
        checkWritable();
        checkName(name, false);
        return makeNode(c, parent, name, 0777, pfd -> PosixFiles.symlinkat(target, pfd, name));
    }

    private interface Maker {
        void make(int parentFd) throws SysException;
    }

    private Entry makeNode(Caller c, long parent, String name, int perm, Maker maker) throws FsException {
        Node p = node(parent);
        try (Lease pl = p.lease(this)) {
            maker.make(pl.fd);
            int fd = openChild(pl.fd, name);
            Stat st;
            try {
                st = PosixFiles.fstat(fd);
                adopt(c, pl.fd, fd, st, perm);
                st = PosixFiles.fstat(fd);
            } catch (SysException | FsException e) {
                Libc.closeQuietly(fd);
                throw e;
            }
            return entryFor(parent, name, fd, st);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public Entry link(Caller c, long ino, long newParent, String newName) throws FsException {
        checkWritable();
        checkName(newName, false);
        Node n = node(ino), np = node(newParent);
        try (Lease l = n.lease(this); Lease pl = np.lease(this)) {
            try {
                PosixFiles.linkat(l.fd, "", pl.fd, newName, AT_EMPTY_PATH); // needs CAP_DAC_READ_SEARCH
            } catch (SysException e) {
                if (e.errno() != Errno.ENOENT && e.errno() != Errno.EPERM) throw e;
                // Without the capability: link through the magic link (lands on the inode we hold).
                PosixFiles.linkat(procSelfFd, l.procName(), pl.fd, newName, PosixFiles.AT_SYMLINK_FOLLOW);
            }
            Stat st = PosixFiles.fstat(l.fd);
            synchronized (table) {
                if (n.freed) throw FsException.of(Errno.ESTALE);
                n.lookups++;
                rememberName(n, new NameKey(newParent, newName));
            }
            n.snapshot = st;
            return policy.entry(n.id, 0, attr(st));
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public void unlink(Caller c, long parent, String name) throws FsException {
        remove(parent, name, 0);
    }

    @Override
    public void rmdir(Caller c, long parent, String name) throws FsException {
        remove(parent, name, PosixFiles.AT_REMOVEDIR);
    }

    private void remove(long parent, String name, int flags) throws FsException {
        checkWritable();
        checkName(name, false);
        Node p = node(parent);
        try (Lease pl = p.lease(this)) {
            PosixFiles.unlinkat(pl.fd, name, flags);
        } catch (SysException e) {
            throw fx(e);
        }
        synchronized (table) {
            forgetName(new NameKey(parent, name));
        }
    }

    @Override
    public void rename(Caller c, long parent, String name, long newParent, String newName, int flags)
            throws FsException {
        checkWritable();
        checkName(name, false);
        checkName(newName, false);
        Node p = node(parent), np = node(newParent);
        try (Lease pl = p.lease(this); Lease npl = np.lease(this)) {
            // SPI flag values are the kernel's RENAME_* values.
            PosixFiles.renameat2(pl.fd, name, npl.fd, newName, flags);
        } catch (SysException e) {
            throw fx(e);
        }
        synchronized (table) {
            NameKey from = new NameKey(parent, name), to = new NameKey(newParent, newName);
            Node moved = names.get(from), other = names.get(to);
            forgetName(from);
            forgetName(to);
            if (moved != null) rememberName(moved, to);
            if ((flags & RENAME_EXCHANGE) != 0 && other != null) rememberName(other, from);
        }
    }

    // ------------------------------------------------------------------ files

    /** Open flags for the host: no creation/follow semantics; writeback caching needs read access and no O_APPEND. */
    private int hostFlags(int flags) {
        int f = flags & ~(Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOCTTY | Libc.O_NOFOLLOW | Libc.O_DIRECT
                | Libc.O_PATH);
        if (opts.mode() == CacheMode.EXCLUSIVE) {
            // With writeback caching the kernel reads pages of files opened write-only and computes
            // append offsets itself (virtiofsd does the same).
            if ((f & Libc.O_ACCMODE) == Libc.O_WRONLY) f = (f & ~Libc.O_ACCMODE) | Libc.O_RDWR;
            f &= ~Libc.O_APPEND;
        }
        return f | Libc.O_CLOEXEC;
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
        synchronized (table) {
            if (n.freed) {
                Libc.closeQuietly(fd);
                throw FsException.of(Errno.ESTALE);
            }
            n.opens++;
        }
        long fh = nextFh.getAndIncrement();
        files.put(fh, new OpenFile(n, fd, flags, dir ? new PosixFiles.DirBuffer(32 * 1024) : null));
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
        if (opts.readOnly() && ((flags & Libc.O_ACCMODE) != Libc.O_RDONLY || (flags & Libc.O_TRUNC) != 0)) {
            throw FsException.of(Errno.EROFS);
        }
        int hf = hostFlags(flags);
        int fd = reopen(n, hf);
        boolean changed, setId;
        try {
            PosixFiles.Stat st = PosixFiles.fstat(fd);
            changed = revalidate(n, st);
            setId = (st.mode() & (FileType.S_ISUID | FileType.S_ISGID)) != 0;
        } catch (SysException e) {
            Libc.closeQuietly(fd);
            throw fx(e);
        }
        if ((flags & Libc.O_TRUNC) != 0) n.localChange = true;
        Opened o = register(n, fd, hf, false, !changed);
        // FUSE passthrough writes reach the host with our (root) credentials, which never clear
        // set-id bits. A non-root writer of a set-id file therefore writes through the daemon,
        // which clears them (WRITE_KILL_SUIDGID). Such files are rare; everything else keeps passthrough.
        if (setId && !c.isRoot() && (flags & Libc.O_ACCMODE) != Libc.O_RDONLY && o.backingFd() >= 0) {
            o = new Opened(o.fh(), o.flags(), -1);
        }
        return o;
    }

    @Override
    public Created create(Caller c, long parent, String name, int mode, int flags, int umask) throws FsException {
        checkWritable();
        checkName(name, false);
        Node p = node(parent);
        int perm = mode & ~umask & 07777;
        int hf = hostFlags(flags) | Libc.O_NOFOLLOW; // a planted symlink must not redirect the create
        try (Lease pl = p.lease(this)) {
            int fd;
            boolean made;
            try {
                fd = PosixFiles.openat(pl.fd, name, hf | Libc.O_CREAT | Libc.O_EXCL, perm);
                made = true;
            } catch (SysException e) {
                if (e.errno() != Errno.EEXIST || (flags & Libc.O_EXCL) != 0) throw e;
                fd = PosixFiles.openat(pl.fd, name, hf, 0); // exists: open it, do not adopt it
                made = false;
            }
            int opath = -1;
            try {
                Stat st = PosixFiles.fstat(fd);
                if (!st.isRegular()) throw FsException.of(st.isDir() ? Errno.EISDIR : Errno.EACCES);
                opath = PosixFiles.openat(procSelfFd, Integer.toString(fd), Libc.O_PATH | Libc.O_CLOEXEC, 0);
                if (made) {
                    adopt(c, pl.fd, opath, st, perm);
                    st = PosixFiles.fstat(fd);
                }
                int o = opath;
                opath = -1;
                Entry e = entryFor(parent, name, o, st);
                Node n = node(e.ino());
                n.snapshot = st;
                Opened op = register(n, fd, hf, false, true);
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
    public Created tmpfile(Caller c, long parent, int mode, int flags, int umask) throws FsException {
        checkWritable();
        Node p = node(parent);
        int perm = mode & ~umask & 07777;
        int hf = hostFlags(flags);
        if ((hf & Libc.O_ACCMODE) == Libc.O_RDONLY) hf |= Libc.O_RDWR; // O_TMPFILE needs write access
        try (Lease pl = p.lease(this)) {
            int fd = PosixFiles.openat(pl.fd, ".", hf | Libc.O_TMPFILE, perm);
            int opath = -1;
            try {
                opath = PosixFiles.openat(procSelfFd, Integer.toString(fd), Libc.O_PATH | Libc.O_CLOEXEC, 0);
                adopt(c, pl.fd, opath, PosixFiles.fstat(fd), perm);
                Stat st = PosixFiles.fstat(fd);
                int o = opath;
                opath = -1;
                Entry e = entryFor(parent, null, o, st);
                return new Created(e, register(node(e.ino()), fd, hf, false, true));
            } catch (SysException | FsException | RuntimeException e) {
                Libc.closeQuietly(fd);
                Libc.closeQuietly(opath);
                throw e;
            }
        } catch (SysException e) {
            throw fx(e);
        }
    }

    private OpenFile file(long fh) throws FsException {
        OpenFile f = files.get(fh);
        if (f == null) throw new FsException(Errno.EBADF, "unknown handle " + fh);
        return f;
    }

    @Override
    public int read(Caller c, long ino, long fh, long offset, ByteBuffer dst) throws FsException {
        OpenFile f = file(fh);
        try {
            return PosixFiles.pread(f.fd, dst, offset);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public int write(Caller c, long ino, long fh, long offset, ByteBuffer src, int writeFlags) throws FsException {
        checkWritable();
        OpenFile f = file(fh);
        f.node.localChange = true;
        try {
            int n = PosixFiles.pwrite(f.fd, src, offset);
            if ((writeFlags & WRITE_KILL_SUIDGID) != 0) {
                try (Lease l = f.node.lease(this)) {
                    killSuidGid(l);
                }
            }
            return n;
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public void flush(Caller c, long ino, long fh, long lockOwner) throws FsException {
        OpenFile f = files.get(fh);
        if (f == null) return;
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
        if (f != null) closeOpenFile(f);
    }

    private void closeOpenFile(OpenFile f) {
        Libc.closeQuietly(f.fd);
        if (f.dirBuf != null) {
            synchronized (f) {
                f.dirBuf.close();
            }
        }
        Node dead;
        synchronized (table) {
            f.node.opens--;
            dead = maybeFree(f.node);
        }
        release(dead);
    }

    @Override
    public void fsync(Caller c, long ino, long fh, boolean datasync) throws FsException {
        try {
            PosixFiles.fsync(file(fh).fd, datasync);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public void fallocate(Caller c, long ino, long fh, int mode, long offset, long length) throws FsException {
        checkWritable();
        OpenFile f = file(fh);
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
            return PosixFiles.lseek(file(fh).fd, offset, whence);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public long copyFileRange(Caller c, long inoIn, long fhIn, long offIn, long inoOut, long fhOut, long offOut,
                              long len, int flags) throws FsException {
        checkWritable();
        OpenFile in = file(fhIn), out = file(fhOut);
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
        int fd = reopen(n, Libc.O_RDONLY | Libc.O_DIRECTORY);
        return register(n, fd, Libc.O_RDONLY, true, false);
    }

    @Override
    public void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException {
        OpenFile f = file(fh);
        if (f.dirBuf == null) throw FsException.of(Errno.ENOTDIR);
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
        Node n = byId.getOrDefault(ino, rootNode);
        try (Lease l = n.lease(this)) {
            PosixFiles.FsStat s = PosixFiles.fstatfs(l.fd);
            return new StatFs(s.blocks(), s.bfree(), s.bavail(), s.files(), s.ffree(), (int) s.bsize(),
                    (int) s.namelen(), (int) s.frsize());
        } catch (SysException e) {
            throw fx(e);
        }
    }

    /** Mode-bit check for the caller (owner, group, other; supplementary groups are not known). */
    @Override
    public void access(Caller c, long ino, int mask) throws FsException {
        Node n = node(ino);
        Stat st;
        try (Lease l = n.lease(this)) {
            st = fstat(l.fd);
        }
        if ((mask & 2) != 0 && opts.readOnly()) throw FsException.of(Errno.EROFS);
        int m = st.mode();
        if (c.isRoot()) {
            // root may do anything but execute a file nobody may execute
            if ((mask & 1) != 0 && !FileType.isDir(m) && (m & 0111) == 0) throw FsException.of(Errno.EACCES);
            return;
        }
        int bits = c.uid() == st.uid() ? (m >> 6) & 7 : c.gid() == st.gid() ? (m >> 3) & 7 : m & 7;
        if ((mask & 7 & ~bits) != 0) throw FsException.of(Errno.EACCES);
    }

    /**
     * xattrs go through "/proc/self/fd/N" with the following variants: the magic link lands on the
     * inode we hold (a symlink included, without following it further), so no path is involved.
     */
    private static String proc(Lease l) {
        return "/proc/self/fd/" + l.fd;
    }

    @Override
    public void setxattr(Caller c, long ino, String name, byte[] value, int flags) throws FsException {
        checkWritable();
        try (Lease l = node(ino).lease(this)) {
            PosixFiles.setxattr(proc(l), name, value, flags, true);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public byte[] getxattr(Caller c, long ino, String name) throws FsException {
        try (Lease l = node(ino).lease(this)) {
            return PosixFiles.getxattr(proc(l), name, true);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public List<String> listxattr(Caller c, long ino) throws FsException {
        try (Lease l = node(ino).lease(this)) {
            return PosixFiles.listxattr(proc(l), true);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public void removexattr(Caller c, long ino, String name) throws FsException {
        checkWritable();
        try (Lease l = node(ino).lease(this)) {
            PosixFiles.removexattr(proc(l), name, true);
        } catch (SysException e) {
            throw fx(e);
        }
    }

    @Override
    public boolean readOnly() {
        return opts.readOnly();
    }

    // ------------------------------------------------------------------ inotify events (watcher thread)

    /** The node under {@code name} in {@code dir}: a name we handed out, else identified by stat. */
    private Node child(Node dir, String name, boolean mayStat) {
        synchronized (table) {
            Node n = names.get(new NameKey(dir.id, name));
            if (n != null || !mayStat) return n;
        }
        try (Lease l = dir.lease(this)) {
            Object key;
            if (useHandles) {
                try {
                    key = PosixFiles.nameToHandleAt(l.fd, name, 0);
                } catch (SysException e) {
                    Stat s = PosixFiles.statx(l.fd, name, AT_SYMLINK_NOFOLLOW,
                            PosixFiles.STATX_BASIC_STATS | PosixFiles.STATX_MNT_ID);
                    key = new InodeKey(s.dev(), s.ino(), s.mntId());
                }
            } else {
                Stat s = PosixFiles.statx(l.fd, name, AT_SYMLINK_NOFOLLOW,
                        PosixFiles.STATX_BASIC_STATS | PosixFiles.STATX_MNT_ID);
                key = new InodeKey(s.dev(), s.ino(), s.mntId());
            }
            synchronized (table) {
                return byKey.get(key);
            }
        } catch (SysException | FsException e) {
            return null; // gone again: nothing cached to drop
        }
    }

    void onEvent(Node dir, Inotify.Event e) {
        Invalidations iv = inval;
        if (e.name().isEmpty()) {
            if (e.has(Inotify.IN_ATTRIB | Inotify.IN_MODIFY)) iv.inode(dir.id, -1, 0);
            if (e.has(Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF)) {
                iv.inode(dir.id, -1, 0);
                List<NameKey> ks;
                synchronized (table) {
                    ks = new ArrayList<>(dir.names);
                }
                for (NameKey k : ks) iv.entry(k.parent(), k.name());
            }
            return;
        }
        String name = e.name();
        if (e.has(Inotify.IN_MODIFY | Inotify.IN_CLOSE_WRITE)) {
            Node ch = child(dir, name, true);
            if (ch != null) iv.inode(ch.id, 0, 0);
        }
        if (e.has(Inotify.IN_ATTRIB)) {
            Node ch = child(dir, name, true);
            if (ch != null) iv.inode(ch.id, -1, 0);
        }
        if (e.has(Inotify.IN_CREATE | Inotify.IN_MOVED_TO)) iv.entry(dir.id, name);
        if (e.has(Inotify.IN_DELETE | Inotify.IN_MOVED_FROM)) {
            Node ch;
            synchronized (table) {
                NameKey k = new NameKey(dir.id, name);
                ch = names.get(k);
                forgetName(k);
            }
            if (ch != null && e.has(Inotify.IN_DELETE)) {
                iv.delete(dir.id, ch.id, name);
            } else {
                iv.entry(dir.id, name);
                if (ch != null) iv.inode(ch.id, -1, 0); // ctime changed
            }
        }
    }

    /** Events were lost: drop everything the kernel may have cached. */
    void onOverflow() {
        Invalidations iv = inval;
        List<Node> all;
        List<NameKey> ks;
        synchronized (table) {
            all = new ArrayList<>(byId.values());
            ks = new ArrayList<>(names.keySet());
        }
        for (Node n : all) iv.inode(n.id, 0, 0);
        for (NameKey k : ks) iv.entry(k.parent(), k.name());
    }
}
