package io.strata.ext2;

import io.strata.core.CacheMode;
import java.util.Map;

/**
 * How to open an image: read-only, metadata cache size in bytes, and the cache mode (EXCLUSIVE:
 * write back metadata every few seconds and on sync; WRITETHROUGH / SHARED: metadata reaches the
 * image before each modifying call returns).
 */
public record Ext2Options(boolean readOnly, long cacheBytes, CacheMode cacheMode) {
    public static final long DEFAULT_CACHE_BYTES = 64L << 20;

    public static Ext2Options defaults() {
        return new Ext2Options(false, DEFAULT_CACHE_BYTES, CacheMode.EXCLUSIVE);
    }

    public static Ext2Options readOnlyDefaults() {
        return new Ext2Options(true, DEFAULT_CACHE_BYTES, CacheMode.EXCLUSIVE);
    }

    public Ext2Options withReadOnly(boolean ro) {
        return new Ext2Options(ro, cacheBytes, cacheMode);
    }

    /** From a java.nio env map: readOnly (Boolean or "true"), cacheBytes (Number or String), cacheMode. */
    public static Ext2Options fromMap(Map<String, ?> env) {
        Ext2Options o = defaults();
        if (env == null) return o;
        Object ro = env.get("readOnly");
        Object cb = env.get("cacheBytes");
        Object cm = env.get("cacheMode");
        boolean r = ro != null && Boolean.parseBoolean(ro.toString());
        long c = cb == null ? o.cacheBytes : cb instanceof Number n ? n.longValue() : Long.parseLong(cb.toString());
        CacheMode m = cm == null ? o.cacheMode : cm instanceof CacheMode mm ? mm : CacheMode.parse(cm.toString());
        return new Ext2Options(r, c, m);
    }
}
