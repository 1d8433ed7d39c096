package io.strata.union;

import io.strata.core.inode.InodeNode;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A union inode: its own id (from the union's InodeTable), the upper object (or none) and the
 * lower objects, each with one lookup reference the node holds while it lives.
 *
 * <p>Locks (see {@link UnionFileSystem} for the order):
 * <ul>
 * <li>{@link #ns} (directories): read for lookup and listing in this directory, write for any
 * change of its names (create, remove, rename, installing a copied-up child);</li>
 * <li>{@link #copy}: serializes copy-up of this node; held across the data copy, and while
 * changing this node's upper object;</li>
 * </ul>
 * {@link #upper}, {@link #lowers} and {@link #place} are volatile: they change under the locks
 * above and are read without them.
 */
final class UnionNode extends InodeNode {
    final int type;
    /** st_ino reported for this node (xino scheme, see UnionFileSystem). */
    final long stIno;
    volatile LayerRef upper;
    /** Directories: the merged lower directories, top first. Others: the origin object, if any. */
    volatile List<LayerRef> lowers;
    /** Null once removed (unlinked / rmdir'ed / replaced); guarded by the parents' ns locks. */
    volatile Place place;
    /**
     * Directories: the upper's {@code <ns>redirect} value (where its lower directories are: a name
     * in the parent's lowers, or "/a/b" from the lower roots), or null. Changes only in a rename,
     * under the topology lock and the parent directories' ns locks.
     */
    volatile byte[] redirect;
    /** A lower-only object that was removed reports nlink 0. */
    volatile boolean removed;
    final ReentrantReadWriteLock ns = new ReentrantReadWriteLock();
    final ReentrantLock copy = new ReentrantLock();
    /** Children whose place points here: the node must outlive them (a dentry's parent). */
    final AtomicInteger pins = new AtomicInteger();
    final boolean isRoot;

    UnionNode(int ino, int generation, int type, long stIno, LayerRef upper, List<LayerRef> lowers, Place place,
              boolean isRoot) {
        super(ino, generation);
        this.type = type;
        this.stIno = stIno;
        this.upper = upper;
        this.lowers = List.copyOf(lowers);
        this.place = place;
        this.isRoot = isRoot;
    }

    @Override
    protected boolean linked() {
        return isRoot || pins.get() > 0;
    }

    boolean isDir() {
        return type == io.strata.core.FileType.S_IFDIR;
    }

    /** The object whose attributes and data the union shows: the upper, else the top lower. */
    LayerRef top() {
        LayerRef u = upper;
        if (u != null) return u;
        List<LayerRef> l = lowers;
        return l.isEmpty() ? null : l.get(0);
    }

    /** Depth below the root (rename lock order); stable while the topology lock is held. */
    int depth() {
        int d = 0;
        for (Place p = place; p != null && p.parent() != null; p = p.parent().place) d++;
        return d;
    }
}
