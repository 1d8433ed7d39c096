package io.strata.union;

import io.strata.core.Entry;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The names a union directory shows: its upper directory's, then each merged lower directory's,
 * deduplicated, with whiteouts and OCI markers applied. Entries whose type alone cannot tell (a
 * character device, DT_UNKNOWN, a regular file in an "x" directory) are looked up to see whether
 * they are whiteouts. The caller holds the directory's namespace lock (read suffices).
 */
final class MergedListing {
    private final Layer upper;
    private final long workRoot, workSub;
    private final OverlayFormat format;

    MergedListing(Layer upper, long workRoot, long workSub, OverlayFormat format) {
        this.upper = upper;
        this.workRoot = workRoot;
        this.workSub = workSub;
        this.format = format;
    }

    /**
     * The merged listing of {@code d} without "." and "..": upper names first, then each lower's
     * names not seen above and not whited out (char 0/0, xattr whiteouts in "x" directories, OCI
     * {@code .wh.} files, whose own names are hidden); the work dir is never listed.
     */
    List<DirHandle.Item> of(UnionNode d) throws FsException {
        Map<Name, DirHandle.Item> out = new LinkedHashMap<>();
        Set<Name> hidden = new HashSet<>();
        LayerRef u = d.upper;
        if (u != null) {
            for (LayerListing.Listed e : LayerListing.list(upper, u.ino())) {
                if (e.name().isDotOrDotDot()) continue;
                int dtype = e.dtype();
                if (dtype == FileType.DT_CHR || dtype == FileType.DT_UNKNOWN || dtype == FileType.DT_DIR && d.isRoot
                        || dtype == FileType.DT_REG && u.xattrWhiteouts()) {
                    Entry x = upper.find(u.ino(), e.name());
                    if (x == null) continue;
                    boolean whiteout;
                    try {
                        whiteout = format.isWhiteout(upper, x.ino(), x.attr(), u.xattrWhiteouts());
                    } finally {
                        upper.forget(x.ino());
                    }
                    if (x.ino() == workRoot || x.ino() == workSub) continue;
                    if (whiteout) {
                        hidden.add(e.name());
                        continue;
                    }
                    dtype = FileType.dtype(x.attr().mode());
                }
                out.put(e.name(), new DirHandle.Item(e.name(), UnionFileSystem.xino(0, e.ino()), dtype));
            }
        }
        for (LayerRef l : d.lowers) {
            Layer layer = l.layer();
            List<LayerListing.Listed> entries = LayerListing.list(layer, l.ino());
            Set<Name> oci = new HashSet<>();
            for (LayerListing.Listed e : entries) {
                Name target = OverlayFormat.ociTarget(e.name());
                if (target != null) oci.add(target);
            }
            for (LayerListing.Listed e : entries) {
                Name nm = e.name();
                if (nm.isDotOrDotDot() || OverlayFormat.isOciName(nm)) continue;
                if (out.containsKey(nm) || hidden.contains(nm) || oci.contains(nm)) continue;
                int dtype = e.dtype();
                if (dtype == FileType.DT_CHR || dtype == FileType.DT_UNKNOWN || dtype == FileType.DT_REG && l.xattrWhiteouts()) {
                    Entry x = layer.find(l.ino(), nm);
                    if (x == null) continue;
                    boolean whiteout;
                    try {
                        whiteout = format.isWhiteout(layer, x.ino(), x.attr(), l.xattrWhiteouts());
                    } finally {
                        layer.forget(x.ino());
                    }
                    if (whiteout) {
                        hidden.add(nm);
                        continue;
                    }
                    dtype = FileType.dtype(x.attr().mode());
                }
                out.put(nm, new DirHandle.Item(nm, UnionFileSystem.xino(layer.index, e.ino()), dtype));
            }
            hidden.addAll(oci);
        }
        return new ArrayList<>(out.values());
    }
}
