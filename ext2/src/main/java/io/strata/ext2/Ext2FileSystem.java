package io.strata.ext2;

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
import io.strata.core.FsException;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.StatFs;
import io.strata.core.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The Strata SPI over an ext2 image.
 *
 * <h2>Identity</h2>
 * SPI inode ids are ext2 inode numbers, except that the SPI root (1) is ext2's root inode 2 and
 * vice versa; ext2 inode 1 (the bad-blocks inode) is never exposed. The generation is i_generation.
 *
 * <h2>Locking</h2>
 * <ul>
 * <li>{@code ns}, the namespace lock: shared for lookups and readdir, exclusive for any operation that
 * changes a directory (create, mkdir, mknod, symlink, link, unlink, rmdir, rename). Data I/O never
 * takes it, so reads and writes of different files run fully in parallel.</li>
 * <li>Each inode's read/write lock guards its fields and block map: read for read(), write for
 * write(), setattr, xattr changes. Namespace operations lock the inodes they change (in ascending
 * inode number) while holding {@code ns} exclusively.</li>
 * <li>Then, inside: xattr lock → barrier → allocator lock → buffer/cache/inode-table monitors (see
 * {@link Ext2Volume}).</li>
 * </ul>
 * A thread holding an inode lock never waits for {@code ns}, so the order is acyclic.
 *
 * <h2>Permissions</h2>
 * Checked here from the {@link Caller} (owner/group/other, root bypasses except for execute), sticky
 * directories respected; only the caller's primary gid is known, so supplementary groups do not
 * count.
 */
public final class Ext2FileSystem implements FileSystem {
    private static final int LINK_MAX = 32000, NAME_MAX = 255;
    private static final int O_ACCMODE = 3, O_WRONLY = 1, O_RDWR = 2, O_TRUNC = 01000, O_APPEND = 02000;

    private final Ext2Volume v;
    private final CachePolicy policy;
    private final boolean writeThrough;
    private final ReentrantReadWriteLock ns = new ReentrantReadWriteLock();
    private final ConcurrentHashMap<Long, Handle> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextFh = new AtomicLong(1);
    private final SecureRandom random = new SecureRandom();
    private volatile boolean destroyed;

    private record Handle(Ext2Inode inode, int flags) {}

    private Ext2FileSystem(Ext2Volume v, CacheMode mode) {
        this.v = v;
        this.policy = CachePolicy.of(mode);
        this.writeThrough = mode != CacheMode.EXCLUSIVE;
    }

    /** Opens (mounts) an image. */
    public static Ext2FileSystem open(Path image, Ext2Options opts) throws IOException {
        return new Ext2FileSystem(Ext2Volume.open(image, opts), opts.cacheMode());
    }

    public Ext2Volume volume() {
        return v;
    }

    // ---- id mapping ----

    private int toExt(long ino) throws FsException {
        if (ino == ROOT) return 2;
        if (ino == 2 || ino < 1 || ino > v.sb.inodesCount()) throw new FsException(Errno.ESTALE);
        return (int) ino;
    }

    private static long toSpi(int ext) {
        return ext == 2 ? ROOT : ext == 1 ? 2 : ext & 0xffffffffL;
    }

    /** Pins a live inode. */
    private Ext2Inode get(long spiIno) throws FsException {
        if (destroyed) throw new FsException(Errno.EIO, "file system unmounted");
        Ext2Inode in = v.inodes.get(toExt(spiIno));
        if (in.mode == 0 || in.freed || (in.links == 0 && in.nlookup == 0 && in.pins <= 1)) {
            v.inodes.put(in);
            throw new FsException(Errno.ESTALE);
        }
        return in;
    }

    private Ext2Inode getChild(Ext2Inode dir, int ino) throws FsException {
        if (ino == 1 || ino < 1) throw Corrupt.eio("directory " + dir.ino + " refers to inode " + ino);
        Ext2Inode in = v.inodes.get(ino);
        if (in.mode == 0 || in.links == 0 && in.nlookup == 0 && in.pins <= 1) {
            v.inodes.put(in);
            throw Corrupt.eio("directory " + dir.ino + " refers to free inode " + ino);
        }
        return in;
    }

    private void put(Ext2Inode... ins) {
        for (Ext2Inode in : ins) if (in != null) v.inodes.put(in);
    }

