package io.strata.union;

import io.strata.core.Attr;
import io.strata.core.Caller;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.XattrName;
import java.util.Set;

/**
 * One layer as the union uses it: the union's own {@link io.strata.core.Session} on the layer's
 * file system (so two unions can share a layer and each forgets only its own references), the
 * layer's root directory, and its index (0 = upper, 1.. = lowers top first; the work dir is -1).
 * Every call is made as the mounter: the union has already checked the real caller.
 */
final class Layer {
    final int index;
    final FileSystem fs;
    final long root;
    final Caller as;
    final Set<Feature> features;

    Layer(int index, FileSystem session, long root, Caller as) {
        this.index = index;
        this.fs = session;
        this.root = root;
        this.as = as;
        this.features = session.features();
    }

    boolean has(Feature f) {
        return features.contains(f);
    }

    /** The entry for {@code name} in {@code dir} (one reference), or null if absent. */
    Entry find(long dir, Name name) throws FsException {
        try {
            return fs.lookup(as, dir, name);
        } catch (FsException e) {
            if (e.errno() == Errno.ENOENT) return null;
            throw e;
        }
    }

    Attr attr(long ino) throws FsException {
        return fs.getattr(as, ino, -1).attr();
    }

    void forget(long ino) {
        fs.forget(ino, 1);
    }

    /** The xattr's value, or null if absent or not supported. */
    byte[] xattr(long ino, XattrName name) throws FsException {
        try {
            return fs.getxattr(as, ino, name);
        } catch (FsException e) {
            if (e.errno() == Errno.ENODATA || e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.ENOSYS) return null;
            throw e;
        }
    }

    static boolean isCharWhiteout(Attr a) {
        return (a.mode() & FileType.S_IFMT) == FileType.S_IFCHR && a.rdev() == 0;
    }

    @Override
    public String toString() {
        return index == 0 ? "upper" : index < 0 ? "work" : "lower" + index;
    }
}
