package io.strata.fuse;

import io.strata.core.Attr;
import io.strata.core.AttrReply;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Ioctl;
import io.strata.core.Name;
import io.strata.core.Opened;
import io.strata.core.Session;
import io.strata.core.SetAttr;
import io.strata.core.StatFs;
import io.strata.core.XattrName;
import io.strata.core.locks.LockTable;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decodes each FUSE request, calls the {@link Session} this mount serves, and encodes the reply
 * into the worker's buffer. Stateless per request apart from the lock table and the passthrough
 * registry, so any number of workers share one dispatcher.
 */
final class Dispatcher {
    private static final System.Logger LOG = System.getLogger("strata.fuse");
    /** Returned by a handler that sends no reply now (FORGET, INTERRUPT, a parked SETLKW). */
    static final int NO_REPLY = -1;

    // FOPEN_* bits of fuse_open_out.open_flags
    private static final int FOPEN_DIRECT_IO = 1, FOPEN_KEEP_CACHE = 2, FOPEN_NONSEEKABLE = 4,
            FOPEN_CACHE_DIR = 8, FOPEN_PARALLEL_DIRECT_WRITES = 64, FOPEN_PASSTHROUGH = 128;
    // FATTR_* bits of fuse_setattr_in.valid
    private static final int FATTR_MODE = 1, FATTR_UID = 2, FATTR_GID = 4, FATTR_SIZE = 8, FATTR_ATIME = 16,
            FATTR_MTIME = 32, FATTR_FH = 64, FATTR_ATIME_NOW = 128, FATTR_MTIME_NOW = 256, FATTR_CTIME = 1024,
            FATTR_KILL_SUIDGID = 2048;
    private static final int FUSE_GETATTR_FH = 1, FUSE_WRITE_CACHE = 1, FUSE_WRITE_KILL_SUIDGID = 4,
            FUSE_LK_FLOCK = 1, FUSE_RELEASE_FLOCK_UNLOCK = 2, FUSE_OPEN_KILL_SUIDGID = 1;
    /** fuse_ioctl_in.flags: only CUSE sends unrestricted ioctls (argument layout unknown to the kernel). */
    private static final int FUSE_IOCTL_UNRESTRICTED = 2;
    /** sizeof(fuse_ioctl_out). */
    static final int IOCTL_OUT = 16;

    private record OpenKey(long ino, long fh) {}

    private final Session fs;
    private final BackingFiles backing; // null: this connection has no passthrough
    /** The kernel keeps mtime itself (FUSE_WRITEBACK_CACHE was negotiated). */
    private final boolean writeback;
    /**
     * Without default_permissions the kernel does not check search permission on directories it
     * walks through cached dentries (fuse_permission grants MAY_EXEC on directories and leaves the
     * check to LOOKUP). So names are never cached then: every walk revalidates each component with
     * a LOOKUP carrying the walking process's credentials, and the backend checks it.
     */
    private final boolean cacheNames;
    private final long negativeTimeoutNs;
    private final Enosys enosys;
    private final boolean statx;
    private final long attributesMask;
    final LockTable locks = new LockTable();
    private final ConcurrentHashMap<OpenKey, Boolean> passthroughOpens = new ConcurrentHashMap<>();
    private final boolean noOpendir;
    private final RequestStats stats;

    /**
     * @param fs the session this mount serves (features and cache policy are read once: they are
     *           constant for a file system's lifetime)
     */
    Dispatcher(Session fs, BackingFiles backing, boolean writeback, boolean kernelChecksPermissions) {
        this(fs, backing, writeback, kernelChecksPermissions, false, new RequestStats());
    }

    /**
     * @param noOpendir answer OPENDIR with ENOSYS (the kernel then opens directories itself with
     *                  fh 0 and never sends OPENDIR or RELEASEDIR again); only for a backend with
     *                  {@link Feature#STATELESS_DIRS} on a mount where the kernel checks permissions
     * @param stats     where every request served here is counted (whatever transport brought it)
     */
    Dispatcher(Session fs, BackingFiles backing, boolean writeback, boolean kernelChecksPermissions,
               boolean noOpendir, RequestStats stats) {
        this.fs = fs;
        this.noOpendir = noOpendir;
        this.stats = stats;
        this.backing = backing;
        this.writeback = writeback;
        this.cacheNames = kernelChecksPermissions;
        this.negativeTimeoutNs = kernelChecksPermissions ? fs.cachePolicy().negativeTimeoutNs() : 0;
        Set<Feature> features = fs.features();
        this.enosys = new Enosys(features);
        // STATX adds only btime and statx attribute bits to GETATTR: a backend with neither gets
        // ENOSYS, and the kernel then uses GETATTR for good, which costs nothing.
        this.statx = features.contains(Feature.BTIME) || features.contains(Feature.VERITY);
        this.attributesMask = features.contains(Feature.VERITY) ? Attr.ATTR_VERITY : 0;
    }

