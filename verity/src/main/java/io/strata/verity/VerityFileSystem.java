package io.strata.verity;

import io.strata.core.Access;
import io.strata.core.Attr;
import io.strata.core.AttrReply;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.DirPlusSink;
import io.strata.core.DirSink;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import io.strata.core.ForwardingFileSystem;
import io.strata.core.FsException;
import io.strata.core.Invalidations;
import io.strata.core.Ioctl;
import io.strata.core.Name;
import io.strata.core.Opened;
import io.strata.core.Session;
import io.strata.core.SetAttr;
import io.strata.core.XattrName;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The verity stacker: fs-verity's semantics over any {@link FileSystem}. Ids pass through (1:1).
 * <ul>
 * <li>FS_IOC_ENABLE_VERITY builds the Merkle tree by reading the file through the layer below and
 *     stores tree and descriptor there ({@link VerityStore}); the file is read-only from then on
 *     (open for write, truncate, write: EPERM). FS_IOC_MEASURE_VERITY returns the file digest.
 *     getattr reports {@link Attr#ATTR_VERITY}.</li>
 * <li>Every read of a verity file goes through {@link VerifiedFile}: whole blocks are read below,
 *     hashed and compared with the verified tree before any byte is returned; a mismatch is EIO and
 *     a log line. No backing fd is ever passed up ({@link #passesBackingFds()} stays false), so the
 *     kernel cannot read a lower file around this layer.</li>
 * <li>The metadata is invisible: the hidden directory {@value VerityStore#DIR} in the lower root
 *     does not exist for lookup, walk, readdir, create, rename or unlink, and the xattr
 *     {@value VerityStore#XATTR} is neither listed, read nor writable.</li>
 * </ul>
 * <b>Locks</b> (order: {@link OpenFiles}'s monitor, then nothing; {@link VerifiedCache}'s monitor is
 * a separate leaf): neither is held across a lower call. The layer below is attached through its own
 * {@link Session}, closed by {@link #close()}.
 */
public final class VerityFileSystem extends ForwardingFileSystem {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger("io.strata.verity");
    public static final long DEFAULT_MAX_TREE_BYTES = 256L << 20, DEFAULT_CACHE_BYTES = 64L << 20;
    /** FS_VERITY_FL, reported by FS_IOC_GETFLAGS. */
    static final int FS_VERITY_FL = 0x00100000;

    private final Session layer;
    private final VerityStore store;
    private final OpenFiles files = new OpenFiles();
    private final VerifiedCache cache;
    /** The hidden directory exists below (so the root's link count shows one fewer). */
    private volatile boolean hiddenDirExists;
    /** The sealed layer's manifest, or null. */
    private final Manifest manifest;
    /**
     * With a manifest: the path each inode was reached by (lookups, readdirplus), so an open can be
     * checked against the manifest; the tree cannot change (the layer is read-only), so a path
     * once learnt stays true. Hard links: the last path learnt wins; both must match anyway.
     */
    private final java.util.concurrent.ConcurrentHashMap<Long, byte[]> paths = new java.util.concurrent.ConcurrentHashMap<>();

    /** Data changes below make verified blocks unverified again. */
    private final Invalidations.Subscription changes;

    public VerityFileSystem(FileSystem lower) {
        this(lower, DEFAULT_MAX_TREE_BYTES, DEFAULT_CACHE_BYTES);
    }

    /**
     * @param maxTreeBytes largest Merkle tree this stacker builds or loads (EFBIG / EIO beyond):
     *                     256 MiB covers 32 GiB files with SHA-256 and 4 KiB blocks
     * @param cacheBytes   memory for trees of files not open any more
     */
    public VerityFileSystem(FileSystem lower, long maxTreeBytes, long cacheBytes) {
        this(Session.attach(lower, "verity", null), maxTreeBytes, cacheBytes, null);
    }

    /**
     * A sealed layer: read-only, and a regular file opens only if it has verity and its digest is
     * the one {@code manifest} lists for the path it was reached by (EACCES and a log line
     * otherwise). Its reads are verified as always, so its bytes are pinned too.
     */
    public VerityFileSystem(FileSystem lower, Manifest manifest) {
        this(Session.attach(lower, "verity", null), DEFAULT_MAX_TREE_BYTES, DEFAULT_CACHE_BYTES, manifest);
    }

    private VerityFileSystem(Session layer, long maxTreeBytes, long cacheBytes, Manifest manifest) {
        super(layer);
        this.manifest = manifest;
        this.layer = layer;
        this.store = new VerityStore(layer, maxTreeBytes);
        this.cache = new VerifiedCache(cacheBytes);
        this.hiddenDirExists = store.hasDirectory();
        this.changes = layer.subscribe(new Invalidations() {
            @Override public void inode(long ino, long off, long len) {
                if (off < 0) return;
                VerifiedFile vf = files.verity(ino);
                if (vf != null) vf.forget(off, len);
                cache.changed(ino);
            }
            @Override public void entry(long parent, Name name) {}
            @Override public void delete(long parent, long child, Name name) {}
        });
    }

    /** Detaches from the layer below (forgets what this stacker still holds); does not close it. */
    @Override
    public void close() {
        changes.close();
        layer.close();
    }

    @Override
    public Set<Feature> features() {
        Set<Feature> f = super.features();
        f.add(Feature.VERITY);
        return f;
    }

    // ---- attributes ----

    /**
     * The layer's attributes as seen through this stacker. By SPI id, never {@code a.ino()}: a
     * backend may report a host inode number there.
     */
    private Attr decorate(long ino, Attr a) throws FsException {
        if (a == null) return null;
        if (ino == FileSystem.ROOT && a.isDirectory() && hiddenDirExists && a.nlink() > 2) {
            a = new Attr(a.ino(), a.mode(), a.nlink() - 1, a.uid(), a.gid(), a.rdev(), a.size(), a.blocks(), a.blksize(),
                    a.atimeNs(), a.mtimeNs(), a.ctimeNs(), a.btimeNs(), a.dataVersion(), a.attributes(), a.present());
        }
        if (a.isRegular() && isVerity(ino)) a = a.withAttributes(a.attributes() | Attr.ATTR_VERITY);
        return a;
    }

    private boolean isVerity(long ino) throws FsException {
        return files.verity(ino) != null || store.descriptor(ino) != null;
    }

    private Entry decorate(Entry e) throws FsException {
        if (e == null || e.isNegative()) return e;
        Attr a = decorate(e.ino(), e.attr());
        return a == e.attr() ? e : new Entry(e.ino(), e.generation(), a, e.entryTimeoutNs(), e.attrTimeoutNs());
    }

    /** Decorates an entry this call hands out; on failure drops the reference it carries. */
    private Entry handOut(Entry e) throws FsException {
        try {
            return decorate(e);
        } catch (FsException x) {
            lower.forget(e.ino(), 1);
            throw x;
        }
    }

    @Override
    public AttrReply getattr(Caller c, long ino, long fh) throws FsException {
        AttrReply r = lower.getattr(c, ino, fh);
        Attr a = decorate(ino, r.attr());
        return a == r.attr() ? r : new AttrReply(a, r.attrTimeoutNs());
    }

    @Override
    public AttrReply setattr(Caller c, long ino, SetAttr changes) throws FsException {
        sealedOnly();
        if (!changes.has(SetAttr.SIZE)) {
            AttrReply r = lower.setattr(c, ino, changes);
            return new AttrReply(decorate(ino, r.attr()), r.attrTimeoutNs());
        }
        // A truncate is a writer: it must not race with an enable (fs-verity: EPERM on verity files).
        long epoch;
        do {
            epoch = files.epoch();
            if (isVerity(ino)) throw new FsException(Errno.EPERM, "verity file");
        } while (!files.begin(ino, true, epoch));
        try {
            AttrReply r = lower.setattr(c, ino, changes);
            return new AttrReply(decorate(ino, r.attr()), r.attrTimeoutNs());
        } finally {
            files.end(ino, true);
        }
    }

    // ---- names: the hidden directory does not exist ----

    private static void refuseHidden(long parent, Name name) throws FsException {
        if (VerityStore.hides(parent, name)) throw new FsException(Errno.EPERM, "name reserved by the verity stacker");
    }

    private static void absentIfHidden(long parent, Name name) throws FsException {
        if (VerityStore.hides(parent, name)) throw FsException.of(Errno.ENOENT);
    }

    @Override
    public Entry lookup(Caller c, long parent, Name name) throws FsException {
        absentIfHidden(parent, name);
        Entry e = handOut(lower.lookup(c, parent, name));
        learn(parent, name, e);
        return e;
    }

    @Override
    public boolean readOnly() {
        return manifest != null || super.readOnly();
    }

    /**
     * Garbage collection of stored trees: removes every tree that none of {@code inUse} (the
     * descriptors of all verity files of the layer) names. Offline only: see {@link VerityStore#sweep}.
     */
    public int sweepTrees(java.util.Collection<VerityDescriptor> inUse) throws FsException {
        sealedOnly();
        java.util.Set<Name> keep = new java.util.HashSet<>();
        for (VerityDescriptor d : inUse) keep.add(VerityStore.treeName(d));
        return store.sweep(keep);
    }

    /** The descriptor of a verity file, or null for a file without verity. */
    public VerityDescriptor descriptor(long ino) throws FsException {
        VerifiedFile open = files.verity(ino);
        return open != null ? open.descriptor() : store.descriptor(ino);
    }

    private void learn(long parent, Name name, Entry e) {
        if (manifest == null || e == null || e.isNegative()) return;
        byte[] dir = parent == FileSystem.ROOT ? new byte[0] : paths.get(parent);
        if (dir == null) return; // reached some other way: an open of it is refused (no path known)
        byte[] p = java.util.Arrays.copyOf(dir, dir.length + 1 + name.length());
        p[dir.length] = '/';
        System.arraycopy(name.bytes(), 0, p, dir.length + 1, name.length());
        paths.put(e.ino(), p);
    }

    private void sealedOnly() throws FsException {
        if (manifest != null) throw new FsException(Errno.EROFS, "sealed layer");
    }

    /** With a manifest: the file must have verity and the digest the manifest lists for its path. */
    private void checkManifest(long ino) throws FsException {
        if (manifest == null) return;
        Attr a = lower.getattr(Caller.ROOT, ino, -1).attr();
        if (!a.isRegular()) return;
        byte[] path = paths.get(ino);
        String want = path == null ? null : manifest.digest(path);
        String where = path == null ? "inode " + ino : new String(path, java.nio.charset.StandardCharsets.UTF_8);
        if (want == null) {
            LOG.warning("verity: " + where + ": not in the manifest: refused");
            throw new FsException(Errno.EACCES, "not in the manifest");
        }
        VerityDescriptor d = descriptor(ino);
        if (d == null) {
            LOG.warning("verity: " + where + ": has no verity (the manifest lists " + want + "): refused");
            throw new FsException(Errno.EACCES, "no verity");
        }
        String got = Manifest.digestOf(d);
        if (!got.equals(want)) {
            LOG.warning("verity: " + where + ": digest " + got + " is not the manifest's " + want + ": refused");
            throw new FsException(Errno.EACCES, "digest differs from the manifest");
        }
    }

    /** One name at a time through {@link #lookup}, so ".." back to the root cannot reach the hidden directory. */
    @Override
    public List<Entry> walk(Caller c, long parent, List<Name> names) throws FsException {
        List<Entry> out = new ArrayList<>(names.size());
        long at = parent;
        for (Name n : names) {
            Entry e;
            try {
                e = lookup(c, at, n);
            } catch (FsException x) {
                if (out.isEmpty()) throw x;
                return out;
            }
            out.add(e);
            at = e.ino();
        }
        return out;
    }

    @Override
    public void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException {
        if (ino != FileSystem.ROOT) {
            lower.readdir(c, ino, fh, cookie, sink);
            return;
        }
        lower.readdir(c, ino, fh, cookie, (name, child, dtype, next) ->
                VerityStore.hides(ino, name) || sink.add(name, child, dtype, next));
    }

    /**
     * Lists a batch below first and decorates afterwards: looking at a child's xattr from inside
     * the layer's callback could meet the layer's directory lock (stacking rule 5). Entries the sink
     * refuses give their references back.
     */
    @Override
    public void readdirplus(Caller c, long ino, long fh, long cookie, DirPlusSink sink) throws FsException {
        record Listed(Name name, long ino, int dtype, long next, Entry entry) {}
        List<Listed> batch = new ArrayList<>();
        lower.readdirplus(c, ino, fh, cookie, (name, child, dtype, next, entry) -> {
            if (VerityStore.hides(ino, name)) {
                if (entry != null) lower.forget(entry.ino(), 1);
                return true;
            }
            batch.add(new Listed(name, child, dtype, next, entry));
            return batch.size() < 256;
        });
        int i = 0;
        try {
            for (; i < batch.size(); i++) {
                Listed l = batch.get(i);
                Entry e = l.entry;
                if (e != null) {
                    try {
                        e = decorate(e);
                    } catch (FsException x) {
                        // the attribute bit is advisory here; getattr reports the error
                    }
                }
                if (e != null) learn(ino, l.name, e);
                if (!sink.add(l.name, l.ino, l.dtype, l.next, e)) {
                    if (e != null) lower.forget(e.ino(), 1); // refused: it holds no reference
                    i++;
                    return;
                }
            }
        } finally {
            for (; i < batch.size(); i++) if (batch.get(i).entry != null) lower.forget(batch.get(i).entry.ino(), 1);
        }
    }

    @Override
    public Entry mknod(Caller c, long parent, Name name, int mode, int rdev, int umask) throws FsException {
        sealedOnly();
        refuseHidden(parent, name);
        return lower.mknod(c, parent, name, mode, rdev, umask);
    }

    @Override
    public Entry mkdir(Caller c, long parent, Name name, int mode, int umask) throws FsException {
        sealedOnly();
        refuseHidden(parent, name);
        return lower.mkdir(c, parent, name, mode, umask);
    }

    @Override
    public Entry symlink(Caller c, long parent, Name name, byte[] target) throws FsException {
        sealedOnly();
        refuseHidden(parent, name);
        return lower.symlink(c, parent, name, target);
    }

    @Override
    public Entry link(Caller c, long ino, long newParent, Name newName) throws FsException {
        sealedOnly();
        refuseHidden(newParent, newName);
        return handOut(lower.link(c, ino, newParent, newName));
    }

    @Override
    public void unlink(Caller c, long parent, Name name) throws FsException {
        sealedOnly();
        absentIfHidden(parent, name);
        lower.unlink(c, parent, name);
    }

    @Override
    public void rmdir(Caller c, long parent, Name name) throws FsException {
        sealedOnly();
        absentIfHidden(parent, name);
        lower.rmdir(c, parent, name);
    }

    @Override
    public void rename(Caller c, long parent, Name name, long newParent, Name newName, int flags) throws FsException {
        sealedOnly();
        absentIfHidden(parent, name);
        refuseHidden(newParent, newName);
        lower.rename(c, parent, name, newParent, newName, flags);
    }

    // ---- files ----

    @Override
    public Opened open(Caller c, long ino, int flags) throws FsException {
        boolean writer = OpenFiles.writes(flags);
        if (writer) sealedOnly();
        checkManifest(ino);
        VerityDescriptor d;
        long epoch;
        do {
            epoch = files.epoch();
            VerifiedFile open = files.verity(ino);
            d = open != null ? open.descriptor() : store.descriptor(ino);
            if (d != null && writer) throw new FsException(Errno.EPERM, "verity file");
        } while (!files.begin(ino, writer, epoch));
        boolean done = false;
        try {
            VerifiedFile vf = d == null ? null : verified(ino, d);
            Opened o = lower.open(c, ino, flags).withoutBacking();
            files.opened(ino, writer, o.fh(), flags, vf);
            done = true;
            return o;
        } finally {
            if (!done) files.end(ino, writer);
        }
    }

    /** The verified tree for {@code d}: open already, cached, or loaded and checked now. */
    private VerifiedFile verified(long ino, VerityDescriptor d) throws FsException {
        VerifiedFile vf = files.verity(ino);
        if (vf != null && vf.descriptor().equals(d)) return vf;
        vf = cache.get(ino, d);
        if (vf != null) return vf;
        vf = new VerifiedFile(ino, store.load(ino, d));
        cache.put(ino, vf);
        return vf;
    }

    @Override
    public Created create(Caller c, long parent, Name name, int mode, int flags, int umask) throws FsException {
        sealedOnly();
        refuseHidden(parent, name);
        // Without O_EXCL a backend may open an existing file (and truncate it): not a verity one.
        if ((flags & io.strata.core.OpenFlags.O_EXCL) == 0) {
            Entry e = null;
            try {
                e = lower.lookup(Caller.ROOT, parent, name);
            } catch (FsException absent) {
                // nothing there: an ordinary create
            }
            if (e != null) {
                try {
                    if (e.attr() != null && e.attr().isRegular() && isVerity(e.ino()))
                        throw new FsException(Errno.EPERM, "verity file");
                } finally {
                    lower.forget(e.ino(), 1);
                }
            }
        }
        Created r = lower.create(c, parent, name, mode, flags, umask);
        files.created(r.entry().ino(), r.opened().fh(), flags);
        return new Created(r.entry(), r.opened().withoutBacking());
    }

    @Override
    public Created tmpfile(Caller c, long parent, int mode, int flags, int umask) throws FsException {
        sealedOnly();
        Created r = lower.tmpfile(c, parent, mode, flags, umask);
        files.created(r.entry().ino(), r.opened().fh(), flags);
        return new Created(r.entry(), r.opened().withoutBacking());
    }

    @Override
    public void release(long ino, long fh, int flags) {
        lower.release(ino, fh, flags);
        files.released(ino, fh);
    }

    @Override
    public int read(Caller c, long ino, long fh, long offset, ByteBuffer dst) throws FsException {
        VerifiedFile vf = files.verity(ino);
        if (vf == null) return lower.read(c, ino, fh, offset, dst);
        return vf.read((off, buf) -> lower.read(c, ino, fh, off, buf), offset, dst);
    }

    private void refuseVerity(long ino) throws FsException {
        if (files.verity(ino) != null) throw new FsException(Errno.EPERM, "verity file");
    }

    @Override
    public int write(Caller c, long ino, long fh, long offset, ByteBuffer src, int writeFlags) throws FsException {
        refuseVerity(ino); // unreachable through open (no writable handle exists), kept as a guard
        return lower.write(c, ino, fh, offset, src, writeFlags);
    }

    @Override
    public void fallocate(Caller c, long ino, long fh, int mode, long offset, long length) throws FsException {
        refuseVerity(ino);
        lower.fallocate(c, ino, fh, mode, offset, length);
    }

    @Override
    public long copyFileRange(Caller c, long inoIn, long fhIn, long offIn, long inoOut, long fhOut, long offOut, long len,
                              int flags) throws FsException {
        // A verity source must be read through verification; let the frontend fall back to read+write.
        if (files.verity(inoIn) != null) throw FsException.of(Errno.EOPNOTSUPP);
        refuseVerity(inoOut);
        return lower.copyFileRange(c, inoIn, fhIn, offIn, inoOut, fhOut, offOut, len, flags);
    }

    // ---- ioctls ----

    @Override
    public Ioctl.Reply ioctl(Caller c, long ino, long fh, int cmd, byte[] in, int outSize) throws FsException {
        return switch (cmd) {
            case Ioctl.FS_IOC_ENABLE_VERITY -> enable(c, ino, fh, in);
            case Ioctl.FS_IOC_MEASURE_VERITY -> measure(ino, in, outSize);
            case Ioctl.FS_IOC_READ_VERITY_METADATA -> throw FsException.of(Errno.ENOTTY);
            case Ioctl.FS_IOC_GETFLAGS -> getflags(c, ino, fh, in, outSize);
            default -> lower.ioctl(c, ino, fh, cmd, in, outSize);
        };
    }

    /** FS_IOC_GETFLAGS: the layer's flags, with FS_VERITY_FL on a verity file (lsattr's 'V'). */
    private Ioctl.Reply getflags(Caller c, long ino, long fh, byte[] in, int outSize) throws FsException {
        if (!isVerity(ino)) return lower.ioctl(c, ino, fh, Ioctl.FS_IOC_GETFLAGS, in, outSize);
        byte[] out;
        try {
            Ioctl.Reply r = lower.ioctl(c, ino, fh, Ioctl.FS_IOC_GETFLAGS, in, outSize);
            out = r.out() == null || r.out().length < 4 ? java.util.Arrays.copyOf(r.out() == null ? new byte[0] : r.out(), 4) : r.out().clone();
        } catch (FsException e) {
            if (e.errno() != Errno.ENOTTY && e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.ENOSYS) throw e;
            out = new byte[4];
        }
        if (outSize < 4) throw FsException.of(Errno.EINVAL);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(0, ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).getInt(0) | FS_VERITY_FL);
        return new Ioctl.Reply(0, out);
    }

    /** FS_IOC_ENABLE_VERITY with fs/verity/enable.c's checks and errnos. */
    private Ioctl.Reply enable(Caller c, long ino, long fh, byte[] in) throws FsException {
        sealedOnly();
        // The descriptor lives in a user.* xattr below: without them the layer cannot hold verity.
        if (!lower.features().contains(Feature.USER_XATTRS))
            throw new FsException(Errno.EOPNOTSUPP, "the layer below stores no user.* xattrs");
        EnableArgument arg = EnableArgument.parse(in);
        Attr a = lower.getattr(c, ino, fh).attr();
        Access.check(c, a, Access.W); // the kernel wants write permission on the file...
        if ((a.attributes() & Attr.ATTR_APPEND) != 0) throw FsException.of(Errno.EPERM);
        if (a.isDirectory()) throw FsException.of(Errno.EISDIR);
        if (!a.isRegular()) throw FsException.of(Errno.EINVAL);
        int flags = files.flags(ino, fh);
        if (flags < 0 || !io.strata.core.OpenFlags.reads(flags)) // ...through a handle open for reading
            throw new FsException(Errno.EBADF, "handle not open for reading");
        if (readOnly()) throw FsException.of(Errno.EROFS);
        if (arg.sigSize() > 0) throw new FsException(Errno.EOPNOTSUPP, "builtin signatures are not supported");
        files.beginEnable(ino);
        VerifiedFile vf = null;
        try {
            if (store.descriptor(ino) != null) throw FsException.of(Errno.EEXIST);
            long size = lower.getattr(Caller.ROOT, ino, fh).attr().size(); // stable now: writers are shut out
            store.checkSize(arg.params(), size);
            MerkleTree tree;
            try {
                // Layers serve concurrent reads of one handle (FUSE workers do): hash in shards.
                tree = MerkleTree.build(arg.params(), size, DataSource.concurrent((off, buf) -> {
                    try {
                        return layer.read(Caller.ROOT, ino, fh, off, buf);
                    } catch (FsException e) {
                        throw new LowerFailure(e);
                    }
                }));
            } catch (LowerFailure e) {
                throw e.cause;
            } catch (IOException e) {
                throw new FsException(Errno.EIO, e.getMessage());
            }
            store.store(ino, tree);
            hiddenDirExists |= tree.treeLength() > 0;
            vf = new VerifiedFile(ino, tree);
            cache.put(ino, vf);
            return Ioctl.Reply.OK;
        } finally {
            files.endEnable(ino, vf);
        }
    }

    /** Carries a lower layer's FsException through {@link DataSource}'s IOException. */
    private static final class LowerFailure extends IOException {
        final FsException cause;

        LowerFailure(FsException cause) {
            super(cause.getMessage(), null);
            this.cause = cause;
        }
    }

    /** FS_IOC_MEASURE_VERITY: struct fsverity_digest {u16 algorithm; u16 size; u8 digest[]}, host (little) endian. */
    private Ioctl.Reply measure(long ino, byte[] in, int outSize) throws FsException {
        VerifiedFile open = files.verity(ino);
        VerityDescriptor d = open != null ? open.descriptor() : store.descriptor(ino);
        if (d == null) throw new FsException(Errno.ENODATA, "not a verity file");
        int room = outSize - 4;
        if (in != null && in.length >= 4) room = Math.min(room, (in[2] & 0xff) | (in[3] & 0xff) << 8);
        int size = d.params().algorithm().digestSize;
        if (room < size) throw FsException.of(Errno.EOVERFLOW);
        ByteBuffer out = ByteBuffer.allocate(4 + size).order(ByteOrder.LITTLE_ENDIAN);
        out.putShort((short) d.params().algorithm().id).putShort((short) size).put(d.digest());
        return new Ioctl.Reply(0, out.array());
    }

    // ---- xattrs: the descriptor's is not there ----

    private static boolean hidden(XattrName name) {
        return name.equals(VerityStore.XATTR_NAME);
    }

    @Override
    public void setxattr(Caller c, long ino, XattrName name, byte[] value, int flags) throws FsException {
        sealedOnly();
        if (hidden(name)) throw new FsException(Errno.EPERM, "xattr reserved by the verity stacker");
        lower.setxattr(c, ino, name, value, flags);
    }

    @Override
    public byte[] getxattr(Caller c, long ino, XattrName name) throws FsException {
        if (hidden(name)) throw FsException.of(Errno.ENODATA);
        return lower.getxattr(c, ino, name);
    }

    @Override
    public List<XattrName> listxattr(Caller c, long ino) throws FsException {
        List<XattrName> names = lower.listxattr(c, ino);
        if (!names.contains(VerityStore.XATTR_NAME)) return names;
        List<XattrName> out = new ArrayList<>(names);
        out.remove(VerityStore.XATTR_NAME);
        return out;
    }

    @Override
    public void removexattr(Caller c, long ino, XattrName name) throws FsException {
        sealedOnly();
        if (hidden(name)) throw new FsException(Errno.EPERM, "xattr reserved by the verity stacker");
        lower.removexattr(c, ino, name);
    }
}
