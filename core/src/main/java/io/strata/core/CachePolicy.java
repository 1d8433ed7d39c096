package io.strata.core;

/**
 * The timeouts and open flags a cache mode implies. Backends build their replies through this so a
 * mount's mode decides the policy in one place, and report it through
 * {@link FileSystem#cachePolicy()} so a frontend negotiates (FUSE INIT: writeback cache, data
 * invalidation style, symlink caching) from what the backend really does.
 *
 * @param negativeTimeoutNs how long "no such name" may be remembered (0: never)
 */
public record CachePolicy(CacheMode mode, long entryTimeoutNs, long attrTimeoutNs, long negativeTimeoutNs,
                          int fileOpenFlags, int dirOpenFlags) {
    private static final long LONG = 86_400L * 1_000_000_000L; // a day: nobody else changes the tree
    private static final long SHORT = 1_000_000_000L;

    public static CachePolicy of(CacheMode mode) {
        return switch (mode) {
            // Directories need KEEP_CACHE too: without it every opendir drops the cached listing.
            // Negative entries may live long: every create goes through us and the kernel drops
            // the negative dentry itself when it creates the name.
            case EXCLUSIVE -> new CachePolicy(mode, LONG, LONG, LONG, Opened.KEEP_CACHE, Opened.CACHE_DIR | Opened.KEEP_CACHE);
            case WRITETHROUGH -> new CachePolicy(mode, SHORT, SHORT, SHORT, Opened.KEEP_CACHE, 0);
            // Zero timeouts: every path walk and stat revalidates; no KEEP_CACHE: open drops pages.
            case SHARED -> new CachePolicy(mode, 0, 0, 0, 0, 0);
        };
    }

    public Entry entry(long ino, long generation, Attr attr) {
        return new Entry(ino, generation, attr, entryTimeoutNs, attrTimeoutNs);
    }

    public Entry negative() {
        return Entry.negative(negativeTimeoutNs);
    }

    public AttrReply attr(Attr attr) {
        return new AttrReply(attr, attrTimeoutNs);
    }

    public Opened file(long fh) {
        return Opened.of(fh, fileOpenFlags);
    }

    public Opened dir(long fh) {
        return Opened.of(fh, dirOpenFlags);
    }
}