    private static final boolean[] SERVED = new boolean[64];
    static {
        for (int op : new int[] {Opcode.LOOKUP, Opcode.FORGET, Opcode.GETATTR, Opcode.SETATTR, Opcode.READLINK,
            Opcode.SYMLINK, Opcode.MKNOD, Opcode.MKDIR, Opcode.UNLINK, Opcode.RMDIR, Opcode.RENAME, Opcode.LINK,
            Opcode.OPEN, Opcode.READ, Opcode.WRITE, Opcode.STATFS, Opcode.RELEASE, Opcode.FSYNC, Opcode.SETXATTR,
            Opcode.GETXATTR, Opcode.LISTXATTR, Opcode.REMOVEXATTR, Opcode.FLUSH, Opcode.OPENDIR, Opcode.READDIR,
            Opcode.RELEASEDIR, Opcode.FSYNCDIR, Opcode.GETLK, Opcode.SETLK, Opcode.SETLKW, Opcode.ACCESS,
            Opcode.CREATE, Opcode.INTERRUPT, Opcode.DESTROY, Opcode.IOCTL, Opcode.NOTIFY_REPLY, Opcode.BATCH_FORGET,
            Opcode.FALLOCATE, Opcode.READDIRPLUS, Opcode.RENAME2, Opcode.LSEEK, Opcode.COPY_FILE_RANGE,
            Opcode.TMPFILE, Opcode.STATX}) {
            SERVED[op] = true;
        }
    }

    /** True for opcodes this frontend implements (others are ENOSYS: the kernel may stop asking). */
    static boolean serves(int opcode) {
        return opcode >= 0 && opcode < SERVED.length && SERVED[opcode];
    }

    /** Per-worker scratch state the handlers fill in. */
    static final class Context {
        long entryIno; // a lookup reference handed out by this reply; forgotten if the reply is lost
        long[] plusInos = new long[64]; // READDIRPLUS: the references the reply hands out
        int plusCount;
        final StringBuilder debug = new StringBuilder();
        boolean debugging;
        Channel channel;

        void reset() {
            entryIno = 0;
            plusCount = 0;
        }

        void addPlus(long ino) {
            if (plusCount == plusInos.length) plusInos = Arrays.copyOf(plusInos, plusCount * 2);
            plusInos[plusCount++] = ino;
        }
    }

    /**
     * Serves one request; every transport calls this, so the statistics count every request (the
     * time is the decoding, the file-system call and the encoding, not the transport's read and
     * write; a parked SETLKW counts until it parked).
     */
    int handle(Request rq, Reply rp, Context cx) throws FsException, BadRequestException {
        long t0 = System.nanoTime();
        boolean failed = true;
        try {
            int len = serve(rq, rp, cx);
            failed = false;
            return len;
        } finally {
            stats.record(rq.opcode, System.nanoTime() - t0, failed);
        }
    }

    boolean skipsOpendir() {
        return noOpendir;
    }

    /** The statistics of the requests served here. */
    RequestStats stats() {
        return stats;
    }

    private int serve(Request rq, Reply rp, Context cx) throws FsException, BadRequestException {
        // Not through the ENOSYS rules below: this ENOSYS is meant to switch OPENDIR off for the mount.
        if (noOpendir && rq.opcode == Opcode.OPENDIR) throw FsException.of(Errno.ENOSYS);
        try {
            return dispatch(rq, rp, cx);
        } catch (FsException e) {
            if (e.errno() == Errno.ENOSYS) {
                int answer = enosys.answer(rq.opcode);
                if (answer != Errno.ENOSYS) throw FsException.of(answer);
            }
            throw e;
        }
    }

