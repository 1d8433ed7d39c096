package io.strata.memory;

import static io.strata.core.FileType.S_IFBLK;
import static io.strata.core.FileType.S_IFCHR;
import static io.strata.core.FileType.S_IFDIR;
import static io.strata.core.FileType.S_IFIFO;
import static io.strata.core.FileType.S_IFLNK;
import static io.strata.core.FileType.S_IFMT;
import static io.strata.core.FileType.S_IFREG;
import static io.strata.core.FileType.S_IFSOCK;

import io.strata.core.Access;
import io.strata.core.Attr;
import io.strata.core.AttrReply;
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
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.StatFs;
import io.strata.core.XattrName;
import io.strata.core.inode.InodeTable;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
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
 *     lookup, readdir, readdirplus and tmpfile take it shared; create, mkdir, mknod, symlink, link,
 *     unlink, rmdir, rename take it exclusive. Data I/O, getattr, setattr, xattrs, open and release
 *     never take it.</li>
 * <li><b>Inode lock</b> (each {@link MemInode} is an {@link InodeLock}, shared/exclusive,
 *     non-reentrant): guards that inode's attributes, data ({@link ChunkedData}) and xattrs. Reads
 *     and getattr take it shared; writes and every attribute change exclusive. Under the namespace
 *     lock, inode locks are taken one at a time and released before the next (never nested), so
 *     their order does not matter. The only nesting is copy_file_range, which holds two file locks
 *     and takes them in ascending inode order.</li>
 * </ol>
 * The core {@link InodeTable} monitor and {@link SpaceAccounting} atomics are innermost and never
 * call out. nlink is changed only with both the namespace write lock and the inode lock held.
 * Lookup and open counts change atomically (lookups run in parallel under the shared namespace
 * lock). Consequences: reads and writes of different files never wait for one another or for the
 * namespace; a data copy never holds the namespace lock; directory operations serialize (they are
 * short: no data is copied under the namespace lock).
 *
 * <h2>Permissions</h2>
 * Every decision is core's {@link Access}, made with the attributes read under the inode's lock
 * (lookup's search check reads mode/uid/gid unlocked, see {@link MemInode}). The order of checks
 * within an operation is Linux's: search permission on the parent, then the name's existence
 * (ENOENT/EEXIST), then write permission, sticky bit and type checks.
 *
 * <h2>Lifetime</h2>
 * An inode is freed (id returned to the table with a new generation, space released) when its link
 * count, lookup count and open count are all zero. Each of the three decrements is followed by
 * {@link #freeIfUnused} under the inode's write lock, so the last one to reach zero frees it exactly
 * once; references are added under at least the read lock after checking the inode is still in the
 * table. Unknown or freed inode ids answer ESTALE.
 *
 * <h2>Buffers</h2>
 * read advances {@code dst}'s position by the bytes read, write advances {@code src}'s position by
 * the bytes written (like FileChannel). Directory sinks are called without any lock held.
 */
public final class MemoryFileSystem implements FileSystem {
    /** Largest file size (1 EiB): far beyond any heap, small enough that offset arithmetic never overflows. */
    static final long MAX_FILE_SIZE = 1L << 60;
    static final int XATTR_SIZE_MAX = 65536;
    /** Symlink targets, like Linux: at most a page including the terminating NUL. */
    static final int SYMLINK_MAX = 4095;
    private static final int MAX_LINKS = Integer.MAX_VALUE - 1;
    private static final int READDIR_BATCH = 512;
    /** readdirplus batches stay smaller: each gathered entry holds a reference until the sink takes it. */
    private static final int READDIRPLUS_BATCH = 128;

    private static final Set<Feature> FEATURES = Collections.unmodifiableSet(EnumSet.of(Feature.PERMISSIONS,
            Feature.RENAME_NOREPLACE, Feature.RENAME_EXCHANGE, Feature.RENAME_WHITEOUT, Feature.HARD_LINKS,
            Feature.SYMLINKS, Feature.DEVICE_NODES, Feature.TMPFILE, Feature.USER_XATTRS, Feature.TRUSTED_XATTRS,
            Feature.SECURITY_XATTRS, Feature.FALLOCATE, Feature.PUNCH_HOLE, Feature.SEEK_DATA,
            Feature.COPY_FILE_RANGE, Feature.READDIRPLUS, Feature.STATELESS_DIRS));

    private final CachePolicy policy;
    private final SpaceAccounting space;
    /** Replaced by an empty table on {@link #close()}: every inode becomes unreachable (ESTALE) and collectable. */
    private volatile InodeTable<MemInode> table = new InodeTable<>();
    private final Handles handles = new Handles();
    private final ReentrantReadWriteLock ns = new ReentrantReadWriteLock();
    private final Lock nsRead = ns.readLock(), nsWrite = ns.writeLock();
    private final LongSupplier clock;

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
        MemDir root;
        try {
            root = table.allocate((id, gen) -> new MemDir(id, gen, S_IFDIR | options.rootMode(), options.rootUid(),
                    options.rootGid(), now, id));
        } catch (FsException e) {
            throw new IllegalStateException("cannot allocate the root", e);
        }
        if (root.ino() != ROOT) throw new IllegalStateException("root is not inode 1");
        root.nlink = 2; // its ".." is itself; nothing can ever remove it (it has no name)
    }

    static long wallClockNanos() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private long now() {
        return clock.getAsLong();
    }

    // ---- capabilities, lifetime ----

    @Override
    public Set<Feature> features() {
        return FEATURES;
    }

    @Override
    public CachePolicy cachePolicy() {
        return policy;
    }

    /**
     * Drops every inode, its data and every handle so the heap they used can be collected even if
     * the owner keeps this object. Called once, after every session detached (nothing runs
     * concurrently); afterwards every inode, the root included, answers ESTALE.
     */
    @Override
    public void close() {
        nsWrite.lock();
        try {
            handles.clear();
            table = new InodeTable<>();
        } finally {
            nsWrite.unlock();
        }
    }

    // ---- helpers ----

    private MemInode inode(long ino) throws FsException {
        return table.require(ino);
    }

    private MemDir dir(long ino) throws FsException {
        if (!(inode(ino) instanceof MemDir d)) throw FsException.of(Errno.ENOTDIR);
        return d;
    }

    /** The inode named by a live dentry (the namespace lock is held, so it cannot be freed). */
    private MemInode child(MemDir d, int slot) {
        return table.get(d.entries.ino(slot));
    }

    /** Still in the table (not freed). Meaningful under the inode's lock: freeing takes it exclusively. */
    private boolean live(MemInode i) {
        return table.get(i.ino()) == i;
    }

    private void checkLive(MemInode i) throws FsException {
        if (!live(i)) throw FsException.of(Errno.ESTALE);
    }

    /** Builds the Entry reply of an inode whose lookup reference the caller already counted. */
    private Entry entry(MemInode i) {
        i.readLock();
        try {
            return policy.entry(i.ino(), i.generation(), i.attr());
        } finally {
            i.readUnlock();
        }
    }

    /**
     * Adds one lookup reference and builds the Entry, or returns null if the inode was freed. The
     * read lock excludes {@link #freeIfUnused}, so a live inode cannot be freed between the check
     * and the count.
     */
    private Entry countedOrNull(MemInode i) {
        i.readLock();
        try {
            if (!live(i)) return null;
            i.addLookups(1);
            return policy.entry(i.ino(), i.generation(), i.attr());
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
            freeIfUnused(i);
        } finally {
            i.writeUnlock();
        }
    }

    private void maybeFree(MemInode i) {
        i.writeLock();
        try {
            freeIfUnused(i);
        } finally {
            i.writeUnlock();
        }
    }

    /** Caller holds i's write lock. Frees once: the table refuses an inode it no longer holds. */
    private void freeIfUnused(MemInode i) {
        if (!live(i) || !table.freeIfUnused(i)) return;
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
        space.freeInode(extra);
    }

    /** Builds a new inode once its id, generation and ownership are known. */
    private interface NodeBuilder<T extends MemInode> {
        T build(int ino, int generation, Access.Ownership owner);
    }

    /**
     * The common part of every create: checks the parent and the name in Linux's order (search,
     * removed directory, existing name, write), charges the space, allocates and links the inode
     * with owner and group from {@link Access#newObject}, updates the parent. {@code mode} holds the
     * type and the permission bits after the umask. Caller holds the namespace write lock. The new
     * inode carries one lookup reference.
     */
    private <T extends MemInode> T createNode(Caller c, MemDir d, Name name, int mode, long extraBytes,
                                              boolean device, NodeBuilder<T> builder, long now) throws FsException {
        Attr da = d.lockedAttr();
        Access.checkLookup(c, da);
        if (d.nlink == 0) throw FsException.of(Errno.ENOENT); // a removed directory takes no new names
        if (name.isDotOrDotDot() || d.entries.find(name) >= 0) throw FsException.of(Errno.EEXIST);
        Access.checkCreate(c, da);
        if (device && !c.isRoot()) throw FsException.of(Errno.EPERM); // CAP_MKNOD, checked after may_create
        Access.Ownership owner = Access.newObject(c, da, mode);
        if (!space.tryAllocInode(extraBytes)) throw FsException.of(Errno.ENOSPC);
        T n;
        try {
            n = table.allocate((id, gen) -> builder.build(id, gen, owner));
        } catch (FsException e) {
            space.freeInode(extraBytes);
            throw e;
        }
        n.addLookups(1);
        d.entries.insert(name, n.id());
        touchDir(d, now, n.isDir() ? 1 : 0);
        return n;
    }

    // ---- names and attributes ----

    @Override
    public Entry lookup(Caller c, long parent, Name name) throws FsException {
        nsRead.lock();
        try {
            MemDir d = dir(parent);
            // checkLookup without building an Attr: this is the hot path of every path walk
            Access.check(c, d.mode, d.uid, d.gid, Access.X);
            MemInode found;
            if (name.isDot()) {
                found = d;
            } else if (d.nlink == 0) {
                // A removed directory is empty, and the inode its ".." named may be gone already.
                throw FsException.of(Errno.ENOENT);
            } else if (name.isDotDot()) {
                found = table.get(d.parent); // the root's parent is the root
            } else {
                int s = d.entries.find(name);
                if (s < 0) throw FsException.of(Errno.ENOENT);
                found = child(d, s);
            }
            Entry e = countedOrNull(found);
            if (e == null) throw FsException.of(Errno.ESTALE); // "." of a directory freed meanwhile
            return e;
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

    @Override
    public void retain(long ino, long n) throws FsException {
        if (n < 0) throw FsException.of(Errno.EINVAL);
        MemInode i = inode(ino);
        i.readLock();
        try {
            checkLive(i);
            i.addLookups(n);
        } finally {
            i.readUnlock();
        }
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
        if (ch.fh() >= 0) {
            Handles.Handle h = handles.get(ch.fh());
            // Only a writable handle of this very inode vouches for a size change (ftruncate);
            // anything else is checked like truncate(2) by path.
            if (h == null || h.inode() != i || !h.writable()) ch = ch.withFh(-1);
        }
        if (ch.has(SetAttr.SIZE) && ch.size() < 0) throw FsException.of(Errno.EINVAL);
        long now = now();
        i.writeLock();
        try {
            checkLive(i);
            // Every check first (Access decides, including which set-id bits go): a refused
            // request changes nothing.
            SetAttr eff = Access.checkSetattr(c, i.attr(), ch);
            if (eff.has(SetAttr.SIZE) && eff.size() > MAX_FILE_SIZE) throw FsException.of(Errno.EFBIG);

            if (eff.has(SetAttr.SIZE)) {
                MemFile f = (MemFile) i; // Access refused every type but regular files
                if (eff.size() != f.size()) {
                    f.data().truncate(eff.size(), space);
                    if (f.data.size == 0 && f.data.allocatedBytes() == 0) f.data = null;
                    f.mtime = now;
                }
            }
            if (eff.has(SetAttr.MODE)) i.mode = (i.mode & S_IFMT) | (eff.mode() & 07777);
            if (eff.has(SetAttr.UID) && eff.uid() != -1) i.uid = eff.uid();
            if (eff.has(SetAttr.GID) && eff.gid() != -1) i.gid = eff.gid();
            if (eff.has(SetAttr.ATIME_NOW)) i.atime = now;
            else if (eff.has(SetAttr.ATIME)) i.atime = eff.atimeNs();
            // MTIME_CACHED is an explicit value (the writeback cache's own clock): stored as given
            if (eff.has(SetAttr.MTIME_NOW)) i.mtime = now;
            else if (eff.has(SetAttr.MTIME)) i.mtime = eff.mtimeNs();
            i.ctime = now; // ctime is the file system's to keep: always now
            return policy.attr(i.attr());
        } finally {
            i.writeUnlock();
        }
    }

    @Override
    public byte[] readlink(Caller c, long ino) throws FsException {
        if (!(inode(ino) instanceof MemSymlink s)) throw FsException.of(Errno.EINVAL);
        return s.target.clone();
    }

    @Override
    public Entry mknod(Caller c, long parent, Name name, int mode, int rdev, int umask) throws FsException {
        int type = mode & S_IFMT;
        if (type == 0) type = S_IFREG;
        switch (type) {
            case S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK -> {}
            case S_IFDIR -> throw FsException.of(Errno.EPERM); // may_mknod
            default -> throw FsException.of(Errno.EINVAL);
        }
        final int t = type;
        boolean device = t == S_IFBLK || (t == S_IFCHR && rdev != 0); // a 0/0 whiteout needs no privilege
        int m = Access.applyUmask(t | (mode & 07777), umask);
        long now = now();
        nsWrite.lock();
        try {
            MemDir d = dir(parent);
            MemInode n = createNode(c, d, name, m, 0, device, (id, gen, o) -> {
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
    public Entry mkdir(Caller c, long parent, Name name, int mode, int umask) throws FsException {
        int m = Access.applyUmask(S_IFDIR | (mode & 01777), umask); // mkdir takes no set-id bits from the caller
        long now = now();
        nsWrite.lock();
        try {
            MemDir d = dir(parent);
            MemDir n = createNode(c, d, name, m, 0, false, (id, gen, o) -> {
                MemDir x = new MemDir(id, gen, o.mode(), o.uid(), o.gid(), now, d.id());
                x.nlink = 2;
                return x;
            }, now);
            return entry(n);
        } finally {
            nsWrite.unlock();
        }
    }

    @Override
    public Entry symlink(Caller c, long parent, Name name, byte[] target) throws FsException {
        if (target == null || target.length == 0) throw FsException.of(Errno.ENOENT);
        if (target.length > SYMLINK_MAX) throw FsException.of(Errno.ENAMETOOLONG);
        // A C string cannot hold NUL: no kernel or 9P client could ever read such a target back.
        for (byte b : target) if (b == 0) throw FsException.of(Errno.EINVAL);
        byte[] tb = target.clone();
        long now = now();
        nsWrite.lock();
        try {
            MemDir d = dir(parent);
            MemSymlink n = createNode(c, d, name, S_IFLNK | 0777, tb.length, false, (id, gen, o) -> {
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
    public Entry link(Caller c, long ino, long newParent, Name newName) throws FsException {
        long now = now();
        nsWrite.lock();
        try {
            MemInode i = inode(ino);
            MemDir d = dir(newParent);
            Attr da = d.lockedAttr();
            Access.checkLookup(c, da);
            if (d.nlink == 0) throw FsException.of(Errno.ENOENT);
            if (newName.isDotOrDotDot() || d.entries.find(newName) >= 0) throw FsException.of(Errno.EEXIST);
            Access.checkCreate(c, da);
            if (i.isDir()) throw FsException.of(Errno.EPERM); // vfs_link, after may_create
            Access.checkLinkSource(c, i.lockedAttr());
            i.writeLock();
            try {
                checkLive(i);
                if (i.nlink == 0 && !i.linkable) throw FsException.of(Errno.ENOENT);
                if (i.nlink >= MAX_LINKS) throw FsException.of(Errno.EMLINK);
                i.nlink++;
                i.linkable = false;
                i.ctime = now;
                i.addLookups(1);
            } finally {
                i.writeUnlock();
            }
            d.entries.insert(newName, i.id());
            touchDir(d, now, 0);
            return entry(i);
        } finally {
            nsWrite.unlock();
        }
    }

    @Override
    public void unlink(Caller c, long parent, Name name) throws FsException {
        long now = now();
        nsWrite.lock();
        try {
            MemDir d = dir(parent);
            Attr da = d.lockedAttr();
            Access.checkLookup(c, da);
            if (name.isDotOrDotDot()) throw FsException.of(Errno.EISDIR); // do_unlinkat: not a normal name
            int s = d.entries.find(name);
            if (s < 0) throw FsException.of(Errno.ENOENT);
            MemInode victim = child(d, s);
            Access.checkRemove(c, da, victim.lockedAttr());
            if (victim.isDir()) throw FsException.of(Errno.EISDIR);
            d.entries.remove(s);
            touchDir(d, now, 0);
            dropLink(victim, now, false);
        } finally {
            nsWrite.unlock();
        }
    }

    @Override
    public void rmdir(Caller c, long parent, Name name) throws FsException {
        long now = now();
        nsWrite.lock();
        try {
            MemDir d = dir(parent);
            Attr da = d.lockedAttr();
            Access.checkLookup(c, da);
            // do_rmdir's answers for the dot names: "." EINVAL, ".." ENOTEMPTY
            if (name.isDot()) throw FsException.of(Errno.EINVAL);
            if (name.isDotDot()) throw FsException.of(Errno.ENOTEMPTY);
            int s = d.entries.find(name);
            if (s < 0) throw FsException.of(Errno.ENOENT);
            MemInode victim = child(d, s);
            Access.checkRemove(c, da, victim.lockedAttr());
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
            if (cur.ino() == ROOT) return false;
        }
    }

    /**
     * rename(2) and renameat2's flags, in Linux's order: flag combinations (EINVAL), the whiteout
     * privilege (EPERM), the dot names, search permission on both parents, the names (ENOENT,
     * EEXIST), the loop traps (EINVAL, ENOTEMPTY), then {@link Access#checkRename}, then types.
     *
     * <p>"." or ".." as either name is EBUSY, as Linux's do_renameat2 answers (the new name under
     * RENAME_NOREPLACE gives EEXIST there, and here): a dot name stands for a directory that is in
     * use as somebody's parent, not for an entry that could move.
     */
    @Override
    public void rename(Caller c, long parent, Name name, long newParent, Name newName, int flags)
            throws FsException {
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) != 0
                || ((flags & RENAME_EXCHANGE) != 0 && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) != 0)) {
            throw FsException.of(Errno.EINVAL);
        }
        boolean exchange = (flags & RENAME_EXCHANGE) != 0, noreplace = (flags & RENAME_NOREPLACE) != 0;
        boolean whiteout = (flags & RENAME_WHITEOUT) != 0;
        if (whiteout && !c.isRoot()) throw FsException.of(Errno.EPERM); // a whiteout is a device node: CAP_MKNOD
        if (name.isDotOrDotDot()) throw FsException.of(Errno.EBUSY);
        if (newName.isDotOrDotDot()) throw FsException.of(noreplace ? Errno.EEXIST : Errno.EBUSY);
        long now = now();
        nsWrite.lock();
        try {
            MemDir src = dir(parent), dst = dir(newParent);
            Attr sa = src.lockedAttr(), da = src == dst ? sa : dst.lockedAttr();
            Access.checkLookup(c, sa);
            Access.checkLookup(c, da);
            int ss = src.entries.find(name);
            if (ss < 0) throw FsException.of(Errno.ENOENT);
            MemInode from = child(src, ss);
            if (dst.nlink == 0) throw FsException.of(Errno.ENOENT);
            int ds = dst.entries.find(newName);
            MemInode to = ds >= 0 ? child(dst, ds) : null;
            if (noreplace && to != null) throw FsException.of(Errno.EEXIST);
            if (exchange && to == null) throw FsException.of(Errno.ENOENT);
            // lock_rename's traps: a directory into its own subtree, or over one of its ancestors
            if (from instanceof MemDir fd && isAncestorOrSelf(fd, dst)) throw FsException.of(Errno.EINVAL);
            if (to instanceof MemDir td && isAncestorOrSelf(td, src)) {
                throw FsException.of(exchange ? Errno.EINVAL : Errno.ENOTEMPTY);
            }
            if (from == to) return; // two names of one inode (or one name): POSIX says do nothing
            Access.checkRename(c, sa, from.lockedAttr(), da, to == null ? null : to.lockedAttr(), exchange);

            if (exchange) {
                renameExchange(src, ss, from, dst, ds, to, now);
                return;
            }
            if (to != null) {
                if (from.isDir() && !to.isDir()) throw FsException.of(Errno.ENOTDIR);
                if (!from.isDir() && to.isDir()) throw FsException.of(Errno.EISDIR);
                if (to instanceof MemDir td && !td.entries.isEmpty()) throw FsException.of(Errno.ENOTEMPTY);
            }
            MemInode wh = whiteout ? newWhiteout(c, sa, now) : null; // the last thing that can fail
            // Checks done; from here on nothing fails.
            if (to != null) {
                dst.entries.setIno(ds, from.id()); // the target name keeps its readdir cookie
                // after setIno: remove (and insert) may compact and renumber slots
                if (wh != null) src.entries.setIno(ss, wh.id());
                else src.entries.remove(ss);
            } else {
                if (wh != null) src.entries.setIno(ss, wh.id());
                else src.entries.remove(ss);
                dst.entries.insert(newName, from.id());
            }
            int srcDelta = 0, dstDelta = 0;
            if (from instanceof MemDir fd && src != dst) {
                fd.parent = dst.id();
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

    /**
     * The whiteout RENAME_WHITEOUT leaves at the old name: a 0/0 character device owned by the
     * caller, as overlayfs and tmpfs make it. Not linked yet and no lookup reference: the caller
     * puts it in the source slot. Namespace write lock held.
     */
    private MemInode newWhiteout(Caller c, Attr srcDir, long now) throws FsException {
        Access.Ownership o = Access.newObject(c, srcDir, S_IFCHR);
        if (!space.tryAllocInode(0)) throw FsException.of(Errno.ENOSPC);
        try {
            return table.allocate((id, gen) -> {
                MemSpecial x = new MemSpecial(id, gen, o.mode(), o.uid(), o.gid(), now, 0);
                x.nlink = 1;
                return x;
            });
        } catch (FsException e) {
            space.freeInode(0);
            throw e;
        }
    }

    /** Permissions and traps were checked by the caller; nothing here fails. */
    private void renameExchange(MemDir src, int ss, MemInode from, MemDir dst, int ds, MemInode to, long now) {
        src.entries.setIno(ss, to.id());
        dst.entries.setIno(ds, from.id());
        int dstDelta = 0;
        if (src != dst) {
            if (from instanceof MemDir fd) {
                fd.parent = dst.id();
                dstDelta++;
            }
            if (to instanceof MemDir td) {
                td.parent = src.id();
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
        if (h == null || h.inode().ino() != ino) throw FsException.of(Errno.EBADF);
        return h;
    }

    private static MemFile regular(MemInode i) throws FsException {
        if (i instanceof MemFile f) return f;
        throw FsException.of(i.isDir() ? Errno.EISDIR : Errno.EINVAL);
    }

    @Override
    public Opened open(Caller c, long ino, int flags) throws FsException {
        MemInode i = inode(ino);
        // may_open's order: symlink, directory opened for writing, then permission
        if (i instanceof MemSymlink) throw FsException.of(Errno.ELOOP);
        if (i.isDir() && (OpenFlags.writes(flags) || (flags & OpenFlags.O_TRUNC) != 0)) {
            throw FsException.of(Errno.EISDIR);
        }
        long now = now();
        i.writeLock();
        try {
            checkLive(i);
            Access.checkOpen(c, i.attr(), flags);
            if ((flags & OpenFlags.O_TRUNC) != 0 && i instanceof MemFile f) {
                if (f.data != null) {
                    f.data.truncate(0, space);
                    if (f.data.allocatedBytes() == 0) f.data = null;
                }
                f.mode = Access.modeAfterWrite(c, f.mode, f.gid); // a truncate is a write (handle_truncate)
                f.mtime = f.ctime = now; // POSIX: O_TRUNC marks both, even if the file was empty
            }
            i.opened();
        } finally {
            i.writeUnlock();
        }
        long fh = handles.add(i, flags);
        return i.isDir() ? policy.dir(fh) : policy.file(fh);
    }

    @Override
    public Created create(Caller c, long parent, Name name, int mode, int flags, int umask) throws FsException {
        int m = Access.applyUmask(S_IFREG | (mode & 07777), umask);
        long now = now();
        MemFile f;
        nsWrite.lock();
        try {
            MemDir d = dir(parent);
            f = createNode(c, d, name, m, 0, false, (id, gen, o) -> {
                MemFile x = new MemFile(id, gen, o.mode(), o.uid(), o.gid(), now);
                x.nlink = 1;
                x.opened(); // the creator may open it whatever the mode says
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
        int m = Access.applyUmask(S_IFREG | (mode & 07777), umask);
        long now = now();
        MemFile f;
        nsRead.lock(); // nothing in the namespace changes, but the parent must stay a live directory
        try {
            MemDir d = dir(parent);
            Attr da = d.lockedAttr();
            Access.checkCreate(c, da); // vfs_tmpfile: write and search on the directory
            if (d.nlink == 0) throw FsException.of(Errno.ENOENT);
            Access.Ownership o = Access.newObject(c, da, m);
            if (!space.tryAllocInode(0)) throw FsException.of(Errno.ENOSPC);
            try {
                f = table.allocate((id, gen) -> {
                    MemFile x = new MemFile(id, gen, o.mode(), o.uid(), o.gid(), now);
                    x.opened();
                    // linkat() may give it a name later, unless O_EXCL asked for a file that stays unnamed
                    x.linkable = (flags & OpenFlags.O_EXCL) == 0;
                    return x;
                });
            } catch (FsException e) {
                space.freeInode(0);
                throw e;
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
            // file_remove_privs: a writer without CAP_FSETID clears the set-id bits; the frontend
            // may also ask for it explicitly (FUSE handle_killpriv). A writeback flush is not a
            // write(2): the kernel removed the bits (by setattr) when the write reached its cache,
            // and the flush's credentials are not the writer's.
            int mode = f.mode;
            if ((writeFlags & WRITE_CACHE) == 0) mode = Access.modeAfterWrite(c, mode, f.gid);
            if ((writeFlags & WRITE_KILL_SUIDGID) != 0) mode = Access.killSuidGid(c, mode, f.gid);
            f.mode = mode;
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
            i.closed();
            freeIfUnused(i);
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
        } else if (in.ino() < out.ino()) {
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
            out.mode = Access.modeAfterWrite(c, out.mode, out.gid); // a copy into a file is a write to it
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
        Access.check(c, d.lockedAttr(), Access.R);
        return policy.dir(0);
    }

    @Override
    public void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException {
        list(dir(ino), cookie, false, (name, child, dtype, next, e) -> sink.add(name, child, dtype, next));
    }

    /**
     * Native READDIRPLUS: each entry's reference is taken while the child is at hand under the
     * namespace lock, instead of a second lookup per name. A reference the sink refuses is dropped.
     * Entries let the kernel skip lookup, so they need what lookup needs: without search
     * permission on the directory the names come without entries (as the default's lookups would).
     */
    @Override
    public void readdirplus(Caller c, long ino, long fh, long cookie, DirPlusSink sink) throws FsException {
        MemDir d = dir(ino);
        list(d, cookie, Access.allowed(c, d.mode, d.uid, d.gid, Access.X), sink);
    }

    /**
     * Entries are gathered in batches under the shared namespace lock and handed to the sink with no
     * lock held; a batch resumes from the last cookie, which is what makes concurrent changes safe
     * between batches exactly as between calls. Batches start small (a sink is often a single 4 KiB
     * FUSE buffer) and grow for long listings.
     */
    private void list(MemDir d, long cookie, boolean withEntries, DirPlusSink sink) throws FsException {
        int max = withEntries ? READDIRPLUS_BATCH : READDIR_BATCH;
        Name[] names = new Name[max];
        int[] inos = new int[max], types = new int[max];
        long[] cookies = new long[max];
        Entry[] entries = withEntries ? new Entry[max] : null;
        long pos = Math.max(cookie, 0);
        for (int batch = withEntries ? 16 : 32; ; batch = Math.min(max, batch * 2)) {
            int n = 0;
            boolean end;
            nsRead.lock();
            try {
                if (d.nlink == 0 || !live(d)) throw FsException.of(Errno.ENOENT);
                if (pos < 1) {
                    names[n] = Name.DOT;
                    inos[n] = d.id();
                    types[n] = FileType.DT_DIR;
                    cookies[n++] = 1;
                }
                if (pos < 2) {
                    names[n] = Name.DOTDOT;
                    inos[n] = d.parent;
                    types[n] = FileType.DT_DIR;
                    cookies[n++] = 2;
                }
                DirectoryTable t = d.entries;
                int s = t.firstSlotAfter(Math.max(pos, 2));
                for (; s < t.slotCount() && n < batch; s++) {
                    if (!t.isLive(s)) continue;
                    MemInode child = table.get(t.ino(s));
                    names[n] = t.name(s);
                    inos[n] = t.ino(s);
                    types[n] = FileType.dtype(child.mode);
                    if (withEntries) entries[n] = countedOrNull(child); // linked, so never null
                    cookies[n++] = t.cookie(s);
                }
                end = s >= t.slotCount();
            } finally {
                nsRead.unlock();
            }
            for (int k = 0; k < n; k++) {
                Entry e = withEntries ? entries[k] : null;
                if (!sink.add(names[k], inos[k], types[k], cookies[k], e)) {
                    for (int j = k; withEntries && j < n; j++) {
                        if (entries[j] != null) forget(entries[j].ino(), 1); // not taken: not counted
                    }
                    return;
                }
                pos = cookies[k];
            }
            if (withEntries) java.util.Arrays.fill(entries, 0, n, null);
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
        return new StatFs(blocks, free, free, space.maxInodes, ffree, SpaceAccounting.BLOCK, Name.MAX,
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

    // ---- extended attributes ----

    /**
     * The namespaces held here and the name rules the kernel applies before the handler:
     * system.* (POSIX ACLs, not implemented) and unknown namespaces are EOPNOTSUPP, a bare prefix
     * such as "user." is EINVAL (xattr_resolve_name); the rest is {@link Access#checkXattr}.
     */
    private static void checkXattr(Caller c, Attr a, XattrName name, boolean write) throws FsException {
        int prefix = switch (name.namespace()) {
            case USER -> "user.".length();
            case TRUSTED -> "trusted.".length();
            case SECURITY -> "security.".length();
            case SYSTEM, OTHER -> throw FsException.of(Errno.EOPNOTSUPP);
        };
        if (name.length() == prefix) throw FsException.of(Errno.EINVAL);
        Access.checkXattr(c, a, name, write);
    }

    @Override
    public void setxattr(Caller c, long ino, XattrName name, byte[] value, int flags) throws FsException {
        if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0) throw FsException.of(Errno.EINVAL);
        if (value.length > XATTR_SIZE_MAX) throw FsException.of(Errno.E2BIG);
        MemInode i = inode(ino);
        byte[] copy = value.clone();
        long now = now();
        i.writeLock();
        try {
            checkLive(i);
            checkXattr(c, i.attr(), name, true);
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
    public byte[] getxattr(Caller c, long ino, XattrName name) throws FsException {
        MemInode i = inode(ino);
        i.readLock();
        try {
            checkLive(i);
            checkXattr(c, i.attr(), name, false);
            byte[] v = i.xattrs == null ? null : i.xattrs.get(name);
            if (v == null) throw FsException.of(Errno.ENODATA);
            return v.clone();
        } finally {
            i.readUnlock();
        }
    }

    @Override
    public List<XattrName> listxattr(Caller c, long ino) throws FsException {
        MemInode i = inode(ino);
        i.readLock();
        try {
            checkLive(i);
            if (i.xattrs == null) return List.of();
            List<XattrName> names = i.xattrs.names();
            names.removeIf(n -> !Access.listable(c, n));
            return names;
        } finally {
            i.readUnlock();
        }
    }

    @Override
    public void removexattr(Caller c, long ino, XattrName name) throws FsException {
        MemInode i = inode(ino);
        long now = now();
        i.writeLock();
        try {
            checkLive(i);
            checkXattr(c, i.attr(), name, true);
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
