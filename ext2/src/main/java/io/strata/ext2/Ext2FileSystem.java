package io.strata.ext2;

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
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.StatFs;
import io.strata.core.XattrName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The Strata SPI (v2) over an ext2 image.
 *
 * <h2>Identity and lifetime</h2>
 * SPI inode ids are ext2 inode numbers, except that the SPI root (1) is ext2's root inode 2 and
 * vice versa; ext2 inode 1 (the bad-blocks inode) and the other reserved inodes below s_first_ino
 * are never exposed. The generation is i_generation. Ids are stable across mounts
 * ({@link Feature#STABLE_IDS}). Lookup references and open handles are counted per loaded inode
 * (core's {@link io.strata.core.inode.InodeNode}); an unlinked inode is freed on disk when the last
 * of them goes, or at unmount.
 *
 * <h2>Names</h2>
 * Names, symlink targets and xattr names are the bytes stored on disk; nothing here decodes them.
 *
 * <h2>Locking</h2>
 * <ul>
 * <li>{@code ns}, the rename lock (the kernel's s_vfs_rename_mutex, as a read/write lock): every
 * namespace operation holds it shared; a rename across directories holds it exclusively, so while
 * it checks ancestry and moves a directory no other namespace operation runs. Data I/O never takes
 * it, so reads and writes of different files run fully in parallel.</li>
 * <li>Each inode's read/write lock guards its fields, its block map and, for a directory, its
 * entries: read for lookup, readdir and read(), write for any change. Under {@code ns} shared, locks
 * are taken parent first, then children (for a rename inside one directory: the directory, then
 * source and target in ascending inode number); a directory has one parent, so "parent before
 * child" is a tree order and cannot cycle. Work in different directories runs in parallel, work in
 * one directory is serialised by its lock. readdirplus holds the directory's read lock while it
 * reads each child under the child's read lock ("." and ".." excepted: they would invert the
 * order). Under {@code ns} exclusive (cross-directory rename) the inodes involved are locked in
 * ascending number: no other namespace operation holds any inode lock then, and data operations
 * hold one at a time.</li>
 * <li>Then, inside: xattr lock → barrier → group allocator locks → buffer/cache/inode-table monitors (see
 * {@link Ext2Volume}).</li>
 * </ul>
 * A thread holding an inode lock never waits for {@code ns}, so the order is acyclic.
 *
 * <h2>Permissions</h2>
 * Every decision is core's {@link Access} (owner/group/other with supplementary groups, sticky
 * directories, set-id clearing, xattr namespaces), made with the attributes read under the locks of
 * the operation. Checks come in the kernel's order: EROFS, then the parent (ESTALE, ENOTDIR, search
 * permission), then the name (EEXIST / ENOENT), then the write permission on the directory.
 */
public final class Ext2FileSystem implements FileSystem {
    private static final int LINK_MAX = 32000;
    private static final Set<Feature> FEATURES = Collections.unmodifiableSet(EnumSet.of(Feature.PERMISSIONS,
            Feature.RENAME_NOREPLACE, Feature.RENAME_EXCHANGE, Feature.HARD_LINKS, Feature.SYMLINKS,
            Feature.DEVICE_NODES, Feature.USER_XATTRS, Feature.TRUSTED_XATTRS, Feature.SECURITY_XATTRS,
            Feature.SEEK_DATA, Feature.STABLE_IDS, Feature.READDIRPLUS, Feature.STATELESS_DIRS));

    private final Ext2Volume v;
    private final CachePolicy policy;
    private final boolean writeThrough;
    private final long firstIno;
    private final ReentrantReadWriteLock ns = new ReentrantReadWriteLock();
    private final ConcurrentHashMap<Long, Handle> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextFh = new AtomicLong(1);
    private final SecureRandom random = new SecureRandom();
    private volatile boolean closed;

    private record Handle(Ext2Inode inode, int flags) {}

    private Ext2FileSystem(Ext2Volume v, CacheMode mode) {
        this.v = v;
        this.policy = CachePolicy.of(mode);
        this.writeThrough = mode != CacheMode.EXCLUSIVE;
        this.firstIno = v.sb.firstIno();
    }

    /** Opens (mounts) an image. The caller owns the result and closes it (see {@link #close()}). */
    public static Ext2FileSystem open(Path image, Ext2Options opts) throws IOException {
        return new Ext2FileSystem(Ext2Volume.open(image, opts), opts.cacheMode());
    }

    public Ext2Volume volume() {
        return v;
    }

    // ---- id mapping ----

    /** The ext2 inode number of an SPI id; ESTALE for ids that never name a file. */
    private int toExt(long ino) throws FsException {
        if (ino == ROOT) return 2;
        if (ino < firstIno || ino > v.sb.inodesCount()) throw FsException.of(Errno.ESTALE);
        return (int) ino;
    }

    /** Pins a live inode. */
    private Ext2Inode get(long spiIno) throws FsException {
        if (closed) throw new FsException(Errno.EIO, "file system unmounted");
        Ext2Inode in = v.inodes.get(toExt(spiIno));
        if (in.mode == 0 || in.freed || (in.links == 0 && !v.inodes.referencedElsewhere(in))) {
            v.inodes.put(in);
            throw FsException.of(Errno.ESTALE);
        }
        return in;
    }

    private Ext2Inode getChild(Ext2Inode dir, int ino) throws FsException {
        if (ino == 1 || ino < 1) throw Corrupt.eio("directory " + dir.number + " refers to inode " + ino);
        Ext2Inode in = v.inodes.get(ino);
        if (in.mode == 0 || in.links == 0 && !v.inodes.referencedElsewhere(in)) {
            v.inodes.put(in);
            throw Corrupt.eio("directory " + dir.number + " refers to free inode " + ino);
        }
        return in;
    }

    private void put(Ext2Inode... ins) {
        for (Ext2Inode in : ins) if (in != null) v.inodes.put(in);
    }

    private void rw() throws FsException {
        if (v.readOnly) throw FsException.of(Errno.EROFS);
        if (closed) throw new FsException(Errno.EIO, "file system unmounted");
    }

    private void done() throws FsException {
        if (writeThrough) v.flush();
    }

    // ---- attributes ----

    private int rdev(Ext2Inode in) {
        int t = in.mode & FileType.S_IFMT;
        if (t != FileType.S_IFCHR && t != FileType.S_IFBLK) return 0;
        if (in.block[0] != 0) { // old encoding: 8-bit major/minor
            int x = in.block[0];
            return makedev((x >> 8) & 0xff, x & 0xff);
        }
        int x = in.block[1];
        return makedev((x & 0xfff00) >> 8, (x & 0xff) | ((x >> 12) & 0xfff00));
    }

    private static int makedev(int major, int minor) {
        return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
    }

    private static void setRdev(Ext2Inode in, int dev) {
        int major = (dev & 0xfff00) >>> 8, minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
        if (major < 256 && minor < 256) {
            in.block[0] = (major << 8) | minor;
            in.block[1] = 0;
        } else {
            in.block[0] = 0;
            in.block[1] = (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
        }
        in.block[2] = 0;
    }

    private Attr attr(Ext2Inode in) {
        return new Attr(in.ino(), in.mode, in.links, in.uid, in.gid, rdev(in), in.size, in.blocks512, v.bs,
                in.atimeTotalNs(), in.mtimeTotalNs(), in.ctimeTotalNs());
    }

    /** Hands out one lookup reference (the caller holds a pin). */
    private Entry entry(Ext2Inode in) {
        v.inodes.addLookups(in, 1);
        return policy.entry(in.ino(), in.generation(), attr(in));
    }

    private static void perm(Caller c, Ext2Inode in, int mask) throws FsException {
        Access.check(c, in.mode, in.uid, in.gid, mask);
    }

    private static void requireDir(Ext2Inode dir) throws FsException {
        if (!dir.isDir()) throw FsException.of(Errno.ENOTDIR);
    }

    // ---- SPI: ownership, capabilities ----

    @Override
    public Set<Feature> features() {
        return FEATURES;
    }

    @Override
    public CachePolicy cachePolicy() {
        return policy;
    }

    /**
     * Unmounts: releases handles still open, frees unlinked inodes, writes everything back and
     * marks the image clean. Called once by the owner; failures to write are thrown as
     * {@link UncheckedIOException} after the image is closed (use {@link #unmount()} to get them
     * as IOException).
     */
    @Override
    public void close() {
        try {
            unmount();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Like {@link #close()}, reporting a failed final write as IOException. Idempotent. */
    public void unmount() throws IOException {
        ns.writeLock().lock();
        try {
            if (closed) return;
            for (Handle h : handles.values()) v.inodes.closed(h.inode());
            handles.clear();
            closed = true;
            v.close();
        } finally {
            ns.writeLock().unlock();
        }
    }

    /** Writes back everything and forces the image (sync(2)). */
    public void sync() throws FsException {
        v.sync();
    }

    @Override
    public boolean readOnly() {
        return v.readOnly;
    }

    /** Why an image opened read-write is read-only (a journal, an unsupported feature), or null. */
    public String readOnlyReason() {
        return v.readOnlyReason;
    }

    // ---- names and attributes ----

    @Override
    public Entry lookup(Caller c, long parent, Name name) throws FsException {
        ns.readLock().lock();
        Ext2Inode dir = null, child = null;
        try {
            dir = get(parent);
            requireDir(dir);
            perm(c, dir, Access.X);
            if (name.isDot() || (dir.number == 2 && name.isDotDot())) {
                child = v.inodes.get(dir.number); // "." (and the root's ".."): the directory itself
            } else {
                Directory.Slot s;
                dir.lock.readLock().lock();
                try {
                    s = v.dirs.find(dir, name);
                } finally {
                    dir.lock.readLock().unlock();
                }
                if (s == null) throw FsException.of(Errno.ENOENT);
                child = getChild(dir, s.ino());
            }
            child.lock.readLock().lock();
            try {
                return entry(child);
            } finally {
                child.lock.readLock().unlock();
            }
        } finally {
            put(child, dir);
            ns.readLock().unlock();
        }
    }

    @Override
    public void forget(long ino, long nlookup) {
        if (closed || nlookup <= 0) return;
        int ext;
        try {
            ext = toExt(ino);
        } catch (FsException e) {
            return; // an id we never handed out
        }
        v.inodes.forget(ext, nlookup);
    }

    @Override
    public void retain(long ino, long n) throws FsException {
        Ext2Inode in = get(ino);
        try {
            if (n > 0) v.inodes.addLookups(in, n);
        } finally {
            put(in);
        }
    }

    @Override
    public AttrReply getattr(Caller c, long ino, long fh) throws FsException {
        Ext2Inode in = get(ino);
        try {
            in.lock.readLock().lock();
            try {
                return policy.attr(attr(in));
            } finally {
                in.lock.readLock().unlock();
            }
        } finally {
            put(in);
        }
    }

    @Override
    public AttrReply setattr(Caller c, long ino, SetAttr a) throws FsException {
        rw();
        Ext2Inode in = get(ino);
        try {
            in.lock.writeLock().lock();
            try {
                SetAttr req = a;
                if (a.has(SetAttr.SIZE) && a.fh() >= 0 && !writableHandle(in, a.fh())) {
                    req = a.withFh(-1); // not a handle open for writing: check as a path truncate
                }
                SetAttr ch = Access.checkSetattr(c, attr(in), req);
                if (ch.has(SetAttr.SIZE) && ch.size() < 0) throw FsException.of(Errno.EINVAL);
                long now = Ext2Inode.nowNs();
                if (ch.has(SetAttr.SIZE) && ch.size() != in.size) {
                    v.io.truncate(in, ch.size());
                    if (in.size > Integer.MAX_VALUE) v.noteLargeFile();
                    in.setMtime(now);
                }
                if (ch.has(SetAttr.MODE)) in.mode = (in.mode & FileType.S_IFMT) | (ch.mode() & 07777);
                if (ch.has(SetAttr.UID) && ch.uid() != -1) in.uid = ch.uid();
                if (ch.has(SetAttr.GID) && ch.gid() != -1) in.gid = ch.gid();
                if (ch.has(SetAttr.ATIME_NOW)) in.setAtime(now);
                else if (ch.has(SetAttr.ATIME)) in.setAtime(ch.atimeNs());
                if (ch.has(SetAttr.MTIME_NOW)) in.setMtime(now);
                else if (ch.has(SetAttr.MTIME) || ch.has(SetAttr.MTIME_CACHED)) in.setMtime(ch.mtimeNs());
                in.setCtime(ch.has(SetAttr.CTIME) ? ch.ctimeNs() : now);
                v.inodes.write(in);
                done();
                return policy.attr(attr(in));
            } finally {
                in.lock.writeLock().unlock();
            }
        } finally {
            put(in);
        }
    }

    private boolean writableHandle(Ext2Inode in, long fh) {
        Handle h = handles.get(fh);
        return h != null && h.inode() == in && OpenFlags.writes(h.flags());
    }

    @Override
    public byte[] readlink(Caller c, long ino) throws FsException {
        Ext2Inode in = get(ino);
        try {
            in.lock.readLock().lock();
            try {
                if (!in.isLnk()) throw FsException.of(Errno.EINVAL);
                return linkTarget(in);
            } finally {
                in.lock.readLock().unlock();
            }
        } finally {
            put(in);
        }
    }

    /** The target bytes: inside i_block (fast symlink) or in the first data block. */
    private byte[] linkTarget(Ext2Inode in) throws FsException {
        if (in.size >= v.bs || in.size < 0) throw Corrupt.eio("symlink inode " + in.number + ": size " + in.size);
        if (in.isFastSymlink(v.bs)) {
            if (in.size >= 60) throw Corrupt.eio("fast symlink inode " + in.number + ": size " + in.size);
            ByteBuffer b = ByteBuffer.allocate(60).order(ByteOrder.LITTLE_ENDIAN);
            for (int x : in.block) b.putInt(x);
            return Arrays.copyOf(b.array(), (int) in.size);
        }
        ByteBuffer dst = ByteBuffer.allocate((int) in.size);
        v.io.read(in, 0, dst);
        return dst.array();
    }

    // ---- creation ----

    /**
     * Checks common to every new name in {@code dir}, in the kernel's order: a directory, search
     * permission, "." and ".." (they always exist), the name, a directory still linked, then write
     * permission. Caller holds ns shared and the directory's write lock.
     */
    private void checkNewName(Caller c, Ext2Inode dir, Name n) throws FsException {
        requireDir(dir);
        perm(c, dir, Access.X);
        if (n.isDotOrDotDot() || v.dirs.find(dir, n) != null) throw FsException.of(Errno.EEXIST);
        if (dir.links == 0) throw FsException.of(Errno.ENOENT);
        Access.checkCreate(c, attr(dir));
    }

    /** Allocates and initialises an inode; nothing is linked yet. Returned pinned. */
    private Ext2Inode newInode(Caller c, Ext2Inode dir, int mode) throws FsException {
        Access.Ownership o = Access.newObject(c, attr(dir), mode);
        boolean isDir = FileType.isDir(mode);
        int ino = v.ialloc.alloc(dir.number, isDir);
        Ext2Inode in = v.inodes.create(ino, random.nextInt());
        in.mode = o.mode();
        in.uid = o.uid();
        in.gid = o.gid();
        long now = Ext2Inode.nowNs();
        in.setAtime(now);
        in.setMtime(now);
        in.setCtime(now);
        in.links = isDir ? 2 : 1;
        in.flags = 0;
        return in;
    }

    /** Undoes newInode after a failure (ENOSPC while linking): nothing stays half-allocated. */
    private void abandon(Ext2Inode in) {
        try {
            if (in.hasBlockMap(v.bs)) v.bmap.truncate(in, 0);
            in.links = 0;
            in.size = 0;
            in.dtime = System.currentTimeMillis() / 1000;
            v.inodes.write(in);
            v.inodes.markFreed(in); // before the bitmap bit, as in reclaim
            v.ialloc.free(in.number, in.isDir());
        } catch (FsException e) {
            System.getLogger(Ext2FileSystem.class.getName()).log(System.Logger.Level.WARNING,
                    "ext2: could not undo allocation of inode " + in.number + ": " + e.getMessage());
        }
        in.freed = true;
        v.inodes.put(in);
    }

    private void touchDir(Ext2Inode dir) throws FsException {
        long now = Ext2Inode.nowNs();
        dir.setMtime(now);
        dir.setCtime(now);
        v.inodes.write(dir);
    }

    /**
     * The last step of every create: the inode reaches the table and gets its name; on failure it
     * is abandoned. The inode stays pinned (the caller hands out an entry and puts it). Caller
     * holds the directory's write lock.
     */
    private void publish(Caller c, Ext2Inode dir, Name name, Ext2Inode in) throws FsException {
        v.inodes.write(in);
        try {
            v.dirs.add(dir, name, in.number, Directory.ftypeOfMode(in.mode), c.isRoot());
            if (in.isDir()) dir.links++;
            touchDir(dir);
        } catch (FsException e) {
            abandon(in);
            throw e;
        }
    }

    private interface NsOp<T> {
        T run() throws FsException;
    }

    /** A namespace change inside one directory: {@code ns} shared, the directory's lock taken by the op. */
    private <T> T changing(NsOp<T> op) throws FsException {
        return underNs(ns.readLock(), op);
    }

    /** A rename across directories: {@code ns} exclusive. */
    private <T> T exclusive(NsOp<T> op) throws FsException {
        return underNs(ns.writeLock(), op);
    }

    private <T> T underNs(java.util.concurrent.locks.Lock l, NsOp<T> op) throws FsException {
        rw();
        l.lock();
        try {
            T r = op.run();
            done();
            return r;
        } finally {
            l.unlock();
        }
    }

    /** Runs {@code op} with {@code dir}'s write lock held. */
    private static <T> T inDir(Ext2Inode dir, NsOp<T> op) throws FsException {
        dir.lock.writeLock().lock();
        try {
            return op.run();
        } finally {
            dir.lock.writeLock().unlock();
        }
    }

    /** Creates a non-directory, non-symlink inode; returns it pinned and published. */
    private Ext2Inode createNode(Caller c, Ext2Inode dir, Name n, int mode, int rdev) throws FsException {
        checkNewName(c, dir, n);
        int t = mode & FileType.S_IFMT;
        boolean device = t == FileType.S_IFCHR || t == FileType.S_IFBLK;
        // CAP_MKNOD, after the create checks as in vfs_mknod; a whiteout (char 0/0) needs none
        if (device && !c.isRoot() && !(t == FileType.S_IFCHR && rdev == 0)) throw FsException.of(Errno.EPERM);
        Ext2Inode in = newInode(c, dir, mode);
        if (device) setRdev(in, rdev);
        publish(c, dir, n, in);
        return in;
    }

    @Override
    public Entry mknod(Caller c, long parent, Name name, int mode, int rdev, int umask) throws FsException {
        int t = mode & FileType.S_IFMT;
        if (t == 0) t = FileType.S_IFREG;
        if (t == FileType.S_IFDIR) throw FsException.of(Errno.EPERM);
        if (t != FileType.S_IFREG && t != FileType.S_IFCHR && t != FileType.S_IFBLK && t != FileType.S_IFIFO
                && t != FileType.S_IFSOCK) {
            throw FsException.of(Errno.EINVAL);
        }
        int m = Access.applyUmask(t | (mode & 07777), umask);
        return changing(() -> {
            Ext2Inode dir = get(parent);
            Ext2Inode[] in = {null};
            try {
                return inDir(dir, () -> {
                    in[0] = createNode(c, dir, name, m, rdev);
                    return entry(in[0]);
                });
            } finally {
                put(in[0], dir);
            }
        });
    }

    @Override
    public Entry mkdir(Caller c, long parent, Name name, int mode, int umask) throws FsException {
        int m = Access.applyUmask(FileType.S_IFDIR | (mode & 01777), umask);
        return changing(() -> {
            Ext2Inode dir = get(parent);
            Ext2Inode[] in = {null};
            try {
                return inDir(dir, () -> {
                    checkNewName(c, dir, name);
                    if (dir.links >= LINK_MAX) throw FsException.of(Errno.EMLINK);
                    Ext2Inode fresh = newInode(c, dir, m);
                    try {
                        v.dirs.initBlock(fresh, dir.number, c.isRoot());
                    } catch (FsException e) {
                        abandon(fresh);
                        throw e;
                    }
                    publish(c, dir, name, fresh);
                    in[0] = fresh;
                    return entry(fresh);
                });
            } finally {
                put(in[0], dir);
            }
        });
    }

    @Override
    public Entry symlink(Caller c, long parent, Name name, byte[] target) throws FsException {
        byte[] t = target.clone();
        if (t.length >= v.bs) throw FsException.of(Errno.ENAMETOOLONG);
        if (t.length == 0) throw FsException.of(Errno.ENOENT);
        return changing(() -> {
            Ext2Inode dir = get(parent);
            Ext2Inode[] in = {null};
            try {
                return inDir(dir, () -> {
                checkNewName(c, dir, name);
                Ext2Inode fresh = newInode(c, dir, FileType.S_IFLNK | 0777);
                try {
                    if (t.length < 60) {
                        ByteBuffer b = ByteBuffer.allocate(60).order(ByteOrder.LITTLE_ENDIAN);
                        b.put(t).flip();
                        b.limit(60);
                        for (int i = 0; i < 15; i++) fresh.block[i] = b.getInt(i * 4);
                        fresh.size = t.length;
                    } else {
                        fresh.lock.writeLock().lock();
                        try {
                            v.io.write(fresh, 0, ByteBuffer.wrap(t), c.isRoot());
                        } finally {
                            fresh.lock.writeLock().unlock();
                        }
                        if (fresh.size != t.length) throw FsException.of(Errno.ENOSPC);
                    }
                } catch (FsException e) {
                    abandon(fresh);
                    throw e;
                }
                publish(c, dir, name, fresh);
                in[0] = fresh;
                return entry(fresh);
                });
            } finally {
                put(in[0], dir);
            }
        });
    }

    @Override
    public Entry link(Caller c, long ino, long newParent, Name newName) throws FsException {
        return changing(() -> {
            Ext2Inode in = get(ino), dir = null;
            try {
                Ext2Inode d = dir = get(newParent);
                if (in.isDir()) { // before any lock: a directory would break the parent-before-child order
                    requireDir(d);
                    throw FsException.of(Errno.EPERM);
                }
                return inDir(d, () -> {
                    checkNewName(c, d, newName);
                    in.lock.writeLock().lock();
                    try {
                        Access.checkLinkSource(c, attr(in));
                        if (in.links >= LINK_MAX) throw FsException.of(Errno.EMLINK);
                        if (in.links == 0) throw FsException.of(Errno.ENOENT);
                        v.dirs.add(d, newName, in.number, Directory.ftypeOfMode(in.mode), c.isRoot());
                        touchDir(d);
                        in.links++;
                        in.setCtime(Ext2Inode.nowNs());
                        v.inodes.write(in);
                        return entry(in);
                    } finally {
                        in.lock.writeLock().unlock();
                    }
                });
            } finally {
                put(in, dir);
            }
        });
    }

    // ---- removal and rename ----

    @Override
    public void unlink(Caller c, long parent, Name name) throws FsException {
        changing(() -> {
            remove(c, parent, name, false);
            return null;
        });
    }

    @Override
    public void rmdir(Caller c, long parent, Name name) throws FsException {
        changing(() -> {
            remove(c, parent, name, true);
            return null;
        });
    }

    private void remove(Caller c, long parent, Name n, boolean isRmdir) throws FsException {
        Ext2Inode dir = get(parent);
        try {
            requireDir(dir);
            inDir(dir, () -> {
                removeLocked(c, dir, n, isRmdir);
                return null;
            });
        } finally {
            put(dir);
        }
    }

    /** unlink/rmdir with the directory's write lock held; the child is locked after it. */
    private void removeLocked(Caller c, Ext2Inode dir, Name n, boolean isRmdir) throws FsException {
        Ext2Inode child = null;
        try {
            perm(c, dir, Access.X);
            if (n.isDotOrDotDot()) { // as do_rmdir / do_unlinkat answer for these names
                throw FsException.of(!isRmdir ? Errno.EISDIR : n.isDot() ? Errno.EINVAL : Errno.ENOTEMPTY);
            }
            Directory.Slot s = v.dirs.find(dir, n);
            if (s == null) throw FsException.of(Errno.ENOENT);
            child = getChild(dir, s.ino());
            if (child == dir) throw Corrupt.eio("directory " + dir.number + " lists itself as '" + n + "'");
            child.lock.writeLock().lock();
            try {
                Access.checkRemove(c, attr(dir), attr(child));
                if (isRmdir) {
                    if (!child.isDir()) throw FsException.of(Errno.ENOTDIR);
                    if (child.number == 2) throw FsException.of(Errno.EBUSY);
                    if (!v.dirs.isEmpty(child)) throw FsException.of(Errno.ENOTEMPTY);
                } else if (child.isDir()) {
                    throw FsException.of(Errno.EISDIR);
                }
                v.dirs.remove(dir, s);
                if (isRmdir) {
                    child.links = 0;
                    dir.links = Math.max(1, dir.links - 1);
                } else {
                    child.links = Math.max(0, child.links - 1);
                }
                child.setCtime(Ext2Inode.nowNs());
                v.inodes.write(child);
                touchDir(dir);
            } finally {
                child.lock.writeLock().unlock();
            }
        } finally {
            put(child);
        }
    }

    @Override
    public void rename(Caller c, long parent, Name name, long newParent, Name newName, int flags)
            throws FsException {
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0) throw FsException.of(Errno.EINVAL);
        if ((flags & RENAME_NOREPLACE) != 0 && (flags & RENAME_EXCHANGE) != 0) throw FsException.of(Errno.EINVAL);
        // do_renameat2: "." or ".." on either side is EBUSY (EEXIST for a NOREPLACE target)
        if (name.isDotOrDotDot()) throw FsException.of(Errno.EBUSY);
        if (newName.isDotOrDotDot()) throw FsException.of((flags & RENAME_NOREPLACE) != 0 ? Errno.EEXIST : Errno.EBUSY);
        NsOp<Void> op = () -> {
            List<Ext2Inode> pinned = new ArrayList<>();
            try {
                doRename(c, parent, name, newParent, newName, flags, pinned);
            } finally {
                for (Ext2Inode in : pinned) v.inodes.put(in);
            }
            return null;
        };
        // within one directory: that directory's lock is enough; across: nothing else may move meanwhile
        if (parent == newParent) changing(op);
        else exclusive(op);
    }

    private static Ext2Inode pin(List<Ext2Inode> pinned, Ext2Inode in) {
        pinned.add(in);
        return in;
    }

    private void doRename(Caller c, long parent, Name n1, long newParent, Name n2, int flags,
                          List<Ext2Inode> pinned) throws FsException {
        Ext2Inode p1 = pin(pinned, get(parent));
        Ext2Inode p2 = pin(pinned, get(newParent));
        requireDir(p1);
        requireDir(p2);
        if (p1 == p2) { // ns shared: the directory first, its children after (see the class comment)
            p1.lock.writeLock().lock();
            try {
                renameLocked(c, p1, n1, p2, n2, flags, pinned);
            } finally {
                p1.lock.writeLock().unlock();
            }
        } else {
            renameLocked(c, p1, n1, p2, n2, flags, pinned);
        }
    }

    private void renameLocked(Caller c, Ext2Inode p1, Name n1, Ext2Inode p2, Name n2, int flags,
                              List<Ext2Inode> pinned) throws FsException {
        perm(c, p1, Access.X);
        perm(c, p2, Access.X);
        Directory.Slot s1 = v.dirs.find(p1, n1);
        if (s1 == null) throw FsException.of(Errno.ENOENT);
        Ext2Inode src = pin(pinned, getChild(p1, s1.ino()));
        Directory.Slot s2 = v.dirs.find(p2, n2);
        Ext2Inode dst = s2 == null ? null : pin(pinned, getChild(p2, s2.ino()));
        boolean exchange = (flags & RENAME_EXCHANGE) != 0;
        if (exchange && dst == null) throw FsException.of(Errno.ENOENT);
        if (dst != null && (flags & RENAME_NOREPLACE) != 0) throw FsException.of(Errno.EEXIST);
        boolean crossDir = p1 != p2;
        if (src == p1 || dst == p2) throw Corrupt.eio("directory " + p1.number + " or " + p2.number + " lists itself");
        // lock before the checks that read the children (dst's emptiness): cross-directory, all four in
        // ascending order (ns is exclusive); within one directory, the two children in ascending order
        java.util.TreeMap<Integer, Ext2Inode> byNumber = new java.util.TreeMap<>();
        for (Ext2Inode x : crossDir ? new Ext2Inode[] {p1, p2, src, dst} : new Ext2Inode[] {src, dst}) {
            if (x != null) byNumber.put(x.number, x);
        }
        List<Ext2Inode> locked = new ArrayList<>(byNumber.values());
        for (Ext2Inode x : locked) x.lock.writeLock().lock();
        try {
            renameChecked(c, p1, n1, s1, src, p2, n2, s2, dst, flags);
        } finally {
            for (Ext2Inode x : locked) x.lock.writeLock().unlock();
        }
    }

    private void renameChecked(Caller c, Ext2Inode p1, Name n1, Directory.Slot s1, Ext2Inode src, Ext2Inode p2,
                               Name n2, Directory.Slot s2, Ext2Inode dst, int flags) throws FsException {
        boolean exchange = (flags & RENAME_EXCHANGE) != 0;
        boolean crossDir = p1 != p2;
        if (crossDir && src.isDir()) checkNotAncestor(src, p2);
        if (exchange && crossDir && dst.isDir()) checkNotAncestor(dst, p1);
        if (dst == src) return; // two names of the same inode: nothing to do (vfs_rename, before any check)
        Access.checkRename(c, attr(p1), attr(src), attr(p2), dst == null ? null : attr(dst), exchange);
        if (!exchange && dst != null) {
            if (src.isDir() && !dst.isDir()) throw FsException.of(Errno.ENOTDIR);
            if (!src.isDir() && dst.isDir()) throw FsException.of(Errno.EISDIR);
            if (dst.isDir() && !v.dirs.isEmpty(dst)) throw FsException.of(Errno.ENOTEMPTY);
        }
        if (!exchange && crossDir && src.isDir() && dst == null && p2.links >= LINK_MAX) {
            throw FsException.of(Errno.EMLINK);
        }
        {
            long now = Ext2Inode.nowNs();
            if (exchange) {
                v.dirs.retarget(p1, s1, dst.number, Directory.ftypeOfMode(dst.mode));
                v.dirs.retarget(p2, s2, src.number, Directory.ftypeOfMode(src.mode));
                if (crossDir) {
                    if (src.isDir()) setDotDot(src, p2.number);
                    if (dst.isDir()) setDotDot(dst, p1.number);
                    if (src.isDir() && !dst.isDir()) { p1.links--; p2.links++; }
                    if (dst.isDir() && !src.isDir()) { p2.links--; p1.links++; }
                }
                dst.setCtime(now);
                v.inodes.write(dst);
            } else {
                if (dst != null) {
                    v.dirs.retarget(p2, s2, src.number, Directory.ftypeOfMode(src.mode));
                    if (dst.isDir()) {
                        dst.links = 0;
                        p2.links--; // dst's ".." is gone
                    } else {
                        dst.links = Math.max(0, dst.links - 1);
                    }
                    dst.setCtime(now);
                    v.inodes.write(dst);
                } else {
                    v.dirs.add(p2, n2, src.number, Directory.ftypeOfMode(src.mode), c.isRoot());
                }
                Directory.Slot again = v.dirs.find(p1, n1); // add() may have reshaped p1's block
                if (again == null || again.ino() != src.number) throw Corrupt.eio("rename: source entry vanished");
                v.dirs.remove(p1, again);
                if (crossDir && src.isDir()) {
                    setDotDot(src, p2.number);
                    p1.links--;
                    p2.links++;
                }
            }
            src.setCtime(now);
            v.inodes.write(src);
            p1.setMtime(now);
            p1.setCtime(now);
            p2.setMtime(now);
            p2.setCtime(now);
            v.inodes.write(p1);
            if (crossDir) v.inodes.write(p2);
        }
    }

    private void setDotDot(Ext2Inode dir, int parentIno) throws FsException {
        Directory.Slot dd = v.dirs.find(dir, Name.DOTDOT);
        if (dd == null) throw Corrupt.eio("directory " + dir.number + " has no '..'");
        v.dirs.retarget(dir, dd, parentIno, Directory.FT_DIR);
        v.inodes.write(dir);
    }

    /** EINVAL if {@code dir} is {@code target} or one of its ancestors (a directory into itself). */
    private void checkNotAncestor(Ext2Inode dir, Ext2Inode target) throws FsException {
        int cur = target.number;
        for (int depth = 0; depth < 65536; depth++) {
            if (cur == dir.number) throw FsException.of(Errno.EINVAL);
            if (cur == 2) return;
            Ext2Inode x = v.inodes.get(cur);
            try {
                Directory.Slot dd = v.dirs.find(x, Name.DOTDOT);
                if (dd == null) throw Corrupt.eio("directory " + cur + " has no '..'");
                cur = dd.ino();
            } finally {
                v.inodes.put(x);
            }
        }
        throw Corrupt.eio("directory loop above inode " + target.number);
    }

    // ---- files ----

    @Override
    public Opened open(Caller c, long ino, int flags) throws FsException {
        Ext2Inode in = get(ino);
        try {
            boolean trunc = (flags & OpenFlags.O_TRUNC) != 0;
            boolean writes = OpenFlags.writes(flags) || trunc;
            if (in.isLnk()) throw FsException.of(Errno.ELOOP);
            if (in.isDir() && writes) throw FsException.of(Errno.EISDIR);
            if (writes && v.readOnly && !in.isDevice()) throw FsException.of(Errno.EROFS);
            Access.checkOpen(c, attr(in), flags);
            if (trunc && in.isReg()) {
                in.lock.writeLock().lock();
                try {
                    long now = Ext2Inode.nowNs();
                    if (in.size != 0) {
                        v.io.truncate(in, 0);
                        in.setMtime(now);
                    }
                    // an O_TRUNC open is a truncate: it clears set-id bits (do_truncate) and stamps ctime
                    in.mode = Access.modeAfterWrite(c, in.mode, in.gid);
                    in.setCtime(now);
                    v.inodes.write(in);
                    done();
                } finally {
                    in.lock.writeLock().unlock();
                }
            }
            return policy.file(newHandle(in, flags & ~OpenFlags.O_TRUNC));
        } finally {
            put(in);
        }
    }

    /** Registers an open handle on a pinned inode. */
    private long newHandle(Ext2Inode in, int flags) {
        long fh = nextFh.getAndIncrement();
        v.inodes.opened(in);
        handles.put(fh, new Handle(in, flags));
        return fh;
    }

    @Override
    public Created create(Caller c, long parent, Name name, int mode, int flags, int umask) throws FsException {
        int m = Access.applyUmask(FileType.S_IFREG | (mode & 07777), umask);
        return changing(() -> {
            Ext2Inode dir = get(parent);
            Ext2Inode[] in = {null};
            try {
                return inDir(dir, () -> {
                    in[0] = createNode(c, dir, name, m, 0);
                    Entry e = entry(in[0]);
                    return new Created(e, policy.file(newHandle(in[0], flags & ~OpenFlags.O_TRUNC)));
                });
            } finally {
                put(in[0], dir);
            }
        });
    }

    private Handle handle(long ino, long fh) throws FsException {
        Handle h = handles.get(fh);
        if (h == null || h.inode().ino() != ino) throw FsException.of(Errno.EBADF);
        return h;
    }

    @Override
    public int read(Caller c, long ino, long fh, long offset, ByteBuffer dst) throws FsException {
        Handle h = handle(ino, fh);
        if (!OpenFlags.reads(h.flags())) throw FsException.of(Errno.EBADF);
        Ext2Inode in = h.inode();
        if (in.isDir()) throw FsException.of(Errno.EISDIR);
        if (offset < 0) throw FsException.of(Errno.EINVAL);
        in.lock.readLock().lock();
        try {
            return v.io.read(in, offset, dst);
        } finally {
            in.lock.readLock().unlock();
        }
    }

    @Override
    public int write(Caller c, long ino, long fh, long offset, ByteBuffer src, int writeFlags) throws FsException {
        rw();
        Handle h = handle(ino, fh);
        if (!OpenFlags.writes(h.flags())) throw FsException.of(Errno.EBADF);
        Ext2Inode in = h.inode();
        if (!in.isReg()) throw FsException.of(Errno.EINVAL);
        if (offset < 0) throw FsException.of(Errno.EINVAL);
        in.lock.writeLock().lock();
        try {
            boolean append = (h.flags() & OpenFlags.O_APPEND) != 0 && (writeFlags & WRITE_CACHE) == 0;
            int n = v.io.write(in, append ? in.size : offset, src, c.isRoot());
            long now = Ext2Inode.nowNs();
            in.setMtime(now);
            in.setCtime(now);
            in.mode = (writeFlags & WRITE_KILL_SUIDGID) != 0 ? Access.killSuidGid(c, in.mode, in.gid)
                    : Access.modeAfterWrite(c, in.mode, in.gid);
            if (in.size > Integer.MAX_VALUE) v.noteLargeFile();
            v.inodes.write(in);
            done();
            return n;
        } finally {
            in.lock.writeLock().unlock();
        }
    }

    @Override
    public void release(long ino, long fh, int flags) {
        Handle h = handles.remove(fh);
        if (h != null) v.inodes.closed(h.inode());
    }

    @Override
    public void fsync(Caller c, long ino, long fh, boolean datasync) throws FsException {
        v.force();
    }

    @Override
    public void fsyncdir(Caller c, long ino, long fh, boolean datasync) throws FsException {
        v.force();
    }

    @Override
    public long lseek(Caller c, long ino, long fh, long offset, int whence) throws FsException {
        if (whence != SEEK_DATA && whence != SEEK_HOLE) throw FsException.of(Errno.EINVAL);
        Ext2Inode in = get(ino);
        try {
            in.lock.readLock().lock();
            try {
                if (offset < 0) throw FsException.of(Errno.ENXIO);
                long r = v.io.seek(in, offset, whence == SEEK_DATA);
                if (r < 0) throw FsException.of(Errno.ENXIO);
                return r;
            } finally {
                in.lock.readLock().unlock();
            }
        } finally {
            put(in);
        }
    }

    // ---- directories ----

    @Override
    public Opened opendir(Caller c, long ino, int flags) throws FsException {
        Ext2Inode in = get(ino);
        try {
            requireDir(in);
            perm(c, in, Access.R);
            return policy.dir(0);
        } finally {
            put(in);
        }
    }

    /** The directory pinned, checked and read-locked for listing; the caller holds ns shared. */
    private Ext2Inode listable(Caller c, long ino) throws FsException {
        Ext2Inode dir = get(ino);
        try {
            requireDir(dir);
            perm(c, dir, Access.R);
        } catch (FsException e) {
            put(dir);
            throw e;
        }
        return dir;
    }

    @Override
    public void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException {
        ns.readLock().lock();
        Ext2Inode dir = null;
        try {
            dir = listable(c, ino);
            dir.lock.readLock().lock();
            try {
                v.dirs.list(dir, Math.max(0, cookie), e -> {
                    if (e.ino() == 1) return true; // never expose the bad-blocks inode
                    Name n = e.nameOrNull();
                    if (n == null) return true; // a corrupt name no SPI Name can hold (e2fsck reports it)
                    return sink.add(n, Ext2Inode.spiId(e.ino()) & 0xffffffffL, Directory.dtypeOf(e.ftype()), e.next());
                });
            } finally {
                dir.lock.readLock().unlock();
            }
        } finally {
            put(dir);
            ns.readLock().unlock();
        }
    }

    /**
     * Native READDIRPLUS: each child is loaded while its record is at hand (no second name lookup)
     * and gets one lookup reference, dropped again if the sink refuses the entry. "." and "..", and
     * records whose inode cannot be read, come without an entry.
     */
    @Override
    public void readdirplus(Caller c, long ino, long fh, long cookie, DirPlusSink sink) throws FsException {
        ns.readLock().lock();
        Ext2Inode dir = null;
        try {
            dir = listable(c, ino);
            Ext2Inode self = dir;
            dir.lock.readLock().lock();
            try {
                v.dirs.list(dir, Math.max(0, cookie), e -> {
                    if (e.ino() == 1) return true;
                    Name n = e.nameOrNull();
                    if (n == null) return true;
                    long id = Ext2Inode.spiId(e.ino()) & 0xffffffffL;
                    int dtype = Directory.dtypeOf(e.ftype());
                    if (e.isDotOrDotDot()) return sink.add(n, id, dtype, e.next(), null);
                    Ext2Inode child;
                    try {
                        child = getChild(self, e.ino());
                    } catch (FsException corrupt) {
                        return sink.add(n, id, dtype, e.next(), null);
                    }
                    try {
                        Entry en;
                        child.lock.readLock().lock();
                        try {
                            en = entry(child);
                        } finally {
                            child.lock.readLock().unlock();
                        }
                        if (sink.add(n, en.ino(), dtype, e.next(), en)) return true;
                        // Refused: take the reference back. The child is linked (ns is held shared,
                        // nothing can unlink it), so this only drops a count, never frees the inode.
                        v.inodes.forget(child.number, 1);
                        return false;
                    } finally {
                        put(child);
                    }
                });
            } finally {
                dir.lock.readLock().unlock();
            }
        } finally {
            put(dir);
            ns.readLock().unlock();
        }
    }

    // ---- misc ----

    @Override
    public StatFs statfs(Caller c, long ino) throws FsException {
        Superblock sb = v.sb;
        GroupDescriptors g = v.gdt;
        long overhead = sb.firstDataBlock();
        int tb = GroupDescriptors.tableBlocks(sb);
        for (int i = 0; i < g.count(); i++) {
            if (sb.groupHasSuper(i)) overhead += 1 + tb + sb.reservedGdtBlocks();
            overhead += 2 + g.inodeTableBlocks();
        }
        long free = g.totalFreeBlocks();
        long avail = Math.max(0, free - sb.rBlocksCount());
        return new StatFs(sb.blocksCount() - overhead, free, avail, sb.inodesCount(), g.totalFreeInodes(), v.bs,
                Name.MAX, v.bs);
    }

    @Override
    public void access(Caller c, long ino, int mask) throws FsException {
        Ext2Inode in = get(ino);
        try {
            if ((mask & Access.W) != 0 && v.readOnly && !in.isDevice()) throw FsException.of(Errno.EROFS);
            perm(c, in, mask & 7);
        } finally {
            put(in);
        }
    }

    @Override
    public void setxattr(Caller c, long ino, XattrName name, byte[] value, int flags) throws FsException {
        if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0) throw FsException.of(Errno.EINVAL);
        rw();
        changeXattr(c, ino, name, value == null ? new byte[0] : value.clone(), flags);
    }

    @Override
    public void removexattr(Caller c, long ino, XattrName name) throws FsException {
        rw();
        changeXattr(c, ino, name, null, 0);
    }

    private void changeXattr(Caller c, long ino, XattrName name, byte[] value, int flags) throws FsException {
        Ext2Inode in = get(ino);
        try {
            in.lock.writeLock().lock();
            try {
                Access.checkXattr(c, attr(in), name, true);
                if (value != null && value.length > v.bs - 64) throw FsException.of(Errno.E2BIG);
                Xattrs.set(v, in, name, value, flags, c.isRoot());
                in.setCtime(Ext2Inode.nowNs());
                v.inodes.write(in);
                done();
            } finally {
                in.lock.writeLock().unlock();
            }
        } finally {
            put(in);
        }
    }

    @Override
    public byte[] getxattr(Caller c, long ino, XattrName name) throws FsException {
        Ext2Inode in = get(ino);
        try {
            in.lock.readLock().lock();
            try {
                Access.checkXattr(c, attr(in), name, false);
                return Xattrs.get(v, in, name);
            } finally {
                in.lock.readLock().unlock();
            }
        } finally {
            put(in);
        }
    }

    @Override
    public List<XattrName> listxattr(Caller c, long ino) throws FsException {
        Ext2Inode in = get(ino);
        try {
            in.lock.readLock().lock();
            try {
                List<XattrName> out = new ArrayList<>();
                for (XattrBlock.Attr a : Xattrs.list(v, in)) {
                    XattrName n = a.fullName();
                    if (n != null && Access.listable(c, n)) out.add(n);
                }
                return out;
            } finally {
                in.lock.readLock().unlock();
            }
        } finally {
            put(in);
        }
    }
}