    private int dispatch(Request rq, Reply rp, Context cx) throws FsException, BadRequestException {
        if (!serves(rq.opcode)) throw FsException.of(Errno.ENOSYS);
        Caller c = new Caller(rq.uid, rq.gid, rq.pid, new ProcGroups(rq.pid, rq.extGroup));
        long ino = rq.nodeid;
        rp.begin();
        switch (rq.opcode) {
            case Opcode.LOOKUP -> {
                Name name = rq.name();
                if (cx.debugging) note(cx, name);
                Entry e;
                try {
                    e = fs.lookup(c, ino, name);
                } catch (FsException x) {
                    // A negative entry lets the kernel remember "no such name" (a PATH search, a
                    // build probing for files) for as long as the backend's policy allows.
                    if (x.errno() != Errno.ENOENT || negativeTimeoutNs <= 0) throw x;
                    e = Entry.negative(negativeTimeoutNs);
                }
                return entry(rp, cx, e);
            }
            case Opcode.FORGET -> {
                fs.forget(ino, rq.u64(rq.struct(8)));
                return NO_REPLY;
            }
            case Opcode.BATCH_FORGET -> {
                int at = rq.struct(8);
                long count = Integer.toUnsignedLong(rq.u32(at));
                if (count > rq.remaining() / 16) throw new BadRequestException("BATCH_FORGET count " + count);
                for (long i = 0; i < count; i++) {
                    int one = rq.struct(16);
                    fs.forget(rq.u64(one), rq.u64(one + 8));
                }
                return NO_REPLY;
            }
            case Opcode.GETATTR -> {
                int at = rq.struct(16);
                long fh = (rq.u32(at) & FUSE_GETATTR_FH) != 0 ? rq.u64(at + 8) : -1;
                return attr(rp, fs.getattr(c, ino, fh));
            }
            case Opcode.STATX -> {
                if (!statx) throw FsException.of(Errno.ENOSYS);
                int at = rq.struct(24);
                long fh = (rq.u32(at) & FUSE_GETATTR_FH) != 0 ? rq.u64(at + 8) : -1;
                AttrReply a = fs.getattr(c, ino, fh);
                long t = a.attrTimeoutNs();
                rp.u64(Reply.secs(t)).u32(Reply.nsecs(t)).u32(0).zeros(16);
                return rp.statx(a.attr(), attributesMask | a.attr().attributes()).position();
            }
            case Opcode.SETATTR -> {
                return attr(rp, fs.setattr(c, ino, decodeSetattr(rq, cx)));
            }
            case Opcode.READLINK -> {
                byte[] target = fs.readlink(c, ino);
                if (target.length > rp.capacity() - Reply.HEADER) throw FsException.of(Errno.ENAMETOOLONG);
                return rp.bytes(target).position();
            }
            case Opcode.SYMLINK -> {
                Name name = rq.name();
                byte[] target = rq.cstring();
                if (target.length == 0) throw FsException.of(Errno.ENOENT);
                if (cx.debugging) note(cx, name + " -> " + io.strata.core.Bytes.display(target));
                return entry(rp, cx, fs.symlink(c, ino, name, target));
            }
            case Opcode.MKNOD -> {
                int at = rq.struct(16);
                Name name = rq.name();
                if (cx.debugging) note(cx, name);
                return entry(rp, cx, fs.mknod(c, ino, name, rq.u32(at), rq.u32(at + 4), rq.u32(at + 8)));
            }
            case Opcode.MKDIR -> {
                int at = rq.struct(8);
                Name name = rq.name();
                if (cx.debugging) note(cx, name);
                return entry(rp, cx, fs.mkdir(c, ino, name, rq.u32(at), rq.u32(at + 4)));
            }
            case Opcode.UNLINK -> {
                Name name = rq.name();
                if (cx.debugging) note(cx, name);
                fs.unlink(c, ino, name);
                return rp.position();
            }
            case Opcode.RMDIR -> {
                Name name = rq.name();
                if (cx.debugging) note(cx, name);
                fs.rmdir(c, ino, name);
                return rp.position();
            }
            case Opcode.RENAME, Opcode.RENAME2 -> {
                int at = rq.struct(rq.opcode == Opcode.RENAME ? 8 : 16);
                long newDir = rq.u64(at);
                int flags = rq.opcode == Opcode.RENAME ? 0 : rq.u32(at + 8);
                Name from = rq.name();
                Name to = rq.name();
                if (cx.debugging) note(cx, from + " -> " + newDir + "/" + to + (flags != 0 ? " flags=" + flags : ""));
                fs.rename(c, ino, from, newDir, to, flags);
                return rp.position();
            }
            case Opcode.LINK -> {
                int at = rq.struct(8);
                Name name = rq.name();
                if (cx.debugging) note(cx, name);
                return entry(rp, cx, fs.link(c, rq.u64(at), ino, name));
            }
            case Opcode.OPEN -> {
                int at = rq.struct(8);
                int flags = rq.u32(at);
                if (cx.debugging) note(cx, "flags=0" + Integer.toOctalString(flags));
                Opened o = fs.open(c, ino, flags);
                if ((rq.u32(at + 4) & FUSE_OPEN_KILL_SUIDGID) != 0) killSuidgid(c, ino, o.fh());
                return open(rp, ino, o);
            }
            case Opcode.CREATE, Opcode.TMPFILE -> {
                int at = rq.struct(16);
                int flags = rq.u32(at), mode = rq.u32(at + 4), umask = rq.u32(at + 8);
                Created cr;
                if (rq.opcode == Opcode.CREATE) {
                    Name name = rq.name();
                    if (cx.debugging) note(cx, name + " mode=0" + Integer.toOctalString(mode));
                    cr = fs.create(c, ino, name, mode, flags, umask);
                } else {
                    cr = fs.tmpfile(c, ino, mode, flags, umask);
                }
                rp.entry(forKernel(cr.entry()));
                cx.entryIno = cr.entry().ino();
                return open(rp, cr.entry().ino(), cr.opened());
            }
            case Opcode.READ -> {
                int at = rq.struct(40);
                long fh = rq.u64(at), off = rq.u64(at + 8);
                int size = rq.u32(at + 16);
                if (size < 0 || size > rp.capacity() - Reply.HEADER) throw new BadRequestException("READ size " + size);
                if (cx.debugging) note(cx, "fh=" + fh + " off=" + off + " size=" + size);
                ByteBuffer dst = rp.dataArea(size);
                int n = fs.read(c, ino, fh, off, dst);
                return Reply.HEADER + n;
            }
            case Opcode.WRITE -> {
                int at = rq.struct(40);
                long fh = rq.u64(at), off = rq.u64(at + 8);
                int size = rq.u32(at + 16), wflags = rq.u32(at + 20);
                if (cx.debugging) note(cx, "fh=" + fh + " off=" + off + " size=" + size);
                ByteBuffer src = rq.payload(size);
                int flags = ((wflags & FUSE_WRITE_CACHE) != 0 ? FileSystem.WRITE_CACHE : 0)
                        | ((wflags & FUSE_WRITE_KILL_SUIDGID) != 0 ? FileSystem.WRITE_KILL_SUIDGID : 0);
                int n = fs.write(c, ino, fh, off, src, flags);
                return rp.u32(n).u32(0).position();
            }
            case Opcode.STATFS -> {
                StatFs s = fs.statfs(c, ino);
                rp.u64(s.blocks()).u64(s.bfree()).u64(s.bavail()).u64(s.files()).u64(s.ffree());
                return rp.u32(s.bsize()).u32(s.namelen()).u32(s.frsize()).u32(0).zeros(24).position();
            }
            case Opcode.RELEASE, Opcode.RELEASEDIR -> {
                int at = rq.struct(24);
                long fh = rq.u64(at);
                int flags = rq.u32(at + 8), relFlags = rq.u32(at + 12);
                long owner = rq.u64(at + 16);
                if (rq.opcode == Opcode.RELEASE) {
                    if ((relFlags & FUSE_RELEASE_FLOCK_UNLOCK) != 0) locks.releaseFlock(ino, owner);
                    // Only connections that negotiated passthrough ever registered an open here.
                    if (backing != null && backing.enabled() && passthroughOpens.remove(new OpenKey(ino, fh)) != null) {
                        backing.release(ino);
                    }
                    fs.release(ino, fh, flags);
                } else {
                    fs.releasedir(ino, fh);
                }
                return rp.position();
            }
            case Opcode.FSYNC, Opcode.FSYNCDIR -> {
                int at = rq.struct(16);
                boolean datasync = (rq.u32(at + 8) & 1) != 0;
                if (rq.opcode == Opcode.FSYNC) fs.fsync(c, ino, rq.u64(at), datasync);
                else fs.fsyncdir(c, ino, rq.u64(at), datasync);
                return rp.position();
            }
            case Opcode.SETXATTR -> {
                int at = rq.struct(8);
                int size = rq.u32(at), flags = rq.u32(at + 4);
                XattrName name = rq.xattrName();
                if (cx.debugging) note(cx, name);
                fs.setxattr(c, ino, name, rq.bytes(size), flags);
                return rp.position();
            }
            case Opcode.GETXATTR -> {
                int at = rq.struct(8);
                int size = rq.u32(at);
                XattrName name = rq.xattrName();
                if (cx.debugging) note(cx, name + " size=" + size);
                return sized(rp, fs.getxattr(c, ino, name), size);
            }
            case Opcode.LISTXATTR -> {
                int at = rq.struct(8);
                int size = rq.u32(at);
                List<XattrName> names = fs.listxattr(c, ino);
                int total = 0;
                for (XattrName n : names) total += n.length() + 1;
                if (size == 0) return rp.u32(total).u32(0).position();
                if (total > size) throw FsException.of(Errno.ERANGE);
                if (total > rp.capacity() - Reply.HEADER) throw FsException.of(Errno.E2BIG);
                for (XattrName n : names) rp.xattrName(n);
                return rp.position();
            }
            case Opcode.REMOVEXATTR -> {
                XattrName name = rq.xattrName();
                if (cx.debugging) note(cx, name);
                fs.removexattr(c, ino, name);
                return rp.position();
            }
            case Opcode.FLUSH -> {
                int at = rq.struct(24);
                long owner = rq.u64(at + 16);
                locks.releasePosix(ino, owner); // close(2) drops the process's POSIX locks
                fs.flush(c, ino, rq.u64(at), owner);
                return rp.position();
            }
            case Opcode.OPENDIR -> {
                int at = rq.struct(8);
                return open(rp, ino, fs.opendir(c, ino, rq.u32(at)));
            }
            case Opcode.READDIR -> {
                return readdir(rq, rp, c, ino, cx);
            }
            case Opcode.READDIRPLUS -> {
                return readdirplus(rq, rp, c, ino, cx);
            }
            case Opcode.GETLK, Opcode.SETLK, Opcode.SETLKW -> {
                return lock(rq, rp, ino, cx);
            }
            case Opcode.ACCESS -> {
                int at = rq.struct(8);
                fs.access(c, ino, rq.u32(at));
                return rp.position();
            }
            case Opcode.INTERRUPT -> {
                long target = rq.u64(rq.struct(8));
                if (cx.debugging) note(cx, "unique=" + target);
                locks.cancel(target); // only parked lock waits can be interrupted; the rest finish quickly
                return NO_REPLY;
            }
            case Opcode.DESTROY -> {
                // The connection ends: detach (forget what this mount held). The file system
                // itself belongs to whoever built it and may serve other mounts.
                fs.close();
                return rp.position();
            }
            case Opcode.FALLOCATE -> {
                int at = rq.struct(32);
                fs.fallocate(c, ino, rq.u64(at), rq.u32(at + 24), rq.u64(at + 8), rq.u64(at + 16));
                return rp.position();
            }
            case Opcode.LSEEK -> {
                int at = rq.struct(24);
                long fh = rq.u64(at), off = rq.u64(at + 8);
                int whence = rq.u32(at + 16);
                long to;
                try {
                    to = fs.lseek(c, ino, fh, off, whence);
                } catch (FsException e) {
                    // The kernel answers SEEK_DATA/SEEK_HOLE generically only after an ENOSYS, and
                    // then for the whole mount; any other error reaches lseek(2). So a layer that
                    // lacks it while the stack claims it gets the generic answer from here.
                    if (e.errno() != Errno.ENOSYS || enosys.lacks(Feature.SEEK_DATA)) throw e;
                    to = seekFallback(c, ino, fh, off, whence);
                }
                return rp.u64(to).position();
            }
            case Opcode.COPY_FILE_RANGE -> {
                int at = rq.struct(56);
                long len = Math.min(rq.u64(at + 40), 0xFFFF_F000L); // the reply carries a u32
                long n = fs.copyFileRange(c, ino, rq.u64(at), rq.u64(at + 8), rq.u64(at + 16), rq.u64(at + 24),
                        rq.u64(at + 32), len, (int) rq.u64(at + 48));
                return rp.u32((int) n).u32(0).position();
            }
            case Opcode.IOCTL -> {
                return ioctl(rq, rp, c, ino, cx);
            }
            case Opcode.NOTIFY_REPLY -> {
                return NO_REPLY;
            }
            default -> throw FsException.of(Errno.ENOSYS);
        }
    }

