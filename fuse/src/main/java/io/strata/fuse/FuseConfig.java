package io.strata.fuse;

import io.strata.core.CacheMode;

/**
 * How a FUSE mount is served.
 *
 * @param threads worker threads, each with its own cloned /dev/fuse channel
 * @param cacheMode decides INIT capabilities (writeback cache only in EXCLUSIVE)
 * @param passthrough allow FUSE passthrough for opens that offer a backing fd
 * @param debug one log line per request and reply
 * @param fsname the "device" shown in /proc/mounts and df
 * @param subtype shown as fuse.SUBTYPE
 * @param allowOther let other users in (-o allow_other)
 * @param defaultPermissions let the kernel check permissions from mode bits
 * @param readOnly mount read-only (MS_RDONLY)
 */
public record FuseConfig(int threads, CacheMode cacheMode, boolean passthrough, boolean debug, String fsname,
                         String subtype, boolean allowOther, boolean defaultPermissions, boolean readOnly) {

    public static final int MAX_WRITE = 1 << 20;

    public FuseConfig {
        if (threads < 1 || threads > 256) throw new IllegalArgumentException("threads must be 1..256, got " + threads);
    }

    public static FuseConfig defaults(CacheMode mode) {
        return new FuseConfig(4, mode, true, false, "strata", "strata", false, true, false);
    }

    public FuseConfig withThreads(int n) {
        return new FuseConfig(n, cacheMode, passthrough, debug, fsname, subtype, allowOther, defaultPermissions, readOnly);
    }

    public FuseConfig withDebug(boolean d) {
        return new FuseConfig(threads, cacheMode, passthrough, d, fsname, subtype, allowOther, defaultPermissions, readOnly);
    }

    public FuseConfig withNames(String fsname, String subtype) {
        return new FuseConfig(threads, cacheMode, passthrough, debug, fsname, subtype, allowOther, defaultPermissions, readOnly);
    }

    public FuseConfig withAccess(boolean allowOther, boolean defaultPermissions, boolean readOnly) {
        return new FuseConfig(threads, cacheMode, passthrough, debug, fsname, subtype, allowOther, defaultPermissions, readOnly);
    }

    public FuseConfig withPassthrough(boolean p) {
        return new FuseConfig(threads, cacheMode, p, debug, fsname, subtype, allowOther, defaultPermissions, readOnly);
    }
}
