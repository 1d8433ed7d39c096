package io.strata.memory;

import static io.strata.core.FileType.S_IFBLK;
import static io.strata.core.FileType.S_IFCHR;
import static io.strata.core.FileType.S_IFDIR;
import static io.strata.core.FileType.S_IFIFO;
import static io.strata.core.FileType.S_IFMT;
import static io.strata.core.FileType.S_IFREG;
import static io.strata.core.FileType.S_IFSOCK;
import static io.strata.core.FileType.S_ISGID;
import static io.strata.memory.Permissions.R;
import static io.strata.memory.Permissions.W;
import static io.strata.memory.Permissions.X;

import io.strata.core.AttrReply;
import io.strata.core.CachePolicy;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.DirSink;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.StatFs;
import io.strata.core.Errno;
import io.strata.sys.Libc;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongSupplier;

/**
 * A tmpfs-like file system held in the JVM heap.
 *
 * <h2>Locking</h2>
 * Two levels, always taken in this order, so there are no cycles:
 * <ol>
 * <li><b>Namespace lock</b> ({@link #ns}, one ReentrantReadWriteLock): guards every directory's
 *     entries ({@link DirectoryTable}), every {@link MemDir#parent} and the name -> inode relation.
 *     lookup, readdir, and the ancestor walk take it shared; create, mkdir, mknod, symlink, link,
 *     unlink, rmdir, rename take it exclusive. Data I/O, getattr, setattr, xattrs, open and release
 *     never take it.</li>
 * <li><b>Inode lock</b> (each {@link MemInode} is an {@link InodeLock}, shared/exclusive,
 *     non-reentrant): guards that inode's attributes, data ({@link ChunkedData}) and xattrs. Reads
 *     and getattr take it shared; writes and every attribute change exclusive. Under the namespace
 *     lock, inode locks are taken one at a time and released before the next (never nested), so
 *     their order does not matter. The only nesting is copy_file_range, which holds two file locks
 *     and takes them in ascending inode order.</li>
 * </ol>
 * The {@link InodeTable} monitor and {@link SpaceAccounting} atomics are innermost and never call
 * out. nlink is changed only with both the namespace write lock and the inode lock held. Lookup
 * counts change atomically (lookups run in parallel under the shared namespace lock).
 * Consequences: reads and writes of different files never wait for one another or for the
 * namespace; a data copy never holds the namespace lock; directory operations serialize (they are
 * short: no data is copied under the namespace lock).
 *
 * <h2>Lifetime</h2>
 * An inode is freed (id returned with a new generation, space released) when its link count, its
 * lookup count and its open-handle count are all zero. Each of the three decrements is followed by
 * that check under the inode's write lock, so the last one to reach zero frees it exactly once.
 * Unknown or freed inode ids answer ESTALE.
 *
 * <h2>Buffers</h2>
 * read advances {@code dst}'s position by the bytes read, write advances {@code src}'s position by
 * the bytes written (like FileChannel). Directory sinks are called without any lock held.
 */
public final class MemoryFileSystem implements FileSystem {
    /** Largest file size (1 EiB): far beyond any heap, small enough that offset arithmetic never overflows. */
    static final long MAX_FILE_SIZE = 1L << 60;
    static final int XATTR_NAME_MAX = 255, XATTR_SIZE_MAX = 65536;
    private static final int MAX_LINKS = Integer.MAX_VALUE - 1;
    private static final int READDIR_BATCH = 512;

    private final CachePolicy policy;
    private final SpaceAccounting space;
    private final InodeTable table = new InodeTable();
    private final Handles handles = new Handles();
    private final ReentrantReadWriteLock ns = new ReentrantReadWriteLock();
    private final Lock nsRead = ns.readLock(), nsWrite = ns.writeLock();
    private final LongSupplier clock;
    private final MemDir root;

    public MemoryFileSystem(MemoryOptions options) {
        this(options, MemoryFileSystem::wallClockNanos);
    }

    /** With a clock (nanoseconds since the epoch), for tests of time rules. */
    MemoryFileSystem(MemoryOptions options, LongSupplier clock) {
        this.policy = CachePolicy.of(options.mode());
        this.space = new SpaceAccounting(options.effectiveSizeLimit(), options.effectiveMaxInodes());
        this.clock = clock;
        long now = clock.getAsLong();
        if (!space.tryAllocInode(0)) throw new IllegalArgumentException("size limit too small for the root");
        root = table.allocate((id, gen) -> new MemDir(id, gen, S_IFDIR | options.rootMode(), options.rootUid(),
                options.rootGid(), now, id));
        if (root.ino != ROOT) throw new IllegalStateException("root is not inode 1");
        root.nlink = 2;
    }

    static long wallClockNanos() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private long now() {
        return clock.getAsLong();
    }

    // ---- helpers ----

    private MemInode inode(long ino) throws FsException {
        MemInode i = table.get(ino);
        if (i == null) throw FsException.of(Errno.ESTALE);
        return i;
    }

    private MemDir dir(long ino) throws FsException {
        if (!(inode(ino) instanceof MemDir d)) throw FsException.of(Errno.ENOTDIR);
        return d;
    }

    /** The inode named by a live dentry (the namespace lock is held, so it cannot be freed). */
    private MemInode child(MemDir d, int slot) {
        return table.get(d.entries.ino(slot));
    }

