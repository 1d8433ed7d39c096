package io.strata.union;

import java.util.Locale;

/**
 * Kernel overlayfs {@code redirect_dir=}: whether renaming a lower or merged directory writes a
 * {@code <ns>redirect} xattr (instead of EXDEV), and whether lookups follow such redirects.
 * <ul>
 * <li>{@link #ON}: create and follow (the union's default; the kernel's default is set by
 * CONFIG_OVERLAY_FS_REDIRECT_DIR, usually off);</li>
 * <li>{@link #FOLLOW}: follow, never create (renaming a lower/merged directory is EXDEV);</li>
 * <li>{@link #NOFOLLOW}: neither; looking up a redirected directory is EPERM, as the kernel's
 * "refusing to follow redirect";</li>
 * <li>{@link #OFF}: the kernel translates it to follow or nofollow by redirect_always_follow,
 * which defaults to on; so here it is {@link #FOLLOW}.</li>
 * </ul>
 */
public enum RedirectMode {
    ON, FOLLOW, NOFOLLOW, OFF;

    public static RedirectMode parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown redirect_dir mode '" + s + "' (expected on, follow, nofollow or off)");
        }
    }

    /** Renames of lower or merged directories write redirects. */
    boolean creates() {
        return this == ON;
    }

    /** Lookups follow redirects. */
    boolean follows() {
        return this != NOFOLLOW;
    }
}
