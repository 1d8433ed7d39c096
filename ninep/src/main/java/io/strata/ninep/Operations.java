package io.strata.ninep;

import io.strata.core.Attr;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.Session;
import io.strata.core.SetAttr;
import io.strata.core.StatFs;
import io.strata.core.XattrName;
import io.strata.core.locks.LockTable;
import io.strata.ninep.wire.DirEntries;
import io.strata.ninep.wire.DirEntry;
import io.strata.ninep.wire.Message.*;
import io.strata.ninep.wire.P9;
import io.strata.ninep.wire.Qid;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The 9P2000.L requests of one connection, each turned into SPI calls on the connection's
 * {@link Session}. Every method may run concurrently with the others (requests are answered out of
 * order); shared state is the {@link FidTable} (concurrent), the server-wide {@link LockTable}
 * (its own monitor) and the set of lock owners this connection used (concurrent).
 *
 * <p>Jail: the export root is the SPI root. A walk of ".." at the root is turned into "." before the
 * file system sees it, and the SPI never follows symlinks, so no walk leaves the export whatever
 * the backend does with its root's "..". Permissions are the file system's (every backend enforces
 * {@code core.Access} for the fid's caller).
 */
final class Operations {
    /** Linux XATTR_SIZE_MAX: the most an xattrcreate may announce (so its buffer is bounded). */
    static final int XATTR_SIZE_MAX = 65536;
    private static final int OPEN_FLAGS_PASSED = OpenFlags.O_ACCMODE | OpenFlags.O_TRUNC | OpenFlags.O_APPEND
            | OpenFlags.O_NONBLOCK | OpenFlags.O_DSYNC | OpenFlags.O_DIRECT | OpenFlags.O_LARGEFILE
            | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_NOATIME | OpenFlags.O_SYNC;

    private final Session session;
    private final FidTable fids;
    private final NinepServerOptions options;
    private final LockTable locks;
    private final long connectionId;
    private final Set<LockKey> lockOwners = ConcurrentHashMap.newKeySet();
    private volatile int msize;

    private record LockKey(long ino, long owner) {}

    Operations(Session session, FidTable fids, NinepServerOptions options, LockTable locks, long connectionId) {
        this.session = session;
        this.fids = fids;
        this.options = options;
        this.locks = locks;
        this.connectionId = connectionId;
    }

    void msize(int m) {
        msize = m;
    }

    private int iounit() {
        return msize - P9.IOHDRSZ;
    }

    /** Most payload bytes an Rread/Rreaddir may carry: msize minus size, type, tag and count. */
    private int maxPayload() {
        return msize - P9.HEADER - 4;
    }

    Reply handle(Request r) throws FsException {
        return switch (r) {
            // ENOENT is how diod says "no authentication required": its client library treats
            // that errno (and no other) as success and attaches without an afid.
            case Tauth t -> throw new FsException(Errno.ENOENT, "no authentication required");
            case Tattach t -> attach(t);
            case Twalk t -> new Rwalk(t.tag(), walk(t.fid(), t.newfid(), t.names(), false));
            case Twalkgetattr t -> walkgetattr(t);
            case Tgetattr t -> getattr(t);
            case Tsetattr t -> setattr(t);
            case Treadlink t -> readlink(t);
            case Tlopen t -> lopen(t);
            case Tlcreate t -> lcreate(t);
            case Tsymlink t -> new Rsymlink(t.tag(), created(t.dfid(), dir -> session.symlink(owner(dir.caller, t.gid()), dir.target().ino(), t.name(), t.target()))); 
            case Tmknod t -> new Rmknod(t.tag(), created(t.dfid(), dir -> session.mknod(owner(dir.caller, t.gid()), dir.target().ino(), t.name(), t.mode(), rdev(t.major(), t.minor()), 0)));
            case Tmkdir t -> new Rmkdir(t.tag(), created(t.dfid(), dir -> session.mkdir(owner(dir.caller, t.gid()), dir.target().ino(), t.name(), t.mode(), 0)));
            case Tlink t -> link(t);
            case Trename t -> rename(t);
            case Trenameat t -> renameat(t);
            case Tunlinkat t -> unlinkat(t);
            case Tremove t -> remove(t);
            case Tread t -> read(t);
            case Twrite t -> write(t);
            case Treaddir t -> readdir(t);
            case Tfsync t -> fsync(t);
            case Tclunk t -> clunk(t);
            case Tstatfs t -> statfs(t);
            case Txattrwalk t -> xattrwalk(t);
            case Txattrcreate t -> xattrcreate(t);
            case Tlock t -> lock(t);
            case Tgetlock t -> getlock(t);
            case Tversion t -> throw new IllegalStateException("Tversion is handled by the connection");
            case Tflush t -> throw new IllegalStateException("Tflush is handled by the connection");
        };
    }

    // ---- attach and walk ----

    private Caller callerFor(Tattach t) throws FsException {
        int uid = t.nUname();
        if (uid == P9.NONUNAME) {
            var known = options.identities().uidOf(new String(t.uname(), StandardCharsets.UTF_8));
            if (known.isEmpty()) throw new FsException(Errno.EACCES, "unknown user");
            uid = known.getAsInt();
        }
        if (!options.allowedUids().isEmpty() && !options.allowedUids().contains(uid))
            throw new FsException(Errno.EACCES, "uid " + uid + " may not attach");
        if (uid == 0 && options.squashRoot()) return Caller.of(options.squashUid(), options.squashGid());
        return options.identities().caller(uid);
    }

    private Reply attach(Tattach t) throws FsException {
        if (t.afid() != P9.NOFID) throw new FsException(Errno.EINVAL, "no authentication fids exist");
        if (fids.inUse(t.fid())) throw FsException.of(Errno.EBADF);
        Caller c = callerFor(t);
        session.retain(FileSystem.ROOT, 1);
        Fid.Target root;
        try {
            root = new Fid.Target(FileSystem.ROOT, Qids.of(session.getattr(c, FileSystem.ROOT, -1).attr()), 0, null);
        } catch (FsException e) {
            session.forget(FileSystem.ROOT, 1);
            throw e;
        }
        Fid f = new Fid(c, root);
        List<Name> path = anamePath(t.aname());
        if (!path.isEmpty()) {
            install(t.fid(), f);
            try {
                List<Qid> q = walk(t.fid(), t.fid(), path, true);
                if (q.size() != path.size()) throw new FsException(Errno.ENOENT, "aname not found");
            } catch (FsException e) {
                try {
                    fids.clunk(t.fid());
                } catch (FsException gone) {
                    // clunked concurrently by a confused client
                }
                throw e;
            }
            try (var u = fids.use(t.fid())) {
                return new Rattach(t.tag(), u.fid.target().qid());
            }
        }
        install(t.fid(), f);
        return new Rattach(t.tag(), root.qid());
    }

    /** "", "/" and "/a/b" (relative to the export root); components validated like walk names. */
    private static List<Name> anamePath(byte[] aname) throws FsException {
        List<Name> out = new ArrayList<>();
        int i = 0;
        while (i < aname.length) {
            int j = i;
            while (j < aname.length && aname[j] != '/') j++;
            if (j > i) {
                Name n = Name.of(aname, i, j - i);
                if (!n.isDot()) out.add(n);
                if (out.size() > P9.MAXWELEM) throw new FsException(Errno.ENAMETOOLONG, "aname too deep");
            }
            i = j + 1;
        }
        return out;
    }

    private void install(int fid, Fid f) throws FsException {
        try {
            fids.add(fid, f);
        } catch (FsException e) {
            session.forget(f.target().ino(), 1);
            throw e;
        }
    }

    /**
     * Resolves {@code names} from {@code from}, one lookup each, clamping ".." at the export root.
     * Returns an Entry (one reference) per resolved name; a failure of the first name throws.
     */
    private List<Entry> resolve(Caller c, long from, List<Name> names) throws FsException {
        List<Entry> got = new ArrayList<>(names.size());
        long at = from;
        for (Name n : names) {
            Name asked = n.isDotDot() && at == FileSystem.ROOT ? Name.DOT : n; // the jail
            Entry e;
            try {
                e = session.lookup(c, at, asked);
            } catch (FsException x) {
                if (got.isEmpty()) throw x;
                break;
            }
            got.add(e);
            at = e.ino();
        }
        return got;
    }

    private void forgetAll(List<Entry> es, int from) {
        for (int i = from; i < es.size(); i++) session.forget(es.get(i).ino(), 1);
    }

    /**
     * Twalk: on full success {@code newfid} names the last inode (or {@code fid} moves there); on a
     * partial walk the qids of the resolved prefix are returned and no fid changes.
     */
    private List<Qid> walk(int fid, int newfid, List<Name> names, boolean attaching) throws FsException {
        try (var u = fids.use(fid)) {
            Fid from = u.fid;
            // walk(5) says an opened fid may not be walked, but diod's own clients walk from an
            // open directory fid (diodls); that is harmless as long as the new fid is a different
            // one (it starts plain). Moving an open fid itself is refused (Fid.retarget).
            if (!attaching && newfid == fid && from.kind() != Fid.Kind.PLAIN && !names.isEmpty())
                throw new FsException(Errno.EBADF, "walk of an open fid onto itself");
            if (newfid != fid && fids.inUse(newfid)) throw new FsException(Errno.EBADF, "newfid in use");
            Fid.Target start = from.target();
            if (names.isEmpty()) {
                if (newfid != fid) {
                    session.retain(start.ino(), 1);
                    install(newfid, new Fid(from.caller, start));
                }
                return List.of();
            }
            List<Entry> got = resolve(from.caller, start.ino(), names);
            List<Qid> qids = new ArrayList<>(got.size());
            for (Entry e : got) qids.add(Qids.of(e.attr()));
            if (got.size() < names.size()) {
                forgetAll(got, 0);
                return qids;
            }
            Entry last = got.getLast();
            forgetAll(got.subList(0, got.size() - 1), 0);
            long parent = got.size() >= 2 ? got.get(got.size() - 2).ino() : start.ino();
            Name lastName = names.getLast();
            Fid.Target t = lastName.isDotOrDotDot() || parent == last.ino()
                    ? new Fid.Target(last.ino(), qids.getLast(), 0, null)
                    : new Fid.Target(last.ino(), qids.getLast(), parent, lastName);
            if (newfid == fid) {
                Fid.Target old;
                try {
                    old = from.retarget(t);
                } catch (FsException e) {
                    session.forget(last.ino(), 1);
                    throw e;
                }
                session.forget(old.ino(), 1);
            } else {
                install(newfid, new Fid(from.caller, t));
            }
            return qids;
        }
    }

    private Reply walkgetattr(Twalkgetattr t) throws FsException {
        List<Qid> qids = walk(t.fid(), t.newfid(), t.names(), false);
        if (qids.size() < t.names().size()) throw new FsException(Errno.ENOENT, "walk stopped early");
        try (var u = fids.use(t.newfid())) {
            Attr a = session.getattr(u.fid.caller, u.fid.target().ino(), -1).attr();
            return new Rwalkgetattr(t.tag(), Qids.valid(a), Qids.stat(a), qids);
        } catch (FsException e) {
            if (t.newfid() != t.fid()) {
                try {
                    fids.clunk(t.newfid());
                } catch (FsException gone) {
                    // already clunked by the client
                }
            }
            throw e;
        }
    }

    // ---- attributes ----

    private Reply getattr(Tgetattr t) throws FsException {
        try (var u = fids.use(t.fid())) {
            Fid f = u.fid;
            long fh = f.kind() == Fid.Kind.FILE ? f.fh() : -1;
            Attr a = session.getattr(f.caller, f.target().ino(), fh).attr();
            return new Rgetattr(t.tag(), Qids.valid(a), Qids.of(a), Qids.stat(a));
        }
    }

    private Reply setattr(Tsetattr t) throws FsException {
        try (var u = fids.use(t.fid())) {
            Fid f = u.fid;
            int v = t.valid(), valid = 0;
            long atime = 0, mtime = 0;
            if ((v & P9.SETATTR_MODE) != 0) valid |= SetAttr.MODE;
            if ((v & P9.SETATTR_UID) != 0) valid |= SetAttr.UID;
            if ((v & P9.SETATTR_GID) != 0) valid |= SetAttr.GID;
            if ((v & P9.SETATTR_SIZE) != 0) {
                if (t.size() < 0) throw FsException.of(Errno.EFBIG);
                valid |= SetAttr.SIZE;
            }
            if ((v & P9.SETATTR_ATIME) != 0) {
                if ((v & P9.SETATTR_ATIME_SET) != 0) {
                    valid |= SetAttr.ATIME;
                    atime = nanos(t.atimeSec(), t.atimeNsec());
                } else {
                    valid |= SetAttr.ATIME | SetAttr.ATIME_NOW;
                }
            }
            if ((v & P9.SETATTR_MTIME) != 0) {
                if ((v & P9.SETATTR_MTIME_SET) != 0) {
                    valid |= SetAttr.MTIME;
                    mtime = nanos(t.mtimeSec(), t.mtimeNsec());
                } else {
                    valid |= SetAttr.MTIME | SetAttr.MTIME_NOW;
                }
            }
            // SETATTR_CTIME alone ("update ctime"): every real change above updates it already.
            if (valid != 0) {
                long fh = f.kind() == Fid.Kind.FILE ? f.fh() : -1;
                session.setattr(f.caller, f.target().ino(), new SetAttr(valid, t.mode() & 07777, t.uid(), t.gid(),
                        t.size(), atime, mtime, 0, fh));
            }
            return new Rsetattr(t.tag());
        }
    }

    private static long nanos(long sec, long nsec) throws FsException {
        if (nsec < 0 || nsec >= 1_000_000_000L) throw FsException.of(Errno.EINVAL);
        try {
            return Math.addExact(Math.multiplyExact(sec, 1_000_000_000L), nsec);
        } catch (ArithmeticException e) {
            throw FsException.of(Errno.EOVERFLOW);
        }
    }

    private Reply readlink(Treadlink t) throws FsException {
        try (var u = fids.use(t.fid())) {
            byte[] target = session.readlink(u.fid.caller, u.fid.target().ino());
            if (target.length > 0xFFFF || target.length + 2 > maxPayload()) throw FsException.of(Errno.ENAMETOOLONG);
            return new Rreadlink(t.tag(), target);
        }
    }

    private Reply statfs(Tstatfs t) throws FsException {
        try (var u = fids.use(t.fid())) {
            StatFs s = session.statfs(u.fid.caller, u.fid.target().ino());
            int unit = s.frsize() > 0 ? s.frsize() : s.bsize();
            return new Rstatfs(t.tag(), P9.V9FS_MAGIC, unit, s.blocks(), s.bfree(), s.bavail(), s.files(), s.ffree(), 0,
                    s.namelen());
        }
    }

    // ---- creating and removing ----

    /** The caller, with the gid the client asks new objects to get if the caller is in that group. */
    private static Caller owner(Caller c, int gid) {
        if (gid == c.gid() || !c.inGroup(gid)) return c;
        return new Caller(c.uid(), gid, c.pid(), c.groups());
    }

    /** Linux new_encode_dev: what the SPI (and FUSE) carry as rdev. */
    static int rdev(int major, int minor) {
        return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
    }

    @FunctionalInterface
    private interface Create {
        Entry in(Fid dir) throws FsException;
    }

    /** Runs a creation in {@code dfid}'s directory; the new entry's reference is dropped (no fid keeps it). */
    private Qid created(int dfid, Create op) throws FsException {
        try (var u = fids.use(dfid)) {
            Entry e = op.in(u.fid);
            session.forget(e.ino(), 1);
            return Qids.of(e.attr());
        }
    }

    private Reply link(Tlink t) throws FsException {
        try (var d = fids.use(t.dfid()); var f = fids.use(t.fid())) {
            Entry e = session.link(d.fid.caller, f.fid.target().ino(), d.fid.target().ino(), t.name());
            session.forget(e.ino(), 1);
            return new Rlink(t.tag());
        }
    }

    /** The (parent, name) a fid was reached by, checked to still name the same inode. */
    private Fid.Target bound(Fid f) throws FsException {
        Fid.Target t = f.target();
        if (t.ino() == FileSystem.ROOT) throw new FsException(Errno.EBUSY, "the export root");
        if (t.parent() == 0) throw new FsException(Errno.EINVAL, "fid was not reached by a name");
        Entry now = session.lookup(f.caller, t.parent(), t.name());
        session.forget(now.ino(), 1);
        if (now.ino() != t.ino()) throw new FsException(Errno.ESTALE, "renamed or replaced since it was walked");
        return t;
    }

    private Reply rename(Trename t) throws FsException {
        try (var f = fids.use(t.fid()); var d = fids.use(t.dfid())) {
            Fid.Target src = bound(f.fid);
            session.rename(f.fid.caller, src.parent(), src.name(), d.fid.target().ino(), t.name(), 0);
            f.fid.renamed(d.fid.target().ino(), t.name());
            return new Rrename(t.tag());
        }
    }

    private Reply renameat(Trenameat t) throws FsException {
        try (var o = fids.use(t.olddirfid()); var n = fids.use(t.newdirfid())) {
            session.rename(o.fid.caller, o.fid.target().ino(), t.oldname(), n.fid.target().ino(), t.newname(), 0);
            return new Rrenameat(t.tag());
        }
    }

    private Reply unlinkat(Tunlinkat t) throws FsException {
        try (var d = fids.use(t.dirfid())) {
            if ((t.flags() & P9.AT_REMOVEDIR) != 0) session.rmdir(d.fid.caller, d.fid.target().ino(), t.name());
            else session.unlink(d.fid.caller, d.fid.target().ino(), t.name());
            return new Runlinkat(t.tag());
        }
    }

    /** Tremove clunks the fid whether or not the removal succeeds. */
    private Reply remove(Tremove t) throws FsException {
        try {
            try (var u = fids.use(t.fid())) {
                Fid.Target target = bound(u.fid);
                if (target.qid().type() == P9.QTDIR) session.rmdir(u.fid.caller, target.parent(), target.name());
                else session.unlink(u.fid.caller, target.parent(), target.name());
            }
        } finally {
            try {
                fids.clunk(t.fid());
            } catch (FsException gone) {
                // unknown fid: the use above already reported EBADF
            }
        }
        return new Rremove(t.tag());
    }

    // ---- open files ----

    private Reply lopen(Tlopen t) throws FsException {
        try (var u = fids.use(t.fid())) {
            Fid f = u.fid;
            if (f.kind() != Fid.Kind.PLAIN) throw new FsException(Errno.EBADF, "fid already open");
            Fid.Target target = f.target();
            int flags = t.flags() & OPEN_FLAGS_PASSED;
            boolean dir = target.qid().type() == P9.QTDIR;
            Opened o = dir ? session.opendir(f.caller, target.ino(), flags) : session.open(f.caller, target.ino(), flags);
            if (!f.opened(target, dir ? Fid.Kind.DIR : Fid.Kind.FILE, o.fh(), flags)) {
                if (dir) session.releasedir(target.ino(), o.fh());
                else session.release(target.ino(), o.fh(), flags);
                throw new FsException(Errno.EBADF, "fid opened concurrently");
            }
            return new Rlopen(t.tag(), target.qid(), iounit());
        }
    }

    private Reply lcreate(Tlcreate t) throws FsException {
        try (var u = fids.use(t.fid())) {
            Fid f = u.fid;
            Fid.Target dir = f.target();
            if (f.kind() != Fid.Kind.PLAIN) throw new FsException(Errno.EBADF, "fid already open");
            if (dir.qid().type() != P9.QTDIR) throw FsException.of(Errno.ENOTDIR);
            int flags = (t.flags() & OPEN_FLAGS_PASSED) | OpenFlags.O_CREAT | (t.flags() & OpenFlags.O_EXCL);
            Created cr = session.create(owner(f.caller, t.gid()), dir.ino(), t.name(), t.mode() & 07777, flags, 0);
            Qid q = Qids.of(cr.entry().attr());
            Fid.Target made = new Fid.Target(cr.entry().ino(), q, dir.ino(), t.name());
            if (!f.opened(made, Fid.Kind.FILE, cr.opened().fh(), flags)) {
                session.release(made.ino(), cr.opened().fh(), flags);
                session.forget(made.ino(), 1);
                throw new FsException(Errno.EBADF, "fid opened concurrently");
            }
            session.forget(dir.ino(), 1); // the fid now holds the new file's reference instead
            return new Rlcreate(t.tag(), q, iounit());
        }
    }

    private Reply read(Tread t) throws FsException {
        try (var u = fids.use(t.fid())) {
            Fid f = u.fid;
            int max = (int) Math.min(Integer.toUnsignedLong(t.count()), maxPayload());
            if (f.kind() == Fid.Kind.XATTR_READ) return new Rread(t.tag(), ByteBuffer.wrap(f.xattrRead(t.offset(), max)));
            if (f.kind() != Fid.Kind.FILE) throw new FsException(Errno.EBADF, "fid not open for reading");
            if (t.offset() < 0) throw FsException.of(Errno.EINVAL);
            ByteBuffer buf = ByteBuffer.allocate(max);
            session.read(f.caller, f.target().ino(), f.fh(), t.offset(), buf);
            return new Rread(t.tag(), buf.flip());
        }
    }

    private Reply write(Twrite t) throws FsException {
        try (var u = fids.use(t.fid())) {
            Fid f = u.fid;
            if (f.kind() == Fid.Kind.XATTR_WRITE) return new Rwrite(t.tag(), f.xattrWrite(t.offset(), t.data().duplicate()));
            if (f.kind() != Fid.Kind.FILE) throw new FsException(Errno.EBADF, "fid not open for writing");
            if (t.offset() < 0) throw FsException.of(Errno.EINVAL);
            int n = session.write(f.caller, f.target().ino(), f.fh(), t.offset(), t.data().duplicate(), 0);
            return new Rwrite(t.tag(), n);
        }
    }

    private Reply readdir(Treaddir t) throws FsException {
        try (var u = fids.use(t.fid())) {
            Fid f = u.fid;
            if (f.kind() != Fid.Kind.DIR) throw new FsException(Errno.EBADF, "fid not an open directory");
            int max = (int) Math.min(Integer.toUnsignedLong(t.count()), maxPayload());
            DirEntries out = new DirEntries(max);
            session.readdir(f.caller, f.target().ino(), f.fh(), t.offset(),
                    (name, ino, dtype, next) -> out.add(new DirEntry(Qids.ofDtype(dtype, ino), next, dtype, name)));
            return new Rreaddir(t.tag(), out.payload());
        }
    }

    private Reply fsync(Tfsync t) throws FsException {
        try (var u = fids.use(t.fid())) {
            Fid f = u.fid;
            switch (f.kind()) {
                case FILE -> session.fsync(f.caller, f.target().ino(), f.fh(), t.datasync() != 0);
                case DIR -> session.fsyncdir(f.caller, f.target().ino(), f.fh(), t.datasync() != 0);
                default -> throw new FsException(Errno.EBADF, "fid not open");
            }
            return new Rfsync(t.tag());
        }
    }

    /** Clunks the fid; a pending xattrcreate is applied first and its failure reported (the fid goes regardless). */
    private Reply clunk(Tclunk t) throws FsException {
        FsException failed = null;
        try (var u = fids.use(t.fid())) {
            Fid.XattrCommit x = u.fid.pendingXattr();
            if (x != null) {
                long ino = u.fid.target().ino();
                if (x.value().length == 0 && x.flags() != FileSystem.XATTR_CREATE) session.removexattr(u.fid.caller, ino, x.name());
                else session.setxattr(u.fid.caller, ino, x.name(), x.value(), x.flags());
            }
        } catch (FsException e) {
            if (e.errno() == Errno.EBADF) throw e; // unknown fid
            failed = e;
        }
        fids.clunk(t.fid());
        if (failed != null) throw failed;
        return new Rclunk(t.tag());
    }

    // ---- xattrs ----

    private Reply xattrwalk(Txattrwalk t) throws FsException {
        try (var u = fids.use(t.fid())) {
            Fid f = u.fid;
            if (t.newfid() != t.fid() && fids.inUse(t.newfid())) throw new FsException(Errno.EBADF, "newfid in use");
            if (t.newfid() == t.fid()) throw new FsException(Errno.EINVAL, "xattrwalk onto its own fid");
            long ino = f.target().ino();
            byte[] value;
            if (t.name().length == 0) {
                ByteArrayOutputStream names = new ByteArrayOutputStream();
                for (XattrName n : session.listxattr(f.caller, ino)) {
                    names.writeBytes(n.bytes());
                    names.write(0);
                }
                value = names.toByteArray();
            } else {
                value = session.getxattr(f.caller, ino, XattrName.of(t.name()));
            }
            session.retain(ino, 1);
            install(t.newfid(), Fid.xattrReader(f.caller, f.target(), value));
            return new Rxattrwalk(t.tag(), value.length);
        }
    }

    private Reply xattrcreate(Txattrcreate t) throws FsException {
        try (var u = fids.use(t.fid())) {
            if (t.attrSize() < 0 || t.attrSize() > XATTR_SIZE_MAX) throw FsException.of(Errno.E2BIG);
            int flags = t.flags();
            if ((flags & ~(FileSystem.XATTR_CREATE | FileSystem.XATTR_REPLACE)) != 0
                    || flags == (FileSystem.XATTR_CREATE | FileSystem.XATTR_REPLACE)) throw FsException.of(Errno.EINVAL);
            u.fid.startXattrWrite(XattrName.of(t.name()), (int) t.attrSize(), flags);
            return new Rxattrcreate(t.tag());
        }
    }

    // ---- locks ----

    /** A lock owner: one per (connection, client id, process). Collisions only merge two owners' locks. */
    private long owner(byte[] clientId, int procId) {
        return connectionId * 0x9E3779B97F4A7C15L ^ ((long) Arrays.hashCode(clientId) << 32) ^ Integer.toUnsignedLong(procId);
    }

    private static LockTable.Lock range(int type, long start, long length, int pid) throws FsException {
        if (start < 0 || length < 0) throw FsException.of(Errno.EINVAL);
        long end = length == 0 ? LockTable.OFFSET_MAX : start + length - 1;
        if (end < start) throw FsException.of(Errno.EOVERFLOW);
        return new LockTable.Lock(start, end, type, pid);
    }

    /**
     * POSIX byte-range locks, kept in the server-wide table (so clients of different connections
     * conflict). Never waits: a conflict answers LOCK_BLOCKED and the Linux client retries.
     */
    private Reply lock(Tlock t) throws FsException {
        try (var u = fids.use(t.fid())) {
            long ino = u.fid.target().ino();
            long owner = owner(t.clientId(), t.procId());
            try {
                locks.lock(ino, owner, false, range(t.lockType(), t.start(), t.length(), t.procId()));
            } catch (LockTable.LockException e) {
                return new Rlock(t.tag(), P9.LOCK_BLOCKED);
            }
            if (t.lockType() != P9.LOCK_TYPE_UNLCK) lockOwners.add(new LockKey(ino, owner));
            return new Rlock(t.tag(), P9.LOCK_SUCCESS);
        }
    }

    private Reply getlock(Tgetlock t) throws FsException {
        try (var u = fids.use(t.fid())) {
            long ino = u.fid.target().ino();
            LockTable.Lock want = range(t.lockType(), t.start(), t.length(), t.procId());
            LockTable.Lock held = locks.test(ino, owner(t.clientId(), t.procId()), false, want);
            if (held == null) return new Rgetlock(t.tag(), P9.LOCK_TYPE_UNLCK, t.start(), t.length(), t.procId(), t.clientId());
            long len = held.end() == LockTable.OFFSET_MAX ? 0 : held.end() - held.start() + 1;
            return new Rgetlock(t.tag(), held.type(), held.start(), len, held.pid(), new byte[0]);
        }
    }

    /** Drops every lock this connection's clients hold (disconnect). */
    void releaseLocks() {
        for (LockKey k : lockOwners) locks.releasePosix(k.ino(), k.owner());
        lockOwners.clear();
    }
}