    private void rw() throws FsException {
        if (v.readOnly) throw new FsException(Errno.EROFS);
        if (destroyed) throw new FsException(Errno.EIO, "file system unmounted");
    }

    private void done() throws FsException {
        if (writeThrough) v.flush();
    }

    private static byte[] name(String n) throws FsException {
        byte[] b = n.getBytes(StandardCharsets.UTF_8);
        if (b.length > NAME_MAX) throw new FsException(Errno.ENAMETOOLONG);
        if (b.length == 0 || n.indexOf('/') >= 0 || n.indexOf('\0') >= 0) throw new FsException(Errno.EINVAL);
        return b;
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
        return new Attr(toSpi(in.ino), in.mode, in.links, in.uid, in.gid, rdev(in), in.size, in.blocks512, v.bs,
                in.atimeTotalNs(), in.mtimeTotalNs(), in.ctimeTotalNs());
    }

    private Entry entry(Ext2Inode in) {
        v.inodes.addLookup(in);
        return policy.entry(toSpi(in.ino), in.generation & 0xffffffffL, attr(in));
    }

    // ---- permissions ----

    private static void perm(Caller c, Ext2Inode in, int mask) throws FsException {
        if (c.isRoot()) {
            if ((mask & 1) != 0 && !in.isDir() && (in.mode & 0111) == 0) throw new FsException(Errno.EACCES);
            return;
        }
        int bits = c.uid() == in.uid ? (in.mode >> 6) & 7 : c.gid() == in.gid ? (in.mode >> 3) & 7 : in.mode & 7;
        if ((bits & mask) != mask) throw new FsException(Errno.EACCES);
    }

    private static boolean owner(Caller c, Ext2Inode in) {
        return c.isRoot() || c.uid() == in.uid;
    }

    /** Sticky directory: only the owner of the entry or of the directory (or root) may remove it. */
    private static void sticky(Caller c, Ext2Inode dir, Ext2Inode child) throws FsException {
        if ((dir.mode & FileType.S_ISVTX) != 0 && !c.isRoot() && c.uid() != dir.uid && c.uid() != child.uid) {
            throw new FsException(Errno.EPERM);
        }
    }

    private static void requireDir(Ext2Inode dir) throws FsException {
        if (!dir.isDir()) throw new FsException(Errno.ENOTDIR);
    }

    // ---- SPI: lifecycle ----

    @Override
    public void destroy() {
        if (destroyed) return;
        ns.writeLock().lock();
        try {
            for (Handle h : handles.values()) v.inodes.put(h.inode());
            handles.clear();
            destroyed = true;
            v.close();
        } catch (IOException e) {
            System.getLogger(Ext2FileSystem.class.getName()).log(System.Logger.Level.ERROR, e.getMessage());
        } finally {
            ns.writeLock().unlock();
        }
    }

