package io.strata.union;

import io.strata.core.Entry;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.Opened;
import java.util.ArrayList;
import java.util.List;

/** Reading and emptying one layer directory (as the mounter). */
final class LayerListing {
    private LayerListing() {}

    /** One entry of one layer directory. */
    record Listed(Name name, long ino, int dtype) {}

    /** Every entry of {@code dir}, "." and ".." included, in the layer's order. */
    static List<Listed> list(Layer l, long dir) throws FsException {
        List<Listed> out = new ArrayList<>();
        Opened o = l.fs.opendir(l.as, dir, 0);
        try {
            long cookie = 0;
            while (true) {
                long[] next = {-1};
                l.fs.readdir(l.as, dir, o.fh(), cookie, (name, ino, dtype, nc) -> {
                    out.add(new Listed(name, ino, dtype));
                    next[0] = nc;
                    return true;
                });
                if (next[0] < 0) break;
                cookie = next[0];
            }
        } finally {
            l.fs.releasedir(dir, o.fh());
        }
        return out;
    }

    /** Removes everything below {@code dir} (leftovers of a crashed union in its work dir). */
    static void removeContents(Layer l, long dir) throws FsException {
        for (Listed e : list(l, dir)) {
            if (e.name().isDotOrDotDot()) continue;
            if (e.dtype() == FileType.DT_DIR) {
                Entry d = l.find(dir, e.name());
                if (d == null) continue;
                try {
                    removeContents(l, d.ino());
                } finally {
                    l.forget(d.ino());
                }
                l.fs.rmdir(l.as, dir, e.name());
            } else {
                l.fs.unlink(l.as, dir, e.name());
            }
        }
    }
}
