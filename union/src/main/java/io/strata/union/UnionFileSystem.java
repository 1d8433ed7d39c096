package io.strata.union;

import static io.strata.core.FileType.S_IFCHR;
import static io.strata.core.FileType.S_IFDIR;
import static io.strata.core.FileType.S_IFLNK;
import static io.strata.core.FileType.S_IFMT;
import static io.strata.core.FileType.S_IFREG;

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
import io.strata.core.InvalidationHub;
import io.strata.core.Invalidations;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.Session;
import io.strata.core.SetAttr;
import io.strata.core.StatFs;
import io.strata.core.XattrName;
import io.strata.core.inode.InodeTable;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The union stacker: N read-only lower layers and at most one writable upper layer, any Strata
 * file systems, in the kernel overlayfs on-disk format ({@link OverlayFormat}).
 *
 * <h2>Inodes</h2>
 * Every id handed out is a union node from the union's own {@link InodeTable}; layer ids never leak.
 * A node holds one lookup reference on each layer object it stands for (upper, lowers), taken
 * through the union's own {@link Session} on each layer file system and forgotten when the node is
 * freed (no lookups, no opens, no child node pinning it). Layer objects are mapped to nodes by a
 * registry keyed by (layer, layer id) of the node's upper object, else of its top lower object, so
 * two names of one object (hard links) are one node.
 *
 * <p>st_ino (xino-like): {@code layer << 56 | ino}, where ino is the layer's st_ino of the node's
 * <em>origin</em> (its top lower object, or the upper object if it has no lower) and layer is 0 for
 * the upper and 1.. for the lowers, top first. A copied-up object keeps the number of its lower
 * origin, also after the node is forgotten and looked up again (the lower object at the same path is
 * taken as the origin). Inode numbers of 2^56 and above are folded by xor and may collide.
 * One st_dev: whatever the frontend reports for the mount.
 *
 * <h2>redirect_dir</h2>
 * Renaming a lower or merged directory copies up the directory itself, sets {@code <ns>redirect}
 * (its old name within one parent, else the absolute lower path; see {@link #redirectFor}) and
 * renames it in the upper; {@link #resolve} follows redirects in every layer. Modes: {@link RedirectMode}.
 *
 * <h2>Permissions</h2>
 * The union checks every request with {@link Access} against the union attributes (the upper's,
 * else the top lower's) and the real caller, then calls the layers as the mounter
 * ({@link UnionOptions#mounter()}, root by default). Objects the union creates are made in the work
 * dir under a temporary name, chowned to the caller (or kept as the copied object's owner) and
 * chmodded there, and only then renamed into place, so no object ever appears with the mounter's
 * owner or a half-copied content.
 *
 * <h2>Lock order</h2>
 * <ol>
 * <li>{@link UnionNode#copy} of the node being copied up: taken with no other union lock held (the
 * parents are copied up first, each on its own), held across the data copy;</li>
 * <li>the topology lock (every rename; keeps depths stable, like the kernel's s_vfs_rename_mutex);</li>
 * <li>directory {@link UnionNode#ns} locks: parent before child; the two directories of a rename
 * in (depth, union ino) order, so an ancestor always comes before its descendants; then the
 * replaced directory of a rename / the removed directory of an rmdir (a child of a locked one);</li>
 * <li>innermost: the node registry's monitor and the InodeTable's (no calls out while held).</li>
 * </ol>
 * Layer calls are made under 1-3, never under 4. Copy-ups never start while a directory lock is
 * held: every operation copies up what it needs before it locks. Invalidations arriving from a
 * layer (on the layer's thread) take no union lock: ids are translated through a concurrent map.
 *
 * <h2>Not in this slice</h2>
 * Copy modes other than transparent are refused at open; hard links of lower files become separate inodes after a
 * copy-up. See union/NOTES.md.
 */
public final class UnionFileSystem implements FileSystem {
    private static final int RENAME_RETRIES = 16;

    private final UnionOptions options;
    private final Map<FileSystem, Session> sessions = new IdentityHashMap<>();
    private final Layer upper;      // null: read-only union
    private final Layer work;       // the work dir (same session as upper)
    private final WorkDir workDir;  // workdir/work, where temporaries are made (as the kernel does)
    private final long workSub;     // its id in the upper's file system
    private final Copier copier;
    private final MergedListing listing;
    private final List<Layer> lowers;
    private final OverlayFormat format;
    private final CachePolicy policy;
    private final Set<Feature> features;
    private final InodeTable<UnionNode> table = new InodeTable<>();
    private final Map<LayerRef.Key, UnionNode> registry = new HashMap<>(); // guarded by itself
    /** Every layer object a live node holds, for translating the layers' invalidations (lock-free). */
    private final ConcurrentHashMap<LayerRef.Key, UnionNode> byLayer = new ConcurrentHashMap<>();
    private final InvalidationHub hub = new InvalidationHub();
    private final List<Invalidations.Subscription> layerSubscriptions = new ArrayList<>();
    private final UnionNode root;
    private final ConcurrentHashMap<Long, OpenFile> files = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, DirHandle> dirs = new ConcurrentHashMap<>();
    private final AtomicLong nextFh = new AtomicLong(1);
    private final ReentrantLock topology = new ReentrantLock();
    /** Set once the upper refused a 0/0 device: whiteouts are made in the xattr form from then on. */
    private volatile boolean xattrWhiteouts;
    private volatile boolean closed;

    private UnionFileSystem(UnionOptions o) throws FsException {
        this.options = o;
        this.format = new OverlayFormat(o.xattrs());
        this.policy = CachePolicy.of(o.cache());
        Caller as = o.mounter();
        List<Layer> ls = new ArrayList<>();
        for (int i = 0; i < o.lowers().size(); i++) {
            UnionLayer l = o.lowers().get(i);
            ls.add(new Layer(i + 1, session(l.fs()), l.rootIno(), as));
        }
        this.lowers = List.copyOf(ls);
        if (o.upper() != null) {
            upper = new Layer(0, session(o.upper().fs()), o.upper().rootIno(), as);
            work = new Layer(-1, upper.fs, o.work().rootIno(), as);
        } else {
            upper = work = null;
        }
        try {
            workDir = upper != null ? WorkDir.prepare(work) : null;
            workSub = upper != null ? workDir.ino() : 0;
            copier = upper != null ? new Copier(upper, workDir, format) : null;
            listing = new MergedListing(upper, work == null ? 0 : work.root, workSub, format);
            root = makeRoot();
        } catch (FsException | RuntimeException e) {
            for (Session s : sessions.values()) s.close();
            throw e;
        }
        this.features = computeFeatures();
        subscribeToLayers();
    }

    /**
     * Changes a layer learns of (a host edit under a passthrough layer) reach the union's
     * subscribers with the layer ids translated to union ids; ids of objects no live node holds
     * are dropped (nobody can have them cached).
     */
    private void subscribeToLayers() {
        for (Session s : sessions.values()) {
            List<Layer> ls = new ArrayList<>();
            for (Layer l : allLayers()) if (l.fs == s) ls.add(l);
            layerSubscriptions.add(s.subscribe(Invalidations.translated(hub, ino -> {
                for (Layer l : ls) {
                    UnionNode n = byLayer.get(new LayerRef.Key(l.index, ino));
                    if (n != null) return n.ino();
                }
                return 0;
            })));
        }
    }

    @Override
    public Invalidations.Subscription subscribe(Invalidations sink) {
        return hub.subscribe(sink);
    }

    private void track(UnionNode n, LayerRef r) {
        if (r != null) byLayer.put(r.key(), n);
    }

    /**
     * Opens a union. The layers' file systems stay owned by the caller: close the union first,
     * then them. Throws IllegalArgumentException for options this slice does not implement
     * (copy modes other than transparent) and FsException if a layer root is not a directory.
     */
    public static UnionFileSystem open(UnionOptions options) throws FsException {
        if (options.copyMode() != CopyMode.TRANSPARENT) {
            throw new IllegalArgumentException("copymode=" + options.copyMode().name().toLowerCase()
                    + " is not implemented yet (only transparent)");
        }
        return new UnionFileSystem(options);
    }

    public UnionOptions options() {
        return options;
    }

    private Session session(FileSystem fs) {
        return sessions.computeIfAbsent(fs, f -> Session.attach(f, "union", null));
    }

    private UnionNode makeRoot() throws FsException {
        List<LayerRef> ls = new ArrayList<>();
        LayerRef up = null;
        boolean opaque = false;
        if (upper != null) {
            upper.fs.retain(upper.root, 1);
            byte[] op = upper.xattr(upper.root, format.opaque);
            up = new LayerRef(upper, upper.root, OverlayFormat.isX(op));
            opaque = OverlayFormat.isY(op);
            if (!upper.attr(upper.root).isDirectory()) throw new FsException(Errno.ENOTDIR, "upper root");
        }
        for (Layer l : lowers) {
            if (opaque) break;
            if (!l.attr(l.root).isDirectory()) throw new FsException(Errno.ENOTDIR, "lower root " + l);
            l.fs.retain(l.root, 1);
            byte[] op = l.xattr(l.root, format.opaque);
            ls.add(new LayerRef(l, l.root, OverlayFormat.isX(op)));
            opaque = OverlayFormat.isY(op) || l.find(l.root, OverlayFormat.OCI_OPAQUE) instanceof Entry m && forgot(l, m);
        }
        LayerRef origin = up != null ? up : ls.get(0);
        long st = xino(origin.layer().index, origin.layer().attr(origin.ino()).ino());
        LayerRef fu = up;
        UnionNode r;
        synchronized (registry) {
            r = table.allocate((id, gen) -> new UnionNode(id, gen, S_IFDIR, st, fu, ls, null, true));
            registry.put(fu != null ? fu.key() : ls.get(0).key(), r);
            track(r, fu);
            for (LayerRef l : ls) track(r, l);
        }
        if (r.ino() != ROOT) throw new IllegalStateException("root must be inode " + ROOT);
        return r;
    }

    /** Forgets {@code e} and answers true (for expressions that only test for existence). */
    private static boolean forgot(Layer l, Entry e) {
        l.forget(e.ino());
        return true;
    }

    private Set<Feature> computeFeatures() {
        Set<Feature> f = EnumSet.of(Feature.PERMISSIONS, Feature.READDIRPLUS);
        Layer top = upper != null ? upper : lowers.get(0);
        for (Feature x : List.of(Feature.HARD_LINKS, Feature.SYMLINKS, Feature.DEVICE_NODES, Feature.USER_XATTRS,
                Feature.TRUSTED_XATTRS, Feature.SECURITY_XATTRS, Feature.FALLOCATE, Feature.PUNCH_HOLE)) {
            if (top.has(x)) f.add(x);
        }
        if (upper != null) f.add(Feature.RENAME_NOREPLACE); // decided by the union under its own locks
        boolean seek = true;
        for (Layer l : allLayers()) seek &= l.has(Feature.SEEK_DATA);
        if (seek) f.add(Feature.SEEK_DATA);
        return Collections.unmodifiableSet(f);
    }

    private List<Layer> allLayers() {
        List<Layer> all = new ArrayList<>();
        if (upper != null) all.add(upper);
        all.addAll(lowers);
        return all;
    }

    // ---- ownership, capabilities ----

    /** Detaches from every layer (forgetting every reference the union holds). Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (OpenFile h : files.values()) h.layer().fs.release(h.layerIno(), h.layerFh(), h.flags());
        files.clear();
        dirs.clear();
        for (Invalidations.Subscription sub : layerSubscriptions) sub.close();
        for (Session s : sessions.values()) s.close();
    }

    @Override
    public Set<Feature> features() {
        return features;
    }

    @Override
    public CachePolicy cachePolicy() {
        return policy;
    }

    @Override
    public boolean readOnly() {
        return upper == null;
    }

    private void requireWritable() throws FsException {
        if (upper == null) throw FsException.of(Errno.EROFS);
    }

    // ---- nodes ----

    static long xino(int layer, long ino) {
        long tag = (long) layer << 56;
        return (ino >>> 56) == 0 ? tag | ino : ino ^ tag;
    }

    private UnionNode node(long ino) throws FsException {
        if (closed) throw FsException.of(Errno.ENOTCONN);
        return table.require(ino);
    }

    private UnionNode dirNode(long ino) throws FsException {
        UnionNode n = node(ino);
        if (!n.isDir()) throw FsException.of(Errno.ENOTDIR);
        return n;
    }

    private Attr attrOf(UnionNode n) throws FsException {
        LayerRef t = n.top();
        if (t == null) throw FsException.of(Errno.ESTALE);
        Attr a = t.layer().attr(t.ino());
        if (n.removed && n.upper == null) {
            a = new Attr(a.ino(), a.mode(), 0, a.uid(), a.gid(), a.rdev(), a.size(), a.blocks(), a.blksize(),
                    a.atimeNs(), a.mtimeNs(), a.ctimeNs(), a.btimeNs(), a.dataVersion(), a.attributes(), a.present());
        }
        return a.withIno(n.stIno);
    }

    private Entry entryOf(UnionNode n) throws FsException {
        try {
            return policy.entry(n.ino(), n.generation(), attrOf(n));
        } catch (FsException e) {
            forget(n.ino(), 1);
            throw e;
        }
    }

    private UnionNode parentOf(UnionNode n) {
        if (n.isRoot) return n;
        Place p = n.place;
        return p == null ? null : p.parent();
    }

    /** Adds a lookup reference to a node known to be live. */
    private void ref(UnionNode n) throws FsException {
        synchronized (registry) {
            if (table.get(n.ino()) != n) throw FsException.of(Errno.ESTALE);
            n.addLookups(1);
        }
    }

    /** What a name resolves to in a directory; the caller owns the layer references in it. */
    private record Resolved(LayerRef upper, List<LayerRef> lowers, Attr attr, long stIno, byte[] redirect) {
        void release() {
            if (upper != null) upper.layer().forget(upper.ino());
            for (LayerRef l : lowers) l.layer().forget(l.ino());
        }
    }

    /**
     * Resolves {@code name} in directory {@code dir}; null if absent or whited out. The caller holds
     * {@code dir.ns} (read or write). Upper wins; a whiteout hides; an opaque directory stops the
     * descent; a non-directory hides directories below it; a directory merges with the directories
     * below it. A non-directory upper object takes the first same-typed lower object below as its
     * origin (for st_ino).
     */
    private Resolved resolve(UnionNode dir, Name name) throws FsException {
        LayerRef up = null;
        List<LayerRef> lows = new ArrayList<>();
        Attr top = null;
        long st = 0;
        boolean done = false;
        byte[] redirect = null; // the upper directory's redirect xattr, if any
        try {
            LayerRef du = dir.upper;
            if (du != null) {
                Layer u = du.layer();
                Entry e = u.find(du.ino(), name);
                if (e != null && (e.ino() == work.root || e.ino() == workSub)) {
                    u.forget(e.ino()); // the work dir is never part of the union
                    e = null;
                }
                if (e != null) {
                    if (format.isWhiteout(u, e.ino(), e.attr(), du.xattrWhiteouts())) {
                        u.forget(e.ino());
                        return null;
                    }
                    top = e.attr();
                    st = xino(0, top.ino());
                    boolean x = false;
                    if (top.isDirectory()) {
                        byte[] op = u.xattr(e.ino(), format.opaque);
                        done = OverlayFormat.isY(op);
                        x = OverlayFormat.isX(op);
                    }
                    up = new LayerRef(u, e.ino(), x);
                }
            }
            // The lower search, as the kernel's ovl_lookup_data: a name in dir's lower directories,
            // or (after an absolute redirect) a path from every lower layer's root. A redirect found
            // on a directory rewrites it for the layers below.
            List<Name> path = List.of(name);
            boolean absolute = false;
            boolean redirected = false;
            if (up != null && top.isDirectory() && !done) {
                byte[] rd = up.layer().xattr(up.ino(), format.redirect);
                if (rd != null) {
                    Redirect r = Redirect.parse(rd);
                    path = r.path();
                    absolute = r.absolute();
                    redirected = true;
                    redirect = rd;
                }
            }
            boolean stop = done || OverlayFormat.isOciName(name); // .wh.* names of lower layers are format, not files
            for (Layer l : lowers) {
                if (stop) break;
                long base;
                boolean baseX;
                if (absolute) {
                    base = l.root;
                    baseX = rootX(l);
                } else {
                    LayerRef dl = refIn(dir.lowers, l);
                    if (dl == null) continue;
                    base = dl.ino();
                    baseX = dl.xattrWhiteouts();
                }
                if (redirected && !options.redirects().follows()) {
                    throw new FsException(Errno.EPERM, "refusing to follow redirect (redirect_dir=nofollow)");
                }
                List<Name> next = new ArrayList<>(path.size());
                boolean nextAbsolute = absolute;
                Entry held = null; // the intermediate directory walked through (absolute paths)
                try {
                    for (int i = 0; i < path.size(); i++) {
                        Name comp = path.get(i);
                        boolean last = i == path.size() - 1;
                        boolean wantDir = !last || top == null || top.isDirectory();
                        Step sp = step(l, base, baseX, comp, wantDir);
                        if (!last) {
                            if (sp.whiteout()) {
                                stop = true;
                                break;
                            }
                            if (sp.entry() == null) {
                                next.addAll(path.subList(i, path.size()));
                                break;
                            }
                            if (!sp.entry().attr().isDirectory()) {
                                l.forget(sp.entry().ino());
                                stop = true;
                                break;
                            }
                            if (held != null) l.forget(held.ino());
                            held = sp.entry();
                            base = held.ino();
                            baseX = sp.x();
                            next.add(comp);
                            if (sp.opaque()) {
                                stop = true; // this layer's walk goes on; the layers below are hidden
                            } else {
                                byte[] rd = l.xattr(held.ino(), format.redirect);
                                if (rd != null) {
                                    redirected = true;
                                    Redirect r = Redirect.parse(rd);
                                    if (r.absolute()) {
                                        next = new ArrayList<>(r.path());
                                        nextAbsolute = true;
                                        stop = false; // the kernel: an absolute redirect below an opaque one continues
                                    } else {
                                        next.set(next.size() - 1, r.path().get(0));
                                    }
                                }
                            }
                            continue;
                        }
                        // the last component: the object itself
                        next.add(comp);
                        if (sp.whiteout()) {
                            stop = true;
                            break;
                        }
                        Entry e = sp.entry();
                        if (e == null) break;
                        Attr a = e.attr();
                        if (top != null && !top.isDirectory()) {
                            // a non-directory upper: the same-typed lower object below is its origin
                            if (a.type() == top.type()) {
                                lows.add(new LayerRef(l, e.ino(), false));
                                st = xino(l.index, a.ino());
                            } else {
                                l.forget(e.ino());
                            }
                            stop = true;
                            break;
                        }
                        if (top != null && !a.isDirectory()) {
                            l.forget(e.ino()); // a non-directory below a directory ends the merge
                            stop = true;
                            break;
                        }
                        lows.add(new LayerRef(l, e.ino(), sp.x()));
                        if (lows.size() == 1) st = xino(l.index, a.ino());
                        if (top == null) top = a;
                        if (!a.isDirectory() || sp.opaque()) {
                            stop = true;
                            break;
                        }
                        byte[] rd = l.xattr(e.ino(), format.redirect);
                        if (rd != null) {
                            redirected = true;
                            Redirect r = Redirect.parse(rd);
                            if (r.absolute()) {
                                next = new ArrayList<>(r.path());
                                nextAbsolute = true;
                                stop = false;
                            } else {
                                next.set(next.size() - 1, r.path().get(0));
                            }
                        }
                    }
                } finally {
                    if (held != null) l.forget(held.ino());
                }
                path = next;
                absolute = nextAbsolute;
            }
        } catch (FsException | RuntimeException x) {
            new Resolved(up, lows, top, st, null).release();
            throw x;
        }
        if (top == null) return null;
        return new Resolved(up, lows, top, st, redirect);
    }

    /** One name looked up in one lower directory: absent (entry null), whited out, or found. */
    private record Step(Entry entry, boolean whiteout, boolean opaque, boolean x) {
        static final Step ABSENT = new Step(null, false, false, false);
        static final Step WHITEOUT = new Step(null, true, false, false);
    }

    /**
     * Looks {@code n} up in directory {@code dirIno} of lower {@code l}, applying char/xattr
     * whiteouts and OCI {@code .wh.} markers; {@code dirInfo}: for a directory, read whether it
     * is opaque (xattr "y" or OCI {@code .wh..wh..opq}) or marked "x". The caller owns the entry.
     */
    private Step step(Layer l, long dirIno, boolean dirX, Name n, boolean dirInfo) throws FsException {
        Name wh = OverlayFormat.ociWhiteoutFor(n);
        if (wh != null) {
            Entry w = l.find(dirIno, wh);
            if (w != null) {
                l.forget(w.ino());
                return Step.WHITEOUT;
            }
        }
        Entry e = l.find(dirIno, n);
        if (e == null) return Step.ABSENT;
        boolean opaque = false, x = false;
        try {
            if (format.isWhiteout(l, e.ino(), e.attr(), dirX)) {
                l.forget(e.ino());
                return Step.WHITEOUT;
            }
            if (dirInfo && e.attr().isDirectory()) {
                byte[] op = l.xattr(e.ino(), format.opaque);
                x = OverlayFormat.isX(op);
                opaque = OverlayFormat.isY(op);
                if (!opaque) {
                    Entry m = l.find(e.ino(), OverlayFormat.OCI_OPAQUE);
                    if (m != null) opaque = forgot(l, m);
                }
            }
        } catch (FsException | RuntimeException ex) {
            l.forget(e.ino());
            throw ex;
        }
        return new Step(e, false, opaque, x);
    }

    /** The merged directory of {@code dirs} that lives in layer {@code l}, or null. */
    private static LayerRef refIn(List<LayerRef> dirs, Layer l) {
        for (LayerRef r : dirs) if (r.layer() == l) return r;
        return null;
    }

    /** Whether lower {@code l}'s root is marked "x" (may hold xattr whiteouts). */
    private boolean rootX(Layer l) {
        LayerRef r = refIn(root.lowers, l);
        return r != null && r.xattrWhiteouts();
    }

    /**
     * The node for a resolved name: the existing one for that layer object (dropping the new
     * layer references) or a new one. Adds one lookup reference to it.
     */
    private UnionNode obtain(UnionNode parent, Name name, Resolved r) {
        boolean extra;
        UnionNode n;
        UnionNode unpin = null;
        synchronized (registry) {
            LayerRef.Key key = r.upper != null ? r.upper.key() : r.lowers.get(0).key();
            n = registry.get(key);
            if (n != null && n.type == r.attr.type()) {
                extra = true;
                if (n.place == null) {
                    n.place = new Place(parent, name);
                    parent.pins.incrementAndGet();
                    n.removed = false;
                }
            } else {
                extra = false;
                try {
                    n = table.allocate((id, gen) -> new UnionNode(id, gen, r.attr.type(), r.stIno, r.upper, r.lowers,
                            new Place(parent, name), false));
                } catch (FsException e) {
                    throw new IllegalStateException(e);
                }
                n.redirect = r.redirect;
                parent.pins.incrementAndGet();
                registry.put(key, n);
                track(n, r.upper);
                for (LayerRef l : r.lowers) track(n, l);
            }
            n.addLookups(1);
        }
        if (extra) r.release();
        return n;
    }

    /** A node for an object the union just made in the upper (no lower origin). */
    private UnionNode adopt(UnionNode parent, Name name, long upperIno, Attr a) {
        Resolved r = new Resolved(new LayerRef(upper, upperIno, false), List.of(), a, xino(0, a.ino()), null);
        return obtain(parent, name, r);
    }

    /** Moves a node to a new place (null: removed), keeping the parents' pins right. */
    private void setPlace(UnionNode n, Place p) {
        UnionNode old;
        synchronized (registry) {
            Place was = n.place;
            n.place = p;
            if (p != null) p.parent().pins.incrementAndGet();
            old = was == null ? null : was.parent();
            if (old != null) old.pins.decrementAndGet();
        }
        if (old != null) maybeFree(old);
    }

    /** Frees {@code n} if nothing uses it, forgetting its layer references; then its parent. */
    private void maybeFree(UnionNode n) {
        while (n != null) {
            List<LayerRef> refs = new ArrayList<>();
            UnionNode parent = null;
            synchronized (registry) {
                if (!n.unused() || !table.free(n)) return;
                LayerRef u = n.upper;
                if (u != null) {
                    registry.remove(u.key(), n);
                    byLayer.remove(u.key(), n);
                    refs.add(u);
                }
                for (LayerRef l : n.lowers) {
                    registry.remove(l.key(), n);
                    byLayer.remove(l.key(), n);
                    refs.add(l);
                }
                Place p = n.place;
                if (p != null) {
                    parent = p.parent();
                    n.place = null;
                    parent.pins.decrementAndGet();
                }
            }
            if (!closed) for (LayerRef r : refs) r.layer().forget(r.ino());
            n = parent;
        }
    }

    // ---- names and attributes ----

    @Override
    public Entry lookup(Caller c, long parent, Name name) throws FsException {
        UnionNode p = dirNode(parent);
        Access.checkLookup(c, attrOf(p));
        if (name.isDot()) {
            ref(p);
            return entryOf(p);
        }
        if (name.isDotDot()) {
            UnionNode q = parentOf(p);
            if (q == null) throw FsException.of(Errno.ENOENT);
            ref(q);
            return entryOf(q);
        }
        return entryOf(child(p, name));
    }

    /** The node for {@code name} in {@code p}, with one lookup reference; ENOENT if absent. */
    private UnionNode child(UnionNode p, Name name) throws FsException {
        p.ns.readLock().lock();
        try {
            return childLocked(p, name);
        } finally {
            p.ns.readLock().unlock();
        }
    }

    private UnionNode childLocked(UnionNode p, Name name) throws FsException {
        Resolved r = resolve(p, name);
        if (r == null) throw FsException.of(Errno.ENOENT);
        return obtain(p, name, r);
    }

    private UnionNode childOrNull(UnionNode p, Name name) throws FsException {
        Resolved r = resolve(p, name);
        return r == null ? null : obtain(p, name, r);
    }

    @Override
    public void forget(long ino, long nlookup) {
        UnionNode n = table.get(ino);
        if (n == null || n.isRoot) return;
        n.dropLookups(nlookup);
        maybeFree(n);
    }

    @Override
    public void retain(long ino, long n) throws FsException {
        UnionNode node = node(ino);
        synchronized (registry) {
            if (table.get(ino) != node) throw FsException.of(Errno.ESTALE);
            node.addLookups(n);
        }
    }

    @Override
    public AttrReply getattr(Caller c, long ino, long fh) throws FsException {
        return policy.attr(attrOf(node(ino)));
    }

    /** The time bits of a SETATTR (what the writeback cache sends on its own). */
    private static final int TIMES = SetAttr.ATIME | SetAttr.MTIME | SetAttr.ATIME_NOW | SetAttr.MTIME_NOW | SetAttr.CTIME
            | SetAttr.MTIME_CACHED;

    @Override
    public AttrReply setattr(Caller c, long ino, SetAttr changes) throws FsException {
        UnionNode n = node(ino);
        requireWritable();
        Attr a = attrOf(n);
        SetAttr ch = Access.checkSetattr(c, a, changes);
        long layerFh = -1;
        if (changes.fh() >= 0 && ch.has(SetAttr.SIZE)) {
            OpenFile h = files.get(changes.fh());
            if (h == null || h.node() != n) throw FsException.of(Errno.EBADF);
            if (!OpenFlags.writes(h.flags())) throw FsException.of(Errno.EINVAL);
            layerFh = h.layerFh();
        }
        if (n.upper == null && n.place == null && (ch.valid() & ~TIMES) == 0) {
            // A lower object whose last name was removed cannot be copied up (no name to put it
            // under), and nobody can see it change. The kernel's writeback cache still flushes the
            // cached times of such an inode after the unlink; failing that would surface as an
            // error of syncfs, so a time-only change of an orphan is accepted and dropped.
            return policy.attr(a);
        }
        copyUp(n, !(ch.has(SetAttr.SIZE) && ch.size() == 0));
        LayerRef u = n.upper;
        upper.fs.setattr(upper.as, u.ino(), ch.withFh(layerFh));
        return policy.attr(attrOf(n));
    }

    @Override
    public byte[] readlink(Caller c, long ino) throws FsException {
        UnionNode n = node(ino);
        if (n.type != S_IFLNK) throw FsException.of(Errno.EINVAL);
        LayerRef t = n.top();
        return t.layer().fs.readlink(t.layer().as, t.ino());
    }

    // ---- copy-up ----

    /**
     * Gives {@code n} an upper object: parents first (each on its own, with no lock of ours held),
     * then the object itself, made in the work dir under a temporary name with its data, xattrs,
     * owner, mode and times, and renamed into place under the parent's namespace lock. A crash
     * leaves at most a temporary in workdir/work (cleaned at the next open), never a half file.
     * {@code withData} false: the caller truncates to zero right after (O_TRUNC), skip the data.
     */
    void copyUp(UnionNode n, boolean withData) throws FsException {
        if (n.upper != null) return;
        requireWritable();
        Place first = n.place;
        if (first == null) throw FsException.of(Errno.ENOENT); // removed meanwhile
        copyUp(first.parent(), true);
        n.copy.lock();
        try {
            if (n.upper != null) return;
            LayerRef src = n.lowers.get(0);
            Attr a = src.layer().attr(src.ino());
            Name tmp = workDir.tempName();
            Entry made = copier.copy(src, a, tmp, withData);
            boolean installed = false;
            try {
                while (true) {
                    Place pl = n.place;
                    if (pl == null) throw FsException.of(Errno.ENOENT);
                    UnionNode parent = pl.parent();
                    parent.ns.writeLock().lock();
                    try {
                        if (n.place != pl) continue;
                        upper.fs.rename(upper.as, workSub, tmp, parent.upper.ino(), pl.name(), 0);
                        installed = true;
                        synchronized (registry) {
                            LayerRef u = new LayerRef(upper, made.ino(), false);
                            n.upper = u;
                            registry.remove(src.key(), n);
                            registry.put(u.key(), n);
                            track(n, u);
                        }
                        return;
                    } finally {
                        parent.ns.writeLock().unlock();
                    }
                }
            } finally {
                if (!installed) {
                    workDir.discard(tmp, a.isDirectory());
                    upper.forget(made.ino());
                }
            }
        } finally {
            n.copy.unlock();
        }
    }

    // ---- whiteouts ----

    /**
     * A whiteout in the work dir, ready to be renamed into place: a 0/0 character device, or where
     * the upper refuses one, a zero-size file with the whiteout xattr (its new directory is then
     * marked opaque="x" by {@link #placeWhiteout}).
     */
    private Entry whiteoutInWork(Name tmp) throws FsException {
        if (!xattrWhiteouts) {
            try {
                return upper.fs.mknod(upper.as, workSub, tmp, S_IFCHR, 0, 0);
            } catch (FsException e) {
                if (e.errno() != Errno.EPERM && e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EINVAL
                        && e.errno() != Errno.ENOSYS) throw e;
                xattrWhiteouts = true;
            }
        }
        Created cr = upper.fs.create(upper.as, workSub, tmp, S_IFREG, OpenFlags.O_WRONLY | OpenFlags.O_EXCL, 0);
        upper.fs.release(cr.entry().ino(), cr.opened().fh(), OpenFlags.O_WRONLY);
        try {
            upper.fs.setxattr(upper.as, cr.entry().ino(), format.whiteout, "y".getBytes(), 0);
        } catch (FsException e) {
            workDir.discard(tmp, false);
            upper.forget(cr.entry().ino());
            throw e;
        }
        return cr.entry();
    }

    /** Marks {@code dir}'s upper "may hold xattr whiteouts" unless it is opaque already. */
    private void markXattrWhiteouts(UnionNode dir) throws FsException {
        LayerRef u = dir.upper;
        if (u.xattrWhiteouts()) return;
        byte[] op = upper.xattr(u.ino(), format.opaque);
        if (!OverlayFormat.isY(op)) upper.fs.setxattr(upper.as, u.ino(), format.opaque, "x".getBytes(), 0);
        dir.upper = new LayerRef(u.layer(), u.ino(), true);
    }

    /**
     * Replaces whatever non-directory (or nothing) the upper has at {@code name} with a whiteout,
     * atomically: made in the work dir, renamed over. Caller holds {@code dir.ns} for writing.
     */
    private void placeWhiteout(UnionNode dir, Name name) throws FsException {
        Name tmp = workDir.tempName();
        Entry wh = whiteoutInWork(tmp);
        try {
            if (!Layer.isCharWhiteout(wh.attr())) markXattrWhiteouts(dir);
            upper.fs.rename(upper.as, workSub, tmp, dir.upper.ino(), name, 0);
        } catch (FsException e) {
            workDir.discard(tmp, false);
            throw e;
        } finally {
            upper.forget(wh.ino());
        }
    }

    /** Does any lower layer of {@code dir} have an entry (of any kind) named {@code name}? */
    private boolean lowerHasAny(UnionNode dir, Name name) throws FsException {
        for (LayerRef l : dir.lowers) {
            Entry e = l.layer().find(l.ino(), name);
            if (e != null) return forgot(l.layer(), e);
        }
        return false;
    }

    private boolean needsWhiteout(UnionNode dir, Name name) throws FsException {
        return options.whiteouts() == WhiteoutMode.ALWAYS || lowerHasAny(dir, name);
    }

    // ---- creating ----

    private interface Maker {
        Entry make(Name tmp) throws FsException;
    }

    /**
     * Makes a new object for {@code c} at {@code name} in {@code p}: in the work dir, owned and
     * moded as {@code o} says, opaque if a directory over a lower name, then renamed into place
     * (over the whiteout there, if any). Returns the new node with one reference. Caller holds
     * {@code p.ns} for writing and has checked that the name is free in the union.
     */
    private UnionNode makeInUpper(UnionNode p, Name name, Access.Ownership o, boolean dir, Maker maker)
            throws FsException {
        Name tmp = workDir.tempName();
        Entry made = maker.make(tmp);
        boolean placed = false;
        try {
            upper.fs.setattr(upper.as, made.ino(), SetAttr.owner(o.uid(), o.gid()));
            if (!FileType.isLink(o.mode())) upper.fs.setattr(upper.as, made.ino(), SetAttr.mode(o.mode() & 07777));
            if (dir && lowerHasAny(p, name)) {
                upper.fs.setxattr(upper.as, made.ino(), format.opaque, "y".getBytes(), 0);
            }
            install(p, name, tmp, dir);
            placed = true;
            Attr a = upper.attr(made.ino());
            return adopt(p, name, made.ino(), a); // the node takes over the reference of made
        } finally {
            if (!placed) {
                workDir.discard(tmp, dir);
                upper.forget(made.ino());
            }
        }
    }

    /**
     * Renames workdir/work/{@code tmp} to {@code name} in {@code p}'s upper, replacing a whiteout
     * there: atomically for non-directories (rename over) and, where the upper can exchange, for
     * directories (exchange, then drop the whiteout from the work dir); otherwise the whiteout is
     * removed first (invisible to union users: {@code p.ns} is held for writing).
     */
    private void install(UnionNode p, Name name, Name tmp, boolean dir) throws FsException {
        long pu = p.upper.ino();
        Entry old = upper.find(pu, name);
        if (old == null || !dir) {
            if (old != null) upper.forget(old.ino());
            upper.fs.rename(upper.as, workSub, tmp, pu, name, 0);
            return;
        }
        upper.forget(old.ino());
        if (upper.has(Feature.RENAME_EXCHANGE)) {
            upper.fs.rename(upper.as, workSub, tmp, pu, name, RENAME_EXCHANGE);
            workDir.discard(tmp, false);
        } else {
            upper.fs.unlink(upper.as, pu, name);
            upper.fs.rename(upper.as, workSub, tmp, pu, name, 0);
        }
    }

    /** The checks every create-like call makes before it locks; returns the parent's attributes. */
    private Attr beforeCreate(Caller c, UnionNode p, Name name) throws FsException {
        requireWritable();
        if (name.isDotOrDotDot()) throw FsException.of(Errno.EEXIST);
        Attr pa = attrOf(p);
        Access.checkCreate(c, pa);
        copyUp(p, true);
        return pa;
    }

    private Entry createNode(Caller c, long parent, Name name, int mode, Maker maker) throws FsException {
        UnionNode p = dirNode(parent);
        requireWritable();
        Attr pa = beforeCreate(c, p, name);
        Access.Ownership o = Access.newObject(c, pa, mode);
        UnionNode n;
        p.ns.writeLock().lock();
        try {
            UnionNode existing = childOrNull(p, name);
            if (existing != null) {
                forget(existing.ino(), 1);
                throw FsException.of(Errno.EEXIST);
            }
            n = makeInUpper(p, name, o, FileType.isDir(mode), maker);
        } finally {
            p.ns.writeLock().unlock();
        }
        return entryOf(n);
    }

    @Override
    public Entry mknod(Caller c, long parent, Name name, int mode, int rdev, int umask) throws FsException {
        int type = mode & S_IFMT;
        if (type == 0) type = S_IFREG;
        switch (type) {
            case S_IFREG, FileType.S_IFIFO, FileType.S_IFSOCK -> {}
            case S_IFCHR, FileType.S_IFBLK -> {
                if (!c.isRoot()) throw FsException.of(Errno.EPERM); // CAP_MKNOD
                if (type == S_IFCHR && rdev == 0) throw FsException.of(Errno.EPERM); // that is a whiteout
            }
            case S_IFDIR -> throw FsException.of(Errno.EPERM);
            default -> throw FsException.of(Errno.EINVAL);
        }
        int m = Access.applyUmask(type | (mode & 07777), umask);
        int t = type;
        return createNode(c, parent, name, m, tmp -> upper.fs.mknod(upper.as, workSub, tmp, t | 0600, rdev, 0));
    }

    @Override
    public Entry mkdir(Caller c, long parent, Name name, int mode, int umask) throws FsException {
        int m = Access.applyUmask(S_IFDIR | (mode & 07777), umask);
        return createNode(c, parent, name, m, tmp -> upper.fs.mkdir(upper.as, workSub, tmp, S_IFDIR | 0700, 0));
    }

    @Override
    public Entry symlink(Caller c, long parent, Name name, byte[] target) throws FsException {
        byte[] t = target.clone();
        return createNode(c, parent, name, S_IFLNK | 0777, tmp -> upper.fs.symlink(upper.as, workSub, tmp, t));
    }

    @Override
    public Created create(Caller c, long parent, Name name, int mode, int flags, int umask) throws FsException {
        UnionNode p = dirNode(parent);
        requireWritable();
        if (name.isDotOrDotDot()) throw FsException.of((flags & OpenFlags.O_EXCL) != 0 ? Errno.EEXIST : Errno.EISDIR);
        Attr pa = attrOf(p);
        Access.checkLookup(c, pa);
        UnionNode existing;
        p.ns.readLock().lock();
        try {
            existing = childOrNull(p, name);
        } finally {
            p.ns.readLock().unlock();
        }
        if (existing == null) {
            Access.checkCreate(c, pa);
            copyUp(p, true);
            int m = Access.applyUmask(S_IFREG | (mode & 07777), umask);
            Access.Ownership o = Access.newObject(c, pa, m);
            int layerFlags = (flags & ~(OpenFlags.O_CREAT | OpenFlags.O_TRUNC | OpenFlags.O_EXCL)) | OpenFlags.O_EXCL;
            Created[] made = new Created[1];
            p.ns.writeLock().lock();
            try {
                existing = childOrNull(p, name);
                if (existing == null) {
                    UnionNode n;
                    try {
                        n = makeInUpper(p, name, o, false, tmp -> {
                            made[0] = upper.fs.create(upper.as, workSub, tmp, S_IFREG | 0600, layerFlags, 0);
                            return made[0].entry();
                        });
                    } catch (FsException e) {
                        if (made[0] != null) {
                            upper.fs.release(made[0].entry().ino(), made[0].opened().fh(), layerFlags);
                        }
                        throw e;
                    }
                    long fh = register(new OpenFile(n, upper, made[0].entry().ino(), made[0].opened().fh(), flags));
                    return new Created(entryOf(n), policy.file(fh));
                }
            } finally {
                p.ns.writeLock().unlock();
            }
        }
        // the name exists: open(2) semantics of O_CREAT without creating
        try {
            if ((flags & OpenFlags.O_EXCL) != 0) throw FsException.of(Errno.EEXIST);
            if (existing.isDir()) throw FsException.of(Errno.EISDIR);
            Opened o = open(c, existing.ino(), flags & ~(OpenFlags.O_CREAT | OpenFlags.O_EXCL));
            return new Created(entryOf(existing), o);
        } catch (FsException e) {
            forget(existing.ino(), 1);
            throw e;
        }
    }

    @Override
    public Entry link(Caller c, long ino, long newParent, Name newName) throws FsException {
        UnionNode n = node(ino);
        UnionNode q = dirNode(newParent);
        requireWritable();
        if (n.isDir()) throw FsException.of(Errno.EPERM);
        if (!upper.has(Feature.HARD_LINKS)) throw FsException.of(Errno.EPERM);
        Attr qa = beforeCreate(c, q, newName);
        Access.checkLinkSource(c, attrOf(n));
        copyUp(n, true);
        q.ns.writeLock().lock();
        try {
            UnionNode existing = childOrNull(q, newName);
            if (existing != null) {
                forget(existing.ino(), 1);
                throw FsException.of(Errno.EEXIST);
            }
            Name tmp = workDir.tempName();
            Entry made = upper.fs.link(upper.as, n.upper.ino(), workSub, tmp);
            boolean placed = false;
            try {
                install(q, newName, tmp, false);
                placed = true;
            } finally {
                if (!placed) workDir.discard(tmp, false);
                upper.forget(made.ino());
            }
            ref(n);
            if (n.place == null) setPlace(n, new Place(q, newName));
        } finally {
            q.ns.writeLock().unlock();
        }
        return entryOf(n);
    }

    // ---- removing ----

    @Override
    public void unlink(Caller c, long parent, Name name) throws FsException {
        UnionNode p = dirNode(parent);
        requireWritable();
        if (name.isDotOrDotDot()) throw FsException.of(Errno.EISDIR);
        Attr pa = attrOf(p);
        Access.check(c, pa, Access.W | Access.X);
        copyUp(p, true);
        p.ns.writeLock().lock();
        try {
            Resolved r = resolve(p, name);
            if (r == null) throw FsException.of(Errno.ENOENT);
            boolean inUpper = r.upper != null;
            UnionNode v = obtain(p, name, r);
            try {
                Access.checkSticky(c, attrOf(p), attrOf(v));
                if (v.isDir()) throw FsException.of(Errno.EISDIR);
                if (!inUpper || needsWhiteout(p, name)) placeWhiteout(p, name);
                else upper.fs.unlink(upper.as, p.upper.ino(), name);
                removed(v, p, name);
            } finally {
                forget(v.ino(), 1);
            }
        } finally {
            p.ns.writeLock().unlock();
        }
    }

    /** Bookkeeping after {@code v} lost its name {@code name} in {@code p}. */
    private void removed(UnionNode v, UnionNode p, Name name) {
        Place pl = v.place;
        if (pl != null && pl.parent() == p && pl.name().equals(name)) {
            if (v.upper == null || v.isDir()) v.removed = true;
            setPlace(v, null);
        }
    }

    @Override
    public void rmdir(Caller c, long parent, Name name) throws FsException {
        UnionNode p = dirNode(parent);
        requireWritable();
        if (name.isDot()) throw FsException.of(Errno.EINVAL);
        if (name.isDotDot()) throw FsException.of(Errno.ENOTEMPTY);
        Attr pa = attrOf(p);
        Access.check(c, pa, Access.W | Access.X);
        copyUp(p, true);
        p.ns.writeLock().lock();
        try {
            Resolved r = resolve(p, name);
            if (r == null) throw FsException.of(Errno.ENOENT);
            boolean inUpper = r.upper != null;
            UnionNode v = obtain(p, name, r);
            try {
                if (!v.isDir()) throw FsException.of(Errno.ENOTDIR);
                Access.checkSticky(c, attrOf(p), attrOf(v));
                v.ns.writeLock().lock();
                try {
                    if (!listing.of(v).isEmpty()) throw FsException.of(Errno.ENOTEMPTY);
                    // a redirected directory's lowers live elsewhere (their old name has its own
                    // whiteout): only a lower entry at this name needs one here
                    boolean wh = (!v.lowers.isEmpty() && v.redirect == null) || needsWhiteout(p, name);
                    if (inUpper) {
                        clearUpperDir(v);
                        if (wh) replaceDirWithWhiteout(p, name);
                        else upper.fs.rmdir(upper.as, p.upper.ino(), name);
                    } else {
                        placeWhiteout(p, name);
                    }
                    removed(v, p, name);
                } finally {
                    v.ns.writeLock().unlock();
                }
            } finally {
                forget(v.ino(), 1);
            }
        } finally {
            p.ns.writeLock().unlock();
        }
    }

    /** Removes the whiteouts (the only entries left) from an upper directory the union sees empty. */
    private void clearUpperDir(UnionNode d) throws FsException {
        LayerRef u = d.upper;
        for (LayerListing.Listed e : LayerListing.list(upper, u.ino())) {
            if (e.name().isDotOrDotDot()) continue;
            if (e.dtype() == FileType.DT_DIR) throw FsException.of(Errno.ENOTEMPTY);
            upper.fs.unlink(upper.as, u.ino(), e.name());
        }
    }

    /** An (emptied) upper directory at {@code name} becomes a whiteout. */
    private void replaceDirWithWhiteout(UnionNode p, Name name) throws FsException {
        long pu = p.upper.ino();
        if (upper.has(Feature.RENAME_EXCHANGE)) {
            Name tmp = workDir.tempName();
            Entry wh = whiteoutInWork(tmp);
            try {
                if (!Layer.isCharWhiteout(wh.attr())) markXattrWhiteouts(p);
                upper.fs.rename(upper.as, workSub, tmp, pu, name, RENAME_EXCHANGE);
            } catch (FsException e) {
                workDir.discard(tmp, false);
                throw e;
            } finally {
                upper.forget(wh.ino());
            }
            workDir.discard(tmp, true); // the old directory, now in the work dir
        } else {
            upper.fs.rmdir(upper.as, pu, name);
            placeWhiteout(p, name);
        }
    }

    // ---- rename ----

    @Override
    public void rename(Caller c, long parent, Name name, long newParent, Name newName, int flags) throws FsException {
        UnionNode p = dirNode(parent), q = dirNode(newParent);
        requireWritable();
        if ((flags & ~RENAME_NOREPLACE) != 0) throw FsException.of(Errno.EINVAL);
        if (name.isDotOrDotDot() || newName.isDotOrDotDot()) throw FsException.of(Errno.EBUSY);
        Access.check(c, attrOf(p), Access.W | Access.X);
        Access.check(c, attrOf(q), Access.W | Access.X);
        for (int attempt = 0; attempt < RENAME_RETRIES; attempt++) {
            UnionNode src = child(p, name);
            try {
                copyUp(p, true);
                copyUp(q, true);
                // a lower or merged directory is copied up (the directory only) to carry a redirect
                if (!src.isDir() || (!src.lowers.isEmpty() && options.redirects().creates())) copyUp(src, true);
                if (renameLocked(c, p, name, q, newName, flags, src)) return;
            } finally {
                forget(src.ino(), 1);
            }
        }
        throw new FsException(Errno.EAGAIN, "rename kept racing with other changes");
    }

    /** The rename under the locks; false if the source changed since it was prepared (retry). */
    private boolean renameLocked(Caller c, UnionNode p, Name name, UnionNode q, Name newName, int flags,
                                 UnionNode src) throws FsException {
        topology.lock();
        try {
            UnionNode first = p, second = q;
            if (p != q && (q.depth() < p.depth() || (q.depth() == p.depth() && q.ino() < p.ino()))) {
                first = q;
                second = p;
            }
            first.ns.writeLock().lock();
            if (second != first) second.ns.writeLock().lock();
            try {
                UnionNode s = childOrNull(p, name);
                if (s == null) throw FsException.of(Errno.ENOENT);
                UnionNode t = null;
                try {
                    if (s != src) return false;
                    if (p.upper == null || q.upper == null) return false;
                    t = childOrNull(q, newName);
                    Attr sa = attrOf(s), ta = t == null ? null : attrOf(t);
                    Access.checkRename(c, attrOf(p), sa, attrOf(q), ta, false);
                    if (t == s) return true; // two names of one inode, or the same name: nothing to do
                    if ((flags & RENAME_NOREPLACE) != 0 && t != null) throw FsException.of(Errno.EEXIST);
                    if (s.isDir()) {
                        if (t != null && !t.isDir()) throw FsException.of(Errno.ENOTDIR);
                        for (UnionNode x = q; x != null && !x.isRoot; x = parentOf(x)) {
                            if (x == s) throw FsException.of(Errno.EINVAL);
                        }
                        if (!s.lowers.isEmpty() && !options.redirects().creates()) {
                            throw new FsException(Errno.EXDEV, "renaming a lower or merged directory needs redirect_dir=on");
                        }
                    } else if (t != null && t.isDir()) {
                        throw FsException.of(Errno.EISDIR);
                    }
                    if (s.upper == null) return false; // copied up meanwhile by nobody: prepare again
                    byte[] redirect = s.isDir() && !s.lowers.isEmpty() ? redirectFor(s, p == q) : null;
                    if (t != null && t.isDir()) {
                        // the replaced directory is locked after p and q; if it is p or an ancestor
                        // of p it is not empty, and locking it now would break parent-before-child
                        for (UnionNode x = p; x != null; x = x.isRoot ? null : parentOf(x)) {
                            if (x == t) throw FsException.of(Errno.ENOTEMPTY);
                        }
                        t.ns.writeLock().lock();
                        try {
                            if (!listing.of(t).isEmpty()) throw FsException.of(Errno.ENOTEMPTY);
                            if (t.upper != null) clearUpperDir(t);
                            moveInUpper(p, name, q, newName, s, redirect);
                        } finally {
                            t.ns.writeLock().unlock();
                        }
                    } else {
                        moveInUpper(p, name, q, newName, s, redirect);
                    }
                    if (redirect != null) s.redirect = redirect;
                    if (t != null) {
                        t.removed = true;
                        setPlace(t, null);
                    }
                    setPlace(s, new Place(q, newName));
                    return true;
                } finally {
                    if (t != null) forget(t.ino(), 1);
                    forget(s.ino(), 1);
                }
            } finally {
                if (second != first) second.ns.writeLock().unlock();
                first.ns.writeLock().unlock();
            }
        } finally {
            topology.unlock();
        }
    }

    /**
     * The layer side of a rename: the moved directory becomes opaque if a lower layer has the new
     * name; a whiteout in the upper at the new name is replaced; the old name gets a whiteout if
     * a lower layer has it (with RENAME_WHITEOUT where the upper offers it: atomic).
     */
    private void moveInUpper(UnionNode p, Name name, UnionNode q, Name newName, UnionNode s, byte[] redirect)
            throws FsException {
        long pu = p.upper.ino(), qu = q.upper.ino();
        if (redirect != null) {
            // set before the move, as the kernel: until the rename, the value names the
            // directory's own lower place, so a crash in between leaves a correct tree
            if (redirect != s.redirect) setRedirect(s, redirect);
        } else if (s.isDir() && lowerHasAny(q, newName)) {
            upper.fs.setxattr(upper.as, s.upper.ino(), format.opaque, "y".getBytes(), 0);
        }
        Entry old = upper.find(qu, newName);
        if (old != null) {
            upper.forget(old.ino());
            // a directory cannot be renamed over the whiteout (a device): drop it first, which
            // nobody sees, since q's namespace lock is held
            if (s.isDir() && !old.attr().isDirectory()) upper.fs.unlink(upper.as, qu, newName);
        }
        boolean whiteout = needsWhiteout(p, name);
        if (whiteout && !xattrWhiteouts && upper.has(Feature.RENAME_WHITEOUT)) {
            try {
                upper.fs.rename(upper.as, pu, name, qu, newName, RENAME_WHITEOUT);
                return;
            } catch (FsException e) {
                if (e.errno() != Errno.EPERM && e.errno() != Errno.EINVAL && e.errno() != Errno.EOPNOTSUPP) throw e;
            }
        }
        upper.fs.rename(upper.as, pu, name, qu, newName, 0);
        if (whiteout) placeWhiteout(p, name);
    }

    /**
     * The redirect a lower or merged directory {@code s} needs when it is renamed (kernel
     * ovl_set_redirect): its present one if it already has one and stays in its directory or is
     * absolute; else, within one directory, its old name; else the absolute path of its lower
     * place, built upward from its old place: each ancestor's redirect if it has one, else its
     * name, up to the root or to the first absolute redirect. Called under the topology lock
     * (places are stable). Longer than {@link Redirect#MAX}: EXDEV (mv copies), as the kernel.
     */
    private byte[] redirectFor(UnionNode s, boolean sameDir) throws FsException {
        byte[] have = s.redirect;
        if (have != null && (sameDir || Redirect.isAbsolute(have))) return have;
        Place pl = s.place;
        if (pl == null) throw FsException.of(Errno.ESTALE);
        if (sameDir) return pl.name().bytes();
        java.util.ArrayDeque<byte[]> parts = new java.util.ArrayDeque<>();
        int len = 0;
        for (UnionNode d = s; !d.isRoot; ) {
            Place at = d.place;
            if (at == null) throw FsException.of(Errno.ESTALE);
            byte[] rd = d.redirect;
            if (Redirect.isAbsolute(rd)) {
                parts.addFirst(java.util.Arrays.copyOfRange(rd, 1, rd.length)); // its components, "/" re-added below
                len += rd.length;
                break;
            }
            byte[] c = rd != null ? rd : at.name().bytes();
            parts.addFirst(c);
            len += c.length + 1;
            if (len > Redirect.MAX) break;
            d = at.parent();
        }
        if (len > Redirect.MAX) throw new FsException(Errno.EXDEV, "redirect longer than " + Redirect.MAX + " bytes");
        return Redirect.absolute(List.copyOf(parts));
    }

    private void setRedirect(UnionNode s, byte[] value) throws FsException {
        try {
            upper.fs.setxattr(upper.as, s.upper.ino(), format.redirect, value, 0);
        } catch (FsException e) {
            if (e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.ENOSYS || e.errno() == Errno.EPERM) {
                throw new FsException(Errno.EXDEV, "the upper cannot hold the redirect xattr: " + e.getMessage());
            }
            throw e;
        }
    }

    // ---- files ----

    private long register(OpenFile h) {
        long fh = nextFh.getAndIncrement();
        synchronized (registry) {
            h.node().opened();
        }
        files.put(fh, h);
        return fh;
    }

    private OpenFile file(long fh) throws FsException {
        OpenFile h = files.get(fh);
        if (h == null) throw FsException.of(Errno.EBADF);
        return h;
    }

    @Override
    public Opened open(Caller c, long ino, int flags) throws FsException {
        UnionNode n = node(ino);
        boolean writes = OpenFlags.writes(flags) || (flags & OpenFlags.O_TRUNC) != 0;
        if (n.type == S_IFLNK) throw FsException.of(Errno.ELOOP);
        if (n.isDir() && writes) throw FsException.of(Errno.EISDIR);
        Attr a = attrOf(n);
        if (writes) requireWritable();
        Access.checkOpen(c, a, flags);
        if (writes) copyUp(n, (flags & OpenFlags.O_TRUNC) == 0); // O_RDONLY never copies up
        int lf = flags & ~(OpenFlags.O_CREAT | OpenFlags.O_EXCL);
        LayerRef t = n.top();
        Opened o = t.layer().index > 0 ? Copier.openLower(t.layer(), t.ino(), lf) : t.layer().fs.open(t.layer().as, t.ino(), lf);
        if (writes && (flags & OpenFlags.O_TRUNC) != 0 && !c.isRoot()) killSuidGid(c, n, false);
        long fh = register(new OpenFile(n, t.layer(), t.ino(), o.fh(), flags));
        return n.isDir() ? policy.dir(fh) : policy.file(fh);
    }

    @Override
    public void release(long ino, long fh, int flags) {
        OpenFile h = files.remove(fh);
        if (h == null) return;
        if (!closed) h.layer().fs.release(h.layerIno(), h.layerFh(), flags);
        h.node().closed();
        maybeFree(h.node());
    }

    @Override
    public int read(Caller c, long ino, long fh, long offset, ByteBuffer dst) throws FsException {
        OpenFile h = file(fh);
        return h.layer().fs.read(h.layer().as, h.layerIno(), h.layerFh(), offset, dst);
    }

    @Override
    public int write(Caller c, long ino, long fh, long offset, ByteBuffer src, int writeFlags) throws FsException {
        OpenFile h = file(fh);
        if (h.layer() != upper || !OpenFlags.writes(h.flags())) throw FsException.of(Errno.EBADF);
        if (!c.isRoot() || (writeFlags & WRITE_KILL_SUIDGID) != 0) {
            killSuidGid(c, h.node(), (writeFlags & WRITE_KILL_SUIDGID) != 0);
        }
        return upper.fs.write(upper.as, h.layerIno(), h.layerFh(), offset, src, writeFlags & ~WRITE_KILL_SUIDGID);
    }

    /**
     * A write or truncate by {@code c} clears set-id bits as {@link Access} says (the layer only
     * sees the mounter, who keeps them); {@code force}: the frontend asked (WRITE_KILL_SUIDGID).
     */
    private void killSuidGid(Caller c, UnionNode n, boolean force) throws FsException {
        LayerRef u = n.upper;
        Attr a = upper.attr(u.ino());
        if ((a.mode() & (FileType.S_ISUID | FileType.S_ISGID)) == 0) return;
        int m = force ? Access.killSuidGid(c, a.mode(), a.gid()) : Access.modeAfterWrite(c, a.mode(), a.gid());
        if ((m & 07777) != (a.mode() & 07777)) upper.fs.setattr(upper.as, u.ino(), SetAttr.mode(m & 07777));
    }

    @Override
    public void flush(Caller c, long ino, long fh, long lockOwner) throws FsException {
        OpenFile h = file(fh);
        h.layer().fs.flush(h.layer().as, h.layerIno(), h.layerFh(), lockOwner);
    }

    @Override
    public void fsync(Caller c, long ino, long fh, boolean datasync) throws FsException {
        OpenFile h = file(fh);
        h.layer().fs.fsync(h.layer().as, h.layerIno(), h.layerFh(), datasync);
    }

    @Override
    public void fallocate(Caller c, long ino, long fh, int mode, long offset, long length) throws FsException {
        OpenFile h = file(fh);
        if (h.layer() != upper || !OpenFlags.writes(h.flags())) throw FsException.of(Errno.EBADF);
        upper.fs.fallocate(upper.as, h.layerIno(), h.layerFh(), mode, offset, length);
    }

    @Override
    public long lseek(Caller c, long ino, long fh, long offset, int whence) throws FsException {
        OpenFile h = file(fh);
        return h.layer().fs.lseek(h.layer().as, h.layerIno(), h.layerFh(), offset, whence);
    }

    // ---- directories ----

    private List<DirHandle.Item> snapshot(UnionNode d) throws FsException {
        List<DirHandle.Item> items = new ArrayList<>();
        UnionNode parent = parentOf(d);
        items.add(new DirHandle.Item(Name.DOT, d.stIno, FileType.DT_DIR));
        items.add(new DirHandle.Item(Name.DOTDOT, parent != null ? parent.stIno : d.stIno, FileType.DT_DIR));
        d.ns.readLock().lock();
        try {
            items.addAll(listing.of(d));
        } finally {
            d.ns.readLock().unlock();
        }
        return items;
    }

    @Override
    public Opened opendir(Caller c, long ino, int flags) throws FsException {
        UnionNode d = dirNode(ino);
        Access.check(c, attrOf(d), Access.R);
        DirHandle h = new DirHandle(d, snapshot(d));
        long fh = nextFh.getAndIncrement();
        synchronized (registry) {
            d.opened();
        }
        dirs.put(fh, h);
        return policy.dir(fh);
    }

    private DirHandle dirHandle(long ino, long fh, long cookie) throws FsException {
        DirHandle h = dirs.get(fh);
        if (h == null || h.node.ino() != ino) throw FsException.of(Errno.EBADF);
        if (cookie == 0 && h.read) h.items = snapshot(h.node); // rewinddir sees the current listing
        h.read = true;
        return h;
    }

    @Override
    public void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException {
        DirHandle h = dirHandle(ino, fh, cookie);
        List<DirHandle.Item> items = h.items;
        for (long i = Math.max(0, cookie); i < items.size(); i++) {
            DirHandle.Item it = items.get((int) i);
            if (!sink.add(it.name(), it.ino(), it.dtype(), i + 1)) return;
        }
    }

    @Override
    public void readdirplus(Caller c, long ino, long fh, long cookie, DirPlusSink sink) throws FsException {
        DirHandle h = dirHandle(ino, fh, cookie);
        List<DirHandle.Item> items = h.items;
        for (long i = Math.max(0, cookie); i < items.size(); i++) {
            DirHandle.Item it = items.get((int) i);
            Entry e = null;
            if (!it.name().isDotOrDotDot()) {
                try {
                    e = entryOf(child(h.node, it.name()));
                } catch (FsException gone) {
                    if (gone.errno() != Errno.ENOENT && gone.errno() != Errno.ESTALE) throw gone;
                }
            }
            if (!sink.add(it.name(), e != null ? e.ino() : it.ino(), it.dtype(), i + 1, e)) {
                if (e != null) forget(e.ino(), 1);
                return;
            }
        }
    }

    @Override
    public void releasedir(long ino, long fh) {
        DirHandle h = dirs.remove(fh);
        if (h == null) return;
        h.node.closed();
        maybeFree(h.node);
    }

    // ---- misc ----

    @Override
    public StatFs statfs(Caller c, long ino) throws FsException {
        node(ino);
        Layer top = upper != null ? upper : lowers.get(0);
        return top.fs.statfs(top.as, top.root);
    }

    @Override
    public void setxattr(Caller c, long ino, XattrName name, byte[] value, int flags) throws FsException {
        UnionNode n = node(ino);
        requireWritable();
        if (format.isPrivate(name)) throw FsException.of(Errno.EPERM);
        Access.checkXattr(c, attrOf(n), name, true);
        copyUp(n, true);
        upper.fs.setxattr(upper.as, n.upper.ino(), name, value.clone(), flags);
    }

    @Override
    public byte[] getxattr(Caller c, long ino, XattrName name) throws FsException {
        UnionNode n = node(ino);
        if (format.isPrivate(name)) throw FsException.of(Errno.ENODATA);
        Access.checkXattr(c, attrOf(n), name, false);
        LayerRef t = n.top();
        return t.layer().fs.getxattr(t.layer().as, t.ino(), name);
    }

    @Override
    public List<XattrName> listxattr(Caller c, long ino) throws FsException {
        UnionNode n = node(ino);
        LayerRef t = n.top();
        List<XattrName> out = new ArrayList<>();
        for (XattrName x : t.layer().fs.listxattr(t.layer().as, t.ino())) {
            if (!format.isPrivate(x) && Access.listable(c, x)) out.add(x);
        }
        return out;
    }

    @Override
    public void removexattr(Caller c, long ino, XattrName name) throws FsException {
        UnionNode n = node(ino);
        requireWritable();
        if (format.isPrivate(name)) throw FsException.of(Errno.EPERM);
        Access.checkXattr(c, attrOf(n), name, true);
        LayerRef t = n.top();
        t.layer().fs.getxattr(t.layer().as, t.ino(), name); // ENODATA before any copy-up
        copyUp(n, true);
        upper.fs.removexattr(upper.as, n.upper.ino(), name);
    }

    // ---- for tests ----

    /** Union nodes alive (root included). */
    int liveNodes() {
        return table.size();
    }

    /** References the union holds on {@code ino} of the file system {@code fs} (a layer). */
    long heldOn(FileSystem fs, long ino) {
        Session s = sessions.get(fs);
        return s == null ? 0 : s.held(ino);
    }

    /** The work dir the union makes its temporaries in (workdir/work). */
    long workSubdir() {
        return workSub;
    }
}