    /** Unmounts; like destroy() but reports failures. */
    public void close() throws IOException {
        if (destroyed) return;
        ns.writeLock().lock();
        try {
            for (Handle h : handles.values()) v.inodes.put(h.inode());
            handles.clear();
            destroyed = true;
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

    // ---- names and attributes ----

    @Override
    public Entry lookup(Caller c, long parent, String name) throws FsException {
        byte[] n = name(name);
        ns.readLock().lock();
        Ext2Inode dir = null, child = null;
        try {
            dir = get(parent);
            requireDir(dir);
            perm(c, dir, 1);
            Directory.Slot s;
            dir.lock.readLock().lock();
            try {
                s = v.dirs.find(dir, n);
            } finally {
                dir.lock.readLock().unlock();
            }
            if (s == null) throw new FsException(Errno.ENOENT);
            child = getChild(dir, s.ino());
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
        if (destroyed) return;
        try {
            v.inodes.forget(toExt(ino), nlookup);
        } catch (FsException ignored) {
            // an id we never handed out
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
                long now = Ext2Inode.nowNs();
                boolean isOwner = owner(c, in);
                if (a.has(SetAttr.MODE)) {
                    if (!isOwner) throw new FsException(Errno.EPERM);
                    int m = a.mode() & 07777;
                    if (!c.isRoot() && c.gid() != in.gid) m &= ~FileType.S_ISGID;
                    in.mode = (in.mode & FileType.S_IFMT) | m;
                }
                if (a.has(SetAttr.UID) || a.has(SetAttr.GID)) {
                    int nu = a.has(SetAttr.UID) ? a.uid() : in.uid;
                    int ng = a.has(SetAttr.GID) ? a.gid() : in.gid;
                    if (!c.isRoot() && (nu != in.uid || c.uid() != in.uid || (ng != in.gid && ng != c.gid()))) {
                        throw new FsException(Errno.EPERM);
                    }
                    if ((nu != in.uid || ng != in.gid) && !in.isDir()) {
                        in.mode &= ~FileType.S_ISUID;
                        if ((in.mode & 010) != 0) in.mode &= ~FileType.S_ISGID;
                    }
                    in.uid = nu;
                    in.gid = ng;
                }
                if (a.has(SetAttr.KILL_SUIDGID) && !in.isDir()) {
                    in.mode &= ~FileType.S_ISUID;
                    if ((in.mode & 010) != 0) in.mode &= ~FileType.S_ISGID;
                }
                if (a.has(SetAttr.SIZE)) {
                    if (in.isDir()) throw new FsException(Errno.EISDIR);
                    if (!in.isReg()) throw new FsException(Errno.EINVAL);
                    Handle h = a.fh() >= 0 ? handles.get(a.fh()) : null;
                    if (h == null || (h.flags() & O_ACCMODE) == 0) perm(c, in, 2);
                    if (a.size() < 0) throw new FsException(Errno.EINVAL);
                    if (a.size() != in.size) {
                        v.io.truncate(in, a.size());
                        if (in.size > Integer.MAX_VALUE) v.noteLargeFile();
                        in.setMtime(now);
                    }
                }
                if (a.has(SetAttr.ATIME) || a.has(SetAttr.MTIME)) {
                    if (!isOwner) throw new FsException(Errno.EPERM);
                }
                if ((a.has(SetAttr.ATIME_NOW) || a.has(SetAttr.MTIME_NOW)) && !isOwner) perm(c, in, 2);
                if (a.has(SetAttr.ATIME_NOW)) in.setAtime(now);
                else if (a.has(SetAttr.ATIME)) in.setAtime(a.atimeNs());
                if (a.has(SetAttr.MTIME_NOW)) in.setMtime(now);
                else if (a.has(SetAttr.MTIME)) in.setMtime(a.mtimeNs());
                in.setCtime(a.has(SetAttr.CTIME) ? a.ctimeNs() : now);
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

    @Override
    public String readlink(Caller c, long ino) throws FsException {
        Ext2Inode in = get(ino);
        try {
            in.lock.readLock().lock();
            try {
                if (!in.isLnk()) throw new FsException(Errno.EINVAL);
                return new String(linkTarget(in), StandardCharsets.UTF_8);
            } finally {
                in.lock.readLock().unlock();
            }
        } finally {
            put(in);
        }
    }

    private byte[] linkTarget(Ext2Inode in) throws FsException {
        if (in.size >= v.bs || in.size < 0) throw Corrupt.eio("symlink inode " + in.ino + ": size " + in.size);
        if (in.isFastSymlink(v.bs)) {
            if (in.size >= 60) throw Corrupt.eio("fast symlink inode " + in.ino + ": size " + in.size);
            ByteBuffer b = ByteBuffer.allocate(60).order(ByteOrder.LITTLE_ENDIAN);
            for (int x : in.block) b.putInt(x);
            return Arrays.copyOf(b.array(), (int) in.size);
        }
        ByteBuffer dst = ByteBuffer.allocate((int) in.size);
        v.io.read(in, 0, dst);
        return dst.array();
    }

    // ---- creation ----

    /** Checks common to every new name in {@code dir}. Caller holds ns exclusively. */
    private void checkNewName(Caller c, Ext2Inode dir, byte[] n) throws FsException {
        requireDir(dir);
        if (dir.links == 0) throw new FsException(Errno.ENOENT);
        perm(c, dir, 3);
        if (v.dirs.find(dir, n) != null) throw new FsException(Errno.EEXIST);
    }

    /** Allocates and initialises an inode; nothing is linked yet. Returned pinned and stored. */
    private Ext2Inode newInode(Caller c, Ext2Inode dir, int mode) throws FsException {
        boolean isDir = FileType.isDir(mode);
        int ino = v.ialloc.alloc(dir.ino, isDir);
        Ext2Inode in = v.inodes.create(ino);
        in.mode = mode;
        in.uid = c.uid();
        in.gid = c.gid();
        if ((dir.mode & FileType.S_ISGID) != 0) {
            in.gid = dir.gid;
            if (isDir) in.mode |= FileType.S_ISGID;
        }
        long now = Ext2Inode.nowNs();
        in.setAtime(now);
        in.setMtime(now);
        in.setCtime(now);
        in.links = isDir ? 2 : 1;
        in.generation = random.nextInt();
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
            v.ialloc.free(in.ino, in.isDir());
        } catch (FsException e) {
            System.getLogger(Ext2FileSystem.class.getName()).log(System.Logger.Level.WARNING,
                    "ext2: could not undo allocation of inode " + in.ino + ": " + e.getMessage());
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

    /** Links a fresh inode into dir under n; on failure the inode is abandoned. */
    /** The last step of every create: the inode reaches the table, gets its name, and one lookup reference is handed out. */
    private Entry publish(Caller c, Ext2Inode dir, byte[] name, Ext2Inode in) throws FsException {
        v.inodes.write(in);
        linkNew(c, dir, name, in);
        try {
            return entry(in);
        } finally {
            put(in);
        }
    }

    private void linkNew(Caller c, Ext2Inode dir, byte[] n, Ext2Inode in) throws FsException {
        try {
            dir.lock.writeLock().lock();
            try {
                v.dirs.add(dir, n, in.ino, Directory.ftypeOfMode(in.mode), c.isRoot());
                if (in.isDir()) dir.links++;
                touchDir(dir);
            } finally {
                dir.lock.writeLock().unlock();
            }
        } catch (FsException e) {
            abandon(in);
            throw e;
        }
    }

    private interface NsOp<T> {
        T run() throws FsException;
    }

    private <T> T exclusive(NsOp<T> op) throws FsException {
        rw();
        ns.writeLock().lock();
        try {
            T r = op.run();
            done();
            return r;
        } finally {
            ns.writeLock().unlock();
        }
    }

    private Entry createNode(Caller c, long parent, String name, int mode, int rdev) throws FsException {
        byte[] n = name(name);
        return exclusive(() -> {
            Ext2Inode dir = get(parent);
            try {
                checkNewName(c, dir, n);
                Ext2Inode in = newInode(c, dir, mode);
                int t = mode & FileType.S_IFMT;
                if (t == FileType.S_IFCHR || t == FileType.S_IFBLK) setRdev(in, rdev);
                return publish(c, dir, n, in);
            } finally {
                put(dir);
            }
        });
    }

    @Override
    public Entry mknod(Caller c, long parent, String name, int mode, int rdev, int umask) throws FsException {
        int t = mode & FileType.S_IFMT;
        if (t == 0) t = FileType.S_IFREG;
        if (t == FileType.S_IFDIR || t == FileType.S_IFLNK) throw new FsException(Errno.EINVAL);
        if ((t == FileType.S_IFCHR || t == FileType.S_IFBLK) && !c.isRoot()) throw new FsException(Errno.EPERM);
        return createNode(c, parent, name, t | (mode & ~umask & 07777), rdev);
    }

    @Override
    public Entry mkdir(Caller c, long parent, String name, int mode, int umask) throws FsException {
        byte[] n = name(name);
        return exclusive(() -> {
            Ext2Inode dir = get(parent);
            try {
                checkNewName(c, dir, n);
                if (dir.links >= LINK_MAX) throw new FsException(Errno.EMLINK);
                Ext2Inode in = newInode(c, dir, FileType.S_IFDIR | (mode & ~umask & 07777));
                try {
                    v.dirs.initBlock(in, dir.ino, c.isRoot());
                } catch (FsException e) {
                    abandon(in);
                    throw e;
                }
                return publish(c, dir, n, in);
            } finally {
                put(dir);
            }
        });
    }

    @Override
    public Entry symlink(Caller c, long parent, String name, String target) throws FsException {
        byte[] n = name(name);
        byte[] t = target.getBytes(StandardCharsets.UTF_8);
        if (t.length >= v.bs) throw new FsException(Errno.ENAMETOOLONG);
        if (t.length == 0) throw new FsException(Errno.ENOENT);
        return exclusive(() -> {
            Ext2Inode dir = get(parent);
            try {
                checkNewName(c, dir, n);
                Ext2Inode in = newInode(c, dir, FileType.S_IFLNK | 0777);
                try {
                    if (t.length < 60) {
                        ByteBuffer b = ByteBuffer.allocate(60).order(ByteOrder.LITTLE_ENDIAN);
                        b.put(t).flip();
                        b.limit(60);
                        for (int i = 0; i < 15; i++) in.block[i] = b.getInt(i * 4);
                        in.size = t.length;
                    } else {
                        in.lock.writeLock().lock();
                        try {
                            v.io.write(in, 0, ByteBuffer.wrap(t), c.isRoot());
                        } finally {
                            in.lock.writeLock().unlock();
                        }
                        if (in.size != t.length) throw new FsException(Errno.ENOSPC);
                    }
                } catch (FsException e) {
                    abandon(in);
                    throw e;
                }
                return publish(c, dir, n, in);
            } finally {
                put(dir);
            }
        });
    }

    @Override
    public Entry link(Caller c, long ino, long newParent, String newName) throws FsException {
        byte[] n = name(newName);
        return exclusive(() -> {
            Ext2Inode in = get(ino), dir = null;
            try {
                dir = get(newParent);
                if (in.isDir()) throw new FsException(Errno.EPERM);
                checkNewName(c, dir, n);
                if (in.links >= LINK_MAX) throw new FsException(Errno.EMLINK);
                if (in.links == 0) throw new FsException(Errno.ENOENT);
                dir.lock.writeLock().lock();
                try {
                    v.dirs.add(dir, n, in.ino, Directory.ftypeOfMode(in.mode), c.isRoot());
                    touchDir(dir);
                } finally {
                    dir.lock.writeLock().unlock();
                }
                in.lock.writeLock().lock();
                try {
                    in.links++;
                    in.setCtime(Ext2Inode.nowNs());
                    v.inodes.write(in);
                    return entry(in);
                } finally {
                    in.lock.writeLock().unlock();
                }
            } finally {
                put(in, dir);
            }
        });
    }

    // ---- removal and rename ----

    @Override
    public void unlink(Caller c, long parent, String name) throws FsException {
        byte[] n = name(name);
        exclusive(() -> {
            remove(c, parent, n, false);
            return null;
        });
    }

    @Override
    public void rmdir(Caller c, long parent, String name) throws FsException {
        if (name.equals(".")) throw new FsException(Errno.EINVAL);
        if (name.equals("..")) throw new FsException(Errno.ENOTEMPTY);
        byte[] n = name(name);
        exclusive(() -> {
            remove(c, parent, n, true);
            return null;
        });
    }

    private void remove(Caller c, long parent, byte[] n, boolean isRmdir) throws FsException {
        Ext2Inode dir = get(parent), child = null;
        try {
            requireDir(dir);
            perm(c, dir, 3);
            Directory.Slot s = v.dirs.find(dir, n);
            if (s == null) throw new FsException(Errno.ENOENT);
            child = getChild(dir, s.ino());
            sticky(c, dir, child);
            if (isRmdir) {
                if (!child.isDir()) throw new FsException(Errno.ENOTDIR);
                if (child.ino == 2) throw new FsException(Errno.EBUSY);
                if (!v.dirs.isEmpty(child)) throw new FsException(Errno.ENOTEMPTY);
            } else if (child.isDir()) {
                throw new FsException(Errno.EISDIR);
            }
            lockBoth(dir, child);
            try {
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
                unlockBoth(dir, child);
            }
        } finally {
            put(child, dir);
        }
    }

    private static void lockBoth(Ext2Inode a, Ext2Inode b) {
        Ext2Inode first = a.ino <= b.ino ? a : b, second = first == a ? b : a;
        first.lock.writeLock().lock();
        if (second != first) second.lock.writeLock().lock();
    }

    private static void unlockBoth(Ext2Inode a, Ext2Inode b) {
        a.lock.writeLock().unlock();
        if (b != a) b.lock.writeLock().unlock();
    }

    @Override
    public void rename(Caller c, long parent, String name, long newParent, String newName, int flags)
            throws FsException {
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0) throw new FsException(Errno.EINVAL);
        if ((flags & RENAME_NOREPLACE) != 0 && (flags & RENAME_EXCHANGE) != 0) throw new FsException(Errno.EINVAL);
        if (name.equals(".") || name.equals("..") || newName.equals(".") || newName.equals("..")) {
            throw new FsException(Errno.EINVAL);
        }
        byte[] n1 = name(name), n2 = name(newName);
        exclusive(() -> {
            List<Ext2Inode> pinned = new ArrayList<>();
            try {
                doRename(c, parent, n1, newParent, n2, flags, pinned);
            } finally {
                for (Ext2Inode in : pinned) v.inodes.put(in);
            }
            return null;
        });
    }

    private Ext2Inode pin(List<Ext2Inode> pinned, Ext2Inode in) {
        pinned.add(in);
        return in;
    }

    private void doRename(Caller c, long parent, byte[] n1, long newParent, byte[] n2, int flags,
                          List<Ext2Inode> pinned) throws FsException {
        Ext2Inode p1 = pin(pinned, get(parent));
        Ext2Inode p2 = pin(pinned, get(newParent));
        requireDir(p1);
        requireDir(p2);
        perm(c, p1, 3);
        perm(c, p2, 3);
        Directory.Slot s1 = v.dirs.find(p1, n1);
        if (s1 == null) throw new FsException(Errno.ENOENT);
        Ext2Inode src = pin(pinned, getChild(p1, s1.ino()));
        Directory.Slot s2 = v.dirs.find(p2, n2);
        Ext2Inode dst = s2 == null ? null : pin(pinned, getChild(p2, s2.ino()));
        boolean exchange = (flags & RENAME_EXCHANGE) != 0;
        if (exchange && dst == null) throw new FsException(Errno.ENOENT);
        if (dst != null && (flags & RENAME_NOREPLACE) != 0) throw new FsException(Errno.EEXIST);
        if (dst == src) return; // two names of the same inode: nothing to do
        sticky(c, p1, src);
        if (dst != null) sticky(c, p2, dst);
        boolean crossDir = p1 != p2;
        if (crossDir && src.isDir()) {
            perm(c, src, 2); // its ".." changes
            checkNotAncestor(src, p2);
        }
        if (exchange && crossDir && dst.isDir()) {
            perm(c, dst, 2);
            checkNotAncestor(dst, p1);
        }
        if (!exchange && dst != null) {
            if (src.isDir() && !dst.isDir()) throw new FsException(Errno.ENOTDIR);
            if (!src.isDir() && dst.isDir()) throw new FsException(Errno.EISDIR);
            if (dst.isDir() && !v.dirs.isEmpty(dst)) throw new FsException(Errno.ENOTEMPTY);
        }
        if (!exchange && crossDir && src.isDir() && dst == null && p2.links >= LINK_MAX) {
            throw new FsException(Errno.EMLINK);
        }
        List<Ext2Inode> locked = new ArrayList<>(new java.util.TreeSet<>(
                java.util.Comparator.comparingInt((Ext2Inode x) -> x.ino)) {{
                    add(p1); add(p2); add(src); if (dst != null) add(dst);
                }});
        for (Ext2Inode x : locked) x.lock.writeLock().lock();
        try {
            long now = Ext2Inode.nowNs();
            if (exchange) {
                v.dirs.retarget(p1, s1, dst.ino, Directory.ftypeOfMode(dst.mode));
                v.dirs.retarget(p2, s2, src.ino, Directory.ftypeOfMode(src.mode));
                if (crossDir) {
                    if (src.isDir()) setDotDot(src, p2.ino);
                    if (dst.isDir()) setDotDot(dst, p1.ino);
                    if (src.isDir() && !dst.isDir()) { p1.links--; p2.links++; }
                    if (dst.isDir() && !src.isDir()) { p2.links--; p1.links++; }
                }
                dst.setCtime(now);
                v.inodes.write(dst);
            } else {
                if (dst != null) {
                    v.dirs.retarget(p2, s2, src.ino, Directory.ftypeOfMode(src.mode));
                    if (dst.isDir()) {
                        dst.links = 0;
                        p2.links--; // dst's ".." is gone
                    } else {
                        dst.links = Math.max(0, dst.links - 1);
                    }
                    dst.setCtime(now);
                    v.inodes.write(dst);
                } else {
                    v.dirs.add(p2, n2, src.ino, Directory.ftypeOfMode(src.mode), c.isRoot());
                }
                Directory.Slot again = v.dirs.find(p1, n1); // add() may have reshaped p1's block
                if (again == null || again.ino() != src.ino) throw Corrupt.eio("rename: source entry vanished");
                v.dirs.remove(p1, again);
                if (crossDir && src.isDir()) {
                    setDotDot(src, p2.ino);
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
        } finally {
            for (Ext2Inode x : locked) x.lock.writeLock().unlock();
        }
    }

    private void setDotDot(Ext2Inode dir, int parentIno) throws FsException {
        Directory.Slot dd = v.dirs.find(dir, new byte[] {'.', '.'});
        if (dd == null) throw Corrupt.eio("directory " + dir.ino + " has no '..'");
        v.dirs.retarget(dir, dd, parentIno, Directory.FT_DIR);
        v.inodes.write(dir);
    }

    /** EINVAL if {@code dir} is {@code target} or one of its ancestors (a directory into itself). */
    private void checkNotAncestor(Ext2Inode dir, Ext2Inode target) throws FsException {
        int cur = target.ino;
        for (int depth = 0; depth < 65536; depth++) {
            if (cur == dir.ino) throw new FsException(Errno.EINVAL);
            if (cur == 2) return;
            Ext2Inode x = v.inodes.get(cur);
            try {
                Directory.Slot dd = v.dirs.find(x, new byte[] {'.', '.'});
                if (dd == null) throw Corrupt.eio("directory " + cur + " has no '..'");
                cur = dd.ino();
            } finally {
                v.inodes.put(x);
            }
        }
        throw Corrupt.eio("directory loop above inode " + target.ino);
    }

    // ---- files ----

    @Override
    public Opened open(Caller c, long ino, int flags) throws FsException {
        Ext2Inode in = get(ino);
        boolean keep = false;
        try {
            int acc = flags & O_ACCMODE;
            if (in.isDir() && acc != 0) throw new FsException(Errno.EISDIR);
            if (acc != 0 || (flags & O_TRUNC) != 0) {
                if (v.readOnly && in.isReg()) throw new FsException(Errno.EROFS);
            }
            int mask = acc == 0 ? 4 : acc == O_WRONLY ? 2 : 6;
            perm(c, in, mask);
            if ((flags & O_TRUNC) != 0 && in.isReg() && acc != 0) {
                in.lock.writeLock().lock();
                try {
                    if (in.size != 0) {
                        v.io.truncate(in, 0);
                        long now = Ext2Inode.nowNs();
                        in.setMtime(now);
                        in.setCtime(now);
                        v.inodes.write(in);
                        done();
                    }
                } finally {
                    in.lock.writeLock().unlock();
                }
            }
            long fh = nextFh.getAndIncrement();
            handles.put(fh, new Handle(in, flags));
            keep = true;
            return policy.file(fh);
        } finally {
            if (!keep) put(in);
        }
    }

    @Override
    public Created create(Caller c, long parent, String name, int mode, int flags, int umask) throws FsException {
        Entry e = createNode(c, parent, name, FileType.S_IFREG | (mode & ~umask & 07777), 0);
        Ext2Inode in = v.inodes.get(toExt(e.ino()));
        long fh = nextFh.getAndIncrement();
        handles.put(fh, new Handle(in, flags & ~O_TRUNC));
        return new Created(e, policy.file(fh));
    }

    private Handle handle(long ino, long fh) throws FsException {
        Handle h = handles.get(fh);
        if (h == null || toSpi(h.inode().ino) != ino) throw new FsException(Errno.EBADF);
        return h;
    }

    @Override
    public int read(Caller c, long ino, long fh, long offset, ByteBuffer dst) throws FsException {
        Handle h = handle(ino, fh);
        if ((h.flags() & O_ACCMODE) == O_WRONLY) throw new FsException(Errno.EBADF);
        Ext2Inode in = h.inode();
        if (in.isDir()) throw new FsException(Errno.EISDIR);
        if (offset < 0) throw new FsException(Errno.EINVAL);
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
        if ((h.flags() & O_ACCMODE) == 0) throw new FsException(Errno.EBADF);
        Ext2Inode in = h.inode();
        if (!in.isReg()) throw new FsException(Errno.EINVAL);
        if (offset < 0) throw new FsException(Errno.EINVAL);
        in.lock.writeLock().lock();
        try {
            long off = (h.flags() & O_APPEND) != 0 && (writeFlags & WRITE_CACHE) == 0 ? in.size : offset;
            int n = v.io.write(in, off, src, c.isRoot());
            long now = Ext2Inode.nowNs();
            in.setMtime(now);
            in.setCtime(now);
            if ((writeFlags & WRITE_KILL_SUIDGID) != 0 || (!c.isRoot() && (in.mode & (FileType.S_ISUID | FileType.S_ISGID)) != 0)) {
                in.mode &= ~FileType.S_ISUID;
                if ((in.mode & 010) != 0) in.mode &= ~FileType.S_ISGID;
            }
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
        if (h != null) v.inodes.put(h.inode());
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
        if (whence != SEEK_DATA && whence != SEEK_HOLE) throw new FsException(Errno.EINVAL);
        Ext2Inode in = get(ino);
        try {
            in.lock.readLock().lock();
            try {
                if (offset < 0) throw new FsException(Errno.ENXIO);
                long r = v.io.seek(in, offset, whence == SEEK_DATA);
                if (r < 0) throw new FsException(Errno.ENXIO);
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
            perm(c, in, 4);
            return policy.dir(0);
        } finally {
            put(in);
        }
    }

    @Override
    public void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException {
        ns.readLock().lock();
        Ext2Inode dir = null;
        try {
            dir = get(ino);
            requireDir(dir);
            perm(c, dir, 4);
            dir.lock.readLock().lock();
            try {
                v.dirs.list(dir, Math.max(0, cookie), e -> {
                    if (e.ino() == 1) return true; // never expose the bad-blocks inode
                    return sink.add(e.nameString(), toSpi(e.ino()), Directory.dtypeOf(e.ftype()), e.next());
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
                NAME_MAX, v.bs);
    }

    @Override
    public void access(Caller c, long ino, int mask) throws FsException {
        Ext2Inode in = get(ino);
        try {
            if ((mask & 2) != 0 && v.readOnly && !in.isDevice()) throw new FsException(Errno.EROFS);
            perm(c, in, mask & 7);
        } finally {
            put(in);
        }
    }

    private void xattrPerm(Caller c, Ext2Inode in, String name, boolean write) throws FsException {
        if (name.startsWith("trusted.") && !c.isRoot()) throw new FsException(Errno.EPERM);
        if (name.startsWith("security.") && write && !c.isRoot()) throw new FsException(Errno.EPERM);
        if (name.startsWith("user.")) {
            if (!in.isReg() && !in.isDir()) throw new FsException(write ? Errno.EPERM : Errno.ENODATA);
            if (write && (in.mode & FileType.S_ISVTX) != 0 && in.isDir() && !owner(c, in)) {
                throw new FsException(Errno.EPERM);
            }
            perm(c, in, write ? 2 : 4);
        }
        if (name.startsWith("system.")) throw new FsException(Errno.EOPNOTSUPP);
    }

    @Override
    public void setxattr(Caller c, long ino, String name, byte[] value, int flags) throws FsException {
        rw();
        changeXattr(c, ino, name, value == null ? new byte[0] : value, flags);
    }

    @Override
    public void removexattr(Caller c, long ino, String name) throws FsException {
        rw();
        changeXattr(c, ino, name, null, 0);
    }

    private void changeXattr(Caller c, long ino, String name, byte[] value, int flags) throws FsException {
        Ext2Inode in = get(ino);
        try {
            in.lock.writeLock().lock();
            try {
                xattrPerm(c, in, name, true);
                if (value != null && value.length > v.bs - 64) throw new FsException(Errno.E2BIG);
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
    public byte[] getxattr(Caller c, long ino, String name) throws FsException {
        Ext2Inode in = get(ino);
        try {
            in.lock.readLock().lock();
            try {
                xattrPerm(c, in, name, false);
                return Xattrs.get(v, in, name);
            } finally {
                in.lock.readLock().unlock();
            }
        } finally {
            put(in);
        }
    }

    @Override
    public List<String> listxattr(Caller c, long ino) throws FsException {
        Ext2Inode in = get(ino);
        try {
            in.lock.readLock().lock();
            try {
                List<String> out = new ArrayList<>();
                for (XattrBlock.Attr a : Xattrs.list(v, in)) {
                    String p = XattrBlock.prefix(a.index());
                    if (p == null || (a.index() == 4 && !c.isRoot())) continue;
                    out.add(a.fullName());
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