    /** A reply carrying lookup references never reached the kernel: give the references back. */
    void forgetLost(Context cx) {
        if (cx.entryIno != 0) fs.forget(cx.entryIno, 1);
        for (int i = 0; i < cx.plusCount; i++) fs.forget(cx.plusInos[i], 1);
    }

    private static void note(Context cx, Object s) {
        if (cx.debugging) cx.debug.append(' ').append(s);
    }

    /** The entry as the kernel may cache it (see {@link #cacheNames}). */
    private Entry forKernel(Entry e) {
        if (cacheNames || e.isNegative() || e.entryTimeoutNs() == 0) return e;
        return new Entry(e.ino(), e.generation(), e.attr(), 0, e.attrTimeoutNs());
    }

    private int entry(Reply rp, Context cx, Entry e) {
        rp.entry(forKernel(e));
        if (!e.isNegative()) cx.entryIno = e.ino(); // a negative entry carries no reference
        return rp.position();
    }

    private static int attr(Reply rp, AttrReply a) {
        long t = a.attrTimeoutNs();
        rp.u64(Reply.secs(t)).u32(Reply.nsecs(t)).u32(0).attr(a.attr());
        return rp.position();
    }

    /** GETXATTR: size 0 asks for the length; a too-small buffer is ERANGE. */
    private static int sized(Reply rp, byte[] value, int size) throws FsException {
        if (size == 0) return rp.u32(value.length).u32(0).position();
        if (value.length > size) throw FsException.of(Errno.ERANGE);
        if (value.length > rp.capacity() - Reply.HEADER) throw FsException.of(Errno.E2BIG);
        return rp.bytes(value).position();
    }

