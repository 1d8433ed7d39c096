package io.strata.core;

import java.util.Locale;

/**
 * The one cache vocabulary of every Strata mount.
 * <ul>
 * <li>{@code EXCLUSIVE}: we are the only writer; cache everything, long timeouts, writeback.</li>
 * <li>{@code WRITETHROUGH}: cache reads, but every write reaches the backend before it returns.</li>
 * <li>{@code SHARED}: others change the backend too; never serve stale data.</li>
 * </ul>
 */
public enum CacheMode {
    EXCLUSIVE, WRITETHROUGH, SHARED;

    public static CacheMode parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown cache mode '" + s
                    + "' (expected exclusive, writethrough or shared)");
        }
    }

    public String option() {
        return name().toLowerCase(Locale.ROOT);
    }
}
