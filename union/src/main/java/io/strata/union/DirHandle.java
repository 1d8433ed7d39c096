package io.strata.union;

import io.strata.core.Name;
import java.util.List;

/**
 * An open directory: a snapshot of the merged listing taken at opendir (and again on a rewind to
 * cookie 0 after it was read). Cookies are indexes into the snapshot, so a listing interleaved
 * with changes returns every name of the snapshot exactly once.
 */
final class DirHandle {
    record Item(Name name, long ino, int dtype) {}

    final UnionNode node;
    volatile List<Item> items;
    volatile boolean read;

    DirHandle(UnionNode node, List<Item> items) {
        this.node = node;
        this.items = items;
    }
}