    private int open(Reply rp, long ino, Opened o) {
        int flags = 0;
        if (o.has(Opened.KEEP_CACHE)) flags |= FOPEN_KEEP_CACHE;
        if (o.has(Opened.DIRECT_IO)) flags |= FOPEN_DIRECT_IO;
        if (o.has(Opened.NONSEEKABLE)) flags |= FOPEN_NONSEEKABLE;
        if (o.has(Opened.CACHE_DIR)) flags |= FOPEN_CACHE_DIR;
        if (o.has(Opened.PARALLEL_DIRECT_WRITES)) flags |= FOPEN_PARALLEL_DIRECT_WRITES;
        int backingId = 0;
        if (o.backingFd() >= 0 && backing != null && backing.enabled() && !o.has(Opened.DIRECT_IO)) {
            int id = backing.acquire(ino, o.backingFd());
            if (id >= 0) {
                backingId = id;
                flags |= FOPEN_PASSTHROUGH;
                flags &= ~FOPEN_KEEP_CACHE;
                passthroughOpens.put(new OpenKey(ino, o.fh()), Boolean.TRUE);
            }
        }
        return rp.u64(o.fh()).u32(flags).u32(backingId).position();
    }

    private void killSuidgid(Caller c, long ino, long fh) throws FsException {
        fs.setattr(c, ino, new SetAttr(SetAttr.KILL_SUIDGID, 0, 0, 0, 0, 0, 0, 0, fh));
    }