    /** Builds the Entry reply; the caller already counted the lookup. */
    private Entry entry(MemInode i) {
        i.readLock();
        try {
            return policy.entry(i.ino, Integer.toUnsignedLong(i.generation), i.attr());
        } finally {
            i.readUnlock();
        }
    }

    private static void touchDir(MemDir d, long now, int nlinkDelta) {
        d.writeLock();
        try {
            d.nlink += nlinkDelta;
            d.mtime = d.ctime = now;
        } finally {
            d.writeUnlock();
        }
    }

    private static void touchCtime(MemInode i, long now) {
        i.writeLock();
        try {
            i.ctime = now;
        } finally {
            i.writeUnlock();
        }
    }

    /** Drops one name (or, for a removed directory, all links) and frees the inode if unreachable. */
    private void dropLink(MemInode i, long now, boolean all) {
        i.writeLock();
        try {
            i.nlink = all ? 0 : i.nlink - 1;
            i.ctime = now;
            if (i.unreachable()) free(i);
        } finally {
            i.writeUnlock();
        }
    }

    private void maybeFree(MemInode i) {
        i.writeLock();
        try {
            if (i.unreachable()) free(i);
        } finally {
            i.writeUnlock();
        }
    }

    /** Caller holds i's write lock. */
    private void free(MemInode i) {
        i.flags |= MemInode.FREED;
        long extra = 0;
        if (i instanceof MemFile f && f.data != null) {
            f.data.freeAll(space);
            f.data = null;
        }
        if (i instanceof MemSymlink s) extra += s.target.length;
        if (i.xattrs != null) {
            extra += i.xattrs.totalCost();
            i.xattrs = null;
        }
        table.free(i);
        space.freeInode(extra);
    }

    private static void checkLive(MemInode i) throws FsException {
        if ((i.flags & MemInode.FREED) != 0) throw FsException.of(Errno.ESTALE);
    }

    /** Owner and group of a new inode, and its permission bits after umask and set-gid rules. */
    private record NewOwner(int uid, int gid, int mode) {}

    private static NewOwner owner(Caller c, MemDir parent, int type, int perm) {
        int gid = c.gid();
        if ((parent.mode & S_ISGID) != 0) {
            gid = parent.gid;
            if (type == S_IFDIR) perm |= S_ISGID; // set-gid directories propagate to subdirectories
        }
        // A non-member may not create a group-executable set-gid file (Linux inode_init_owner).
        if (type != S_IFDIR && (perm & (S_ISGID | 0010)) == (S_ISGID | 0010) && !c.isRoot() && c.gid() != gid) {
            perm &= ~S_ISGID;
        }
        return new NewOwner(c.uid(), gid, type | perm);
    }

    /**
     * The common part of every create: checks the parent and the name, charges the space, allocates
     * and links the inode, updates the parent. Caller holds the namespace write lock. The new inode
     * carries one lookup.
     */
    private <T extends MemInode> T createNode(Caller c, MemDir d, String name, long extraBytes,
                                              InodeTable.Factory<T> factory, long now) throws FsException {
        byte[] nb = Names.encode(name);
        Permissions.check(c, d, X);
        if (Names.isDotOrDotDot(name) || d.entries.find(nb) >= 0) throw FsException.of(Errno.EEXIST);
        Permissions.check(c, d, W);
        if (d.nlink == 0) throw FsException.of(Errno.ENOENT); // removed directory
        if (!space.tryAllocInode(extraBytes)) throw FsException.of(Errno.ENOSPC);
        T n = table.allocate(factory);
        if (n == null) {
            space.freeInode(extraBytes);
            throw FsException.of(Errno.ENOSPC);
        }
        n.addLookups(1);
        d.entries.insert(nb, n.ino);
        touchDir(d, now, n.isDir() ? 1 : 0);
        return n;
    }

    // ---- names and attributes ----

    @Override
    public Entry lookup(Caller c, long parent, String name) throws FsException {
        byte[] nb = Names.encode(name);
        nsRead.lock();
        try {
            MemDir d = dir(parent);
            Permissions.check(c, d, X);
            MemInode found;
            if (Names.isDot(name)) {
                found = d;
            } else if (Names.isDotDot(name)) {
                found = table.get(d.parent);
            } else {
                int s = d.entries.find(nb);
                if (s < 0) throw FsException.of(Errno.ENOENT);
                found = child(d, s);
            }
            found.addLookups(1);
            return entry(found);
        } finally {
            nsRead.unlock();
        }
    }

    @Override
    public void forget(long ino, long nlookup) {
        MemInode i = table.get(ino);
        if (i == null || nlookup <= 0) return;
        if (i.dropLookups(nlookup) == 0) maybeFree(i);
    }

    /** Lookup references currently held on {@code ino} (tests, diagnostics); -1 if unknown. */
    long lookupCount(long ino) {
        MemInode i = table.get(ino);
        return i == null ? -1 : i.lookups();
    }

    @Override
    public AttrReply getattr(Caller c, long ino, long fh) throws FsException {
        MemInode i = inode(ino);
        i.readLock();
        try {
            checkLive(i);
            return policy.attr(i.attr());
        } finally {
            i.readUnlock();
        }
    }

