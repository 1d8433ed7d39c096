package io.strata.core;

/** What a frontend gives a file system when it starts serving it. */
public record FsContext(Invalidations invalidations) {
    public static final FsContext DETACHED = new FsContext(Invalidations.NONE);
}