    private SetAttr decodeSetattr(Request rq, Context cx) throws BadRequestException {
        int at = rq.struct(88);
        int v = rq.u32(at);
        int valid = 0;
        if ((v & FATTR_MODE) != 0) valid |= SetAttr.MODE;
        if ((v & FATTR_UID) != 0) valid |= SetAttr.UID;
        if ((v & FATTR_GID) != 0) valid |= SetAttr.GID;
        if ((v & FATTR_SIZE) != 0) valid |= SetAttr.SIZE;
        if ((v & FATTR_ATIME) != 0) valid |= SetAttr.ATIME;
        if ((v & FATTR_MTIME) != 0) valid |= SetAttr.MTIME;
        if ((v & FATTR_ATIME_NOW) != 0) valid |= SetAttr.ATIME_NOW;
        if ((v & FATTR_MTIME_NOW) != 0) valid |= SetAttr.MTIME_NOW;
        if ((v & FATTR_CTIME) != 0) valid |= SetAttr.CTIME;
        if ((v & FATTR_KILL_SUIDGID) != 0) valid |= SetAttr.KILL_SUIDGID;
        if (writeback && mtimeFromCache(v)) valid |= SetAttr.MTIME_CACHED;
        long fh = (v & FATTR_FH) != 0 ? rq.u64(at + 8) : -1;
        long size = rq.u64(at + 16);
        long atime = rq.u64(at + 32) * 1_000_000_000L + Integer.toUnsignedLong(rq.u32(at + 56));
        long mtime = rq.u64(at + 40) * 1_000_000_000L + Integer.toUnsignedLong(rq.u32(at + 60));
        long ctime = rq.u64(at + 48) * 1_000_000_000L + Integer.toUnsignedLong(rq.u32(at + 64));
        int mode = rq.u32(at + 68), uid = rq.u32(at + 76), gid = rq.u32(at + 80);
        if (cx.debugging) cx.debug.append(" valid=0x").append(Integer.toHexString(v));
        return new SetAttr(valid, mode, uid, gid, size, atime, mtime, ctime, fh);
    }