    @Override
    public AttrReply setattr(Caller c, long ino, SetAttr ch) throws FsException {
        MemInode i = inode(ino);
        Handles.Handle h = ch.fh() >= 0 ? handles.get(ch.fh()) : null;
        if (h != null && h.inode() != i) h = null;
        long now = now();
        i.writeLock();
        try {
            checkLive(i);
            // Every check first: a refused request changes nothing.
            boolean ownerOrRoot = Permissions.isOwnerOrRoot(c, i);
            if (ch.has(SetAttr.MODE) && !ownerOrRoot) throw FsException.of(Errno.EPERM);
            int newUid = ch.has(SetAttr.UID) ? ch.uid() : i.uid;
            int newGid = ch.has(SetAttr.GID) ? ch.gid() : i.gid;
            if (ch.has(SetAttr.UID) && !c.isRoot() && (c.uid() != i.uid || newUid != i.uid)) {
                throw FsException.of(Errno.EPERM); // only root gives files away
            }
            if (ch.has(SetAttr.GID) && !c.isRoot() && c.uid() != i.uid) throw FsException.of(Errno.EPERM);
            if (ch.has(SetAttr.SIZE)) {
                if (i.isDir()) throw FsException.of(Errno.EISDIR);
                if (!(i instanceof MemFile)) throw FsException.of(Errno.EINVAL);
                if (ch.size() < 0) throw FsException.of(Errno.EINVAL);
                if (ch.size() > MAX_FILE_SIZE) throw FsException.of(Errno.EFBIG);
                if (h == null || !h.writable()) Permissions.check(c, i, W); // ftruncate uses the handle's right
            }
            boolean explicitTimes = (ch.has(SetAttr.ATIME) && !ch.has(SetAttr.ATIME_NOW))
                    || (ch.has(SetAttr.MTIME) && !ch.has(SetAttr.MTIME_NOW));
            boolean nowTimes = ch.has(SetAttr.ATIME_NOW) || ch.has(SetAttr.MTIME_NOW);
            if (explicitTimes && !ownerOrRoot) throw FsException.of(Errno.EPERM);
            if (nowTimes && !ownerOrRoot && !Permissions.allowed(c, i, W)) throw FsException.of(Errno.EACCES);

            // Apply.
            if (ch.has(SetAttr.SIZE)) {
                MemFile f = (MemFile) i;
                if (ch.size() != f.size()) {
                    f.data().truncate(ch.size(), space);
                    if (f.data.size == 0 && f.data.allocatedBytes() == 0) f.data = null;
                    f.mtime = now;
                }
            }
            int mode = i.mode;
            if (ch.has(SetAttr.MODE)) {
                mode = (mode & S_IFMT) | Permissions.chmodResult(c, ch.mode(), newGid);
            } else if (ch.has(SetAttr.UID) || ch.has(SetAttr.GID)) {
                mode = Permissions.afterChown(i, mode);
            }
            if (ch.has(SetAttr.KILL_SUIDGID) && i.isRegular()) mode = Permissions.killSuidGid(mode);
            i.mode = mode;
            i.uid = newUid;
            i.gid = newGid;
            if (ch.has(SetAttr.ATIME_NOW)) i.atime = now;
            else if (ch.has(SetAttr.ATIME)) i.atime = ch.atimeNs();
            if (ch.has(SetAttr.MTIME_NOW)) i.mtime = now;
            else if (ch.has(SetAttr.MTIME)) i.mtime = ch.mtimeNs();
            i.ctime = now; // ctime is the file system's to keep: always now
            return policy.attr(i.attr());
        } finally {
            i.writeUnlock();
        }
    }

    @Override
    public String readlink(Caller c, long ino) throws FsException {
        if (!(inode(ino) instanceof MemSymlink s)) throw FsException.of(Errno.EINVAL);
        return s.targetString();
    }

    @Override
    public Entry mknod(Caller c, long parent, String name, int mode, int rdev, int umask) throws FsException {
        int type = mode & S_IFMT;
        if (type == 0) type = S_IFREG;
        switch (type) {
            case S_IFREG, S_IFIFO, S_IFSOCK -> {}
            case S_IFCHR, S_IFBLK -> {
                if (!c.isRoot()) throw FsException.of(Errno.EPERM); // CAP_MKNOD
            }
            case S_IFDIR -> throw FsException.of(Errno.EPERM);
            default -> throw FsException.of(Errno.EINVAL);
        }
        int perm = mode & ~umask & 07777;
        long now = now();
        nsWrite.lock();
        try {
            MemDir d = dir(parent);
            NewOwner o = owner(c, d, type, perm);
            final int t = type;
            MemInode n = createNode(c, d, name, 0, (id, gen) -> {
                MemInode x = t == S_IFREG ? new MemFile(id, gen, o.mode(), o.uid(), o.gid(), now)
                        : new MemSpecial(id, gen, o.mode(), o.uid(), o.gid(), now, t == S_IFCHR || t == S_IFBLK ? rdev : 0);
                x.nlink = 1;
                return x;
            }, now);
            return entry(n);
        } finally {
            nsWrite.unlock();
        }
    }

    @Override
    public Entry mkdir(Caller c, long parent, String name, int mode, int umask) throws FsException {
        int perm = mode & ~umask & 01777; // mkdir ignores set-uid/set-gid from the caller
        long now = now();
        nsWrite.lock();
        try {
            MemDir d = dir(parent);
            NewOwner o = owner(c, d, S_IFDIR, perm);
            MemDir n = createNode(c, d, name, 0, (id, gen) -> {
                MemDir x = new MemDir(id, gen, o.mode(), o.uid(), o.gid(), now, d.ino);
                x.nlink = 2;
                return x;
            }, now);
            return entry(n);
        } finally {
            nsWrite.unlock();
        }
    }

