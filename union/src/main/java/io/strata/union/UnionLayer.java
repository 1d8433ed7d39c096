package io.strata.union;

import io.strata.core.FileSystem;
import java.util.Objects;

/**
 * One layer of a union: a directory {@code rootIno} of a file system. A layer need not be the
 * root of its file system, so the upper layer and the work directory can be two directories of
 * ONE file system (kernel overlayfs wants upperdir and workdir on the same file system, because
 * copy-up renames from the work dir into the upper; the CLI roots one passthrough at their common
 * parent and names the two directories here). The union never closes a layer's file system: its
 * owner does, after the union is closed.
 */
public record UnionLayer(FileSystem fs, long rootIno) {
    public UnionLayer {
        Objects.requireNonNull(fs, "fs");
        if (rootIno <= 0) throw new IllegalArgumentException("rootIno must be a live inode id");
    }

    /** The root directory of {@code fs}. */
    public static UnionLayer of(FileSystem fs) {
        return new UnionLayer(fs, FileSystem.ROOT);
    }
}