    /**
     * With the writeback cache the kernel owns mtime: utimensat(UTIME_NOW), truncate and its
     * cache flushes all send the kernel's own time as FATTR_MTIME without FATTR_MTIME_NOW, so a
     * "now" by a non-owner with write access would look like an owner-only explicit time. Those
     * requests get {@link SetAttr#MTIME_CACHED} (checked like "now"). An explicit atime in the same
     * request (no FATTR_ATIME_NOW) marks utimensat with explicit times, which stays owner-only;
     * atime is never taken over by the cache, so its NOW bit is always honest. What remains
     * indistinguishable: utimensat(UTIME_OMIT or UTIME_NOW, explicit mtime) by a non-owner with
     * write access, which the kernel itself refuses unless the mount uses nodefault_permissions.
     */
    static boolean mtimeFromCache(int fattr) {
        if ((fattr & FATTR_MTIME) == 0 || (fattr & FATTR_MTIME_NOW) != 0) return false;
        return (fattr & FATTR_ATIME) == 0 || (fattr & FATTR_ATIME_NOW) != 0;
    }

    /** SEEK_DATA / SEEK_HOLE as generic_file_llseek answers them: all data, one hole at the end. */
    private long seekFallback(Caller c, long ino, long fh, long off, int whence) throws FsException {
        long size = fs.getattr(c, ino, fh).attr().size();
        if (whence != FileSystem.SEEK_DATA && whence != FileSystem.SEEK_HOLE) throw FsException.of(Errno.EINVAL);
        if (Long.compareUnsigned(off, size) >= 0) throw FsException.of(Errno.ENXIO);
        return whence == FileSystem.SEEK_DATA ? off : size;
    }

    // ---- ioctl ----

    /**
     * fuse_ioctl_in (32 bytes): fh u64, flags u32, cmd u32, arg u64, in_size u32, out_size u32,
     * then in_size bytes of input. FUSE file systems only get restricted ioctls: the kernel copies
     * _IOC_SIZE(cmd) bytes in (for _IOC_WRITE) and offers as many back (for _IOC_READ); for
     * FS_IOC_ENABLE_VERITY it appends the salt and signature to the input, for
     * FS_IOC_MEASURE_VERITY it sizes the buffer from the caller's digest_size, and FS_IOC_GETFLAGS
     * arrives from lsattr's fileattr path with a 4-byte int. The reply is fuse_ioctl_out (result
     * i32, flags u32, in_iovs u32, out_iovs u32) and at most out_size bytes (more is EIO in the
     * kernel). Only {@link Ioctl#allowed} commands reach the file system.
     */
    private int ioctl(Request rq, Reply rp, Caller c, long ino, Context cx) throws FsException, BadRequestException {
        int at = rq.struct(32);
        long fh = rq.u64(at);
        int flags = rq.u32(at + 8), cmd = rq.u32(at + 12);
        int inSize = rq.u32(at + 24), outSize = rq.u32(at + 28);
        if (cx.debugging) {
            note(cx, "cmd=0x" + Integer.toHexString(cmd) + " in=" + Integer.toUnsignedString(inSize) + " out="
                    + Integer.toUnsignedString(outSize) + " flags=0x" + Integer.toHexString(flags));
        }
        if ((flags & FUSE_IOCTL_UNRESTRICTED) != 0 || !Ioctl.allowed(cmd)) throw FsException.of(Errno.ENOTTY);
        if (outSize < 0 || outSize > rp.capacity() - Reply.HEADER - IOCTL_OUT) {
            throw new BadRequestException("IOCTL out_size " + Integer.toUnsignedString(outSize));
        }
        byte[] in = rq.bytes(inSize);
        Ioctl.Reply r = fs.ioctl(c, ino, fh, cmd, in, outSize);
        byte[] out = r.out() == null ? new byte[0] : r.out();
        if (out.length > outSize) {
            LOG.log(System.Logger.Level.WARNING, "ioctl 0x" + Integer.toHexString(cmd) + " returned " + out.length
                    + " bytes, more than the " + outSize + " the caller offered");
            throw FsException.of(Errno.EIO);
        }
        return rp.u32(r.result()).u32(0).u32(0).u32(0).bytes(out).position();
    }