    @Override
    public Entry symlink(Caller c, long parent, String name, String target) throws FsException {
        if (target == null || target.isEmpty()) throw FsException.of(Errno.ENOENT);
        byte[] tb = target.getBytes(StandardCharsets.UTF_8);
        if (tb.length > Names.SYMLINK_MAX) throw FsException.of(Errno.ENAMETOOLONG);
        long now = now();
        nsWrite.lock();
        try {
            MemDir d = dir(parent);
            NewOwner o = owner(c, d, FileType.S_IFLNK, 0777);
            MemSymlink n = createNode(c, d, name, tb.length, (id, gen) -> {
                MemSymlink x = new MemSymlink(id, gen, o.uid(), o.gid(), now, tb);
                x.nlink = 1;
                return x;
            }, now);
            return entry(n);
        } finally {
            nsWrite.unlock();
        }
    }

    @Override
    public Entry link(Caller c, long ino, long newParent, String newName) throws FsException {
        byte[] nb = Names.encode(newName);
        long now = now();
        nsWrite.lock();
        try {
            MemInode i = inode(ino);
            if (i.isDir()) throw FsException.of(Errno.EPERM);
            MemDir d = dir(newParent);
            Permissions.check(c, d, X);
            if (Names.isDotOrDotDot(newName) || d.entries.find(nb) >= 0) throw FsException.of(Errno.EEXIST);
            Permissions.check(c, d, W);
            if (d.nlink == 0) throw FsException.of(Errno.ENOENT);
            i.writeLock();
            try {
                checkLive(i);
                if (i.nlink == 0 && (i.flags & MemInode.LINKABLE) == 0) throw FsException.of(Errno.ENOENT);
                if (i.nlink >= MAX_LINKS) throw FsException.of(Errno.EMLINK);
                i.nlink++;
                i.ctime = now;
            } finally {
                i.writeUnlock();
            }
            i.addLookups(1);
            d.entries.insert(nb, i.ino);
            touchDir(d, now, 0);
            return entry(i);
        } finally {
            nsWrite.unlock();
        }
    }

    @Override
    public void unlink(Caller c, long parent, String name) throws FsException {
        byte[] nb = Names.encode(name);
        long now = now();
        nsWrite.lock();
        try {
            MemDir d = dir(parent);
            Permissions.check(c, d, X);
            if (Names.isDotOrDotDot(name)) throw FsException.of(Errno.EISDIR);
            int s = d.entries.find(nb);
            if (s < 0) throw FsException.of(Errno.ENOENT);
            MemInode victim = child(d, s);
            Permissions.check(c, d, W);
            Permissions.checkSticky(c, d, victim);
            if (victim.isDir()) throw FsException.of(Errno.EISDIR);
            d.entries.remove(s);
            touchDir(d, now, 0);
            dropLink(victim, now, false);
        } finally {
            nsWrite.unlock();
        }
    }

    @Override
    public void rmdir(Caller c, long parent, String name) throws FsException {
        if (Names.isDot(name)) throw FsException.of(Errno.EINVAL);
        if (Names.isDotDot(name)) throw FsException.of(Errno.ENOTEMPTY);
        byte[] nb = Names.encode(name);
        long now = now();
        nsWrite.lock();
        try {
            MemDir d = dir(parent);
            Permissions.check(c, d, X);
            int s = d.entries.find(nb);
            if (s < 0) throw FsException.of(Errno.ENOENT);
            MemInode victim = child(d, s);
            Permissions.check(c, d, W);
            Permissions.checkSticky(c, d, victim);
            if (!(victim instanceof MemDir vd)) throw FsException.of(Errno.ENOTDIR);
            if (!vd.entries.isEmpty()) throw FsException.of(Errno.ENOTEMPTY);
            d.entries.remove(s);
            touchDir(d, now, -1);
            dropLink(vd, now, true);
        } finally {
            nsWrite.unlock();
        }
    }

    /** True if {@code a} is {@code d} or one of its ancestors. Namespace lock held; d is live. */
    private boolean isAncestorOrSelf(MemInode a, MemDir d) {
        for (MemDir cur = d; ; cur = (MemDir) table.get(cur.parent)) {
            if (cur == a) return true;
            if (cur.ino == ROOT) return false;
        }
    }

    @Override
    public void rename(Caller c, long parent, String name, long newParent, String newName, int flags)
            throws FsException {
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) != 0
                || (flags & RENAME_WHITEOUT) != 0
                || (flags & (RENAME_NOREPLACE | RENAME_EXCHANGE)) == (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
            throw FsException.of(Errno.EINVAL);
        }
        byte[] nb = Names.encode(name), nnb = Names.encode(newName);
        if (Names.isDotOrDotDot(name) || Names.isDotOrDotDot(newName)) throw FsException.of(Errno.EBUSY);
        boolean exchange = (flags & RENAME_EXCHANGE) != 0;
        long now = now();
        nsWrite.lock();
        try {
            MemDir src = dir(parent), dst = dir(newParent);
            Permissions.check(c, src, X);
            Permissions.check(c, dst, X);
            int ss = src.entries.find(nb);
            if (ss < 0) throw FsException.of(Errno.ENOENT);
            MemInode from = child(src, ss);
            int ds = dst.entries.find(nnb);
            MemInode to = ds >= 0 ? child(dst, ds) : null;
            if (exchange && to == null) throw FsException.of(Errno.ENOENT);
            if ((flags & RENAME_NOREPLACE) != 0 && to != null) throw FsException.of(Errno.EEXIST);
            Permissions.check(c, src, W);
            Permissions.check(c, dst, W);
            if (dst.nlink == 0) throw FsException.of(Errno.ENOENT);
            Permissions.checkSticky(c, src, from);
            if (to != null) Permissions.checkSticky(c, dst, to);
            if (from == to) return; // two names of one inode (or one name): POSIX says do nothing

            if (exchange) {
                renameExchange(c, src, ss, from, dst, ds, to, now);
                return;
            }
            if (to != null) {
                if (from.isDir() && !to.isDir()) throw FsException.of(Errno.ENOTDIR);
                if (!from.isDir() && to.isDir()) throw FsException.of(Errno.EISDIR);
                if (to instanceof MemDir td && !td.entries.isEmpty()) throw FsException.of(Errno.ENOTEMPTY);
            }
            if (from instanceof MemDir fd) {
                if (isAncestorOrSelf(fd, dst)) throw FsException.of(Errno.EINVAL);
                if (src != dst) Permissions.check(c, fd, W); // its ".." changes
            }
            // Checks done; from here on nothing fails.
            if (to != null) {
                dst.entries.setIno(ds, from.ino); // the target name keeps its readdir cookie
                src.entries.remove(ss);           // after setIno: remove may compact and renumber slots
            } else {
                src.entries.remove(ss);
                dst.entries.insert(nnb, from.ino);
            }
            int srcDelta = 0, dstDelta = 0;
            if (from instanceof MemDir fd && src != dst) {
                fd.parent = dst.ino;
                srcDelta--;
                dstDelta++;
            }
            if (to != null && to.isDir()) dstDelta--; // the replaced directory's ".." is gone
            if (src == dst) {
                touchDir(src, now, srcDelta + dstDelta);
            } else {
                touchDir(src, now, srcDelta);
                touchDir(dst, now, dstDelta);
            }
            touchCtime(from, now);
            if (to != null) dropLink(to, now, to.isDir());
        } finally {
            nsWrite.unlock();
        }
    }

    private void renameExchange(Caller c, MemDir src, int ss, MemInode from, MemDir dst, int ds, MemInode to, long now)
            throws FsException {
        if (src != dst) {
            if (from.isDir()) Permissions.check(c, from, W);
            if (to.isDir()) Permissions.check(c, to, W);
        }
        if (from instanceof MemDir fd && isAncestorOrSelf(fd, dst)) throw FsException.of(Errno.EINVAL);
        if (to instanceof MemDir td && isAncestorOrSelf(td, src)) throw FsException.of(Errno.EINVAL);
        src.entries.setIno(ss, to.ino);
        dst.entries.setIno(ds, from.ino);
        int dstDelta = 0;
        if (src != dst) {
            if (from instanceof MemDir fd) {
                fd.parent = dst.ino;
                dstDelta++;
            }
            if (to instanceof MemDir td) {
                td.parent = src.ino;
                dstDelta--;
            }
        }
        touchDir(src, now, -dstDelta);
        if (dst != src) touchDir(dst, now, dstDelta);
        touchCtime(from, now);
        touchCtime(to, now);
    }

    // ---- files ----

    private Handles.Handle handle(long ino, long fh) throws FsException {
        Handles.Handle h = handles.get(fh);
        if (h == null || h.inode().ino != ino) throw FsException.of(Errno.EBADF);
        return h;
    }

    private static MemFile regular(MemInode i) throws FsException {
        if (i instanceof MemFile f) return f;
        throw FsException.of(i.isDir() ? Errno.EISDIR : Errno.EINVAL);
    }

    @Override
    public Opened open(Caller c, long ino, int flags) throws FsException {
        MemInode i = inode(ino);
        int acc = flags & Libc.O_ACCMODE;
        if (i.isDir() && (acc != Libc.O_RDONLY || (flags & Libc.O_TRUNC) != 0)) throw FsException.of(Errno.EISDIR);
        if (i instanceof MemSymlink) throw FsException.of(Errno.ELOOP);
        Permissions.check(c, i, Permissions.openMask(flags));
        long now = now();
        i.writeLock();
        try {
            checkLive(i);
            if ((flags & Libc.O_TRUNC) != 0 && i instanceof MemFile f) {
                if (f.data != null) {
                    f.data.truncate(0, space);
                    if (f.data.allocatedBytes() == 0) f.data = null;
                }
                f.mtime = f.ctime = now; // POSIX: O_TRUNC marks both, even if the file was empty
            }
            i.opens++;
        } finally {
            i.writeUnlock();
        }
        long fh = handles.add(i, flags);
        return i.isDir() ? policy.dir(fh) : policy.file(fh);
    }

    @Override
    public Created create(Caller c, long parent, String name, int mode, int flags, int umask) throws FsException {
        int perm = mode & ~umask & 07777;
        long now = now();
        MemFile f;
        nsWrite.lock();
        try {
            MemDir d = dir(parent);
            NewOwner o = owner(c, d, S_IFREG, perm);
            f = createNode(c, d, name, 0, (id, gen) -> {
                MemFile x = new MemFile(id, gen, o.mode(), o.uid(), o.gid(), now);
                x.nlink = 1;
                x.opens = 1; // the creator may open it whatever the mode says
                return x;
            }, now);
        } finally {
            nsWrite.unlock();
        }
        long fh = handles.add(f, flags);
        return new Created(entry(f), policy.file(fh));
    }

    @Override
    public Created tmpfile(Caller c, long parent, int mode, int flags, int umask) throws FsException {
        int perm = mode & ~umask & 07777;
        long now = now();
        MemFile f;
        nsRead.lock(); // nothing in the namespace changes, but the parent must stay a live directory
        try {
            MemDir d = dir(parent);
            Permissions.check(c, d, W | X);
            if (d.nlink == 0) throw FsException.of(Errno.ENOENT);
            NewOwner o = owner(c, d, S_IFREG, perm);
            if (!space.tryAllocInode(0)) throw FsException.of(Errno.ENOSPC);
            f = table.allocate((id, gen) -> {
                MemFile x = new MemFile(id, gen, o.mode(), o.uid(), o.gid(), now);
                x.opens = 1;
                // linkat() may give it a name later, unless O_EXCL asked for a file that stays unnamed
                if ((flags & Libc.O_EXCL) == 0) x.flags = MemInode.LINKABLE;
                return x;
            });
            if (f == null) {
                space.freeInode(0);
                throw FsException.of(Errno.ENOSPC);
            }
            f.addLookups(1);
        } finally {
            nsRead.unlock();
        }
        long fh = handles.add(f, flags);
        return new Created(entry(f), policy.file(fh));
    }

    @Override
    public int read(Caller c, long ino, long fh, long offset, ByteBuffer dst) throws FsException {
        Handles.Handle h = handle(ino, fh);
        if (!h.readable()) throw FsException.of(Errno.EBADF);
        MemFile f = regular(h.inode());
        if (offset < 0) throw FsException.of(Errno.EINVAL);
        if (!dst.hasRemaining()) return 0;
        int n = 0;
        boolean touch;
        long now = now();
        f.readLock();
        try {
            long size = f.size();
            if (offset < size) {
                n = (int) Math.min(dst.remaining(), size - offset);
                f.data.read(offset, dst, n);
            }
            touch = !h.noatime() && f.atimeStale(now);
        } finally {
            f.readUnlock();
        }
        if (touch) { // relatime: rare, so a second, exclusive lock is cheaper than writing under the read lock
            f.writeLock();
            try {
                if (f.atimeStale(now)) f.atime = now;
            } finally {
                f.writeUnlock();
            }
        }
        return n;
    }

    @Override
    public int write(Caller c, long ino, long fh, long offset, ByteBuffer src, int writeFlags) throws FsException {
        Handles.Handle h = handle(ino, fh);
        if (!h.writable()) throw FsException.of(Errno.EBADF);
        MemFile f = regular(h.inode());
        if (offset < 0) throw FsException.of(Errno.EINVAL);
        int len = src.remaining();
        long now = now();
        f.writeLock();
        try {
            long pos = offset;
            if (h.append() && (writeFlags & WRITE_CACHE) == 0) pos = Math.max(offset, f.size());
            if (len == 0) return 0;
            if (pos >= MAX_FILE_SIZE) throw FsException.of(Errno.EFBIG);
            len = (int) Math.min(len, MAX_FILE_SIZE - pos);
            int w = f.data().write(pos, src, len, space);
            if (w == 0) {
                if (f.data.size == 0 && f.data.allocatedBytes() == 0) f.data = null;
                throw FsException.of(Errno.ENOSPC);
            }
            f.mtime = f.ctime = now;
            if ((writeFlags & WRITE_KILL_SUIDGID) != 0) f.mode = Permissions.killSuidGid(f.mode);
            return w;
        } finally {
            f.writeUnlock();
        }
    }

    @Override
    public void release(long ino, long fh, int flags) {
        Handles.Handle h = handles.remove(fh);
        if (h == null) return;
        MemInode i = h.inode();
        i.writeLock();
        try {
            i.opens--;
            if (i.unreachable()) free(i);
        } finally {
            i.writeUnlock();
        }
    }

    /** Open handles (tests, diagnostics). */
    int openHandles() {
        return handles.size();
    }

    @Override
    public void fallocate(Caller c, long ino, long fh, int mode, long offset, long length) throws FsException {
        if ((mode & ~(FALLOC_KEEP_SIZE | FALLOC_PUNCH_HOLE | FALLOC_ZERO_RANGE)) != 0) {
            throw FsException.of(Errno.EOPNOTSUPP);
        }
        boolean punch = (mode & FALLOC_PUNCH_HOLE) != 0, zero = (mode & FALLOC_ZERO_RANGE) != 0;
        boolean keepSize = (mode & FALLOC_KEEP_SIZE) != 0;
        if (punch && (zero || !keepSize)) throw FsException.of(Errno.EOPNOTSUPP);
        if (offset < 0 || length <= 0) throw FsException.of(Errno.EINVAL);
        Handles.Handle h = handle(ino, fh);
        if (!h.writable()) throw FsException.of(Errno.EBADF);
        MemInode i = h.inode();
        if (i.isDir()) throw FsException.of(Errno.EISDIR);
        if (!(i instanceof MemFile f)) throw FsException.of(Errno.ENODEV);
        if (length > MAX_FILE_SIZE - offset) throw FsException.of(Errno.EFBIG);
        long end = offset + length;
        long now = now();
        f.writeLock();
        try {
            if (punch) {
                if (f.data != null) f.data.punch(offset, end, space);
                f.mtime = f.ctime = now;
                return;
            }
            ChunkedData d = f.data();
            if (!d.allocate(offset, end, space)) {
                if (d.size == 0 && d.allocatedBytes() == 0) f.data = null;
                throw FsException.of(Errno.ENOSPC);
            }
            if (zero) {
                d.zeroRange(offset, end); // zeroes, but stays allocated (unlike a punched hole)
            }
            if (!keepSize && end > d.size) d.size = end;
            if (zero) f.mtime = now;
            f.ctime = now;
        } finally {
            f.writeUnlock();
        }
    }

    @Override
    public long lseek(Caller c, long ino, long fh, long offset, int whence) throws FsException {
        if (whence != SEEK_DATA && whence != SEEK_HOLE) throw FsException.of(Errno.EINVAL);
        MemInode i = inode(ino);
        if (!(i instanceof MemFile f)) throw FsException.of(i.isDir() ? Errno.EISDIR : Errno.EINVAL);
        if (offset < 0) throw FsException.of(Errno.ENXIO);
        f.readLock();
        try {
            long size = f.size();
            if (offset >= size) throw FsException.of(Errno.ENXIO);
            long r = whence == SEEK_DATA ? f.data.seekData(offset) : f.data.seekHole(offset);
            if (r < 0) throw FsException.of(Errno.ENXIO);
            return r;
        } finally {
            f.readUnlock();
        }
    }

    @Override
    public long copyFileRange(Caller c, long inoIn, long fhIn, long offIn, long inoOut, long fhOut, long offOut,
                              long len, int flags) throws FsException {
        if (flags != 0) throw FsException.of(Errno.EINVAL);
        Handles.Handle hin = handle(inoIn, fhIn), hout = handle(inoOut, fhOut);
        if (!hin.readable() || !hout.writable() || hout.append()) throw FsException.of(Errno.EBADF);
        MemFile in = regular(hin.inode()), out = regular(hout.inode());
        if (offIn < 0 || offOut < 0 || len < 0) throw FsException.of(Errno.EINVAL);
        if (len == 0) return 0;
        long now = now();
        boolean same = in == out;
        // Two file locks: ascending inode order (see class comment).
        if (same) {
            out.writeLock();
        } else if (in.ino < out.ino) {
            in.readLock();
            out.writeLock();
        } else {
            out.writeLock();
            in.readLock();
        }
        try {
            long size = in.size();
            if (offIn >= size) return 0;
            long n = Math.min(len, size - offIn);
            if (same && offOut < offIn + n && offIn < offOut + n) throw FsException.of(Errno.EINVAL);
            if (offOut >= MAX_FILE_SIZE) throw FsException.of(Errno.EFBIG);
            n = Math.min(n, MAX_FILE_SIZE - offOut);
            long copied = out.data().copyFrom(in.data, offIn, offOut, n, space);
            if (copied == 0) throw FsException.of(Errno.ENOSPC);
            out.mtime = out.ctime = now;
            return copied;
        } finally {
            if (same) {
                out.writeUnlock();
            } else {
                out.writeUnlock();
                in.readUnlock();
            }
        }
    }

    // ---- directories ----

    @Override
    public Opened opendir(Caller c, long ino, int flags) throws FsException {
        MemDir d = dir(ino);
        Permissions.check(c, d, R);
        return policy.dir(0);
    }

    @Override
    public void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException {
        // Entries are gathered in batches under the shared namespace lock and handed to the sink
        // with no lock held; a batch resumes from the last cookie, which is what makes concurrent
        // changes safe between batches exactly as between calls.
        // Batches start small (a sink is often a single 4 KiB FUSE buffer) and grow for long listings.
        String[] names = new String[READDIR_BATCH];
        int[] inos = new int[READDIR_BATCH], types = new int[READDIR_BATCH];
        long[] cookies = new long[READDIR_BATCH];
        long pos = Math.max(cookie, 0);
        MemDir d = dir(ino);
        for (int batch = 32; ; batch = Math.min(READDIR_BATCH, batch * 2)) {
            int n = 0;
            boolean end;
            nsRead.lock();
            try {
                if (d.nlink == 0 || (d.flags & MemInode.FREED) != 0) throw FsException.of(Errno.ENOENT);
                if (pos < 1) {
                    names[n] = ".";
                    inos[n] = d.ino;
                    types[n] = FileType.DT_DIR;
                    cookies[n++] = 1;
                }
                if (pos < 2) {
                    names[n] = "..";
                    inos[n] = d.parent;
                    types[n] = FileType.DT_DIR;
                    cookies[n++] = 2;
                }
                DirectoryTable t = d.entries;
                int s = t.firstSlotAfter(Math.max(pos, 2));
                for (; s < t.slotCount() && n < batch; s++) {
                    if (!t.isLive(s)) continue;
                    names[n] = t.name(s);
                    inos[n] = t.ino(s);
                    types[n] = FileType.dtype(table.get(inos[n]).mode);
                    cookies[n++] = t.cookie(s);
                }
                end = s >= t.slotCount();
            } finally {
                nsRead.unlock();
            }
            for (int k = 0; k < n; k++) {
                if (!sink.add(names[k], inos[k], types[k], cookies[k])) return;
                pos = cookies[k];
            }
            if (end) break;
        }
        long now = now();
        if (d.atimeStale(now)) {
            d.writeLock();
            try {
                d.atime = now;
            } finally {
                d.writeUnlock();
            }
        }
    }

    // ---- misc ----

    @Override
    public StatFs statfs(Caller c, long ino) throws FsException {
        long limit = space.limitBytes;
        long blocks = limit / SpaceAccounting.BLOCK;
        long free = Math.max(0, (limit - space.usedBytes()) / SpaceAccounting.BLOCK);
        long ffree = Math.max(0, space.maxInodes - space.inodes());
        return new StatFs(blocks, free, free, space.maxInodes, ffree, SpaceAccounting.BLOCK, Names.NAME_MAX,
                SpaceAccounting.BLOCK);
    }

    /** Bytes charged against the size limit (tests, diagnostics). */
    long usedBytes() {
        return space.usedBytes();
    }

    /** Live inodes, the root included (tests, diagnostics). */
    long inodeCount() {
        return space.inodes();
    }

    @Override
    public void access(Caller c, long ino, int mask) throws FsException {
        MemInode i = inode(ino);
        checkLive(i);
        if ((mask & 7) != 0) Permissions.check(c, i, mask & 7);
    }

    // ---- extended attributes ----

    private static final String USER = "user.", TRUSTED = "trusted.", SECURITY = "security.";

    /** Name limits, namespace and permission; see Linux xattr_permission and cap_inode_setxattr. */
    private static void checkXattr(Caller c, MemInode i, String name, boolean write) throws FsException {
        if (name == null || name.isEmpty()) throw FsException.of(Errno.ERANGE);
        if (Names.utf8Length(name) > XATTR_NAME_MAX) throw FsException.of(Errno.ERANGE);
        String prefix = name.startsWith(USER) ? USER : name.startsWith(TRUSTED) ? TRUSTED
                : name.startsWith(SECURITY) ? SECURITY : null;
        if (prefix == null) throw FsException.of(Errno.EOPNOTSUPP); // system.* (ACLs) and unknown namespaces
        if (name.length() == prefix.length()) throw FsException.of(Errno.EINVAL);
        switch (prefix) {
            case TRUSTED -> {
                if (!c.isRoot()) throw FsException.of(write ? Errno.EPERM : Errno.ENODATA);
            }
            case SECURITY -> {
                if (write && !c.isRoot()) throw FsException.of(Errno.EPERM);
            }
            default -> { // user.*: only on files and directories, sticky dirs only by their owner
                if (!i.isRegular() && !i.isDir()) throw FsException.of(write ? Errno.EPERM : Errno.ENODATA);
                if (write && i.isDir() && (i.mode & FileType.S_ISVTX) != 0 && !Permissions.isOwnerOrRoot(c, i)) {
                    throw FsException.of(Errno.EPERM);
                }
                Permissions.check(c, i, write ? W : R);
            }
        }
    }

    @Override
    public void setxattr(Caller c, long ino, String name, byte[] value, int flags) throws FsException {
        if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0) throw FsException.of(Errno.EINVAL);
        if (value.length > XATTR_SIZE_MAX) throw FsException.of(Errno.E2BIG);
        MemInode i = inode(ino);
        checkXattr(c, i, name, true);
        byte[] copy = value.clone();
        long now = now();
        i.writeLock();
        try {
            checkLive(i);
            byte[] old = i.xattrs == null ? null : i.xattrs.get(name);
            if ((flags & XATTR_CREATE) != 0 && old != null) throw FsException.of(Errno.EEXIST);
            if ((flags & XATTR_REPLACE) != 0 && old == null) throw FsException.of(Errno.ENODATA);
            long delta = Xattrs.cost(name, copy) - (old == null ? 0 : Xattrs.cost(name, old));
            if (!space.tryReserve(delta)) throw FsException.of(Errno.ENOSPC);
            if (i.xattrs == null) i.xattrs = new Xattrs();
            i.xattrs.put(name, copy);
            i.ctime = now;
        } finally {
            i.writeUnlock();
        }
    }

    @Override
    public byte[] getxattr(Caller c, long ino, String name) throws FsException {
        MemInode i = inode(ino);
        checkXattr(c, i, name, false);
        i.readLock();
        try {
            checkLive(i);
            byte[] v = i.xattrs == null ? null : i.xattrs.get(name);
            if (v == null) throw FsException.of(Errno.ENODATA);
            return v.clone();
        } finally {
            i.readUnlock();
        }
    }

    @Override
    public List<String> listxattr(Caller c, long ino) throws FsException {
        MemInode i = inode(ino);
        i.readLock();
        try {
            checkLive(i);
            if (i.xattrs == null) return List.of();
            List<String> names = i.xattrs.names();
            if (!c.isRoot()) names.removeIf(n -> n.startsWith(TRUSTED)); // invisible without CAP_SYS_ADMIN
            return names;
        } finally {
            i.readUnlock();
        }
    }

    @Override
    public void removexattr(Caller c, long ino, String name) throws FsException {
        MemInode i = inode(ino);
        checkXattr(c, i, name, true);
        long now = now();
        i.writeLock();
        try {
            checkLive(i);
            byte[] old = i.xattrs == null ? null : i.xattrs.remove(name);
            if (old == null) throw FsException.of(Errno.ENODATA);
            space.release(Xattrs.cost(name, old));
            if (i.xattrs.isEmpty()) i.xattrs = null;
            i.ctime = now;
        } finally {
            i.writeUnlock();
        }
    }
}