    // ---- directories ----

    private int readdir(Request rq, Reply rp, Caller c, long ino, Context cx) throws FsException, BadRequestException {
        int at = rq.struct(40);
        long fh = rq.u64(at), cookie = rq.u64(at + 8);
        int limit = Math.min(rq.u32(at + 16), rp.capacity() - Reply.HEADER) + Reply.HEADER;
        if (cx.debugging) note(cx, "cookie=" + cookie);
        fs.readdir(c, ino, fh, cookie, (name, child, dtype, next) -> {
            int size = (24 + name.length() + 7) & ~7;
            if (rp.position() + size > limit) return false;
            rp.u64(child).u64(next).u32(name.length()).u32(dtype).name(name).align8();
            return true;
        });
        return rp.position();
    }

    /**
     * READDIRPLUS: the file system lists and looks up in one pass ({@link FileSystem#readdirplus});
     * every entry it hands over carries one lookup reference, which the kernel will FORGET (or we
     * do, if the reply is lost). "." and ".." come without an entry (nodeid 0), which the kernel
     * skips.
     */
    private int readdirplus(Request rq, Reply rp, Caller c, long ino, Context cx) throws FsException, BadRequestException {
        int at = rq.struct(40);
        long fh = rq.u64(at), cookie = rq.u64(at + 8);
        int limit = Math.min(rq.u32(at + 16), rp.capacity() - Reply.HEADER) + Reply.HEADER;
        if (cx.debugging) note(cx, "cookie=" + cookie);
        fs.readdirplus(c, ino, fh, cookie, (name, child, dtype, next, e) -> {
            int size = Reply.ENTRY_OUT_SIZE + ((24 + name.length() + 7) & ~7);
            if (rp.position() + size > limit) return false;
            boolean positive = e != null && !e.isNegative();
            if (positive) {
                rp.entry(forKernel(e));
                cx.addPlus(e.ino());
            } else {
                rp.zeros(Reply.ENTRY_OUT_SIZE);
            }
            rp.u64(positive ? e.attr().ino() : child).u64(next).u32(name.length()).u32(dtype).name(name).align8();
            return true;
        });
        return rp.position();
    }

    // ---- locks ----

    private int lock(Request rq, Reply rp, long ino, Context cx) throws FsException, BadRequestException {
        int at = rq.struct(48);
        long owner = rq.u64(at + 8);
        long start = rq.u64(at + 16), end = rq.u64(at + 24);
        int type = rq.u32(at + 32), pid = rq.u32(at + 36);
        boolean flock = (rq.u32(at + 40) & FUSE_LK_FLOCK) != 0;
        if (type < LockTable.F_RDLCK || type > LockTable.F_UNLCK || start < 0 || end < start) {
            throw FsException.of(Errno.EINVAL);
        }
        LockTable.Lock want = new LockTable.Lock(start, end, type, pid);
        if (cx.debugging) note(cx, (flock ? "flock " : "posix ") + type + " [" + start + "," + end + "] owner=" + Long.toHexString(owner));
        switch (rq.opcode) {
            case Opcode.GETLK -> {
                LockTable.Lock l = locks.test(ino, owner, flock, want);
                if (l == null) return rp.u64(start).u64(end).u32(LockTable.F_UNLCK).u32(0).position();
                return rp.u64(l.start()).u64(l.end()).u32(l.type()).u32(l.pid()).position();
            }
            case Opcode.SETLK -> {
                try {
                    locks.lock(ino, owner, flock, want);
                } catch (LockTable.LockException e) {
                    throw FsException.of(e.errno());
                }
                return rp.position();
            }
            default -> {
                Channel ch = cx.channel;
                long unique = rq.unique;
                locks.lockOrWait(ino, owner, flock, want, unique, errno -> ch.replyLater(unique, errno));
                return NO_REPLY;
            }
        }
    }
}
